import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Complex, Decimal, FrozenSet, tuple } from "../../../src/core/values.js";
import { getSerializer, PyroURIValue } from "../../../src/codecs/python/index.js";

const json = getSerializer("json");
const text = (v: unknown) => json.dumps(v).toString("utf8");
const load = (s: string) => json.loads(Buffer.from(s, "utf8"));

describe("json writes what Python's json serializer reads", () => {
  test("numbers: ints, Python float repr, NaN and Infinity tokens, big ints", () => {
    assert.equal(text(42), "42");
    assert.equal(text(2.5), "2.5");
    assert.equal(text(-0), "-0.0");
    assert.equal(text(1e16), "1e+16");
    assert.equal(text(2 ** 60), "1.152921504606847e+18");
    assert.equal(text(NaN), "NaN");
    assert.equal(text(Infinity), "Infinity");
    assert.equal(text(-Infinity), "-Infinity");
    assert.equal(text(2n ** 70n), "1180591620717411303424");
  });

  test("strings, containers and other values", () => {
    assert.equal(text("h\xe9 \u{1F600} \"q\" \\ \n \u2028 \ud800"), '"h\xe9 \u{1F600} \\"q\\" \\\\ \\n \u2028 \\ud800"');
    assert.equal(text([1, tuple([2]), new Set([3])]), "[1, [2], [3]]");
    assert.equal(text({ a: null, b: undefined }), '{"a": null, "b": null}');
    assert.equal(text(new Map<unknown, unknown>([[1, "i"], [1.5, "f"], [true, "t"], [null, "n"], [2n ** 64n, "b"]])), '{"1": "i", "1.5": "f", "true": "t", "null": "n", "18446744073709551616": "b"}');
    assert.equal(text(new Decimal("1.25")), '"1.25"');
    assert.equal(text(new Date(Date.UTC(2020, 1, 3, 4, 5, 6))), '"2020-02-03T04:05:06+00:00"');
    assert.equal(text(Buffer.from([1, 2])), '{"data": "AQI=", "encoding": "base64"}');
    assert.equal(text(new PyroURIValue("PYRO", "x", null, "h", 1)), '{"__class__": "Pyro4.core.URI", "state": ["PYRO", "x", null, "h", 1]}');
    assert.equal(text(new TypeError("bad")), '{"__class__": "builtins.TypeError", "__exception__": true, "args": ["bad"], "attributes": {}}');
  });

  test("a call is {object, method, params, kwargs} in that order", () => {
    assert.equal(
      json.dumpsCall("test.service", "get_data", ["x"], {}).toString(),
      '{"object": "test.service", "method": "get_data", "params": ["x"], "kwargs": {}}',
    );
    assert.deepStrictEqual(json.loadsCall(Buffer.from('{"object": "o", "method": "m", "params": [1, [2]], "kwargs": {"k": 1e400}}')), {
      objectId: "o",
      method: "m",
      vargs: [1, [2]],
      kwargs: { k: Infinity },
    });
    assert.deepStrictEqual(json.loadsCall(Buffer.from('{"object": "o", "method": "__getattr__", "params": ["a"], "kwargs": null}')).kwargs, {});
    for (const bad of ['{"object": "o", "method": "m", "params": []}', '[1,2,3,4]', '{"object": 1, "method": "m", "params": [], "kwargs": {}}', '{"object": "o", "method": "m", "params": {}, "kwargs": {}}']) {
      assert.throws(() => json.loadsCall(Buffer.from(bad)), { name: "SerializationError" }, bad);
    }
  });

  test("values json cannot carry are refused with SerializationError", () => {
    for (const bad of [new Complex(1, 2), new Map([[tuple([1]), 1]]), () => 0]) {
      assert.throws(() => json.dumps(bad), { name: "SerializationError", code: "ERR_SERIALIZATION" });
    }
  });
});

describe("json reads Python's json output", () => {
  test("non-standard tokens and exact big integers", () => {
    assert.ok(Number.isNaN(load("NaN") as number));
    assert.deepStrictEqual(load("[Infinity, -Infinity, -0.0, -0, 1e400]"), [Infinity, -Infinity, -0, 0, Infinity]);
    assert.equal(load("1180591620717411303424"), 2n ** 70n);
    assert.equal(load("-9007199254740993"), -9007199254740993n);
    assert.equal(load("9007199254740991"), 9007199254740991);
    assert.equal(load("123456789012345678901234567890.5"), 1.2345678901234568e29);
  });

  test("strings with escapes and raw UTF-8", () => {
    assert.equal(load('"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/ \xe9 \u{1F600}"'), "\xe9\u{1F600}\n\t\"\\/ \xe9 \u{1F600}");
    assert.equal(load('"\\ud800"'), "\ud800");
  });

  test("objects: plain objects, __proto__ safe, URI mapped", () => {
    const o = load('{"__proto__": {"polluted": 1}, "a": [1, {"b": null}]}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.deepStrictEqual(Object.keys(o), ["__proto__", "a"]);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.deepStrictEqual(load('{"__class__": "Pyro4.core.URI", "state": ["PYRO", "obj", null, "127.0.0.1", 9090]}'), new PyroURIValue("PYRO", "obj", null, "127.0.0.1", 9090));
    // the serpent float dict is not a json convention
    assert.deepStrictEqual(load('{"__class__": "float", "value": "nan"}'), { __class__: "float", value: "nan" });
    assert.deepStrictEqual(load('{"a": 1, "a": 2}'), { a: 2 });
  });

  test("malformed json is a SerializationError", () => {
    for (const bad of ["", " ", "[1,]", "{\"a\" 1}", "01", "1.", "-", "nan", "[1", "\"abc", "\"\\x41\"", "\"a\nb\"", "tru", "{1: 2}", "1 2", "\ufeff1", "[1] x", "+1", ".5", "1e", '"\\u12"']) {
      assert.throws(() => load(bad), { name: "SerializationError" }, JSON.stringify(bad));
    }
  });
});

describe("json round trips", () => {
  test("values come back as the documented json mapping", () => {
    const cases: Array<[unknown, unknown]> = [
      [null, null],
      [-0, -0],
      [0.30000000000000004, 0.30000000000000004],
      [-Infinity, -Infinity],
      [2n ** 99n, 2n ** 99n],
      ["x\u{10FFFF}\udc00", "x\u{10FFFF}\udc00"],
      [tuple([1, 2]), [1, 2]],
      [new FrozenSet(["a"]), ["a"]],
      [new Map([[7, "seven"]]), { "7": "seven" }],
      [{ nested: { deeper: [true, false] } }, { nested: { deeper: [true, false] } }],
    ];
    for (const [input, expected] of cases) assert.deepStrictEqual(json.loads(json.dumps(input)), expected);
  });
});
