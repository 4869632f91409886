/**
 * Conformance: remote errors arrive as RemoteInvocationError with the type
 * the docs promise for that protocol (an error's name / pythonType /
 * javaClass), unknown methods and wrong argument counts are refused by the
 * server's service table before the method runs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RemoteInvocationError } from "../../../src/index.js";
import { ConformanceService, PROTOCOLS, type Served } from "./protocols.js";

for (const p of PROTOCOLS) {
  describe(`${p.name}: remote errors and arity`, () => {
    const service = new ConformanceService();
    let served: Served;
    before(async () => {
      served = await p.serve(service);
    });
    after(() => served.stop());

    it("an error thrown by the service arrives with its promised type and message", async () => {
      const f = p.factory(served.url);
      await assert.rejects(f.fail("bad value"), (err: unknown) => {
        assert.ok(err instanceof RemoteInvocationError, String(err));
        assert.match(err.remoteType, p.valueErrorType);
        assert.match(err.remoteMessage, /bad value/);
        return true;
      });
    });

    it("a method the service does not have is refused", async () => {
      const f = p.factory(served.url);
      await assert.rejects(f.noSuchMethod(1), (err: unknown) => {
        assert.ok(err instanceof RemoteInvocationError, String(err));
        assert.match(err.remoteType, p.unknownMethodType);
        return true;
      });
    });

    it("private names and Object internals are never callable", async () => {
      const f = p.factory(served.url);
      for (const m of ["_secret", "constructor", "__proto__", "toString"]) {
        await assert.rejects(f.callRemote(m, []), RemoteInvocationError, m);
      }
    });

    it("too few or too many arguments are refused before the method runs", async () => {
      const f = p.factory(served.url);
      const before = service.calls;
      for (const args of [[], [1, 2], [1, 2, 3]]) {
        await assert.rejects(f.callRemote("slowCount", args), (err: unknown) => {
          assert.ok(err instanceof RemoteInvocationError, String(err));
          assert.match(err.remoteType, p.arityType);
          return true;
        });
      }
      await assert.rejects(f.callRemote("add", [1]), (err: unknown) => err instanceof RemoteInvocationError && p.arityType.test(err.remoteType) && /add\(\)/.test(err.remoteMessage));
      assert.equal(service.calls, before, "a refused call ran");
      assert.equal(await f.add(2, 3), 5);
    });
  });
}
