/**
 * A bounded fuzzing run of every Hessian decoder (values of both versions,
 * call and reply envelopes), with the heap measured before and after: every
 * input decodes or fails with a coded RemotingError, in bounded time, within
 * its decoded-size budget, and nothing is left behind. Inputs: mutated
 * golden vectors, random bytes, and encodings of random values cut, spliced
 * and repeated (long runs of one code are what expand the most).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCodes, RemotingError } from "../../../src/core/errors.js";
import { Hessian1Decoder, Hessian2Decoder } from "../../../src/protocols/hessian/decoder.js";
import { encodeV1 } from "../../../src/protocols/hessian/encoder.js";
import { decodeCall, decodeReply, encodeCall, encodeReply } from "../../../src/protocols/hessian/envelope.js";
import { DECODED_SIZE_FLOOR, DEFAULT_LIMITS } from "../../../src/protocols/hessian/types.js";
import { loadVectors } from "./support.js";
import { heapNow } from "../../helpers/heap.js";

const STABLE = new Set<string>([ErrorCodes.ERR_SERIALIZATION, ErrorCodes.ERR_LIMIT_EXCEEDED, ErrorCodes.ERR_PROTOCOL]);
const RUN_MS = 8000;

const V = loadVectors();
const seeds: Buffer[] = [
  ...V.hessian2.filter((v) => v.hex.length < 2000).map((v) => Buffer.from(v.hex, "hex")),
  ...V.hessian1.filter((v) => v.hex.length < 2000).map((v) => Buffer.from(v.hex, "hex")),
  ...V.envelopes.flatMap((e) => [Buffer.from(e.requestHex, "hex"), Buffer.from(e.replyHex, "hex")]),
  encodeCall("f", [[1, "a", { b: [new Date(0), 2.5] }]]),
  encodeReply({ list: [[], {}, [[]]] }),
  encodeV1({ x: [1, 2, "y"] }),
];

/** One decoding: the decoded size stays within the budget, and only coded errors come out. */
function decodeOne(name: string, bytes: Buffer): void {
  const budget = Math.min(DEFAULT_LIMITS.maxDecodedSize, DECODED_SIZE_FLOOR + DEFAULT_LIMITS.maxExpansion * bytes.length);
  const t0 = performance.now();
  try {
    if (name === "v2") {
      const d = new Hessian2Decoder(bytes);
      d.read();
      assert.ok(d.decodedSize <= budget);
    } else if (name === "v1") {
      const d = new Hessian1Decoder(bytes);
      d.read();
      assert.ok(d.decodedSize <= budget);
    } else if (name === "call") {
      const c = decodeCall(bytes);
      assert.ok(c.decodedSize <= budget);
    } else decodeReply(bytes);
  } catch (err) {
    if (!(err instanceof RemotingError) || !STABLE.has(err.code)) assert.fail(`${name}(${bytes.toString("hex").slice(0, 80)}) threw ${String(err)}`);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 500, `${name} took ${ms.toFixed(0)} ms on ${bytes.length} bytes`);
}

const inputs = fc.oneof(
  // mutated vectors
  fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })).map(([s, edits]) => {
    const b = Buffer.from(s);
    for (const [at, byte] of edits) if (b.length) b[at % b.length] = byte;
    return b;
  }),
  // random bytes
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  // a header, then one code repeated (the most expanding inputs), then anything
  fc.tuple(fc.constantFrom([0x48, 0x02, 0x00, 0x43, 0x01, 0x66, 0x91], [0x48, 0x02, 0x00, 0x52], [0x63, 0x02, 0x00, 0x6d, 0x00, 0x01, 0x66], []), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 200_000 }), fc.uint8Array({ maxLength: 20 })).map(
    ([head, code, n, tail]) => Buffer.concat([Buffer.from(head), Buffer.from([0x57]), Buffer.alloc(n, code), Buffer.from(tail)]),
  ),
  // two encodings spliced
  fc.tuple(fc.constantFrom(...seeds), fc.constantFrom(...seeds), fc.nat(), fc.nat()).map(([a, b, i, j]) => Buffer.concat([a.subarray(0, i % (a.length + 1)), b.subarray(j % (b.length + 1))])),
);

test("a bounded fuzzing run of the Hessian decoders leaves nothing behind", { timeout: 60_000 }, () => {
  // warm up (JIT, caches), then measure
  for (const s of seeds) for (const n of ["v2", "v1", "call", "reply"]) decodeOne(n, s);
  const before = heapNow();
  const end = performance.now() + RUN_MS;
  let runs = 0;
  let stop = false;
  fc.assert(
    fc.property(inputs, (bytes) => {
      if (stop || performance.now() > end) {
        stop = true;
        return;
      }
      for (const n of ["v2", "v1", "call", "reply"]) decodeOne(n, bytes);
      runs++;
    }),
    { numRuns: 20_000, seed: 4038 },
  );
  const grew = heapNow() - before;
  assert.ok(runs >= 500, `only ${runs} inputs in ${RUN_MS} ms`);
  // the class-definition cache may hold up to 512 definitions of at most 4 KiB
  assert.ok(grew < 8 * 2 ** 20, `the heap grew by ${(grew / 2 ** 20).toFixed(1)} MiB over ${runs} inputs`);
});
