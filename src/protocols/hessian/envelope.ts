/**
 * Hessian call, reply and fault envelopes, versions 2.0 and 1.0.
 *
 *   2.0 call   H 02 00 C string(method) int(argc) value*
 *   2.0 reply  H 02 00 R value          fault  H 02 00 F map
 *   1.0 call   c major minor (H name value)* m len method value* z
 *              (major 2 = "1.0 arguments, reply in 2.0": the Java client's default)
 *   1.0 reply  r 01 00 value z          fault  r 01 00 f (string value)* z z
 */
import { ErrorCodes, SerializationError } from "../../core/errors.js";
import { Hessian1Decoder, Hessian2Decoder, stackLimitError } from "./decoder.js";
import { Hessian1Encoder, Hessian2Encoder, withEncoder2 } from "./encoder.js";

const CALL2 = Buffer.from([0x48, 0x02, 0x00, 0x43]);
const REPLY2 = Buffer.from([0x48, 0x02, 0x00, 0x52]);
import { DEFAULT_LIMITS, HESSIAN_CLASS, typedCollection, typedObject, type DecodeOptions, type EncodeOptions } from "./types.js";

/** How a call arrived: `h2` (H 02 00 C), `c2` (c 02 00: 1.0 call asking for a 2.0 reply), `c1` (c 01 00). */
export type CallKind = "h2" | "c2" | "c1";

export interface DecodedCall {
  kind: CallKind;
  method: string;
  args: unknown[];
  /** Hessian 1.0 call headers (name → value). */
  headers: Map<string, unknown>;
  /** What the arguments (and headers) decoded to, in bytes, as the decoder's budget counts it. */
  decodedSize: number;
}

export interface HessianFault {
  code: string;
  message: string;
  detail?: unknown;
}

export type DecodedReply = { fault: false; value: unknown } | ({ fault: true } & HessianFault);

function fail(msg: string): never {
  throw new SerializationError(msg, undefined, ErrorCodes.ERR_PROTOCOL);
}

/**
 * Reads a call envelope of any version. Throws SerializationError (code
 * ERR_PROTOCOL) for an unknown envelope, ERR_LIMIT_EXCEEDED for a limit (all
 * the arguments share one decoded-size budget).
 */
export function decodeCall(buf: Uint8Array, options: DecodeOptions = {}): DecodedCall {
  try {
    return readCall(buf, options);
  } catch (err) {
    throw stackLimitError(err, options.maxDepth ?? DEFAULT_LIMITS.maxDepth);
  }
}

function readCall(buf: Uint8Array, options: DecodeOptions): DecodedCall {
  if (buf.length < 1) fail("empty Hessian call");
  const first = buf[0]!;
  if (first === 0x48 || first === 0x43) {
    let start = 0;
    if (first === 0x48) {
      if (buf.length < 4) fail("truncated Hessian 2 call header");
      if (buf[1] !== 2) fail(`unsupported Hessian version ${buf[1]}.${buf[2]}`);
      if (buf[3] !== 0x43) fail(`expected 'C' after the Hessian 2 header, found 0x${buf[3]!.toString(16)}`);
      start = 4;
    } else start = 1;
    const d = new Hessian2Decoder(buf, options, start);
    const method = d.readString();
    const argc = d.readInt();
    if (argc < 0 || argc > d.remaining) fail(`bad argument count ${argc}`);
    const args: unknown[] = [];
    for (let i = 0; i < argc; i++) args.push(d.read());
    if (!d.atEnd) fail(`${d.remaining} unexpected bytes after the call`);
    return { kind: "h2", method, args, headers: new Map(), decodedSize: d.decodedSize };
  }
  if (first === 0x63) {
    if (buf.length < 3) fail("truncated Hessian 1 call header");
    const major = buf[1]!;
    if (major !== 1 && major !== 2) fail(`unsupported Hessian call version ${major}.${buf[2]}`);
    const d = new Hessian1Decoder(buf, options, 3);
    const headers = new Map<string, unknown>();
    let code = d.u8();
    while (code === 0x48) {
      const name = d.readBareString();
      headers.set(name, d.read());
      code = d.u8();
    }
    if (code !== 0x6d) fail(`expected 'm' in the Hessian 1 call, found 0x${code.toString(16)}`);
    const method = d.readBareString();
    const args: unknown[] = [];
    for (;;) {
      const c = d.u8();
      if (c === 0x7a) break;
      args.push(d.readWith(c));
    }
    if (!d.atEnd) fail(`${d.remaining} unexpected bytes after the call`);
    return { kind: major === 2 ? "c2" : "c1", method, args, headers, decodedSize: d.decodedSize };
  }
  return fail(`0x${first.toString(16).padStart(2, "0")} is an unknown Hessian message code`);
}

/** Writes a call: Hessian 2.0 (`H 02 00 C`, default) or pure Hessian 1.0 (`c 01 00`). */
export function encodeCall(method: string, args: readonly unknown[], version: 1 | 2 = 2, options?: EncodeOptions): Buffer {
  if (version === 1) {
    const e = new Hessian1Encoder(options);
    e.writeRaw([0x63, 0x01, 0x00, 0x6d]);
    e.writeBareString(method);
    for (const a of args) e.write(a);
    e.writeRaw([0x7a]);
    return e.toBuffer();
  }
  return withEncoder2(options, (e) => {
    e.writeRaw(CALL2);
    e.writeString(method);
    e.writeInt(args.length);
    for (let i = 0; i < args.length; i++) e.write(args[i]);
    return e.toBuffer();
  });
}

/** The reply version for a call kind: 1.0 only for `c 01 00`. */
export function replyVersionFor(kind: CallKind): 1 | 2 {
  return kind === "c1" ? 1 : 2;
}

export function encodeReply(value: unknown, version: 1 | 2 = 2, options?: EncodeOptions): Buffer {
  if (version === 1) {
    const e = new Hessian1Encoder(options);
    e.writeRaw([0x72, 0x01, 0x00]);
    e.write(value);
    e.writeRaw([0x7a]);
    return e.toBuffer();
  }
  return withEncoder2(options, (e) => e.writeRaw(REPLY2).write(value).toBuffer());
}

export function encodeFault(fault: HessianFault, version: 1 | 2 = 2, options?: EncodeOptions): Buffer {
  // the fault is a map of code, message and (optional) detail, framed per version
  const e = version === 1 ? new Hessian1Encoder(options) : new Hessian2Encoder(options);
  e.writeRaw(version === 1 ? [0x72, 0x01, 0x00, 0x66] : [0x48, 0x02, 0x00, 0x46, 0x48]);
  e.writeString("code");
  e.writeString(fault.code);
  e.writeString("message");
  e.writeString(fault.message);
  if (fault.detail !== undefined) {
    e.writeString("detail");
    e.write(fault.detail);
  }
  e.writeRaw(version === 1 ? [0x7a, 0x7a] : [0x5a]);
  return e.toBuffer();
}

function faultFrom(m: unknown): HessianFault {
  const get = (k: string): unknown => (m instanceof Map ? m.get(k) : typeof m === "object" && m !== null ? (m as Record<string, unknown>)[k] : undefined);
  const code = get("code");
  const message = get("message");
  return {
    code: typeof code === "string" ? code : String(code ?? "ServiceException"),
    message: typeof message === "string" ? message : String(message ?? ""),
    detail: get("detail"),
  };
}

/** Reads a reply or fault of either version (its value within the decoder's limits and decoded-size budget). */
export function decodeReply(buf: Uint8Array, options: DecodeOptions = {}): DecodedReply {
  try {
    return readReply(buf, options);
  } catch (err) {
    throw stackLimitError(err, options.maxDepth ?? DEFAULT_LIMITS.maxDepth);
  }
}

function readReply(buf: Uint8Array, options: DecodeOptions): DecodedReply {
  if (buf.length < 1) fail("empty Hessian reply");
  const first = buf[0]!;
  if (first === 0x48) {
    if (buf.length < 4) fail("truncated Hessian 2 reply header");
    const d = new Hessian2Decoder(buf, options, 3);
    const kind = d.u8();
    if (kind === 0x52) {
      const value = d.read();
      return { fault: false, value };
    }
    if (kind === 0x46) {
      const m = d.read();
      return { fault: true, ...faultFrom(m) };
    }
    return fail(`'${String.fromCharCode(kind)}' (0x${kind.toString(16)}) is an unknown Hessian 2 reply code`);
  }
  if (first === 0x72) {
    if (buf.length < 4) fail("truncated Hessian 1 reply header");
    const d = new Hessian1Decoder(buf, options, 3);
    let code = d.u8();
    while (code === 0x48) {
      d.readBareString();
      d.read();
      code = d.u8();
    }
    if (code === 0x66) {
      const m: Record<string, unknown> = {};
      for (;;) {
        const c = d.u8();
        if (c === 0x7a) break;
        const k = d.readWith(c);
        m[String(k)] = d.read();
      }
      return { fault: true, ...faultFrom(m) };
    }
    const value = d.readWith(code);
    if (d.u8() !== 0x7a) fail("missing 'z' at the end of the Hessian 1 reply");
    return { fault: false, value };
  }
  return fail(`'${String.fromCharCode(first)}' (0x${first.toString(16)}) is an unknown Hessian reply code`);
}

/**
 * A `detail` object a Java client turns into a real exception: an object of
 * the given Throwable class with `detailMessage` and an empty stack trace.
 */
export function javaExceptionDetail(className: string, message: string): object {
  return typedObject(className, {
    detailMessage: message,
    stackTrace: typedCollection("[java.lang.StackTraceElement", [] as unknown[]),
  });
}

/** The class name carried by a decoded fault detail, if any. */
export function detailClass(detail: unknown): string | undefined {
  if (typeof detail !== "object" || detail === null) return undefined;
  const c = (detail as Record<symbol, unknown>)[HESSIAN_CLASS];
  if (typeof c === "string") return c;
  const ctor = (detail as object).constructor;
  return ctor && ctor !== Object && typeof ctor.name === "string" ? ctor.name : undefined;
}
