/**
 * HessianProxyFactory and HessianClient on the core's call path: every call
 * (oneway too) runs through the factory's interceptors and policies down to
 * the shared HTTP transport; deadlines beyond the timer range mean "no
 * timeout"; an abort is ERR_ABORTED; keyword arguments are refused before
 * sending; a call whose connection drops while the server runs it is never
 * re-sent silently; invocation metadata and the time left travel as headers.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { CommunicationError, ErrorCodes, MessageTooLargeError, RemotingError, TimeoutError, setMetadata, type Interceptor, type Invocation } from "../../../src/index.js";
import { createClient } from "../../../src/core/endpoints.js";
import { registerBuiltinEndpoints } from "../../../src/endpoints.js";
import { requestMayHaveRun } from "../../../src/core/errors.js";
import { HessianClient, HessianProxyFactory, HessianServiceExporter, createHessianHandler } from "../../../src/protocols/hessian/index.js";
import { startRelay } from "../../helpers/tcp-relay.js";
import { testPki } from "../conformance/protocols.js";

class Service {
  calls = 0;
  marked: unknown = undefined;
  echo(v: unknown): unknown {
    return v;
  }
  count(): number {
    return ++this.calls;
  }
  async slow(ms: number): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  }
  async slowCount(ms: number): Promise<number> {
    this.calls++;
    await new Promise((r) => setTimeout(r, ms));
    return this.calls;
  }
  async slowMark(ms: number, v: unknown): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    this.marked = v;
  }
}

/** A node:http server around the Hessian handler that records each request's headers. */
async function recordingServer(service: Service): Promise<{ url: string; headers: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const handler = createHessianHandler(service);
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    headers.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/svc`,
    headers,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("Hessian client on the core call path", () => {
  const service = new Service();
  let srv: Awaited<ReturnType<typeof recordingServer>>;
  const factories: HessianProxyFactory[] = [];
  const factory = (opts: Record<string, unknown> = {}): HessianProxyFactory => {
    const f = new HessianProxyFactory(srv.url, opts);
    factories.push(f);
    return f;
  };
  before(async () => {
    srv = await recordingServer(service);
  });
  after(async () => {
    for (const f of factories) await f.close();
    await srv.close();
  });

  it("timeoutMs 3e9 (beyond Node's timer range) means no time limit: a 300 ms call completes (it used to fail after ~49 ms)", async () => {
    const f = factory({ timeoutMs: "3e9" });
    assert.equal(await f.slow(300), 300);
    assert.equal(await factory().callRemote("slow", [300], { timeoutMs: 3e9 }), 300);
    const c = new HessianClient(srv.url, { timeoutMs: 3e9 });
    try {
      assert.equal(await c.invoke("slow", [300]), 300);
    } finally {
      await c.close();
    }
  });

  it("a finite time limit still fails with TimeoutError, phase reply", async () => {
    await assert.rejects(factory({ timeoutMs: "150ms" }).slow(2000), (err: unknown) => {
      assert.ok(err instanceof TimeoutError, String(err));
      assert.equal(err.phase, "reply");
      return true;
    });
  });

  it("an abort rejects at once with ERR_ABORTED and the signal's reason as cause (it used to be ERR_CLOSED)", async () => {
    const f = factory();
    const ac = new AbortController();
    const reason = new Error("enough");
    const pending = f.callRemote("slow", [3000], { signal: ac.signal });
    setTimeout(() => ac.abort(reason), 50);
    const t0 = Date.now();
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof RemotingError, String(err));
      assert.equal(err.code, ErrorCodes.ERR_ABORTED);
      assert.equal(err.cause, reason);
      return true;
    });
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(await f.echo("still usable"), "still usable");
  });

  it("keyword arguments are refused with ERR_NOT_SUPPORTED before anything is sent", async () => {
    const f = factory();
    const before = srv.headers.length;
    await assert.rejects(f.callRemote("count", [], { kwargs: { a: 1 } }), (err: unknown) => {
      assert.ok(err instanceof RemotingError, String(err));
      assert.equal(err.code, ErrorCodes.ERR_NOT_SUPPORTED);
      assert.equal(requestMayHaveRun(err), false);
      return true;
    });
    assert.equal(srv.headers.length, before, "a request was sent");
  });

  it("every call, oneway included, runs through the factory's interceptors, as protocol 'hessian' naming the URL", async () => {
    const seen: Array<Pick<Invocation, "protocol" | "service" | "method" | "oneway">> = [];
    const spy: Interceptor = (next) => (inv) => {
      seen.push({ protocol: inv.protocol, service: inv.service, method: inv.method, oneway: inv.oneway });
      return next(inv);
    };
    const f = factory({ interceptors: [spy] });
    assert.equal(await f.echo(1), 1);
    const t0 = Date.now();
    assert.equal(await f.callRemote("slowMark", [400, "oneway"], { oneway: true }), undefined);
    assert.ok(Date.now() - t0 < 300, "a oneway call waited for the method");
    assert.deepEqual(seen, [
      { protocol: "hessian", service: srv.url, method: "echo", oneway: false },
      { protocol: "hessian", service: srv.url, method: "slowMark", oneway: true },
    ]);
    const until = Date.now() + 3000;
    while (service.marked !== "oneway" && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(service.marked, "oneway");
  });

  it("invocation metadata travels as HTTP headers, with remoting-timeout = the milliseconds left when there is a deadline", async () => {
    const tag: Interceptor = (next) => (inv) => {
      setMetadata(inv, "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
      setMetadata(inv, "x-tenant", "blue");
      return next(inv);
    };
    const f = factory({ interceptors: [tag], timeoutMs: "5s" });
    assert.equal(await f.echo("m"), "m");
    const h = srv.headers.at(-1)!;
    assert.equal(h["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assert.equal(h["x-tenant"], "blue");
    const left = Number(h["remoting-timeout"]);
    assert.ok(left > 4000 && left <= 5000, `remoting-timeout ${String(h["remoting-timeout"])}`);
    assert.equal(h["content-type"], "x-application/hessian");
    await factory({ timeoutMs: "none" }).echo("n");
    assert.equal(srv.headers.at(-1)!["remoting-timeout"], undefined, "no deadline, no header");
  });

  it("metadata that would split the request head is refused before sending", async () => {
    const bad: Interceptor = (next) => (inv) => {
      setMetadata(inv, "x-bad", "a\r\nInjected: 1");
      return next(inv);
    };
    const before = srv.headers.length;
    await assert.rejects(factory({ interceptors: [bad] }).echo(1), (err: unknown) => (err as RemotingError).code === ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    assert.equal(srv.headers.length, before);
  });

  it("an http: URL from the endpoint registry gives a Hessian client with the factory's settings (maxReplySize with units)", async () => {
    registerBuiltinEndpoints();
    const c = await createClient(srv.url, { protocol: "hessian", settings: { maxReplySize: "1kB", hessianVersion: "1" }, timeoutMs: 5000 });
    try {
      assert.equal(c.protocol, "hessian");
      assert.equal(await c.invoke("echo", ["small"]), "small");
      await assert.rejects(c.invoke("echo", ["x".repeat(2000)]), MessageTooLargeError);
    } finally {
      await c.close();
    }
    await assert.rejects(createClient(srv.url, { protocol: "hessian", settings: { maxReplySize: "lots" } }), /maxReplySize/);
  });
});

describe("a link cut while the Hessian server runs a call", () => {
  it("fails the call (it may have run: phase send or reply) and never re-sends it: a non-idempotent method runs once, even with retries on", async (t) => {
    const service = new Service();
    const exporter = new HessianServiceExporter({ service, serviceHost: "127.0.0.1", servicePort: 0, path: "/cut" });
    await exporter.afterPropertiesSet();
    const relay = await startRelay(exporter.port!);
    const f = new HessianProxyFactory(`http://127.0.0.1:${relay.port}/cut`, { retryAttempts: 4, retryInitialBackoffMs: 10 });
    t.after(async () => {
      await f.close();
      await relay.close();
      await exporter.destroy();
    });
    assert.equal(await f.echo(1), 1);
    const call = f.slowCount(300);
    setTimeout(() => relay.cut(), 100);
    await assert.rejects(call, (err: unknown) => {
      assert.ok(err instanceof CommunicationError, String(err));
      // no reply byte had come: the transport cannot tell "sent" from "running", and says "send"
      assert.ok(err.phase === "send" || err.phase === "reply", `phase ${String(err.phase)}`);
      assert.equal(requestMayHaveRun(err), true);
      return true;
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(service.calls, 1, "the call ran more than once");
  });
});

describe("https: URLs use the same transport", () => {
  it("one TLS connection carries sequential calls; the client's certificate settings come from core/tls", async (t) => {
    const pki = await testPki();
    const exporter = new HessianServiceExporter({ service: new Service(), serviceHost: "127.0.0.1", servicePort: 0, tlsKey: pki.serverKey, tlsCert: pki.serverCert });
    await exporter.afterPropertiesSet();
    let tlsConnections = 0;
    (exporter as unknown as { server: http.Server }).server.on("secureConnection", (_s: Socket) => tlsConnections++);
    const f = new HessianProxyFactory(exporter.url, { ca: pki.ca });
    t.after(async () => {
      await f.close();
      await exporter.destroy();
    });
    for (let i = 0; i < 5; i++) assert.equal(await f.echo(i), i);
    assert.equal(tlsConnections, 1);
    assert.equal(f.tlsCa, pki.ca, "ca is the old name of tlsCa");
  });
});
