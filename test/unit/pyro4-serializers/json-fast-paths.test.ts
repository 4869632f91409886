import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { hotPathScalar as scalar } from "./arbitraries.js";

const json = getSerializer("json");


/** What a read gives: its value or its error's code. */
function outcome(read: () => unknown): { value?: unknown; code?: unknown } {
  try {
    return { value: read() };
  } catch (e) {
    return { code: (e as { code?: unknown }).code };
  }
}

test("json: the text hot paths: the calls and values they take, and the ones they leave to the writers", () => {
  // (that they write what the writers write: hot-paths-write-what-the-writers-write.test.ts)
  // the class, and values outside it
  assert.equal(json.callText("bench", "echo", ["hello world", 1, -2.5, true, null], {}), '{"object": "bench", "method": "echo", "params": ["hello world", 1, -2.5, true, null], "kwargs": {}}');
  assert.equal(json.callText("bench", "echo", [], {}), '{"object": "bench", "method": "echo", "params": [], "kwargs": {}}');
  for (const args of [["caf\u00e9"], ['say "hi"'], ["a\\b"], [[1]], [{ a: 1 }], [1e20], [-0], [NaN], [2n ** 70n], [undefined]]) {
    assert.equal(json.callText("bench", "echo", args, {}), undefined, JSON.stringify(String(args[0])));
  }
  assert.equal(json.callText("bench", "echo", [], { k: 1 }), undefined);
  assert.equal(json.callText("b\u00e9nch", "echo", [], {}), undefined);
  assert.equal(json.valueText("hello"), '"hello"');
  assert.equal(json.valueText({ a: 1 }), undefined);
});

test("json: calls read straight from the bytes equal what loadsCall reads; anything else is left to it", () => {
  const read = (text: string) => {
    const b = Buffer.from(text, "latin1");
    return json.callAt(b, 0, b.length);
  };
  // our own writer's calls and Python's (the same separators)
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.array(scalar, { maxLength: 20 }), (obj, method, args) => {
      const b = json.dumpsCall(obj, method, args, {});
      const fast = json.callAt(b, 0, b.length);
      if (fast === undefined) return;
      assert.deepEqual(fast, json.loadsCall(b));
    }),
    { numRuns: 400 },
  );
  assert.deepEqual(read('{"object": "bench", "method": "echo", "params": ["hello", 12, -3, 0, true, false, null], "kwargs": {}}'), {
    objectId: "bench",
    method: "echo",
    vargs: ["hello", 12, -3, 0, true, false, null],
    kwargs: {},
  });
  // outside the class: the general reader reads these (or refuses them), the hot path does not
  for (const doc of [
    '{"object": "bench", "method": "echo", "params": [1.5], "kwargs": {}}',
    '{"object": "bench", "method": "echo", "params": [-0], "kwargs": {}}',
    '{"object": "bench", "method": "echo", "params": [007], "kwargs": {}}',
    '{"object": "bench", "method": "echo", "params": [1234567890123456], "kwargs": {}}',
    '{"object": "bench", "method": "echo", "params": ["a\\"b"], "kwargs": {}}',
    '{"object": "bench", "method": "echo", "params": [[1]], "kwargs": {}}',
    '{"object": "bench", "method": "echo", "params": [1,2], "kwargs": {}}',
    '{"object": "bench", "method": "echo", "params": [1, ], "kwargs": {}}',
    '{"object": "bench", "method": "echo", "params": ["x"], "kwargs": {"k": 1}}',
    '{"method": "echo", "object": "bench", "params": [], "kwargs": {}}',
    '{"object":"bench","method":"echo","params":[],"kwargs":{}}',
    '{"object": "bench", "method": "echo", "params": [], "kwargs": {}} ',
    '{"object": "bench", "method": "echo", "params": [tru], "kwargs": {}}',
  ]) {
    assert.equal(read(doc), undefined, doc);
  }
  // never a different answer from the general reader, whatever the bytes
  const base = Buffer.from('{"object": "bench", "method": "echo", "params": ["hello", 12, true, null], "kwargs": {}}', "latin1");
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (edits) => {
      const b = Buffer.from(base);
      for (const [at, byte] of edits) b[at] = byte;
      const fast = json.callAt(b, 0, b.length);
      if (fast !== undefined) assert.deepEqual({ value: fast }, outcome(() => json.loadsCall(b)), b.toString("latin1"));
    }),
    { numRuns: 2000 },
  );
  // the string limit: a longer name or argument is left to the general reader, which refuses it
  const small = getSerializer("json", { maxStringLength: 4 });
  const long = Buffer.from('{"object": "bench", "method": "echo", "params": ["hello"], "kwargs": {}}', "latin1");
  assert.equal(small.callAt(long, 0, long.length), undefined);
  assert.equal(outcome(() => small.loadsCall(long)).code, "ERR_LIMIT_EXCEEDED");
});

test("json: a result that is one plain ASCII string is read straight from the bytes, as loads reads it", () => {
  fc.assert(
    fc.property(scalar, (v) => {
      const b = json.dumps(v);
      const fast = json.stringAt(b, 0, b.length);
      if (fast === undefined) return;
      assert.equal(fast, json.loads(b));
    }),
    { numRuns: 400 },
  );
  const at = (text: string) => json.stringAt(Buffer.from(text, "latin1"), 0, text.length);
  assert.equal(at('"hello world"'), "hello world");
  for (const doc of ['"a\\nb"', '"caf\u00e9"', '"x', '"x" ', '"a"b"', "12", "null", '""x']) assert.equal(at(doc), undefined, doc);
  assert.equal(at('""'), "");
});
