/**
 * Hessian 2.0 and 1.0 encoders. Both write into one growing Buffer; the 2.0
 * encoder picks the same compact forms as Caucho's Java writer, so values that
 * Java writes canonically re-encode byte for byte.
 *
 * One encoder instance is one Hessian stream: references, class definitions
 * and type references are shared by every value written to it (a whole call
 * or a whole reply), as in Java.
 */
import { ErrorCodes, SerializationError } from "../../core/errors.js";
import {
  HESSIAN_CLASS,
  HESSIAN_TYPE,
  HESSIAN_WRAPPER,
  HessianDouble,
  HessianInt,
  HessianLong,
  type ClassRegistry,
  type EncodeOptions,
} from "./types.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The largest string chunk (UTF-16 units) and the non-final binary chunk size Java uses at the start of its buffer. */
const STRING_CHUNK = 0x8000;
const BINARY_CHUNK_V2 = 8189;
const BINARY_CHUNK_V1 = 0x8000;

function fail(msg: string, code: string = ErrorCodes.ERR_SERIALIZATION): never {
  throw new SerializationError(msg, undefined, code);
}

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

const SURROGATE = /[\ud800-\udfff]/;
/** Strings of at least this many UTF-16 units are written by the native UTF-8 encoder, shorter ones by a JS loop. */
const NATIVE_UTF8_MIN = 48;
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Hessian 2.0 class-definition bytes (`C` name count fields), by class name
 * and field list, shared by all encoders: a class sent again in a later
 * message is copied, not re-encoded. Bounded; cleared when full.
 */
const DEF_BYTES_LIMIT = 512;
let defBytesCount = 0;
const defBytes = new Map<string, Array<{ fields: readonly string[]; bytes: Buffer }>>();

function cachedDefBytes(className: string, fields: readonly string[]): Buffer | undefined {
  const list = defBytes.get(className);
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!;
    if (sameFields(d.fields, fields)) return d.bytes;
  }
  return undefined;
}

function storeDefBytes(className: string, fields: readonly string[], bytes: Buffer): void {
  if (bytes.length > 4096) return;
  if (defBytesCount >= DEF_BYTES_LIMIT) {
    defBytes.clear();
    defBytesCount = 0;
  }
  let list = defBytes.get(className);
  if (list === undefined) defBytes.set(className, (list = []));
  list.push({ fields: Object.freeze([...fields]), bytes: Buffer.from(bytes) });
  defBytesCount++;
}

/**
 * The containers (lists, maps, objects) of one message, by identity, in the
 * order written: a short array while there are few (no hashing, and nothing
 * to clear but a length), a Map beyond REF_ARRAY_LIMIT.
 */
const REF_ARRAY_LIMIT = 16;

class RefTable {
  private objs: object[] = [];
  private map: Map<object, number> | undefined = undefined;

  get size(): number {
    return this.map !== undefined ? this.map.size : this.objs.length;
  }

  get(o: object): number | undefined {
    if (this.map !== undefined) return this.map.get(o);
    const a = this.objs;
    for (let i = 0; i < a.length; i++) if (a[i] === o) return i;
    return undefined;
  }

  /** Adds a container under the next index. */
  add(o: object): void {
    if (this.map !== undefined) {
      this.map.set(o, this.map.size);
      return;
    }
    const a = this.objs;
    a.push(o);
    if (a.length > REF_ARRAY_LIMIT) {
      const m = new Map<object, number>();
      for (let i = 0; i < a.length; i++) m.set(a[i]!, i);
      this.map = m;
      this.objs = [];
    }
  }

  clear(): void {
    // a new array rather than `length = 0` (setting an array's length is a runtime call)
    if (this.objs.length !== 0) this.objs = [];
    this.map = undefined;
  }
}

/** The bytes of a growing buffer. */
abstract class ByteWriter {
  protected buf: Buffer;
  protected pos = 0;
  protected registry: ClassRegistry | undefined;
  protected maxDepth: number;
  protected depth = 0;
  /** Containers written so far (list, map, object), by identity. */
  protected refs = new RefTable();

  constructor(options: EncodeOptions = {}, initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.registry = options.registry;
    this.maxDepth = options.maxDepth ?? 256;
  }

  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  protected byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  protected u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
  }

  protected i32(v: number): void {
    this.ensure(4);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = (v >>> 24) & 0xff;
    buf[p++] = (v >>> 16) & 0xff;
    buf[p++] = (v >>> 8) & 0xff;
    buf[p++] = v & 0xff;
    this.pos = p;
  }

  protected i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  /** A safe integer as 8 big-endian bytes (no bigint). */
  protected i64n(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * 4294967296, this.pos + 4);
    this.pos += 8;
  }

  protected f64(v: number): void {
    this.ensure(8);
    F64[0] = v;
    const buf = this.buf;
    const p = this.pos;
    if (LITTLE_ENDIAN) {
      buf[p] = F64_BYTES[7]!;
      buf[p + 1] = F64_BYTES[6]!;
      buf[p + 2] = F64_BYTES[5]!;
      buf[p + 3] = F64_BYTES[4]!;
      buf[p + 4] = F64_BYTES[3]!;
      buf[p + 5] = F64_BYTES[2]!;
      buf[p + 6] = F64_BYTES[1]!;
      buf[p + 7] = F64_BYTES[0]!;
    } else for (let i = 0; i < 8; i++) buf[p + i] = F64_BYTES[i]!;
    this.pos = p + 8;
  }

  protected raw(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n <= 32) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) buf[p++] = src[i]!;
    } else this.buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), this.pos);
    this.pos += n;
  }

  /** Writes `n` UTF-16 units of `s` from `off`, each unit separately as 1-3 bytes (CESU-8 style). */
  protected utf16(s: string, off: number, n: number): void {
    this.ensure(n * 3);
    const buf = this.buf;
    let p = this.pos;
    if (n >= NATIVE_UTF8_MIN && off === 0 && n === s.length) {
      // One native call (room for 3 bytes per unit is ensured, so it is written whole). UTF-8 and
      // Hessian's per-unit encoding agree on every string without surrogates. (Shorter strings: the
      // loop below is cheaper than the call, and needs no surrogate check.)
      const written = (buf as Buffer & { utf8Write(s: string, offset: number): number }).utf8Write(s, p);
      if (written === n || !SURROGATE.test(s)) {
        this.pos = p + written;
        return;
      }
    }
    const end = off + n;
    for (let i = off; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) buf[p++] = c;
      else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = p;
  }

  /** Returns a copy of the bytes written so far. */
  toBuffer(): Buffer {
    const n = this.pos;
    const out = Buffer.allocUnsafe(n);
    if (n <= 32) {
      const buf = this.buf;
      for (let i = 0; i < n; i++) out[i] = buf[i]!;
    } else this.buf.copy(out, 0, 0, n);
    return out;
  }

  /** Sets the options of a reused encoder (with reset()). */
  protected configure(options: EncodeOptions): void {
    this.registry = options.registry;
    this.maxDepth = options.maxDepth ?? 256;
    // Do not keep a large buffer alive between messages.
    if (this.buf.length > 65536) this.buf = Buffer.allocUnsafe(256);
  }

  /** The bytes written so far, without copying (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  get length(): number {
    return this.pos;
  }

  /** Writes raw bytes (envelope headers). */
  writeRaw(bytes: readonly number[] | Uint8Array): this {
    if (bytes instanceof Uint8Array) this.raw(bytes, 0, bytes.length);
    else for (const b of bytes) this.byte(b);
    return this;
  }

  protected enter(): void {
    if (++this.depth > this.maxDepth) fail(`value nested deeper than ${this.maxDepth} levels`, ErrorCodes.ERR_LIMIT_EXCEEDED);
  }

  /** Writes a value, choosing the Hessian type from the JS type. A value nested deeper than the stack allows is a limit error, like maxDepth. */
  write(value: unknown): this {
    try {
      this.writeValue(value);
    } catch (err) {
      if (err instanceof RangeError && /call stack/i.test(err.message)) {
        throw new SerializationError(`value nested deeper than the encoder's stack allows (maxDepth ${this.maxDepth})`, undefined, ErrorCodes.ERR_LIMIT_EXCEEDED);
      }
      throw err;
    }
    return this;
  }

  protected writeValue(value: unknown): void {
    switch (typeof value) {
      case "string":
        this.writeString(value);
        return;
      case "number":
        if (Number.isInteger(value)) {
          if (value >= -2147483648 && value <= 2147483647) {
            if (value !== 0 || 1 / value > 0) this.writeInt(value);
            else this.writeDouble(value);
          } else if (value >= -9007199254740991 && value <= 9007199254740991) this.writeLongNumber(value);
          else this.writeDouble(value);
        } else this.writeDouble(value);
        return;
      case "boolean":
        this.byte(value ? 0x54 : 0x46);
        return;
      case "bigint":
        if (value < INT64_MIN || value > INT64_MAX) fail(`bigint ${value} does not fit in a Hessian long (64 bits)`);
        this.writeLong(value);
        return;
      case "undefined":
        this.byte(0x4e);
        return;
      case "object":
        if (value === null) this.byte(0x4e);
        else this.writeObjectValue(value);
        return;
      default:
        fail(`cannot encode a ${typeof value} in Hessian`);
    }
  }

  private writeObjectValue(value: object): void {
    const proto = Object.getPrototypeOf(value) as unknown;
    // The common shapes first: arrays and plain objects (typed with HESSIAN_CLASS, or maps).
    if (proto === Array.prototype) {
      const ref = this.refs.get(value);
      if (ref !== undefined) return this.writeRef(ref);
      this.enter();
      this.refs.add(value);
      const t = (value as Record<symbol, unknown>)[HESSIAN_TYPE];
      this.writeList(value as unknown[], typeof t === "string" ? t : undefined);
      this.depth--;
      return;
    }
    if (proto === Object.prototype && (value as Record<symbol, unknown>)[HESSIAN_WRAPPER] === undefined) {
      const ref = this.refs.get(value);
      if (ref !== undefined) return this.writeRef(ref);
      this.enter();
      this.writePlainObject(value);
      this.depth--;
      return;
    }
    const wrapper = (value as Record<symbol, unknown>)[HESSIAN_WRAPPER];
    if (wrapper !== undefined) {
      const v = (value as { value: unknown }).value;
      if (wrapper === "int" && typeof v === "number") return this.writeInt(v);
      if (wrapper === "long" && typeof v === "bigint") return this.writeLong(v);
      if (wrapper === "double" && typeof v === "number") return this.writeDouble(v);
    }
    if (value instanceof Date) {
      const t = value.getTime();
      if (Number.isNaN(t)) fail("cannot encode an invalid Date");
      return this.writeDate(t);
    }
    if (value instanceof Uint8Array && !(value instanceof Uint8ClampedArray)) return this.writeBinary(value);
    if (value instanceof ArrayBuffer) return this.writeBinary(new Uint8Array(value));
    if (value instanceof Number || value instanceof String || value instanceof Boolean) return this.writeValue(value.valueOf());

    const ref = this.refs.get(value);
    if (ref !== undefined) return this.writeRef(ref);

    this.enter();
    try {
      if (Array.isArray(value)) {
        this.refs.add(value);
        const t = (value as unknown as Record<symbol, unknown>)[HESSIAN_TYPE];
        this.writeList(value, typeof t === "string" ? t : undefined);
      } else if (value instanceof Int32Array) {
        this.refs.add(value);
        this.writeList(Array.from(value, (v) => new HessianInt(v)), "[int");
      } else if (value instanceof Float64Array || value instanceof Float32Array) {
        this.refs.add(value);
        this.writeList(Array.from(value, (v) => new HessianDouble(v)), "[double");
      } else if (value instanceof BigInt64Array) {
        this.refs.add(value);
        this.writeList(Array.from(value, (v) => new HessianLong(v)), "[long");
      } else if (value instanceof Set) {
        this.refs.add(value);
        const t = (value as unknown as Record<symbol, unknown>)[HESSIAN_TYPE];
        this.writeList([...value], typeof t === "string" ? t : "java.util.HashSet");
      } else if (value instanceof Map) {
        this.refs.add(value);
        const t = (value as unknown as Record<symbol, unknown>)[HESSIAN_TYPE];
        this.writeMap(value.entries(), typeof t === "string" ? t : undefined);
      } else {
        this.writeComplexObject(value);
      }
    } finally {
      this.depth--;
    }
  }

  /** A plain object (prototype Object.prototype): a typed object, a registered class bound to Object, or a map. */
  private writePlainObject(value: object): void {
    const rec = value as Record<string | symbol, unknown>;
    const cls = rec[HESSIAN_CLASS];
    if (typeof cls === "string" && (this.registry === undefined || this.registry.byConstructor(Object) === undefined)) {
      this.refs.add(value);
      // Keys and values in one pass each (no per-field property lookups).
      const keys = Object.keys(value);
      const values = Object.values(value);
      if (values.length !== keys.length) fail(`object of class ${cls} changed while it was being encoded`);
      this.writeInstanceValues(cls, keys, values);
      return;
    }
    this.writeComplexObject(value);
  }

  private writeComplexObject(value: object): void {
    const rec = value as Record<string | symbol, unknown>;
    const cls = rec[HESSIAN_CLASS];
    const binding = this.registry?.byConstructor(value.constructor);
    if (binding) {
      this.refs.add(value);
      const fields = binding.fields ?? Object.keys(value);
      this.writeInstance(binding.name, fields, value);
      return;
    }
    if (typeof cls === "string") {
      this.refs.add(value);
      this.writeInstance(cls, Object.keys(value), value);
      return;
    }
    if (typeof (value as { then?: unknown }).then === "function") fail("cannot encode a Promise in Hessian (await it first)");
    this.refs.add(value);
    const t = rec[HESSIAN_TYPE];
    if (!isPlainObject(value) && typeof t !== "string" && value instanceof Error) {
      this.writeMap(Object.entries({ ...value, message: value.message }), undefined);
      return;
    }
    this.writeMap(Object.entries(value), typeof t === "string" ? t : undefined);
  }

  abstract writeInt(v: number): void;
  abstract writeLong(v: bigint): void;
  /** An object given as its field names and, in the same order, its values. */
  protected abstract writeInstanceValues(className: string, fields: readonly string[], values: readonly unknown[]): void;
  /** A long from a safe integer (no bigint on the way). */
  abstract writeLongNumber(v: number): void;
  abstract writeDouble(v: number): void;
  abstract writeDate(ms: number): void;
  abstract writeString(s: string): void;
  abstract writeBinary(b: Uint8Array): void;

  /**
   * Writes all but the last chunk of a long string, each as `code`, a u16
   * length and that many UTF-16 units (a surrogate pair is never split);
   * returns where the final chunk starts.
   */
  protected stringChunks(s: string, code: number): number {
    const len = s.length;
    let off = 0;
    while (len - off > STRING_CHUNK) {
      let sub = STRING_CHUNK;
      const last = s.charCodeAt(off + sub - 1);
      if (last >= 0xd800 && last <= 0xdbff) sub--;
      this.byte(code);
      this.u16(sub);
      this.utf16(s, off, sub);
      off += sub;
    }
    return off;
  }

  /** stringChunks() for bytes, in chunks of `size`. */
  protected binaryChunks(b: Uint8Array, code: number, size: number): number {
    let off = 0;
    while (b.length - off > size) {
      this.byte(code);
      this.u16(size);
      this.raw(b, off, off + size);
      off += size;
    }
    return off;
  }
  protected abstract writeRef(n: number): void;
  protected abstract writeList(items: readonly unknown[], type: string | undefined): void;
  protected abstract writeMap(entries: Iterable<[unknown, unknown]>, type: string | undefined): void;
  protected abstract writeInstance(className: string, fields: readonly string[], obj: object): void;
}

/** Hessian 2.0 encoder. */
export class Hessian2Encoder extends ByteWriter {
  /** Class definitions written in this stream: class name -> field lists and their indexes. */
  /** Class definitions written in this stream, by index: names and field lists (a linear scan while few, then a Map). */
  private defNames: string[] = [];
  private defFields: Array<readonly string[]> = [];
  private defIndex: Map<string, number[]> | undefined = undefined;
  private types = new Map<string, number>();

  /** Replaces the options (registry, maxDepth) of this encoder. */
  setOptions(options: EncodeOptions): this {
    this.configure(options);
    return this;
  }

  /** Forgets the written bytes and every table, to start a new stream. */
  reset(): this {
    this.pos = 0;
    this.depth = 0;
    if (this.refs.size) this.refs.clear();
    if (this.defNames.length) {
      this.defNames = [];
      this.defFields = [];
      this.defIndex = undefined;
    }
    if (this.types.size) this.types.clear();
    return this;
  }

  writeInt(v: number): void {
    if (v >= -16 && v <= 47) this.byte(0x90 + v);
    else if (v >= -2048 && v <= 2047) {
      this.ensure(2);
      this.buf[this.pos++] = 0xc8 + (v >> 8);
      this.buf[this.pos++] = v & 0xff;
    } else if (v >= -262144 && v <= 262143) {
      this.ensure(3);
      this.buf[this.pos++] = 0xd4 + (v >> 16);
      this.buf[this.pos++] = (v >> 8) & 0xff;
      this.buf[this.pos++] = v & 0xff;
    } else {
      this.byte(0x49);
      this.i32(v);
    }
  }

  writeLong(v: bigint): void {
    if (v >= -8n && v <= 15n) this.byte(0xe0 + Number(v));
    else if (v >= -2048n && v <= 2047n) {
      const n = Number(v);
      this.byte(0xf8 + (n >> 8));
      this.byte(n & 0xff);
    } else if (v >= -262144n && v <= 262143n) {
      const n = Number(v);
      this.byte(0x3c + (n >> 16));
      this.u16(n & 0xffff);
    } else if (v >= -2147483648n && v <= 2147483647n) {
      this.byte(0x59);
      this.i32(Number(v));
    } else {
      this.byte(0x4c);
      this.i64(v);
    }
  }

  writeLongNumber(v: number): void {
    if (v >= -8 && v <= 15) this.byte(0xe0 + v);
    else if (v >= -2048 && v <= 2047) {
      this.ensure(2);
      this.buf[this.pos++] = 0xf8 + (v >> 8);
      this.buf[this.pos++] = v & 0xff;
    } else if (v >= -262144 && v <= 262143) {
      this.ensure(3);
      this.buf[this.pos++] = 0x3c + (v >> 16);
      this.buf[this.pos++] = (v >> 8) & 0xff;
      this.buf[this.pos++] = v & 0xff;
    } else if (v >= -2147483648 && v <= 2147483647) {
      this.byte(0x59);
      this.i32(v);
    } else {
      this.byte(0x4c);
      this.i64n(v);
    }
  }

  writeDouble(v: number): void {
    // Java: (int) value == value (the cast saturates; NaN becomes 0).
    const asInt = v !== v ? 0 : v >= 2147483647 ? 2147483647 : v <= -2147483648 ? -2147483648 : Math.trunc(v);
    if (asInt === v) {
      if (asInt === 0) return this.byte(0x5b);
      if (asInt === 1) return this.byte(0x5c);
      if (asInt >= -128 && asInt <= 127) {
        this.byte(0x5d);
        this.byte(asInt & 0xff);
        return;
      }
      if (asInt >= -32768 && asInt <= 32767) {
        this.byte(0x5e);
        this.u16(asInt & 0xffff);
        return;
      }
    }
    const x = v * 1000;
    const mills = x !== x ? 0 : x >= 2147483647 ? 2147483647 : x <= -2147483648 ? -2147483648 : Math.trunc(x);
    if (0.001 * mills === v) {
      this.byte(0x5f);
      this.i32(mills);
      return;
    }
    this.byte(0x44);
    this.f64(v);
  }

  writeDate(ms: number): void {
    // Whole minutes: ms is an integer below 2^53, so ms / 60000 is exact when it divides; trunc() and the
    // product then give ms back (a float remainder, ms % 60000, is a slower C call).
    const minutes = Math.trunc(ms / 60000);
    if (minutes * 60000 === ms) {
      if (minutes >= -2147483648 && minutes <= 2147483647) {
        this.byte(0x4b);
        this.i32(minutes);
        return;
      }
    }
    this.byte(0x4a);
    this.i64n(ms);
  }

  writeString(s: string): void {
    const off = this.stringChunks(s, 0x52);
    const rem = s.length - off;
    if (rem <= 31) this.byte(rem);
    else if (rem <= 1023) {
      this.byte(0x30 + (rem >> 8));
      this.byte(rem & 0xff);
    } else {
      this.byte(0x53);
      this.u16(rem);
    }
    this.utf16(s, off, rem);
  }

  writeBinary(b: Uint8Array): void {
    const off = this.binaryChunks(b, 0x41, BINARY_CHUNK_V2);
    const len = b.length;
    const rem = len - off;
    if (rem <= 15) this.byte(0x20 + rem);
    else if (rem <= 1023) {
      this.byte(0x34 + (rem >> 8));
      this.byte(rem & 0xff);
    } else {
      this.byte(0x42);
      this.u16(rem);
    }
    this.raw(b, off, len);
  }

  protected writeRef(n: number): void {
    this.byte(0x51);
    this.writeInt(n);
  }

  private writeType(type: string): void {
    const idx = this.types.get(type);
    if (idx !== undefined) this.writeInt(idx);
    else {
      this.types.set(type, this.types.size);
      this.writeString(type);
    }
  }

  protected writeList(items: readonly unknown[], type: string | undefined): void {
    const n = items.length;
    if (type === undefined) {
      if (n <= 7) this.byte(0x78 + n);
      else {
        this.byte(0x58);
        this.writeInt(n);
      }
    } else if (n <= 7) {
      this.byte(0x70 + n);
      this.writeType(type);
    } else {
      this.byte(0x56);
      this.writeType(type);
      this.writeInt(n);
    }
    for (let i = 0; i < n; i++) this.writeValue(items[i]);
  }

  protected writeMap(entries: Iterable<[unknown, unknown]>, type: string | undefined): void {
    if (type === undefined) this.byte(0x48);
    else {
      this.byte(0x4d);
      this.writeType(type);
    }
    for (const [k, v] of entries) {
      this.writeValue(k);
      this.writeValue(v);
    }
    this.byte(0x5a);
  }

  /** The index of the class definition `className` + `fields` in this stream, writing the definition first if new. */
  private classDef(className: string, fields: readonly string[]): number {
    const names = this.defNames;
    const index = names.length;
    if (this.defIndex === undefined) {
      for (let i = 0; i < index; i++) if (names[i] === className && sameFields(this.defFields[i]!, fields)) return i;
    } else {
      const list = this.defIndex.get(className);
      if (list !== undefined) for (let i = 0; i < list.length; i++) if (sameFields(this.defFields[list[i]!]!, fields)) return list[i]!;
    }
    names.push(className);
    this.defFields.push(fields);
    if (this.defIndex !== undefined) {
      const list = this.defIndex.get(className);
      if (list === undefined) this.defIndex.set(className, [index]);
      else list.push(index);
    } else if (index >= 16) {
      const m = new Map<string, number[]>();
      for (let i = 0; i <= index; i++) {
        const l = m.get(names[i]!);
        if (l === undefined) m.set(names[i]!, [i]);
        else l.push(i);
      }
      this.defIndex = m;
    }
    // The definition's bytes do not depend on the stream: reuse them across messages.
    const bytes = cachedDefBytes(className, fields);
    if (bytes !== undefined) this.raw(bytes, 0, bytes.length);
    else {
      const start = this.pos;
      this.byte(0x43);
      this.writeString(className);
      this.writeInt(fields.length);
      for (let i = 0; i < fields.length; i++) this.writeString(fields[i]!);
      storeDefBytes(className, fields, this.buf.subarray(start, this.pos));
    }
    return index;
  }

  protected writeInstance(className: string, fields: readonly string[], obj: object): void {
    this.writeObjectHead(className, fields);
    const rec = obj as Record<string, unknown>;
    for (let i = 0; i < fields.length; i++) this.writeValue(rec[fields[i]!]);
  }

  protected writeInstanceValues(className: string, fields: readonly string[], values: readonly unknown[]): void {
    this.writeObjectHead(className, fields);
    for (let i = 0; i < values.length; i++) this.writeValue(values[i]);
  }

  private writeObjectHead(className: string, fields: readonly string[]): void {
    const def = this.classDef(className, fields);
    if (def <= 15) this.byte(0x60 + def);
    else {
      this.byte(0x4f);
      this.writeInt(def);
    }
  }
}

/** Hessian 1.0 encoder (used for `c 01 00` calls and their replies). */
export class Hessian1Encoder extends ByteWriter {
  reset(): this {
    this.pos = 0;
    this.depth = 0;
    this.refs.clear();
    return this;
  }

  writeInt(v: number): void {
    this.byte(0x49);
    this.i32(v);
  }

  writeLong(v: bigint): void {
    this.byte(0x4c);
    this.i64(v);
  }

  writeLongNumber(v: number): void {
    this.byte(0x4c);
    this.i64n(v);
  }

  writeDouble(v: number): void {
    this.byte(0x44);
    this.f64(v);
  }

  writeDate(ms: number): void {
    this.byte(0x64);
    this.i64n(ms);
  }

  writeString(s: string): void {
    const off = this.stringChunks(s, 0x73);
    const rem = s.length - off;
    this.byte(0x53);
    this.u16(rem);
    this.utf16(s, off, rem);
  }

  /** A length-prefixed string without the `S` code (method names, types, fault keys). */
  writeBareString(s: string): void {
    if (s.length > 0xffff) fail("name too long");
    this.u16(s.length);
    this.utf16(s, 0, s.length);
  }

  writeBinary(b: Uint8Array): void {
    const off = this.binaryChunks(b, 0x62, BINARY_CHUNK_V1);
    const len = b.length;
    this.byte(0x42);
    this.u16(len - off);
    this.raw(b, off, len);
  }

  protected writeRef(n: number): void {
    this.byte(0x52);
    this.i32(n);
  }

  protected writeList(items: readonly unknown[], type: string | undefined): void {
    this.byte(0x56);
    if (type !== undefined) {
      this.byte(0x74);
      this.writeBareString(type);
    }
    this.byte(0x6c);
    this.i32(items.length);
    for (let i = 0; i < items.length; i++) this.writeValue(items[i]);
    this.byte(0x7a);
  }

  protected writeMap(entries: Iterable<[unknown, unknown]>, type: string | undefined): void {
    this.byte(0x4d);
    this.byte(0x74);
    this.writeBareString(type ?? "");
    for (const [k, v] of entries) {
      this.writeValue(k);
      this.writeValue(v);
    }
    this.byte(0x7a);
  }

  protected writeInstanceValues(className: string, fields: readonly string[], values: readonly unknown[]): void {
    this.byte(0x4d);
    this.byte(0x74);
    this.writeBareString(className);
    for (let i = 0; i < fields.length; i++) {
      this.writeString(fields[i]!);
      this.writeValue(values[i]);
    }
    this.byte(0x7a);
  }

  protected writeInstance(className: string, fields: readonly string[], obj: object): void {
    this.byte(0x4d);
    this.byte(0x74);
    this.writeBareString(className);
    const rec = obj as Record<string, unknown>;
    for (const f of fields) {
      this.writeString(f);
      this.writeValue(rec[f]);
    }
    this.byte(0x7a);
  }
}

const NO_OPTIONS: EncodeOptions = Object.freeze({});
let shared2: Hessian2Encoder | undefined;
let shared2Busy = false;

/**
 * Runs `fn` with a reset Hessian 2.0 encoder: a reused one when free (no
 * buffer or table allocation per message), else a new one. `fn` must copy
 * what it keeps (toBuffer()).
 */
export function withEncoder2<T>(options: EncodeOptions | undefined, fn: (e: Hessian2Encoder) => T): T {
  if (shared2Busy) return fn(new Hessian2Encoder(options));
  shared2Busy = true;
  try {
    const e = (shared2 ??= new Hessian2Encoder());
    e.reset().setOptions(options ?? NO_OPTIONS);
    return fn(e);
  } finally {
    shared2Busy = false;
  }
}

/** Encodes one value as a Hessian 2.0 stream of its own. */
export function encode(value: unknown, options?: EncodeOptions): Buffer {
  if (shared2Busy) return new Hessian2Encoder(options).write(value).toBuffer();
  shared2Busy = true;
  try {
    const e = (shared2 ??= new Hessian2Encoder());
    e.reset().setOptions(options ?? NO_OPTIONS);
    return e.write(value).toBuffer();
  } finally {
    shared2Busy = false;
  }
}

/** Encodes one value as Hessian 1.0. */
export function encodeV1(value: unknown, options?: EncodeOptions): Buffer {
  return new Hessian1Encoder(options).write(value).toBuffer();
}
