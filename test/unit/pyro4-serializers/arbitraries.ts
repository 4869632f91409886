/**
 * fast-check generators of JS values in the serializers' domain, and the
 * documented mapping of what loads(dumps(v)) gives for them.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Complex, Decimal, FrozenSet, tuple } from "../../../src/core/values.js";
import { PyroURIValue } from "../../../src/codecs/python/index.js";

export type Ser = "serpent" | "json" | "marshal";
export const SERS: Ser[] = ["serpent", "json", "marshal"];

// -------------------------------------------------------------- generators

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
export const pyString = fc
  .array(fc.oneof({ weight: 6, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) }, { weight: 1, arbitrary: loneSurrogate }, { weight: 1, arbitrary: fc.constantFrom("'", '"', "\\", "\n", "\x00", "\u2028", "'''", "\\x41") }), { maxLength: 5 })
  .map((parts) => parts.join(""));
export const safeKey = pyString.filter((k) => k !== "__class__" && k !== "data" && k !== "encoding");

/** Scalars for the hot paths' properties: text of every kind (separators, quotes, escapes, controls), ints, floats at the edges of the writers' forms, booleans, None. */
export const hotPathScalar = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: fc.constantFrom("a", " ", ",", ":", '"', "'", "\\", "\u007f", "\u0001", "~") }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.boolean(),
  fc.constant(null),
  fc.double(),
  fc.constantFrom(-0, 1e15, 1e16, 1e-5, 0.5, -2.25),
);

const scalar = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  pyString,
);
/** Values usable as dict keys and set elements in every format that has them. */
const hashable = fc.oneof(fc.integer(), pyString, fc.boolean(), fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }));

export function valueArb(ser: Ser) {
  const extras: Array<fc.Arbitrary<unknown>> = [
    fc.date({ noInvalidDate: true, min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)) }),
    fc.stringMatching(/^-?\d{1,20}(\.\d{1,20})?$/).map((t) => new Decimal(t)),
    fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
    fc.tuple(fc.constantFrom("PYRO", "PYRONAME"), fc.string({ maxLength: 8 }), fc.option(fc.string({ maxLength: 8 }), { nil: null }), fc.integer({ min: 0, max: 65535 })).map(
      ([p, o, h, port]) => new PyroURIValue(p, o, null, h, h === null ? null : port),
    ),
  ];
  if (ser !== "json") extras.push(fc.tuple(fc.double(), fc.double()).filter(([r, i]) => ser === "marshal" || (!Number.isNaN(r) && !Number.isNaN(i))).map(([r, i]) => new Complex(r, i)));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, ...extras, tie("container")),
    container: fc.oneof(
      fc.array(tie("value"), { maxLength: 5 }),
      fc.array(tie("value"), { maxLength: 5 }).map((a) => tuple(a)),
      fc.array(hashable, { maxLength: 5 }).map((a) => new Set(a)),
      fc.array(hashable, { maxLength: 3 }).map((a) => new FrozenSet(a)),
      fc.array(fc.tuple(safeKey, tie("value")), { maxLength: 5 }).map((entries) => {
        const o: Record<string, unknown> = {};
        for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }),
      fc.array(fc.tuple(ser === "json" ? fc.integer() : hashable, tie("value")), { maxLength: 4 }).map((entries) => new Map(entries)),
    ),
  }));
  return value;
}

// -------------------------------------------------------------- the documented mapping

export function plainObject(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

function pyKeyText(k: unknown): string {
  if (typeof k === "string") return k;
  if (typeof k === "number") return String(k);
  return String(k);
}

/** What loads(dumps(v)) must give for a serializer. */
export function expected(v: unknown, ser: Ser): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof v !== "object") return v;
  if (v instanceof Date) {
    const iso = v.toISOString();
    const ms = v.getUTCMilliseconds();
    return `${iso.slice(0, 19)}${ms ? `.${String(ms).padStart(3, "0")}000` : ""}+00:00`;
  }
  if (v instanceof Decimal) return v.text;
  if (Buffer.isBuffer(v)) return ser === "marshal" ? v : { data: v.toString("base64"), encoding: "base64" };
  if (v instanceof Complex && ser === "serpent") {
    // written as (re+imj) or (re-|im|j) and read as Python computes it: some signed zeros are lost
    const neg = v.imag < 0 || Object.is(v.imag, -0);
    return neg ? new Complex(v.real, 0 - Math.abs(v.imag)) : new Complex(v.real + 0, v.imag);
  }
  if (v instanceof PyroURIValue || v instanceof Complex) return v;
  if (Array.isArray(v)) {
    const items = v.map((x) => expected(x, ser));
    return Object.isFrozen(v) && ser !== "json" ? tuple(items) : items;
  }
  if (v instanceof Set) {
    const items = [...v].map((x) => expected(x, ser));
    if (ser === "json") return items;
    if (ser === "marshal") return v instanceof FrozenSet ? new FrozenSet(items) : new Set(items);
    return items.length === 0 ? tuple([]) : new Set(items);
  }
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [expected(k, ser), expected(x, ser)] as [unknown, unknown]);
    if (ser === "json") return plainObject(entries.map(([k, x]) => [pyKeyText(k), x]));
    if (entries.every(([k]) => typeof k === "string")) return plainObject(entries as Array<[string, unknown]>);
    return new Map(entries);
  }
  return plainObject(Object.entries(v).map(([k, x]) => [k, expected(x, ser)]));
}

/** deepStrictEqual plus: arrays expected to be tuples must be frozen, lists must not. */
export function assertSame(actual: unknown, want: unknown): void {
  assert.deepStrictEqual(actual, want);
  const walk = (a: unknown, w: unknown): void => {
    if (Array.isArray(w)) {
      assert.equal(Object.isFrozen(a), Object.isFrozen(w), "tuple/list mismatch");
      w.forEach((x, i) => walk((a as unknown[])[i], x));
    } else if (w && typeof w === "object" && Object.getPrototypeOf(w) === Object.prototype) {
      for (const k of Object.keys(w)) walk((a as Record<string, unknown>)[k], (w as Record<string, unknown>)[k]);
    }
  };
  walk(actual, want);
}

