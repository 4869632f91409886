import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { ConnectionClosedError, ErrorCodes, MessageTooLargeError, TimeoutError } from "../../../src/core/errors.js";
import { TestService } from "./support.js";

async function startDaemon(opts: ConstructorParameters<typeof PyroDaemon>[0] = {}, port = 0) {
  const d = new PyroDaemon({ host: "127.0.0.1", port, ...opts });
  await d.listen();
  d.register(new TestService(), "svc");
  return d;
}

test("32 calls in flight on one proxy all get their own results", async (t) => {
  const d = await startDaemon();
  const p = new PyroProxy(d.uriFor("svc"));
  t.after(async () => {
    await p.close();
    await d.close();
  });
  const started = Date.now();
  // each call sleeps 100 ms on the server: pipelined, they overlap
  const results = await Promise.all(Array.from({ length: 32 }, (_, i) => p.invoke("slow", [100, i])));
  assert.deepEqual(results, Array.from({ length: 32 }, (_, i) => i));
  assert.ok(Date.now() - started < 2000, "calls overlapped");
  assert.equal(d.connectionCount, 1, "one connection served all of them");
  // mixed fast and slow calls: each caller gets its own answer
  const mixed = await Promise.all(Array.from({ length: 32 }, (_, i) => (i % 2 ? p.invoke("echo", [`e${i}`]) : p.invoke("slow", [20, `s${i}`]))));
  assert.deepEqual(mixed, Array.from({ length: 32 }, (_, i) => (i % 2 ? `e${i}` : `s${i}`)));
});

test("the proxy reconnects after the server restarts on the same port", async (t) => {
  let d = await startDaemon();
  const port = d.port!;
  const p = new PyroProxy(`PYRO:svc@127.0.0.1:${port}`, { timeoutMs: 3000 });
  t.after(async () => {
    await p.close();
    await d.close();
  });
  assert.equal(await p.invoke("echo", [1]), 1);
  await d.close();
  await assert.rejects(p.invoke("echo", [2]), (e: unknown) => e instanceof ConnectionClosedError || (e as { code?: string }).code === ErrorCodes.ERR_CONNECTION_REFUSED);
  d = await startDaemon({}, port);
  assert.equal(await p.invoke("echo", [3]), 3);
});

test("a call that takes too long fails with TimeoutError; later calls still work", async (t) => {
  const d = await startDaemon();
  const p = new PyroProxy(d.uriFor("svc"), { timeoutMs: 150 });
  t.after(async () => {
    await p.close();
    await d.close();
  });
  await assert.rejects(p.invoke("slow", [1000, "late"]), (e: unknown) => e instanceof TimeoutError && e.code === ErrorCodes.ERR_TIMEOUT);
  assert.equal(await p.invoke("echo", ["next"]), "next");
  assert.equal(await p.invoke("slow", [400, "ok"], { timeoutMs: 2000 }), "ok");
  const ac = new AbortController();
  const pending = p.invoke("slow", [1000, "x"], { timeoutMs: 5000, signal: ac.signal });
  ac.abort();
  await assert.rejects(pending);
  // a server that accepts but never answers the handshake: the call times out too
  const silent = createServer((s) => s.on("error", () => undefined).resume());
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  const p2 = new PyroProxy(`PYRO:svc@127.0.0.1:${(silent.address() as { port: number }).port}`, { timeoutMs: 200 });
  t.after(async () => {
    await p2.close();
    await new Promise<void>((r) => silent.close(() => r()));
  });
  const t0 = Date.now();
  await assert.rejects(p2.invoke("echo", [1]), TimeoutError);
  assert.ok(Date.now() - t0 < 2000);
});

test("frames over the size limit: the proxy refuses to send, the daemon drops the connection", async (t) => {
  const d = await startDaemon({ maxMessageSize: 10_000 });
  const p = new PyroProxy(d.uriFor("svc"), { maxMessageSize: 20_000, timeoutMs: 3000 });
  const small = new PyroProxy(d.uriFor("svc"), { maxMessageSize: 5_000 });
  t.after(async () => {
    await p.close();
    await small.close();
    await d.close();
  });
  await assert.rejects(small.invoke("echo", ["x".repeat(6_000)]), (e: unknown) => e instanceof MessageTooLargeError);
  assert.equal(await p.invoke("echo", ["fits"]), "fits");
  await assert.rejects(p.invoke("echo", ["x".repeat(15_000)]), (e: unknown) => e instanceof ConnectionClosedError);
  assert.equal(await p.invoke("echo", ["reconnected"]), "reconnected");
});

test("idle connections are closed by the daemon; the proxy reconnects transparently", async (t) => {
  const d = await startDaemon({ idleTimeoutMs: 150 });
  const p = new PyroProxy(d.uriFor("svc"));
  t.after(async () => {
    await p.close();
    await d.close();
  });
  assert.equal(await p.invoke("echo", [1]), 1);
  assert.equal(d.connectionCount, 1);
  const deadline = Date.now() + 3000;
  while (d.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(d.connectionCount, 0);
  // a call longer than the idle timeout is not cut off
  assert.equal(await p.invoke("slow", [400, "long"]), "long");
  // a socket that never sends CONNECT is dropped after the handshake timeout
  const d2 = await startDaemon({ handshakeTimeoutMs: 100 });
  t.after(() => d2.close());
  const s = connect(d2.port!, "127.0.0.1");
  const closed = await new Promise<boolean>((resolve) => {
    s.on("close", () => resolve(true));
    s.on("error", () => undefined);
    setTimeout(() => resolve(false), 3000);
  });
  s.destroy();
  assert.equal(closed, true);
});

test("close() lets calls in flight finish, then refuses new connections", async (t) => {
  const d = await startDaemon();
  const p = new PyroProxy(d.uriFor("svc"), { timeoutMs: 3000 });
  t.after(() => p.close());
  assert.equal(await p.invoke("echo", [0]), 0);
  const inflight = [p.invoke("slow", [300, "a"]), p.invoke("slow", [200, "b"])];
  await new Promise((r) => setTimeout(r, 50));
  const closing = d.close();
  assert.deepEqual(await Promise.all(inflight), ["a", "b"]);
  await closing;
  assert.equal(d.listening, false);
  await assert.rejects(p.invoke("echo", [1]), (e: unknown) => (e as { code?: string }).code === ErrorCodes.ERR_CONNECTION_REFUSED || e instanceof ConnectionClosedError);
});

test("proxy.close() fails calls in progress and the proxy can be used again", async (t) => {
  const d = await startDaemon();
  const p = new PyroProxy(d.uriFor("svc"));
  t.after(async () => {
    await p.close();
    await d.close();
  });
  const pending = p.invoke("slow", [500, 1]).then(
    () => "resolved",
    (e: unknown) => e,
  );
  await new Promise((r) => setTimeout(r, 50));
  await p.close();
  assert.ok((await pending) instanceof ConnectionClosedError);
  assert.equal(await p.invoke("echo", ["again"]), "again");
});

test("throughput: sequential and 32-in-flight calls per second (logged)", async (t) => {
  const d = await startDaemon();
  const p = new PyroProxy(d.uriFor("svc"));
  t.after(async () => {
    await p.close();
    await d.close();
  });
  await p.invoke("echo", ["warm"]);
  const ms = 700;
  let n = 0;
  let start = Date.now();
  while (Date.now() - start < ms) {
    await p.invoke("echo", ["hello world"]);
    n++;
  }
  const seq = (n * 1000) / (Date.now() - start);
  n = 0;
  start = Date.now();
  const worker = async () => {
    while (Date.now() - start < ms) {
      await p.invoke("echo", ["hello world"]);
      n++;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const par = (n * 1000) / (Date.now() - start);
  t.diagnostic(`sequential ${seq.toFixed(0)} calls/s, 32 in flight ${par.toFixed(0)} calls/s`);
  assert.ok(seq > 100 && par > 100);
});

test("Unix domain socket daemons are reachable through PYRO:obj@./u:path", async (t) => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "pyro-sock-"));
  const path = join(dir, "daemon.sock");
  const d = new PyroDaemon({ unixPath: path });
  await d.listen();
  d.register(new TestService(), "svc");
  const p = new PyroProxy(d.uriFor("svc"));
  t.after(async () => {
    await p.close();
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(d.uriFor("svc"), `PYRO:svc@./u:${path}`);
  assert.equal(await p.invoke("get_data", ["unix"]), "You got remote data => unix");
});

test("connections over maxConnections get CONNECTFAIL 'no free workers'", async (t) => {
  const d = await startDaemon({ maxConnections: 1 });
  const a = new PyroProxy(d.uriFor("svc"));
  const b = new PyroProxy(d.uriFor("svc"));
  t.after(async () => {
    await a.close();
    await b.close();
    await d.close();
  });
  assert.equal(await a.invoke("echo", [1]), 1);
  await assert.rejects(b.invoke("echo", [2]), /no free workers/);
  await a.close();
  const deadline = Date.now() + 2000;
  while (d.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(await b.invoke("echo", [3]), 3);
});
