/**
 * The client call stack: interceptors in order around one dispatch, the
 * timeout policy (the outermost limit wins, covering every attempt), and the
 * retry policy's safety rule (re-send only what cannot have run, unless
 * idempotent), with backoff inside the deadline.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommunicationError, ConnectionClosedError, ErrorCodes, RemoteInvocationError, TimeoutError, compose, newInvocation, retryPolicy, timeoutPolicy, type Interceptor, type Invocation } from "../../../src/index.js";
import { backoffMs, mayRetry } from "../../../src/core/policies/retry.js";
import { policyInterceptors } from "../../../src/core/policies/index.js";

const inv = (method = "m", options = {}): Invocation => newInvocation("test", "svc", method, [1], options);

describe("the call stack", () => {
  it("compose runs interceptors outermost first, each once, around the dispatch", async () => {
    const seen: string[] = [];
    const tag = (name: string): Interceptor => (next) => async (i) => {
      seen.push(`${name}>`);
      const r = await next(i);
      seen.push(`<${name}`);
      return r;
    };
    const call = compose(async (i) => `${i.method}(${i.args.join()})`, tag("a"), undefined, tag("b"));
    assert.equal(await call(inv()), "m(1)");
    assert.deepEqual(seen, ["a>", "b>", "<b", "<a"]);
  });

  it("the timeout policy sets a deadline only where none is set; the outermost wins", async () => {
    let got: Invocation | undefined;
    const call = compose(async (i) => (got = i), timeoutPolicy(1000), timeoutPolicy(5));
    const t0 = Date.now();
    await call(inv());
    assert.equal(got!.timeoutMs, 1000);
    assert.ok(Math.abs(got!.deadline - (t0 + 1000)) < 50);
    await call(inv("m", { timeoutMs: 50 }));
    assert.equal(got!.timeoutMs, 50);
    await call(inv("m", { timeoutMs: 3e9 }));
    assert.equal(got!.deadline, Infinity);
    assert.throws(() => timeoutPolicy(-1), (e: unknown) => (e as { code?: string }).code === ErrorCodes.ERR_INVALID_ARGUMENT);
  });

  it("retries a call that cannot have run, up to the attempts, with growing backoff", async () => {
    const attempts: number[] = [];
    const call = compose(
      async (i) => {
        attempts.push(i.attempt);
        if (i.attempt < 3) throw new CommunicationError("refused", ErrorCodes.ERR_CONNECTION_REFUSED, { phase: "connect" });
        return "ok";
      },
      timeoutPolicy(5000),
      retryPolicy({ attempts: 4, initialBackoffMs: 5 }),
    );
    assert.equal(await call(inv()), "ok");
    assert.deepEqual(attempts, [1, 2, 3]);
  });

  it("never re-sends a call that may have run, unless the call or its method is idempotent", async () => {
    let runs = 0;
    const dropped = async () => {
      runs++;
      throw new ConnectionClosedError("reset while running", { phase: "reply" });
    };
    await assert.rejects(compose(dropped, retryPolicy({ attempts: 3, initialBackoffMs: 1 }))(inv()), ConnectionClosedError);
    assert.equal(runs, 1);
    runs = 0;
    await assert.rejects(compose(dropped, retryPolicy({ attempts: 3, initialBackoffMs: 1, idempotentMethods: ["m"] }))(inv()), ConnectionClosedError);
    assert.equal(runs, 3);
    runs = 0;
    await assert.rejects(compose(dropped, retryPolicy({ attempts: 2, initialBackoffMs: 1 }))(inv("other", { idempotent: true })), ConnectionClosedError);
    assert.equal(runs, 2);
  });

  it("never retries remote errors or time-outs, and gives up when the backoff would pass the deadline", async () => {
    const i = inv();
    assert.equal(mayRetry(i, new RemoteInvocationError({ remoteType: "ValueError", remoteMessage: "x" }), new Set(["m"])), false);
    assert.equal(mayRetry(i, new TimeoutError("t", 1, { phase: "connect" }), new Set(["m"])), false);
    let runs = 0;
    const call = compose(
      async () => {
        runs++;
        throw new CommunicationError("refused", ErrorCodes.ERR_CONNECTION_REFUSED, { phase: "connect" });
      },
      timeoutPolicy(100),
      retryPolicy({ attempts: 10, initialBackoffMs: 60, multiplier: 2, jitter: 0 }),
    );
    const t0 = Date.now();
    await assert.rejects(call(inv()), CommunicationError);
    assert.ok(Date.now() - t0 < 300);
    assert.equal(runs, 2);
  });

  it("backoff grows by the multiplier up to the maximum, with jitter taken off", () => {
    const o = { attempts: 5, initialBackoffMs: 100, maxBackoffMs: 350, multiplier: 2, jitter: 0.5 };
    assert.equal(backoffMs(1, o, () => 0), 100);
    assert.equal(backoffMs(2, o, () => 0), 200);
    assert.equal(backoffMs(3, o, () => 0), 350);
    assert.equal(backoffMs(2, o, () => 1), 100);
  });

  it("policies come in the documented order: tracing, logging, timeout, the application's, retry", () => {
    const mine: Interceptor = (next) => next;
    const list = policyInterceptors({ timeoutMs: 10, logCalls: true, tracing: true, interceptors: [mine], retry: { attempts: 2 } });
    assert.equal(list.length, 5);
    assert.equal(list[3], mine);
    assert.equal(policyInterceptors({ tracing: false }).length, 1);
  });
});
