/**
 * Conformance: a served method sees who called it and how, through
 * `callContext()`, under every protocol (also after an await).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { callContext } from "../../../src/index.js";
import { ConformanceService, PROTOCOLS, type Served } from "./protocols.js";

class ContextService extends ConformanceService {
  async context(): Promise<Record<string, unknown>> {
    const before = callContext();
    await new Promise((r) => setTimeout(r, 5));
    const c = callContext();
    return {
      same: before === c,
      protocol: c?.protocol ?? null,
      service: c?.service ?? null,
      method: c?.method ?? null,
      serializer: c?.serializer ?? null,
      clientAddress: c?.clientAddress ?? null,
      clientPort: c?.clientPort ?? null,
      deadlineLeft: c && Number.isFinite(c.deadline) ? c.deadline - Date.now() : null,
      oneway: c?.oneway ?? null,
      certificate: c?.clientCertificate ?? null,
    };
  }
}

for (const p of PROTOCOLS) {
  describe(`${p.name}: call context`, () => {
    let served: Served;
    before(async () => {
      served = await p.serve(new ContextService(), { name: "Ctx" });
    });
    after(() => served.stop());

    it("the method sees protocol, service, method, serializer, client address and the client's deadline", async () => {
      const f = p.factory(served.url, { timeoutMs: "4s" });
      const c = (await f.context()) as Record<string, unknown>;
      assert.equal(c["same"], true);
      assert.equal(c["protocol"], p.name);
      assert.equal(c["method"], "context");
      assert.equal(c["service"], "Ctx");
      assert.match(String(c["serializer"]), p.serializer);
      if (p.skip?.clientAddress === undefined) {
        assert.equal(c["clientAddress"], "127.0.0.1");
        assert.equal(typeof c["clientPort"], "number");
      } else {
        // no client socket on this protocol's server side (p.skip.clientAddress says why): none is made up
        assert.equal(c["clientAddress"], null);
        assert.equal(c["clientPort"], null);
      }
      assert.equal(c["oneway"], false);
      assert.equal(c["certificate"], null);
      const left = c["deadlineLeft"] as number;
      assert.ok(left > 2000 && left <= 4000, `deadline ${left} ms away`);
    });

    it("without a time limit the deadline is infinite", async () => {
      const f = p.factory(served.url, { timeoutMs: "none" });
      const c = (await f.context()) as Record<string, unknown>;
      assert.equal(c["deadlineLeft"], null);
    });

    it("outside a call there is no context", () => {
      assert.equal(callContext(), undefined);
    });
  });
}
