/**
 * The Pyro4 client and daemon on the core's call path: every client entry
 * point runs through the interceptors, the daemon serves through the
 * ServiceTable (arity, call context, deadlines), errors say how far a call
 * got, and every option is parsed by the core parsers.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { PyroServiceExporter } from "../../../src/protocols/pyro4/exporter.js";
import { PyroProxyFactory } from "../../../src/protocols/pyro4/proxy-factory.js";
import { createEndpointClient } from "../../../src/protocols/pyro4/endpoint.js";
import { encodeMessage, FrameReader, MSG_CONNECT, MSG_CONNECTOK, MSG_INVOKE, MSG_RESULT, FLAGS_EXCEPTION, FLAGS_ONEWAY, type PyroMessage } from "../../../src/protocols/pyro4/message.js";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { CommunicationError, ConfigError, ConnectionClosedError, ErrorCodes, RemoteInvocationError, RemotingError, SecurityError, TimeoutError } from "../../../src/core/errors.js";
import { callContext, type CallContext } from "../../../src/core/server/call-context.js";
import type { Interceptor, Invocation } from "../../../src/core/invocation.js";
import type { ServerInterceptor } from "../../../src/core/server/service-table.js";
import { setLogSink } from "../../../src/core/logging.js";
import { makePki, type TestPki } from "./pki.js";
import { TestService, closedTcpPort } from "./support.js";

/** A service that reports what it sees of its call. */
class ContextService extends TestService {
  ran = 0;
  context(): Record<string, unknown> {
    const c = callContext() as CallContext;
    const ann = c.annotations ?? new Map<string, Uint8Array>();
    return {
      protocol: c.protocol,
      service: c.service,
      method: c.method,
      serializer: c.serializer ?? null,
      correlationId: c.correlationId ?? null,
      annotations: [...ann.keys()].sort(),
      xtra: ann.get("XTRA") ? Buffer.from(ann.get("XTRA")!).toString("utf8") : null,
      metadata: Object.fromEntries(c.metadata),
      clientAddress: c.clientAddress ?? null,
      clientPort: c.clientPort ?? null,
      deadlineLeft: Number.isFinite(c.deadline) ? c.deadline - Date.now() : null,
      oneway: c.oneway,
      subject: c.clientCertificate?.subject ?? null,
    };
  }
  seen: Record<string, unknown> | undefined = undefined;
  record(): void {
    this.seen = this.context();
  }
  async countSlowly(ms: number): Promise<number> {
    this.ran++;
    await sleep(ms);
    return this.ran;
  }
  fail_named(message: string): never {
    throw Object.assign(new Error(message), { name: "ValueError" });
  }
}

async function daemonWith(t: TestContext, service: object, options: ConstructorParameters<typeof PyroDaemon>[0] = {}): Promise<PyroDaemon> {
  const d = new PyroDaemon({ host: "127.0.0.1", ...options });
  await d.listen();
  d.register(service, "svc", { oneway: ["record"] });
  t.after(() => d.close());
  return d;
}

function proxy(t: TestContext, uri: string, options: ConstructorParameters<typeof PyroProxy>[1] = {}): PyroProxy {
  const p = new PyroProxy(uri, { timeoutMs: 5000, ...options });
  t.after(() => p.close());
  return p;
}

test("an interceptor sees every entry point as an invocation: calls with kwargs, callObject, getattr, setattr, batch, ping, stream steps, oneway", async (t) => {
  const d = await daemonWith(t, new ContextService());
  const seen: Array<[string, string, string | null, number, boolean]> = [];
  const spy: Interceptor = (next) => (inv: Invocation) => {
    seen.push([inv.kind, inv.method, inv.target ?? null, inv.args.length, inv.oneway]);
    return next(inv);
  };
  const p = proxy(t, d.uriFor("svc"), { interceptors: [spy] });
  assert.deepEqual(await p.callKw("kw", [1], { x: 2 }), [1, { x: 2 }]);
  assert.equal(await p.callObject("Pyro.Daemon", "ping"), null);
  assert.equal(await p.getAttr("label"), "initial");
  await p.setAttr("label", "changed");
  assert.deepEqual(await p.batch().call("echo", 1).call("add", 2, 3).execute(), [1, 5]);
  await p.ping();
  const items: unknown[] = [];
  for await (const x of (await p.invoke("count", [2])) as AsyncIterable<unknown>) items.push(x);
  assert.deepEqual(items, [0, 1]);
  await p.oneway("increment");
  assert.deepEqual(seen, [
    ["call", "kw", null, 1, false],
    ["call", "ping", "Pyro.Daemon", 0, false],
    ["getattr", "label", null, 0, false],
    ["setattr", "label", null, 1, false],
    ["batch", "<batch>", null, 2, false],
    ["ping", "ping", null, 0, false],
    ["call", "count", null, 1, false],
    ["stream", "get_next_stream_item", "Pyro.Daemon", 1, false],
    ["stream", "get_next_stream_item", "Pyro.Daemon", 1, false],
    ["stream", "get_next_stream_item", "Pyro.Daemon", 1, false],
    ["call", "increment", null, 0, true],
  ]);
});

test("the metadata an interceptor adds and the client's time limit reach callContext(); without a limit the deadline is infinite", async (t) => {
  const svc = new ContextService();
  const d = await daemonWith(t, svc);
  const tag: Interceptor = (next) => (inv) => {
    (inv.metadata ??= {})["x-tenant"] = "blue";
    return next(inv);
  };
  const p = proxy(t, d.uriFor("svc"), { interceptors: [tag], timeoutMs: "3s" });
  const c = (await p.invoke("context")) as Record<string, unknown>;
  assert.equal(c["protocol"], "pyro4");
  assert.equal(c["service"], "svc");
  assert.equal(c["method"], "context");
  assert.equal(c["serializer"], "serpent");
  assert.equal((c["metadata"] as Record<string, string>)["x-tenant"], "blue");
  assert.ok((c["annotations"] as string[]).includes("RMTD"));
  const left = c["deadlineLeft"] as number;
  assert.ok(left > 2000 && left <= 3000, `deadline ${left} ms away`);
  assert.equal(c["clientAddress"], "127.0.0.1");
  assert.equal(c["oneway"], false);
  // metadata given with the call, over json (the general path)
  const j = proxy(t, d.uriFor("svc"), { serializer: "json", timeoutMs: "none" });
  const cj = (await j.invoke("context", [], { metadata: { "x-request": "r1" } })) as Record<string, unknown>;
  assert.equal(cj["serializer"], "json");
  assert.deepEqual(cj["metadata"], { "x-request": "r1" });
  assert.equal(cj["deadlineLeft"], null);
  // no metadata and no limit: no annotation at all
  const bare = proxy(t, d.uriFor("svc"), { timeoutMs: 0 });
  const cb = (await bare.invoke("context")) as Record<string, unknown>;
  assert.deepEqual(cb["annotations"], []);
  assert.deepEqual(cb["metadata"], {});
  // a oneway call is served with oneway set
  await p.oneway("record");
  const until = Date.now() + 3000;
  while (svc.seen === undefined && Date.now() < until) await sleep(10);
  assert.equal(svc.seen?.["oneway"], true);
});

/** A raw client: writes frames, collects decoded replies. */
async function rawClient(t: TestContext, port: number): Promise<{ s: Socket; next: () => Promise<PyroMessage> }> {
  const s = connect(port, "127.0.0.1");
  await new Promise<void>((r) => s.once("connect", () => r()));
  t.after(() => s.destroy());
  const reader = new FrameReader();
  const queue: PyroMessage[] = [];
  const waiters: Array<(m: PyroMessage) => void> = [];
  s.on("data", (c) => {
    for (const m of reader.push(c)) {
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    }
  });
  const next = () => new Promise<PyroMessage>((r) => (queue.length ? r(queue.shift()!) : waiters.push(r)));
  return { s, next };
}

test("the call context on the wire: CORR as a UUID, the request's annotations, the client's port, the sent time limit", async (t) => {
  const d = await daemonWith(t, new ContextService());
  const serpent = getSerializer("serpent");
  const c = await rawClient(t, d.port!);
  c.s.write(encodeMessage(MSG_CONNECT, serpent.dumps({ handshake: "hello" }), { seq: 1, serializerId: 1 }));
  assert.equal((await c.next()).type, MSG_CONNECTOK);
  const corr = Buffer.from("00112233445566778899aabbccddeeff", "hex");
  const ann = new Map([
    ["CORR", corr],
    ["XTRA", Buffer.from("hello")],
    ["RMTD", Buffer.from(JSON.stringify({ "remoting-timeout": "1500", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }))],
  ]);
  // one plain frame per write: the daemon's fast path
  c.s.write(encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "context", [], {}), { seq: 2, serializerId: 1, annotations: ann }));
  const r = await c.next();
  assert.equal(r.type, MSG_RESULT);
  assert.deepEqual(r.annotations.get("CORR"), corr);
  const ctx = serpent.loads(r.data) as Record<string, unknown>;
  assert.equal(ctx["correlationId"], "00112233-4455-6677-8899-aabbccddeeff");
  assert.deepEqual(ctx["annotations"], ["CORR", "RMTD", "XTRA"]);
  assert.equal(ctx["xtra"], "hello");
  assert.equal(ctx["clientPort"], c.s.localPort);
  assert.equal((ctx["metadata"] as Record<string, string>)["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const left = ctx["deadlineLeft"] as number;
  assert.ok(left > 1000 && left <= 1500, `deadline ${left} ms away`);
  // the same through the general path (two frames in one write), and malformed metadata is ignored
  const bad = new Map([["RMTD", Buffer.from("{not json")]]);
  c.s.write(
    Buffer.concat([
      encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "context", [], {}), { seq: 3, serializerId: 1, annotations: ann }),
      encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "context", [], {}), { seq: 4, serializerId: 1, annotations: bad }),
    ]),
  );
  const g = serpent.loads((await c.next()).data) as Record<string, unknown>;
  assert.equal(g["correlationId"], "00112233-4455-6677-8899-aabbccddeeff");
  assert.equal(g["xtra"], "hello");
  const b = serpent.loads((await c.next()).data) as Record<string, unknown>;
  assert.deepEqual(b["metadata"], {});
  assert.equal(b["deadlineLeft"], null);
});

test("a wrong argument count is Python's TypeError, on the fast path and the general path, and the method does not run", async (t) => {
  const svc = new ContextService();
  const d = await daemonWith(t, svc);
  for (const serializer of ["serpent", "json"] as const) {
    const p = proxy(t, d.uriFor("svc"), { serializer });
    await assert.rejects(p.invoke("get_data", []), (e: unknown) => {
      assert.ok(e instanceof RemoteInvocationError, String(e));
      assert.equal(e.remoteType, "TypeError");
      assert.equal(e.remoteMessage, "get_data() missing 1 required positional argument: 'param'");
      return true;
    });
    await assert.rejects(p.invoke("get_data", [1, 2]), (e: unknown) => e instanceof RemoteInvocationError && e.remoteType === "TypeError" && e.remoteMessage === "get_data() takes 1 positional argument but 2 were given");
    await assert.rejects(p.invoke("countSlowly", []), (e: unknown) => e instanceof RemoteInvocationError && e.remoteType === "TypeError");
    assert.equal(await p.invoke("get_data", ["x"]), "You got remote data => x");
  }
  assert.equal(svc.ran, 0);
});

test("an Error whose name is a Python builtin arrives as that class, not Exception", async (t) => {
  const d = await daemonWith(t, new ContextService());
  const p = proxy(t, d.uriFor("svc"));
  await assert.rejects(p.invoke("fail_named", ["bad value"]), (e: unknown) => e instanceof RemoteInvocationError && e.remoteType === "ValueError" && e.remoteMessage === "bad value");
});

test("the daemon does not run a call whose client's time limit passed while it waited its turn", async (t) => {
  const svc = new ContextService();
  // one call at a time per connection, as a Pyro4 daemon: the second call waits behind the first
  const d = await daemonWith(t, svc, { maxInFlightPerConnection: 1 });
  const p = proxy(t, d.uriFor("svc"));
  await p.bind();
  const first = p.invoke("countSlowly", [400], { timeoutMs: 5000 });
  const second = p.invoke("countSlowly", [10], { timeoutMs: 150 });
  await assert.rejects(second, (e: unknown) => e instanceof TimeoutError && e.phase === "reply");
  assert.equal(await first, 1);
  await sleep(100);
  assert.equal(svc.ran, 1, "the call that timed out was not run by the daemon");
});

test("abort: ERR_ABORTED with the signal's reason as cause; a call aborted before its frame left is taken back and never runs", async (t) => {
  const svc = new ContextService();
  const d = await daemonWith(t, svc);
  const p = proxy(t, d.uriFor("svc"));
  await p.bind();
  const reason = new Error("changed my mind");
  // made in the same tick, the second call's frame waits for the first one's write
  const ac = new AbortController();
  const first = p.invoke("countSlowly", [50]);
  const second = p.invoke("countSlowly", [50], { signal: ac.signal });
  ac.abort(reason);
  await assert.rejects(second, (e: unknown) => {
    assert.ok(e instanceof RemotingError);
    assert.equal(e.code, ErrorCodes.ERR_ABORTED);
    assert.equal(e.cause, reason);
    assert.equal((e as { phase?: string }).phase, "connect");
    return true;
  });
  assert.equal(await first, 1);
  await sleep(100);
  assert.equal(svc.ran, 1, "the aborted call did not run");
  // aborted after it was sent: phase reply, the proxy stays usable
  const ac2 = new AbortController();
  const late = p.invoke("countSlowly", [300], { signal: ac2.signal });
  setTimeout(() => ac2.abort(reason), 50);
  await assert.rejects(late, (e: unknown) => (e as RemotingError).code === ErrorCodes.ERR_ABORTED && (e as { phase?: string }).phase === "reply" && (e as Error).cause === reason);
  assert.equal(await p.invoke("echo", ["still"]), "still");
});

test("errors say how far the call got: refused and connect timeouts are phase connect, a dropped connection is phase reply", async (t) => {
  const refused = proxy(t, `PYRO:svc@127.0.0.1:${await closedTcpPort()}`);
  await assert.rejects(refused.invoke("echo", [1]), (e: unknown) => e instanceof CommunicationError && e.code === ErrorCodes.ERR_CONNECTION_REFUSED && e.phase === "connect");
  // a server that accepts but never answers the handshake
  const silent = createServer((s) => s.on("error", () => undefined).resume());
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  t.after(() => new Promise<void>((r) => silent.close(() => r())));
  const hung = proxy(t, `PYRO:svc@127.0.0.1:${(silent.address() as { port: number }).port}`, { connectTimeoutMs: "150ms", timeoutMs: "5s" });
  await assert.rejects(hung.invoke("echo", [1]), (e: unknown) => e instanceof TimeoutError && e.phase === "connect");
  // a connection that drops while the daemon runs the call
  const svc = new ContextService();
  const d = await daemonWith(t, svc, { closeGraceMs: 0 });
  const p = proxy(t, d.uriFor("svc"));
  await p.bind();
  const call = p.invoke("countSlowly", [2000]);
  await sleep(100);
  void d.close();
  await assert.rejects(call, (e: unknown) => e instanceof ConnectionClosedError && e.phase === "reply");
});

test("daemon and proxy options are parsed by the core parsers: units, strict values, unknown names", async (t) => {
  const d = await daemonWith(t, new ContextService(), { maxMessageSize: "1kB", idleTimeoutMs: "1h", handshakeTimeoutMs: "2s", serializersAccepted: "serpent, json" });
  assert.equal(d.maxMessageSize, 1000);
  assert.equal(d.idleTimeoutMs, 3_600_000);
  assert.equal(d.accepts(3), false);
  const p = proxy(t, d.uriFor("svc"), { timeoutMs: "2s", maxInFlight: "8", metadata: "no" });
  assert.equal(p.timeoutMs, 2000);
  assert.equal(await p.invoke("echo", ["x".repeat(100)]), "x".repeat(100));
  await assert.rejects(p.invoke("echo", ["x".repeat(5000)]), (e: unknown) => e instanceof ConnectionClosedError);
  const configError = (name: string) => (e: unknown) => e instanceof ConfigError && e.message.includes(name);
  assert.throws(() => new PyroDaemon({ maxMessageSize: "lots" }), configError("maxMessageSize"));
  assert.throws(() => new PyroDaemon({ idleTimeoutMs: "soon" }), configError("idleTimeoutMs"));
  assert.throws(() => new PyroDaemon({ tlsClientCert: "yes please" }), configError("tlsClientCert"));
  assert.throws(() => new PyroDaemon({ maxConection: 5 } as object), (e: unknown) => e instanceof ConfigError && /maxConnections/.test(e.message));
  assert.throws(() => new PyroDaemon({ tls: { key: "k" } } as object), (e: unknown) => e instanceof ConfigError && /tlsKey/.test(e.message));
  assert.throws(() => new PyroDaemon({ tlsMinVersion: "TLSv1.1", tlsKey: "k", tlsCert: "c" }), configError("tlsMinVersion"));
  assert.throws(() => new PyroProxy("PYRO:x@127.0.0.1:1", { serializer: "pickle" as "json" }), configError("serializer"));
  assert.throws(() => new PyroProxy("PYRO:x@127.0.0.1:1", { timeoutMs: "-1" }), configError("timeoutMs"));
  assert.throws(() => new PyroProxy("PYRO:x@127.0.0.1:1", { tls: "perhaps" }), configError("tls"));
  assert.throws(() => new PyroProxy("PYRO:x@127.0.0.1:1", { tls: { ca: "x" } } as object), (e: unknown) => e instanceof ConfigError && /tlsCa/.test(e.message));
});

test("exporter and factory: sslRequireClientCert 'yes' requires client certificates; the ssl* names are the core TLS properties", async (t) => {
  const pki = await makePki();
  for (const yes of ["yes", "TRUE", "on", "1"]) {
    const e = new PyroServiceExporter(new ContextService(), "Secure", "127.0.0.1", 0);
    e.sslServerCert = pki.serverCert;
    e.sslServerKey = pki.serverKey;
    e.sslCaCerts = pki.ca;
    e.sslRequireClientCert = yes;
    assert.equal(e.tlsClientCert, "required", yes);
    await e.afterPropertiesSet();
    t.after(() => e.destroy());
    const noCert = new PyroProxyFactory(e.url);
    noCert.sslCaCerts = pki.ca;
    t.after(() => noCert.release());
    await assert.rejects(noCert.echo(1), (err: unknown) => err instanceof SecurityError, yes);
    const withCert = new PyroProxyFactory(e.url);
    withCert.sslCaCerts = pki.ca;
    withCert.sslClientCert = pki.clientCert;
    withCert.sslClientKey = pki.clientKey;
    t.after(() => withCert.release());
    assert.equal(((await withCert.context()) as { subject: Record<string, string> }).subject["commonName"], "My Client");
  }
  const off = new PyroServiceExporter();
  off.sslRequireClientCert = "no";
  assert.equal(off.tlsClientCert, "none");
  assert.throws(() => {
    off.sslRequireClientCert = "sometimes";
  }, (err: unknown) => err instanceof ConfigError && /sslRequireClientCert/.test(err.message));
});

async function tlsDaemon(t: TestContext, pki: TestPki, options: ConstructorParameters<typeof PyroDaemon>[0]): Promise<PyroDaemon> {
  return daemonWith(t, new ContextService(), { tlsKey: pki.serverKey, tlsCert: pki.serverCert, tlsCa: pki.ca, ...options });
}

test("verifyFields on the Pyro server: a matching client is served and sees its certificate; another gets a SecurityError, the reason only in the server's log (error level)", async (t) => {
  const pki = await makePki();
  const lines: string[] = [];
  const prev = setLogSink({ write: (l: string) => void lines.push(l) });
  t.after(() => void setLogSink(prev));
  const d = await tlsDaemon(t, pki, { tlsClientCert: "required", tlsVerifyFields: JSON.stringify({ commonName: "My Client", organizationName: "My Company" }) });
  const good = proxy(t, d.uriFor("svc"), { tlsCa: pki.ca, tlsCert: pki.clientCert, tlsKey: pki.clientKey });
  const c = (await good.invoke("context")) as Record<string, unknown>;
  assert.equal((c["subject"] as Record<string, string>)["commonName"], "My Client");
  const other = proxy(t, d.uriFor("svc"), { tlsCa: pki.ca, tlsCert: pki.otherClientCert, tlsKey: pki.otherClientKey });
  await assert.rejects(other.invoke("echo", [1]), (e: unknown) => {
    assert.ok(e instanceof SecurityError, String(e));
    assert.equal(e.phase, "connect");
    assert.doesNotMatch(e.message, /Other Client/, "the reason stays on the server");
    return true;
  });
  const logged = lines.find((l) => /refused a TLS client/.test(l));
  assert.ok(logged, lines.join("\n"));
  assert.match(logged, /ERROR/);
  assert.match(logged, /commonName/);
  // optional: a client without a certificate is served, one with a certificate that fails the fields is not
  const opt = await tlsDaemon(t, pki, { tlsClientCert: "optional" });
  assert.equal(await proxy(t, opt.uriFor("svc"), { tlsCa: pki.ca }).invoke("echo", [2]), 2);
});

test("an exporter's server interceptors see its own service's calls only, also on a shared daemon", async (t) => {
  const port = await closedTcpPort();
  const seen: string[] = [];
  const spy: ServerInterceptor = (next) => (call) => {
    seen.push(`${call.service}.${call.method}`);
    return next(call);
  };
  const a = new PyroServiceExporter(new ContextService(), "A", "127.0.0.1", port);
  a.interceptors = [spy];
  const b = new PyroServiceExporter(new ContextService(), "B", "127.0.0.1", port);
  await a.afterPropertiesSet();
  await b.afterPropertiesSet();
  t.after(async () => {
    await b.destroy();
    await a.destroy();
  });
  const fa = new PyroProxyFactory(a.url);
  const fb = new PyroProxyFactory(b.url);
  t.after(async () => {
    await fa.release();
    await fb.release();
  });
  assert.equal(await fa.echo(1), 1);
  assert.equal(await fb.echo(2), 2);
  assert.equal(await fa.add(1, 2), 3);
  assert.deepEqual(seen, ["A.echo", "A.add"]);
});

test("the endpoint client is a Pyro proxy with the factory's settings and the given policies", async (t) => {
  const d = await daemonWith(t, new ContextService(), { serializersAccepted: "json" });
  const kinds: string[] = [];
  const c = createEndpointClient(d.uriFor("svc"), { timeoutMs: 4000, interceptors: [(next) => (inv) => (kinds.push(inv.method), next(inv))], settings: { serializer: "json" } });
  t.after(() => c.close());
  const ctx = (await c.invoke("context")) as Record<string, unknown>;
  assert.equal(ctx["serializer"], "json");
  assert.ok((ctx["deadlineLeft"] as number) <= 4000);
  assert.deepEqual(kinds, ["context"]);
  assert.throws(() => createEndpointClient(d.uriFor("svc"), { settings: { serialiser: "json" } }), (e: unknown) => e instanceof ConfigError && /serializer/.test(e.message));
});

test("a oneway flag on the wire and a served oneway method: no reply, the method runs", async (t) => {
  const svc = new ContextService();
  const d = await daemonWith(t, svc);
  const serpent = getSerializer("serpent");
  const c = await rawClient(t, d.port!);
  c.s.write(encodeMessage(MSG_CONNECT, serpent.dumps({ handshake: "hello" }), { seq: 1, serializerId: 1 }));
  assert.equal((await c.next()).type, MSG_CONNECTOK);
  c.s.write(encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "increment", [], {}), { seq: 2, serializerId: 1, flags: FLAGS_ONEWAY }));
  c.s.write(encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "get_counter", [], {}), { seq: 3, serializerId: 1 }));
  const r = await c.next();
  assert.equal(r.seq, 3, "the oneway call got no reply");
  assert.equal(r.flags & FLAGS_EXCEPTION, 0);
  assert.equal(serpent.loads(r.data), 1);
});
