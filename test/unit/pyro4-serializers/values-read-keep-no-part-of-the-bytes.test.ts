import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { SERS, valueArb } from "./arbitraries.js";

// The proxy reads a reply straight from its reused read buffer (pyro4.proxy.replyInPlace), which the next read
// overwrites: no value may share memory with the bytes it was read from.
for (const name of SERS) {
  test(`${name}: a value read from bytes keeps no part of them (the bytes can be overwritten after)`, () => {
    const ser = getSerializer(name);
    fc.assert(
      fc.property(valueArb(name), (v) => {
        let data: Buffer;
        try {
          data = ser.dumps(v);
        } catch {
          return;
        }
        const read = Buffer.from(data);
        const value = ser.loads(read);
        const again = ser.loads(data);
        read.fill(0x20);
        assert.deepStrictEqual(value, again);
      }),
      { numRuns: 300 },
    );
    for (const v of [Buffer.alloc(300, 9), { data: Buffer.from("xyz"), list: [Buffer.alloc(20, 1)] }, "long text ".repeat(100)]) {
      if (name === "json" && typeof v !== "string") continue;
      const read = ser.dumps(v);
      const value = ser.loads(read);
      read.fill(0x20);
      assert.deepStrictEqual(value, ser.loads(ser.dumps(v)));
    }
  });
}
