/**
 * Hostile peers, connections: floods of oneway calls, item streams and idle
 * connections, slow senders, half-sent frames, TLS handshakes that never end.
 * Each test reproduces an attack that succeeded before the daemon bounded it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { encodeMessage, FLAGS_EXCEPTION, FLAGS_ITEMSTREAMRESULT, FLAGS_ONEWAY, HEADER_SIZE, MSG_CONNECTFAIL, MSG_INVOKE, unmarshalString } from "../../../src/protocols/pyro4/message.js";
import { CommunicationError, RemoteInvocationError } from "../../../src/core/errors.js";
import { makePki } from "./pki.js";
import { handshaken, rawClient, serpent, until } from "./hostile-support.js";

/** Counts how many of its calls run at once. */
class Gate {
  running = 0;
  peak = 0;
  done = 0;
  private release: (() => void) | undefined;
  private opened = new Promise<void>((r) => (this.release = r));
  open(): void {
    this.release!();
  }
  async hold(): Promise<void> {
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    await this.opened;
    this.running--;
    this.done++;
  }
  ping(): string {
    return "pong";
  }
  echo(x: unknown): unknown {
    return x;
  }
  *items(n: number): Generator<number> {
    for (let i = 0; i < n; i++) yield i;
  }
}

test("oneway calls count against the per-connection limit: 5,000 of them on one connection run 32 at a time, and all run", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1" });
  await d.listen();
  const gate = new Gate();
  d.register(gate, "svc");
  const c = await handshaken(d.port!);
  t.after(async () => {
    c.s.destroy();
    await d.close();
  });
  const frames = Array.from({ length: 5000 }, (_, k) => encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "hold", [], {}), { seq: k & 0xffff, serializerId: 1, flags: FLAGS_ONEWAY }));
  c.s.write(Buffer.concat(frames));
  assert.ok(await until(() => gate.running === 32, 5000), `running: ${gate.running}`);
  await sleep(100);
  assert.equal(gate.peak, 32, "no more than maxInFlightPerConnection at once");
  gate.open();
  assert.ok(await until(() => gate.done === 5000, 10_000), `done: ${gate.done}`);
  assert.equal(gate.peak, 32);
});

test("calls of one client address over many connections are held to maxInFlightPerPeer", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1", maxInFlightPerPeer: 8 });
  await d.listen();
  const gate = new Gate();
  d.register(gate, "svc");
  const proxies = Array.from({ length: 4 }, () => new PyroProxy(d.uriFor("svc"), { timeoutMs: 10_000 }));
  t.after(async () => {
    gate.open();
    await Promise.all(proxies.map((p) => p.close()));
    await d.close();
  });
  const calls = proxies.flatMap((p) => Array.from({ length: 6 }, () => p.invoke("hold", [])));
  assert.ok(await until(() => gate.running === 8, 5000));
  await sleep(100);
  assert.equal(gate.peak, 8);
  gate.open();
  await Promise.all(calls);
  assert.equal(gate.done, 24);
});

test("a full daemon makes room by closing its longest-idle connection instead of locking new clients out", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1", maxConnections: 8 });
  await d.listen();
  const gate = new Gate();
  d.register(gate, "svc");
  const idle = await Promise.all(Array.from({ length: 8 }, () => handshaken(d.port!)));
  const fresh = new PyroProxy(d.uriFor("svc"), { timeoutMs: 5000 });
  t.after(async () => {
    gate.open();
    for (const c of idle) c.s.destroy();
    await fresh.close();
    await d.close();
  });
  assert.equal(d.connectionCount, 8);
  await sleep(1100); // idle for a second: they may make room
  assert.equal(await fresh.invoke("ping", []), "pong");
  assert.ok(await until(() => idle.filter((c) => c.isClosed()).length === 1, 2000), "exactly one idle connection was closed");
  assert.ok(d.connectionCount <= 8);
});

test("a daemon full of connections with calls in flight refuses a new one at once with CONNECTFAIL", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1", maxConnections: 4 });
  await d.listen();
  const gate = new Gate();
  d.register(gate, "svc");
  const busy = Array.from({ length: 4 }, () => new PyroProxy(d.uriFor("svc"), { timeoutMs: 10_000 }));
  const extra = await rawClient(d.port!);
  t.after(async () => {
    gate.open();
    extra.s.destroy();
    await Promise.all(busy.map((p) => p.close()));
    await d.close();
  });
  extra.s.destroy();
  const held = busy.map((p) => p.invoke("hold", []));
  assert.ok(await until(() => gate.running === 4, 5000));
  await sleep(1100);
  const c = await rawClient(d.port!);
  const m = await c.next(2000);
  assert.equal(m.type, MSG_CONNECTFAIL);
  assert.match(unmarshalString(m.data) ?? "", /no free workers/);
  await c.closed;
  gate.open();
  await Promise.all(held);
});

test("a slow sender after the handshake is closed when its frame does not arrive within frameTimeoutMs", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1", frameTimeoutMs: 400 });
  await d.listen();
  d.register(new Gate(), "svc");
  const c = await handshaken(d.port!);
  t.after(async () => {
    c.s.destroy();
    await d.close();
  });
  const frame = encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "echo", ["x".repeat(200)], {}), { serializerId: 1 });
  // one byte every 50 ms: the connection is never idle, the frame never complete
  let sent = 0;
  const started = Date.now();
  while (!c.isClosed() && sent < frame.length && Date.now() - started < 3000) {
    c.s.write(frame.subarray(sent, sent + 1));
    sent++;
    await sleep(50);
  }
  assert.ok(c.isClosed(), "closed");
  const took = Date.now() - started;
  assert.ok(took >= 350 && took < 1500, `closed after ${took} ms`);
  // a whole frame is no slow sender
  const ok = await handshaken(d.port!);
  t.after(() => ok.s.destroy());
  ok.s.write(frame);
  assert.equal(serpent.loads((await ok.next()).data), "x".repeat(200));
});

test("half-sent frames count against the client's buffer budget: reading pauses, memory stays bounded, small calls go on", async (t) => {
  const KiB = 1024;
  const d = new PyroDaemon({ host: "127.0.0.1", maxBufferPerPeer: "1MiB", frameTimeoutMs: "1s" });
  await d.listen();
  d.register(new Gate(), "svc");
  const senders = await Promise.all(Array.from({ length: 6 }, () => handshaken(d.port!)));
  const p = new PyroProxy(d.uriFor("svc"), { timeoutMs: 5000 });
  t.after(async () => {
    for (const c of senders) c.s.destroy();
    await p.close();
    await d.close();
  });
  // each announces a 1000 KiB frame and sends 900 KiB of it
  for (const c of senders) {
    const frame = encodeMessage(MSG_INVOKE, Buffer.alloc(1000 * KiB, 0x61), { serializerId: 1 });
    c.s.write(frame.subarray(0, HEADER_SIZE + 900 * KiB));
  }
  await sleep(500);
  // without a budget the daemon held 5.3 MiB here; with it, the budget plus at most one socket read (64 KiB) per connection
  assert.ok(d.heldBytes <= 1024 * KiB + 6 * 64 * KiB, `held ${d.heldBytes} bytes`);
  assert.ok(d.heldBytes >= 900 * KiB, `held ${d.heldBytes} bytes`);
  // a small call of the same address is never held back by them
  assert.equal(await p.invoke("ping", []), "pong");
  // paused connections do not see their client leave; the frame time-out closes them and frees their bytes
  for (const c of senders) c.s.destroy();
  assert.ok(await until(() => d.heldBytes === 0, 3000), `held ${d.heldBytes} bytes`);
  assert.ok(await until(() => d.connectionCount === 1, 1000));
});

test("a frame paused by the budget goes on when the budget frees, and completes", async (t) => {
  const MiB = 1024 * 1024;
  const d = new PyroDaemon({ host: "127.0.0.1", maxMessageSize: "8MiB", maxBufferPerPeer: "3MiB" });
  await d.listen();
  const gate = new Gate();
  d.register(gate, "svc");
  const [a, b] = await Promise.all([handshaken(d.port!), handshaken(d.port!)]);
  t.after(async () => {
    a.s.destroy();
    b.s.destroy();
    await d.close();
  });
  const big = (seq: number) => encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "echo", ["z".repeat(2 * MiB)], {}), { seq, serializerId: 1 });
  const fa = big(1);
  const fb = big(2);
  a.s.write(fa.subarray(0, fa.length - 10));
  await sleep(200);
  b.s.write(fb); // over the budget while a holds 2 MiB: b waits
  await sleep(300);
  a.s.write(fa.subarray(fa.length - 10));
  const [ra, rb] = await Promise.all([a.next(), b.next()]);
  assert.equal(ra.seq, 1);
  assert.equal(rb.seq, 2);
  assert.equal(rb.flags & FLAGS_EXCEPTION, 0);
  assert.equal((serpent.loads(rb.data) as string).length, 2 * MiB);
  void gate;
  assert.ok(await until(() => d.heldBytes === 0, 1000));
});

test("item streams are limited per connection and per client address; other connections still get theirs", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1", maxStreamsPerConnection: 20, maxStreamsPerPeer: 30 });
  await d.listen();
  d.register(new Gate(), "svc");
  const [a, b] = await Promise.all([handshaken(d.port!), handshaken(d.port!)]);
  t.after(async () => {
    a.s.destroy();
    b.s.destroy();
    await d.close();
  });
  const open = async (c: typeof a, seq: number) => {
    c.s.write(encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "items", [5], {}), { seq, serializerId: 1 }));
    return c.next();
  };
  for (let k = 0; k < 20; k++) assert.equal((await open(a, k)).flags & FLAGS_ITEMSTREAMRESULT, FLAGS_ITEMSTREAMRESULT);
  const refused = await open(a, 20);
  assert.equal(refused.flags & FLAGS_ITEMSTREAMRESULT, 0);
  const ex = serpent.loads(refused.data) as Record<string, unknown>;
  assert.equal(ex["__class__"], "Pyro4.errors.PyroError");
  assert.match(String((ex["args"] as unknown[])[0]), /too many open item streams on this connection/);
  for (let k = 0; k < 10; k++) assert.equal((await open(b, k)).flags & FLAGS_ITEMSTREAMRESULT, FLAGS_ITEMSTREAMRESULT);
  const peerRefused = serpent.loads((await open(b, 10)).data) as Record<string, unknown>;
  assert.match(String((peerRefused["args"] as unknown[])[0]), /too many open item streams for this client/);
  assert.equal(d.streamCount, 30);
});

test("a TLS handshake that fails or never ends closes its socket within handshakeTimeoutMs", async (t) => {
  const pki = await makePki();
  const d = new PyroDaemon({ host: "127.0.0.1", tlsKey: pki.serverKey, tlsCert: pki.serverCert, handshakeTimeoutMs: 500 });
  await d.listen();
  d.register(new Gate(), "svc");
  t.after(() => d.close());
  const watch = (write?: Buffer) =>
    new Promise<number>((resolve) => {
      const t0 = Date.now();
      const s = connect(d.port!, "127.0.0.1");
      s.on("error", () => undefined);
      if (write) s.on("connect", () => s.write(write));
      s.on("close", () => resolve(Date.now() - t0));
      setTimeout(() => s.destroy(), 5000).unref();
    });
  const [silent, partial, garbage] = await Promise.all([watch(), watch(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])), watch(Buffer.from("GET / HTTP/1.0\r\n\r\n"))]);
  assert.ok(silent >= 400 && silent < 2000, `a silent client closed after ${silent} ms`);
  assert.ok(partial >= 400 && partial < 2000, `half a ClientHello closed after ${partial} ms`);
  assert.ok(garbage < 2000, `garbage closed after ${garbage} ms`);
  // a proper client still connects
  const p = new PyroProxy(d.uriFor("svc"), { tlsCa: pki.ca, timeoutMs: 5000 });
  t.after(() => p.close());
  assert.equal(await p.invoke("ping", []), "pong");
});

test("a proxy's request beyond its own maxMessageSize fails before anything is sent", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1" });
  await d.listen();
  d.register(new Gate(), "svc");
  const p = new PyroProxy(d.uriFor("svc"), { maxMessageSize: "64KiB", timeoutMs: 5000 });
  t.after(async () => {
    await p.close();
    await d.close();
  });
  await assert.rejects(p.invoke("ping", [["a".repeat(1000), "b".repeat(70_000)]]), (err: unknown) => {
    assert.ok(err instanceof CommunicationError || err instanceof RemoteInvocationError || err instanceof Error);
    assert.equal((err as { code?: string }).code, "ERR_MESSAGE_TOO_LARGE");
    return true;
  });
  assert.equal(await p.invoke("ping", []), "pong");
});
