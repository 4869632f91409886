/**
 * Fast-path accounting: each fast path counts the values it handles
 * (core/fast-paths.ts). For each path, values of its class must be counted
 * (the path was taken) and values outside it must not (the general path
 * took them), and both must give what the general path gives.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createServer } from "node:http";
import { FAST_PATHS, fastPathCounts, resetFastPathCounts, type FastPathName } from "../../../src/core/fast-paths.js";
import { getSerializer, pyFloatRepr, pyStrRepr } from "../../../src/codecs/python/index.js";
import { resolveOptions } from "../../../src/codecs/python/common.js";
import { JsonParser } from "../../../src/codecs/python/json.js";
import { SerpentParser } from "../../../src/codecs/python/serpent.js";
import { PyroDaemon, PyroProxy } from "../../../src/protocols/pyro4/index.js";
import { XmlRpcParser, encodeResponse } from "../../../src/protocols/xmlrpc/codec.js";
import { HessianProxyFactory, createHessianHandler } from "../../../src/protocols/hessian/index.js";

/** How many times `path` was taken while `fn` ran. */
function hits(path: FastPathName, fn: () => unknown): number {
  const before = fastPathCounts()[path];
  fn();
  return fastPathCounts()[path] - before;
}

async function hitsAsync(path: FastPathName, fn: () => Promise<unknown>): Promise<number> {
  const before = fastPathCounts()[path];
  await fn();
  return fastPathCounts()[path] - before;
}

const opts = resolveOptions(undefined);
const serpent = getSerializer("serpent");
const json = getSerializer("json");
const H = "# serpent utf-8 python3.2\n";
/** The full serpent parser, without the document-level fast paths (the tree reader takes plain documents whole). */
const serpentFull = (b: Buffer): unknown => new SerpentParser(b.toString("utf8"), opts, b.length).parseDocument();

describe("fast-path counters", () => {
  test("every counter starts at 0 after a reset and is a number", () => {
    resetFastPathCounts();
    const c = fastPathCounts();
    assert.deepEqual(Object.keys(c).sort(), [...FAST_PATHS].sort());
    for (const n of FAST_PATHS) assert.equal(c[n], 0);
  });

  test("pyrepr: strings with nothing to escape are written by the plain path, others are not", () => {
    // the class: no character repr() escapes, not both kinds of quote
    const plain = fc.string({ unit: fc.constantFrom("a", "Z", " ", "é", "東", "🚀", "'", "-", "~") });
    fc.assert(fc.property(plain, (s) => assert.equal(hits("pyrepr.str.plain", () => pyStrRepr(s)), 1)), { numRuns: 200 });
    for (const s of ["a\nb", "tab\there", "back\\slash", "both ' and \"", "\u0000", "\u200b", "\ud800", "\u{10ffff}"]) {
      assert.equal(hits("pyrepr.str.plain", () => pyStrRepr(s)), 0, JSON.stringify(s));
    }
  });

  test("pyrepr: floats between 1e-4 and 1e16 take the positional path, others the general one", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-4, max: 1e16, noNaN: true, maxExcluded: true }), (x) => {
        assert.equal(hits("pyrepr.float.positional", () => pyFloatRepr(x)), 1);
        assert.equal(hits("pyrepr.float.positional", () => pyFloatRepr(-x)), 1);
      }),
    );
    for (const x of [0, -0, 1e-5, 1e16, 1.5e300, 5e-324]) assert.equal(hits("pyrepr.float.positional", () => pyFloatRepr(x)), 0, String(x));
  });

  test("serpent: plain string literals are cut out of the text; literals with escapes are read character by character", () => {
    const words = ["Grüße", "東京", "🚀 naïve", "plain"];
    const doc = Buffer.from(`${H}[${words.map((w) => `'${w.repeat(200)}'`).join(",")}]`);
    assert.equal(hits("serpent.string.plain", () => serpentFull(doc)), words.length);
    const escaped = Buffer.from(`${H}['a\\nb'${",'x'".repeat(300)},'c\\'d']`);
    let v: unknown;
    assert.equal(hits("serpent.string.plain", () => (v = serpent.loads(escaped))), 300);
    assert.deepEqual(v, ["a\nb", ...Array(300).fill("x"), "c'd"]);
    // the same values as the full parser character by character would read (the plain path applies inside it)
    assert.deepEqual(serpent.loads(doc), new SerpentParser(doc.toString("utf8"), opts).parseDocument());
  });

  test("serpent: plain decimal numbers are scanned in one loop, to the values the general number reader reads", () => {
    /** What the general reader makes of a plain decimal literal: a float, or an int (a bigint beyond 2^53). */
    const expected = (text: string): unknown => {
      if (/[.eE]/.test(text)) return Number(text);
      const b = BigInt(text);
      return b >= -BigInt(Number.MAX_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    };
    const literal = fc.oneof(
      fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((b) => b.toString()),
      fc.integer().map((n) => String(n)),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => pyFloatRepr(x)),
      fc.tuple(fc.nat(99999), fc.nat(99999), fc.integer({ min: -30, max: 30 })).map(([a, b, e]) => `${a}.${b}e${e}`),
    );
    fc.assert(
      fc.property(fc.array(literal, { maxLength: 8 }), (texts) => {
        const doc = Buffer.from(`${H}[${texts.join(",")}]`);
        let v: unknown;
        assert.equal(hits("serpent.number.plain", () => (v = serpentFull(doc))), texts.length);
        assert.deepEqual(v, texts.map(expected));
        assert.deepEqual(serpent.loads(doc), v); // (the tree reader's numbers, where it takes the document)
      }),
      { numRuns: 300 },
    );
    // outside the class: underscores, imaginary parts, other bases, malformed exponents and leading zeros (errors, as before)
    const others: Array<[string, unknown]> = [
      ["1_000", 1000],
      ["1.5_0", 1.5],
      ["0x1f", 31],
      ["0o17", 15],
    ];
    for (const [text, value] of others) {
      let v: unknown;
      assert.equal(hits("serpent.number.plain", () => (v = serpent.loads(Buffer.from(`${H}[${text}]`)))), 0, text);
      assert.deepEqual(v, [value], text);
    }
    assert.equal(hits("serpent.number.plain", () => serpent.loads(Buffer.from(`${H}[2j]`))), 0);
    for (const bad of ["007", "1e", "1e+", "1.5x", "12abc"]) assert.throws(() => serpent.loads(Buffer.from(`${H}[${bad}]`)), /invalid serpent data/, bad);
    assert.deepEqual(serpent.loads(Buffer.from(`${H}[00.5,0,-0,1.e3,1E5,-7]`)), [0.5, 0, 0, 1000, 100000, -7]);
  });

  test("serpent: names, plain strings followed by a separator, and adjacent literals read as the general reader reads them", () => {
    assert.deepEqual(serpent.loads(Buffer.from(`${H}{'a':True,'b':[False,None],'c':(None,)}`)), { a: true, b: [false, null], c: [null] });
    for (const bad of ["Truex", "None_", "False1", "Nonesuch"]) assert.throws(() => serpent.loads(Buffer.from(`${H}[${bad}]`)), /is not a literal/, bad);
    // adjacent literals are joined (Python's implicit concatenation); a plain literal before a separator stands alone
    assert.deepEqual(serpent.loads(Buffer.from(`${H}['a','b' 'c',"d" 'e','f'  ]`)), ["a", "bc", "de", "f"]);
    assert.deepEqual(serpent.loads(Buffer.from(`${H}{'k':'v','k2' 'x':'w'}`)), { k: "v", k2x: "w" });
    const tiny = getSerializer("serpent", { maxStringLength: 3 });
    assert.throws(() => tiny.loads(Buffer.from(`${H}['abcd',1]`)), /string longer than 3 characters/);
  });

  test("writers: cycles are refused at any depth, shared (non-cyclic) values are not", () => {
    for (const name of ["serpent", "json", "marshal"] as const) {
      const ser = getSerializer(name);
      for (const depth of [1, 5, 31, 32, 33, 40, 100]) {
        const root: unknown[] = [];
        let inner = root;
        for (let i = 0; i < depth; i++) {
          const next: unknown[] = [];
          inner.push(next);
          inner = next;
        }
        const shared = { x: [1] };
        inner.push(shared, shared, [shared]);
        assert.doesNotThrow(() => ser.dumps(root), `${name} ${depth}`);
        inner.push(root);
        assert.throws(() => ser.dumps(root), /cyclic/, `${name} ${depth}`);
      }
    }
  });

  test("json: long text with few separators gets Python's spaces copied run by run, the same bytes as the general writer", () => {
    const general = getSerializer("json", { preserveTypes: true }); // preserveTypes: never the native writer
    const text = fc.string({ unit: fc.constantFrom("a", "é", "東", "🚀", " ", "-", '"', "\\", "\n"), minLength: 200, maxLength: 2000 });
    fc.assert(
      fc.property(text, fc.array(fc.integer(), { maxLength: 3 }), (t, ints) => {
        let b: Buffer | undefined;
        assert.equal(hits("json.dumps.native", () => (b = json.dumpsCall("obj", "echo", [t, ints], {}))), 1);
        assert.deepEqual(b, general.dumpsCall("obj", "echo", [t, ints], {}));
      }),
      { numRuns: 200 },
    );
  });

  test("serpent and marshal: plain objects are written as the general dict writer writes a Map of the same entries", () => {
    const value = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })), { maxKeys: 8 });
    const marshal = getSerializer("marshal");
    fc.assert(
      fc.property(fc.array(value, { maxLength: 4 }), (dicts) => {
        const asMaps = dicts.map((d) => new Map(Object.entries(d)));
        assert.deepEqual(serpent.dumps(dicts), serpent.dumps(asMaps));
        assert.deepEqual(marshal.dumps(dicts), marshal.dumps(asMaps));
        assert.deepEqual(marshal.loads(marshal.dumps(dicts)), asMaps.map((m) => Object.fromEntries(m))); // (read back with Object's prototype)
      }),
      { numRuns: 200 },
    );
  });

  test("marshal: short strings are written as 'z' when ASCII and read as Latin-1, as Python's marshal does", () => {
    const marshal = getSerializer("marshal");
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const b = marshal.dumps(s);
        // eslint-disable-next-line no-control-regex
        if (s.length < 256 && /^[\x00-\x7f]*$/.test(s)) assert.deepEqual(b, Buffer.concat([Buffer.from([0x7a, s.length]), Buffer.from(s, "latin1")]));
        else assert.equal(b[0], 0x75);
        assert.equal(marshal.loads(b), s);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        assert.equal(marshal.loads(Buffer.concat([Buffer.from([0x5a, bytes.length]), bytes])), Buffer.from(bytes).toString("latin1"));
      }),
      { numRuns: 200 },
    );
  });

  test("serpent: scalar results and scalar calls take the writers' and readers' short paths; containers do not", () => {
    assert.equal(hits("serpent.dumps.scalar", () => serpent.dumps("hello")), 1);
    assert.equal(hits("serpent.dumps.scalar", () => serpent.dumps([1])), 0);
    assert.equal(hits("serpent.dumpsCall.scalars", () => serpent.dumpsCall("o", "m", [1, "x", null], {})), 1);
    assert.equal(hits("serpent.dumpsCall.scalars", () => serpent.dumpsCall("o", "m", [[1]], {})), 0);
    assert.equal(hits("serpent.loads.simple", () => serpent.loads(Buffer.from(`${H}'hello'`))), 1);
    assert.equal(hits("serpent.loads.simple", () => serpent.loads(Buffer.from(`${H}[1]`))), 0);
    // containers of plain literals are read whole by the tree reader; anything else (here an escape) by the full parser
    const records = Buffer.from(`${H}[{'id':1,'name':'Grüße','price':1.25,'tags':('a','b'),'ok':True,'none':None}]`);
    assert.equal(hits("serpent.loads.tree", () => assert.deepEqual(serpent.loads(records), serpentFull(records))), 1);
    assert.equal(hits("serpent.loads.tree", () => serpent.loads(Buffer.from(`${H}[{'a':'x\\ny'}]`))), 0);
    assert.equal(hits("serpent.loads.tree", () => serpent.loads(Buffer.from(`${H}'hello'`))), 0);
    assert.equal(hits("serpent.loadsCall.simple", () => serpent.loadsCall(serpent.dumpsCall("o", "m", ["x"], {}))), 1);
    assert.equal(hits("serpent.loadsCall.simple", () => serpent.loadsCall(serpent.dumpsCall("o", "m", [{ a: 1 }], {}))), 0);
  });

  test("json: documents JSON.parse reads alike are read natively; NaN, long integers, -0 and class dicts are not", () => {
    // the class: no -0, no exponent, integers below 1e15 (longer ones are read exactly by the full parser)
    const value = fc.jsonValue({ maxDepth: 4 }).filter((v) => !/-0|e|\d{16}/.test(JSON.stringify(v)));
    fc.assert(
      fc.property(value, (v) => {
        const data = Buffer.from(JSON.stringify(v));
        let got: unknown;
        assert.equal(hits("json.loads.native", () => (got = json.loads(data))), 1, data.toString());
        assert.deepEqual(got, new JsonParser(data.toString(), opts).parseDocument());
      }),
      { numRuns: 200 },
    );
    // (list elements are checked inline: -0 and long integers there too, also in a document too long for the long-integer search)
    const longDoc = (last: string) => `[${"1, ".repeat(2100)}${last}]`;
    for (const doc of ["[NaN]", "[12345678901234567890]", "-0", "[-0]", "[1, 2.5, -0]", longDoc("1000000000000000"), longDoc("-1000000000000001"), '{"__class__": "Pyro4.core.URI", "state": ["PYRO", "x", null, "h", 1]}', "[1e400]"]) {
      let got: unknown;
      assert.equal(hits("json.loads.native", () => (got = json.loads(Buffer.from(doc)))), 0, doc);
      assert.deepEqual(got, new JsonParser(doc, opts).parseDocument(), doc);
    }
    // limits: a document the full parser refuses is never accepted by the native path
    const shallow = getSerializer("json", { maxDepth: 3 });
    assert.throws(() => shallow.loads(Buffer.from("[[[[1]]]]")), /deeper/);
  });

  test("json: small documents with integers of 16 digits or more go to the json reader at once, and read exactly", () => {
    const longInt = fc.bigInt({ min: 10n ** 15n, max: 10n ** 40n }).map((b) => (b % 2n === 0n ? b : -b));
    fc.assert(
      fc.property(fc.array(fc.oneof(longInt, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()), { maxLength: 20 }), longInt, (items, big) => {
        const doc = `[${[...items, big].map((x) => (typeof x === "bigint" ? x.toString() : JSON.stringify(x))).join(", ")}]`;
        let got: unknown;
        assert.equal(hits("json.loads.longInts", () => (got = json.loads(Buffer.from(doc)))), 1, doc);
        assert.equal(hits("json.loads.native", () => json.loads(Buffer.from(doc))), 0, doc);
        assert.deepEqual(got, new JsonParser(doc, opts).parseDocument(), doc);
        // exact: a bigint beyond 2^53, else the same number
        assert.equal(BigInt((got as Array<number | bigint>).at(-1)!), big);
      }),
      { numRuns: 100 },
    );
    // not in the class: fractions with many digits, integers below 1e15, and documents longer than the scan
    for (const doc of ["[0.12345678901234567, 1.2345678901234567e-5]", "[999999999999999, -999999999999999]", `[${"1, ".repeat(2000)}12345678901234567890]`]) {
      let got: unknown;
      assert.equal(hits("json.loads.longInts", () => (got = json.loads(Buffer.from(doc)))), 0, doc.slice(0, 40));
      assert.deepEqual(got, new JsonParser(doc, opts).parseDocument(), doc.slice(0, 40));
    }
  });

  test("json: plain values are written by JSON.stringify with Python's separators; others by the writer", () => {
    const plain = { id: 1, name: "Ada", score: 98.5, tags: ["a", "b"], nested: { ok: true, none: null }, text: "Grüße 東京 🚀" };
    let out: Buffer | undefined;
    assert.equal(hits("json.dumps.native", () => (out = json.dumps(plain))), 1);
    assert.equal(out!.toString(), '{"id": 1, "name": "Ada", "score": 98.5, "tags": ["a", "b"], "nested": {"ok": true, "none": null}, "text": "Grüße 東京 🚀"}');
    assert.equal(hits("json.dumps.native", () => json.dumpsCall("obj", "echo", [plain], {})), 1);
    for (const v of [{ url: "http://x" }, ["a,b"], new Map([["a", 1]]), [1e20], [-0], [NaN], [2n ** 70n], [undefined], new Date(0)]) {
      assert.equal(hits("json.dumps.native", () => json.dumps(v)), 0, String(v));
    }
  });

  test("UTF-8: ASCII is decoded as Latin-1, long non-ASCII text through UTF-16, long text encoded in place", () => {
    assert.equal(hits("utf8.decode.ascii", () => json.loads(Buffer.from('"hello"'))), 1);
    const text = "Grüße aus Köln — 東京の夜景 🚀 ".repeat(20);
    const data = json.dumps(text);
    assert.equal(hits("utf8.decode.transcode", () => assert.equal(json.loads(data), text)), 1);
    assert.equal(hits("utf8.decode.transcode", () => json.loads(Buffer.from('"é"'))), 0);
    assert.equal(hits("utf8.encode.direct", () => json.dumps(text)), 1);
    assert.equal(hits("utf8.encode.direct", () => json.dumps("short")), 0);
  });

  for (const serializer of ["serpent", "json"] as const) {
    test(`Pyro4 (${serializer}): a plain call with a scalar argument takes the proxy's and the daemon's fast paths; a dict argument does not`, async () => {
      const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0 });
      daemon.register({ echo: (v: unknown) => v }, "echo");
      await daemon.listen();
      const proxy = new PyroProxy(`PYRO:echo@127.0.0.1:${daemon.port}`, { serializer, timeoutMs: 5000 });
      try {
        await proxy.invoke("echo", ["warm-up"]);
        const paths: FastPathName[] = ["pyro4.proxy.callText", "pyro4.daemon.serveFrame", "pyro4.daemon.resultText", "pyro4.proxy.replyString"];
        const before = fastPathCounts();
        assert.equal(await proxy.invoke("echo", ["hello"]), "hello");
        const after = fastPathCounts();
        for (const p of paths) assert.equal(after[p] - before[p], 1, p);
        const before2 = fastPathCounts();
        assert.deepEqual(await proxy.invoke("echo", [{ a: [1, 2] }]), { a: [1, 2] });
        const after2 = fastPathCounts();
        for (const p of paths) assert.equal(after2[p] - before2[p], 0, p);
        // any other plain result is read where it arrived, without its frame copied out first
        assert.equal(after2["pyro4.proxy.replyInPlace"] - before2["pyro4.proxy.replyInPlace"], 1);
        const text = "Grüße 東京 🚀 ".repeat(500);
        assert.equal(await hitsAsync("pyro4.proxy.replyInPlace", async () => assert.equal(await proxy.invoke("echo", [text]), text)), 1);
      } finally {
        await proxy.close();
        await daemon.close();
      }
    });
  }

  test("XML-RPC: plain documents are read by the fast reader; a document with a DOCTYPE is not", () => {
    const read = (doc: string): unknown => {
      const p = new XmlRpcParser({});
      p.write(doc);
      return p.finish();
    };
    const doc = encodeResponse({ a: [1, "x", true] });
    assert.equal(hits("xmlrpc.parse.fastReader", () => read(doc)), 1);
    assert.equal(hits("xmlrpc.parse.fastReader", () => assert.throws(() => read(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>${doc.slice(doc.indexOf("<methodResponse"))}`))), 0);
  });

  test("Hessian: calls of a served plain object's method go through its prepared handle", async () => {
    const handler = createHessianHandler({ echo: (v: unknown) => v });
    const server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const factory = new HessianProxyFactory(`http://127.0.0.1:${port}/`, { timeoutMs: 5000 });
    try {
      const svc = factory.as<{ echo(v: unknown): Promise<unknown> }>();
      assert.equal(await hitsAsync("hessian.exporter.prepared", () => svc.echo("x")), 1);
    } finally {
      await factory.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
