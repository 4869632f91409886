import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import fc from "fast-check";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { encodeMessage, FrameReader, HEADER_SIZE, MSG_CONNECT, MSG_INVOKE, FLAGS_META_ON_CONNECT } from "../../../src/protocols/pyro4/message.js";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { TestService } from "./support.js";

const serpent = getSerializer("serpent");

function validConnect(): Buffer {
  return encodeMessage(MSG_CONNECT, serpent.dumps({ handshake: "hello", object: "svc" }), { flags: FLAGS_META_ON_CONNECT, serializerId: 1 });
}

function validInvoke(seq: number): Buffer {
  return encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "echo", [seq, "x".repeat(seq % 50)], {}), { seq, serializerId: 1 });
}

/** Sends bytes on a fresh connection; resolves with what came back once the daemon closed it or went quiet. */
function probe(port: number, chunks: Buffer[]): Promise<{ replies: number; closed: boolean }> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, "127.0.0.1");
    const reader = new FrameReader();
    let replies = 0;
    let closed = false;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ replies, closed });
    };
    s.on("data", (c) => {
      try {
        replies += reader.push(c).length;
      } catch {
        /* the daemon's answer need not be parsable by a clean reader once we sent garbage */
      }
    });
    s.on("error", () => undefined);
    s.on("close", () => {
      closed = true;
      done();
    });
    const timer = setTimeout(done, 80);
    s.on("connect", () => {
      for (const c of chunks) s.write(c);
    });
  });
}

test("random and mutated frames never crash the daemon, which keeps serving other clients", async (t) => {
  const daemon = new PyroDaemon({ host: "127.0.0.1", maxMessageSize: 64 * 1024, handshakeTimeoutMs: 500, idleTimeoutMs: 2000 });
  await daemon.listen();
  daemon.register(new TestService(), "svc");
  const good = new PyroProxy(daemon.uriFor("svc"), { timeoutMs: 5000 });
  t.after(async () => {
    await good.close();
    await daemon.close();
  });
  assert.equal(await good.invoke("echo", ["before"]), "before");
  // a background client keeps calling while the fuzzing goes on
  let stop = false;
  let goodCalls = 0;
  const background = (async () => {
    while (!stop) {
      assert.equal(await good.invoke("echo", [goodCalls]), goodCalls);
      goodCalls++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("random" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
    fc.record({
      kind: fc.constant("flip" as const),
      afterConnect: fc.boolean(),
      positions: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
      seq: fc.integer({ min: 1, max: 200 }),
    }),
    fc.record({ kind: fc.constant("truncate" as const), cut: fc.nat(), seq: fc.integer({ min: 1, max: 200 }) }),
    fc.record({
      kind: fc.constant("header" as const),
      type: fc.integer({ min: 0, max: 10 }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      serializerId: fc.integer({ min: 0, max: 12 }),
      payload: fc.uint8Array({ maxLength: 200 }),
    }),
    fc.record({ kind: fc.constant("huge" as const), claimed: fc.integer({ min: 64 * 1024 + 1, max: 0x7fffffff }) }),
  );

  let answered = 0;
  let dropped = 0;
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      let chunks: Buffer[];
      switch (m.kind) {
        case "random":
          chunks = [Buffer.from(m.bytes)];
          break;
        case "flip": {
          const f = Buffer.from(m.afterConnect ? validInvoke(m.seq) : validConnect());
          for (const p of m.positions) f[p % f.length]! ^= 1 << p % 8;
          chunks = m.afterConnect ? [validConnect(), f] : [f];
          break;
        }
        case "truncate": {
          const f = validInvoke(m.seq);
          chunks = [validConnect(), f.subarray(0, m.cut % f.length)];
          break;
        }
        case "header":
          chunks = [validConnect(), encodeMessage(m.type, Buffer.from(m.payload), { flags: m.flags & ~2, serializerId: m.serializerId, seq: 7 })];
          break;
        case "huge": {
          const h = Buffer.alloc(HEADER_SIZE);
          h.write("PYRO", 0, "latin1");
          h.writeUInt16BE(48, 4);
          h.writeUInt16BE(MSG_INVOKE, 6);
          h.writeInt32BE(m.claimed, 12);
          h.writeUInt16BE(1, 16);
          h.writeUInt16BE((MSG_INVOKE + 48 + m.claimed + 1 + 0x34e9) & 0xffff, 22);
          chunks = [validConnect(), h];
          break;
        }
      }
      const r = await probe(daemon.port!, chunks);
      if (r.closed) dropped++;
      if (r.replies > 0) answered++;
      assert.equal(daemon.listening, true);
    }),
    { numRuns: 150, seed: 4242 },
  );
  stop = true;
  await background;
  assert.ok(goodCalls > 10, `the other client kept working (${goodCalls} calls)`);
  assert.equal(await good.invoke("echo", ["after"]), "after");
  t.diagnostic(`fuzz: ${answered} connections answered, ${dropped} dropped, ${goodCalls} calls of a well-behaved client meanwhile`);
  assert.ok(answered > 0 && dropped > 0);
});
