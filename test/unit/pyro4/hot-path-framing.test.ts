import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  annotationOf,
  soloPlainFrame,
  decodeMessage,
  encodeMessage,
  encodePlainFrame,
  encodePlainRequest,
  completePlainFrame,
  completePlainRequest,
  plainFrameHead,
  plainRequestHead,
  encodeTextFrame,
  encodeTextReply,
  encodeTextRequest,
  encodeTimedTextRequest,
  FrameReader,
  MSG_INVOKE,
  MSG_RESULT,
  type PyroMessage,
} from "../../../src/protocols/pyro4/message.js";
import { metadataText, readMetadata, timeoutOnly } from "../../../src/protocols/pyro4/call-context.js";
import { ProtocolError } from "../../../src/core/errors.js";

const payload = Buffer.from("# serpent utf-8 python3.2\n('bench','echo',('hello world',),{})");

test("the plain-frame encoder writes the same bytes as the general encoder", () => {
  const corr = Buffer.alloc(16, 0x5a);
  for (const [type, flags, seq] of [
    [MSG_INVOKE, 0, 0],
    [MSG_RESULT, 1, 65535],
    [MSG_INVOKE, 4 | 8, 70000],
  ] as const) {
    assert.deepEqual(encodePlainFrame(type, flags, seq, 1, payload, false), encodeMessage(type, payload, { flags, seq, serializerId: 1 }));
    assert.deepEqual(encodePlainFrame(type, flags, seq, 2, payload, corr), encodeMessage(type, payload, { flags, seq, serializerId: 2, annotations: new Map([["CORR", corr]]) }));
  }
  // a random correlation id: a uuid4 (version and variant bits set), different each time
  const a = decodeMessage(encodePlainFrame(MSG_RESULT, 0, 7, 1, payload, true));
  const b = decodeMessage(encodePlainFrame(MSG_RESULT, 0, 7, 1, payload, true));
  const ca = a.annotations.get("CORR")!;
  assert.equal(ca.length, 16);
  assert.equal(ca[6]! >> 4, 4);
  assert.equal(ca[8]! >> 6, 2);
  assert.notDeepEqual(ca, b.annotations.get("CORR"));
  assert.deepEqual(a.data, payload);
});

test("the frame reader gives the same messages however the stream is split", () => {
  const frames = Array.from({ length: 40 }, (_, i) =>
    i % 3 === 0 ? encodeMessage(MSG_INVOKE, Buffer.from(`payload ${i}`), { seq: i, serializerId: 1, annotations: new Map([["CORR", Buffer.alloc(16, i)]]) }) : encodePlainFrame(MSG_RESULT, 0, i, 2, Buffer.from("x".repeat(i)), false),
  );
  const stream = Buffer.concat(frames);
  const summary = (ms: PyroMessage[]) => ms.map((m) => [m.type, m.seq, m.serializerId, m.data.toString("latin1"), m.annotations.get("CORR")?.toString("hex") ?? null]);
  const expected = summary(frames.map((f) => decodeMessage(f)));
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 50; round++) {
    const reader = new FrameReader();
    const got: PyroMessage[] = [];
    let off = 0;
    while (off < stream.length) {
      const n = round === 0 ? 1 : round === 1 ? stream.length : 1 + rnd(200);
      got.push(...reader.push(stream.subarray(off, off + n)));
      off += n;
    }
    assert.equal(reader.pending, 0);
    assert.deepEqual(summary(got), expected, `round ${round}`);
  }
  // a transient reader fed from one reused buffer (as a socket's onread does): messages are read before the
  // buffer is overwritten, the bytes of an incomplete frame are copied out
  for (let round = 0; round < 20; round++) {
    const reader = new FrameReader({}, true);
    const reused = Buffer.alloc(256);
    const got: unknown[] = [];
    let off = 0;
    while (off < stream.length) {
      const n = Math.min(1 + rnd(256), stream.length - off);
      stream.copy(reused, 0, off, off + n);
      got.push(...summary(reader.push(reused, n)));
      reused.fill(0xee); // the next read overwrites it
      off += n;
    }
    assert.equal(reader.pending, 0);
    assert.deepEqual(got, expected, `transient round ${round}`);
  }
});

test("a bad header after good frames in one chunk fails the reader, after nothing is returned for it", () => {
  const good = encodePlainFrame(MSG_RESULT, 0, 1, 1, payload, false);
  const bad = Buffer.from(good);
  bad[23] = bad[23]! ^ 0xff; // checksum
  const reader = new FrameReader();
  assert.throws(() => reader.push(Buffer.concat([good, bad])), (e: unknown) => e instanceof ProtocolError && /checksum/.test(e.message));
  assert.throws(() => reader.push(good), ProtocolError);
});

test("text frames and text replies: the bytes of the general encoder, the request's CORR carried over", () => {
  const text = "# serpent utf-8 python3.2\n'hello world'";
  const corr = Buffer.from("0123456789abcdef");
  assert.deepEqual(encodeTextFrame(MSG_RESULT, 0, 9, 1, text, corr), encodeMessage(MSG_RESULT, Buffer.from(text), { seq: 9, serializerId: 1, annotations: new Map([["CORR", corr]]) }));
  // a received request (with an extra annotation before CORR, and a CORR of another length)
  const odd = Buffer.from("a-correlation-id-of-27-byte");
  for (const [ann, expect] of [
    [new Map([["XTRA", Buffer.from("x")], ["CORR", corr]]), corr],
    [new Map([["CORR", odd]]), odd],
  ] as const) {
    const req = new FrameReader({}).push(encodeMessage(MSG_INVOKE, payload, { seq: 300, serializerId: 2, annotations: ann }))[0]!;
    assert.deepEqual(annotationOf(req, "CORR"), expect);
    const reply = decodeMessage(encodeTextReply(MSG_RESULT, 0, req, text));
    assert.equal(reply.seq, 300);
    assert.equal(reply.serializerId, 2);
    assert.deepEqual(reply.annotations.get("CORR"), expect);
    assert.equal(reply.data.toString("latin1"), text);
  }
  // no CORR in the request: a fresh random one
  const bare = new FrameReader({}).push(encodeMessage(MSG_INVOKE, payload, { seq: 1, serializerId: 1 }))[0]!;
  assert.equal(annotationOf(bare, "CORR"), undefined);
  assert.equal(decodeMessage(encodeTextReply(MSG_RESULT, 0, bare, text)).annotations.get("CORR")!.length, 16);
});

test("the hot paths take only a lone plain frame of the expected type; anything else is left to the general reader", () => {
  const corr = Buffer.alloc(16, 3);
  const good = encodeMessage(MSG_INVOKE, payload, { seq: 77, serializerId: 1, annotations: new Map([["XTRA", Buffer.from("ab")], ["CORR", corr]]) });
  const f = soloPlainFrame(good, good.length, MSG_INVOKE, 0);
  assert.ok(f);
  assert.equal(f.seq, 77);
  assert.equal(f.serializerId, 1);
  assert.deepEqual(good.subarray(f.payloadStart), payload);
  assert.deepEqual(good.subarray(f.corrAt + 6, f.corrAt + 22), corr);
  assert.equal(soloPlainFrame(good, good.length, MSG_INVOKE, 10_000)?.seq, 77);
  const bare = encodePlainFrame(MSG_RESULT, 0, 5, 2, payload, false);
  assert.equal(soloPlainFrame(bare, bare.length, MSG_RESULT, 0)?.corrAt, -1);
  const badSum = Buffer.from(good);
  badSum[23] = badSum[23]! ^ 1;
  const refused: Array<[string, Buffer, number?]> = [
    ["another type", good],
    ["flags", encodeMessage(MSG_RESULT, payload, { seq: 1, serializerId: 1, flags: 4 })],
    ["checksum", badSum],
    ["two frames", Buffer.concat([bare, bare])],
    ["a partial frame", bare.subarray(0, bare.length - 1)],
    ["an HMAC", encodeMessage(MSG_RESULT, payload, { seq: 1, serializerId: 1, hmacKey: Buffer.from("k") })],
    ["over the size limit", bare, 10],
  ];
  for (const [why, frame, max] of refused) assert.equal(soloPlainFrame(frame, frame.length, MSG_RESULT, max ?? 0), undefined, why);
});

test("requests with metadata: the text, timed-text and plain encoders write the general encoder's bytes, and soloPlainFrame finds the RMTD chunk", () => {
  const text = "# serpent utf-8 python3.2\n('bench','echo',('hello world',),{})";
  const general = (meta: string) => encodeMessage(MSG_INVOKE, Buffer.from(text, "latin1"), { seq: 9, serializerId: 1, flags: 4, annotations: new Map([["RMTD", Buffer.from(meta, "utf8")]]) });
  for (const ms of [0, 1, 29_999, 2_147_483_647]) {
    const meta = metadataText(undefined, ms)!;
    assert.equal(meta, JSON.stringify({ "remoting-timeout": String(ms) }));
    assert.deepEqual(encodeTimedTextRequest(MSG_INVOKE, 4, 9, 1, text, ms), general(meta), `timed ${ms}`);
    assert.deepEqual(encodeTextRequest(MSG_INVOKE, 4, 9, 1, text, meta), general(meta));
    assert.deepEqual(encodePlainRequest(MSG_INVOKE, 4, 9, 1, Buffer.from(text, "latin1"), meta), general(meta));
  }
  for (const meta of [metadataText({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "x-tenant": "bl\u00fc" }, 500)!, "{}"]) {
    assert.deepEqual(encodeTextRequest(MSG_INVOKE, 4, 9, 1, text, meta), general(meta));
    assert.deepEqual(encodePlainRequest(MSG_INVOKE, 4, 9, 1, Buffer.from(text, "latin1"), meta), general(meta));
  }
  assert.deepEqual(encodeTextRequest(MSG_INVOKE, 0, 3, 1, text, undefined), encodeMessage(MSG_INVOKE, Buffer.from(text, "latin1"), { seq: 3, serializerId: 1 }));
  const both = encodeMessage(MSG_INVOKE, Buffer.from(text, "latin1"), { seq: 5, serializerId: 1, annotations: new Map([["CORR", Buffer.alloc(16, 1)], ["RMTD", Buffer.from("{}")]]) });
  const f = soloPlainFrame(both, both.length, MSG_INVOKE, 0)!;
  assert.equal(both.toString("latin1", f.metaAt, f.metaAt + 4), "RMTD");
  assert.equal(both.toString("latin1", f.corrAt, f.corrAt + 4), "CORR");
  const none = encodeTextRequest(MSG_INVOKE, 0, 3, 1, text, undefined);
  assert.equal(soloPlainFrame(none, none.length, MSG_INVOKE, 0)?.metaAt, -1);
});

test("the time limit read without JSON agrees with the JSON reader, and takes nothing else", () => {
  fc.assert(
    fc.property(fc.nat({ max: 2 ** 40 }), (ms) => {
      const b = Buffer.from(metadataText(undefined, ms)!, "utf8");
      return timeoutOnly(b, 0, b.length) === ms && readMetadata(b).get("remoting-timeout") === String(ms) && readMetadata(b).size === 1;
    }),
  );
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.string()), fc.option(fc.nat({ max: 1e9 }), { nil: undefined }), (meta, ms) => {
      const text = metadataText(meta, ms);
      if (text === undefined) return true;
      const b = Buffer.from(text, "utf8");
      const fast = timeoutOnly(b, 0, b.length);
      const all = readMetadata(b);
      // the fast reader answers only for the time limit alone, and then as the JSON reader does
      if (fast >= 0) return all.size === 1 && all.get("remoting-timeout") === String(fast);
      return !(all.size === 1 && all.has("remoting-timeout") && /^\d+$/.test(all.get("remoting-timeout")!));
    }),
  );
  for (const bad of ['{"remoting-timeout":"12"', '{"remoting-timeout":"-1"}', '{"remoting-timeout":""}', '{"remoting-timeout":"1e3"}', '{"remoting-timeout":12}', '{"Remoting-timeout":"12"}', "{not json"]) {
    const b = Buffer.from(bad);
    assert.equal(timeoutOnly(b, 0, b.length), -1, bad);
  }
  assert.equal(readMetadata(Buffer.from("{not json")).size, 0);
  assert.equal(readMetadata(Buffer.from('{"a":1,"b":"x"}')).get("b"), "x", "non-string values are dropped, the rest kept");
});

test("a header written in front of a payload left room for is the frame the copying encoders write", () => {
  const corr = Buffer.alloc(16, 0x33);
  const framedWith = (head: number, p: Buffer) => {
    const b = Buffer.alloc(head + p.length, 0xee); // the head's bytes are whatever was there
    p.copy(b, head);
    return b;
  };
  for (const p of [payload, Buffer.alloc(0), Buffer.alloc(70_000, 0x61)]) {
    for (const c of [false, corr] as const) {
      const want = encodePlainFrame(MSG_RESULT, 0, 65_537, 1, p, c);
      assert.deepEqual(completePlainFrame(MSG_RESULT, 0, 65_537, 1, framedWith(plainFrameHead(c), p), c), want);
    }
    // a random correlation id: a fresh uuid4 in the head, the rest as encodePlainFrame writes it
    const r = decodeMessage(completePlainFrame(MSG_RESULT, 0, 1, 1, framedWith(plainFrameHead(true), p), true));
    assert.equal(r.annotations.get("CORR")![6]! >> 4, 4);
    assert.ok(r.data.equals(p));
    for (const meta of [undefined, metadataText({ "x-tenant": "bl\u00fc" }, 500)!]) {
      const bytes = meta === undefined ? undefined : Buffer.from(meta, "utf8");
      const want = encodePlainRequest(MSG_INVOKE, 4, 9, 2, p, meta);
      assert.deepEqual(completePlainRequest(MSG_INVOKE, 4, 9, 2, framedWith(plainRequestHead(bytes), p), bytes), want);
    }
  }
});
