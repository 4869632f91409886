import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { resolveOptions } from "../../../src/codecs/python/common.js";
import { SerpentParser, serpentDumps, serpentLoadsCallFast } from "../../../src/codecs/python/serpent.js";
import { tuple } from "../../../src/core/values.js";

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

test("the text hot paths write what dumpsCall and dumps write, and only ASCII", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.array(scalar, { maxLength: 20 }), (obj, method, args) => {
      const text = ser.callText(obj, method, args, {});
      if (text === undefined) return;
      assert.ok(Buffer.byteLength(text, "utf8") === text.length, "ASCII only");
      assert.equal(text, ser.dumpsCall(obj, method, args, {}).toString("utf8"));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(scalar, (v) => {
      const text = ser.valueText(v);
      if (text === undefined) return;
      assert.ok(Buffer.byteLength(text, "utf8") === text.length, "ASCII only");
      assert.equal(text, ser.dumps(v).toString("utf8"));
    }),
    { numRuns: 300 },
  );
  assert.equal(ser.callText("bench", "echo", ["hello world"], {}), `${H}('bench','echo',('hello world',),{})`);
  assert.equal(ser.callText("bench", "echo", ["caf\u00e9"], {}), undefined);
  assert.equal(ser.callText("bench", "echo", [[1]], {}), undefined);
  assert.equal(ser.callText("bench", "echo", [], { k: 1 }), undefined);
  assert.equal(ser.valueText("hello"), `${H}'hello'`);
  assert.equal(getSerializer("json").callText("bench", "echo", ["x"], {}), undefined);
});
