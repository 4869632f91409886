/**
 * Conformance: oneway calls are honoured by every protocol (the caller does
 * not wait, the method still runs), and keyword arguments either reach the
 * method (Pyro) or are refused before sending with ERR_NOT_SUPPORTED.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ErrorCodes, RemotingError } from "../../../src/index.js";
import { ConformanceService, PROTOCOLS, type Served } from "./protocols.js";

for (const p of PROTOCOLS) {
  describe(`${p.name}: oneway and keyword arguments`, () => {
    const service = new ConformanceService();
    let served: Served;
    before(async () => {
      served = await p.serve(service);
    });
    after(() => served.stop());

    it("a oneway call resolves without waiting for the method, which still runs", async () => {
      const f = p.factory(served.url);
      assert.equal(await f.echo("warm"), "warm");
      const t0 = Date.now();
      const v = await f.callRemote("slowMark", [600, "done"], { oneway: true });
      const took = Date.now() - t0;
      assert.ok(took < 400, `a oneway call waited ${took} ms`);
      assert.ok(v === null || v === undefined);
      const until = Date.now() + 5000;
      while (service.marked !== "done" && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.equal(service.marked, "done");
    });

    if (p.kwargs) {
      it("keyword arguments reach the method", async () => {
        const f = p.factory(served.url);
        // without declared parameter names they arrive as one trailing object
        assert.deepEqual(await f.callRemote("echo", [], { kwargs: { a: 1 } }), { a: 1 });
      });
    } else {
      it("keyword arguments are refused before anything is sent (ERR_NOT_SUPPORTED)", async () => {
        const f = p.factory(served.url);
        const before = service.calls;
        await assert.rejects(f.callRemote("count", [], { kwargs: { a: 1 } }), (err: unknown) => {
          assert.ok(err instanceof RemotingError);
          assert.equal(err.code, ErrorCodes.ERR_NOT_SUPPORTED);
          return true;
        });
        assert.equal(service.calls, before);
      });
    }
  });
}
