import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import {
  encodeMessage,
  FLAGS_EXCEPTION,
  FLAGS_META_ON_CONNECT,
  FrameReader,
  MSG_CONNECT,
  MSG_CONNECTOK,
  MSG_INVOKE,
  MSG_PING,
  MSG_RESULT,
  unmarshalString,
  MSG_CONNECTFAIL,
  type PyroMessage,
} from "../../../src/protocols/pyro4/message.js";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { ProtocolError } from "../../../src/core/errors.js";
import { TestService } from "./support.js";

const json = getSerializer("json");

/** A raw client: writes frames, collects decoded replies. */
function rawClient(port: number): Promise<{ s: Socket; next: () => Promise<PyroMessage>; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => resolve({ s, next, closed }));
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
    const closed = new Promise<void>((r) => s.on("close", () => r()));
    const next = () => new Promise<PyroMessage>((r) => (queue.length ? r(queue.shift()!) : waiters.push(r)));
  });
}

test("the daemon echoes seq and CORR, answers PING with pong, and replies in the request's serializer", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1" });
  await d.listen();
  d.register(new TestService(), "svc");
  const c = await rawClient(d.port!);
  t.after(async () => {
    c.s.destroy();
    await d.close();
  });
  const corr = Buffer.alloc(16, 0xab);
  c.s.write(encodeMessage(MSG_CONNECT, json.dumps({ handshake: "hello", object: "svc" }), { flags: FLAGS_META_ON_CONNECT, seq: 57, serializerId: 2, annotations: new Map([["CORR", corr]]) }));
  const ok = await c.next();
  assert.equal(ok.type, MSG_CONNECTOK);
  assert.equal(ok.seq, 57);
  assert.equal(ok.flags & FLAGS_META_ON_CONNECT, FLAGS_META_ON_CONNECT);
  assert.deepEqual(ok.annotations.get("CORR"), corr);
  const meta = json.loads(ok.data) as { handshake: string; meta: { methods: string[] } };
  assert.equal(meta.handshake, "hello");
  assert.ok(meta.meta.methods.includes("get_data"));
  // pipelined: a slow call, then a fast one, then a PING: replies in request order
  c.s.write(
    Buffer.concat([
      encodeMessage(MSG_INVOKE, json.dumpsCall("svc", "slow", [100, "slow"], {}), { seq: 58, serializerId: 2, annotations: new Map([["CORR", corr], ["XTRA", Buffer.from("x")]]) }),
      encodeMessage(MSG_INVOKE, getSerializer("serpent").dumpsCall("svc", "echo", ["fast"], {}), { seq: 59, serializerId: 1 }),
      encodeMessage(MSG_PING, Buffer.from("ping"), { seq: 60, serializerId: 42 }),
    ]),
  );
  const r1 = await c.next();
  const r2 = await c.next();
  const r3 = await c.next();
  assert.deepEqual([r1.seq, r2.seq, r3.seq], [58, 59, 60]);
  assert.equal(r1.type, MSG_RESULT);
  assert.deepEqual(r1.annotations.get("CORR"), corr);
  assert.equal(r1.annotations.has("XTRA"), false);
  assert.equal(json.loads(r1.data), "slow");
  assert.equal(r2.serializerId, 1);
  assert.equal(getSerializer("serpent").loads(r2.data), "fast");
  assert.equal(r2.annotations.get("CORR")?.length, 16);
  assert.equal(r3.type, MSG_PING);
  assert.equal(r3.data.toString(), "pong");
  // undecodable call data: a SerializeError reply, and the connection stays up
  c.s.write(encodeMessage(MSG_INVOKE, Buffer.from("{not json"), { seq: 61, serializerId: 2 }));
  const bad = await c.next();
  assert.equal(bad.seq, 61);
  assert.equal(bad.flags & FLAGS_EXCEPTION, FLAGS_EXCEPTION);
  assert.match(String((json.loads(bad.data) as { __class__: string }).__class__), /SerializeError/);
  c.s.write(encodeMessage(MSG_INVOKE, json.dumpsCall("svc", "echo", [1], {}), { seq: 62, serializerId: 2 }));
  assert.equal(json.loads((await c.next()).data), 1);
});

test("an INVOKE before CONNECT gets a marshal-encoded CONNECTFAIL", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1" });
  await d.listen();
  const c = await rawClient(d.port!);
  t.after(async () => {
    c.s.destroy();
    await d.close();
  });
  c.s.write(encodeMessage(MSG_INVOKE, json.dumpsCall("svc", "echo", [1], {}), { seq: 3, serializerId: 2 }));
  const fail = await c.next();
  assert.equal(fail.type, MSG_CONNECTFAIL);
  assert.equal(fail.serializerId, 3);
  assert.equal(unmarshalString(fail.data), "invalid msg type 4 received");
  await c.closed;
});

test("a server that answers garbage makes calls fail with ProtocolError, not a crash", async (t) => {
  const server = createServer((s) => {
    s.on("error", () => undefined);
    s.once("data", () => s.write(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n")));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const p = new PyroProxy(`PYRO:x@127.0.0.1:${(server.address() as { port: number }).port}`, { timeoutMs: 3000 });
  t.after(async () => {
    await p.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  await assert.rejects(p.invoke("echo", [1]), ProtocolError);
});

test("an item stream survives a dropped connection and continues after the reconnect", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1" });
  await d.listen();
  d.register(new TestService(), "svc");
  const p = new PyroProxy(d.uriFor("svc"));
  t.after(async () => {
    await p.close();
    await d.close();
  });
  const it = ((await p.invoke("count", [5])) as AsyncIterable<number>)[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { done: false, value: 0 });
  await p.close(); // the connection goes; the stream lingers on the daemon
  assert.equal(d.streamCount, 1);
  const rest: number[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
  assert.deepEqual(rest, [1, 2, 3, 4]);
  assert.equal(d.streamCount, 0);
});

test("a custom handshake check admits or refuses connections (sync and async)", async (t) => {
  const seen: unknown[] = [];
  const d = new PyroDaemon({
    host: "127.0.0.1",
    validateHandshake: async (data) => {
      seen.push(data);
      await new Promise((r) => setTimeout(r, 5));
      if (data !== "let-me-in") throw new Error("bad handshake token");
      return "welcome";
    },
  });
  await d.listen();
  d.register(new TestService(), "svc");
  const good = new PyroProxy(d.uriFor("svc"), { handshake: "let-me-in" });
  const bad = new PyroProxy(d.uriFor("svc"), { handshake: "nope", timeoutMs: 3000 });
  t.after(async () => {
    await good.close();
    await bad.close();
    await d.close();
  });
  // several calls queued behind the (async) handshake all go through
  assert.deepEqual(await Promise.all([good.invoke("echo", [1]), good.invoke("echo", [2])]), [1, 2]);
  await assert.rejects(bad.invoke("echo", [1]), /rejected: bad handshake token/);
  assert.deepEqual(seen, ["let-me-in", "nope"]);
});

test("one plain call per read (the daemon's fast path): CORR echoed, errors, async and non-scalar results answered", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1" });
  await d.listen();
  const svc = new TestService();
  d.register(svc, "svc");
  const c = await rawClient(d.port!);
  t.after(async () => {
    c.s.destroy();
    await d.close();
  });
  const serpent = getSerializer("serpent");
  c.s.write(encodeMessage(MSG_CONNECT, serpent.dumps({ handshake: "hello", object: "svc" }), { seq: 1, serializerId: 1 }));
  assert.equal((await c.next()).type, MSG_CONNECTOK);
  let seq = 1;
  const call = async (method: string, args: unknown[], corr?: Buffer): Promise<PyroMessage> => {
    seq++;
    c.s.write(encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", method, args, {}), { seq, serializerId: 1, annotations: corr ? new Map([["CORR", corr]]) : undefined }));
    const r = await c.next();
    assert.equal(r.seq, seq);
    assert.equal(r.type, MSG_RESULT);
    return r;
  };
  const corr = Buffer.from("0123456789abcdef");
  const odd = Buffer.from("a longer correlation id, 39 bytes long");
  let r = await call("echo", ["hello world"], corr);
  assert.equal(serpent.loads(r.data), "hello world");
  assert.deepEqual(r.annotations.get("CORR"), corr);
  r = await call("add", [2, 3], odd);
  assert.equal(serpent.loads(r.data), 5);
  assert.deepEqual(r.annotations.get("CORR"), odd);
  r = await call("echo", [null]);
  assert.equal(serpent.loads(r.data), null);
  assert.equal(r.annotations.get("CORR")?.length, 16, "a fresh CORR when the request had none");
  r = await call("raise_value_error", ["boom"], corr);
  assert.equal(r.flags & FLAGS_EXCEPTION, FLAGS_EXCEPTION);
  assert.equal(r.annotations.has("CORR"), false, "as Pyro4's daemon, exception replies carry no CORR");
  assert.match(JSON.stringify(serpent.loads(r.data)), /ValueError.*boom/);
  r = await call("slow", [5, "later"], corr);
  assert.equal(serpent.loads(r.data), "later");
  assert.deepEqual(r.annotations.get("CORR"), corr);
  r = await call("echo", ["caf\u00e9 \u2603"]);
  assert.equal(serpent.loads(r.data), "caf\u00e9 \u2603");
  r = await call("get_data", [7]);
  assert.equal(serpent.loads(r.data), "You got remote data => 7");
  for (const bad of ["_hidden", "no_such_method"]) {
    r = await call(bad, []);
    assert.equal(r.flags & FLAGS_EXCEPTION, FLAGS_EXCEPTION, bad);
    assert.match(JSON.stringify(serpent.loads(r.data)), /AttributeError/, bad);
  }
  assert.equal(svc.counter, 0);
});

test("replies read by the proxy's fast path and by its general path give the same values", async (t) => {
  const serpent = getSerializer("serpent");
  // a stand-in daemon: answers each call with the payload text named by the call's argument
  const payloads: Record<string, { text: string; flags?: number; serializerId?: number }> = {
    plain: { text: "'hello world'" },
    quotes: { text: '"it\'s"' },
    escaped: { text: "'a\\nb'" },
    unicode: { text: "'caf\u00e9'" },
    number: { text: "42" },
    list: { text: "[1,'x']" },
    error: { text: "{'__class__':'builtins.ValueError','__exception__':True,'args':('bad',),'attributes':{}}", flags: FLAGS_EXCEPTION },
    otherSerializer: { text: "'x'", serializerId: 2 },
  };
  const server = createServer((s) => {
    s.on("error", () => undefined);
    const reader = new FrameReader();
    s.on("data", (c: Buffer) => {
      for (const m of reader.push(c)) {
        if (m.type === MSG_CONNECT) {
          s.write(encodeMessage(MSG_CONNECTOK, serpent.dumps("ok"), { seq: m.seq, serializerId: 1 }));
          continue;
        }
        const which = String(serpent.loadsCall(m.data).vargs[0]);
        const p = payloads[which]!;
        const data = Buffer.from(`# serpent utf-8 python3.2\n${p.text}`, "utf8");
        // one read per reply (written on its own), with a CORR as our daemon sends
        s.write(encodeMessage(MSG_RESULT, data, { seq: m.seq, serializerId: p.serializerId ?? 1, flags: p.flags ?? 0, annotations: new Map([["CORR", Buffer.alloc(16, 7)]]) }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const p = new PyroProxy(`PYRO:x@127.0.0.1:${(server.address() as { port: number }).port}`, { timeoutMs: 3000, metadata: false });
  t.after(async () => {
    await p.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  assert.equal(await p.invoke("echo", ["plain"]), "hello world");
  assert.equal(await p.invoke("echo", ["quotes"]), "it's");
  assert.equal(await p.invoke("echo", ["escaped"]), "a\nb");
  assert.equal(await p.invoke("echo", ["unicode"]), "caf\u00e9");
  assert.equal(await p.invoke("echo", ["number"]), 42);
  assert.deepEqual(await p.invoke("echo", ["list"]), [1, "x"]);
  await assert.rejects(p.invoke("echo", ["error"]), /ValueError|bad/);
  await assert.rejects(p.invoke("echo", ["otherSerializer"]), ProtocolError);
});
