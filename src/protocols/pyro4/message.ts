/**
 * Pyro4 wire protocol version 48: frames, annotations, HMAC and compression.
 *
 * A frame is a 24-byte big-endian header, then `annotationsLength` bytes of
 * annotation chunks (4-char key, u16 length, value), then the payload.
 * The header checksum is the 16-bit sum of the header fields plus 0x34E9.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";
import { ErrorCodes, MessageTooLargeError, ProtocolError, SecurityError } from "../../core/errors.js";

export const PROTOCOL_VERSION = 48;
export const HEADER_SIZE = 24;
const MAGIC = Buffer.from("PYRO", "ascii");
const CHECKSUM_MAGIC = 0x34e9;

export const MSG_CONNECT = 1;
export const MSG_CONNECTOK = 2;
export const MSG_CONNECTFAIL = 3;
export const MSG_INVOKE = 4;
export const MSG_RESULT = 5;
export const MSG_PING = 6;

export const FLAGS_EXCEPTION = 1 << 0;
export const FLAGS_COMPRESSED = 1 << 1;
export const FLAGS_ONEWAY = 1 << 2;
export const FLAGS_BATCH = 1 << 3;
export const FLAGS_META_ON_CONNECT = 1 << 4;
export const FLAGS_ITEMSTREAMRESULT = 1 << 5;
export const FLAGS_KEEPSERIALIZED = 1 << 6;

/** Serializer id used by PING frames (the payload is not serialized). */
export const PING_SERIALIZER_ID = 42;
export const MARSHAL_SERIALIZER_ID = 3;

/** Default limit for payload + annotations of one received frame: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
/** Payloads at least this large are compressed when compression is on (Pyro4 uses 200). */
export const DEFAULT_COMPRESS_THRESHOLD = 200;

export interface PyroMessage {
  type: number;
  flags: number;
  seq: number;
  serializerId: number;
  /** Annotations in wire order, without the HMAC chunk (that is checked and removed on receipt). */
  annotations: Map<string, Buffer>;
  /** The payload, already decompressed. */
  data: Buffer;
}

export interface FrameOptions {
  /** Shared HMAC key: every frame is signed and every received frame must carry a matching HMAC. */
  hmacKey?: Buffer | undefined;
  /** Maximum payload + annotation bytes of a received (or sent) frame. 0 means no limit (not recommended). */
  maxMessageSize?: number | undefined;
  /** Compress sent payloads at least this large (bytes); `undefined`/`false` never compresses. */
  compressThreshold?: number | false | undefined;
  /**
   * Leave received compressed payloads compressed (FLAGS_COMPRESSED kept, the
   * HMAC still checked): the receiver inflates them with `inflatePayload()`,
   * when and within what limit it decides (the daemon: only after the
   * handshake, within a compression ratio).
   */
  deferDecompression?: boolean | undefined;
}

/**
 * Inflates a compressed payload to at most `limit` bytes (0: no limit):
 * MessageTooLargeError beyond it (zlib stops there: no more is produced),
 * ProtocolError for data that does not inflate.
 */
export function inflatePayload(data: Buffer, limit: number): Buffer {
  try {
    return inflateSync(data, limit > 0 ? { maxOutputLength: limit } : {});
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new MessageTooLargeError(limit + 1, limit, "decompressed payload");
    throw new ProtocolError("cannot decompress payload", ErrorCodes.ERR_PROTOCOL, { cause: err });
  }
}

/** Normalizes an HMAC key given as a string (UTF-8) or bytes. */
export function toHmacKey(key: string | Uint8Array | null | undefined): Buffer | undefined {
  if (key === undefined || key === null) return undefined;
  if (typeof key === "string") return key.length ? Buffer.from(key, "utf8") : undefined;
  return key.length ? Buffer.from(key) : undefined;
}

export function headerChecksum(type: number, flags: number, seq: number, payloadLength: number, serializerId: number, annotationsLength: number): number {
  return (type + PROTOCOL_VERSION + payloadLength + annotationsLength + serializerId + flags + seq + CHECKSUM_MAGIC) & 0xffff;
}

function hmacOf(key: Buffer, data: Buffer, annotations: Map<string, Buffer>): Buffer {
  const h = createHmac("sha1", key);
  h.update(data);
  for (const k of [...annotations.keys()].sort()) {
    if (k === "HMAC") continue;
    h.update(annotations.get(k)!);
  }
  return h.digest();
}

/** Builds one frame (header, annotations, payload) as a single Buffer, ready for one socket write. */
export function encodeMessage(
  type: number,
  data: Uint8Array,
  options: { flags?: number; seq?: number; serializerId: number; annotations?: Map<string, Uint8Array> | undefined } & FrameOptions,
): Buffer {
  let flags = (options.flags ?? 0) & ~FLAGS_COMPRESSED;
  let payload = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const threshold = options.compressThreshold;
  if (typeof threshold === "number" && payload.length >= threshold) {
    const z = deflateSync(payload);
    if (z.length < payload.length) {
      payload = z;
      flags |= FLAGS_COMPRESSED;
    }
  }
  const ann = new Map<string, Buffer>();
  if (options.annotations) {
    for (const [k, v] of options.annotations) {
      if (k === "HMAC") continue;
      ann.set(k, Buffer.isBuffer(v) ? v : Buffer.from(v));
    }
  }
  if (options.hmacKey) ann.set("HMAC", hmacOf(options.hmacKey, payload, ann));
  let annLength = 0;
  for (const [k, v] of ann) {
    if (k.length !== 4 || Buffer.byteLength(k, "latin1") !== 4) throw new ProtocolError(`annotation key must be 4 characters: '${k}'`);
    if (v.length > 0xffff) throw new ProtocolError(`annotation '${k}' is longer than 65535 bytes`);
    annLength += 6 + v.length;
  }
  if (annLength > 0xffff) throw new ProtocolError("annotations are longer than 65535 bytes in total");
  if (payload.length > 0x7fffffff) throw new MessageTooLargeError(payload.length, 0x7fffffff, "payload");
  const max = options.maxMessageSize ?? 0;
  if (max > 0 && payload.length + annLength > max) throw new MessageTooLargeError(payload.length + annLength, max);
  const seq = (options.seq ?? 0) & 0xffff;
  const out = Buffer.allocUnsafe(HEADER_SIZE + annLength + payload.length);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(PROTOCOL_VERSION, 4);
  out.writeUInt16BE(type, 6);
  out.writeUInt16BE(flags, 8);
  out.writeUInt16BE(seq, 10);
  out.writeInt32BE(payload.length, 12);
  out.writeUInt16BE(options.serializerId, 16);
  out.writeUInt16BE(annLength, 18);
  out.writeUInt16BE(0, 20);
  out.writeUInt16BE(headerChecksum(type, flags, seq, payload.length, options.serializerId, annLength), 22);
  let off = HEADER_SIZE;
  for (const [k, v] of ann) {
    out.write(k, off, 4, "latin1");
    out.writeUInt16BE(v.length, off + 4);
    v.copy(out, off + 6);
    off += 6 + v.length;
  }
  payload.copy(out, off);
  return out;
}

let corrPool = Buffer.alloc(0);
let corrOffset = 0;

/** Writes a fresh random correlation id (uuid4 layout) at `off`, from a pooled random buffer. */
export function writeRandomCorr(out: Buffer, off: number): void {
  if (corrOffset + 16 > corrPool.length) {
    corrPool = randomBytes(16 * 256);
    corrOffset = 0;
  }
  const pool = corrPool;
  const from = corrOffset;
  for (let k = 0; k < 16; k++) out[off + k] = pool[from + k]!;
  corrOffset = from + 16;
  out[off + 6] = (out[off + 6]! & 0x0f) | 0x40;
  out[off + 8] = (out[off + 8]! & 0x3f) | 0x80;
}

/**
 * The hot path of `encodeMessage`: a frame without HMAC and compression whose
 * only annotation is an optional 16-byte correlation id (`corr`, or a random
 * one when `corr` is `true`). Header and payload go into one Buffer.
 */
export function encodePlainFrame(type: number, flags: number, seq: number, serializerId: number, payload: Uint8Array, corr: Uint8Array | boolean): Buffer {
  const out = plainFrame(type, flags, seq, serializerId, payload.length, corr);
  out.set(payload, out.length - payload.length);
  return out;
}

/** The bytes before the payload in encodePlainFrame()'s frame: the header, and the CORR annotation unless `corr` is false. */
export function plainFrameHead(corr: Uint8Array | boolean): number {
  return corr === false ? HEADER_SIZE : HEADER_SIZE + 6 + (corr === true ? 16 : corr.length);
}

/**
 * encodePlainFrame() for a payload a serializer wrote after plainFrameHead(corr)
 * bytes of `framed` (see PyroSerializer.dumps): the header is written in front
 * of it, in the same Buffer, so the payload is neither allocated nor copied twice.
 */
export function completePlainFrame(type: number, flags: number, seq: number, serializerId: number, framed: Buffer, corr: Uint8Array | boolean): Buffer {
  return plainFrame(type, flags, seq, serializerId, framed.length - plainFrameHead(corr), corr, framed);
}

/** Buffer's own Latin-1 writer (what `buf.write(text, at, "latin1")` ends in, without its argument handling). */
function writeLatin1(out: Buffer, text: string, at: number): void {
  (out as Buffer & { latin1Write(text: string, offset: number, length: number): number }).latin1Write(text, at, text.length);
}

/** encodePlainFrame() for a payload given as text of which every character is below 0x80 (written as is, no UTF-8 pass). */
export function encodeTextFrame(type: number, flags: number, seq: number, serializerId: number, text: string, corr: Uint8Array | boolean): Buffer {
  const out = plainFrame(type, flags, seq, serializerId, text.length, corr);
  writeLatin1(out, text, out.length - text.length);
  return out;
}

/**
 * A reply frame whose payload is ASCII text, carrying the request's CORR
 * annotation (copied straight from the received frame), or a new random one
 * when the request had none.
 */
export function encodeTextReply(type: number, flags: number, req: PyroMessage, text: string): Buffer {
  if (req instanceof LazyMessage) return encodeTextReplyFrom(type, flags, req.seq, req.serializerId, req.source, req.annotationOffset("CORR"), text);
  return encodeTextFrame(type, flags, req.seq, req.serializerId, text, req.annotations.get("CORR") ?? true);
}

/** encodeTextReply() with the request's CORR chunk at `corrAt` in `src` (-1: none, a random one is made). */
export function encodeTextReplyFrom(type: number, flags: number, seq: number, serializerId: number, src: Buffer, corrAt: number, text: string): Buffer {
  if (corrAt < 0) return encodeTextFrame(type, flags, seq, serializerId, text, true);
  const len = (src[corrAt + 4]! << 8) | src[corrAt + 5]!;
  const out = frameHead(type, flags, seq, serializerId, text.length, len);
  for (let k = 0; k < len; k++) out[30 + k] = src[corrAt + 6 + k]!;
  writeLatin1(out, text, out.length - text.length);
  return out;
}

/**
 * The annotation in which this library's clients send a call's metadata: the
 * remaining time limit (`remoting-timeout`, in ms, relative) and trace context
 * (`traceparent`, `tracestate`), as a JSON object of strings, UTF-8. Python
 * peers ignore annotations they do not know.
 */
export const METADATA_ANNOTATION = "RMTD";
const CORR_KEY = 0x434f5252; // "CORR"
const RMTD_KEY = 0x524d5444; // "RMTD"

/**
 * A request frame whose payload is text below 0x80 (see encodeTextFrame),
 * with the call's metadata (JSON text, or undefined for none) in the RMTD
 * annotation.
 */
export function encodeTextRequest(type: number, flags: number, seq: number, serializerId: number, text: string, metadata: string | undefined): Buffer {
  if (metadata === undefined) return encodeTextFrame(type, flags, seq, serializerId, text, false);
  const meta = asciiOnly(metadata) ? metadata : undefined;
  const metaBytes = meta === undefined ? Buffer.from(metadata, "utf8") : undefined;
  const mlen = meta !== undefined ? meta.length : metaBytes!.length;
  const out = frameHead(type, flags, seq, serializerId, text.length, mlen, RMTD_KEY);
  if (meta !== undefined) writeLatin1(out, meta, 30);
  else out.set(metaBytes!, 30);
  writeLatin1(out, text, out.length - text.length);
  return out;
}

const TIMEOUT_ONLY_HEAD = Buffer.from('{"remoting-timeout":"', "latin1");

/**
 * encodeTextRequest() for the commonest call: its metadata is only its time
 * limit, `{"remoting-timeout":"<ms>"}`, written straight into the frame.
 */
export function encodeTimedTextRequest(type: number, flags: number, seq: number, serializerId: number, text: string, timeoutMs: number): Buffer {
  const digits = String(timeoutMs);
  const hl = TIMEOUT_ONLY_HEAD.length;
  const out = frameHead(type, flags, seq, serializerId, text.length, hl + digits.length + 2, RMTD_KEY);
  TIMEOUT_ONLY_HEAD.copy(out, 30);
  let at = 30 + hl;
  for (let i = 0; i < digits.length; i++) out[at++] = digits.charCodeAt(i);
  out[at++] = 0x22; // "
  out[at] = 0x7d; // }
  writeLatin1(out, text, out.length - text.length);
  return out;
}

/** encodePlainFrame() for a request, with the call's metadata (JSON text, or undefined) in the RMTD annotation. */
export function encodePlainRequest(type: number, flags: number, seq: number, serializerId: number, payload: Uint8Array, metadata: string | undefined): Buffer {
  if (metadata === undefined) return encodePlainFrame(type, flags, seq, serializerId, payload, false);
  const metaBytes = Buffer.from(metadata, "utf8");
  const out = frameHead(type, flags, seq, serializerId, payload.length, metaBytes.length, RMTD_KEY);
  out.set(metaBytes, 30);
  out.set(payload, out.length - payload.length);
  return out;
}

/** The bytes before the payload in encodePlainRequest()'s frame (`metadata` as UTF-8). */
export function plainRequestHead(metadata: Uint8Array | undefined): number {
  return metadata === undefined ? HEADER_SIZE : HEADER_SIZE + 6 + metadata.length;
}

/** encodePlainRequest() for a payload written after plainRequestHead(metadata) bytes of `framed` (as completePlainFrame()). */
export function completePlainRequest(type: number, flags: number, seq: number, serializerId: number, framed: Buffer, metadata: Uint8Array | undefined): Buffer {
  const plen = framed.length - plainRequestHead(metadata);
  if (metadata === undefined) return plainFrame(type, flags, seq, serializerId, plen, false, framed);
  frameHead(type, flags, seq, serializerId, plen, metadata.length, RMTD_KEY, framed);
  framed.set(metadata, 30);
  return framed;
}

function asciiOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** A frame Buffer (`into`, else a new one) with header and CORR annotation written; the last `plen` bytes are for the payload. */
function plainFrame(type: number, flags: number, seq: number, serializerId: number, plen: number, corr: Uint8Array | boolean, into?: Buffer): Buffer {
  const out = frameHead(type, flags, seq, serializerId, plen, corr === false ? -1 : corr === true ? 16 : corr.length, CORR_KEY, into);
  if (corr === true) writeRandomCorr(out, 30);
  else if (corr !== false) out.set(corr, 30);
  return out;
}

/**
 * Header, and one annotation chunk's key (CORR unless `key` says otherwise) and
 * length when `corrLength` >= 0 (its value left to the caller, at offset 30),
 * written into `into` (whose size is the frame's) or a new Buffer.
 */
function frameHead(type: number, flags: number, seq: number, serializerId: number, plen: number, corrLength: number, key: number = CORR_KEY, into?: Buffer): Buffer {
  const annLength = corrLength < 0 ? 0 : 6 + corrLength;
  if (annLength > 0xffff) throw new ProtocolError("an annotation is longer than 65535 bytes");
  if (plen > 0x7fffffff) throw new MessageTooLargeError(plen, 0x7fffffff, "payload");
  const fl = flags & ~FLAGS_COMPRESSED & 0xffff;
  const sq = seq & 0xffff;
  const out = into ?? Buffer.allocUnsafe(HEADER_SIZE + annLength + plen);
  out[0] = 0x50; // P
  out[1] = 0x59; // Y
  out[2] = 0x52; // R
  out[3] = 0x4f; // O
  out[4] = 0;
  out[5] = PROTOCOL_VERSION;
  out[6] = type >>> 8;
  out[7] = type & 0xff;
  out[8] = fl >>> 8;
  out[9] = fl & 0xff;
  out[10] = sq >>> 8;
  out[11] = sq & 0xff;
  out[12] = plen >>> 24;
  out[13] = (plen >>> 16) & 0xff;
  out[14] = (plen >>> 8) & 0xff;
  out[15] = plen & 0xff;
  out[16] = serializerId >>> 8;
  out[17] = serializerId & 0xff;
  out[18] = annLength >>> 8;
  out[19] = annLength & 0xff;
  out[20] = 0;
  out[21] = 0;
  const sum = headerChecksum(type, fl, sq, plen, serializerId, annLength);
  out[22] = sum >>> 8;
  out[23] = sum & 0xff;
  if (annLength > 0) {
    out[24] = key >>> 24;
    out[25] = (key >>> 16) & 0xff;
    out[26] = (key >>> 8) & 0xff;
    out[27] = key & 0xff;
    out[28] = corrLength >>> 8;
    out[29] = corrLength & 0xff;
  }
  return out;
}

/** What soloPlainFrame() found (one object, reused: read it before the next call). */
export interface SoloFrame {
  seq: number;
  serializerId: number;
  /** Where the payload starts; it ends at the end of the bytes. */
  payloadStart: number;
  /** Offset of the CORR annotation's chunk, or -1. */
  corrAt: number;
  /** Offset of the RMTD (call metadata) annotation's chunk, or -1. */
  metaAt: number;
}
const solo: SoloFrame = { seq: 0, serializerId: 0, payloadStart: 0, corrAt: -1, metaAt: -1 };

/**
 * The hot paths' frame check: whether b[0, n) is exactly one frame of `type`
 * with no flags, a good checksum, within `maxMessageSize`, with well-formed
 * annotations and no HMAC. Returns the frame's details, or undefined for
 * anything else (the general reader then reads the bytes and reports errors).
 */
export function soloPlainFrame(b: Uint8Array, n: number, type: number, maxMessageSize: number): SoloFrame | undefined {
  if (n < HEADER_SIZE || b[0] !== 0x50 || b[1] !== 0x59 || b[2] !== 0x52 || b[3] !== 0x4f || b[4] !== 0 || b[5] !== PROTOCOL_VERSION) return undefined;
  if (((b[6]! << 8) | b[7]!) !== type || b[8] !== 0 || b[9] !== 0) return undefined;
  const seq = (b[10]! << 8) | b[11]!;
  const plen = (b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!;
  const sid = (b[16]! << 8) | b[17]!;
  const alen = (b[18]! << 8) | b[19]!;
  if (plen < 0 || HEADER_SIZE + alen + plen !== n || headerChecksum(type, 0, seq, plen, sid, alen) !== ((b[22]! << 8) | b[23]!)) return undefined;
  if (maxMessageSize > 0 && plen + alen > maxMessageSize) return undefined;
  let corrAt = -1;
  let metaAt = -1;
  const annEnd = HEADER_SIZE + alen;
  for (let off = HEADER_SIZE; off < annEnd; ) {
    if (off + 6 > annEnd) return undefined;
    if (b[off] === 0x48 && b[off + 1] === 0x4d && b[off + 2] === 0x41 && b[off + 3] === 0x43) return undefined; // HMAC
    if (b[off] === 0x43 && b[off + 1] === 0x4f && b[off + 2] === 0x52 && b[off + 3] === 0x52) corrAt = off; // CORR
    else if (b[off] === 0x52 && b[off + 1] === 0x4d && b[off + 2] === 0x54 && b[off + 3] === 0x44) metaAt = off; // RMTD
    off += 6 + ((b[off + 4]! << 8) | b[off + 5]!);
    if (off > annEnd) return undefined;
  }
  solo.seq = seq;
  solo.serializerId = sid;
  solo.payloadStart = annEnd;
  solo.corrAt = corrAt;
  solo.metaAt = metaAt;
  return solo;
}

export interface FrameHeader {
  type: number;
  flags: number;
  seq: number;
  payloadLength: number;
  serializerId: number;
  annotationsLength: number;
}

/** Parses and checks a 24-byte header. Throws ProtocolError (or MessageTooLargeError) before anything is allocated. */
export function parseHeader(buf: Uint8Array, maxMessageSize: number = DEFAULT_MAX_MESSAGE_SIZE): FrameHeader {
  return parseHeaderAt(buf, 0, maxMessageSize);
}

/** parseHeader() for the header at offset `o` of `b`. */
function parseHeaderAt(b: Uint8Array, o: number, maxMessageSize: number): FrameHeader {
  if (b.length - o < HEADER_SIZE) throw new ProtocolError("header too short");
  if (b[o] !== 0x50 || b[o + 1] !== 0x59 || b[o + 2] !== 0x52 || b[o + 3] !== 0x4f || b[o + 4] !== 0 || b[o + 5] !== PROTOCOL_VERSION) {
    throw new ProtocolError("invalid data or unsupported protocol version");
  }
  const h: FrameHeader = {
    type: (b[o + 6]! << 8) | b[o + 7]!,
    flags: (b[o + 8]! << 8) | b[o + 9]!,
    seq: (b[o + 10]! << 8) | b[o + 11]!,
    payloadLength: (b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!,
    serializerId: (b[o + 16]! << 8) | b[o + 17]!,
    annotationsLength: (b[o + 18]! << 8) | b[o + 19]!,
  };
  const checksum = (b[o + 22]! << 8) | b[o + 23]!;
  if (headerChecksum(h.type, h.flags, h.seq, h.payloadLength, h.serializerId, h.annotationsLength) !== checksum) {
    throw new ProtocolError("header checksum mismatch");
  }
  if (h.payloadLength < 0) throw new ProtocolError("negative payload length");
  if (maxMessageSize > 0 && h.payloadLength + h.annotationsLength > maxMessageSize) {
    throw new MessageTooLargeError(h.payloadLength + h.annotationsLength, maxMessageSize);
  }
  return h;
}

/** The annotation chunks in body[start, annEnd) as a map (values are views into `body`). */
export function parseAnnotations(body: Buffer, start: number, annEnd: number): Map<string, Buffer> {
  const annotations = new Map<string, Buffer>();
  for (let off = start; off < annEnd; ) {
    const len = (body[off + 4]! << 8) | body[off + 5]!;
    annotations.set(body.toString("latin1", off, off + 4), body.subarray(off + 6, off + 6 + len));
    off += 6 + len;
  }
  return annotations;
}

/**
 * A received message without HMAC and compression (the common case): its
 * annotations are read from the frame only when asked for.
 */
class LazyMessage implements PyroMessage {
  private ann: Map<string, Buffer> | undefined = undefined;
  constructor(
    readonly type: number,
    readonly flags: number,
    readonly seq: number,
    readonly serializerId: number,
    readonly data: Buffer,
    private readonly src: Buffer,
    private readonly annStart: number,
    private readonly annEnd: number,
  ) {}

  get annotations(): Map<string, Buffer> {
    return (this.ann ??= parseAnnotations(this.src, this.annStart, this.annEnd));
  }

  set annotations(v: Map<string, Buffer>) {
    this.ann = v;
  }

  /** The frame bytes the message was read from. */
  get source(): Buffer {
    return this.src;
  }

  /** Offset in `source` of the chunk (key, length, value) of an annotation, or -1. */
  annotationOffset(key: string): number {
    const b = this.src;
    const k0 = key.charCodeAt(0), k1 = key.charCodeAt(1), k2 = key.charCodeAt(2), k3 = key.charCodeAt(3);
    for (let off = this.annStart; off < this.annEnd; ) {
      if (b[off] === k0 && b[off + 1] === k1 && b[off + 2] === k2 && b[off + 3] === k3) return off;
      off += 6 + ((b[off + 4]! << 8) | b[off + 5]!);
    }
    return -1;
  }

  /** One annotation, found without building the map. */
  annotation(key: string): Buffer | undefined {
    if (this.ann !== undefined) return this.ann.get(key);
    const off = this.annotationOffset(key);
    return off < 0 ? undefined : this.src.subarray(off + 6, off + 6 + ((this.src[off + 4]! << 8) | this.src[off + 5]!));
  }
}

/** `m.annotations.get(key)`, without building the annotation map of a received message. */
export function annotationOf(m: PyroMessage, key: string): Buffer | undefined {
  return m instanceof LazyMessage ? m.annotation(key) : m.annotations.get(key);
}

/**
 * Decodes the body of a frame (annotations + payload) whose header was parsed.
 * Checks the HMAC, then decompresses.
 */
export function decodeBody(header: FrameHeader, body: Buffer, options: FrameOptions = {}, start = 0): PyroMessage {
  let off = start;
  const annEnd = start + header.annotationsLength;
  // check the chunk bounds; note whether an HMAC chunk is there
  let hasMac = false;
  while (off < annEnd) {
    if (off + 6 > annEnd) throw new ProtocolError("truncated annotation chunk");
    const len = (body[off + 4]! << 8) | body[off + 5]!;
    if (off + 6 + len > annEnd) throw new ProtocolError("annotation chunk overruns the annotations");
    if (body[off] === 0x48 && body[off + 1] === 0x4d && body[off + 2] === 0x41 && body[off + 3] === 0x43) hasMac = true; // HMAC
    off += 6 + len;
  }
  if (!hasMac && options.hmacKey === undefined && (header.flags & FLAGS_COMPRESSED) === 0) {
    const data = annEnd === 0 && body.length === header.payloadLength ? body : body.subarray(annEnd, annEnd + header.payloadLength);
    return new LazyMessage(header.type, header.flags, header.seq, header.serializerId, data, body, start, annEnd);
  }
  const annotations = parseAnnotations(body, start, annEnd);
  let data = annEnd === 0 && body.length === header.payloadLength ? body : body.subarray(annEnd, annEnd + header.payloadLength);
  const mac = annotations.get("HMAC");
  const key = options.hmacKey;
  if (mac !== undefined || key !== undefined) {
    if (mac === undefined || key === undefined) throw new SecurityError("hmac key config not symmetric");
    const expected = hmacOf(key, data, annotations);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw new SecurityError("message hmac mismatch");
    annotations.delete("HMAC");
  }
  if (header.flags & FLAGS_COMPRESSED) {
    if (options.deferDecompression === true) return { type: header.type, flags: header.flags, seq: header.seq, serializerId: header.serializerId, annotations, data };
    data = inflatePayload(data, options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
  }
  return { type: header.type, flags: header.flags & ~FLAGS_COMPRESSED, seq: header.seq, serializerId: header.serializerId, annotations, data };
}

/** Decodes one complete frame held in a buffer (for tests and tools). */
export function decodeMessage(frame: Uint8Array, options: FrameOptions = {}): PyroMessage {
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame);
  const h = parseHeader(buf, options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
  const total = HEADER_SIZE + h.annotationsLength + h.payloadLength;
  if (buf.length < total) throw new ProtocolError("frame is truncated");
  if (buf.length > total) throw new ProtocolError("trailing bytes after frame");
  return decodeBody(h, buf.subarray(HEADER_SIZE, total), options);
}

/**
 * Incremental deframer for a byte stream: feed socket chunks with `push()`,
 * get complete messages back. Chunks are kept as a list and joined once per
 * frame, so large frames split over many chunks cost linear time. The size
 * limit is checked from the header before the body is buffered.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: FrameHeader | undefined;
  private failed = false;
  /**
   * `transient`: the pushed chunks are reused by the caller once push()
   * returns (a socket's `onread` buffer). Bytes kept for a later frame are
   * then copied, and the returned messages may only be used until the next
   * push (their data and annotations point into the chunk).
   */
  constructor(
    private readonly options: FrameOptions = {},
    private readonly transient = false,
  ) {}

  /** Bytes held but not yet returned as messages. */
  get pending(): number {
    return this.buffered;
  }

  /** Replaces the HMAC key (e.g. once known). */
  setHmacKey(key: Buffer | undefined): void {
    this.options.hmacKey = key;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    let first = this.chunks[0]!;
    if (first.length < n) {
      // join just enough chunks
      const parts: Buffer[] = [];
      let got = 0;
      while (got < n) {
        const c = this.chunks.shift()!;
        parts.push(c);
        got += c.length;
      }
      first = Buffer.concat(parts, got);
      this.chunks.unshift(first);
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }

  /** Adds the first `length` bytes of `chunk` (default: all); returns every message completed by them. Throws ProtocolError/SecurityError on bad input; the reader is then unusable. */
  push(chunk: Uint8Array, length: number = chunk.length): PyroMessage[] {
    if (this.failed) throw new ProtocolError("frame reader already failed");
    if (this.buffered === 0 && this.header === undefined && length > 0) return this.pushWhole(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk), length);
    if (length > 0) {
      const part = length === chunk.length ? chunk : chunk.subarray(0, length);
      this.chunks.push(this.transient || !Buffer.isBuffer(part) ? Buffer.from(part) : part);
      this.buffered += length;
    }
    const out: PyroMessage[] = [];
    try {
      for (;;) {
        if (!this.header) {
          if (this.buffered < HEADER_SIZE) break;
          this.header = parseHeader(this.take(HEADER_SIZE), this.options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
        }
        const need = this.header.annotationsLength + this.header.payloadLength;
        if (this.buffered < need) break;
        const body = this.take(need);
        const h = this.header;
        this.header = undefined;
        out.push(decodeBody(h, body, this.options));
      }
    } catch (err) {
      this.failed = true;
      this.chunks = [];
      this.buffered = 0;
      throw err;
    }
    return out;
  }

  /** push() when nothing is buffered: frames are parsed in place (in buf[0, n)), only a trailing partial frame is kept. */
  private pushWhole(buf: Buffer, n: number): PyroMessage[] {
    const out: PyroMessage[] = [];
    const max = this.options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    let off = 0;
    try {
      while (n - off >= HEADER_SIZE) {
        const h = parseHeaderAt(buf, off, max);
        const end = off + HEADER_SIZE + h.annotationsLength + h.payloadLength;
        if (end > n) {
          this.header = h;
          off += HEADER_SIZE;
          break;
        }
        out.push(decodeBody(h, buf, this.options, off + HEADER_SIZE));
        off = end;
      }
    } catch (err) {
      this.failed = true;
      this.chunks = [];
      this.buffered = 0;
      throw err;
    }
    if (off < n) {
      this.chunks.push(this.transient ? Buffer.from(buf.subarray(off, n)) : off === 0 && n === buf.length ? buf : buf.subarray(off, n));
      this.buffered = n - off;
    }
    return out;
  }

  /** The header of the frame being received, if any (to answer a failed frame with its seq). */
  get currentHeader(): FrameHeader | undefined {
    return this.header;
  }
}

/** Encodes a string the way Python's marshal does (used for early CONNECTFAIL replies). */
export function marshalString(s: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) {
    if (s.length < 256) return Buffer.concat([Buffer.from([0x7a, s.length]), Buffer.from(s, "latin1")]);
    const b = Buffer.alloc(5 + s.length);
    b[0] = 0x61;
    b.writeUInt32LE(s.length, 1);
    b.write(s, 5, "latin1");
    return b;
  }
  const u = Buffer.from(s, "utf8");
  const h = Buffer.alloc(5);
  h[0] = 0x75;
  h.writeUInt32LE(u.length, 1);
  return Buffer.concat([h, u]);
}

/** Decodes a marshal-encoded string (types z/Z/a/A/u/t, ref bit ignored); undefined when it is not one. */
export function unmarshalString(b: Uint8Array): string | undefined {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b);
  if (buf.length < 1) return undefined;
  const t = buf[0]! & 0x7f;
  if (t === 0x7a || t === 0x5a) {
    if (buf.length < 2) return undefined;
    const n = buf[1]!;
    if (buf.length < 2 + n) return undefined;
    return buf.toString("latin1", 2, 2 + n);
  }
  if (t === 0x61 || t === 0x41 || t === 0x75 || t === 0x74) {
    if (buf.length < 5) return undefined;
    const n = buf.readUInt32LE(1);
    if (buf.length < 5 + n) return undefined;
    return buf.toString(t === 0x75 || t === 0x74 ? "utf8" : "latin1", 5, 5 + n);
  }
  return undefined;
}
