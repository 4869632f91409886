/**
 * Hostile peers, payloads: requests that cost far more than their size (marshal
 * back-references, hash flooding, zlib bombs) and replies beyond the message
 * limit. Each test reproduces an attack that succeeded before the daemon
 * bounded it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { encodeMessage, FLAGS_COMPRESSED, FLAGS_EXCEPTION, HEADER_SIZE, MSG_CONNECT, MSG_CONNECTFAIL, MSG_CONNECTOK, MSG_INVOKE, unmarshalString } from "../../../src/protocols/pyro4/message.js";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { RemoteInvocationError } from "../../../src/core/errors.js";
import { handshaken, marshalReferenceBomb, rawClient, serpent, timed } from "./hostile-support.js";

const marshal = getSerializer("marshal");

class Echo {
  echo(x: unknown): unknown {
    return x;
  }
  big(n: number): string {
    return "x".repeat(n);
  }
  ping(): string {
    return "pong";
  }
}

async function daemonWith(options: ConstructorParameters<typeof PyroDaemon>[0] = {}): Promise<PyroDaemon> {
  const d = new PyroDaemon({ host: "127.0.0.1", ...options });
  await d.listen();
  d.register(new Echo(), "svc");
  return d;
}

/** The exception dict of an exception reply, decoded with the reply's serializer. */
function exceptionOf(m: { flags: number; serializerId: number; data: Buffer }): Record<string, unknown> {
  assert.equal(m.flags & FLAGS_EXCEPTION, FLAGS_EXCEPTION, "an exception reply");
  return getSerializer(m.serializerId).loads(m.data) as Record<string, unknown>;
}

test("a marshal request of back-references to back-references is refused by the decoded-size budget, not echoed as a 100 MB reply", async (t) => {
  const d = await daemonWith();
  const c = await handshaken(d.port!);
  const other = new PyroProxy(d.uriFor("svc"), { timeoutMs: 5000 });
  t.after(async () => {
    c.s.destroy();
    await other.close();
    await d.close();
  });
  assert.equal(await other.invoke("ping", []), "pong");
  // 422 bytes that stand for 10^6 copies of a 100-byte string: 100 MB written out
  const bomb = marshalReferenceBomb(6, 10);
  assert.ok(bomb.length < 500);
  const { value: reply, ms } = await timed(async () => {
    c.s.write(encodeMessage(MSG_INVOKE, bomb, { seq: 7, serializerId: 3 }));
    return c.next(10_000);
  });
  assert.equal(reply.seq, 7);
  assert.ok(reply.data.length < 64 * 1024, `the reply is ${reply.data.length} bytes`);
  const ex = exceptionOf(reply);
  assert.equal(ex["__class__"], "Pyro4.errors.SerializeError");
  assert.match(String((ex["args"] as unknown[])[0]), /decodes to more than 32 times its size/);
  assert.ok(ms < 1000, `refused in ${ms.toFixed(0)} ms`);
  // the connection and every other client go on
  c.s.write(encodeMessage(MSG_INVOKE, marshal.dumpsCall("svc", "echo", [[1, 2, 3]], {}), { seq: 8, serializerId: 3 }));
  const ok = await c.next();
  assert.deepEqual(marshal.loads(ok.data), [1, 2, 3]);
  const { ms: otherMs } = await timed(() => other.invoke("ping", []));
  assert.ok(otherMs < 500, `another client waited ${otherMs.toFixed(0)} ms`);
});

test("replies are held to maxMessageSize: a result too large is a MessageTooLargeError for the caller, and the connection goes on", async (t) => {
  const d = await daemonWith({ maxMessageSize: "64KiB" });
  const p = new PyroProxy(d.uriFor("svc"), { timeoutMs: 5000, maxMessageSize: "16MiB" });
  const c = await handshaken(d.port!);
  t.after(async () => {
    c.s.destroy();
    await p.close();
    await d.close();
  });
  await assert.rejects(p.invoke("big", [100_000]), (err: unknown) => {
    assert.ok(err instanceof RemoteInvocationError);
    assert.equal(err.remoteType, "Pyro4.errors.MessageTooLargeError");
    assert.match(err.remoteMessage, /reply is too large/);
    return true;
  });
  assert.equal((await p.invoke("big", [1000])) as string, "x".repeat(1000));
  // on the wire: no frame beyond the limit, for results, batches and echoes alike
  for (const [seq, payload] of [
    [1, serpent.dumpsCall("svc", "big", [70_000], {})],
    [2, serpent.dumpsCall("svc", "echo", ["y".repeat(60_000)], {})],
  ] as const) {
    c.s.write(encodeMessage(MSG_INVOKE, payload, { seq, serializerId: 1 }));
    const m = await c.next();
    assert.equal(m.seq, seq);
    assert.ok(m.data.length <= 64 * 1024, `reply payload of ${m.data.length} bytes`);
  }
});

test("a dict whose big-int keys all collide in V8's hash tables is refused in milliseconds (hash flooding), other clients unaffected", async (t) => {
  const d = await daemonWith();
  const c = await handshaken(d.port!);
  const other = new PyroProxy(d.uriFor("svc"), { timeoutMs: 5000 });
  t.after(async () => {
    c.s.destroy();
    await other.close();
    await d.close();
  });
  // V8 hashes a big int by its lowest 64 bits: k * 2^64 all land in one bucket (20,000 of them took 1.6 s)
  const keys = Array.from({ length: 20_000 }, (_, k) => `${(BigInt(k + 1) << 64n).toString()}:0`);
  const payload = Buffer.from(`# serpent utf-8 python3.2\n('svc','echo',({${keys.join(",")}},),{})`);
  const { value: reply, ms } = await timed(async () => {
    c.s.write(encodeMessage(MSG_INVOKE, payload, { seq: 3, serializerId: 1 }));
    return c.next(10_000);
  });
  const ex = exceptionOf(reply);
  assert.equal(ex["__class__"], "Pyro4.errors.SerializeError");
  assert.match(String((ex["args"] as unknown[])[0]), /hash flooding/);
  assert.ok(ms < 500, `refused in ${ms.toFixed(0)} ms`);
  // the same number of keys that do not collide is fine
  const fine = Array.from({ length: 20_000 }, (_, k) => `${((BigInt(k + 1) << 64n) + BigInt(k * 7919 + 1)).toString()}:0`);
  c.s.write(encodeMessage(MSG_INVOKE, Buffer.from(`# serpent utf-8 python3.2\n('svc','echo',({${fine.join(",")}},),{})`), { seq: 4, serializerId: 1 }));
  const ok = await c.next(10_000);
  assert.equal(ok.flags & FLAGS_EXCEPTION, 0);
  assert.equal((serpent.loads(ok.data) as Map<unknown, unknown>).size, 20_000);
  assert.equal(await other.invoke("ping", []), "pong");
});

test("compressed frames: nothing costly before the handshake, a zlib bomb after it is refused within the compression ratio", async (t) => {
  const d = await daemonWith();
  t.after(() => d.close());
  // before the handshake: a CONNECT inflating to far more than 64 KiB (about 61 KB of zlib for 60 MiB) gets CONNECTFAIL at once
  const hello = Buffer.from(`# serpent utf-8 python3.2\n{'handshake':'${"a".repeat(60 * 1024 * 1024)}','object':'svc'}`);
  const bomb = encodeMessage(MSG_CONNECT, hello, { serializerId: 1, compressThreshold: 0 }); // compressed by encodeMessage
  assert.ok(bomb.length < 100_000 && (bomb.readUInt16BE(8) & FLAGS_COMPRESSED) !== 0);
  const c1 = await rawClient(d.port!);
  t.after(() => c1.s.destroy());
  const { value: fail, ms } = await timed(async () => {
    c1.s.write(bomb);
    return c1.next();
  });
  assert.equal(fail.type, MSG_CONNECTFAIL);
  assert.match(unmarshalString(fail.data) ?? `(${fail.serializerId}) ${fail.data.toString("latin1")}`, /compressed CONNECT refused/);
  assert.ok(ms < 300, `answered in ${ms.toFixed(0)} ms`);
  await c1.closed;
  // a small compressed CONNECT (Python's COMPRESSION=True compresses one over 200 bytes) is accepted
  const c2 = await rawClient(d.port!);
  t.after(() => c2.s.destroy());
  c2.s.write(encodeMessage(MSG_CONNECT, serpent.dumps({ handshake: "h".repeat(300), object: "svc" }), { serializerId: 1, compressThreshold: 200 }));
  assert.equal((await c2.next()).type, MSG_CONNECTOK);
  // after it: an INVOKE inflating beyond 100 times its size (and 1 MiB) is answered with MessageTooLargeError, quickly
  const call = encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "echo", ["b".repeat(60 * 1024 * 1024)], {}), { seq: 5, serializerId: 1, compressThreshold: 0, maxMessageSize: 0 });
  assert.ok(call.length < 100_000);
  const { value: refused, ms: ms2 } = await timed(async () => {
    c2.s.write(call);
    return c2.next();
  });
  assert.equal(refused.seq, 5);
  assert.equal(exceptionOf(refused)["__class__"], "Pyro4.errors.MessageTooLargeError");
  assert.ok(refused.data.length + HEADER_SIZE < 64 * 1024);
  assert.ok(ms2 < 300, `refused in ${ms2.toFixed(0)} ms`);
  // an honestly compressed request still works on the same connection
  const honest = serpent.dumpsCall("svc", "echo", [Array.from({ length: 2000 }, (_, k) => `item ${k}`)], {});
  c2.s.write(encodeMessage(MSG_INVOKE, honest, { seq: 6, serializerId: 1, compressThreshold: 0 }));
  const echoed = await c2.next();
  assert.equal(echoed.flags & FLAGS_EXCEPTION, 0);
  assert.equal((serpent.loads(echoed.data) as string[]).length, 2000);
});
