/**
 * Random and mutated bytes never crash or hang the decoders: every input
 * either decodes or fails with a RemotingError carrying a stable code, in
 * bounded time. Random JS values round-trip through the encoder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCodes, RemotingError } from "../../../src/core/errors.js";
import { decode, decodeV1 } from "../../../src/protocols/hessian/decoder.js";
import { encode, encodeV1 } from "../../../src/protocols/hessian/encoder.js";
import { decodeCall, decodeReply } from "../../../src/protocols/hessian/envelope.js";
import { loadVectors } from "./support.js";

const V = loadVectors();
const seeds: Buffer[] = [
  ...V.hessian2.filter((v) => v.hex.length < 4000).map((v) => Buffer.from(v.hex, "hex")),
  ...V.hessian2DecodeOnly.map((v) => Buffer.from(v.hex, "hex")),
  ...V.hessian1.filter((v) => v.hex.length < 4000).map((v) => Buffer.from(v.hex, "hex")),
  ...V.envelopes.flatMap((e) => [Buffer.from(e.requestHex, "hex"), Buffer.from(e.replyHex, "hex")]),
];
const STABLE = new Set<string>([ErrorCodes.ERR_SERIALIZATION, ErrorCodes.ERR_LIMIT_EXCEEDED, ErrorCodes.ERR_PROTOCOL]);
const decoders: Array<[string, (b: Buffer) => unknown]> = [
  ["decode", (b) => decode(b)],
  ["decodeV1", (b) => decodeV1(b)],
  ["decodeCall", (b) => decodeCall(b)],
  ["decodeReply", (b) => decodeReply(b)],
];

function survives(bytes: Buffer): void {
  for (const [name, fn] of decoders) {
    const t0 = performance.now();
    try {
      fn(bytes);
    } catch (err) {
      if (!(err instanceof RemotingError) || !STABLE.has(err.code)) {
        assert.fail(`${name}(${bytes.toString("hex").slice(0, 80)}) threw ${String(err)}`);
      }
    }
    const ms = performance.now() - t0;
    assert.ok(ms < 500, `${name} took ${ms.toFixed(0)} ms on ${bytes.length} bytes`);
  }
}

const mutated = fc
  .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete", "truncate")), { minLength: 1, maxLength: 6 }))
  .map(([seed, edits]) => {
    let b = Buffer.from(seed);
    for (const [at, byte, kind] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (kind === "set" && b.length) b[i] = byte;
      else if (kind === "insert") b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      else if (kind === "delete") b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      else b = b.subarray(0, i);
    }
    return b;
  });

test("random bytes never crash the decoders", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (a) => survives(Buffer.from(a))),
    { numRuns: 1500 },
  );
});

test("random bytes after a valid header never crash the envelope decoders", () => {
  const headers = [[0x48, 0x02, 0x00, 0x43], [0x63, 0x02, 0x00, 0x6d], [0x63, 0x01, 0x00], [0x48, 0x02, 0x00, 0x52], [0x48, 0x02, 0x00, 0x46], [0x72, 0x01, 0x00]];
  fc.assert(
    fc.property(fc.constantFrom(...headers), fc.uint8Array({ maxLength: 200 }), (h, a) => survives(Buffer.concat([Buffer.from(h), Buffer.from(a)]))),
    { numRuns: 1500 },
  );
});

test("mutated golden vectors never crash the decoders", () => {
  fc.assert(fc.property(mutated, survives), { numRuns: 2000 });
});

test("hostile shapes fail fast with a stable code", () => {
  const hostile = [
    Buffer.alloc(100000, 0x43), // class definitions without end
    Buffer.concat([Buffer.from([0x43, 0x01, 0x61, 0x90]), Buffer.alloc(50000, 0x43)]),
    Buffer.from("43016190".repeat(20000), "hex"), // valid definitions one after another
    Buffer.alloc(100000, 0x58), // nested list lengths
    Buffer.alloc(100000, 0x79), // nested compact lists
    Buffer.alloc(100000, 0x48), // nested maps
    Buffer.alloc(100000, 0x56), // Hessian 1 nested lists
    Buffer.concat([Buffer.from([0x55, 0x00]), Buffer.alloc(100000, 0x51)]),
    Buffer.from("58497fffffff", "hex"),
    Buffer.from("5649000000", "hex"),
  ];
  for (const b of hostile) survives(b);
});

const jsValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noDefaultInfinity: false }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((b) => b < -(2n ** 53n) || b > 2n ** 53n),
    fc.string({ unit: "binary" }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    fc.integer({ min: -8.64e12, max: 8.64e12 }).map((ms) => new Date(ms)),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== "__proto__"), tie("value"), { maxKeys: 5 }),
  ),
})).value;

test("random JS values round-trip through Hessian 2 and 1", () => {
  fc.assert(
    fc.property(jsValue, (v) => {
      // Decoded maps are ordinary objects (fast-check may build null-prototype ones).
      // Hessian 2 writes -0 as 0.0 (as Java does); Hessian 1 keeps the sign (full 'D' form).
      const fix = (x: unknown, zero: boolean): unknown =>
        Array.isArray(x)
          ? x.map((y) => fix(y, zero))
          : x && typeof x === "object" && !(x instanceof Date) && !Buffer.isBuffer(x)
            ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, fix(y, zero)]))
            : zero && Object.is(x, -0)
              ? 0
              : x;
      assert.deepStrictEqual(decode(encode(v)), fix(v, true));
      assert.deepStrictEqual(decodeV1(encodeV1(v)), fix(v, false));
    }),
    { numRuns: 500 },
  );
});
