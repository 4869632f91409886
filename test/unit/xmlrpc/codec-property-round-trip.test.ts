import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeCall, encodeResponse, parseMethodCall, parseMethodResponse } from "../../../src/protocols/xmlrpc/codec.js";

// Strings XML 1.0 can carry (no C0 controls except TAB/LF/CR, no lone surrogates, no U+FFFE/U+FFFF).
// eslint-disable-next-line no-control-regex
const xmlString = fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/.test(s));

const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.integer(),
    fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
    fc.boolean(),
    xmlString,
    fc.constant(null),
    fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000)),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    fc.array(tie("any"), { maxLength: 4 }),
    fc.dictionary(xmlString, tie("any"), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

describe("XML-RPC codec properties", () => {
  it("every encodable value survives a call and a response unchanged", () => {
    fc.assert(
      fc.property(fc.array(value.any, { maxLength: 4 }), (params) => {
        const call = parseMethodCall(encodeCall("echo", params, { allowNone: true }));
        assert.deepEqual(call.params, params);
        for (const p of params) {
          const r = parseMethodResponse(encodeResponse(p, { allowNone: true }));
          assert.deepEqual(r, { fault: false, value: p });
        }
      }),
      { numRuns: 300 },
    );
  });

  it("arbitrary text never crashes the parser: it parses or throws a coded error", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseMethodCall(`<methodCall><methodName>m</methodName><params><param><value>${text}</value></param></params></methodCall>`);
        } catch (err) {
          assert.ok(typeof (err as { code?: unknown }).code === "string", String(err));
        }
      }),
      { numRuns: 500 },
    );
  });
});
