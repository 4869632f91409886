import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tuple } from "../../../src/core/values.js";
import { DEFAULT_LIMITS, getSerializer, SERIALIZER_IDS } from "../../../src/codecs/python/index.js";

const NAMES = ["serpent", "json", "marshal"] as const;
const serErr = { name: "SerializationError", code: "ERR_SERIALIZATION" };
const limitErr = { name: "SerializationError", code: "ERR_LIMIT_EXCEEDED" };

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("getSerializer", () => {
  test("by id and by name", () => {
    assert.deepStrictEqual(SERIALIZER_IDS, { serpent: 1, json: 2, marshal: 3 });
    for (const [name, id] of Object.entries(SERIALIZER_IDS)) {
      assert.equal(getSerializer(id).name, name);
      assert.equal(getSerializer(name).id, id);
      assert.equal(getSerializer(name.toUpperCase()).id, id);
      assert.equal(getSerializer(String(id)).name, name);
    }
  });

  test("unknown and unsafe serializers are refused with ERR_SERIALIZATION", () => {
    for (const bad of [0, 4, 5, 6, 7, 9, "pickle", "dill", "msgpack", "xml", ""]) {
      assert.throws(() => getSerializer(bad), serErr, String(bad));
    }
    assert.throws(() => getSerializer(4), /pickle/);
  });

  test("bad limits are refused", () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(() => getSerializer("serpent", { maxDepth: bad }), { code: "ERR_INVALID_ARGUMENT" });
    }
    assert.equal(DEFAULT_LIMITS.maxDepth, 200);
  });
});

describe("limits", () => {
  test("nesting: the default (200) is accepted, deeper is ERR_LIMIT_EXCEEDED both ways", () => {
    for (const name of NAMES) {
      const s = getSerializer(name);
      assert.deepStrictEqual(s.loads(s.dumps(nested(200))), nested(200), name);
      assert.throws(() => s.dumps(nested(201)), limitErr, name);
      const small = getSerializer(name, { maxDepth: 10 });
      assert.throws(() => small.loads(s.dumps(nested(11))), limitErr, name);
      assert.deepStrictEqual(small.loads(s.dumps(nested(10))), nested(10));
    }
  });

  test("very deep input is refused quickly, without a stack overflow", () => {
    const t0 = Date.now();
    assert.throws(() => getSerializer("serpent").loads(Buffer.from("[".repeat(1_000_000))), limitErr);
    assert.throws(() => getSerializer("serpent").loads(Buffer.from("(".repeat(1_000_000))), limitErr);
    assert.throws(() => getSerializer("serpent").loads(Buffer.from("-".repeat(1_000_000) + "1")), limitErr);
    assert.throws(() => getSerializer("json").loads(Buffer.from("[".repeat(1_000_000))), limitErr);
    assert.throws(() => getSerializer("json").loads(Buffer.from('{"a":'.repeat(100_000))), limitErr);
    assert.throws(() => getSerializer("marshal").loads(Buffer.alloc(1_000_000, 0x5b)), /SerializationError|nested|truncated/);
    const deepMarshal = Buffer.concat(Array.from({ length: 1000 }, () => Buffer.from([0x29, 0x01])));
    assert.throws(() => getSerializer("marshal").loads(deepMarshal), limitErr);
    assert.ok(Date.now() - t0 < 5000);
  });

  test("large adversarial inputs are handled in linear time", () => {
    const serpent = getSerializer("serpent");
    const json = getSerializer("json");
    const t0 = Date.now();
    assert.throws(() => serpent.loads(Buffer.from("1".repeat(5_000_000))), limitErr);
    assert.throws(() => json.loads(Buffer.from("1".repeat(5_000_000))), limitErr);
    assert.equal((serpent.loads(Buffer.from("'a' ".repeat(500_000))) as string).length, 500_000);
    assert.equal(serpent.loads(Buffer.from(`#${"x".repeat(5_000_000)}\nNone`)), null);
    assert.equal((serpent.loads(Buffer.from(`'${"\\x41".repeat(500_000)}'`)) as string).length, 500_000);
    assert.equal((json.loads(Buffer.from(`"${"\\u0041".repeat(500_000)}"`)) as string).length, 500_000);
    assert.throws(() => serpent.loads(Buffer.from(`[${"1,".repeat(1_100_000)}]`)), limitErr);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  test("items", () => {
    for (const name of NAMES) {
      const s = getSerializer(name, { maxItems: 100 });
      const data = getSerializer(name).dumps(new Array(101).fill(0));
      assert.throws(() => s.loads(data), limitErr, name);
      assert.equal((s.loads(getSerializer(name).dumps(new Array(100).fill(0))) as unknown[]).length, 100);
    }
  });

  test("string length", () => {
    for (const name of NAMES) {
      const s = getSerializer(name, { maxStringLength: 1000 });
      assert.throws(() => s.loads(getSerializer(name).dumps("x".repeat(1001))), limitErr, name);
      assert.throws(() => s.loads(getSerializer(name).dumps(["a\n".repeat(501)])), limitErr, name);
      assert.equal(s.loads(getSerializer(name).dumps("x".repeat(1000))), "x".repeat(1000));
    }
    assert.throws(() => getSerializer("serpent", { maxStringLength: 10 }).loads(Buffer.from("'aaaaaa' 'bbbbbb'")), limitErr);
  });

  test("integer size: Python's own 4300-digit limit by default", () => {
    for (const name of NAMES) {
      const s = getSerializer(name);
      const ok = 10n ** 4299n;
      assert.equal(s.loads(s.dumps(ok)), ok);
      assert.throws(() => s.loads(s.dumps(10n ** 5000n)), limitErr, name);
    }
  });

  test("cycles are a SerializationError when writing, not a stack overflow", () => {
    const a: unknown[] = [1];
    a.push(a);
    const o: Record<string, unknown> = {};
    o["self"] = { back: o };
    const m = new Map<unknown, unknown>();
    m.set("m", [m]);
    for (const name of NAMES) {
      const s = getSerializer(name);
      for (const cyclic of [a, o, m]) assert.throws(() => s.dumps(cyclic), serErr, name);
      assert.throws(() => s.dumpsCall("o", "m", [a], {}), serErr);
      // shared (non-cyclic) references are fine
      const shared = [1, 2];
      assert.deepStrictEqual(s.loads(s.dumps([shared, shared])), [shared, shared]);
    }
  });
});

describe("bad input is always a SerializationError", () => {
  const serpentBad = [
    "",
    "# only a comment",
    "[1,",
    "[1 2]",
    "{'a' 1}",
    "{'a':}",
    "(1 2)",
    "'unterminated",
    "'''unterminated''",
    "'line\nbreak'",
    "01",
    "1__0",
    "1_",
    "0x",
    "1e",
    "1.2.3",
    "abc",
    "__import__('os')",
    "print(1)",
    "lambda: 1",
    "[x for x in y]",
    "{**a}",
    "f'x'",
    "ur'x'",
    "'\\N{BULLET}'",
    "'\\x4'",
    "'\\u12'",
    "'\\U00110000'",
    "--[1]",
    "-'a'",
    "{[1]: 2}",
    "{{1}: 2}",
    "{1, [2]}",
    "1 1",
    "'a\x00b'",
    "None\x00",
    "\x00",
    "b'\\777'",
    "True False",
    "(1,2))",
    "]",
  ];
  test("serpent syntax errors and non-literals", () => {
    const s = getSerializer("serpent");
    for (const bad of serpentBad) assert.throws(() => s.loads(Buffer.from(bad, "utf8")), serErr, JSON.stringify(bad));
    assert.throws(() => s.loads(Buffer.from([0x27, 0xff, 0x27])), serErr); // invalid UTF-8
    assert.throws(() => s.loads(Buffer.from([0x27, 0xed, 0xa0, 0x80, 0x27])), serErr); // an encoded surrogate
  });

  test("truncations of valid data", () => {
    const value = { k: [1, tuple(["x", 2.5, null]), new Set([1]), 2n ** 80n, "h\xe9\u{1F600}"], u: new Map([[1, true]]) };
    for (const name of NAMES) {
      const s = getSerializer(name);
      const full = name === "json" ? s.dumps({ ...value, k: [1, ["x", 2.5, null], [1], 2n ** 80n, "h\xe9\u{1F600}"], u: { "1": true } }) : s.dumps(value);
      s.loads(full);
      const start = name === "serpent" ? 26 : 0; // a truncated header leaves an empty document, also an error
      for (let n = start; n < full.length; n++) {
        assert.throws(() => s.loads(full.subarray(0, n)), { name: "SerializationError" }, `${name} truncated at ${n}`);
      }
    }
  });

  test("loads accepts any Uint8Array view and refuses non-bytes", () => {
    const s = getSerializer("json");
    const backing = new Uint8Array([0x20, 0x31, 0x32, 0x20]);
    assert.equal(s.loads(backing.subarray(1, 3)), 12);
    assert.throws(() => s.loads("12" as unknown as Uint8Array), serErr);
  });
});
