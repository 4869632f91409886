import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCodes, SerializationError } from "../../../src/core/errors.js";
import { Hessian2Decoder, decode, decodeV1 } from "../../../src/protocols/hessian/decoder.js";
import { Hessian2Encoder, encode, encodeV1 } from "../../../src/protocols/hessian/encoder.js";
import {
  ClassRegistry,
  HESSIAN_CLASS,
  HessianDouble,
  HessianInt,
  HessianLong,
  hessian,
  hessianClassOf,
  hessianTypeOf,
} from "../../../src/protocols/hessian/types.js";

const hex = (b: Buffer): string => b.toString("hex");
const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

function rejects(fn: () => unknown, code: string, re?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SerializationError, `expected SerializationError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (re) assert.match(err.message, re);
    return true;
  });
}

test("JS numbers map to int, long or double as Java expects", () => {
  assert.equal(hex(encode(0)), "90");
  assert.equal(hex(encode(-2049)), "d3f7ff");
  assert.equal(hex(encode(2147483647)), "497fffffff");
  assert.equal(hex(encode(2147483648)), "4c0000000080000000", "a whole number beyond int32 is a long");
  assert.equal(hex(encode(12.25)), "5f00002fda", "the int32-thousandths form");
  assert.equal(hex(encode(1e300)), "447e37e43c8800759c", "whole numbers beyond 2^53 stay doubles (no clamping)");
  assert.equal(hex(encode(NaN)), "447ff8000000000000", "NaN is a double, not null");
  assert.equal(hex(encode(-0)), "5b");
  assert.equal(hex(encode(9007199254740993n)), "4c0020000000000001");
  assert.throws(() => encode(2n ** 64n), SerializationError);
});

test("wrappers force the Java type: HessianDouble, HessianLong, HessianInt", () => {
  assert.equal(hex(encode(new HessianDouble(3))), "5d03");
  assert.equal(hex(encode(hessian.double(0))), "5b");
  assert.equal(hex(encode(hessian.double(40000))), "5f02625a00");
  assert.equal(hex(encode(new HessianLong(7))), "e7");
  assert.equal(hex(encode(hessian.long("9223372036854775807"))), "4c7fffffffffffffff");
  assert.equal(hex(encode(new HessianInt(-1))), "8f");
  assert.throws(() => new HessianInt(2 ** 31));
  assert.throws(() => new HessianLong(1.5));
  assert.throws(() => new HessianLong(2n ** 63n));
  assert.equal(hex(encodeV1(new HessianDouble(3))), "444008000000000000");
  // A wrapper from another copy of the package (same Symbol.for brand, different class).
  class ForeignDouble {
    constructor(readonly value: number) {}
  }
  Object.defineProperty(ForeignDouble.prototype, Symbol.for("remoting.hessian.wrapper"), { value: "double" });
  assert.equal(hex(encode(new ForeignDouble(3))), "5d03");
  assert.equal(hex(encodeV1(7)), "4900000007");
});

test("strings: UTF-16 lengths, surrogates one by one, lone surrogates round-trip", () => {
  assert.equal(hex(encode("\ud83d\ude00")), "02eda0bdedb880");
  const lone = "a\ud800b\udfffc";
  assert.equal(decode(encode(lone)), lone);
  assert.equal(decode(h("02 f09f9880")), "\ud83d\ude00", "4-byte UTF-8 is accepted leniently and counts as two units");
  rejects(() => decode(h("01 ff")), ErrorCodes.ERR_SERIALIZATION, /bad utf-8/);
  rejects(() => decode(h("02 c3")), ErrorCodes.ERR_SERIALIZATION, /truncated/);
});

test("long strings are chunked at 32768 units and never split a surrogate pair", () => {
  const s = "a".repeat(32767) + "\ud83d\ude00" + "z".repeat(40000);
  const b = encode(s);
  assert.equal(b[0], 0x52);
  assert.equal(b.readUInt16BE(1), 32767, "the first chunk is shortened so the pair stays whole");
  assert.equal(decode(b), s);
  const big = "\u20ac".repeat(70000);
  assert.equal(decode(encode(big)), big);
  assert.equal(decodeV1(encodeV1(big)), big);
});

test("binary values round-trip at every chunk boundary", () => {
  for (const n of [0, 15, 16, 1023, 1024, 8189, 8190, 70000]) {
    const b = Buffer.alloc(n, 7);
    assert.deepEqual(decode(encode(b)), b, `length ${n}`);
    assert.deepEqual(decodeV1(encodeV1(b)), b, `v1 length ${n}`);
  }
});

test("dates use the minutes form when whole minutes fit", () => {
  assert.equal(hex(encode(new Date(60000))), "4b00000001");
  assert.equal(hex(encode(new Date(1700000000123))), "4a0000018bcfe5687b");
  assert.throws(() => encode(new Date(NaN)), SerializationError);
  assert.deepEqual(decode(encode(new Date(-1))), new Date(-1));
});

test("lists, maps, sets and typed arrays", () => {
  assert.equal(hex(encode([1, 2, 3])), "7b919293");
  assert.equal(hex(encode(hessian.list("[int", [1, 2, 3]))), "73045b696e74919293");
  assert.equal(hex(encode(new Int32Array([1, 2, 3]))), "73045b696e74919293");
  assert.equal(hex(encode(new Float64Array([1.5]))), "71075b646f75626c655f000005dc");
  assert.equal(hex(encode({ a: 1, b: "x" })), "48016191016201785a");
  assert.equal(hex(encode(new Map([[1, "one"], [2, "two"]]))), "4891036f6e65920374776f5a");
  assert.equal(hex(encode(hessian.map("java.util.TreeMap", { a: 1, b: 2 }))), "4d116a6176612e7574696c2e547265654d61700161910162925a");
  const set = decode(encode(new Set([1, 2]))) as unknown[];
  assert.deepEqual(set, [1, 2]);
  assert.equal(hessianTypeOf(set), "java.util.HashSet");
  const m = decode(encode(new Map([["a", 1]])), { mapsAs: "map" });
  assert.ok(m instanceof Map);
});

test("shared and cyclic containers become references", () => {
  const shared = { k: 1 };
  assert.equal(hex(encode([shared, shared])), "7a48016b915a5191");
  const self: unknown[] = ["x"];
  self.push(self);
  assert.equal(hex(encode(self)), "7a01785190");
});

class Person {
  firstName = "";
  lastName = "";
  attributes: string[] = [];
  fullName(): string {
    return `${this.firstName} ${this.lastName}`;
  }
}

test("registered classes encode with their Java name and decode to instances", () => {
  const reg = new ClassRegistry().register("com.example.Person", Person, { fields: ["firstName", "lastName", "attributes"] });
  const p = Object.assign(new Person(), { firstName: "Greg", lastName: "Turnquist", attributes: ["a"] });
  const bytes = encode(p, { registry: reg });
  assert.ok(bytes.includes(Buffer.from("com.example.Person")));
  const back = decode(bytes, { registry: reg });
  assert.ok(back instanceof Person);
  assert.equal(back.fullName(), "Greg Turnquist");
  // Without the registry: a plain object that keeps its class name.
  const plain = decode(bytes) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(plain), Object.prototype);
  assert.equal(hessianClassOf(plain), "com.example.Person");
  assert.deepEqual(plain, { firstName: "Greg", lastName: "Turnquist", attributes: ["a"] });
  // A typed plain object re-encodes as the same Java object.
  assert.equal(hex(encode(plain)), hex(bytes));
  // Unknown incoming fields are ignored for registered classes that list their fields.
  const extra = encode(hessian.object("com.example.Person", { firstName: "A", evil: 1 }));
  const q = decode(extra, { registry: reg }) as Person;
  assert.ok(q instanceof Person);
  assert.equal((q as unknown as Record<string, unknown>)["evil"], undefined);
});

test("nothing but registered classes is instantiated; __proto__ fields stay own data", () => {
  const bytes = encode(hessian.object("java.lang.Object", { ["__proto__"]: { polluted: true } }));
  const obj = decode(bytes) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(obj), Object.prototype);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  const map = decode(h("48 09 5f5f70726f746f5f5f 48 01 78 54 5a 5a")) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(map), Object.prototype);
  assert.equal(({} as Record<string, unknown>)["x"], undefined);
  assert.equal(hessianClassOf(obj), "java.lang.Object");
  assert.equal((obj as Record<symbol, unknown>)[HESSIAN_CLASS], "java.lang.Object");
});

test("limits are checked before allocating", () => {
  rejects(() => decode(h("58 49 7fffffff")), ErrorCodes.ERR_LIMIT_EXCEEDED, /exceeds the limit/);
  rejects(() => decode(h("58 d4 1000 90")), ErrorCodes.ERR_SERIALIZATION, /truncated/);
  rejects(() => decode(h("53 ffff 61")), ErrorCodes.ERR_SERIALIZATION, /truncated/);
  rejects(() => decode(h("42 ffff 00")), ErrorCodes.ERR_SERIALIZATION, /truncated/);
  const deep = Buffer.concat([Buffer.alloc(300, 0x79), Buffer.from([0x4e])]);
  rejects(() => decode(deep), ErrorCodes.ERR_LIMIT_EXCEEDED, /nested deeper/);
  rejects(() => decode(encode("abcdef"), { maxStringLength: 5 }), ErrorCodes.ERR_LIMIT_EXCEEDED);
  rejects(() => decode(encode(Buffer.alloc(20)), { maxBinaryLength: 10 }), ErrorCodes.ERR_LIMIT_EXCEEDED);
  rejects(() => decode(encode([1, 2, 3]), { maxCollectionLength: 2 }), ErrorCodes.ERR_LIMIT_EXCEEDED);
  const deepArr: unknown[] = [];
  let cur = deepArr;
  for (let i = 0; i < 300; i++) {
    const next: unknown[] = [];
    cur.push(next);
    cur = next;
  }
  rejects(() => encode(deepArr), ErrorCodes.ERR_LIMIT_EXCEEDED);
});

test("bad references and definitions are clear errors", () => {
  rejects(() => decode(h("51 95")), ErrorCodes.ERR_SERIALIZATION, /reference 5/);
  rejects(() => decode(h("60")), ErrorCodes.ERR_SERIALIZATION, /unknown class definition/);
  rejects(() => decode(h("71 93 90")), ErrorCodes.ERR_SERIALIZATION, /unknown type/);
  rejects(() => decode(h("40")), ErrorCodes.ERR_SERIALIZATION, /unexpected Hessian 2 code 0x40/);
  rejects(() => decode(h("90 90")), ErrorCodes.ERR_SERIALIZATION, /unexpected bytes/);
  rejects(() => decodeV1(h("72")), ErrorCodes.ERR_SERIALIZATION, /unexpected Hessian 1 code 0x72/);
  rejects(() => decodeV1(h("53 0005 61")), ErrorCodes.ERR_SERIALIZATION, /truncated/);
});

test("functions and symbols cannot be encoded; unregistered class instances become maps", () => {
  assert.throws(() => encode(() => 1), SerializationError);
  assert.throws(() => encode(Symbol("x")), SerializationError);
  class Point {
    x = 1;
    y = 2;
  }
  assert.deepEqual(decode(encode(new Point())), { x: 1, y: 2 });
});

test("one encoder/decoder pair keeps class definitions across values", () => {
  const e = new Hessian2Encoder();
  e.write(hessian.object("a.B", { x: 1 })).write(hessian.object("a.B", { x: 2 }));
  const b = e.toBuffer();
  assert.equal(b.indexOf(Buffer.from("a.B")), b.lastIndexOf(Buffer.from("a.B")), "the class definition is written once");
  const d = new Hessian2Decoder(b);
  assert.deepEqual([d.read(), d.read()], [{ x: 1 }, { x: 2 }]);
  assert.equal(e.reset().length, 0);
});

test("class definitions repeated across messages decode the same, and limits still apply to them", () => {
  const a = encode(hessian.object("com.example.Cached", { x: 1, y: "two" }));
  const b = encode(hessian.object("com.example.Cached", { y: "two", z: 3 }));
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(decode(a), { x: 1, y: "two" });
    assert.deepEqual(decode(b), { y: "two", z: 3 });
    assert.equal(hessianClassOf(decode(a)), "com.example.Cached");
  }
  rejects(() => decode(a, { maxFields: 1 }), ErrorCodes.ERR_LIMIT_EXCEEDED, /fields/);
  rejects(() => decode(a, { maxStringLength: 3 }), ErrorCodes.ERR_LIMIT_EXCEEDED);
  const reg = new ClassRegistry().register("com.example.Cached", Person);
  assert.ok(decode(a, { registry: reg }) instanceof Person, "the registry is consulted on every message");
});

test("a message with many class definitions (and shapes of one class) keeps every object's class and fields", () => {
  const v = Array.from({ length: 60 }, (_, i) => hessian.object(`com.example.C${i % 30}`, i % 2 ? { a: i, b: "x" } : { a: i }));
  const bytes = encode(v);
  const out = decode(bytes) as Array<Record<string, unknown>>;
  assert.equal(out.length, 60);
  for (let i = 0; i < 60; i++) {
    assert.equal(hessianClassOf(out[i]), `com.example.C${i % 30}`);
    assert.deepEqual({ ...out[i] }, i % 2 ? { a: i, b: "x" } : { a: i });
  }
  assert.deepEqual(encode(decode(bytes)), bytes, "re-encoding gives the same bytes");
});
