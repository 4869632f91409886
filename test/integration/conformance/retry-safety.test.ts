/**
 * Conformance: a call is re-sent only when it cannot have run, unless its
 * method is idempotent. A link cut while the server runs a call must not
 * make a non-idempotent method run twice, whatever the retry settings; a
 * refused connection is retried; errors say how far the call got.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { CommunicationError, ErrorCodes, type Interceptor } from "../../../src/index.js";
import { requestMayHaveRun } from "../../../src/core/errors.js";
import { startRelay, type Relay } from "../../helpers/tcp-relay.js";
import { ConformanceService, PROTOCOLS, type Served } from "./protocols.js";

/** The URL with its port replaced (the relay's). */
function viaPort(url: string, port: number): string {
  return url.replace(/:(\d+)(?=[/]|$)/, `:${port}`);
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

for (const p of PROTOCOLS) {
  describe(`${p.name}: retry safety`, () => {
    const service = new ConformanceService();
    let served: Served;
    let relay: Relay;
    before(async () => {
      served = await p.serve(service);
      const port = Number(/:(\d+)(?=[/]|$)/.exec(served.url)![1]);
      relay = await startRelay(port);
    });
    after(async () => {
      await relay.close();
      await served.stop();
    });

    it("a link cut while the server runs a call fails it (phase reply) and it ran once, even with retries on", async () => {
      const f = p.factory(viaPort(served.url, relay.port), { retryAttempts: "4", retryInitialBackoffMs: "10" });
      assert.equal(await f.echo(1), 1);
      const before = service.calls;
      const call = f.slowCount(400);
      setTimeout(() => relay.cut(), 150);
      await assert.rejects(call, (err: unknown) => {
        assert.ok(err instanceof CommunicationError, String(err));
        assert.equal(err.phase === "reply" || err.phase === "send", true, `phase ${String(err.phase)}`);
        assert.equal(requestMayHaveRun(err), true);
        return true;
      });
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(service.calls, before + 1, "the call ran more than once");
    });

    it("an idempotent method is re-sent after the cut and succeeds", async () => {
      const f = p.factory(viaPort(served.url, relay.port), { retryAttempts: "3", retryInitialBackoffMs: "10", idempotentMethods: "slowCount,echo" });
      assert.equal(await f.echo(1), 1);
      const before = service.calls;
      const call = f.slowCount(300);
      setTimeout(() => relay.cut(), 100);
      assert.equal(typeof (await call), "number");
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(service.calls, before + 2);
    });

    it("a refused connection cannot have run (phase connect) and is retried up to retryAttempts", async () => {
      const port = await closedPort();
      const attempts: number[] = [];
      const spy: Interceptor = (next) => (inv) => {
        return next(inv).finally(() => attempts.push(inv.attempt));
      };
      const f = p.factory(viaPort(served.url, port), { retryAttempts: "3", retryInitialBackoffMs: "5" });
      (f as unknown as { interceptors: Interceptor[] }).interceptors = [spy];
      await assert.rejects(f.count(), (err: unknown) => {
        assert.ok(err instanceof CommunicationError, String(err));
        assert.equal(err.code, ErrorCodes.ERR_CONNECTION_REFUSED);
        assert.equal(err.phase, "connect");
        assert.equal(requestMayHaveRun(err), false);
        return true;
      });
      // the application's interceptors run once per call, outside the retries: it sees the last attempt
      assert.deepEqual(attempts, [3]);
    });

    it("without retries a refused connection fails at once", async () => {
      const port = await closedPort();
      const f = p.factory(viaPort(served.url, port));
      const t0 = Date.now();
      await assert.rejects(f.count(), (err: unknown) => err instanceof CommunicationError && err.code === ErrorCodes.ERR_CONNECTION_REFUSED);
      assert.ok(Date.now() - t0 < 2000);
    });
  });
}
