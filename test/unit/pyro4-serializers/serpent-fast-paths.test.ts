import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { resolveOptions, type SerializerOptions } from "../../../src/codecs/python/common.js";
import { SerpentParser, serpentDumps, serpentLoadsCallFast } from "../../../src/codecs/python/serpent.js";
import { fastPathCounts } from "../../../src/core/fast-paths.js";
import { Float, tuple } from "../../../src/core/values.js";
import { valueArb } from "./arbitraries.js";

const H = "# serpent utf-8 python3.2\n";
const ser = getSerializer("serpent");
const opts = resolveOptions(undefined);
const fullParse = (text: string): unknown => new SerpentParser(text, opts).parseDocument();

const scalar = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.integer(), fc.maxSafeInteger(), fc.boolean(), fc.constant(null), fc.double());

test("small documents read by the fast path equal what the full parser reads (and fail alike)", () => {
  const docs = [
    "'hello world'", '"it\'s"', "12345", "-7", "0", "True", "False", "None", "-0", "007", "'\\n'", "'a' 'b'", "1234567890123456789",
    "('bench','echo',('hello world',),{})", "('bench','echo',(),{})", "('bench','echo',(1,2,'x',None,True),{})", "('a','b',(1,2,),{})",
    "('a','b',(-0,),{})", "('a','b',(01,),{})", "('a','b',('x'),{})", "('a','b',('x' 'y',),{})", "('a','b',(1.5,),{})", "('a','b',('x',),{'k':1})",
    "('a','b',(\"q'\",),{})", "('a','b',('x',) ,{})", "('a','b',('x',),{}) ", "('a','b',('x',),{})x", "('a','b',('\t',),{})",
  ];
  for (const d of docs) {
    const buf = Buffer.from(H + d);
    let fast: unknown, slow: unknown, fastErr: unknown, slowErr: unknown;
    try {
      fast = ser.loads(buf);
    } catch (e) {
      fastErr = e;
    }
    try {
      slow = fullParse(H + d);
    } catch (e) {
      slowErr = e;
    }
    assert.equal(fastErr === undefined, slowErr === undefined, d);
    assert.deepEqual(fast, slow, d);
    if (Array.isArray(slow)) {
      assert.equal(Object.isFrozen(fast), Object.isFrozen(slow), `${d}: tuple-ness`);
      assert.equal(Object.isFrozen((fast as unknown[])[2]), Object.isFrozen(slow[2]), `${d}: tuple-ness of the arguments`);
    }
  }
});

test("calls with scalar arguments: the fast writer emits the general writer's text and both readers agree", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.array(scalar, { maxLength: 20 }), (obj, method, args) => {
      const data = ser.dumpsCall(obj, method, args, {});
      const general = serpentDumps(tuple([obj, method, tuple([...args]), {}]), opts);
      assert.equal(data.toString("utf8"), general.toString("utf8"));
      const call = ser.loadsCall(data);
      const full = fullParse(data.toString("utf8")) as unknown[];
      assert.deepEqual([call.objectId, call.method, call.vargs, call.kwargs], [full[0], full[1], [...(full[2] as unknown[])], full[3]]);
      const fast = serpentLoadsCallFast(data, opts);
      if (fast !== undefined) assert.deepEqual(fast, call);
    }),
    { numRuns: 300 },
  );
});

test("scalar results: the fast writer emits the general writer's text", () => {
  fc.assert(
    fc.property(scalar, (v) => {
      const text = ser.dumps(v).toString("utf8");
      const general = serpentDumps([v], opts).toString("utf8"); // the list goes through the general writer
      assert.equal(`${H}[${text.slice(H.length)}]`, general);
      assert.deepEqual(ser.loads(Buffer.from(text)), fullParse(text));
    }),
    { numRuns: 300 },
  );
});

test("the fast path respects the string length limit", () => {
  const small = getSerializer("serpent", { maxStringLength: 4 });
  assert.throws(() => small.loads(Buffer.from(`${H}'hello'`)), /length|long|limit/i);
  assert.throws(() => small.loadsCall(Buffer.from(`${H}('bench','echo',('hello',),{})`)), /length|long|limit/i);
  assert.equal(small.loads(Buffer.from(`${H}'hell'`)), "hell");
});

test("call documents read from the bytes equal what the full parser reads, for mutated calls too", () => {
  const base = Buffer.from(`${H}('bench','echo',('hello world',12,True,None,-5),{})`);
  const alphabet = Buffer.from("'\"(),{}\\ \t\n0123456789-.TFNaxé\u0000");
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 3 }), (edits) => {
      let b = Buffer.from(base);
      for (const [pos, ch, insert] of edits) {
        const at = H.length + (pos % (b.length - H.length));
        const byte = alphabet[ch % alphabet.length]!;
        b = insert ? Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      }
      let fast: ReturnType<typeof serpentLoadsCallFast>;
      try {
        fast = serpentLoadsCallFast(b, opts);
      } catch {
        // refused (e.g. invalid UTF-8): the full reader refuses it as well
        assert.throws(() => ser.loads(b));
        return;
      }
      if (fast === undefined) return;
      const full = fullParse(b.toString("utf8")) as unknown[];
      assert.deepEqual([fast.objectId, fast.method, fast.vargs, fast.kwargs], [full[0], full[1], [...(full[2] as unknown[])], full[3]], b.toString("utf8"));
    }),
    { numRuns: 2000 },
  );
});

test("the text hot paths: the calls and values they take, and the ones they leave to the writers", () => {
  // (that they write what the writers write: hot-paths-write-what-the-writers-write.test.ts)
  assert.equal(ser.callText("bench", "echo", ["hello world"], {}), `${H}('bench','echo',('hello world',),{})`);
  assert.equal(ser.callText("bench", "echo", ["caf\u00e9"], {}), undefined);
  assert.equal(ser.callText("bench", "echo", [[1]], {}), undefined);
  assert.equal(ser.callText("bench", "echo", [], { k: 1 }), undefined);
  assert.equal(ser.valueText("hello"), `${H}'hello'`);
  assert.equal(getSerializer("marshal").callText("bench", "echo", ["x"], {}), undefined);
});

// ---------------------------------------------------------------- the tree reader (serpent.loads.tree)

/** What a read gives: its value, or its error's name, code and message. */
function outcome(read: () => unknown): { value?: unknown; error?: { name: string; code: unknown; message: string } } {
  try {
    return { value: read() };
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return { error: { name: err.name, code: err.code, message: err.message } };
  }
}

/** deepStrictEqual, and what it does not look at: tuple-ness (frozen arrays) and the order of keys. */
function assertSameTree(a: unknown, b: unknown, what: string): void {
  assert.deepStrictEqual(a, b, what);
  const walk = (x: unknown, y: unknown): void => {
    if (typeof x !== "object" || x === null) return;
    assert.equal(Object.isFrozen(x), Object.isFrozen(y), `${what}: tuple-ness`);
    if (Array.isArray(x)) x.forEach((e, i) => walk(e, (y as unknown[])[i]));
    else if (Object.getPrototypeOf(x) === Object.prototype) {
      assert.deepEqual(Object.keys(x), Object.keys(y as object), `${what}: key order`);
      for (const k of Object.keys(x)) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]);
    }
  };
  walk(a, b);
}

function treeHits(fn: () => unknown): number {
  const before = fastPathCounts()["serpent.loads.tree"];
  fn();
  return fastPathCounts()["serpent.loads.tree"] - before;
}

/** Reads the text with loads (whatever path it takes) and with the full parser: the same value, or the same error. */
function compareWithFullParser(text: string, serializer = ser, o = opts): { tree: boolean; value?: unknown } {
  const data = Buffer.from(text, "utf8");
  let fast!: ReturnType<typeof outcome>;
  const tree = treeHits(() => (fast = outcome(() => serializer.loads(data)))) === 1;
  const full = outcome(() => new SerpentParser(text.replace(/\r\n?/g, "\n"), o, data.length).parseDocument());
  if (full.error !== undefined || fast.error !== undefined) {
    assert.deepEqual(fast.error, full.error, JSON.stringify(text.slice(0, 200)));
    assert.equal(tree, false, `an error never comes from the tree reader: ${JSON.stringify(text.slice(0, 200))}`);
  } else assertSameTree(fast.value, full.value, JSON.stringify(text.slice(0, 200)));
  return { tree, value: fast.value };
}

const RECORDS = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 1.25, tags: ["a", "b"], ok: i % 2 === 0 }));

test("the tree reader takes plain documents whole, to what the full parser reads", () => {
  const inside: Array<[string, string]> = [
    ["records", ser.dumps(RECORDS).toString("utf8")],
    ["long non-ASCII strings", ser.dumps(["Grüße aus Köln — 東京の夜景 🚀 ".repeat(500), { "ключ": "значение".repeat(300), "🚀": ["é"] }]).toString("utf8")],
    ["nested lists, tuples and dicts", ser.dumps([tuple([1, tuple([]), [tuple(["x"])], {}]), [[[[[]]]]], { a: { b: { c: tuple([{ d: [] }]) } } }, [1, 2, 3, 4, 5, 6, 7], tuple([1, 2, 3, 4, 5])]).toString("utf8")],
    ["many numbers", ser.dumps(Array.from({ length: 2000 }, (_, i) => [i * 7919, -i, i / 7, -i * 1e-9, 1e300 / (i + 1), 2 ** 40 + i, -(2 ** 48) - i, 0.1 * i])).toString("utf8")],
    ["a long string alone", ser.dumps("x".repeat(10000)).toString("utf8")],
    ["a call tuple", ser.dumpsCall("obj", "method", [RECORDS.slice(0, 100), "é"], { k: [1.5, null] }).toString("utf8")],
    ["written by Python with spaces", `${H}{'a': [1, 2.5, -3, True, False, None], 'b': ('x', "it's", ), 'c': {}, 'd': [ ], 'e': ( ), 'f': 1e-7 , 'g': -0, 'h': -0.0, 'i': 1.}`],
    ["odd but plain", `${H}['', "", '"', "'", '\t', 'a\u2028b', 123456789012345, -999999999999999, 0.0, 1E5, 2e+300, 1e30000, -1e30000, 5e-324, 0.30000000000000004, 123456789.123456789]`],
    ["duplicate keys, key order, __proto__", `${H}{'b':1,'a':2,'b':3,'1':4,'__proto__':[5],'constructor':6,'__proto__':7}`],
    ["no header", "[1,'a',{'b':(2,)}]"],
    ["big ints", `${H}[1234567890123456, -12345678901234567890, 9007199254740991, -9007199254740993, ${"9".repeat(300)}, 1180591620717411303424, {'k': -1180591620717411303425}]`],
  ];
  for (const [what, text] of inside) {
    const r = compareWithFullParser(text);
    assert.equal(r.tree, true, what);
  }
  const dup = compareWithFullParser(`${H}{'__proto__':{'x':1}}`).value as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(dup), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(dup, "__proto__")?.value, { x: 1 });
  // a large call reaches loadsCall through loads
  const call = ser.dumpsCall("obj", "method", [RECORDS], {});
  assert.equal(
    treeHits(() => assert.deepEqual(ser.loadsCall(call), { objectId: "obj", method: "method", vargs: [RECORDS], kwargs: {} })),
    1,
  );
});

test("the tree reader leaves everything outside its class to the full parser", () => {
  const outside = [
    "['a\\nb']", "['a' 'b']", "['a''b']", "[b'x']", "[r'x']", "[u'x']", "['''x''']", "[\"\"\"x\"\"\"]", "{1:2}", "{(1,2):3}", "{'a','b'}", "[set()]", "[{'__class__':'float','value':'nan'}]",
    "{'__class__':'Pyro4.core.URI','state':('PYRO','x',None,'localhost',9090)}", "{'__class__':'Foo','x':1}", "[1j]", "[1+2j]", "[(1.0-2.0j)]", "[1_000]", "[0x10]", "[00]", "[007]", "[.5]", "[+1]", "[- 1]",
    "[--1]", "[1\t]", "[1]\n", "[1] # comment", "# a header\n# and a second comment line\n[1]", "[1,\n2]", "[1,\r\n2]", "['a\rb']", "[(1)]", "[('x')]",
    "[1 2]", "[1,,2]", "[,]", "[1", "{'a':1", "{'a' 1}", "{'a':}", "('a',", "'unterminated", "[Truex]", "[None_]", "[nan]", "[inf]", "1 1", "]", "[1.5.3]", "[1e]", "[1e+]", "[1.5x]",
    "[\u0000]", "['\u0000']", "\ufeff[1]", "[\\\n1]", "[1]]", "[[1]", "{'a':1}}", "[True False]", "{{}:1}", "{[1]:2}", "", "# serpent utf-8 python3.2",
  ];
  for (const d of outside) {
    for (const text of [H + d, d]) assert.equal(compareWithFullParser(text).tree, false, JSON.stringify(text));
  }
  // the bytes dict: a Buffer with bytesAsBuffer or preserveTypes (the full parser's), a dict otherwise (the tree reader's)
  const bytesDict = `${H}[{'data':'aGVsbG8=','encoding':'base64'}]`;
  assert.equal(compareWithFullParser(bytesDict).tree, true);
  for (const o of [{ bytesAsBuffer: true }, { preserveTypes: true }]) {
    const r = compareWithFullParser(bytesDict, getSerializer("serpent", o), resolveOptions(o));
    assert.equal(r.tree, false);
    assert.deepEqual(r.value, [Buffer.from("hello")]);
  }
  // preserveTypes: whole floats are Floats, read by the tree reader as by the full parser
  const p = { preserveTypes: true };
  const r = compareWithFullParser(`${H}[2.0,-0.0,2.5,1e3,3]`, getSerializer("serpent", p), resolveOptions(p));
  assert.equal(r.tree, true);
  assert.ok((r.value as unknown[])[0] instanceof Float);
});

test("the tree reader keeps the full parser's limits: at a limit it reads, past it the full parser refuses", () => {
  const cases: Array<[SerializerOptions, string, string]> = [
    [{ maxDepth: 3 }, "[[[1]]]", "[[[[1]]]]"],
    [{ maxDepth: 3 }, "{'a':({'b':1},)}", "{'a':({'b':[]},)}"],
    [{ maxItems: 5 }, "[1,2,3,4,5]", "[1,2,3,4,5,6]"],
    [{ maxItems: 5 }, "{'a':[1,2],'b':(3,)}", "{'a':[1,2],'b':(3,4)}"],
    [{ maxStringLength: 4 }, "['abcd',{'wxyz':'1234'}]", "['abcd',{'wxyz':'12345'}]"],
    [{ maxStringLength: 4 }, "[{'abcd':1}]", "[{'abcde':1}]"],
    [{ maxIntDigits: 20 }, "[12345678901234567890,-12345678901234567890]", "[1,-123456789012345678901]"],
  ];
  // (the key hints of earlier, longer keys must not get around the string length limit)
  ser.loads(Buffer.from(`${H}[{'abcde':1},{'abcde':1}]`));
  for (const [o, ok, bad] of cases) {
    const s = getSerializer("serpent", o);
    const ro = resolveOptions(o);
    assert.equal(compareWithFullParser(H + ok, s, ro).tree, true, ok);
    const r = outcome(() => s.loads(Buffer.from(H + bad)));
    assert.equal(r.error?.code, "ERR_LIMIT_EXCEEDED", bad);
    assert.equal(compareWithFullParser(H + bad, s, ro).tree, false, bad);
  }
});

test("the tree reader charges the decoded-size budget exactly as the full parser does", () => {
  // for lists of records of every kind of element: the longest the full parser accepts within the budget is the longest the tree reader takes
  const elements = [
    "[[],(),{},('x',),'abc',-1.5,1234567890,{'k':None,'m':[2.25,True]}]",
    "{'a':123456789012345,'bb':-0.0,'ccc':2.0,'d':1e5,'e':('x','y',None),'f':'東京'}",
    "('',[1,2,3,4,5,6],{},False)",
    "[123456789012345678901234567890,-98765432109876543210,9007199254740993]",
  ];
  for (const preserveTypes of [false, true]) {
    const o = { maxExpansion: 1, preserveTypes };
    const s = getSerializer("serpent", o);
    const ro = resolveOptions(o);
    for (const el of elements) {
      const doc = (n: number) => `${H}[${Array(n).fill(el).join(",")}]`;
      const fullOk = (n: number) => outcome(() => new SerpentParser(doc(n), ro, Buffer.byteLength(doc(n))).parseDocument()).error === undefined;
      let lo = 1;
      let hi = 1;
      while (fullOk(hi)) [lo, hi] = [hi, hi * 2];
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (fullOk(mid)) lo = mid;
        else hi = mid;
      }
      assert.equal(compareWithFullParser(doc(lo), s, ro).tree, true, `${el} x ${lo}`);
      const past = compareWithFullParser(doc(hi), s, ro);
      assert.equal(past.tree, false, `${el} x ${hi}`);
    }
  }
});

test("the tree reader reads random documents as the full parser does (written by dumps, and mutated)", () => {
  fc.assert(
    fc.property(valueArb("serpent"), (v) => {
      compareWithFullParser(ser.dumps(v).toString("utf8"));
    }),
    { numRuns: 300 },
  );
  // plain values: always inside the class, unless repr() escapes a character of a string
  const plainString = fc.string({ unit: fc.constantFrom("a", "Z", " ", "é", "東", "🚀", "'", '"', "-", "\t", "\u2028"), maxLength: 12 });
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small" }, plainString, fc.integer(), fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), tie("container")),
    container: fc.oneof(
      fc.array(tie("value"), { maxLength: 7 }),
      fc.array(tie("value"), { maxLength: 7 }).map((a) => tuple(a)),
      fc.array(fc.tuple(fc.oneof(plainString, fc.constantFrom("__proto__", "constructor", "1", "")), tie("value")), { maxLength: 6 }).map((entries) => {
        const o: Record<string, unknown> = {};
        for (const [k, x] of entries) Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
        return o;
      }),
    ),
  }));
  fc.assert(
    fc.property(value, (v) => {
      const text = ser.dumps(v).toString("utf8");
      const before = fastPathCounts()["serpent.loads.simple"];
      const r = compareWithFullParser(text);
      const simple = fastPathCounts()["serpent.loads.simple"] - before; // (a scalar alone: the simple path's)
      const inClass = !text.includes("\\");
      assert.equal(r.tree || simple === 1, inClass, text);
    }),
    { numRuns: 500 },
  );
  // mutations of a document in the class: the same value or the same error as the full parser
  const base = `${H}[{'id':1,'name':'x y','price':-1.25,'tags':('a',),'ok':True},[None,False,12345678901],{},()]`;
  const alphabet = ["'", '"', "(", ")", "[", "]", "{", "}", ",", ":", " ", "\t", "\n", "\\", "-", "+", ".", "e", "j", "0", "7", "_", "b", "x", "T", "#", "é"];
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 3 }), (edits) => {
      let text = base;
      for (const [pos, ch, insert] of edits) {
        const at = H.length + (pos % (text.length - H.length));
        const c = alphabet[ch % alphabet.length]!;
        text = insert ? text.slice(0, at) + c + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
      }
      compareWithFullParser(text);
    }),
    { numRuns: 2000 },
  );
});
