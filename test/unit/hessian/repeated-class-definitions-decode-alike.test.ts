/**
 * A class definition met in many messages is read by a reader made for it
 * (decoder.ts builderOf). Whatever the path, the decoded values are the
 * same: field order and values, the hidden class marker, references to the
 * object from inside its own fields, repeated field names, field names that
 * are not identifiers, `__proto__` as an own field, Caucho handles.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hessian2Encoder, decode, encode, hessian, hessianClassOf } from "../../../src/protocols/hessian/index.js";

/** Decodes `bytes` 12 times (past the point where a reader is made for its definitions) and checks every result. */
function decodeRepeatedly(bytes: Buffer, check: (v: unknown, i: number) => void): void {
  for (let i = 0; i < 12; i++) check(decode(bytes), i);
}

test("objects of a class seen in many messages decode to the same fields, order and class", () => {
  const bytes = encode(hessian.object("com.example.Repeated", { id: 7, name: "x", when: new Date(5), list: [1, 2], nested: hessian.object("com.example.Inner", { a: "b" }) }));
  const first = decode(bytes);
  decodeRepeatedly(bytes, (v) => {
    assert.deepEqual(v, first);
    assert.deepEqual(Object.keys(v as object), ["id", "name", "when", "list", "nested"]);
    assert.equal(hessianClassOf(v), "com.example.Repeated");
    assert.equal(hessianClassOf((v as Record<string, unknown>)["nested"]), "com.example.Inner");
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });
});

test("field names that are not identifiers, and quotes or backslashes in them, are plain keys", () => {
  const fields = { 'a"b': 1, "c\\d": 2, "e\u2028f": 3, "}; throw 1; //": 4, "0": 5, "": 6, constructor: 7, "</script>": 8 };
  const bytes = encode(hessian.object("com.example.Odd", fields));
  decodeRepeatedly(bytes, (v) => {
    assert.deepEqual({ ...(v as object) }, { ...fields });
    assert.equal((v as Record<string, unknown>)["constructor"], 7);
  });
});

test("an object referenced from inside its own fields is the same object", () => {
  const self: Record<string, unknown> = { name: "loop" };
  self["me"] = hessian.list("java.util.ArrayList", [self]);
  const bytes = encode(hessian.object("com.example.Cycle", self));
  decodeRepeatedly(bytes, (v) => {
    const o = v as Record<string, unknown>;
    assert.equal((o["me"] as unknown[])[0], o);
  });
});

test("a __proto__ field stays an own field and never changes the prototype", () => {
  const e = new Hessian2Encoder();
  const make = (): Buffer => {
    e.reset();
    // a definition with a __proto__ field, written by hand
    e.writeRaw([0x43]);
    e.writeString("com.example.Proto");
    e.writeInt(2);
    e.writeString("__proto__");
    e.writeString("x");
    e.writeRaw([0x60]);
    e.write({ polluted: true });
    e.write(1);
    return e.toBuffer();
  };
  const bytes = make();
  decodeRepeatedly(bytes, (v) => {
    const o = v as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(o, "__proto__")?.value, { polluted: true });
    assert.equal(o["x"], 1);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });
});

test("a repeated field name keeps its first position and its last value, as on the general path", () => {
  const e = new Hessian2Encoder();
  e.writeRaw([0x43]);
  e.writeString("com.example.Twice");
  e.writeInt(3);
  for (const f of ["a", "b", "a"]) e.writeString(f);
  e.writeRaw([0x60]);
  for (const v of [1, 2, 3]) e.write(v);
  const bytes = e.toBuffer();
  decodeRepeatedly(bytes, (v) => {
    assert.deepEqual(Object.entries(v as object), [
      ["a", 3],
      ["b", 2],
    ]);
  });
});

test("Caucho's boxed handles still decode to numbers, and stay objects with preserveTypes", () => {
  const bytes = encode(hessian.object("com.caucho.hessian.io.ShortHandle", { _value: 12 }));
  decodeRepeatedly(bytes, (v) => assert.equal(v, 12));
  for (let i = 0; i < 8; i++) {
    const kept = decode(bytes, { preserveTypes: true }) as Record<string, unknown>;
    assert.equal(kept["_value"], 12);
    assert.equal(hessianClassOf(kept), "com.caucho.hessian.io.ShortHandle");
  }
});
