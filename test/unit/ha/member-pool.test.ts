/**
 * The high-availability pool over fake members: balancing policies,
 * ejection and re-admission by health pings, failover only when the call
 * cannot have run (or is idempotent), an immediate error naming every member
 * when none is left, members joining and leaving at run time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommunicationError, ConnectionClosedError, ErrorCodes, RemoteInvocationError, TimeoutError, compose, newInvocation, timeoutPolicy, type Invocation, type Invoker } from "../../../src/index.js";
import { MemberPool, NoMemberAvailableError } from "../../../src/core/ha/pool.js";

class Fake implements Invoker {
  calls = 0;
  pings = 0;
  closed = false;
  down: "refuse" | "drop" | undefined = undefined;
  delayMs = 0;
  constructor(readonly name: string) {}
  async dispatch(inv: Invocation): Promise<unknown> {
    if (inv.kind === "ping") {
      this.pings++;
      if (this.down) throw new CommunicationError("refused", ErrorCodes.ERR_CONNECTION_REFUSED, { phase: "connect" });
      return null;
    }
    this.calls++;
    if (this.down === "refuse") throw new CommunicationError(`${this.name} refused`, ErrorCodes.ERR_CONNECTION_REFUSED, { phase: "connect" });
    if (this.down === "drop") throw new ConnectionClosedError(`${this.name} dropped`, { phase: "reply" });
    if (this.delayMs && inv.method !== "quick") await new Promise((r) => setTimeout(r, this.delayMs));
    if (inv.method === "boom") throw new RemoteInvocationError({ remoteType: "ValueError", remoteMessage: "boom" });
    return this.name;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const call = (method = "m", options = {}) => newInvocation("test", "pool", method, [], options);

function pool(n: number, options: ConstructorParameters<typeof MemberPool>[0] = {}) {
  const p = new MemberPool({ ejectBaseMs: 20, ejectMaxMs: 40, ...options });
  const fakes = Array.from({ length: n }, (_, i) => new Fake(`m${i}`));
  fakes.forEach((f) => p.add(f.name, f));
  return { p, fakes };
}

describe("MemberPool", () => {
  it("round-robin spreads calls evenly", async () => {
    const { p, fakes } = pool(3);
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await p.dispatch(call()));
    assert.deepEqual(got, ["m0", "m1", "m2", "m0", "m1", "m2"]);
    assert.deepEqual(fakes.map((f) => f.calls), [2, 2, 2]);
    assert.deepEqual(p.stats().map((s) => s.calls), [2, 2, 2]);
  });

  it("random reaches every member; least-pending avoids the busy one", async () => {
    const r = pool(3, { policy: "random" });
    for (let i = 0; i < 60; i++) await r.p.dispatch(call());
    assert.ok(r.fakes.every((f) => f.calls > 5));
    const l = pool(2, { policy: "least-pending" });
    l.fakes[0]!.delayMs = 1500;
    // keep m0 busy: send slow calls until one is in flight there
    const slow: Array<Promise<unknown>> = [];
    while (l.p.stats()[0]!.pending === 0) slow.push(l.p.dispatch(call("slow")));
    // the slow calls that went to m1 answer at once: let them finish, so that only m0 is busy
    await new Promise((r) => setImmediate(r));
    const quick = [];
    for (let i = 0; i < 20; i++) quick.push(await l.p.dispatch(call("quick")));
    await Promise.all(slow);
    // with two members, both are drawn every time: the busy one is never picked while the other is idle
    assert.deepEqual(quick, Array(20).fill("m1"));
  });

  it("a member refusing connections is ejected and the call fails over: no call fails", async () => {
    const { p, fakes } = pool(3);
    fakes[1]!.down = "refuse";
    const got = [];
    for (let i = 0; i < 9; i++) got.push(await p.dispatch(call()));
    assert.ok(!got.includes("m1"));
    const s = p.stats().find((x) => x.id === "m1")!;
    assert.equal(s.state, "ejected");
    assert.equal(s.ejections, 1);
    assert.match(s.lastFailure!, /refused/);
  });

  it("a call that may have run is not sent elsewhere unless idempotent", async () => {
    const { p, fakes } = pool(2);
    fakes[0]!.down = "drop";
    await assert.rejects(p.dispatch(call("write")), ConnectionClosedError);
    assert.equal(fakes[1]!.calls, 0);
    const q = pool(2, { idempotentMethods: ["read"] });
    q.fakes[0]!.down = "drop";
    assert.equal(await q.p.dispatch(call("read")), "m1");
    const r = pool(2);
    r.fakes[0]!.down = "drop";
    assert.equal(await r.p.dispatch(call("any", { idempotent: true })), "m1");
  });

  it("a remote error is the caller's and ejects nobody", async () => {
    const { p } = pool(2);
    await assert.rejects(p.dispatch(call("boom")), RemoteInvocationError);
    assert.ok(p.stats().every((s) => s.state === "healthy"));
  });

  it("with every member down the call fails at once, naming each member and its last failure", async () => {
    const { p, fakes } = pool(3);
    for (const f of fakes) f.down = "refuse";
    const t0 = Date.now();
    await assert.rejects(
      compose((inv) => p.dispatch(inv), timeoutPolicy(30_000))(call()),
      (err: unknown) => {
        assert.ok(err instanceof NoMemberAvailableError);
        assert.equal(err.code, ErrorCodes.ERR_NO_MEMBER_AVAILABLE);
        assert.equal(err.phase, "connect");
        for (const f of fakes) assert.match(err.message, new RegExp(`${f.name} \\(ejected: ${f.name} refused\\)`));
        return true;
      },
    );
    assert.ok(Date.now() - t0 < 500);
    await assert.rejects(p.dispatch(call()), NoMemberAvailableError);
  });

  it("an ejected member is pinged with backoff and re-admitted when it answers", async () => {
    const { p, fakes } = pool(2, { ejectBaseMs: 30, ejectMaxMs: 60 });
    fakes[0]!.down = "refuse";
    await p.dispatch(call());
    assert.equal(p.stats()[0]!.state, "ejected");
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(fakes[0]!.pings >= 1);
    fakes[0]!.down = undefined;
    const until = Date.now() + 2000;
    while (p.stats()[0]!.state !== "healthy" && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(p.stats()[0]!.state, "healthy");
    const got = new Set();
    for (let i = 0; i < 4; i++) got.add(await p.dispatch(call()));
    assert.ok(got.has("m0"));
    await p.close();
  });

  it("members join and leave at run time; a leaving member's client closes once its calls are done", async () => {
    const { p, fakes } = pool(1);
    const extra = new Fake("late");
    p.add("late", extra);
    const seen = new Set();
    for (let i = 0; i < 4; i++) seen.add(await p.dispatch(call()));
    assert.deepEqual([...seen].sort(), ["late", "m0"]);
    fakes[0]!.delayMs = 100;
    const pending = p.dispatch(call());
    const inFlight = fakes[0]!.calls;
    assert.ok(inFlight > 0);
    p.remove("m0");
    assert.equal(fakes[0]!.closed, false);
    assert.equal(await pending, "m0");
    assert.equal(fakes[0]!.closed, true);
    for (let i = 0; i < 3; i++) assert.equal(await p.dispatch(call()), "late");
    await p.close();
    assert.equal(extra.closed, true);
  });

  it("the deadline covers every failover attempt", async () => {
    // members that take 80 ms to refuse, each honouring the call's deadline as real transports do
    const slowRefuser = (name: string): Invoker => ({
      async dispatch(inv: Invocation) {
        const left = inv.deadline - Date.now();
        await new Promise((r) => setTimeout(r, Math.min(80, Math.max(0, left))));
        if (left < 80) throw new TimeoutError(`${name} timed out`, inv.timeoutMs, { phase: "connect" });
        throw new CommunicationError(`${name} refused`, ErrorCodes.ERR_CONNECTION_REFUSED, { phase: "connect" });
      },
      close: async () => undefined,
    });
    const p = new MemberPool();
    for (const n of ["a", "b", "c"]) p.add(n, slowRefuser(n));
    const t0 = Date.now();
    await assert.rejects(compose((inv) => p.dispatch(inv), timeoutPolicy(100))(call()), (err: unknown) => err instanceof TimeoutError);
    const took = Date.now() - t0;
    assert.ok(took >= 90 && took < 200, `took ${took} ms for three members of 80 ms each under a 100 ms deadline`);
    await p.close();
  });
});

describe("MemberPool round-robin order", () => {
  it("a member ejected in the middle of a round leaves the order of the others intact", async () => {
    const p = new MemberPool({ ejectBaseMs: 10_000 });
    const fakes = Array.from({ length: 5 }, (_, i) => new Fake(`m${i}`));
    fakes.forEach((f) => p.add(f.name, f));
    for (let i = 0; i < 2; i++) await p.dispatch(call());
    fakes[2]!.down = "refuse";
    const got = [];
    for (let i = 0; i < 8; i++) got.push(await p.dispatch(call()));
    // m2 refuses: its call moves to m3, and the rotation goes on m4, m0, m1, m3, ...
    assert.deepEqual(got, ["m3", "m4", "m0", "m1", "m3", "m4", "m0", "m1"]);
    await p.close();
  });
});
