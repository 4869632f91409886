/**
 * The core's one deadline scheme: relative limits become absolute deadlines
 * once; 0, Infinity and values past the timer range mean "no timeout"; one
 * queue and one timer per connection; abort and time-out errors say how far
 * the call got.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCodes, RemotingError, TimeoutError } from "../../../src/index.js";
import { DeadlineQueue, MAX_TIMER_MS, abortError, deadlineAfter, raceDeadline, remaining, sleepUntil } from "../../../src/core/deadline.js";

describe("deadlines", () => {
  it("turns a relative limit into an absolute deadline; 0, Infinity and > 2^31-1 ms mean none", () => {
    assert.equal(deadlineAfter(1000, 5000), 6000);
    for (const none of [0, Infinity, MAX_TIMER_MS + 1, 3e9]) assert.equal(deadlineAfter(none, 5000), Infinity, String(none));
    assert.equal(deadlineAfter(MAX_TIMER_MS, 0), MAX_TIMER_MS);
    for (const bad of [-1, NaN, "10" as unknown as number]) {
      assert.throws(() => deadlineAfter(bad), (e: unknown) => e instanceof RemotingError && e.code === ErrorCodes.ERR_INVALID_ARGUMENT);
    }
    assert.equal(remaining(Infinity), Infinity);
    assert.equal(remaining(100, 200), 0);
  });

  it("one queue, one timer: items expire in deadline order, removed ones never", async () => {
    const expired: string[] = [];
    const q = new DeadlineQueue<{ deadline: number; name: string }>((i) => expired.push(i.name));
    const now = Date.now();
    const a = { deadline: now + 60, name: "a" };
    const b = { deadline: now + 20, name: "b" };
    const c = { deadline: now + 40, name: "c" };
    const never = { deadline: Infinity, name: "never" };
    q.add(a);
    q.add(b);
    q.add(c);
    q.add(never);
    q.delete(c);
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(expired, ["b", "a"]);
    assert.equal(q.size, 1);
    q.clear();
    assert.equal(q.size, 0);
  });

  it("a deadline beyond the timer range is waited for in steps, not fired after 1 ms", async () => {
    const expired: number[] = [];
    const q = new DeadlineQueue<{ deadline: number }>((i) => expired.push(i.deadline));
    q.add({ deadline: Date.now() + 3e9 });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(expired, []);
    q.clear();
  });

  it("raceDeadline: a time-out and an abort carry the phase; the abort's reason is the cause", async () => {
    const never = new Promise<void>(() => undefined);
    await assert.rejects(raceDeadline(never, Date.now() + 30, undefined, "connecting", 30, "connect"), (e: unknown) => e instanceof TimeoutError && e.phase === "connect" && /connecting timed out after 30 ms/.test(e.message));
    const ac = new AbortController();
    const p = raceDeadline(never, Infinity, ac.signal, "waiting", undefined, "connect");
    ac.abort("why");
    await assert.rejects(p, (e: unknown) => e instanceof RemotingError && e.code === ErrorCodes.ERR_ABORTED && e.cause === "why" && (e as { phase?: string }).phase === "connect");
    assert.equal(await raceDeadline(Promise.resolve(7), Date.now() + 1000, undefined, "x", 1000, "reply"), 7);
    const e = abortError(AbortSignal.abort(new Error("r")), "call 'm'", "reply");
    assert.equal(e.message, "call 'm' aborted");
    assert.equal((e.cause as Error).message, "r");
  });

  it("sleepUntil refuses a sleep that would pass the deadline", async () => {
    await assert.rejects(sleepUntil(500, Date.now() + 100, undefined, "backoff", 100), TimeoutError);
    const t0 = Date.now();
    await sleepUntil(20, Infinity, undefined, "backoff", undefined);
    assert.ok(Date.now() - t0 >= 15);
  });
});
