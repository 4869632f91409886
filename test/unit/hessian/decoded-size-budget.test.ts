/**
 * What a Hessian message decodes to is bounded before it is allocated: at
 * most min(maxDecodedSize, 64 KiB + maxExpansion × its length) bytes as the
 * decoder counts them, and the count is an upper bound of the heap the
 * decoded value really takes (measured here, after garbage collection, for
 * the shapes that expand the most). Nesting deeper than the stack is the
 * maxDepth limit error at any maxDepth, never a stack overflow.
 *
 * Regressions: a 16 MB message of empty lists decoded to about 1 GB in 8 s
 * (the exporter's RSS went from 72 MB to 933 MB); a maxDepth above ~2,500
 * gave "RangeError: Maximum call stack size exceeded".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCodes, RemotingError } from "../../../src/core/errors.js";
import { Hessian1Decoder, Hessian2Decoder, decode, decodeV1 } from "../../../src/protocols/hessian/decoder.js";
import { encode, encodeV1 } from "../../../src/protocols/hessian/encoder.js";
import { decodeCall, decodeReply, encodeCall, encodeReply } from "../../../src/protocols/hessian/envelope.js";
import { hessian } from "../../../src/protocols/hessian/index.js";
import { DECODED_SIZE_FLOOR, DEFAULT_LIMITS } from "../../../src/protocols/hessian/types.js";
import { heapNow } from "../../helpers/heap.js";

const limitCode = (err: unknown): boolean => err instanceof RemotingError && err.code === ErrorCodes.ERR_LIMIT_EXCEEDED;

/** `H 02 00 C "count" 1` then one argument: a variable list of `n` one-byte empty lists. */
function emptyListsCall(n: number): Buffer {
  const head = Buffer.from([0x48, 0x02, 0x00, 0x43, 0x05, ...Buffer.from("count"), 0x91]);
  const parts: Buffer[] = [head, Buffer.from([0x57])];
  // inner variable lists keep each under maxCollectionLength
  for (let left = n; left > 0; left -= 900_000) parts.push(Buffer.from([0x57]), Buffer.alloc(Math.min(left, 900_000), 0x78), Buffer.from([0x5a]));
  parts.push(Buffer.from([0x5a]));
  return Buffer.concat(parts);
}

test("a 16 MB message of empty lists is refused before it is decoded, quickly and without holding its expansion", () => {
  const body = emptyListsCall(16 * 1024 * 1024 - 64);
  const before = heapNow();
  const t0 = performance.now();
  let peak = 0;
  assert.throws(
    () => {
      try {
        decodeCall(body);
      } finally {
        peak = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
      }
    },
    (err: unknown) => limitCode(err) && /decodes to more than \d+ bytes/.test((err as Error).message),
  );
  const ms = performance.now() - t0;
  // before the fix: about 8 s and 1 GB
  assert.ok(ms < 3000, `refused after ${ms.toFixed(0)} ms`);
  assert.ok(peak - before < DEFAULT_LIMITS.maxDecodedSize * 2, `the heap grew by ${((peak - before) / 2 ** 20).toFixed(0)} MiB while refusing`);
  assert.ok(heapNow() - before < 8 * 2 ** 20, "nothing is kept once refused");
});

test("the budget is min(maxDecodedSize, 64 KiB + maxExpansion × length), shared by every argument of a call", () => {
  const d = new Hessian2Decoder(Buffer.alloc(1000));
  assert.equal(d.decodedSizeLimit, DECODED_SIZE_FLOOR + DEFAULT_LIMITS.maxExpansion * 1000);
  assert.equal(new Hessian2Decoder(Buffer.alloc(10), { maxDecodedSize: 5000 }).decodedSizeLimit, 5000);
  assert.equal(new Hessian1Decoder(Buffer.alloc(100), { maxExpansion: 2 }).decodedSizeLimit, DECODED_SIZE_FLOOR + 200);
  // two arguments of 40 KiB each fit one budget of 100 KiB, not three
  const arg = "x".repeat(20 * 1024);
  assert.equal(decodeCall(encodeCall("f", [arg, arg]), { maxDecodedSize: 100 * 1024 }).args.length, 2);
  assert.throws(() => decodeCall(encodeCall("f", [arg, arg, arg]), { maxDecodedSize: 100 * 1024 }), limitCode);
  // and the call says what it decoded to
  const call = decodeCall(encodeCall("f", [arg]));
  assert.ok(call.decodedSize >= 2 * arg.length && call.decodedSize < 4 * arg.length, `decodedSize ${call.decodedSize}`);
  // replies too
  assert.throws(() => decodeReply(encodeReply([arg, arg, arg]), { maxDecodedSize: 100 * 1024 }), limitCode);
  assert.throws(() => decodeV1(encodeV1([arg, arg, arg]), { maxDecodedSize: 100 * 1024 }), limitCode);
});

/** Shapes that expand the most per byte, as one list of `n` items. */
const SHAPES: Array<[string, (n: number) => unknown]> = [
  ["empty lists", (n) => Array.from({ length: n }, () => [])],
  ["empty maps", (n) => Array.from({ length: n }, () => ({}))],
  ["small maps", (n) => Array.from({ length: n }, (_, i) => ({ a: i % 50, b: 1 }))],
  ["two-field objects", (n) => Array.from({ length: n }, (_, i) => hessian.object("p.Point", { x: i % 10, y: 1 }))],
  ["ten-field objects", (n) => Array.from({ length: n / 5 }, (_, i) => hessian.object("p.Q", Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`f${k}`, (i + k) % 30]))))],
  ["dates", (n) => Array.from({ length: n }, (_, i) => new Date(i * 60_000))],
  ["short strings", (n) => Array.from({ length: n }, (_, i) => `s${i % 1000}`)],
  ["doubles", (n) => Array.from({ length: n }, (_, i) => i + 0.5)],
  ["mixed doubles", (n) => Array.from({ length: n }, (_, i) => (i % 2 ? i + 0.25 : "x"))],
  ["big longs", (n) => Array.from({ length: n }, (_, i) => 2 ** 60 + i * 2 ** 12)],
  ["empty binaries", (n) => Array.from({ length: n / 10 }, () => Buffer.alloc(0))],
  ["nested lists", (n) => Array.from({ length: n / 3 }, () => [[[]]])],
  ["wrapped longs (preserveTypes)", (n) => Array.from({ length: n }, (_, i) => hessian.long(i))],
];

/** Decodes with an unbounded budget; the decoder is dropped, only the value is kept. */
function decodeCounting(bytes: Buffer, preserveTypes: boolean): { value: unknown; counted: number; items: number } {
  const d = new Hessian2Decoder(bytes, { maxDecodedSize: 2 ** 40, maxExpansion: 10_000, preserveTypes });
  const value = d.read();
  return { value, counted: d.decodedSize, items: Array.isArray(value) ? value.length : -1 };
}

test("the decoder's count is an upper bound of the heap a decoded value takes, and it is within the stated bound", () => {
  for (const [name, make] of SHAPES) {
    const bytes = encode(make(60_000));
    const preserveTypes = name.includes("preserveTypes");
    // what the value holds: the heap it frees (the median of three measures: other work of the process adds noise)
    const measures: number[] = [];
    let r = decodeCounting(bytes, preserveTypes);
    for (let k = 0; k < 3; k++) {
      const box: { value: unknown } = { value: undefined };
      r = decodeCounting(bytes, preserveTypes);
      box.value = r.value;
      // (no local reads the value: an interpreter register holding it would keep it alive through the measure)
      const withValue = heapNow();
      box.value = r.value = undefined;
      measures.push(withValue - heapNow());
    }
    const held = measures.sort((x, y) => x - y)[1]!;
    assert.ok(r.items > 0);
    assert.ok(held > 0.2 * r.counted, `${name}: the measure is not meaningful (${held} bytes freed)`);
    assert.ok(held <= r.counted * 1.05 + 64 * 1024, `${name}: the value takes ${held} bytes, the decoder counted ${r.counted}`);
    // with the default budget, either it decodes (and then within the bound), or it is refused
    const bound = DECODED_SIZE_FLOOR + DEFAULT_LIMITS.maxExpansion * bytes.length;
    try {
      const d2 = new Hessian2Decoder(bytes, { preserveTypes });
      d2.read();
      assert.ok(d2.decodedSize <= bound && held <= bound, `${name}: ${held} bytes held for ${bytes.length} on the wire, over the bound ${bound}`);
    } catch (err) {
      assert.ok(limitCode(err), `${name}: ${String(err)}`);
    }
  }
});

test("usual data is not refused: lists of ints, doubles, strings and beans of up to 100,000 items", () => {
  const values: unknown[] = [
    Array.from({ length: 100_000 }, (_, i) => i % 60),
    Int32Array.from({ length: 100_000 }, (_, i) => i * 7),
    Array.from({ length: 100_000 }, (_, i) => i / 3),
    Array.from({ length: 100_000 }, (_, i) => `name-${i}`),
    Array.from({ length: 100_000 }, (_, i) => hessian.object("com.example.Point", { x: i % 10, y: i % 7 })),
    Array.from({ length: 50_000 }, (_, i) => ({ id: i, name: `n${i}`, when: new Date(i * 1000), score: i / 7 })),
    "é".repeat(4_000_000),
    Buffer.alloc(20 * 1024 * 1024, 7),
  ];
  for (const v of values) {
    const bytes = encode(v);
    assert.doesNotThrow(() => decode(bytes), `a value of ${bytes.length} bytes`);
  }
});

test("random values decode within their budget, and the count never exceeds it", () => {
  const leaf = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.string({ maxLength: 40 }), fc.boolean(), fc.constant(null), fc.date({ noInvalidDate: true }), fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("value"), { maxLength: 8 }), fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 6 })),
  }));
  fc.assert(
    fc.property(value, (v) => {
      const bytes = encode(v);
      const d = new Hessian2Decoder(bytes);
      d.read();
      assert.ok(d.decodedSize <= d.decodedSizeLimit);
      assert.ok(d.decodedSizeLimit <= DECODED_SIZE_FLOOR + DEFAULT_LIMITS.maxExpansion * bytes.length);
    }),
    { numRuns: 400 },
  );
});

test("nesting deeper than the stack is the maxDepth limit error at any maxDepth, never a stack overflow", () => {
  const n = 200_000;
  const deep2 = Buffer.concat([Buffer.alloc(n, 0x79), Buffer.from([0x4e])]); // [[[...null]]]
  const deep1 = Buffer.concat([Buffer.from("V".repeat(n), "latin1"), Buffer.from([0x4e]), Buffer.from("z".repeat(n), "latin1")]);
  const opts = { maxDepth: 1e9, maxExpansion: 1e6, maxDecodedSize: 2 ** 40 };
  const stackError = (err: unknown): boolean => limitCode(err) && /nested deeper than/.test((err as Error).message);
  assert.throws(() => decode(deep2, opts), stackError);
  assert.throws(() => new Hessian2Decoder(deep2, opts).read(), stackError);
  assert.throws(() => decodeV1(deep1, opts), stackError);
  assert.throws(() => decodeCall(Buffer.concat([Buffer.from([0x48, 0x02, 0x00, 0x43, 0x01, 0x66, 0x91]), deep2]), opts), stackError);
  assert.throws(() => decodeCall(Buffer.concat([Buffer.from([0x63, 0x02, 0x00, 0x6d, 0x00, 0x01, 0x66]), deep1, Buffer.from("z", "latin1")]), opts), stackError);
  assert.throws(() => decodeReply(Buffer.concat([Buffer.from([0x48, 0x02, 0x00, 0x52]), deep2]), opts), stackError);
  // and with the default maxDepth, the usual limit error
  assert.throws(() => decode(deep2), (err: unknown) => limitCode(err) && /deeper than 256 levels/.test((err as Error).message));
  // the encoder too
  let v: unknown = null;
  for (let i = 0; i < n; i++) v = [v];
  assert.throws(() => encode(v, { maxDepth: 1e9 }), stackError);
  assert.throws(() => encodeV1(v, { maxDepth: 1e9 }), stackError);
  assert.throws(() => encodeCall("f", [v], 2, { maxDepth: 1e9 }), stackError);
  // a value as deep as the stack allows comfortably still works with a high maxDepth
  let ok: unknown = 1;
  for (let i = 0; i < 1000; i++) ok = [ok];
  assert.deepEqual(decode(encode(ok, { maxDepth: 5000 }), { maxDepth: 5000 }), ok);
});
