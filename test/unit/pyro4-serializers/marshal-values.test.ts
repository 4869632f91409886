import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Complex, FrozenSet, tuple } from "../../../src/core/values.js";
import { getSerializer, PyroURIValue } from "../../../src/codecs/python/index.js";

const marshal = getSerializer(3);
const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ""), "hex");

describe("marshal reads what Python's marshal writes", () => {
  test("CONNECTFAIL strings in every string form", () => {
    const reason = "message used serializer that is not accepted: 9";
    // 0xfa = 'z' | FLAG_REF, length 0x2f: as captured from a real daemon
    assert.equal(marshal.loads(Buffer.concat([hex("fa 2f"), Buffer.from(reason)])), reason);
    assert.equal(marshal.loads(Buffer.concat([hex("5a 03"), Buffer.from("abc")])), "abc"); // 'Z'
    assert.equal(marshal.loads(Buffer.concat([hex("61 03000000"), Buffer.from("abc")])), "abc"); // 'a'
    assert.equal(marshal.loads(Buffer.concat([hex("41 03000000"), Buffer.from("abc")])), "abc"); // 'A'
    assert.equal(marshal.loads(hex("f5 03000000 68c3a9")), "h\xe9"); // 'u' | FLAG_REF
    assert.equal(marshal.loads(hex("74 03000000 eda080")), "\ud800"); // surrogatepass
    assert.equal(marshal.loads(hex("7a 02 80ff")), "\x80\xff"); // ASCII types are read as ISO-8859-1, as Python does
    assert.equal(marshal.loads(hex("75 03000000 efbfbd")), "\ufffd");
    assert.throws(() => marshal.loads(hex("75 02000000 c328")), { name: "SerializationError" });
  });

  test("scalars", () => {
    assert.equal(marshal.loads(hex("4e")), null);
    assert.equal(marshal.loads(hex("54")), true);
    assert.equal(marshal.loads(hex("46")), false);
    assert.equal(marshal.loads(hex("e9 2a000000")), 42);
    assert.equal(marshal.loads(hex("e9 f9ffffff")), -7);
    assert.equal(marshal.loads(hex("ec 05000000 0000 0000 0000 0000 0004")), 2n ** 70n);
    assert.equal(marshal.loads(hex("ec fbffffff 0000 0000 0000 0000 0004")), -(2n ** 70n));
    assert.equal(marshal.loads(hex("e7 000000000000f83f")), 1.5);
    assert.equal(marshal.loads(Buffer.concat([hex("66 03"), Buffer.from("nan")])), NaN);
    assert.deepStrictEqual(marshal.loads(hex("f9 000000000000f83f 00000000000000c0")), new Complex(1.5, -2));
    assert.deepStrictEqual(marshal.loads(hex("f3 03000000 0001ff")), Buffer.from([0, 1, 255]));
  });

  test("containers and back-references", () => {
    // ('a', 'a') with the second item a reference to the first
    assert.deepStrictEqual(marshal.loads(hex("a9 02 fa 01 61 72 01000000")), tuple(["a", "a"]));
    // [1, None]
    assert.deepStrictEqual(marshal.loads(hex("5b 02000000 e9 01000000 4e")), [1, null]);
    // {'a': 1, 2: 'b'}
    assert.deepStrictEqual(marshal.loads(hex("fb da 01 61 e9 01000000 e9 02000000 da 01 62 30")), new Map<unknown, unknown>([["a", 1], [2, "b"]]));
    // {1, 2} and frozenset({1})
    assert.deepStrictEqual(marshal.loads(hex("bc 02000000 e9 01000000 e9 02000000")), new Set([1, 2]));
    assert.deepStrictEqual(marshal.loads(hex("be 01000000 e9 01000000")), new FrozenSet([1]));
  });

  test("code objects, unknown types, bad references and truncated data are SerializationErrors", () => {
    for (const bad of ["e3 00000000", "3f", "72 00000000", "a9 02 72 00000000 4e", "e9 2a00", "5b ffffffff", "5b 10000000 4e", "fa 05 6162", "7b 4e", "", "4e 4e", "ec 02000000 0080 0000"]) {
      assert.throws(() => marshal.loads(hex(bad)), { name: "SerializationError" }, bad);
    }
  });
});

describe("marshal round trips", () => {
  test("every supported type", () => {
    const cases: Array<[unknown, unknown]> = [
      [null, null],
      [true, true],
      [2147483647, 2147483647],
      [-2147483649, -2147483649],
      [2n ** 100n, 2n ** 100n],
      [-(2n ** 100n), -(2n ** 100n)],
      [-0, -0],
      [NaN, NaN],
      [new Complex(NaN, -0), new Complex(NaN, -0)],
      ["ascii", "ascii"],
      ["x".repeat(300), "x".repeat(300)],
      ["h\xe9 \u{1F600} \udbff", "h\xe9 \u{1F600} \udbff"],
      [Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3])],
      [tuple([1, tuple([])]), tuple([1, tuple([])])],
      [tuple(new Array(300).fill(1)), tuple(new Array(300).fill(1))],
      [[1, "a", [null]], [1, "a", [null]]],
      [new Set(), new Set()],
      [new FrozenSet(["q"]), new FrozenSet(["q"])],
      [{ a: { b: 1 } }, { a: { b: 1 } }],
      [new Map([[Buffer.from("k"), 1]]), new Map([[Buffer.from("k"), 1]])],
      [new PyroURIValue("PYRO", "o", null, "h", 1), new PyroURIValue("PYRO", "o", null, "h", 1)],
    ];
    for (const [input, expected] of cases) assert.deepStrictEqual(marshal.loads(marshal.dumps(input)), expected);
    assert.deepStrictEqual(marshal.loadsCall(marshal.dumpsCall("o", "m", [1, "x"], { k: tuple([2]) })), { objectId: "o", method: "m", vargs: [1, "x"], kwargs: { k: tuple([2]) } });
  });
});
