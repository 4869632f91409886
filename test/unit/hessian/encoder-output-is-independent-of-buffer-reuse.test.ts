import assert from "node:assert/strict";
import test from "node:test";
import { decode, encode, hessian, hessianClassOf } from "../../../src/protocols/hessian/index.js";

function order(note: string): Record<string, unknown> {
  return hessian.object("com.example.Order", {
    id: 42,
    note,
    samples: Array.from({ length: 20 }, (_, i) => i * 1.37 + 0.5),
    address: hessian.object("com.example.Address", { street: "1 Main Street", city: "Springfield" }),
  });
}

test("messages of every size encode to the same bytes each time and decode back", () => {
  // Sizes around the short-copy threshold, and one large enough to grow the reused buffer.
  for (const len of [0, 5, 20, 31, 32, 33, 100, 300, 70000]) {
    const value = order("x".repeat(len));
    const first = encode(value);
    const second = encode(value);
    assert.deepEqual(second, first);
    const back = decode(first) as Record<string, unknown>;
    assert.equal(back["note"], "x".repeat(len));
    assert.equal(hessianClassOf(back), "com.example.Order");
    assert.equal(hessianClassOf(back["address"]), "com.example.Address");
    assert.deepEqual(Object.keys(back), ["id", "note", "samples", "address"]);
  }
});

test("a returned buffer is a copy: later messages do not change it", () => {
  const a = encode(order("first"));
  const copy = Buffer.from(a);
  encode(order("second message, longer than the first one"));
  encode("short");
  assert.deepEqual(a, copy);
});

test("encoding from inside an encode (a getter) gives both messages whole", () => {
  let inner: Buffer | undefined;
  const outerValue = {
    get v(): string {
      inner = encode(order("inner"));
      return "outer";
    },
  };
  const outer = encode([outerValue, order("after")]);
  assert.ok(inner);
  assert.equal((decode(inner) as Record<string, unknown>)["note"], "inner");
  const back = decode(outer) as unknown[];
  assert.deepEqual(back[0], { v: "outer" });
  assert.equal((back[1] as Record<string, unknown>)["note"], "after");
});
