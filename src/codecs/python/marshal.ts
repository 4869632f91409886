/**
 * marshal (Pyro4 serializer id 3): CPython's marshal format (versions 2-4
 * as written by Python 3). The reader handles the data types (None, bools,
 * ints of any size, floats, complex, str, bytes, tuple, list, dict, set,
 * frozenset, back-references) and refuses code objects and anything else.
 * The writer emits version-4 data without back-references.
 */
import { isUtf8 } from "node:buffer";
import { payloadBuffer } from "../../core/frame-arena.js";
import { Complex, Float, FrozenSet } from "../../core/values.js";
import {
  budgetError,
  buildDict,
  buildSet,
  bytesOf,
  COST,
  decodeBudget,
  decodeUtf8,
  encodeUtf8,
  HashBudget,
  checkHashable,
  classNameOf,
  instanceEntries,
  isPyInt,
  kindOf,
  limitError,
  normalizeInt,
  pyIsoformat,
  serError,
  tooLargeError,
  tuple,
  typedItems,
  unsupported,
  WriteGuard,
  type ResolvedOptions,
} from "./common.js";
import { errorToPyroDict } from "./exceptions.js";
import type { PyroURIValue } from "./uri-value.js";

const FLAG_REF = 0x80;

// ================================================================ reader

/** ISO-8859-1, as Python reads marshal's ASCII string types (TextDecoder's "latin1" is windows-1252). */
function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** UTF-8 as Python's marshal writes it ("surrogatepass": lone surrogates are allowed). */
function decodeUtf8Surrogatepass(b: Uint8Array): string {
  if (isUtf8(b)) return decodeUtf8(b, "marshal");
  // the slow path, that also accepts encoded surrogates
  let out = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let cp: number;
    let need: number;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    } else if (c >= 0xc2 && c < 0xe0) {
      cp = c & 0x1f;
      need = 1;
    } else if (c >= 0xe0 && c < 0xf0) {
      cp = c & 0x0f;
      need = 2;
    } else if (c >= 0xf0 && c < 0xf5) {
      cp = c & 0x07;
      need = 3;
    } else throw serError("marshal str is not valid UTF-8");
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) throw serError("marshal str is not valid UTF-8");
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((need === 2 && cp < 0x800) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff))) throw serError("marshal str is not valid UTF-8");
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

class MarshalReader {
  private i = 0;
  private items = 0;
  private readonly refs: unknown[] = [];
  /** What each back-referenced value cost, in items and in decoded size: a reference to it costs that again. */
  private readonly refItems: number[] = [];
  private readonly refCost: number[] = [];
  private readonly view: DataView;
  private cost = 0;
  private readonly budget: number;
  private readonly hashing = new HashBudget();
  /** The data when it is a Buffer, for its Latin-1 slicing. */
  private readonly latin1: (Buffer & { latin1Slice(start: number, end: number): string }) | undefined;

  constructor(
    private readonly b: Uint8Array,
    private readonly opts: ResolvedOptions,
  ) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.latin1 = Buffer.isBuffer(b) ? (b as Buffer & { latin1Slice(start: number, end: number): string }) : undefined;
    this.budget = decodeBudget(b.length, opts);
  }

  /** Adds to the decoded-size cost (COST); past the budget the message is refused, before anything more is allocated. */
  private charge(n: number): void {
    this.cost += n;
    if (this.cost > this.budget) throw budgetError(this.b.length, this.opts);
  }

  private need(n: number): void {
    if (n < 0 || this.i + n > this.b.length) throw serError("marshal data is truncated");
  }
  private u8(): number {
    this.need(1);
    return this.b[this.i++]!;
  }
  private i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.i, true);
    this.i += 4;
    return v;
  }
  private f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.i, true);
    this.i += 8;
    return v;
  }
  private size(): number {
    const n = this.i32();
    if (n < 0) throw serError("marshal data has a negative size");
    return n;
  }
  private bytes(n: number): Uint8Array {
    if (n > this.opts.maxStringLength) throw limitError(`string longer than ${this.opts.maxStringLength} bytes`);
    this.need(n);
    this.charge(COST.string + n);
    const out = this.b.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }
  /** What latin1(this.bytes(n)) reads (same checks and cost), cut straight out of the data. */
  private latin1Str(n: number): string {
    if (n > this.opts.maxStringLength) throw limitError(`string longer than ${this.opts.maxStringLength} bytes`);
    this.need(n);
    this.charge(COST.string + n);
    const at = this.i;
    this.i += n;
    if (n <= 12) {
      // short strings (dict keys, mostly) are built in JS: half the time of a call into the Buffer binding
      const b = this.b;
      let t = "";
      for (let k = at; k < at + n; k++) t += String.fromCharCode(b[k]!);
      return t;
    }
    return this.latin1 !== undefined ? this.latin1.latin1Slice(at, at + n) : latin1(this.b.subarray(at, at + n));
  }
  private count(n = 1, cost: number = COST.slot): void {
    this.items += n;
    if (this.items > this.opts.maxItems) throw limitError(`marshal data has more than ${this.opts.maxItems} items`);
    this.charge(n * cost);
  }
  private floatText(): number {
    const n = this.u8();
    const t = latin1(this.bytes(n)).trim().toLowerCase();
    if (t === "nan" || t === "+nan" || t === "-nan") return NaN;
    if (t === "inf" || t === "+inf" || t === "infinity") return Infinity;
    if (t === "-inf" || t === "-infinity") return -Infinity;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) throw serError("marshal float text is malformed");
    return Number(t);
  }

  /** A float read: with preserveTypes, one that would be written back as an int (2.0) is a Float. */
  private float(v: number): number | Float {
    if (!this.opts.preserveTypes || !isPyInt(v)) return v;
    this.charge(COST.float - COST.number);
    return new Float(v);
  }

  readDocument(): unknown {
    const v = this.read(0);
    if (this.i !== this.b.length) throw serError("unexpected bytes after the marshal data");
    return v;
  }

  read(depth: number): unknown {
    const code = this.u8();
    const flag = (code & FLAG_REF) !== 0;
    const type = code & ~FLAG_REF;
    let slot = -1;
    if (flag) {
      slot = this.refs.length;
      this.refs.push(undefined);
      this.refItems.push(0);
      this.refCost.push(0);
      this.count();
    }
    const items0 = this.items;
    const cost0 = this.cost;
    const v = this.readType(type, depth);
    if (flag) {
      this.refs[slot] = v;
      this.refItems[slot] = this.items - items0;
      this.refCost[slot] = this.cost - cost0;
    }
    return v;
  }

  private enter(depth: number, cost: number = COST.array): void {
    if (depth >= this.opts.maxDepth) throw limitError(`marshal data nested deeper than ${this.opts.maxDepth} levels`);
    this.charge(cost);
  }

  private readType(type: number, depth: number): unknown {
    switch (type) {
      case 0x4e: // 'N'
        return null;
      case 0x54: // 'T'
        return true;
      case 0x46: // 'F'
        return false;
      case 0x69: // 'i'
        return this.i32();
      case 0x49: { // 'I'
        // 64-bit int (old versions)
        this.need(8);
        const v = this.view.getBigInt64(this.i, true);
        this.i += 8;
        this.charge(COST.number);
        return normalizeInt(v);
      }
      case 0x6c: { // 'l'
        const n = this.i32();
        const digits = Math.abs(n);
        // each digit holds 15 bits; about 4.5 decimal digits
        if (digits * 15 > this.opts.maxIntDigits * 3.33 + 15) throw limitError(`integer longer than ${this.opts.maxIntDigits} digits`);
        this.need(digits * 2);
        this.charge(COST.number + digits * 2);
        let v = 0n;
        for (let k = digits - 1; k >= 0; k--) {
          const d = this.view.getUint16(this.i + k * 2, true);
          if (d >= 0x8000) throw serError("marshal long digit out of range");
          v = (v << 15n) | BigInt(d);
        }
        this.i += digits * 2;
        return normalizeInt(n < 0 ? -v : v);
      }
      case 0x67: // 'g'
        this.charge(COST.number);
        return this.float(this.f64());
      case 0x66: // 'f'
        this.charge(COST.number);
        return this.float(this.floatText());
      case 0x79: { // 'y'
        this.charge(COST.boxed);
        const re = this.f64();
        return new Complex(re, this.f64());
      }
      case 0x78: { // 'x'
        this.charge(COST.boxed);
        const re = this.floatText();
        return new Complex(re, this.floatText());
      }
      case 0x73: // 's'
        this.charge(COST.boxed);
        return Buffer.from(this.bytes(this.size()));
      case 0x75: // 'u'
      case 0x74: // 't'
        return decodeUtf8Surrogatepass(this.bytes(this.size()));
      case 0x61: // 'a'
      case 0x41: // 'A'
        return this.latin1Str(this.size());
      case 0x7a: // 'z'
      case 0x5a: // 'Z'
        return this.latin1Str(this.u8());
      case 0x29: // ')'
        return this.tupleOf(this.u8(), depth);
      case 0x28: // '('
        return this.tupleOf(this.size(), depth);
      case 0x5b: { // '['
        this.enter(depth);
        const n = this.size();
        this.need(n); // each item takes at least one byte: refuse impossible sizes before allocating
        this.count(n);
        const out: unknown[] = [];
        for (let k = 0; k < n; k++) out.push(this.read(depth + 1));
        return out;
      }
      case 0x7b: { // '{'
        this.enter(depth, COST.object);
        const keys: unknown[] = [];
        const values: unknown[] = [];
        for (;;) {
          this.need(1);
          if (this.b[this.i] === 0x30) {
            this.i++;
            break;
          }
          const k = this.read(depth + 1);
          if (typeof k === "object" && k !== null && !Buffer.isBuffer(k) && !(k instanceof Complex) && !(k instanceof Float) && !(Array.isArray(k) && Object.isFrozen(k))) {
            throw serError("marshal dict has an unhashable key");
          }
          keys.push(k);
          values.push(this.read(depth + 1));
          this.count(1, COST.entry);
        }
        const d = buildDict(keys, values, this.opts, false, this.hashing);
        if (d instanceof Map) this.charge(COST.hashTable);
        return d;
      }
      case 0x3c: // '<'
      case 0x3e: { // '>'
        this.enter(depth, COST.object + COST.hashTable);
        const n = this.size();
        this.need(n);
        this.count(n, COST.entry);
        const items: unknown[] = [];
        for (let k = 0; k < n; k++) items.push(this.read(depth + 1));
        const set = buildSet(items, this.hashing);
        // a FrozenSet is filled by its constructor: from a set whose insertions were within the budget
        return type === 0x3e ? new FrozenSet(set) : set;
      }
      case 0x72: { // 'r'
        const idx = this.i32();
        if (idx < 0 || idx >= this.refs.length || this.refs[idx] === undefined) throw serError("marshal data has an invalid back-reference");
        // a reference costs what its value cost: written out again (in a reply, say) it is that large
        this.count(Math.max(1, this.refItems[idx]!), 0);
        this.charge(COST.slot + this.refCost[idx]!);
        return this.refs[idx];
      }
      case 0x63: // 'c'
        throw serError("marshal code objects are refused");
      default:
        throw serError(`unsupported marshal type code 0x${type.toString(16)}`);
    }
  }

  private tupleOf(n: number, depth: number): readonly unknown[] {
    this.enter(depth);
    this.need(n);
    this.count(n);
    const out: unknown[] = [];
    for (let k = 0; k < n; k++) out.push(this.read(depth + 1));
    return tuple(out);
  }
}

export function marshalLoads(data: Uint8Array, opts: ResolvedOptions): unknown {
  if (data.length === 0) throw serError("marshal data is empty");
  return new MarshalReader(data, opts).readDocument();
}

// ================================================================ writer

/** UTF-8 with lone surrogates encoded as 3-byte sequences (Python's "surrogatepass"). */
function encodeUtf8Surrogatepass(s: string): Buffer {
  if ((s as string & { isWellFormed(): boolean }).isWellFormed()) return encodeUtf8(s);
  const parts: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) parts.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else for (const byte of Buffer.from(ch, "utf8")) parts.push(byte);
  }
  return Buffer.from(parts);
}

class MarshalWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;
  private readonly guard: WriteGuard;
  /** maxEncodedSize: the buffer never grows past it. */
  private readonly max: number;
  constructor(opts: ResolvedOptions) {
    this.guard = new WriteGuard(opts.maxDepth);
    this.max = opts.maxEncodedSize;
  }

  /** The bytes written, after `head` unwritten bytes. */
  result(head: number): Buffer {
    const out = payloadBuffer(head, this.len);
    this.buf.copy(out, head, 0, this.len);
    return out;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    if (this.len + n > this.max) throw tooLargeError(this.len + n, this.max);
    const next = Buffer.allocUnsafe(Math.min(Math.max(this.buf.length * 2, this.len + n), this.max));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  private byte(code: string): void {
    this.reserve(1);
    this.buf[this.len++] = code.charCodeAt(0);
  }
  private raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  private withI32(code: string, n: number): void {
    this.reserve(5);
    this.buf[this.len] = code.charCodeAt(0);
    this.buf.writeInt32LE(n, this.len + 1);
    this.len += 5;
  }

  private int(v: bigint): void {
    if (v >= -0x80000000n && v <= 0x7fffffffn) {
      this.withI32("i", Number(v));
      return;
    }
    const neg = v < 0n;
    let a = neg ? -v : v;
    const digits: number[] = [];
    while (a > 0n) {
      digits.push(Number(a & 0x7fffn));
      a >>= 15n;
    }
    this.withI32("l", neg ? -digits.length : digits.length);
    this.reserve(digits.length * 2);
    for (const d of digits) {
      this.buf.writeUInt16LE(d, this.len);
      this.len += 2;
    }
  }

  private smallInt(n: number): void {
    this.reserve(5);
    this.buf[this.len] = 0x69; // 'i'
    this.buf.writeInt32LE(n, this.len + 1);
    this.len += 5;
  }

  private float(x: number): void {
    this.reserve(9);
    this.buf[this.len] = 0x67; // 'g'
    this.buf.writeDoubleLE(x, this.len + 1);
    this.len += 9;
  }

  private str(s: string): void {
    const n = s.length;
    if (n < 256) {
      // 'z', short ASCII: the characters are copied as they are checked; the first one beyond ASCII sends the string to 'u'
      this.reserve(2 + n);
      const buf = this.buf;
      const at = this.len + 2;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at + i] = c;
      }
      if (i === n) {
        buf[this.len] = 0x7a;
        buf[this.len + 1] = n;
        this.len = at + n;
        return;
      }
    }
    const b = encodeUtf8Surrogatepass(s);
    this.withI32("u", b.length);
    this.raw(b);
  }

  private seq(code: "(" | "[" | "<" | ">", items: readonly unknown[], depth: number): void {
    if (code === "(" && items.length < 256) {
      this.reserve(2);
      this.buf[this.len++] = 0x29;
      this.buf[this.len++] = items.length;
    } else this.withI32(code, items.length);
    for (const x of items) this.write(x, depth + 1);
  }

  /** A plain object: what dict() writes for its entries (string keys, always hashable), without building them. */
  private plainDict(o: Record<string, unknown>, depth: number): void {
    this.guard.enter(o, depth + 1);
    this.byte("{");
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      this.str(k);
      this.write(o[k], depth + 1);
    }
    this.byte("0");
    this.guard.leave(o);
  }

  private dict(entries: Iterable<[unknown, unknown]>, depth: number, extra?: [string, string]): void {
    this.byte("{");
    for (const [k, v] of entries) {
      checkHashable(k, true);
      this.write(k, depth + 1);
      this.write(v, depth + 1);
    }
    if (extra) {
      this.str(extra[0]);
      this.str(extra[1]);
    }
    this.byte("0");
  }

  write(v: unknown, depth: number): void {
    switch (typeof v) {
      case "string":
        this.str(v);
        return;
      case "number":
        if (v >= -0x80000000 && v <= 0x7fffffff && isPyInt(v)) this.smallInt(v);
        else if (isPyInt(v)) this.int(BigInt(v));
        else this.float(v);
        return;
      case "bigint":
        this.int(v);
        return;
      case "boolean":
        this.byte(v ? "T" : "F");
        return;
      case "undefined":
        this.byte("N");
        return;
      case "object":
        if (v === null) {
          this.byte("N");
          return;
        }
        if (!Array.isArray(v)) {
          const proto = Object.getPrototypeOf(v) as unknown;
          if (proto === Object.prototype || proto === null) {
            this.plainDict(v as Record<string, unknown>, depth);
            return;
          }
        }
        break;
      default:
        throw unsupported(v);
    }
    const kind = kindOf(v);
    switch (kind) {
      case "bytes": {
        const b = bytesOf(v)!;
        this.withI32("s", b.length);
        this.raw(b);
        return;
      }
      case "complex": {
        const c = v as Complex;
        this.reserve(17);
        this.buf[this.len] = 0x79; // 'y'
        this.buf.writeDoubleLE(c.real, this.len + 1);
        this.buf.writeDoubleLE(c.imag, this.len + 9);
        this.len += 17;
        return;
      }
      case "float":
        this.float((v as Float).value);
        return;
      case "decimal":
        this.str(String(v));
        return;
      case "date":
        this.str(pyIsoformat(v as Date));
        return;
      case "boxed":
        this.write((v as { valueOf(): unknown }).valueOf(), depth);
        return;
      case "unsupported":
        throw unsupported(v);
      default:
        break;
    }
    this.guard.enter(v, depth + 1);
    try {
      switch (kind) {
        case "tuple":
          this.seq("(", v as readonly unknown[], depth);
          return;
        case "list":
          this.seq("[", v as unknown[], depth);
          return;
        case "typedlist":
          this.seq("[", typedItems(v as ArrayBufferView), depth);
          return;
        case "set":
          for (const x of v as Set<unknown>) checkHashable(x, true);
          this.seq(v instanceof FrozenSet ? ">" : "<", [...(v as Set<unknown>)], depth);
          return;
        case "map":
          this.dict(v as Map<unknown, unknown>, depth);
          return;
        case "dict":
          this.dict(Object.entries(v), depth);
          return;
        case "uri":
          this.dict(
            [
              ["__class__", "Pyro4.core.URI"],
              ["state", tuple((v as PyroURIValue).toState())],
            ],
            depth,
          );
          return;
        case "error":
          this.dict(Object.entries(errorToPyroDict(v, undefined, true)), depth);
          return;
        default:
          this.dict(instanceEntries(v), depth, ["__class__", classNameOf(v)]);
          return;
      }
    } finally {
      this.guard.leave(v);
    }
  }
}

export function marshalDumps(value: unknown, opts: ResolvedOptions, head = 0): Buffer {
  const w = new MarshalWriter(opts);
  w.write(value, 0);
  return w.result(head);
}

export function marshalDumpsCall(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>, opts: ResolvedOptions, head = 0): Buffer {
  if (typeof objectId !== "string" || typeof method !== "string") throw serError("object id and method name must be strings");
  if (!Array.isArray(vargs)) throw serError("positional arguments must be an array");
  // Pyro4 sends (object, method, vargs as a list, kwargs)
  return marshalDumps(tuple([objectId, method, [...vargs], kwargs ?? {}]), opts, head);
}
