import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { XmlRpcParser, encodeCall, encodeFault, encodeResponse, type ParseOptions } from "../../../src/protocols/xmlrpc/codec.js";

type Outcome = { ok: true; value: unknown; fast: boolean } | { ok: false; name: string; code: unknown; faultCode: unknown; message: string };

function parse(doc: string, opts: ParseOptions, chunk = 0): Outcome {
  const p = new XmlRpcParser(opts);
  try {
    if (chunk > 0) for (let i = 0; i < doc.length; i += chunk) p.write(doc.slice(i, i + chunk));
    else p.write(doc);
    return { ok: true, value: p.finish(), fast: p.fastPathUsed };
  } catch (err) {
    const e = err as { name: string; code?: unknown; faultCode?: unknown; message: string };
    return { ok: false, name: e.name, code: e.code, faultCode: e.faultCode, message: e.message };
  }
}

/** Both readers must give the same document or the same error. */
function agree(doc: string, opts: ParseOptions = {}): Outcome {
  const fast = parse(doc, opts);
  const full = parse(doc, { ...opts, fastPath: false });
  if (fast.ok && full.ok) assert.deepEqual(fast.value, full.value, doc);
  else assert.deepEqual(fast.ok ? { ok: true } : fast, full.ok ? { ok: true } : full, doc);
  return fast;
}

const ARG = { id: 1234, name: "ACME Corporation", price: 1299.95, paid: true, tags: ["a", "b", "c"], when: new Date(Date.UTC(2026, 10, 25)), raw: Buffer.from("hi"), none: null, empty: [], nested: { x: [1, [2, { y: "z" }]] } };

// Documents as other peers write them: Python's pretty-printed layout, untyped values, self-closing tags, faults.
const SAMPLES = [
  encodeCall("echo", [ARG], { allowNone: true }),
  encodeResponse(ARG, { allowNone: true }),
  encodeFault(4, "ValueError: bad value"),
  "<?xml version='1.0'?>\n<methodCall>\n<methodName>pow</methodName>\n<params>\n<param>\n<value><int>41</int></value>\n</param>\n<param>\n<value><i4>3</i4></value>\n</param>\n</params>\n</methodCall>\n",
  "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><string>a</string></value>\n<value>b</value>\n<value/>\n<value><nil/></value>\n<value><double>-inf</double></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n",
  '<?xml version="1.0" encoding="UTF-8"?><methodCall><methodName> sys.list </methodName><params/></methodCall>',
  "<methodCall><methodName>x</methodName></methodCall>",
  "<methodResponse><params><param><value><struct><member><name>__proto__</name><value><boolean>1</boolean></value></member><member><name></name><value>  </value></member></struct></value></param></params></methodResponse>",
];

describe("XML-RPC fast path", () => {
  it("reads plain documents itself, exactly as saxes does, in one piece or in chunks", () => {
    for (const doc of SAMPLES) {
      const r = agree(doc);
      assert.equal(r.ok, true, doc);
      assert.equal(r.ok && r.fast, true, `fast path not taken for ${doc}`);
      const chunked = parse(doc, {}, 7);
      assert.deepEqual(chunked.ok && chunked.value, r.ok && r.value);
    }
  });

  it("hands anything unusual to saxes (references, CDATA, comments, CR, attributes, prefixes)", () => {
    for (const doc of [
      "<methodCall><methodName>a&amp;b</methodName></methodCall>",
      "<methodCall><methodName><![CDATA[x]]></methodName></methodCall>",
      "<methodCall><!-- c --><methodName>x</methodName></methodCall>",
      "<methodCall>\r\n<methodName>x</methodName></methodCall>",
      '<methodCall><methodName a="1">x</methodName></methodCall>',
      "<methodCall><methodName>x</methodName><params><param><value><ex:nil/></value></param></params></methodCall>",
    ]) {
      const r = agree(doc);
      assert.equal(r.ok, true, doc);
      assert.equal(r.ok && r.fast, false, doc);
    }
  });

  it("gives the same result or the same error as saxes for mutated documents", () => {
    const snippets = ["<", ">", "/", " ", "\n", "x", "1", "</value>", "<value>", "<int>", "</int>", "<struct>", "</struct>", "<member>", "<name>", "<data>", "</data>", "<params>", "/>", "<nil/>", "<value/>", "&amp;", "<!DOCTYPE x>", "<?pi?>", "]]>", "\u00e9", "<methodCall>", "</methodResponse>"];
    const mutation = fc.record({
      sample: fc.integer({ min: 0, max: SAMPLES.length - 1 }),
      edits: fc.array(
        fc.record({ at: fc.nat(), del: fc.integer({ min: 0, max: 12 }), ins: fc.oneof(fc.constantFrom(...snippets), fc.constant("")) }),
        { minLength: 1, maxLength: 3 },
      ),
      maxDepth: fc.constantFrom(1, 2, 64),
    });
    let fastTaken = 0;
    fc.assert(
      fc.property(mutation, ({ sample, edits, maxDepth }) => {
        let doc = SAMPLES[sample]!;
        for (const e of edits) {
          const at = e.at % (doc.length + 1);
          doc = doc.slice(0, at) + e.ins + doc.slice(at + e.del);
        }
        const r = agree(doc, { maxDepth });
        if (r.ok && r.fast) fastTaken++;
      }),
      { numRuns: 3000 },
    );
    assert.ok(fastTaken > 0, "no mutated document took the fast path");
  });

  it("keeps the limits: nesting over maxDepth and size over maxChars are refused as before", () => {
    const deep = (n: number) => `<methodCall><methodName>x</methodName><params><param>${"<value><array><data>".repeat(n)}${"</data></array></value>".repeat(n)}</param></params></methodCall>`;
    assert.equal(agree(deep(64)).ok, true);
    const r = agree(deep(65));
    assert.equal(r.ok === false && r.code, "ERR_LIMIT_EXCEEDED");
    const big = parse(encodeCall("echo", ["x".repeat(300)]), { maxChars: 200 });
    assert.equal(big.ok === false && big.code, "ERR_MESSAGE_TOO_LARGE");
  });
});
