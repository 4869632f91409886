import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { createHmac } from "node:crypto";
import {
  decodeMessage,
  encodeMessage,
  FrameReader,
  FLAGS_COMPRESSED,
  FLAGS_META_ON_CONNECT,
  HEADER_SIZE,
  marshalString,
  MSG_CONNECT,
  MSG_RESULT,
  parseHeader,
  unmarshalString,
} from "../../../src/protocols/pyro4/message.js";
import { ErrorCodes, MessageTooLargeError, ProtocolError, SecurityError } from "../../../src/core/errors.js";

const connectPayload = Buffer.from("# serpent utf-8 python3.2\n{'handshake':'hello','object':'test.service'}");

test("a CONNECT frame matches the bytes a real Pyro4 proxy sends", () => {
  assert.equal(connectPayload.length, 71);
  const frame = encodeMessage(MSG_CONNECT, connectPayload, { flags: FLAGS_META_ON_CONNECT, seq: 0, serializerId: 1 });
  assert.equal(
    frame.subarray(0, HEADER_SIZE).toString("hex"),
    "5059524f" + "0030" + "0001" + "0010" + "0000" + "00000047" + "0001" + "0000" + "0000" + "3572",
  );
  const back = decodeMessage(frame);
  assert.equal(back.type, MSG_CONNECT);
  assert.equal(back.flags, FLAGS_META_ON_CONNECT);
  assert.deepEqual(back.data, connectPayload);
});

test("a captured RESULT with a CORR annotation decodes", () => {
  const hex =
    "5059524f003000050000000100000034000100160000356a" + "434f52520010" + "1f4ed2b3230044a6a060b22a57cc5b2a";
  const payload = Buffer.from("# serpent utf-8 python3.2\n'You got remote data => x'");
  assert.equal(payload.length, 0x34);
  const msg = decodeMessage(Buffer.concat([Buffer.from(hex, "hex"), payload]));
  assert.equal(msg.type, MSG_RESULT);
  assert.equal(msg.seq, 1);
  assert.equal(msg.annotations.get("CORR")!.toString("hex"), "1f4ed2b3230044a6a060b22a57cc5b2a");
  assert.equal(msg.data.toString(), payload.toString());
});

test("a header with a wrong checksum, magic or version is refused", () => {
  const frame = encodeMessage(MSG_RESULT, Buffer.from("x"), { serializerId: 2 });
  const bad = Buffer.from(frame);
  bad[23]! ^= 1;
  assert.throws(() => parseHeader(bad), (e: unknown) => e instanceof ProtocolError && /checksum/.test(e.message));
  const badMagic = Buffer.from(frame);
  badMagic[0] = 0x51;
  assert.throws(() => parseHeader(badMagic), /unsupported protocol version/);
  const badVersion = Buffer.from(frame);
  badVersion.writeUInt16BE(47, 4);
  assert.throws(() => parseHeader(badVersion), /unsupported protocol version/);
});

test("the size limit is checked from the header, before the body arrives", () => {
  const frame = encodeMessage(MSG_RESULT, Buffer.alloc(1000, 0x61), { serializerId: 2 });
  const reader = new FrameReader({ maxMessageSize: 500 });
  assert.throws(
    () => reader.push(frame.subarray(0, HEADER_SIZE)),
    (e: unknown) => e instanceof MessageTooLargeError && e.code === ErrorCodes.ERR_MESSAGE_TOO_LARGE && e.limit === 500,
  );
  assert.throws(() => encodeMessage(MSG_RESULT, Buffer.alloc(1000), { serializerId: 2, maxMessageSize: 500 }), MessageTooLargeError);
});

test("frames split at every byte and coalesced are reassembled", () => {
  const frames = [0, 1, 70000, 5].map((n, i) =>
    encodeMessage(MSG_RESULT, Buffer.alloc(n, 0x41 + i), { serializerId: 1, seq: i, annotations: new Map([["CORR", Buffer.alloc(16, i)]]) }),
  );
  const all = Buffer.concat(frames);
  const reader = new FrameReader();
  const got = [];
  for (let i = 0; i < all.length; i += 7) got.push(...reader.push(all.subarray(i, Math.min(all.length, i + 7))));
  assert.deepEqual(got.map((m) => [m.seq, m.data.length]), [[0, 0], [1, 1], [2, 70000], [3, 5]]);
  const reader2 = new FrameReader();
  assert.equal(reader2.push(all).length, 4);
  assert.equal(reader2.pending, 0);
});

test("HMAC: signed frames verify; a wrong key, a tampered payload or a one-sided key are SecurityErrors", () => {
  const key = Buffer.from("secret");
  const ann = new Map([["CORR", Buffer.alloc(16, 7)], ["XTRA", Buffer.from("zz")]]);
  const frame = encodeMessage(MSG_RESULT, Buffer.from("payload"), { serializerId: 2, hmacKey: key, annotations: ann });
  const msg = decodeMessage(frame, { hmacKey: key });
  assert.equal(msg.data.toString(), "payload");
  assert.equal(msg.annotations.has("HMAC"), false);
  // the MAC is HMAC-SHA1 over payload then the other annotation values in sorted key order
  const raw = frame.subarray(HEADER_SIZE);
  const macAt = raw.indexOf("HMAC");
  const expected = createHmac("sha1", key).update("payload").update(Buffer.alloc(16, 7)).update("zz").digest();
  assert.deepEqual(raw.subarray(macAt + 6, macAt + 26), expected);
  assert.throws(() => decodeMessage(frame, { hmacKey: Buffer.from("other") }), (e: unknown) => e instanceof SecurityError && /mismatch/.test(e.message));
  const tampered = Buffer.from(frame);
  tampered[tampered.length - 1]! ^= 1;
  assert.throws(() => decodeMessage(tampered, { hmacKey: key }), /hmac mismatch/);
  assert.throws(() => decodeMessage(frame), /not symmetric/);
  const unsigned = encodeMessage(MSG_RESULT, Buffer.from("payload"), { serializerId: 2 });
  assert.throws(() => decodeMessage(unsigned, { hmacKey: key }), /not symmetric/);
});

test("compressed payloads are accepted and sent above the threshold; bombs hit the limit", () => {
  const big = Buffer.alloc(5000, 0x61);
  const frame = encodeMessage(MSG_RESULT, big, { serializerId: 2, compressThreshold: 200 });
  assert.ok(frame.length < 1000);
  assert.equal(frame.readUInt16BE(8) & FLAGS_COMPRESSED, FLAGS_COMPRESSED);
  const back = decodeMessage(frame);
  assert.equal(back.flags & FLAGS_COMPRESSED, 0);
  assert.deepEqual(back.data, big);
  assert.equal(encodeMessage(MSG_RESULT, Buffer.alloc(100, 0x61), { serializerId: 2, compressThreshold: 200 }).readUInt16BE(8), 0);
  // a small compressed frame that inflates past the limit
  const bomb = deflateSync(Buffer.alloc(2_000_000));
  const h = encodeMessage(MSG_RESULT, bomb, { serializerId: 2 });
  h.writeUInt16BE(FLAGS_COMPRESSED, 8);
  h.writeUInt16BE((h.readUInt16BE(22) + FLAGS_COMPRESSED) & 0xffff, 22);
  assert.throws(() => decodeMessage(h, { maxMessageSize: 100_000 }), MessageTooLargeError);
  const garbage = encodeMessage(MSG_RESULT, Buffer.from("not zlib"), { serializerId: 2 });
  garbage.writeUInt16BE(FLAGS_COMPRESSED, 8);
  garbage.writeUInt16BE((garbage.readUInt16BE(22) + FLAGS_COMPRESSED) & 0xffff, 22);
  assert.throws(() => decodeMessage(garbage), ProtocolError);
});

test("annotation chunks that overrun are refused", () => {
  const frame = encodeMessage(MSG_RESULT, Buffer.from("abc"), { serializerId: 2, annotations: new Map([["CORR", Buffer.alloc(4)]]) });
  frame.writeUInt16BE(200, HEADER_SIZE + 4);
  assert.throws(() => decodeMessage(frame), /overruns/);
});

test("marshal strings as used in CONNECTFAIL round-trip", () => {
  assert.deepEqual(marshalString("unknown object").subarray(0, 2), Buffer.from([0x7a, 14]));
  assert.equal(unmarshalString(Buffer.concat([Buffer.from([0xfa, 3]), Buffer.from("abc")])), "abc");
  for (const s of ["", "x".repeat(300), "héllo"]) assert.equal(unmarshalString(marshalString(s)), s);
  assert.equal(unmarshalString(Buffer.from([0x69, 1, 2, 3, 4])), undefined);
});
