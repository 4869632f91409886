/**
 * Hessian 2.0 and 1.0 decoders. One decoder instance is one stream: the
 * reference, class-definition and type tables are shared by every value read
 * from it (all the arguments of a call, or a whole reply).
 *
 * Safety: no class is instantiated unless it is in the ClassRegistry given in
 * the options; every length is checked against the bytes left and the limits
 * before anything is allocated; nesting is bounded, and a nesting deeper than
 * the JS stack allows (a `maxDepth` set very high) is the same limit error,
 * never a stack overflow; and what a message decodes to is counted against a
 * budget before it is allocated (see the COST_ constants): at most
 * `min(maxDecodedSize, 64 KiB + maxExpansion × message length)` bytes.
 */
import { ErrorCodes, SerializationError } from "../../core/errors.js";
import {
  DECODED_SIZE_FLOOR,
  DEFAULT_LIMITS,
  HESSIAN_CLASS,
  HESSIAN_TYPE,
  HessianDouble,
  HessianLong,
  type ClassBinding,
  type ClassRegistry,
  type DecodeOptions,
} from "./types.js";

function fail(msg: string, code: string = ErrorCodes.ERR_SERIALIZATION): never {
  throw new SerializationError(msg, undefined, code);
}

const hex2 = (b: number): string => b.toString(16).padStart(2, "0");

// What decoded values cost, in bytes, as the budget counts them: a little
// above what V8 (64-bit, no pointer compression) holds for each, measured on
// Node 20, so the budget is an upper bound of the heap a message takes.

/** A list, map or object: its header (and its entry in the reference table). */
const COST_CONTAINER = 64;
/** One item of a list. */
const COST_SLOT = 8;
/** An object of a class definition (its class marker included), besides its fields. */
const COST_OBJECT = 40;
/** One field of an object (in-object or out-of-object property). */
const COST_FIELD = 12;
/** One entry of a map (its key and value, in a plain object or a Map). */
const COST_ENTRY = 32;
/** The type or class marker of a typed list or map. */
const COST_TYPED = 32;
/** A number that is not a small integer (a double, a long beyond 2^31), or a bigint. */
const COST_BOXED = 24;
/** A Date. */
const COST_DATE = 128;
/** A Buffer, besides its bytes. */
const COST_BINARY = 224;
/** A string, besides two bytes per UTF-16 unit. */
const COST_STRING = 24;
/** A class definition, besides its names. */
const COST_CLASS_DEF = 64;

/** Whether an error is V8's stack overflow (a nesting deeper than the stack, with a very high maxDepth). */
function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

/**
 * The error for a value nested deeper than the JS stack allows: the same
 * limit error as for `maxDepth`, so a high `maxDepth` never turns into a
 * stack overflow. Any other error passes through.
 */
export function stackLimitError(err: unknown, maxDepth: number): unknown {
  if (!isStackOverflow(err)) return err;
  return new SerializationError(`Hessian value nested deeper than the decoder's stack allows (maxDepth ${maxDepth})`, undefined, ErrorCodes.ERR_LIMIT_EXCEEDED);
}

interface ClassDef {
  name: string;
  fields: readonly string[];
  /** A Caucho handle or java.sql date class, turned into a plain value unless types are preserved. */
  special: boolean;
  /** One of the fields is `__proto__` (set as an own property). */
  hasProto: boolean;
  binding: ClassBinding | undefined;
  /** The registered fields of `binding`, when it restricts them. */
  allowed: ReadonlySet<string> | undefined;
  /** The property descriptor of the HESSIAN_CLASS marker (shared by the objects of this class). */
  marker: PropertyDescriptor;
}

/** Cached class definitions up to this many bytes are compared by a JS loop, longer ones natively. */
const SAME_BYTES_JS = 256;
const NO_WORDS = new Int32Array(0);

/** The 4-byte groups of `bytes` as 32-bit words (byte j of a group in bits 8j..8j+7), for sameBytes(). */
function wordsOf(bytes: Buffer): Int32Array {
  const m = bytes.length >> 2;
  const words = new Int32Array(m);
  for (let k = 0, p = 0; k < m; k++, p += 4) words[k] = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
  return words;
}

/**
 * Whether `buf` holds the `n` bytes of `bytes` at `at`: up to 256 bytes by a JS loop over 4-byte
 * groups against their words (`wordsOf(bytes)`; one comparison per group, cheaper there than a
 * native call), beyond by a native comparison.
 */
function sameBytes(buf: Uint8Array, at: number, bytes: Buffer, words: Int32Array, n: number): boolean {
  if (n > SAME_BYTES_JS) return (buf as Buffer).compare(bytes, 0, n, at, at + n) === 0;
  const m = n >> 2;
  let p = at;
  for (let k = 0; k < m; k++, p += 4) if ((buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) !== words[k]) return false;
  for (let i = m << 2; i < n; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

function markerOf(name: string): PropertyDescriptor {
  return { value: name, enumerable: false, configurable: true, writable: true };
}

/** A class definition seen in an earlier message, with its exact bytes (name, field count and names). */
interface CachedDef {
  name: string;
  fields: readonly string[];
  special: boolean;
  hasProto: boolean;
  marker: PropertyDescriptor;
  /** UTF-16 length of the longest of the name and field names (limits are checked on a cache hit too). */
  longest: number;
  bytes: Buffer;
  /** wordsOf(bytes) when it is compared by a JS loop (SAME_BYTES_JS), else empty. */
  words: Int32Array;
  /** The definition as a stream without a registry uses it (no binding): shared, never changed. */
  unbound: ClassDef;
}

const allowedSets = new WeakMap<ClassBinding, ReadonlySet<string>>();
function allowedOf(binding: ClassBinding | undefined): ReadonlySet<string> | undefined {
  if (binding?.fields === undefined) return undefined;
  let set = allowedSets.get(binding);
  if (set === undefined) allowedSets.set(binding, (set = new Set(binding.fields)));
  return set;
}

const HANDLE_CLASSES = new Set(["com.caucho.hessian.io.ShortHandle", "com.caucho.hessian.io.ByteHandle", "com.caucho.hessian.io.FloatHandle"]);
const SQL_DATE_CLASSES = new Set(["java.sql.Date", "java.sql.Timestamp", "java.sql.Time"]);

let scratch = Buffer.allocUnsafe(2 * 0x10000);
/** Strings of up to this many UTF-16 units that are not ASCII are decoded in JS (longer ones by the native UTF-8 decoder). */
const SHORT_TEXT = 64;

// What each Hessian 2.0 first byte starts, as a small dense number for one switch.
// (0: not a valid first byte; the switch's default.)
const K_INT1 = 1,
  K_STR0 = 2,
  K_INT2 = 3,
  K_INT3 = 4,
  K_STR1 = 5,
  K_OBJ = 6,
  K_LIST_U = 7,
  K_LIST_T = 8,
  K_LONG1 = 9,
  K_LONG2 = 10,
  K_BIN0 = 11,
  K_BIN1 = 12,
  K_LONG3 = 13;
const KIND = new Uint8Array(256);
{
  const range = (a: number, b: number, k: number): void => {
    for (let c = a; c <= b; c++) KIND[c] = k;
  };
  range(0x80, 0xbf, K_INT1);
  range(0x00, 0x1f, K_STR0);
  range(0xc0, 0xcf, K_INT2);
  range(0xd0, 0xd7, K_INT3);
  range(0x30, 0x33, K_STR1);
  range(0x60, 0x6f, K_OBJ);
  range(0x78, 0x7f, K_LIST_U);
  range(0x70, 0x77, K_LIST_T);
  range(0xd8, 0xef, K_LONG1);
  range(0xf0, 0xff, K_LONG2);
  range(0x20, 0x2f, K_BIN0);
  range(0x34, 0x37, K_BIN1);
  range(0x38, 0x3f, K_LONG3);
  // Single codes: their own byte value (all >= 0x41), handled by the same switch.
  for (const c of [0x4e, 0x54, 0x46, 0x49, 0x59, 0x4c, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x44, 0x4a, 0x4b, 0x52, 0x53, 0x41, 0x42, 0x58, 0x56, 0x57, 0x55, 0x48, 0x4d, 0x43, 0x4f, 0x51]) KIND[c] = c;
}

/**
 * Class definitions seen recently, by class name, with the exact bytes of
 * their field list: a definition repeated across messages is compared byte
 * for byte and reuses its field strings instead of decoding them again.
 * Bounded; cleared when full.
 */
const DEF_CACHE_SIZE = 512;
let defCacheCount = 0;
const defCache = new Map<number, CachedDef[]>();

/** Sets a property without ever touching a prototype (`__proto__` becomes an own property). */
function setField(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function markHidden(obj: object, sym: symbol, value: string): void {
  Object.defineProperty(obj, sym, { value, enumerable: false, configurable: true, writable: true });
}

const NO_OPTIONS: DecodeOptions = Object.freeze({});
type Limits = Required<Omit<DecodeOptions, "registry" | "preserveTypes" | "mapsAs">>;
const RESOLVED_DEFAULTS: Limits = Object.freeze({ ...DEFAULT_LIMITS });

abstract class ByteReader {
  protected readonly buf: Buffer;
  pos: number;
  protected readonly end: number;
  protected readonly registry: ClassRegistry | undefined;
  protected readonly preserve: boolean;
  protected readonly mapsAsMap: boolean;
  protected readonly limits: Limits;
  protected depth = 0;
  protected refs: unknown[] = [];
  /** Bytes the decoded values may still take (see the COST_ constants). */
  protected budget: number;
  /** The budget this message started with. */
  readonly decodedSizeLimit: number;
  private readonly wireLength: number;

  constructor(buf: Uint8Array, options: DecodeOptions = NO_OPTIONS, start = 0, end = buf.length) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
    this.registry = options.registry;
    this.preserve = options.preserveTypes === true;
    this.mapsAsMap = options.mapsAs === "map";
    this.limits = options === NO_OPTIONS ? RESOLVED_DEFAULTS : {
      maxDepth: options.maxDepth ?? DEFAULT_LIMITS.maxDepth,
      maxStringLength: options.maxStringLength ?? DEFAULT_LIMITS.maxStringLength,
      maxBinaryLength: options.maxBinaryLength ?? DEFAULT_LIMITS.maxBinaryLength,
      maxCollectionLength: options.maxCollectionLength ?? DEFAULT_LIMITS.maxCollectionLength,
      maxClassDefinitions: options.maxClassDefinitions ?? DEFAULT_LIMITS.maxClassDefinitions,
      maxFields: options.maxFields ?? DEFAULT_LIMITS.maxFields,
      maxDecodedSize: options.maxDecodedSize ?? DEFAULT_LIMITS.maxDecodedSize,
      maxExpansion: options.maxExpansion ?? DEFAULT_LIMITS.maxExpansion,
    };
    this.wireLength = Math.max(0, end - start);
    this.budget = this.decodedSizeLimit = Math.min(this.limits.maxDecodedSize, DECODED_SIZE_FLOOR + this.limits.maxExpansion * this.wireLength);
  }

  /** Bytes of the budget used so far (an estimate of the heap the decoded values take). */
  get decodedSize(): number {
    return this.decodedSizeLimit - this.budget;
  }

  /** Reads one value. A nesting deeper than the stack allows is a limit error, like maxDepth. */
  read(): unknown {
    try {
      return this.item();
    } catch (err) {
      throw stackLimitError(err, this.limits.maxDepth);
    }
  }

  /** Reads one value (the recursive step). */
  protected abstract item(): unknown;

  /** Counts `n` bytes of decoded values against the budget, before they are allocated. */
  protected charge(n: number): void {
    if ((this.budget -= n) < 0) this.overBudget();
  }

  protected overBudget(): never {
    const l = this.limits;
    return fail(
      `the Hessian message decodes to more than ${this.decodedSizeLimit} bytes (limit: min(maxDecodedSize ${l.maxDecodedSize}, ${DECODED_SIZE_FLOOR} + maxExpansion ${l.maxExpansion} × ${this.wireLength} bytes))`,
      ErrorCodes.ERR_LIMIT_EXCEEDED,
    );
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  protected truncated(): never {
    fail(`truncated Hessian data at byte ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) this.truncated();
    return this.buf[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.end) this.truncated();
    return this.buf[this.pos]!;
  }

  protected need(n: number): void {
    if (this.end - this.pos < n) this.truncated();
  }

  protected u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  protected i32(): number {
    this.need(4);
    const buf = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
  }

  protected i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A 64-bit big-endian integer as a number when it is a safe integer, else NaN. */
  protected i64n(): number {
    this.need(8);
    const buf = this.buf;
    const p = this.pos;
    const hi = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    const lo = ((buf[p + 4]! << 24) | (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!) >>> 0;
    this.pos = p + 8;
    if (hi > 0x1fffff || hi < -0x200000) return NaN;
    return hi * 4294967296 + lo;
  }

  protected f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  protected enter(): void {
    if (++this.depth > this.limits.maxDepth) fail(`Hessian value nested deeper than ${this.limits.maxDepth} levels`, ErrorCodes.ERR_LIMIT_EXCEEDED);
  }

  protected checkCollection(n: number): void {
    if (n < 0) fail(`negative collection length ${n}`);
    if (n > this.limits.maxCollectionLength) fail(`collection of ${n} entries exceeds the limit of ${this.limits.maxCollectionLength}`, ErrorCodes.ERR_LIMIT_EXCEEDED);
    if (n > this.end - this.pos) this.truncated();
  }

  protected checkStringTotal(total: number): void {
    if (total > this.limits.maxStringLength) fail(`string of more than ${this.limits.maxStringLength} units exceeds the limit`, ErrorCodes.ERR_LIMIT_EXCEEDED);
  }

  protected checkBinaryTotal(total: number): void {
    if (total > this.limits.maxBinaryLength) fail(`binary of more than ${this.limits.maxBinaryLength} bytes exceeds the limit`, ErrorCodes.ERR_LIMIT_EXCEEDED);
  }

  /** Reads `n` UTF-16 units encoded one by one as 1-3 bytes (4-byte sequences are accepted and count as 2 units). */
  protected utf16(n: number): string {
    if (n > this.limits.maxStringLength) this.checkStringTotal(n);
    if (n > this.end - this.pos) this.truncated();
    if ((this.budget -= COST_STRING + 2 * n) < 0) this.overBudget();
    const buf = this.buf;
    const start = this.pos;
    const asciiEnd = start + n;
    // Very short ASCII strings: build them in JS, no native call.
    if (n <= 10) {
      let s = "";
      let i = start;
      for (; i < asciiEnd; i++) {
        const c = buf[i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === asciiEnd) {
        this.pos = asciiEnd;
        return s;
      }
    } else {
      let i = start;
      // Four bytes a step while they are all ASCII, then byte by byte.
      const end4 = asciiEnd - 3;
      while (i < end4 && (buf[i]! | buf[i + 1]! | buf[i + 2]! | buf[i + 3]!) < 0x80) i += 4;
      while (i < asciiEnd && buf[i]! < 0x80) i++;
      if (i === asciiEnd) {
        this.pos = asciiEnd;
        return (buf as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, asciiEnd);
      }
    }
    // Longer usual non-ASCII text (1-3 byte sequences in their shortest form, no surrogate): checked here,
    // then decoded by the native UTF-8 decoder. Short text, and the forms this check leaves out (overlong
    // forms such as Java's C0 80, E0-led and surrogate or 4-byte sequences), are decoded by the loop below.
    if (n > SHORT_TEXT) {
      let p = start;
      let u = 0;
      const end = this.end;
      for (; u < n && p < end; u++) {
        const b = buf[p]!;
        if (b < 0x80) p++;
        else if (b >= 0xc2 && b <= 0xdf) {
          if (p + 1 >= end || (buf[p + 1]! & 0xc0) !== 0x80) break;
          p += 2;
        } else if (b >= 0xe1 && b <= 0xef && b !== 0xed) {
          if (p + 2 >= end || (buf[p + 1]! & 0xc0) !== 0x80 || (buf[p + 2]! & 0xc0) !== 0x80) break;
          p += 3;
        } else break;
      }
      if (u === n) {
        this.pos = p;
        return (buf as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, p);
      }
    }
    if (scratch.length < n * 2) scratch = Buffer.allocUnsafe(n * 2);
    const out = scratch;
    let p = start;
    let u = 0;
    const end = this.end;
    while (u < n) {
      if (p >= end) this.truncated();
      const b = buf[p++]!;
      let c: number;
      if (b < 0x80) c = b;
      else if ((b & 0xe0) === 0xc0) {
        if (p >= end) this.truncated();
        const b1 = buf[p++]!;
        if ((b1 & 0xc0) !== 0x80) fail(`bad utf-8 encoding at byte ${p - 1}`);
        c = ((b & 0x1f) << 6) | (b1 & 0x3f);
      } else if ((b & 0xf0) === 0xe0) {
        if (p + 1 >= end) this.truncated();
        const b1 = buf[p++]!;
        const b2 = buf[p++]!;
        if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80) fail(`bad utf-8 encoding at byte ${p - 2}`);
        c = ((b & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      } else if ((b & 0xf8) === 0xf0 && u + 1 < n) {
        if (p + 2 >= end) this.truncated();
        const b1 = buf[p++]!;
        const b2 = buf[p++]!;
        const b3 = buf[p++]!;
        if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80 || (b3 & 0xc0) !== 0x80) fail(`bad utf-8 encoding at byte ${p - 3}`);
        const cp = (((b & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f)) - 0x10000;
        if (cp < 0 || cp > 0xfffff) fail(`bad utf-8 encoding at byte ${p - 4}`);
        const hi = 0xd800 + (cp >> 10);
        out[u * 2] = hi & 0xff;
        out[u * 2 + 1] = hi >> 8;
        u++;
        c = 0xdc00 + (cp & 0x3ff);
      } else fail(`bad utf-8 encoding 0x${hex2(b)} at byte ${p - 1}`);
      out[u * 2] = c & 0xff;
      out[u * 2 + 1] = c >> 8;
      u++;
    }
    this.pos = p;
    return (out as Buffer & { ucs2Slice(start: number, end: number): string }).ucs2Slice(0, 2 * n);
  }

  protected bytes(n: number): Buffer {
    if (n > this.limits.maxBinaryLength) this.checkBinaryTotal(n);
    this.need(n);
    this.charge(COST_BINARY + n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  protected refAt(n: number): unknown {
    if (!Number.isInteger(n) || n < 0 || n >= this.refs.length) fail(`reference ${n} to an unknown container`);
    return this.refs[n];
  }

  /** A long that fits a safe integer. */
  protected longNum(v: number): unknown {
    if (!this.preserve) return v;
    this.charge(COST_CONTAINER);
    return new HessianLong(v);
  }

  /** An 8-byte long (`L`): a number when |v| <= 2^53, else a bigint. */
  protected long64(): unknown {
    if (!this.preserve) {
      const n = this.i64n();
      if (n === n) return n;
      this.pos -= 8;
    }
    return this.long(this.i64());
  }

  protected long(v: bigint): unknown {
    this.charge(COST_BOXED);
    if (this.preserve) {
      this.charge(COST_CONTAINER);
      return new HessianLong(v);
    }
    return v >= -9007199254740992n && v <= 9007199254740992n ? Number(v) : v;
  }

  protected dbl(v: number): unknown {
    if ((this.budget -= COST_BOXED) < 0) this.overBudget();
    if (this.preserve && (Number.isInteger(v) || Object.is(v, -0))) {
      this.charge(COST_CONTAINER);
      return new HessianDouble(v);
    }
    return v;
  }

  /** Starts a map-like container: a plain object (keys may turn it into a Map later). */
  protected readEntries(type: string | undefined, readKey: () => unknown, readVal: () => unknown, isEnd: () => boolean): unknown {
    const binding = type ? this.registry?.byName(type) : undefined;
    if (binding) return this.fillInstance(binding, type!, readKey, readVal, isEnd);
    this.charge(type ? COST_CONTAINER + COST_TYPED : COST_CONTAINER);
    const idx = this.refs.length;
    let obj: Record<string, unknown> | undefined = this.mapsAsMap ? undefined : {};
    let map: Map<unknown, unknown> | undefined = obj ? undefined : new Map();
    this.refs.push(obj ?? map);
    if (type) markHidden((obj ?? map)!, HESSIAN_TYPE, type);
    let count = 0;
    while (!isEnd()) {
      if (++count > this.limits.maxCollectionLength) fail(`map of more than ${this.limits.maxCollectionLength} entries exceeds the limit`, ErrorCodes.ERR_LIMIT_EXCEEDED);
      this.charge(COST_ENTRY);
      const k = readKey();
      const v = readVal();
      if (obj && typeof k === "string") setField(obj, k, v);
      else {
        if (!map) {
          map = new Map(Object.entries(obj!));
          if (type) markHidden(map, HESSIAN_TYPE, type);
          obj = undefined;
          this.refs[idx] = map;
        }
        map.set(k, v);
      }
    }
    return obj ?? map;
  }

  /** A Hessian 1.0 typed map whose type is a registered class. */
  private fillInstance(binding: ClassBinding, _type: string, readKey: () => unknown, readVal: () => unknown, isEnd: () => boolean): unknown {
    this.charge(COST_CONTAINER);
    const inst = binding.create() as Record<string, unknown>;
    this.refs.push(inst);
    const allowed = binding.fields ? new Set(binding.fields) : undefined;
    while (!isEnd()) {
      this.charge(COST_ENTRY);
      const k = readKey();
      const v = readVal();
      if (typeof k === "string" && (!allowed || allowed.has(k))) setField(inst, k, v);
    }
    return inst;
  }

  /** Turns Caucho helper objects into plain JS values (unless types are preserved). */
  protected simplify(name: string, obj: Record<string, unknown>): unknown {
    if (this.preserve) return obj;
    if (HANDLE_CLASSES.has(name) && "_value" in obj) return obj["_value"];
    if (SQL_DATE_CLASSES.has(name) && obj["value"] instanceof Date) return obj["value"];
    return obj;
  }
}

/** Hessian 2.0 decoder. */
export class Hessian2Decoder extends ByteReader {
  private classDefs: ClassDef[] = [];
  private types: string[] = [];

  protected item(): unknown {
    const code = this.u8();
    return this.readWith(code);
  }

  /** Reads a value whose first byte has already been consumed. */
  readWith(code: number): unknown {
    switch (KIND[code]) {
      case K_INT1:
        return code - 0x90;
      case K_STR0:
        return this.utf16(code);
      case K_INT2:
        return ((code - 0xc8) << 8) + this.u8();
      case K_INT3:
        return ((code - 0xd4) << 16) + this.u16();
      case K_STR1:
        return this.utf16(((code - 0x30) << 8) + this.u8());
      case K_OBJ:
        return this.readInstance(code - 0x60);
      case K_LIST_U:
        return this.readFixedList(code - 0x78, undefined);
      case K_LIST_T:
        return this.readFixedList(code - 0x70, this.readType());
      case K_LONG1:
        return this.longNum(code - 0xe0);
      case K_LONG2:
        return this.longNum(((code - 0xf8) << 8) + this.u8());
      case K_BIN0:
        return Buffer.from(this.bytes(code - 0x20));
      case K_BIN1:
        return Buffer.from(this.bytes(((code - 0x34) << 8) + this.u8()));
      case K_LONG3:
        return this.longNum(((code - 0x3c) << 16) + this.u16());
      case 0x4e:
        return null;
      case 0x54:
        return true;
      case 0x46:
        return false;
      case 0x49:
        return this.i32();
      case 0x59:
        return this.longNum(this.i32());
      case 0x4c:
        return this.long64();
      case 0x5b:
        return this.dbl(0);
      case 0x5c:
        return this.dbl(1);
      case 0x5d:
        return this.dbl((this.u8() << 24) >> 24);
      case 0x5e:
        return this.dbl((this.u16() << 16) >> 16);
      case 0x5f:
        return this.dbl(0.001 * this.i32());
      case 0x44:
        return this.dbl(this.f64());
      case 0x4a:
        return this.date(this.i64n());
      case 0x4b:
        return this.date(this.i32() * 60000);
      case 0x52:
      case 0x53:
        return this.readChunkedString(code);
      case 0x41:
      case 0x42:
        return this.readChunkedBinary(code);
      case 0x58: {
        const n = this.readInt();
        return this.readFixedList(n, undefined);
      }
      case 0x56: {
        const type = this.readType();
        const n = this.readInt();
        return this.readFixedList(n, type);
      }
      case 0x57:
        return this.readVarList(undefined);
      case 0x55:
        return this.readVarList(this.readType());
      case 0x48:
        return this.readMap(undefined);
      case 0x4d:
        return this.readMap(this.readType());
      case 0x43: {
        // Definitions may follow one another; loop rather than recurse.
        let next: number;
        do {
          this.readClassDef();
          next = this.u8();
        } while (next === 0x43);
        return this.readWith(next);
      }
      case 0x4f:
        return this.readInstance(this.readInt());
      case 0x51:
        return this.refAt(this.readInt());
      default:
        return fail(`unexpected Hessian 2 code 0x${hex2(code)} at byte ${this.pos - 1}`);
    }
  }

  private date(ms: number): Date {
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) fail(`date ${ms} ms is out of range`);
    this.charge(COST_DATE);
    return new Date(ms);
  }

  /** Reads an int (any int form; also accepts long forms that fit). */
  readInt(): number {
    const code = this.u8();
    if (code >= 0x80 && code <= 0xbf) return code - 0x90;
    if (code >= 0xc0 && code <= 0xcf) return ((code - 0xc8) << 8) + this.u8();
    if (code >= 0xd0 && code <= 0xd7) return ((code - 0xd4) << 16) + this.u16();
    if (code === 0x49 || code === 0x59) return this.i32();
    if (code >= 0xd8 && code <= 0xef) return code - 0xe0;
    if (code >= 0xf0) return ((code - 0xf8) << 8) + this.u8();
    if (code >= 0x38 && code <= 0x3f) return ((code - 0x3c) << 16) + this.u16();
    if (code === 0x4c) {
      const v = this.i64();
      if (v >= -2147483648n && v <= 2147483647n) return Number(v);
    }
    return fail(`expected an int at byte ${this.pos - 1}, found code 0x${hex2(code)}`);
  }

  /** Reads a string value (any string form). */
  readString(): string {
    const code = this.u8();
    if (code <= 0x1f) return this.utf16(code);
    if (code >= 0x30 && code <= 0x33) return this.utf16(((code - 0x30) << 8) + this.u8());
    if (code === 0x52 || code === 0x53) return this.readChunkedString(code);
    return fail(`expected a string at byte ${this.pos - 1}, found code 0x${hex2(code)}`);
  }

  private readChunkedString(first: number): string {
    let code = first;
    const parts: string[] = [];
    let total = 0;
    for (;;) {
      let n: number;
      let last: boolean;
      if (code === 0x52 || code === 0x53) {
        n = this.u16();
        last = code === 0x53;
      } else if (code <= 0x1f) {
        n = code;
        last = true;
      } else if (code >= 0x30 && code <= 0x33) {
        n = ((code - 0x30) << 8) + this.u8();
        last = true;
      } else return fail(`expected a string chunk at byte ${this.pos - 1}, found code 0x${hex2(code)}`);
      total += n;
      this.checkStringTotal(total);
      parts.push(this.utf16(n));
      if (last) break;
      code = this.u8();
    }
    if (parts.length === 1) return parts[0]!;
    this.charge(COST_STRING + 2 * total);
    return parts.join("");
  }

  private readChunkedBinary(first: number): Buffer {
    let code = first;
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      let n: number;
      let last: boolean;
      if (code === 0x41 || code === 0x42) {
        n = this.u16();
        last = code === 0x42;
      } else if (code >= 0x20 && code <= 0x2f) {
        n = code - 0x20;
        last = true;
      } else if (code >= 0x34 && code <= 0x37) {
        n = ((code - 0x34) << 8) + this.u8();
        last = true;
      } else return fail(`expected a binary chunk at byte ${this.pos - 1}, found code 0x${hex2(code)}`);
      total += n;
      this.checkBinaryTotal(total);
      parts.push(this.bytes(n));
      if (last) break;
      code = this.u8();
    }
    return Buffer.concat(parts, total);
  }

  private readType(): string {
    const code = this.peek();
    if (code <= 0x1f || (code >= 0x30 && code <= 0x33) || code === 0x52 || code === 0x53) {
      const t = this.readString();
      if (this.types.length >= this.limits.maxClassDefinitions * 4) fail("too many type names in one message", ErrorCodes.ERR_LIMIT_EXCEEDED);
      this.types.push(t);
      return t;
    }
    const idx = this.readInt();
    const t = this.types[idx];
    if (t === undefined) fail(`reference to unknown type #${idx}`);
    return t;
  }

  private readFixedList(n: number, type: string | undefined): unknown[] {
    this.checkCollection(n);
    if ((this.budget -= COST_CONTAINER + COST_SLOT * n + (type === undefined ? 0 : COST_TYPED)) < 0) this.overBudget();
    this.enter();
    const arr: unknown[] = new Array(n);
    if (type !== undefined) markHidden(arr, HESSIAN_TYPE, type);
    this.refs.push(arr);
    for (let i = 0; i < n; i++) arr[i] = this.item();
    this.depth--;
    return arr;
  }

  private readVarList(type: string | undefined): unknown[] {
    this.enter();
    this.charge(type === undefined ? COST_CONTAINER : COST_CONTAINER + COST_TYPED);
    const arr: unknown[] = [];
    if (type !== undefined) markHidden(arr, HESSIAN_TYPE, type);
    this.refs.push(arr);
    for (;;) {
      const code = this.u8();
      if (code === 0x5a) break;
      if (arr.length >= this.limits.maxCollectionLength) fail(`list of more than ${this.limits.maxCollectionLength} items exceeds the limit`, ErrorCodes.ERR_LIMIT_EXCEEDED);
      this.charge(COST_SLOT);
      arr.push(this.readWith(code));
    }
    this.depth--;
    return arr;
  }

  private readMap(type: string | undefined): unknown {
    this.enter();
    const isEnd = (): boolean => {
      if (this.peek() === 0x5a) {
        this.pos++;
        return true;
      }
      return false;
    };
    const read = (): unknown => this.item();
    const m = this.readEntries(type, read, read, isEnd);
    this.depth--;
    return m;
  }

  /** A hash of the raw bytes of the compact string (class name) at `p`, or -1 when it is not a compact string. */
  private nameHash(p: number): number {
    const buf = this.buf;
    if (p >= this.end) return -1;
    const code = buf[p]!;
    let n: number;
    if (code <= 0x1f) {
      n = code;
      p++;
    } else if (code >= 0x30 && code <= 0x33 && p + 1 < this.end) {
      n = ((code - 0x30) << 8) + buf[p + 1]!;
      p += 2;
    } else return -1;
    // n units take at least n bytes; hash the first n bytes (FNV-1a style, 4 bytes a step).
    const stop = p + n;
    if (stop > this.end) return -1;
    let h = 0x811c9dc5 ^ n;
    let i = p;
    for (const stop4 = stop - 3; i < stop4; i += 4) h = Math.imul(h ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)), 0x01000193);
    for (; i < stop; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    // 31 bits: a small integer, which a Map hashes faster than a heap number.
    return h >>> 1;
  }

  private readClassDef(): void {
    if (this.classDefs.length >= this.limits.maxClassDefinitions) fail(`more than ${this.limits.maxClassDefinitions} class definitions`, ErrorCodes.ERR_LIMIT_EXCEEDED);
    const defStart = this.pos;
    const hash = this.nameHash(defStart);
    const cached = hash >= 0 ? defCache.get(hash) : undefined;
    if (cached !== undefined) {
      const buf = this.buf;
      for (let c = 0; c < cached.length; c++) {
        const d = cached[c]!;
        const bytes = d.bytes;
        const n = bytes.length;
        if (n > this.end - defStart) continue;
        if (sameBytes(buf, defStart, bytes, d.words, n) && d.fields.length <= this.limits.maxFields && d.longest <= this.limits.maxStringLength) {
          this.charge(COST_CLASS_DEF);
          this.pos = defStart + n;
          const binding = this.registry?.byName(d.name);
          this.classDefs.push(
            binding === undefined ? d.unbound : { name: d.name, fields: d.fields, special: d.special, hasProto: d.hasProto, binding, allowed: allowedOf(binding), marker: d.marker },
          );
          return;
        }
      }
    }
    const name = this.readString();
    const n = this.readInt();
    if (n < 0 || n > this.limits.maxFields) fail(`class definition with ${n} fields (limit ${this.limits.maxFields})`, ErrorCodes.ERR_LIMIT_EXCEEDED);
    if (n > this.remaining) this.truncated();
    this.charge(COST_CLASS_DEF + COST_SLOT * n);
    const fields: string[] = [];
    let hasProto = false;
    let longest = name.length;
    for (let i = 0; i < n; i++) {
      const f = this.readString();
      if (f === "__proto__") hasProto = true;
      if (f.length > longest) longest = f.length;
      fields.push(f);
    }
    const special = HANDLE_CLASSES.has(name) || SQL_DATE_CLASSES.has(name);
    const binding = this.registry?.byName(name);
    Object.freeze(fields);
    const marker = markerOf(name);
    const def: ClassDef = { name, fields, special, hasProto, binding, allowed: allowedOf(binding), marker };
    this.classDefs.push(def);
    if (hash >= 0 && this.pos - defStart <= 4096) {
      if (defCacheCount >= DEF_CACHE_SIZE) {
        defCache.clear();
        defCacheCount = 0;
      }
      const unbound: ClassDef = binding === undefined ? def : { name, fields, special, hasProto, binding: undefined, allowed: undefined, marker };
      const bytes = Buffer.from(this.buf.subarray(defStart, this.pos));
      const entry: CachedDef = { name, fields, special, hasProto, marker, longest, bytes, words: bytes.length <= SAME_BYTES_JS ? wordsOf(bytes) : NO_WORDS, unbound };
      const list = defCache.get(hash);
      if (list === undefined) defCache.set(hash, [entry]);
      else list.push(entry);
      defCacheCount++;
    }
  }

  private readInstance(idx: number): unknown {
    const def = this.classDefs[idx];
    if (!def) return fail(`object refers to unknown class definition #${idx}`);
    this.enter();
    const fields = def.fields;
    const n = fields.length;
    if ((this.budget -= COST_OBJECT + COST_FIELD * n) < 0) this.overBudget();
    let result: unknown;
    if (def.binding) {
      const inst = def.binding.create() as Record<string, unknown>;
      this.refs.push(inst);
      const allowed = def.allowed;
      for (let i = 0; i < n; i++) {
        const f = fields[i]!;
        const v = this.item();
        if (!allowed || allowed.has(f)) setField(inst, f, v);
      }
      result = inst;
    } else {
      const refIdx = this.refs.length;
      const obj: Record<string, unknown> = {};
      this.refs.push(obj);
      if (def.hasProto) for (let i = 0; i < n; i++) setField(obj, fields[i]!, this.item());
      else for (let i = 0; i < n; i++) obj[fields[i]!] = this.item();
      // The marker last: the fields get the fast shapes of plain objects first.
      Object.defineProperty(obj, HESSIAN_CLASS, def.marker);
      result = def.special ? this.simplify(def.name, obj) : obj;
      if (result !== obj) this.refs[refIdx] = result;
    }
    this.depth--;
    return result;
  }
}

/** Hessian 1.0 decoder (the arguments of `c 01 00` and `c 02 00` calls, and `r 01 00` replies). */
export class Hessian1Decoder extends ByteReader {
  protected item(): unknown {
    return this.readWith(this.u8());
  }

  readWith(code: number): unknown {
    switch (code) {
      case 0x4e:
        return null;
      case 0x54:
        return true;
      case 0x46:
        return false;
      case 0x49:
        return this.i32();
      case 0x4c:
        return this.long(this.i64());
      case 0x44:
        return this.dbl(this.f64());
      case 0x64: {
        const ms = Number(this.i64());
        if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) fail(`date ${ms} ms is out of range`);
        this.charge(COST_DATE);
        return new Date(ms);
      }
      case 0x53:
      case 0x73:
      case 0x58:
      case 0x78:
        return this.readChunkedString(code);
      case 0x42:
      case 0x62:
        return this.readChunkedBinary(code);
      case 0x56:
        return this.readList();
      case 0x4d:
        return this.readMap();
      case 0x52:
        return this.refAt(this.i32());
      default:
        return fail(`unexpected Hessian 1 code 0x${hex2(code)} at byte ${this.pos - 1}`);
    }
  }

  /** Reads a string value (`S`/`s` chunks). */
  readString(): string {
    const code = this.u8();
    if (code === 0x53 || code === 0x73 || code === 0x58 || code === 0x78) return this.readChunkedString(code);
    return fail(`expected a string at byte ${this.pos - 1}, found code 0x${hex2(code)}`);
  }

  /** A 16-bit length then that many UTF-16 units (method names, types). */
  readBareString(): string {
    return this.utf16(this.u16());
  }

  private readChunkedString(first: number): string {
    let code = first;
    const parts: string[] = [];
    let total = 0;
    for (;;) {
      const n = this.u16();
      total += n;
      this.checkStringTotal(total);
      parts.push(this.utf16(n));
      if (code === 0x53 || code === 0x58) break;
      code = this.u8();
      if (code !== 0x53 && code !== 0x73 && code !== 0x58 && code !== 0x78) fail(`expected a string chunk at byte ${this.pos - 1}`);
    }
    if (parts.length === 1) return parts[0]!;
    this.charge(COST_STRING + 2 * total);
    return parts.join("");
  }

  private readChunkedBinary(first: number): Buffer {
    let code = first;
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = this.u16();
      total += n;
      this.checkBinaryTotal(total);
      parts.push(this.bytes(n));
      if (code === 0x42) break;
      code = this.u8();
      if (code !== 0x42 && code !== 0x62) fail(`expected a binary chunk at byte ${this.pos - 1}`);
    }
    return Buffer.concat(parts, total);
  }

  private readOptType(): string | undefined {
    if (this.pos < this.end && this.buf[this.pos] === 0x74) {
      this.pos++;
      return this.readBareString();
    }
    return undefined;
  }

  private readList(): unknown[] {
    this.enter();
    const type = this.readOptType();
    let n = -1;
    if (this.pos < this.end && this.buf[this.pos] === 0x6c) {
      this.pos++;
      n = this.i32();
      this.checkCollection(n);
    }
    this.charge(type ? COST_CONTAINER + COST_TYPED : COST_CONTAINER);
    const arr: unknown[] = [];
    if (type) markHidden(arr, HESSIAN_TYPE, type);
    this.refs.push(arr);
    for (;;) {
      const code = this.u8();
      if (code === 0x7a) break;
      if (arr.length >= this.limits.maxCollectionLength) fail(`list of more than ${this.limits.maxCollectionLength} items exceeds the limit`, ErrorCodes.ERR_LIMIT_EXCEEDED);
      this.charge(COST_SLOT);
      arr.push(this.readWith(code));
    }
    this.depth--;
    return arr;
  }

  private readMap(): unknown {
    this.enter();
    const type = this.readOptType() || undefined;
    const isEnd = (): boolean => {
      if (this.peek() === 0x7a) {
        this.pos++;
        return true;
      }
      return false;
    };
    const read = (): unknown => this.item();
    let result: unknown;
    if (type && !this.registry?.byName(type) && !looksLikeMapType(type)) {
      // A JavaBean: a typed map of field name -> value.
      this.charge(COST_CONTAINER + COST_TYPED);
      const obj: Record<string, unknown> = {};
      markHidden(obj, HESSIAN_CLASS, type);
      const refIdx = this.refs.length;
      this.refs.push(obj);
      while (!isEnd()) {
        this.charge(COST_ENTRY);
        const k = this.item();
        const v = this.item();
        if (typeof k !== "string") fail(`field name of '${type}' is not a string`);
        setField(obj, k, v);
      }
      result = this.simplify(type, obj);
      if (result !== obj) this.refs[refIdx] = result;
    } else result = this.readEntries(type, read, read, isEnd);
    this.depth--;
    return result;
  }
}

/** Hessian 1.0 map types that are maps, not beans: java.util.* and any name ending in "Map". */
function looksLikeMapType(type: string): boolean {
  return type.startsWith("java.util.") || type.endsWith("Map") || type.endsWith("Hashtable") || type.endsWith("Properties");
}

/** Decodes one Hessian 2.0 value; the whole buffer must be consumed. */
export function decode(buf: Uint8Array, options?: DecodeOptions): unknown {
  const d = new Hessian2Decoder(buf, options);
  const v = d.read();
  if (!d.atEnd) fail(`${d.remaining} unexpected bytes after the Hessian value`);
  return v;
}

/** Decodes one Hessian 1.0 value; the whole buffer must be consumed. */
export function decodeV1(buf: Uint8Array, options?: DecodeOptions): unknown {
  const d = new Hessian1Decoder(buf, options);
  const v = d.read();
  if (!d.atEnd) fail(`${d.remaining} unexpected bytes after the Hessian value`);
  return v;
}
