/**
 * A bounded fuzzing run (a few seconds) of the Pyro4 frame reader, with the
 * heap measured before and after: valid frames (signed, compressed, with
 * annotations) mutated, cut, repeated and split anywhere, and random bytes,
 * read with and without an HMAC key, inflating or deferring it. Every input
 * gives messages or a ProtocolError, SecurityError or MessageTooLargeError,
 * quickly; the reader never holds more than one frame's limit plus the chunk
 * it was given; nothing is left behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeMessage, FLAGS_BATCH, FLAGS_ONEWAY, FrameReader, HEADER_SIZE, inflatePayload, MSG_CONNECT, MSG_INVOKE, MSG_PING, MSG_RESULT } from "../../../src/protocols/pyro4/message.js";
import { MessageTooLargeError, ProtocolError, SecurityError } from "../../../src/core/errors.js";
import { heapNow } from "../../helpers/heap.js";

const MiB = 1024 * 1024;
const LIMIT = 4096;
const RUN_MS = 2500;
const KEY = Buffer.from("fuzz-hmac-key");

const frameArb = fc.record({
  type: fc.constantFrom(MSG_CONNECT, MSG_INVOKE, MSG_RESULT, MSG_PING),
  payload: fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 20_000 }).map((n) => new Uint8Array(n).fill(0x61))),
  seq: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.constantFrom(0, FLAGS_ONEWAY, FLAGS_BATCH),
  compress: fc.boolean(),
  signed: fc.boolean(),
  annotation: fc.option(fc.uint8Array({ maxLength: 40 })),
});

const inputArb = fc.record({
  frames: fc.array(frameArb, { minLength: 1, maxLength: 4 }),
  mode: fc.constantFrom("valid", "mutated", "cut", "random"),
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
  cut: fc.nat(),
  repeat: fc.nat({ max: 3 }),
  random: fc.uint8Array({ minLength: 1, maxLength: 600 }),
  splits: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }),
  readerKey: fc.boolean(),
  defer: fc.boolean(),
  transient: fc.boolean(),
});

type Input = typeof inputArb extends fc.Arbitrary<infer T> ? T : never;

function wireOf(input: Input): Buffer {
  if (input.mode === "random") return Buffer.from(input.random);
  let wire = Buffer.concat(
    input.frames.map((f) =>
      encodeMessage(f.type, f.payload, {
        seq: f.seq,
        flags: f.flags,
        serializerId: 1,
        compressThreshold: f.compress ? 0 : undefined,
        hmacKey: f.signed ? KEY : undefined,
        annotations: f.annotation === null ? undefined : new Map([["XTRA", f.annotation]]),
      }),
    ),
  );
  if (input.mode === "mutated") for (const [at, byte] of input.flips) wire[at % wire.length] = byte;
  if (input.mode === "cut") wire = wire.subarray(0, input.cut % (wire.length + 1));
  if (input.repeat > 0) wire = Buffer.concat(Array.from({ length: input.repeat + 1 }, () => wire));
  return wire;
}

test("a bounded fuzzing run of the Pyro4 frame reader: messages or protocol errors, one frame held at most, nothing left behind", { timeout: 60_000 }, async () => {
  const before = heapNow();
  const deadline = performance.now() + RUN_MS;
  let runs = 0;
  let messages = 0;
  let refused = 0;
  let slowest = 0;
  const check = (input: Input): void => {
    runs++;
    const wire = wireOf(input);
    const reader = new FrameReader({ maxMessageSize: LIMIT, hmacKey: input.readerKey ? KEY : undefined, deferDecompression: input.defer }, input.transient);
    const t0 = performance.now();
    try {
      let at = 0;
      for (let k = 0; at < wire.length; k++) {
        const n = input.splits[k % input.splits.length]!;
        const chunk = Buffer.from(wire.subarray(at, at + n));
        for (const m of reader.push(chunk)) {
          messages++;
          assert.ok(m.data.length <= LIMIT, `a payload of ${m.data.length} bytes`);
          // a deferred compressed payload inflates within a limit, or is refused
          if (input.defer) {
            try {
              inflatePayload(m.data, LIMIT);
            } catch (err) {
              assert.ok(err instanceof ProtocolError || err instanceof MessageTooLargeError, String(err));
            }
          }
        }
        if (input.transient) chunk.fill(0); // the caller reuses its buffer: nothing kept may depend on it
        at += n;
        assert.ok(reader.pending <= LIMIT + HEADER_SIZE + n, `holds ${reader.pending} bytes`);
      }
    } catch (err) {
      refused++;
      assert.ok(err instanceof ProtocolError || err instanceof SecurityError || err instanceof MessageTooLargeError, String(err));
    }
    slowest = Math.max(slowest, performance.now() - t0);
  };
  // in batches, each its own turn of the event loop as a server's reads are (zlib frees a failed stream's memory on the next tick)
  for (let seed = 1982; performance.now() < deadline; seed++) {
    for (const input of fc.sample(inputArb, { numRuns: 100, seed })) check(input);
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setImmediate(r));
  const grew = heapNow() - before;
  if (process.env["REMOTING_TEST_VERBOSE"]) console.log(`${runs} inputs, ${messages} messages, ${refused} refused, slowest ${slowest.toFixed(1)} ms, heap +${(grew / MiB).toFixed(1)} MiB`);
  assert.ok(runs >= 500, `only ${runs} inputs in ${RUN_MS} ms`);
  assert.ok(messages > 0 && refused > 0, `messages ${messages}, refused ${refused}`);
  assert.ok(slowest < 250, `the slowest input took ${slowest.toFixed(0)} ms`);
  assert.ok(grew < 8 * MiB, `the heap grew by ${(grew / MiB).toFixed(1)} MiB over ${runs} inputs`);
});
