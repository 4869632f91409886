import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TimeoutError } from "../../../src/core/errors.js";
import { XmlRpcClient, XmlRpcServer } from "../../../src/protocols/xmlrpc/index.js";

// The client watches every call in flight with one timer armed for the
// earliest deadline: each call must still time out after its own timeout.
describe("client timeouts with several calls in flight", () => {
  let server: XmlRpcServer;
  const pending = new Set<() => void>();

  before(async () => {
    server = new XmlRpcServer({ host: "127.0.0.1", port: 0, logRequests: false });
    // Answers after `ms` (bounded), so that calls stay in flight.
    server.registerFunction(
      (ms: number) =>
        new Promise((resolve) => {
          const done = () => {
            pending.delete(done);
            clearTimeout(timer);
            resolve(ms);
          };
          const timer = setTimeout(done, Math.min(ms, 5000));
          pending.add(done);
        }),
      "sleep",
    );
    await server.listen();
  });

  after(async () => {
    for (const done of [...pending]) done();
    await server.close();
  });

  it("times out a short call started after a long one on time, and the long one after its own timeout", async () => {
    const c = new XmlRpcClient(`http://127.0.0.1:${server.port}/RPC2`);
    try {
      const t0 = Date.now();
      const long = c.callRemote("sleep", [3000], { timeoutMs: 700 }).then(
        () => assert.fail("the long call should time out"),
        (err: unknown) => ({ err, at: Date.now() - t0 }),
      );
      const short = c.callRemote("sleep", [3000], { timeoutMs: 150 }).then(
        () => assert.fail("the short call should time out"),
        (err: unknown) => ({ err, at: Date.now() - t0 }),
      );
      const quick = await c.callRemote("sleep", [10], { timeoutMs: 2000 });
      assert.equal(quick, 10);
      const s = await short;
      assert.ok(s.err instanceof TimeoutError && s.err.timeoutMs === 150, String(s.err));
      assert.ok(s.at >= 145 && s.at < 600, `short call timed out after ${s.at} ms`);
      const l = await long;
      assert.ok(l.err instanceof TimeoutError && l.err.timeoutMs === 700, String(l.err));
      assert.ok(l.at >= 695 && l.at < 1500, `long call timed out after ${l.at} ms`);
    } finally {
      await c.close();
    }
  });

  it("answers calls that finish before their deadline, then times out a later one", async () => {
    const c = new XmlRpcClient(`http://127.0.0.1:${server.port}/RPC2`, { timeoutMs: 300 });
    try {
      const values = await Promise.all([1, 2, 3, 4].map((ms) => c.sleep(ms)));
      assert.deepEqual(values, [1, 2, 3, 4]);
      const t0 = Date.now();
      await assert.rejects(c.sleep(3000), (err: unknown) => err instanceof TimeoutError && err.timeoutMs === 300);
      const took = Date.now() - t0;
      assert.ok(took >= 295 && took < 1000, `timed out after ${took} ms`);
    } finally {
      await c.close();
    }
  });
});
