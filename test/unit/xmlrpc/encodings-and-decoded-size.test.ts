/**
 * XML-RPC documents are read in the encoding they declare (a byte-order
 * mark, the XML declaration, else UTF-8), or refused: never decoded with
 * replacement characters. What a document decodes to is counted against a
 * budget before it is kept, integers have at most 4300 digits, and nesting
 * deeper than the stack is a limit error, not a stack overflow.
 *
 * Regression: a request in ISO-8859-1 reached the method as 'caf\ufffd'.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCodes, RemotingError } from "../../../src/core/errors.js";
import {
  DECODED_SIZE_FLOOR,
  MAX_EXPANSION,
  XmlRpcParseError,
  XmlRpcParser,
  XmlTextDecoder,
  decodeXmlBytes,
  encodeCall,
  encodeResponse,
  parseMethodCall,
} from "../../../src/protocols/xmlrpc/codec.js";
import { heapNow } from "../../helpers/heap.js";

const doc = (encoding: string | undefined, text: string): string =>
  `<?xml version="1.0"${encoding ? ` encoding="${encoding}"` : ""}?><methodCall><methodName>echo</methodName><params><param><value><string>${text}</string></value></param></params></methodCall>`;

/** Decodes `bytes` in chunks of the given sizes (cycled). */
function streamed(bytes: Buffer, sizes: number[]): string {
  const d = new XmlTextDecoder();
  let out = "";
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    out += d.write(bytes.subarray(i, i + n));
    i += n;
  }
  return out + d.end();
}

const parseRefusal = (err: unknown): boolean => err instanceof XmlRpcParseError && err.faultCode === -32700;

// text XML 1.0 can carry, without markup characters
// eslint-disable-next-line no-control-regex
const text = fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => !/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF&<>\r]/.test(s));
const latin1Text = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 40 }).filter((s) => !/[&<>\x7f-\x9f]/.test(s));
const chunking = fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 });

describe("XML-RPC text decoding", () => {
  it("ISO-8859-1 documents read as ISO-8859-1, whole or in any chunks", () => {
    fc.assert(
      fc.property(latin1Text, chunking, fc.constantFrom("ISO-8859-1", "iso-8859-1", "latin1", "ISO_8859-1"), (s, sizes, name) => {
        const bytes = Buffer.from(doc(name, s), "latin1");
        assert.deepEqual(parseMethodCall(decodeXmlBytes(bytes)).params, [s]);
        assert.deepEqual(parseMethodCall(streamed(bytes, sizes)).params, [s]);
      }),
      { numRuns: 300 },
    );
  });

  it("UTF-8 (declared, undeclared, with a BOM) and UTF-16 with a BOM read exactly, whole or in any chunks", () => {
    fc.assert(
      fc.property(text, chunking, fc.constantFrom("utf8-none", "utf8-decl", "utf8-bom", "utf16le", "utf16be"), (s, sizes, form) => {
        let bytes: Buffer;
        if (form === "utf8-none") bytes = Buffer.from(doc(undefined, s), "utf8");
        else if (form === "utf8-decl") bytes = Buffer.from(doc("UTF-8", s), "utf8");
        else if (form === "utf8-bom") bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc(undefined, s), "utf8")]);
        else {
          const le = Buffer.from(doc("UTF-16", s), "utf16le");
          bytes = form === "utf16le" ? Buffer.concat([Buffer.from([0xff, 0xfe]), le]) : Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
        }
        assert.deepEqual(parseMethodCall(decodeXmlBytes(bytes)).params, [s]);
        assert.deepEqual(parseMethodCall(streamed(bytes, sizes)).params, [s]);
      }),
      { numRuns: 300 },
    );
  });

  it("bytes that are not valid UTF-8 are refused, never replaced, wherever the chunks are cut", () => {
    const invalid = fc.constantFrom([0xc3], [0xe9], [0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]);
    fc.assert(
      fc.property(text, invalid, chunking, fc.boolean(), (s, bad, sizes, declared) => {
        const [head, tail] = doc(declared ? "utf-8" : undefined, `${s}@@`).split("@@") as [string, string];
        const bytes = Buffer.concat([Buffer.from(head, "utf8"), Buffer.from(bad), Buffer.from(tail, "utf8")]);
        assert.throws(() => decodeXmlBytes(bytes), parseRefusal);
        assert.throws(() => streamed(bytes, sizes), parseRefusal);
      }),
      { numRuns: 300 },
    );
    // a document cut inside a character
    assert.throws(() => streamed(Buffer.from(doc(undefined, "é"), "utf8").subarray(0, -1 - "</string></value></param></params></methodCall>".length), [3]), parseRefusal);
  });

  it("US-ASCII with a byte above 0x7f, and an encoding no decoder knows, are refused", () => {
    assert.throws(() => decodeXmlBytes(Buffer.from(doc("us-ascii", "café"), "latin1")), parseRefusal);
    assert.equal(parseMethodCall(decodeXmlBytes(Buffer.from(doc("US-ASCII", "cafe"), "latin1"))).params[0], "cafe");
    assert.throws(() => decodeXmlBytes(Buffer.from(doc("x-no-such-encoding", "cafe"), "latin1")), (err: unknown) => parseRefusal(err) && /not supported/.test((err as Error).message));
    // a single-byte document that claims UTF-16 cannot be
    assert.throws(() => decodeXmlBytes(Buffer.from(doc("UTF-16", "cafe"), "latin1")), parseRefusal);
    // other encodings a TextDecoder knows are honoured
    assert.equal(parseMethodCall(decodeXmlBytes(Buffer.from(doc("windows-1252", "\x80"), "latin1"))).params[0], "€");
  });
});

describe("XML-RPC decoded-size budget", () => {
  it("a document is refused once what it decodes to passes min(maxDecodedSize, 64 KiB + 8 × its length), on both parser paths", () => {
    const items = Array.from({ length: 2000 }, (_, i) => `item ${i}`);
    const xml = encodeCall("f", [items]);
    for (const fastPath of [true, false]) {
      const p = new XmlRpcParser({ fastPath });
      p.write(xml);
      p.finish();
      assert.ok(p.decodedSize > 2000 * 40 && p.decodedSize <= DECODED_SIZE_FLOOR + MAX_EXPANSION * xml.length, `decodedSize ${p.decodedSize}`);
      assert.throws(
        () => {
          const q = new XmlRpcParser({ fastPath, maxDecodedSize: 50_000 });
          q.write(xml);
          q.finish();
        },
        (err: unknown) => err instanceof RemotingError && err.code === ErrorCodes.ERR_LIMIT_EXCEEDED && /decodes to more than 50000 bytes/.test((err as Error).message),
      );
    }
  });

  it("the count is an upper bound of the heap a document's values take", () => {
    const shapes: Array<[string, unknown]> = [
      ["empty structs", Array.from({ length: 30_000 }, () => ({}))],
      ["empty arrays", Array.from({ length: 30_000 }, () => [])],
      ["small structs", Array.from({ length: 20_000 }, (_, i) => ({ a: i, b: "x" }))],
      ["doubles", Array.from({ length: 30_000 }, (_, i) => i + 0.5)],
      ["dates", Array.from({ length: 30_000 }, (_, i) => new Date(i * 1000))],
      ["strings", Array.from({ length: 30_000 }, (_, i) => `s${i}`)],
      ["base64", Array.from({ length: 10_000 }, () => Buffer.alloc(3))],
    ];
    for (const [name, v] of shapes) {
      const xml = encodeResponse(v);
      const measures: number[] = [];
      let counted = 0;
      for (let k = 0; k < 3; k++) {
        const box: { value: unknown } = { value: undefined };
        box.value = ((): unknown => {
          const p = new XmlRpcParser({ fastPath: false, maxDecodedSize: 2 ** 40 });
          p.write(xml);
          const r = p.finish();
          counted = p.decodedSize;
          return r.root === "methodResponse" ? r.response.value : undefined;
        })();
        const withValue = heapNow();
        box.value = undefined;
        measures.push(withValue - heapNow());
      }
      const held = measures.sort((a, b) => a - b)[1]!;
      assert.ok(held > 0.2 * counted, `${name}: the measure is not meaningful (${held} freed, ${counted} counted)`);
      assert.ok(held <= counted * 1.05 + 64 * 1024, `${name}: the values take ${held} bytes, the parser counted ${counted}`);
    }
  });

  it("integers of more than 4300 digits are refused at once (their conversion time grows faster than their length)", () => {
    const big = (n: number): string => `<?xml version="1.0"?><methodCall><methodName>f</methodName><params><param><value><biginteger>${"9".repeat(n)}</biginteger></value></param></params></methodCall>`;
    assert.equal(typeof parseMethodCall(big(4300)).params[0], "bigint");
    assert.equal(typeof parseMethodCall(big(4300).replace("<biginteger>", "<biginteger>-")).params[0], "bigint");
    for (const n of [4301, 4302]) assert.throws(() => parseMethodCall(big(n)), (err: unknown) => err instanceof XmlRpcParseError && err.code === ErrorCodes.ERR_LIMIT_EXCEEDED, `${n} digits`);
    assert.throws(() => parseMethodCall(big(4301).replace("<biginteger>", "<biginteger>+")), (err: unknown) => err instanceof XmlRpcParseError && err.code === ErrorCodes.ERR_LIMIT_EXCEEDED, "+ and 4301 digits");
    const t0 = performance.now();
    assert.throws(() => parseMethodCall(big(200_000)), (err: unknown) => err instanceof XmlRpcParseError && err.code === ErrorCodes.ERR_LIMIT_EXCEEDED && err.faultCode === -32600);
    assert.ok(performance.now() - t0 < 500);
  });

  it("nesting deeper than the stack is a limit error when encoding, and the parser reads deep documents without recursion", () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    assert.throws(() => encodeResponse(v, { maxDepth: 1e9 }), (err: unknown) => err instanceof RemotingError && err.code === ErrorCodes.ERR_LIMIT_EXCEEDED);
    const deep = `<?xml version="1.0"?><methodResponse><params><param>${"<value><array><data>".repeat(20_000)}${"</data></array></value>".repeat(20_000)}</param></params></methodResponse>`;
    const call = parseMethodCall(deep.replace(/methodResponse/g, "methodCall").replace("<methodCall>", "<methodCall><methodName>f</methodName>"), { maxDepth: 100_000 });
    let depth = 0;
    for (let x = call.params[0]; Array.isArray(x); x = x[0]) depth++;
    assert.equal(depth, 20_000);
    const p = new XmlRpcParser({ maxDepth: 10_000 });
    assert.throws(() => {
      p.write(deep);
      p.finish();
    }, (err: unknown) => err instanceof RemotingError && err.code === ErrorCodes.ERR_LIMIT_EXCEEDED && /deeper than 10000/.test((err as Error).message));
  });
});
