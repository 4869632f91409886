/**
 * Conformance: deadlines and cancellation behave the same under every
 * protocol (core/deadline): one TimeoutError type, huge values mean "no
 * timeout" without burning CPU, and an abort is ERR_ABORTED with the signal's
 * reason as cause.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ErrorCodes, RemotingError, TimeoutError } from "../../../src/index.js";
import { ConformanceService, PROTOCOLS, type Served } from "./protocols.js";

for (const p of PROTOCOLS) {
  describe(`${p.name}: deadlines and abort`, () => {
    const service = new ConformanceService();
    let served: Served;
    before(async () => {
      served = await p.serve(service);
    });
    after(() => served.stop());

    it("a call past its time limit fails with TimeoutError (phase reply) close to the limit", async () => {
      const f = p.factory(served.url, { timeoutMs: "200" });
      const t0 = Date.now();
      await assert.rejects(f.slow(3000), (err: unknown) => {
        assert.ok(err instanceof TimeoutError, String(err));
        assert.equal((err as TimeoutError).code, ErrorCodes.ERR_TIMEOUT);
        assert.equal((err as TimeoutError).phase, "reply");
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took >= 150 && took < 2000, `timed out after ${took} ms`);
      await (f as unknown as { [k: symbol]: () => Promise<void> })[Symbol.for("remoting.proxyFactory.release")]!();
    });

    it("a time limit given with the call replaces the factory's", async () => {
      const f = p.factory(served.url, { timeoutMs: "5000" });
      await assert.rejects(f.callRemote("slow", [3000], { timeoutMs: 150 }), TimeoutError);
      assert.equal(await f.callRemote("slow", [50], { timeoutMs: 2000 }), 50);
    });

    for (const huge of ["3e9", String(2 ** 31), "Infinity", "0", "none"]) {
      it(`timeoutMs ${huge} means no time limit: calls complete and no timer spins`, async () => {
        const f = p.factory(served.url, { timeoutMs: huge });
        assert.equal(await f.echo("warm"), "warm");
        const cpu0 = process.cpuUsage();
        const t0 = Date.now();
        assert.equal(await f.slow(400), 400);
        const wall = Date.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        // the server runs in this process too; a timer re-armed every millisecond would cost far more
        assert.ok((cpu.user + cpu.system) / 1000 < wall * 0.5, `cpu ${(cpu.user + cpu.system) / 1000} ms during a ${wall} ms wait`);
      });
    }

    it("a per-call time limit beyond the timer range means no time limit", async () => {
      const f = p.factory(served.url);
      assert.equal(await f.callRemote("slow", [100], { timeoutMs: 3e9 }), 100);
    });

    it("aborting a call in flight rejects at once with ERR_ABORTED and the signal's reason as cause", async () => {
      const f = p.factory(served.url);
      assert.equal(await f.echo(1), 1);
      const ac = new AbortController();
      const reason = new Error("user gave up");
      const t0 = Date.now();
      const call = f.callRemote("slow", [3000], { signal: ac.signal });
      setTimeout(() => ac.abort(reason), 100);
      await assert.rejects(call, (err: unknown) => {
        assert.ok(err instanceof RemotingError, String(err));
        assert.equal((err as RemotingError).code, ErrorCodes.ERR_ABORTED);
        assert.equal((err as Error).cause, reason);
        return true;
      });
      assert.ok(Date.now() - t0 < 1500);
      // the proxy stays usable
      assert.equal(await f.echo(2), 2);
    });

    it("an already-aborted signal sends nothing: ERR_ABORTED, phase connect, the method does not run", async () => {
      const f = p.factory(served.url);
      const before = service.calls;
      await assert.rejects(f.callRemote("count", [], { signal: AbortSignal.abort("no") }), (err: unknown) => {
        assert.equal((err as RemotingError).code, ErrorCodes.ERR_ABORTED);
        assert.equal((err as { phase?: string }).phase, "connect");
        assert.equal((err as Error).cause, "no");
        return true;
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(service.calls, before);
    });

    it("a negative or unreadable time limit is refused before anything is sent", async () => {
      const f = p.factory(served.url);
      await assert.rejects(f.callRemote("echo", [1], { timeoutMs: -5 }), (err: unknown) => (err as RemotingError).code === ErrorCodes.ERR_INVALID_ARGUMENT);
      assert.throws(() => {
        (f as unknown as { timeoutMs: unknown }).timeoutMs = "soon";
      }, /timeoutMs must be a duration/);
    });
  });
}
