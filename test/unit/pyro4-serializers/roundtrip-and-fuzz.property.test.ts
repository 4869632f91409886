/**
 * Property tests: loads(dumps(v)) gives v (modulo the documented mapping) for
 * random values, and random or mutated bytes never make loads throw anything
 * but a SerializationError.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { SerializationError } from "../../../src/core/errors.js";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { assertSame, expected, plainObject, pyString, safeKey, SERS, valueArb } from "./arbitraries.js";

// -------------------------------------------------------------- properties

describe("round trip properties", () => {
  for (const ser of SERS) {
    test(`${ser}: loads(dumps(v)) equals v under the documented mapping`, () => {
      const s = getSerializer(ser);
      fc.assert(
        fc.property(valueArb(ser), (v) => {
          assertSame(s.loads(s.dumps(v)), expected(v, ser));
        }),
        { numRuns: 400 },
      );
    });

    test(`${ser}: loadsCall(dumpsCall(...)) gives the call back`, () => {
      const s = getSerializer(ser);
      fc.assert(
        fc.property(pyString, pyString, fc.array(valueArb(ser), { maxLength: 4 }), fc.array(fc.tuple(safeKey, valueArb(ser)), { maxLength: 3 }), (obj, method, vargs, kwEntries) => {
          const kwargs = plainObject(kwEntries);
          const call = s.loadsCall(s.dumpsCall(obj, method, vargs, kwargs));
          assert.equal(call.objectId, obj);
          assert.equal(call.method, method);
          assertSame(call.vargs, vargs.map((x) => expected(x, ser)));
          assertSame(call.kwargs, expected(kwargs, ser));
        }),
        { numRuns: 150 },
      );
    });
  }
});

function onlySerializationErrors(s: ReturnType<typeof getSerializer>, data: Uint8Array): void {
  try {
    s.loads(data);
  } catch (e) {
    if (!(e instanceof SerializationError)) throw new Error(`loads threw ${String(e)} for ${Buffer.from(data).toString("hex").slice(0, 200)}`);
  }
}

describe("fuzz: random and mutated bytes only ever give SerializationError", () => {
  for (const ser of SERS) {
    test(`${ser}: random bytes`, () => {
      const s = getSerializer(ser);
      const alphabet = ser === "marshal" ? fc.uint8Array({ maxLength: 64 }) : fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 64 }).map((t) => Buffer.from(t)));
      fc.assert(fc.property(alphabet, (data) => onlySerializationErrors(s, data)), { numRuns: 1000 });
    });

    test(`${ser}: mutated valid payloads`, () => {
      const s = getSerializer(ser);
      const mutation = fc.array(fc.tuple(fc.constantFrom("flip", "insert", "delete", "dup"), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
      const deadline = Date.now() + 15_000;
      fc.assert(
        fc.property(valueArb(ser), mutation, (v, muts) => {
          if (Date.now() > deadline) return; // a slow machine runs fewer cases rather than failing
          let bytes = [...s.dumps(v)];
          for (const [op, at, b] of muts) {
            const i = bytes.length === 0 ? 0 : at % bytes.length;
            if (op === "flip") bytes[i] = b;
            else if (op === "insert") bytes.splice(i, 0, b);
            else if (op === "delete") bytes.splice(i, 1);
            else bytes = bytes.concat(bytes.slice(i, i + 8));
          }
          const t0 = Date.now();
          onlySerializationErrors(s, Uint8Array.from(bytes));
          assert.ok(Date.now() - t0 < 1000, "loads took too long");
        }),
        { numRuns: 600 },
      );
    });
  }

  test("serpent: mutated texts from the Python literal vocabulary", () => {
    const s = getSerializer("serpent");
    const token = fc.constantFrom("(", ")", "[", "]", "{", "}", ",", ":", "'", '"', "'''", "\\", "b'", "r'", "-", "+", "1", "1.5", "1e30000", "0x1f", "2j", "None", "True", "set()", "#", "\n", " ", "_", ".", "e", "\\x", "\\u", "\\N{", "\x00");
    fc.assert(fc.property(fc.array(token, { maxLength: 40 }), (tokens) => onlySerializationErrors(s, Buffer.from(tokens.join("")))), { numRuns: 2000 });
  });
});
