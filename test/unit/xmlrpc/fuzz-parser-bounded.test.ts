/**
 * A bounded fuzzing run of the XML-RPC reader (bytes to text in the declared
 * encoding, then both parser paths), with the heap measured before and
 * after: every input is read or refused with a coded error, in bounded time,
 * within its decoded-size budget, and nothing is left behind. Inputs:
 * mutated documents of every type, random bytes, declarations of other
 * encodings, and long runs of one element (what expands the most).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RemotingError } from "../../../src/core/errors.js";
import { DECODED_SIZE_FLOOR, MAX_EXPANSION, XmlRpcParser, decodeXmlBytes, encodeCall, encodeFault, encodeResponse } from "../../../src/protocols/xmlrpc/codec.js";
import { heapNow } from "../../helpers/heap.js";

const RUN_MS = 8000;

const seeds: Buffer[] = [
  encodeCall("f", [1, "two", 3.5, true, new Date(0), Buffer.from("xyz"), [1, [2, [3]]], { a: { b: "c" } }, 2n ** 70n]),
  encodeResponse({ list: [[], {}, [[]]], s: "é日" }, { allowNone: true }),
  encodeResponse(null, { allowNone: true }),
  encodeFault(4, "bad <thing>"),
  `<?xml version="1.0" encoding="ISO-8859-1"?><methodCall><methodName>f</methodName><params><param><value>caf\xe9</value></param></params></methodCall>`,
  `<?xml version='1.0'?>\n<methodCall>\n<methodName>f</methodName>\n<params>\n<param>\n<value><int>1</int></value>\n</param>\n</params>\n</methodCall>\n`,
  `<methodResponse><params><param><value><struct><member><name>x</name><value><i8>9007199254740993</i8></value></member></struct></value></param></params></methodResponse>`,
].map((s) => Buffer.from(s, s.includes("ISO-8859-1") ? "latin1" : "utf8"));

const pieces = ["<value>", "</value>", "<array><data>", "</data></array>", "<struct>", "<member><name>n</name>", "</member>", "</struct>", "<string>", "&amp;", "&#x41;", "&e;", "<![CDATA[x]]>", "<!DOCTYPE x>", "<?pi?>", "\u0000", "\xe9", "<i8>99999999999999999999</i8>", "<nil/>"];

const inputs = fc.oneof(
  fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })).map(([s, edits]) => {
    const b = Buffer.from(s);
    for (const [at, byte] of edits) b[at % b.length] = byte;
    return b;
  }),
  fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...pieces)), { minLength: 1, maxLength: 6 })).map(([s, edits]) => {
    let t = s.toString("latin1");
    for (const [at, p] of edits) {
      const i = at % (t.length + 1);
      t = t.slice(0, i) + p + t.slice(i);
    }
    return Buffer.from(t, "latin1");
  }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.constantFrom("<value><array><data></data></array></value>", "<value><struct></struct></value>", "<value/>", "<value><i8>1</i8></value>", "<value><array><data>"), fc.integer({ min: 1, max: 30_000 }), fc.constantFrom("utf-8", "iso-8859-1", "utf-16", "klingon")).map(
    ([unit, n, enc]) => Buffer.from(`<?xml version="1.0" encoding="${enc}"?><methodResponse><params><param><value><array><data>${unit.repeat(n)}</data></array></value></param></params></methodResponse>`, "latin1"),
  ),
);

function readOne(bytes: Buffer): void {
  const t0 = performance.now();
  for (const fastPath of [true, false]) {
    try {
      const text = decodeXmlBytes(bytes);
      const p = new XmlRpcParser({ fastPath });
      p.write(text);
      p.finish();
      assert.ok(p.decodedSize <= Math.min(64 * 2 ** 20, DECODED_SIZE_FLOOR + MAX_EXPANSION * text.length));
    } catch (err) {
      if (!(err instanceof RemotingError)) assert.fail(`${bytes.toString("latin1").slice(0, 120)} threw ${String(err)}`);
    }
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms on ${bytes.length} bytes`);
}

test("a bounded fuzzing run of the XML-RPC reader leaves nothing behind", { timeout: 60_000 }, () => {
  for (const s of seeds) readOne(s);
  const before = heapNow();
  const end = performance.now() + RUN_MS;
  let runs = 0;
  let stop = false;
  fc.assert(
    fc.property(inputs, (bytes) => {
      if (stop || performance.now() > end) {
        stop = true;
        return;
      }
      readOne(bytes);
      runs++;
    }),
    { numRuns: 20_000, seed: 1998 },
  );
  const grew = heapNow() - before;
  assert.ok(runs >= 300, `only ${runs} inputs in ${RUN_MS} ms`);
  assert.ok(grew < 8 * 2 ** 20, `the heap grew by ${(grew / 2 ** 20).toFixed(1)} MiB over ${runs} inputs`);
});
