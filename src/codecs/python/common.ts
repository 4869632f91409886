/**
 * Shared pieces of the Pyro4 serializers: options and limits, errors, the
 * JS <-> Python value model helpers used by every codec.
 */
import { isAscii, isUtf8, transcode } from "node:buffer";
import { ErrorCodes, RemotingError, SerializationError } from "../../core/errors.js";
import { fastPathHits } from "../../core/fast-paths.js";
import { canLend, lend, payloadBuffer } from "../../core/frame-arena.js";
import { Complex, Decimal, Float, tuple } from "../../core/values.js";
import { PyroURIValue } from "./uri-value.js";

/** Limits applied while reading (and, for depth, while writing) one message. */
export interface SerializerLimits {
  /** Deepest nesting of containers (list, tuple, dict, set). Default 200, as serpent itself allows. */
  maxDepth?: number;
  /** Most values (container elements and dict entries, counted over the whole message). Default 1,000,000. */
  maxItems?: number;
  /** Longest str or bytes value, in characters or bytes. Default 67,108,864 (64 Mi). */
  maxStringLength?: number;
  /**
   * The decoded-size budget: what one message decodes to (its estimated memory,
   * marshal back-references counted at their full size every time) may be at
   * most this many times the size of the data, plus 1 MiB. Default 32.
   */
  maxExpansion?: number;
  /** Writers refuse to produce more than this many bytes (ERR_MESSAGE_TOO_LARGE). Default 64 MiB; Infinity: no limit. */
  maxEncodedSize?: number;
}

/** Limits plus the codec switches. */
export interface SerializerOptions extends SerializerLimits {
  /** Most decimal digits of an integer literal (Python's own limit is 4300). Default 4300. */
  maxIntDigits?: number;
  /**
   * Turn serpent's bytes dicts (`{'data': <base64>, 'encoding': 'base64'}`) back into a Buffer while
   * reading. Python's Pyro4 never does this (it hands the dict to the program), so the default is false.
   */
  bytesAsBuffer?: boolean;
  /**
   * Read values so that writing them back gives the Python type they had: a
   * whole float (`2.0`, which would be the number 2 and go back as an int) as
   * a core `Float`; in serpent, the bytes dict as a Buffer (as
   * `bytesAsBuffer`), and Buffers written as `b'...'` literals, which Python
   * reads as bytes. Tuples (frozen arrays) and sets keep their type without
   * it. Default false: JS services get plain numbers.
   */
  preserveTypes?: boolean;
}

export interface ResolvedOptions {
  readonly maxDepth: number;
  readonly maxItems: number;
  readonly maxStringLength: number;
  readonly maxExpansion: number;
  readonly maxEncodedSize: number;
  readonly maxIntDigits: number;
  readonly bytesAsBuffer: boolean;
  readonly preserveTypes: boolean;
}

export const DEFAULT_LIMITS: Readonly<Required<SerializerLimits> & { maxIntDigits: number }> = Object.freeze({
  maxDepth: 200,
  maxItems: 1_000_000,
  maxStringLength: 64 * 1024 * 1024,
  maxExpansion: 32,
  maxEncodedSize: 64 * 1024 * 1024,
  maxIntDigits: 4300,
});

/** What every message may decode to on top of `maxExpansion` times its size. */
export const DECODE_ALLOWANCE = 1024 * 1024;

/**
 * The decoded-size cost model: estimated bytes of memory a decoded value
 * takes in V8 (64-bit), rounded up. A message's total is checked against
 * `maxExpansion` × its size + DECODE_ALLOWANCE as it is read; a marshal
 * back-reference costs what the value it points to cost (it would be written
 * out in full again).
 */
export const COST = Object.freeze({
  /** One element of a list or tuple (a pointer). */
  slot: 8,
  /** A list or tuple (array object and its backing store's header). */
  array: 48,
  /** A dict as a plain object, or an empty one. */
  object: 64,
  /** One dict entry or set element beyond the slot: a property or hash-table entry, and the decoder's key and value lists. */
  entry: 40,
  /** What a dict read as a Map, or a set, costs on top of `object` (its hash table). */
  hashTable: 112,
  /** A string, on top of its characters. */
  string: 24,
  /** A float, a big int or any other boxed number. */
  number: 16,
  /** A complex number, a bytes value's Buffer, a URI. */
  boxed: 96,
  /** A Float (preserveTypes) with its number. */
  float: 48,
});

function positiveInt(name: string, v: unknown, dflt: number, infinityOk = false): number {
  if (v === undefined) return dflt;
  if (infinityOk && v === Infinity) return v;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new RemotingError(`serializer option ${name} must be a positive integer, got ${String(v)}`, ErrorCodes.ERR_INVALID_ARGUMENT);
  }
  return v;
}

export function resolveOptions(o: SerializerOptions | undefined): ResolvedOptions {
  return Object.freeze({
    maxDepth: positiveInt("maxDepth", o?.maxDepth, DEFAULT_LIMITS.maxDepth),
    maxItems: positiveInt("maxItems", o?.maxItems, DEFAULT_LIMITS.maxItems),
    maxStringLength: positiveInt("maxStringLength", o?.maxStringLength, DEFAULT_LIMITS.maxStringLength),
    maxExpansion: positiveInt("maxExpansion", o?.maxExpansion, DEFAULT_LIMITS.maxExpansion),
    maxEncodedSize: positiveInt("maxEncodedSize", o?.maxEncodedSize, DEFAULT_LIMITS.maxEncodedSize, true),
    maxIntDigits: positiveInt("maxIntDigits", o?.maxIntDigits, DEFAULT_LIMITS.maxIntDigits),
    bytesAsBuffer: o?.bytesAsBuffer === true,
    preserveTypes: o?.preserveTypes === true,
  });
}

export function serError(message: string, cause?: unknown): SerializationError {
  return new SerializationError(message, cause === undefined ? undefined : { cause });
}

export function limitError(message: string): SerializationError {
  return new SerializationError(message, undefined, ErrorCodes.ERR_LIMIT_EXCEEDED);
}

/** What a writer throws when its output would pass `maxEncodedSize`. */
export function tooLargeError(size: number, limit: number): SerializationError {
  return new SerializationError(`encoded data of more than ${size > limit ? size : limit} bytes exceeds the limit of ${limit} bytes`, undefined, ErrorCodes.ERR_MESSAGE_TOO_LARGE);
}

/** The decoded-size budget of a message of `size` bytes. */
export function decodeBudget(size: number, opts: ResolvedOptions): number {
  return opts.maxExpansion * size + DECODE_ALLOWANCE;
}

export function budgetError(size: number, opts: ResolvedOptions): SerializationError {
  return limitError(`data of ${size} bytes decodes to more than ${opts.maxExpansion} times its size (the decoded-size budget, maxExpansion)`);
}

type FastBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  utf8Write(text: string, offset: number, length: number): number;
};

/** Text at least this long that is not ASCII is decoded through UTF-16 (ICU's converter), about 3x V8's UTF-8 decoder. */
const TRANSCODE_MIN = 256;

/**
 * Strict UTF-8 decoding (a byte-order mark is kept as U+FEFF); bad bytes are
 * a SerializationError. The bytes are checked once (simdutf): ASCII becomes a
 * one-byte string directly, longer non-ASCII text goes through UTF-16.
 */
export function decodeUtf8(data: Uint8Array, what: string): string {
  const b = (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)) as FastBuffer;
  const n = b.length;
  if (isAscii(b)) {
    fastPathHits["utf8.decode.ascii"]++;
    return b.latin1Slice(0, n);
  }
  if (!isUtf8(b)) throw serError(`${what} data is not valid UTF-8`);
  if (n >= TRANSCODE_MIN && typeof transcode === "function") {
    fastPathHits["utf8.decode.transcode"]++;
    const u16 = transcode(b, "utf8", "utf16le") as FastBuffer;
    return u16.ucs2Slice(0, u16.length);
  }
  return b.utf8Slice(0, n);
}

/** Text at least this long is written by Buffer's own UTF-8 writer into a Buffer of its exact size (Buffer.from takes about 3x as long). */
const DIRECT_ENCODE_MIN = 512;

/**
 * Text of up to SCRATCH_UNITS code units (at most 3 bytes each) is written into
 * this one reused buffer first and copied out at its exact size: one pass over
 * the text instead of two (Buffer.byteLength, then the write), for the cost of a
 * memory copy. Longer text is measured first, so no large temporary is made.
 */
const SCRATCH_UNITS = 21_845;
let scratch: FastBuffer | undefined;

/**
 * The text as UTF-8 (a lone surrogate becomes U+FFFD, as Buffer.from writes
 * it), after `head` bytes left unwritten for the caller (a frame's header: the
 * payload is then written where the frame wants it, in one Buffer).
 */
export function encodeUtf8(text: string, head = 0): Buffer {
  const units = text.length;
  if (units < DIRECT_ENCODE_MIN) {
    if (head === 0) return Buffer.from(text, "utf8");
    const n = Buffer.byteLength(text, "utf8");
    const b = payloadBuffer(head, n) as FastBuffer;
    b.utf8Write(text, head, n);
    return b;
  }
  fastPathHits["utf8.encode.direct"]++;
  if (head > 0 && canLend(head + 3 * units)) {
    // a frame's payload, written straight into the transport's arena
    const b = lend(head + 3 * units) as FastBuffer;
    return b.subarray(0, head + b.utf8Write(text, head, 3 * units));
  }
  if (units <= SCRATCH_UNITS) {
    const s = (scratch ??= Buffer.allocUnsafeSlow(3 * SCRATCH_UNITS) as FastBuffer);
    const n = s.utf8Write(text, 0, s.length);
    const b = payloadBuffer(head, n);
    s.copy(b, head, 0, n);
    return b;
  }
  const n = Buffer.byteLength(text, "utf8");
  const b = payloadBuffer(head, n) as FastBuffer;
  b.utf8Write(text, head, n);
  return b;
}

/** Latin-1 text of b[start, end) (Buffer's own slice method: no argument checks, no new Buffer). */
export function latin1Of(b: Buffer, start: number, end: number): string {
  return (b as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);
}

/** Whether a call's keyword arguments are none: null, undefined or a plain object without own keys. */
export function isEmptyDict(kwargs: Record<string, unknown> | null | undefined): boolean {
  if (kwargs === null || kwargs === undefined) return true;
  if (Object.getPrototypeOf(kwargs) !== Object.prototype) return false;
  for (const k in kwargs) if (Object.prototype.hasOwnProperty.call(kwargs, k)) return false;
  return true;
}

/** The keyword arguments of a call that has none (shared, frozen). */
export const NO_KWARGS: Record<string, unknown> = Object.freeze({});

export function asUint8Array(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw serError(`cannot deserialize a ${typeof data}: bytes expected`);
}

// ---------------------------------------------------------------- numbers

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/** A Python int as JS: a number when it is a safe integer, else a bigint. */
export function normalizeInt(b: bigint): number | bigint {
  return b >= MIN_SAFE && b <= MAX_SAFE ? Number(b) : b;
}

/** True when a JS number should travel as a Python int. */
export function isPyInt(n: number): boolean {
  return Number.isSafeInteger(n) && !Object.is(n, -0);
}

// ---------------------------------------------------------------- dicts

/** Sets an own data property, also for the key `__proto__`. */
export function setProp(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

const FLOAT_WORDS = new Map<string, number>([
  ["nan", NaN],
  ["+nan", NaN],
  ["-nan", NaN],
  ["inf", Infinity],
  ["+inf", Infinity],
  ["infinity", Infinity],
  ["+infinity", Infinity],
  ["-inf", -Infinity],
  ["-infinity", -Infinity],
]);

/**
 * Builds the JS value of a decoded dict: a plain object when every key is a
 * string, else a Map. Then applies the few class dicts Pyro4 itself turns into
 * values: the serpent float dict (only when `floatDict`), `Pyro4.core.URI`,
 * and (opt-in) serpent's bytes dict. Nothing else is ever instantiated.
 */
export function buildDict(keys: unknown[], values: unknown[], opts: ResolvedOptions, floatDict: boolean, hashing?: HashBudget): unknown {
  let allStr = true;
  for (const k of keys) {
    if (typeof k !== "string") {
      allStr = false;
      break;
    }
  }
  if (!allStr) {
    const m = new Map<unknown, unknown>();
    if (hashing === undefined || keys.length <= HashBudget.UNTIMED) for (let i = 0; i < keys.length; i++) m.set(keys[i], values[i]);
    else hashing.fill(keys.length, (i) => m.set(keys[i], values[i]));
    return m;
  }
  const obj: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) setProp(obj, keys[i] as string, values[i]);
  if (Object.prototype.hasOwnProperty.call(obj, "__class__")) return mapClassDict(obj, floatDict);
  // serpent's bytes dict: with bytesAsBuffer, or preserveTypes in serpent (floatDict), as a Buffer
  if ((opts.bytesAsBuffer || (floatDict && opts.preserveTypes)) && keys.length === 2) {
    const data = obj["data"];
    if (typeof data === "string" && obj["encoding"] === "base64") return Buffer.from(data, "base64");
  }
  return obj;
}

/** A set of the items, built within the message's hashing budget. */
export function buildSet(items: unknown[], hashing: HashBudget | undefined): Set<unknown> {
  const set = new Set<unknown>();
  if (hashing === undefined || items.length <= HashBudget.UNTIMED) for (const x of items) set.add(x);
  else hashing.fill(items.length, (i) => set.add(items[i]));
  return set;
}

/**
 * The time one message may spend filling hash tables (the Maps of dicts with
 * other than string keys, and Sets). V8 hashes numbers and big ints without a
 * secret seed (a big int by its lowest 64 bits only), so keys can be crafted
 * to collide, and each insertion then walks all the earlier ones: 40,000 such
 * keys take seconds. Insertions into tables of more than UNTIMED entries are
 * timed in chunks; a message whose insertions took more than 20 ms plus 2 µs
 * per insertion (real data takes well under 0.5 µs) is refused with
 * ERR_LIMIT_EXCEEDED. Collisions below that rate cost about what parsing the
 * same bytes costs anyway.
 */
export class HashBudget {
  /** Tables this small are filled without looking at the clock. */
  static readonly UNTIMED = 64;
  private static readonly CHUNK = 256;
  private inserts = 0;
  private spentMs = 0;

  fill(n: number, insert: (i: number) => void): void {
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + HashBudget.CHUNK);
      this.inserts += end - i;
      const t0 = performance.now();
      for (; i < end; i++) insert(i);
      this.spentMs += performance.now() - t0;
      if (this.spentMs > 20 + 0.002 * this.inserts) {
        throw limitError(`dict keys or set elements collide in the hash table (${this.inserts} insertions took ${Math.round(this.spentMs)} ms): refused as hash flooding`);
      }
    }
  }
}

function mapClassDict(obj: Record<string, unknown>, floatDict: boolean): unknown {
  const cls = obj["__class__"];
  if (floatDict && cls === "float" && typeof obj["value"] === "string") {
    const text = obj["value"].trim().toLowerCase();
    const word = FLOAT_WORDS.get(text);
    if (word !== undefined) return word;
    if (/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/.test(text)) return Number(text);
    return obj;
  }
  if (cls === "Pyro4.core.URI") return PyroURIValue.fromState(obj["state"]);
  return obj;
}

/** serpent.tobytes: a Buffer from bytes, or from serpent's `{data, encoding: "base64"}` dict. */
export function toBytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value !== null && typeof value === "object") {
    const rec = value as Record<string, unknown>;
    if (typeof rec["data"] === "string" && rec["encoding"] === "base64") return Buffer.from(rec["data"], "base64");
    if (value instanceof Map && typeof value.get("data") === "string" && value.get("encoding") === "base64") {
      return Buffer.from(value.get("data") as string, "base64");
    }
  }
  throw serError("value is neither bytes nor a serpent base64 bytes dict");
}

// ---------------------------------------------------------------- writing helpers

export function isTuple(v: unknown): v is readonly unknown[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

/** Bytes-like values: Buffer, Uint8Array, ArrayBuffer, DataView. */
export function bytesOf(v: object): Buffer | undefined {
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (v instanceof DataView) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return undefined;
}

export function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** The name written as `__class__` for an instance of a user class (bare JS class name). */
export function classNameOf(v: object): string {
  const ctor = (v as { constructor?: unknown }).constructor;
  const name = typeof ctor === "function" ? (ctor as { name?: unknown }).name : undefined;
  return typeof name === "string" && name !== "" ? name : "object";
}

/** Public own fields of a class instance: enumerable string keys not starting with `_`, functions left out. */
export function instanceEntries(v: object): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const k of Object.keys(v)) {
    if (k.startsWith("_")) continue;
    const val = (v as Record<string, unknown>)[k];
    if (typeof val === "function") continue;
    out.push([k, val]);
  }
  return out;
}

/** `datetime.isoformat()` of an aware UTC datetime, as serpent writes a datetime. */
export function pyIsoformat(d: Date): string {
  const t = d.getTime();
  if (Number.isNaN(t)) throw serError("cannot serialize an invalid Date");
  const iso = d.toISOString();
  const dot = iso.indexOf(".");
  const base = iso.slice(0, dot);
  const ms = d.getUTCMilliseconds();
  return `${base}${ms ? `.${String(ms).padStart(3, "0")}000` : ""}+00:00`;
}

/** Tracks the containers being written: cycles and excessive depth are SerializationErrors. */
export class WriteGuard {
  /** The containers being written, outermost first (a short array is searched faster than a Set is updated). */
  private readonly stack: object[] = [];
  /** The same containers as a Set while the stack is deeper than SCAN_DEPTH. */
  private deep: Set<object> | undefined;
  private static readonly SCAN_DEPTH = 32;
  constructor(private readonly maxDepth: number) {}
  enter(obj: object, depth: number): void {
    if (depth > this.maxDepth) throw limitError(`object nesting deeper than ${this.maxDepth} levels`);
    const st = this.stack;
    const n = st.length;
    if (n < WriteGuard.SCAN_DEPTH) {
      for (let i = 0; i < n; i++) if (st[i] === obj) throw cycleError();
    } else {
      this.deep ??= new Set(st);
      if (this.deep.has(obj)) throw cycleError();
      this.deep.add(obj);
    }
    st.push(obj);
  }
  leave(obj: object): void {
    const st = this.stack;
    const k = st.length - 1;
    if (st[k] === obj) st.pop();
    else {
      const at = st.lastIndexOf(obj);
      if (at < 0) return;
      st.splice(at, 1);
    }
    if (this.deep !== undefined) {
      this.deep.delete(obj);
      if (st.length < WriteGuard.SCAN_DEPTH) this.deep = undefined;
    }
  }
}

function cycleError(): SerializationError {
  return serError("cannot serialize a cyclic structure (a value contains itself)");
}

/** What a JS value is, from the point of view of the Python model. */
export type ValueKind =
  | "none"
  | "bool"
  | "number"
  | "bigint"
  | "string"
  | "bytes"
  | "complex"
  | "decimal"
  | "float"
  | "date"
  | "uri"
  | "tuple"
  | "list"
  | "typedlist"
  | "set"
  | "map"
  | "dict"
  | "error"
  | "boxed"
  | "instance"
  | "unsupported";

export function kindOf(v: unknown): ValueKind {
  switch (typeof v) {
    case "undefined":
      return "none";
    case "boolean":
      return "bool";
    case "number":
      return "number";
    case "bigint":
      return "bigint";
    case "string":
      return "string";
    case "object":
      break;
    default:
      return "unsupported";
  }
  if (v === null) return "none";
  if (Array.isArray(v)) return Object.isFrozen(v) ? "tuple" : "list";
  if (isPlainObject(v)) return "dict";
  if (v instanceof Uint8Array || v instanceof ArrayBuffer || v instanceof DataView) return "bytes";
  if (ArrayBuffer.isView(v)) return "typedlist";
  if (v instanceof Map) return "map";
  if (v instanceof Set) return "set";
  if (v instanceof Complex) return "complex";
  if (v instanceof Decimal) return "decimal";
  if (v instanceof Float) return "float";
  if (v instanceof Date) return "date";
  if (v instanceof PyroURIValue) return "uri";
  if (v instanceof Error) return "error";
  if (v instanceof Number || v instanceof String || v instanceof Boolean) return "boxed";
  return "instance";
}

export function typeName(v: unknown): string {
  if (typeof v === "function") return `function ${(v as { name?: string }).name || "(anonymous)"}`;
  if (typeof v === "object" && v !== null) return classNameOf(v);
  return typeof v;
}

export function unsupported(v: unknown): SerializationError {
  return serError(`cannot serialize a value of type ${typeName(v)}`);
}

/** A value used as a dict key or set element must be hashable in Python. */
export function checkHashable(v: unknown, bytesOk: boolean): void {
  const kind = kindOf(v);
  if (kind === "bytes" && !bytesOk) throw serError("bytes cannot be a dict key or set element in serpent (they travel as a dict)");
  if (kind === "number" && Number.isNaN(v) && !bytesOk) throw serError("NaN cannot be a dict key or set element in serpent (it travels as a dict)");
  if (kind === "float" && Number.isNaN((v as Float).value) && !bytesOk) throw serError("NaN cannot be a dict key or set element in serpent (it travels as a dict)");
  switch (kind) {
    case "none":
    case "bool":
    case "number":
    case "bigint":
    case "string":
    case "bytes":
    case "complex":
    case "decimal":
    case "float":
    case "date":
    case "boxed":
      return;
    case "tuple":
      for (const x of v as readonly unknown[]) checkHashable(x, bytesOk);
      return;
    default:
      throw serError(`a ${kind} value cannot be a dict key or set element (it is not hashable in Python)`);
  }
}

/** Items of a typed array (other than Uint8Array) as a plain array. */
export function typedItems(v: ArrayBufferView): unknown[] {
  return Array.from(v as unknown as ArrayLike<unknown>);
}

export { tuple };

/**
 * What the text parsers (serpent, json) share: the position in the text, the
 * item and depth limits, and errors that quote the text where they occur.
 */
export abstract class TextReader {
  protected i = 0;
  protected readonly n: number;
  private items = 0;
  /** The decoded-size cost so far (COST), and what it may reach. */
  private cost = 0;
  private readonly budget: number;
  protected readonly hashing = new HashBudget();
  /** The elements of the lists and tuples being read, one run per open container (each ends as an array of its exact size). */
  protected readonly stack: unknown[] = [];

  constructor(
    protected readonly s: string,
    protected readonly opts: ResolvedOptions,
    private readonly format: string,
    /** Size of the data the text was decoded from, in bytes. */
    private readonly size: number = s.length,
  ) {
    this.n = s.length;
    this.budget = decodeBudget(size, opts);
  }

  /** Adds to the decoded-size cost; past the budget the message is refused. */
  protected charge(n: number): void {
    this.cost += n;
    if (this.cost > this.budget) throw budgetError(this.size, this.opts);
  }

  protected fail(msg: string): never {
    const at = this.i;
    // eslint-disable-next-line no-control-regex
    const snippet = this.s.slice(at, at + 20).replace(/[\x00-\x1f]/g, " ");
    throw serError(`invalid ${this.format} data at offset ${at}: ${msg}${at < this.n ? ` near '${snippet}'` : " (end of data)"}`);
  }

  /** One more value in a container: `cost` is its slot (COST.slot) or its dict or set entry. */
  protected count(cost: number = COST.slot): void {
    if (++this.items > this.opts.maxItems) throw limitError(`${this.format} data has more than ${this.opts.maxItems} items`);
    this.cost += cost;
    if (this.cost > this.budget) throw budgetError(this.size, this.opts);
  }

  /** A container opens at this depth: `cost` is what the container itself costs. */
  protected enter(depth: number, cost: number = COST.array): void {
    if (depth >= this.opts.maxDepth) throw limitError(`${this.format} data nested deeper than ${this.opts.maxDepth} levels`);
    this.charge(cost);
  }

  /** The elements pushed on the stack since `base`, as an array of exactly their number (the stack is cut back). */
  protected popFrom(base: number): unknown[] {
    const st = this.stack;
    const out = st.length === base ? [] : st.slice(base);
    st.length = base;
    return out;
  }
}
