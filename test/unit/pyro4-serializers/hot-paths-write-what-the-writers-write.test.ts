// The text hot paths of every serializer that has them (callText, valueText)
// write exactly what its general writers (dumpsCall, dumps) write, and only
// ASCII: one property, run against each serializer.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { hotPathScalar as scalar } from "./arbitraries.js";


for (const name of ["serpent", "json"] as const) {
  test(`${name}: the text hot paths write what dumpsCall and dumps write, and only ASCII`, () => {
    const ser = getSerializer(name);
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(scalar, { maxLength: 20 }), (obj, method, args) => {
        const text = ser.callText(obj, method, args, {});
        if (text === undefined) return;
        assert.equal(Buffer.byteLength(text, "utf8"), text.length, "ASCII only");
        assert.equal(text, ser.dumpsCall(obj, method, args, {}).toString("utf8"));
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(scalar, (v) => {
        const text = ser.valueText(v);
        if (text === undefined) return;
        assert.equal(Buffer.byteLength(text, "utf8"), text.length, "ASCII only");
        assert.equal(text, ser.dumps(v).toString("utf8"));
      }),
      { numRuns: 400 },
    );
  });
}
