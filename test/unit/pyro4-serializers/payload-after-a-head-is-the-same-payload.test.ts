// A serializer asked to leave `head` bytes free before the payload (for a
// frame's header, written in front of it in the same Buffer) writes the same
// payload after them, on every writer path (the native json writer, the json
// number-list writer, the general writers, serpent's scalar paths, marshal,
// long text written through the shared scratch buffer and beyond it), and
// refuses a payload over maxEncodedSize alike.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { SERS, valueArb } from "./arbitraries.js";

const specials: unknown[] = [
  "Grüße aus Köln — 東京の夜景 🚀 ".repeat(200),
  "x".repeat(30_000),
  Array.from({ length: 1000 }, (_, i) => i * 1.25),
  Array.from({ length: 200 }, (_, i) => ({ id: i, name: `n${i}`, tags: ["a", "b"] })),
  { text: "a,b:c".repeat(400), n: 1 },
  Buffer.alloc(5000, 7),
];

for (const name of SERS) {
  test(`${name}: dumps and dumpsCall after a head write the payload they write without one`, () => {
    const ser = getSerializer(name);
    const same = (framed: Buffer, plain: Buffer, head: number) => {
      assert.equal(framed.length, head + plain.length);
      assert.ok(framed.subarray(head).equals(plain));
    };
    fc.assert(
      fc.property(valueArb(name), fc.integer({ min: 0, max: 100 }), (v, head) => {
        let plain: Buffer;
        try {
          plain = ser.dumps(v);
        } catch (err) {
          assert.throws(() => ser.dumps(v, head), { name: (err as Error).name, message: (err as Error).message });
          return;
        }
        same(ser.dumps(v, head), plain, head);
        same(ser.dumpsCall("obj", "m", [v, 1], {}, head), ser.dumpsCall("obj", "m", [v, 1], {}), head);
      }),
      { numRuns: 300 },
    );
    for (const v of specials) {
      if (name === "json" && Buffer.isBuffer(v)) continue;
      for (const head of [0, 24, 46, 300]) {
        same(ser.dumps(v, head), ser.dumps(v), head);
        same(ser.dumpsCall("obj", "m", [v], {}, head), ser.dumpsCall("obj", "m", [v], {}), head);
      }
    }
    // the size limit counts the payload, not the head
    const limited = getSerializer(name, { maxEncodedSize: 2000 });
    const fits = "y".repeat(1900 - 64);
    assert.equal(limited.dumps(fits, 500).length - 500, limited.dumps(fits).length);
    assert.throws(() => limited.dumps("y".repeat(2100), 500), { code: "ERR_MESSAGE_TOO_LARGE" });
  });
}
