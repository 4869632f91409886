import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { fastPathCounts, resetFastPathCounts } from "../../../src/core/fast-paths.js";

const json = getSerializer("json");
/** preserveTypes: never the native writers, always the general one. */
const general = getSerializer("json", { preserveTypes: true });

/** What Python's json.dumps writes for a value JS and Python write alike and whose strings hold no ',' or ':' (JSON.stringify with Python's separators). */
function pythonText(v: unknown): string {
  return JSON.stringify(v).replace(/[,:]/g, "$& ");
}

/** Numbers JS and Python write alike: safe ints (not -0), floats that are not whole with 1e-4 <= |x| < 1e16. */
function alike(x: number): boolean {
  const a = Math.abs(x);
  return (Number.isSafeInteger(x) && !Object.is(x, -0)) || (a >= 1e-4 && a < 1e16 && !Number.isInteger(a));
}

const alikeNumber = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ min: 1e-4, max: 1e16, maxExcluded: true, noNaN: true }),
  fc.double({ min: -1e16, max: -1e-4, minExcluded: true, noNaN: true }),
  // short decimals, the digit-by-digit class
  fc.tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 8 })).map(([n, k]) => n / 10 ** k),
  fc.constantFrom(0.1, 0.2, 0.30000000000000004, 1e-4, 9999999.99999999, 1e7 - 0.5, 0.015, 1.005, 4.35, 2.675, 9007199254740.99),
).filter(alike);

const plainString = fc.string({ unit: fc.constantFrom("a", " ", '"', "\\", "\u0001", "\u007f", "\u00e9", "\u6771", "\u{1F680}", "~") });

test("json: documents with lists of numbers are written digit by digit, as Python's json.dumps writes them", () => {
  resetFastPathCounts();
  let taken = 0;
  fc.assert(
    fc.property(fc.array(alikeNumber, { minLength: 16, maxLength: 200 }), (list) => {
      const bytes = json.dumps(list);
      assert.equal(bytes.toString("utf8"), pythonText(list));
      assert.deepEqual(bytes, general.dumps(list));
      taken++;
    }),
    { numRuns: 500 },
  );
  assert.equal(fastPathCounts()["json.dumps.numberLists"], taken);
});

test("json: the number-list writer writes keys, strings and nesting as the other writers do", () => {
  const doc = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small" }, alikeNumber, plainString, fc.boolean(), fc.constant(null), tie("list"), tie("dict")),
    list: fc.array(tie("value"), { maxLength: 6 }),
    dict: fc.dictionary(plainString, tie("value"), { maxKeys: 5, noNullPrototype: true }),
  }));
  fc.assert(
    fc.property(doc.value, fc.array(alikeNumber, { minLength: 16, maxLength: 40 }), (v, numbers) => {
      const withNumbers = { numbers, v };
      resetFastPathCounts();
      const bytes = json.dumps(withNumbers);
      assert.equal(fastPathCounts()["json.dumps.numberLists"], 1);
      assert.equal(bytes.toString("utf8"), pythonText(withNumbers));
      assert.deepEqual(bytes, general.dumps(withNumbers));
      assert.deepEqual(json.loads(bytes), withNumbers);
    }),
    { numRuns: 300 },
  );
  // a call's arguments too
  const floats = Array.from({ length: 1000 }, (_, i) => i * 1.25);
  resetFastPathCounts();
  const call = json.dumpsCall("bench", "echo", [floats], {});
  assert.equal(fastPathCounts()["json.dumps.numberLists"], 1);
  assert.equal(call.toString("utf8"), pythonText({ object: "bench", method: "echo", params: [floats], kwargs: {} }));
});

test("json: few numbers in lists, or a value outside the class, take the other writers", () => {
  resetFastPathCounts();
  json.dumps(Array.from({ length: 15 }, (_, i) => i / 4));
  json.dumps({ a: Array.from({ length: 100 }, (_, i) => i / 4), b: 1e-7 });
  json.dumps([...Array.from({ length: 100 }, (_, i) => i), "a,b"]);
  assert.equal(fastPathCounts()["json.dumps.numberLists"], 0);
  assert.equal(json.dumps([...Array.from({ length: 20 }, (_, i) => i), 1e-7]).toString(), `[${Array.from({ length: 20 }, (_, i) => i).join(", ")}, 1e-07]`);
});

test("json: a number-list document past maxEncodedSize is refused with ERR_MESSAGE_TOO_LARGE", () => {
  const small = getSerializer("json", { maxEncodedSize: 1000 });
  const list = Array.from({ length: 400 }, (_, i) => i + 0.5);
  assert.throws(() => small.dumps(list), { code: "ERR_MESSAGE_TOO_LARGE" });
  const big = Array.from({ length: 200_000 }, (_, i) => i + 0.125);
  assert.throws(() => getSerializer("json", { maxEncodedSize: 100_000 }).dumps(big), { code: "ERR_MESSAGE_TOO_LARGE" });
  assert.equal(json.dumps(big).length, pythonText(big).length);
});

test("json: an enumerable key added to Object.prototype is written by no writer, and never leaves stray bytes", () => {
  const values = [{ a: 1, b: [1.5, 2] }, { a: 1, b: Array.from({ length: 20 }, (_, i) => i / 2) }, [{ x: "y" }, { z: null }]];
  const before = values.map((v) => json.dumps(v));
  Object.defineProperty(Object.prototype, "polluted", { value: "x", enumerable: true, configurable: true });
  try {
    values.forEach((v, i) => {
      const b = json.dumps(v);
      assert.deepEqual(b, before[i], b.toString("latin1"));
      assert.equal(b.toString("utf8"), pythonText(v));
    });
  } finally {
    delete (Object.prototype as Record<string, unknown>)["polluted"];
  }
});

test("json: a getter that answers differently each time never makes the native writer send bytes it did not write", () => {
  for (const grow of [true, false]) {
    let calls = 0;
    const v = {
      a: "x",
      get b(): unknown[] {
        calls++;
        // the class check reads one length, JSON.stringify another
        return (calls % 2 === 1) === grow ? [1, 2] : [1, 2, 3, 4, 5];
      },
    };
    const out = json.dumps(v).toString("latin1");
    assert.ok(![...out].some((c) => c.charCodeAt(0) < 0x20), out);
    const parsed = JSON.parse(out) as { a: string; b: number[] };
    assert.equal(parsed.a, "x");
    assert.ok(parsed.b.length === 2 || parsed.b.length === 5, out);
  }
});

test("json: a value that leaves the class between the check and the writing is written by the general writer", () => {
  let calls = 0;
  const v = {
    numbers: Array.from({ length: 20 }, (_, i) => i + 0.5),
    get b(): unknown {
      // the class check sees a list of numbers, the writers a Map (a dict to Python)
      return ++calls === 1 ? [1, 2] : new Map([["k", 1]]);
    },
  };
  resetFastPathCounts();
  const out = json.dumps(v).toString("utf8");
  assert.equal(fastPathCounts()["json.dumps.numberLists"], 0);
  assert.ok(out.endsWith(', "b": {"k": 1}}'), out);
});
