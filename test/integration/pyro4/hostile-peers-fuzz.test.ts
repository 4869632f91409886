/**
 * Bounded fuzzing runs (a few seconds each) of the Pyro framing, the daemon
 * and the name server, with the memory measured before and after: hostile
 * input gets clean errors, never a crash, never a stall of other clients,
 * and leaves nothing behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { setTimeout as sleep } from "node:timers/promises";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { startNameServer } from "../../../src/protocols/pyro4/nameserver.js";
import { locateNS } from "../../../src/protocols/pyro4/naming.js";
import {
  encodeMessage,
  FLAGS_BATCH,
  FLAGS_COMPRESSED,
  FLAGS_ONEWAY,
  FrameReader,
  MSG_CONNECT,
  MSG_INVOKE,
  MSG_PING,
  type PyroMessage,
} from "../../../src/protocols/pyro4/message.js";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { MessageTooLargeError, NamingError, ProtocolError, RemoteInvocationError, RemotingError, SecurityError } from "../../../src/core/errors.js";
import { marshalReferenceBomb, rawClient, serpent, until } from "./hostile-support.js";
import { gc } from "../../helpers/heap.js";

const MiB = 1024 * 1024;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

class Service {
  echo(x: unknown): unknown {
    return x;
  }
  async later(ms: number): Promise<number> {
    await sleep(Math.min(Number(ms) || 0, 50));
    return 1;
  }
  *items(n: number): Generator<number> {
    for (let i = 0; i < Math.min(Number(n) || 0, 100); i++) yield i;
  }
}

test("framing: any split of a valid stream gives the same messages; random bytes only ever raise protocol errors, and nothing is held beyond one frame", () => {
  const frames = fc.array(
    fc.record({ payload: fc.uint8Array({ maxLength: 300 }), seq: fc.integer({ min: 0, max: 0xffff }), flags: fc.constantFrom(0, FLAGS_ONEWAY, FLAGS_BATCH), compress: fc.boolean() }),
    { minLength: 1, maxLength: 6 },
  );
  fc.assert(
    fc.property(frames, fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }), (fs, cuts) => {
      const wire = Buffer.concat(fs.map((f) => encodeMessage(MSG_INVOKE, f.payload, { seq: f.seq, flags: f.flags, serializerId: 1, compressThreshold: f.compress ? 0 : undefined })));
      const reader = new FrameReader({ maxMessageSize: 4096 });
      const got: PyroMessage[] = [];
      let at = 0;
      for (let k = 0; at < wire.length; k++) {
        const n = cuts[k % cuts.length]!;
        got.push(...reader.push(wire.subarray(at, at + n)).map((m) => ({ ...m, data: Buffer.from(m.data) }) as PyroMessage));
        at += n;
        assert.ok(reader.pending <= 4096 + 24 + 400);
      }
      assert.equal(got.length, fs.length);
      got.forEach((m, i) => {
        assert.equal(m.seq, fs[i]!.seq);
        assert.deepEqual([...m.data], [...fs[i]!.payload]);
      });
    }),
    { numRuns: 400 },
  );
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (chunks, prefix) => {
      const reader = new FrameReader({ maxMessageSize: 1024, deferDecompression: true });
      try {
        if (prefix) reader.push(Buffer.from("PYRO\x00\x30", "latin1"));
        for (const c of chunks) reader.push(c);
      } catch (err) {
        assert.ok(err instanceof ProtocolError || err instanceof SecurityError || err instanceof MessageTooLargeError, String(err));
      }
      assert.ok(reader.pending <= 1024 + 24 + 200 * 8);
    }),
    { numRuns: 1000 },
  );
});

test("the daemon under a bounded fuzzing run: clean answers, no stall of a well-behaved client, no memory left behind", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1", maxMessageSize: "1MiB", handshakeTimeoutMs: 300, frameTimeoutMs: 300, idleTimeoutMs: "2s" });
  await d.listen();
  d.register(new Service(), "svc");
  const good = new PyroProxy(d.uriFor("svc"), { timeoutMs: 5000 });
  t.after(async () => {
    await good.close();
    await d.close();
  });
  assert.equal(await good.invoke("echo", ["warm"]), "warm");
  const before = heapAfterGc();
  const sers = [getSerializer("serpent"), getSerializer("json"), getSerializer("marshal")];
  const seeds = fc.sample(fc.jsonValue({ maxDepth: 3 }), { numRuns: 30, seed: 7 });
  const frameArb = fc.oneof(
    fc.record({ kind: fc.constant("call" as const), ser: fc.nat(2), seed: fc.nat(seeds.length - 1), method: fc.constantFrom("echo", "later", "items", "nope", "_x"), flags: fc.constantFrom(0, FLAGS_ONEWAY, FLAGS_BATCH, FLAGS_COMPRESSED), flip: fc.option(fc.tuple(fc.nat(), fc.nat(255))) }),
    fc.record({ kind: fc.constant("garbage" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
    fc.record({ kind: fc.constant("bomb" as const), levels: fc.integer({ min: 3, max: 8 }) }),
    fc.record({ kind: fc.constant("ping" as const) }),
    fc.record({ kind: fc.constant("partial" as const), size: fc.integer({ min: 100, max: 900_000 }) }),
  );
  const end = Date.now() + 3000;
  let worst = 0;
  let goodCalls = 0;
  const background = (async () => {
    while (Date.now() < end) {
      const t0 = performance.now();
      assert.equal(await good.invoke("echo", [goodCalls]), goodCalls);
      worst = Math.max(worst, performance.now() - t0);
      goodCalls++;
      await sleep(5);
    }
  })();
  let attacks = 0;
  const attacker = async () => {
    while (Date.now() < end) {
      const c = await rawClient(d.port!);
      c.s.write(encodeMessage(MSG_CONNECT, serpent.dumps({ handshake: "hello", object: "svc" }), { serializerId: 1 }));
      for (const f of fc.sample(frameArb, { numRuns: 12 })) {
        if (c.isClosed()) break;
        attacks++;
        let frame: Buffer;
        if (f.kind === "call") {
          const ser = sers[f.ser]!;
          frame = encodeMessage(MSG_INVOKE, ser.dumpsCall("svc", f.method, [seeds[f.seed]], {}), { serializerId: ser.id, seq: attacks & 0xffff, flags: f.flags & ~FLAGS_COMPRESSED, compressThreshold: f.flags & FLAGS_COMPRESSED ? 0 : undefined });
          if (f.flip) frame[24 + (f.flip[0] % Math.max(1, frame.length - 24))] = f.flip[1];
        } else if (f.kind === "garbage") frame = Buffer.from(f.bytes);
        else if (f.kind === "bomb") frame = encodeMessage(MSG_INVOKE, marshalReferenceBomb(f.levels, 10), { serializerId: 3, seq: 1 });
        else if (f.kind === "ping") frame = encodeMessage(MSG_PING, Buffer.from("ping"), { serializerId: 42 });
        else frame = encodeMessage(MSG_INVOKE, Buffer.alloc(f.size, 0x61), { serializerId: 1 }).subarray(0, 24 + (f.size >> 1));
        c.s.write(frame);
      }
      await sleep(20);
      c.s.destroy();
    }
  };
  await Promise.all([background, attacker(), attacker(), attacker()]);
  assert.ok(attacks > 100, `${attacks} hostile frames`);
  assert.ok(goodCalls > 20, `${goodCalls} good calls`);
  assert.ok(worst < 1000, `a good call waited ${worst.toFixed(0)} ms`);
  // every hostile connection is gone, with what it held
  assert.ok(await until(() => d.connectionCount === 1 && d.heldBytes === 0, 3000), `${d.connectionCount} connections, ${d.heldBytes} bytes held`);
  assert.ok(await until(() => d.peerCount === 1, 1000), `${d.peerCount} client addresses remembered`);
  await sleep(50);
  const grew = heapAfterGc() - before;
  assert.ok(grew < 32 * MiB, `heap grew by ${(grew / MiB).toFixed(1)} MiB`);
  assert.equal(await good.invoke("echo", ["after"]), "after");
});

test("the name server under a bounded fuzzing run: random queries, names, metadata and patterns get answers or NamingErrors, fast, and memory stays bounded", async (t) => {
  const h = await startNameServer({ host: "127.0.0.1", port: 0, broadcast: false, maxEntries: 500 });
  const client = await locateNS("127.0.0.1", h.daemon.port!);
  t.after(async () => {
    await client.close();
    await h.close();
  });
  const before = heapAfterGc();
  const piece = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("(a+)+$", "(a|aa)*", ".*", "[", "\\", "(?=x)", "a{1000}", "{", "\\1", "(?i)", "$", "^", "|", "(?P<n>x)", "\\b", "a**"));
  const op = fc.oneof(
    fc.record({ op: fc.constant("register" as const), name: fc.string({ maxLength: 600 }), meta: fc.array(fc.string({ maxLength: 100 }), { maxLength: 70 }) }),
    fc.record({ op: fc.constant("regex" as const), pattern: fc.array(piece, { maxLength: 6 }).map((xs) => xs.join("")) }),
    fc.record({ op: fc.constant("lookup" as const), name: fc.string({ maxLength: 600 }) }),
    fc.record({ op: fc.constant("remove" as const), pattern: fc.array(piece, { maxLength: 3 }).map((xs) => xs.join("")) }),
    fc.record({ op: fc.constant("meta" as const), any: fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }) }),
  );
  // names the patterns can chew on
  for (let k = 0; k < 50; k++) await client.register(`${"a".repeat(k * 9)}${k % 2 ? "b" : ""}.svc${k}`, "PYRO:o@127.0.0.1:1", { metadata: [`t${k % 5}`] });
  const end = Date.now() + 2500;
  let calls = 0;
  let slowest = 0;
  while (Date.now() < end) {
    for (const o of fc.sample(op, { numRuns: 20 })) {
      const t0 = performance.now();
      try {
        if (o.op === "register") await client.register(o.name || "x", "PYRO:o@127.0.0.1:1", { metadata: o.meta });
        else if (o.op === "regex") await client.list({ regex: o.pattern });
        else if (o.op === "lookup") await client.lookup(o.name).catch((e: unknown) => assert.ok(e instanceof NamingError || e instanceof RemoteInvocationError));
        else if (o.op === "remove") await client.remove({ regex: o.pattern });
        else await client.list({ metadataAny: o.any });
      } catch (err) {
        // a refusal is a naming error (or a type error for a malformed argument), never a broken connection
        assert.ok(err instanceof NamingError || (err instanceof RemoteInvocationError && /NamingError|TypeError|ValueError/.test(err.remoteType)), String(err));
        assert.ok(!(err instanceof RemotingError) || err.code !== "ERR_CONNECTION_CLOSED");
      }
      slowest = Math.max(slowest, performance.now() - t0);
      calls++;
    }
  }
  assert.ok(calls > 100, `${calls} calls`);
  assert.ok(slowest < 500, `the slowest call took ${slowest.toFixed(0)} ms`);
  assert.ok((await client.count()) <= 500);
  const grew = heapAfterGc() - before;
  assert.ok(grew < 32 * MiB, `heap grew by ${(grew / MiB).toFixed(1)} MiB`);
  await client.ping();
});
