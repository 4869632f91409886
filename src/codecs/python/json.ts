/**
 * json (Pyro4 serializer id 2): UTF-8 JSON as Python's json module writes it,
 * including its non-standard `NaN`, `Infinity` and `-Infinity` tokens and
 * integers of any size (read exactly, as bigint when beyond 2^53).
 */
import { fastPathHits } from "../../core/fast-paths.js";
import { payloadBuffer, releaseCopied } from "../../core/frame-arena.js";
import { Float } from "../../core/values.js";
import {
  isEmptyDict,
  latin1Of,
  NO_KWARGS,
  buildDict,
  bytesOf,
  COST,
  classNameOf,
  decodeBudget,
  decodeUtf8,
  encodeUtf8,
  instanceEntries,
  isPyInt,
  kindOf,
  limitError,
  normalizeInt,
  pyIsoformat,
  serError,
  tooLargeError,
  typedItems,
  unsupported,
  TextReader,
  WriteGuard,
  type ResolvedOptions,
} from "./common.js";
import { errorToPyroDict } from "./exceptions.js";
import { isPlainJsonText, jsonBytes, writtenAlike } from "./json-bytes.js";
import { pyFloatRepr } from "./pyrepr.js";
import type { PyroURIValue } from "./uri-value.js";

// ================================================================ writer

function numberText(x: number): string {
  if (isPyInt(x)) return String(x);
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return pyFloatRepr(x);
}

/** A float's text, also when it is whole (`2.0`): what Python's json writes for a float. */
function floatText(x: number): string {
  return Number.isFinite(x) ? pyFloatRepr(x) : numberText(x);
}

/** Dict keys become strings as Python's json.dumps makes them. */
function keyText(k: unknown): string {
  switch (typeof k) {
    case "string":
      return k;
    case "number":
      return numberText(k);
    case "bigint":
      return k.toString();
    case "boolean":
      return k ? "true" : "false";
    case "undefined":
      return "null";
    case "object":
      if (k === null) return "null";
      if (k instanceof Float) return floatText(k.value);
      break;
  }
  throw serError(`json dict keys must be str, int, float, bool or None, not ${kindOf(k)}`);
}

class JsonWriter {
  out = "";
  private readonly guard: WriteGuard;
  /** maxEncodedSize: the text is refused as soon as it is longer (its UTF-8 bytes are at least as many). */
  private readonly max: number;
  constructor(opts: ResolvedOptions) {
    this.guard = new WriteGuard(opts.maxDepth);
    this.max = opts.maxEncodedSize;
  }

  private check(): void {
    if (this.out.length > this.max) throw tooLargeError(this.out.length, this.max);
  }

  /** The text as UTF-8 after `head` unwritten bytes, within maxEncodedSize. */
  result(head: number): Buffer {
    this.check();
    const b = encodeUtf8(this.out, head);
    if (b.length - head > this.max) {
      releaseCopied(b);
      throw tooLargeError(b.length - head, this.max);
    }
    return b;
  }

  write(v: unknown, depth: number): void {
    switch (typeof v) {
      case "string":
        if (v.length > this.max) throw tooLargeError(v.length, this.max);
        this.out += JSON.stringify(v);
        return;
      case "number":
        this.out += numberText(v);
        return;
      case "boolean":
        this.out += v ? "true" : "false";
        return;
      case "bigint":
        this.out += v.toString();
        return;
      case "undefined":
        this.out += "null";
        return;
      case "object":
        if (v === null) {
          this.out += "null";
          return;
        }
        this.writeObject(v, depth);
        return;
      default:
        throw unsupported(v);
    }
  }

  private array(items: Iterable<unknown>, depth: number): void {
    this.out += "[";
    let first = true;
    for (const x of items) {
      if (!first) this.out += ", ";
      first = false;
      this.write(x, depth + 1);
      this.check();
    }
    this.out += "]";
  }

  private object(entries: Iterable<[unknown, unknown]>, depth: number, extra?: [string, string]): void {
    this.out += "{";
    let first = true;
    for (const [k, val] of entries) {
      if (!first) this.out += ", ";
      first = false;
      this.out += JSON.stringify(keyText(k));
      this.out += ": ";
      this.write(val, depth + 1);
      this.check();
    }
    if (extra) this.out += `${first ? "" : ", "}${JSON.stringify(extra[0])}: ${JSON.stringify(extra[1])}`;
    this.out += "}";
  }

  private writeObject(v: object, depth: number): void {
    const kind = kindOf(v);
    switch (kind) {
      case "bytes": {
        // Pyro4's json serializer refuses bytes; we send serpent's base64 dict (serpent.tobytes reads it)
        const b = bytesOf(v)!;
        if (b.length > this.max) throw tooLargeError(b.length, this.max);
        this.out += `{"data": "${b.toString("base64")}", "encoding": "base64"}`;
        return;
      }
      case "complex":
        throw serError("the json serializer cannot carry complex numbers (use serpent)");
      case "float":
        this.out += floatText((v as Float).value);
        return;
      case "decimal":
        this.out += JSON.stringify(String(v));
        return;
      case "date":
        this.out += JSON.stringify(pyIsoformat(v as Date));
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
        case "list":
          this.array(v as unknown[], depth);
          return;
        case "typedlist":
          this.array(typedItems(v as ArrayBufferView), depth);
          return;
        case "set":
          this.array(v as Set<unknown>, depth);
          return;
        case "map":
          this.object(v as Map<unknown, unknown>, depth);
          return;
        case "dict":
          this.object(Object.entries(v), depth);
          return;
        case "uri":
          this.out += '{"__class__": "Pyro4.core.URI", "state": ';
          this.array((v as PyroURIValue).toState(), depth + 1);
          this.out += "}";
          return;
        case "error":
          this.object(Object.entries(errorToPyroDict(v, undefined, true)), depth);
          return;
        default:
          this.object(instanceEntries(v), depth, ["__class__", classNameOf(v)]);
          return;
      }
    } finally {
      this.guard.leave(v);
    }
  }
}

// ---------------------------------------------------------------- the native paths

/**
 * Whether JSON.stringify writes `v` as Python's json.dumps does, but for the
 * separators (`,` and `:` where Python writes `, ` and `: `): plain objects
 * and arrays (tuples too) of strings without `,` or `:` in them, booleans,
 * null, ints (safe integers) and floats written positionally (1e-4 <= |x| <
 * 1e16), nested at most `maxDepth` deep. Returns the number of separators
 * JSON.stringify will write, or -1 for anything else (and for cycles, which
 * pass maxDepth): the writer takes those.
 */
function nativeSeparators(v: unknown, depth: number, maxDepth: number): number {
  switch (typeof v) {
    case "string":
      return v.indexOf(",") < 0 && v.indexOf(":") < 0 ? 0 : -1;
    case "boolean":
      return 0;
    case "number":
      return writtenAlike(v) ? 0 : -1;
    case "object": {
      if (v === null) return 0;
      if (depth >= maxDepth) return -1;
      const proto = Object.getPrototypeOf(v) as unknown;
      let seps = 0;
      if (proto === Array.prototype) {
        const a = v as unknown[];
        const n = a.length;
        for (let i = 0; i < n; i++) {
          const x = a[i];
          if (typeof x === "number") {
            // numbers inline (lists of numbers are common and long)
            if (writtenAlike(x)) {
              listNumbers++;
              continue;
            }
            return -1;
          }
          const k = nativeSeparators(x, depth + 1, maxDepth);
          if (k < 0) return -1;
          seps += k;
        }
        return n > 0 ? seps + n - 1 : seps;
      }
      if (proto !== Object.prototype && proto !== null) return -1;
      const o = v as Record<string, unknown>;
      let keys = 0;
      for (const key in o) {
        // (an enumerable key inherited from a changed Object.prototype: JSON.stringify leaves it out, the writer decides)
        if (key.indexOf(",") >= 0 || key.indexOf(":") >= 0 || !Object.prototype.hasOwnProperty.call(o, key)) return -1;
        const k = nativeSeparators(o[key], depth + 1, maxDepth);
        if (k < 0) return -1;
        seps += k;
        keys++;
      }
      return keys > 0 ? seps + 2 * keys - 1 : seps;
    }
    default:
      return -1;
  }
}

/** The numbers in lists nativeSeparators() found in the value it last checked. */
let listNumbers = 0;

/**
 * A document with at least this many numbers in lists is written by
 * jsonBytes() (number digits written directly, about twice as fast as
 * JSON.stringify's); others by JSON.stringify, which is faster for keys and
 * strings.
 */
const NUMBER_LIST_MIN = 16;

/**
 * The json bytes of `v` written by JSON.stringify, with a space after each
 * separator, when `v` is in the class nativeSeparators() describes (else
 * undefined), within maxEncodedSize.
 */
function nativeDumps(v: unknown, opts: ResolvedOptions, head: number): Buffer | undefined {
  if (opts.preserveTypes) return undefined;
  listNumbers = 0;
  const seps = nativeSeparators(v, 0, opts.maxDepth);
  if (seps < 0) return undefined;
  if (listNumbers >= NUMBER_LIST_MIN) {
    const bytes = jsonBytes(v, opts.maxEncodedSize, opts.maxDepth, head);
    if (bytes !== undefined) fastPathHits["json.dumps.numberLists"]++;
    return bytes;
  }
  const text = JSON.stringify(v);
  const max = opts.maxEncodedSize;
  if (text.length + seps > max) throw tooLargeError(text.length + seps, max);
  const src = encodeUtf8(text, seps === 0 ? head : 0);
  const n = src.length - (seps === 0 ? head : 0);
  if (n + seps > max) {
    releaseCopied(src);
    throw tooLargeError(n + seps, max);
  }
  fastPathHits["json.dumps.native"]++;
  if (seps === 0) return src;
  // outside strings JSON.stringify writes no spaces; inside them there is no ',' or ':' to mistake for a separator
  const out = payloadBuffer(head, n + seps);
  let j: number;
  if (n >= 64 * seps) j = spacedRuns(src, out, head);
  else {
    j = head;
    for (let i = 0; i < n; i++) {
      const c = src[i]!;
      out[j++] = c;
      if (c === 0x2c || c === 0x3a) out[j++] = 0x20;
    }
  }
  // a value whose getters answer differently the second time can change the count: never send bytes not written
  if (j === out.length) return out;
  releaseCopied(out);
  return undefined;
}

/**
 * The separator insertion of nativeDumps for long text with few separators
 * (a long string argument in a call): the runs between separators are found
 * with indexOf (memchr) and copied whole, not byte by byte, into `out` from
 * `at`. Same bytes.
 */
function spacedRuns(src: Buffer, out: Buffer, at: number): number {
  const n = src.length;
  let comma = src.indexOf(0x2c);
  let colon = src.indexOf(0x3a);
  let i = 0;
  let j = at;
  for (;;) {
    const next = comma < 0 ? colon : colon < 0 ? comma : comma < colon ? comma : colon;
    if (next < 0) break;
    j += src.copy(out, j, i, next + 1);
    out[j++] = 0x20;
    i = next + 1;
    if (next === comma) comma = src.indexOf(0x2c, i);
    else colon = src.indexOf(0x3a, i);
  }
  return j + src.copy(out, j, i, n);
}

export function jsonDumps(value: unknown, opts: ResolvedOptions, head = 0): Buffer {
  const fast = nativeDumps(value, opts, head);
  if (fast !== undefined) return fast;
  const w = new JsonWriter(opts);
  w.write(value, 0);
  return w.result(head);
}

export function jsonDumpsCall(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>, opts: ResolvedOptions, head = 0): Buffer {
  if (typeof objectId !== "string" || typeof method !== "string") throw serError("object id and method name must be strings");
  if (!Array.isArray(vargs)) throw serError("positional arguments must be an array");
  const fast = nativeDumps({ object: objectId, method, params: [...vargs], kwargs: kwargs ?? {} }, opts, head);
  if (fast !== undefined) return fast;
  const w = new JsonWriter(opts);
  w.out += `{"object": ${JSON.stringify(objectId)}, "method": ${JSON.stringify(method)}, "params": `;
  w.write([...vargs], 1);
  w.out += ', "kwargs": ';
  w.write(kwargs ?? {}, 1);
  w.out += "}";
  return w.result(head);
}

// ---------------------------------------------------------------- the text hot paths (small plain calls and results)

/** At most 256 characters, each printable ASCII other than `"` and `\\`: what JSON.stringify writes between quotes as it is. */
function isPlainJsonAscii(v: string): boolean {
  return v.length <= 256 && isPlainJsonText(v);
}

/** The json text of a scalar as both writers write it (plain ASCII strings, ints, positional floats, bools, None), else undefined. */
function plainScalarText(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return isPlainJsonAscii(v) ? `"${v}"` : undefined;
    case "number":
      return writtenAlike(v) ? String(v) : undefined;
    case "boolean":
      return v ? "true" : "false";
    case "object":
      return v === null ? "null" : undefined;
    default:
      return undefined;
  }
}

/**
 * The hot path of jsonDumpsCall: the payload as ASCII text for a call of at
 * most 16 scalar arguments (see plainScalarText) and no keyword arguments, on
 * an object id and method name of plain ASCII; undefined for anything else.
 * The same text jsonDumpsCall writes.
 */
export function jsonCallText(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>): string | undefined {
  if (typeof objectId !== "string" || typeof method !== "string" || !Array.isArray(vargs) || vargs.length > 16 || !isEmptyDict(kwargs)) return undefined;
  if (!isPlainJsonAscii(objectId) || !isPlainJsonAscii(method)) return undefined;
  let text = `{"object": "${objectId}", "method": "${method}", "params": [`;
  for (let i = 0; i < vargs.length; i++) {
    const t = plainScalarText(vargs[i]);
    if (t === undefined) return undefined;
    text += i === 0 ? t : `, ${t}`;
  }
  return `${text}], "kwargs": {}}`;
}

/** The hot path of jsonDumps: a scalar result's payload as ASCII text (the same text jsonDumps writes), else undefined. */
export function jsonValueText(value: unknown): string | undefined {
  return plainScalarText(value);
}

/** End (the index of the closing quote) of a plain ASCII string whose opening quote is at `i`, or -1. */
function plainStringEnd(b: Buffer, i: number, end: number): number {
  if (b[i] !== 0x22) return -1;
  for (let j = i + 1; j < end; j++) {
    const c = b[j]!;
    if (c === 0x22) return j;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1;
  }
  return -1;
}

/** The bytes of `lit` at b[i]? */
function bytesAt(b: Buffer, i: number, lit: Buffer): boolean {
  if (i + lit.length > b.length) return false;
  for (let k = 0; k < lit.length; k++) if (b[i + k] !== lit[k]) return false;
  return true;
}

const CALL_OBJECT = Buffer.from('{"object": ', "latin1");
const CALL_METHOD = Buffer.from(', "method": ', "latin1");
const CALL_PARAMS = Buffer.from(', "params": [', "latin1");
const CALL_END = Buffer.from('], "kwargs": {}}', "latin1");

/** A scalar argument at b[i, e) read as the json reader reads it: a plain ASCII string, an int of at most 15 digits, or a literal; else undefined. */
function plainScalarAt(b: Buffer, i: number, e: number, opts: ResolvedOptions): { v: unknown } | undefined {
  const c = b[i];
  if (c === 0x22) return e - i - 2 <= opts.maxStringLength ? { v: latin1Of(b, i + 1, e - 1) } : undefined;
  const len = e - i;
  if (len === 4 && b[i] === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) return { v: true };
  if (len === 5 && b[i] === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) return { v: false };
  if (len === 4 && b[i] === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) return { v: null };
  // an int: optional minus, no leading zero, at most 15 digits, and not -0 (which the reader reads as the int 0)
  let j = i;
  if (c === 0x2d) j++;
  const digits = e - j;
  if (digits < 1 || digits > 15) return undefined;
  const first = b[j]!;
  if (first === 0x30 ? digits !== 1 || j !== i : first < 0x31 || first > 0x39) return undefined;
  let v = 0;
  for (let k = j; k < e; k++) {
    const d = b[k]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return { v: j === i ? v : -v };
}

/**
 * The hot path of loadsCall, read straight from the bytes b[start, end): the
 * call `{"object": "...", "method": "...", "params": [...], "kwargs": {}}` as
 * Python's json and our writer write it (Python's separators), with plain ASCII
 * names and at most 16 arguments of plainScalarAt's class. Undefined for
 * anything else (the general reader then reads it, and reports any error).
 */
export function jsonCallAt(b: Buffer, start: number, end: number, opts: ResolvedOptions): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> } | undefined {
  if (end - start > 4096 || end > b.length || opts.maxDepth < 2 || opts.maxItems < 64 || !bytesAt(b, start, CALL_OBJECT)) return undefined;
  let i = start + CALL_OBJECT.length;
  const e1 = plainStringEnd(b, i, end);
  if (e1 < 0 || e1 - i - 1 > opts.maxStringLength || !bytesAt(b, e1 + 1, CALL_METHOD)) return undefined;
  const objectId = latin1Of(b, i + 1, e1);
  i = e1 + 1 + CALL_METHOD.length;
  const e2 = plainStringEnd(b, i, end);
  if (e2 < 0 || e2 - i - 1 > opts.maxStringLength || !bytesAt(b, e2 + 1, CALL_PARAMS)) return undefined;
  const method = latin1Of(b, i + 1, e2);
  i = e2 + 1 + CALL_PARAMS.length;
  const argsEnd = end - CALL_END.length;
  if (argsEnd < i || !bytesAt(b, argsEnd, CALL_END)) return undefined;
  const vargs: unknown[] = [];
  while (i < argsEnd) {
    if (vargs.length >= 16) return undefined;
    let e: number;
    if (b[i] === 0x22) {
      const q = plainStringEnd(b, i, argsEnd);
      if (q < 0) return undefined;
      e = q + 1;
    } else {
      e = i;
      while (e < argsEnd && b[e] !== 0x2c) e++;
    }
    const arg = plainScalarAt(b, i, e, opts);
    if (arg === undefined) return undefined;
    vargs.push(arg.v);
    if (e === argsEnd) break;
    if (b[e] !== 0x2c || b[e + 1] !== 0x20 || e + 2 >= argsEnd) return undefined;
    i = e + 2;
  }
  return { objectId, method, vargs, kwargs: NO_KWARGS };
}

/** The hot path of loads for a payload at data[start, end) that is one plain ASCII string (see plainStringEnd), else undefined. */
export function jsonStringAt(data: Buffer, start: number, end: number, opts: ResolvedOptions): string | undefined {
  if (end - start > 4096 || end - start - 2 > opts.maxStringLength) return undefined;
  return plainStringEnd(data, start, end) === end - 1 ? latin1Of(data, start + 1, end - 1) : undefined;
}

// ================================================================ parser

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

export class JsonParser extends TextReader {
  constructor(s: string, opts: ResolvedOptions, size?: number) {
    super(s, opts, "json", size);
  }

  parseDocument(): unknown {
    this.ws();
    if (this.i >= this.n) throw serError("json data is empty");
    const v = this.value(0);
    this.ws();
    if (this.i < this.n) this.fail("unexpected text after the value");
    return v;
  }

  private ws(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.i++;
      else return;
    }
  }

  private word(w: string, v: unknown): unknown {
    if (this.s.startsWith(w, this.i)) {
      this.i += w.length;
      return v;
    }
    this.fail("value expected");
  }

  private value(depth: number): unknown {
    const c = this.s.charCodeAt(this.i);
    switch (c) {
      case 34:
        return this.string();
      case 123:
        return this.object(depth);
      case 91:
        return this.array(depth);
      case 116:
        return this.word("true", true);
      case 102:
        return this.word("false", false);
      case 110:
        return this.word("null", null);
      case 78:
        return this.word("NaN", NaN);
      case 73:
        return this.word("Infinity", Infinity);
      case 45:
        if (this.s.charCodeAt(this.i + 1) === 73) {
          this.i++;
          return this.word("Infinity", -Infinity);
        }
        return this.number();
      default:
        if (c >= 48 && c <= 57) return this.number();
        if (this.i >= this.n) this.fail("value expected");
        return this.fail("unexpected character");
    }
  }

  private array(depth: number): unknown[] {
    this.enter(depth);
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 93) {
      this.i++;
      return [];
    }
    const st = this.stack;
    const base = st.length;
    for (;;) {
      this.ws();
      st.push(this.value(depth + 1));
      this.count();
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 93) return this.popFrom(base);
      if (c !== 44) {
        this.i--;
        this.fail("',' or ']' expected");
      }
    }
  }

  private object(depth: number): unknown {
    this.enter(depth, COST.object);
    this.i++;
    const keys: unknown[] = [];
    const values: unknown[] = [];
    this.ws();
    if (this.s.charCodeAt(this.i) === 125) {
      this.i++;
      return {};
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 34) this.fail("string key expected");
      keys.push(this.string());
      this.ws();
      if (this.s.charCodeAt(this.i) !== 58) this.fail("':' expected");
      this.i++;
      this.ws();
      values.push(this.value(depth + 1));
      this.count(COST.entry);
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 125) break;
      if (c !== 44) {
        this.i--;
        this.fail("',' or '}' expected");
      }
    }
    return buildDict(keys, values, this.opts, false);
  }

  private string(): string {
    const s = this.s;
    const max = this.opts.maxStringLength;
    let j = this.i + 1;
    let seg = j;
    let out = "";
    for (;;) {
      if (j >= this.n) {
        this.i = j;
        this.fail("unterminated string");
      }
      const c = s.charCodeAt(j);
      if (c === 34) break;
      if (c < 0x20) {
        this.i = j;
        this.fail("control character in a string");
      }
      if (c === 92) {
        out += s.slice(seg, j);
        if (out.length > max) throw limitError(`string longer than ${max} characters`);
        const e = s[j + 1];
        if (e === "u") {
          const h = s.slice(j + 2, j + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) {
            this.i = j;
            this.fail("bad \\u escape");
          }
          out += String.fromCharCode(parseInt(h, 16));
          j += 6;
        } else {
          const r = e === undefined ? undefined : ESCAPES[e];
          if (r === undefined) {
            this.i = j;
            this.fail("bad escape");
          }
          out += r;
          j += 2;
        }
        seg = j;
        continue;
      }
      j++;
    }
    if (out.length + (j - seg) > max) throw limitError(`string longer than ${max} characters`);
    out += s.slice(seg, j);
    this.i = j + 1;
    this.charge(COST.string + out.length);
    return out;
  }

  private number(): number | bigint | Float {
    const s = this.s;
    const start = this.i;
    let j = start;
    if (s.charCodeAt(j) === 45) j++;
    const d0 = j;
    const c0 = s.charCodeAt(j);
    if (c0 === 48) j++;
    else if (c0 >= 49 && c0 <= 57) {
      while (s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    } else {
      this.i = j;
      this.fail("digit expected");
    }
    const intDigits = j - d0;
    let isFloat = false;
    if (s.charCodeAt(j) === 46) {
      j++;
      if (!(s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57)) {
        this.i = j;
        this.fail("digit expected after '.'");
      }
      while (s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      isFloat = true;
    }
    if ((s.charCodeAt(j) | 0x20) === 101) {
      j++;
      if (s.charCodeAt(j) === 43 || s.charCodeAt(j) === 45) j++;
      if (!(s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57)) {
        this.i = j;
        this.fail("digit expected in exponent");
      }
      while (s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      isFloat = true;
    }
    this.i = j;
    const text = s.slice(start, j);
    if (isFloat) {
      this.charge(COST.number);
      const v = Number(text);
      if (this.opts.preserveTypes && isPyInt(v)) {
        this.charge(COST.float - COST.number);
        return new Float(v);
      }
      return v;
    }
    if (intDigits <= 9) {
      const v = Number(text);
      return v === 0 ? 0 : v;
    }
    this.charge(COST.number + (intDigits >> 1));
    if (intDigits <= 15) {
      const v = Number(text);
      return v === 0 ? 0 : v;
    }
    if (intDigits > this.opts.maxIntDigits) throw limitError(`integer longer than ${this.opts.maxIntDigits} digits`);
    return normalizeInt(BigInt(text));
  }
}

/** Returned by NativeCheck when a value read by JSON.parse may differ from what JsonParser reads (JsonParser then reads the text). */
const NOT_NATIVE: unique symbol = Symbol("not native");

/**
 * Checks a value JSON.parse read against what JsonParser would have read and
 * allowed: the same limits (depth, items, string length) and decoded-size
 * cost, counted as JsonParser counts them; no class dicts (`__class__`, and
 * serpent's bytes dict with bytesAsBuffer: JsonParser makes values of them);
 * no -0 (the text `-0` is the int 0) and no integer of 1e15 or more (JsonParser
 * reads the exact value of long integers, as a bigint beyond 2^53), and no
 * infinity (an integer literal too long for a double reads as one).
 */
class NativeCheck {
  private items = 0;
  private cost = 0;
  private readonly budget: number;
  constructor(
    private readonly opts: ResolvedOptions,
    size: number,
  ) {
    this.budget = decodeBudget(size, opts);
  }

  ok(v: unknown, depth: number): boolean {
    switch (typeof v) {
      case "string":
        if (v.length > this.opts.maxStringLength) return false;
        this.cost += COST.string + v.length;
        return true;
      case "number":
        if (!Number.isFinite(v)) return false; // an integer too long for a double, or a float beyond it
        if (Number.isInteger(v)) {
          const a = v < 0 ? -v : v;
          if (a >= 1e15 || Object.is(v, -0)) return false;
          if (a >= 1e9) this.cost += COST.number + (String(a).length >> 1);
        } else this.cost += COST.number;
        return true;
      case "boolean":
        return true;
      case "object": {
        if (v === null) return true;
        if (depth >= this.opts.maxDepth) return false;
        const opts = this.opts;
        if (Array.isArray(v)) {
          this.cost += COST.array;
          const n = v.length;
          this.items += n;
          this.cost += n * COST.slot;
          if (this.items > opts.maxItems || this.cost > this.budget) return false;
          for (let i = 0; i < n; i++) {
            const x: unknown = v[i];
            if (typeof x === "number") {
              // numbers inline (what the number case does for them): long lists of numbers are common
              if (Number.isInteger(x)) {
                if (x < 1e9 && x > -1e9 && (x !== 0 || !Object.is(x, -0))) continue;
              } else if (Number.isFinite(x)) {
                this.cost += COST.number;
                continue;
              }
            }
            if (!this.ok(x, depth + 1)) return false;
          }
          return true;
        }
        this.cost += COST.object;
        const o = v as Record<string, unknown>;
        let keys = 0;
        for (const k in o) {
          if (k === "__class__") return false;
          if (k.length > opts.maxStringLength) return false;
          this.cost += COST.string + k.length + COST.entry;
          keys++;
          if (++this.items > opts.maxItems || !this.ok(o[k], depth + 1)) return false;
        }
        if (keys === 2 && opts.bytesAsBuffer && typeof o["data"] === "string" && o["encoding"] === "base64") return false;
        return this.cost <= this.budget;
      }
      default:
        return false;
    }
  }

  get withinBudget(): boolean {
    return this.cost <= this.budget;
  }
}

/**
 * Documents of at most this many times fewer bytes than their decoded-size
 * budget may be read by JSON.parse first: what it builds before the check
 * (at most about 24 bytes per byte of text, for a list of empty objects) is
 * then within the budget too.
 */
const NATIVE_EXPANSION = 24;

/**
 * A run of 16 digits not inside a fraction: the mark of an integer of 1e15 or
 * more, which JSON.parse cannot read exactly (NativeCheck then refuses its
 * result and JsonParser reads the text again). A document of at most
 * LONG_INT_SCAN characters is searched for one first, which costs a small part
 * of a JSON.parse of it; a string or exponent with such a run only sends its
 * document to JsonParser, which reads it right.
 */
const LONG_INT = /(?:^|[^.\deE+])\d{16}/;
const LONG_INT_SCAN = 4096;

/** The whole class of documents JSON.parse reads to the value JsonParser reads (see NativeCheck), or NOT_NATIVE. */
function nativeLoads(text: string, opts: ResolvedOptions, size: number): unknown {
  if (opts.preserveTypes || size > opts.maxItems || size * NATIVE_EXPANSION > decodeBudget(size, opts)) return NOT_NATIVE;
  if (text.length <= LONG_INT_SCAN && LONG_INT.test(text)) {
    fastPathHits["json.loads.longInts"]++;
    return NOT_NATIVE;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return NOT_NATIVE; // NaN, Infinity, or bad json: JsonParser reads it or reports where it is wrong
  }
  const check = new NativeCheck(opts, size);
  try {
    if (!check.ok(v, 0) || !check.withinBudget) return NOT_NATIVE;
  } catch {
    return NOT_NATIVE; // nesting deeper than the stack
  }
  fastPathHits["json.loads.native"]++;
  return v;
}

export function jsonLoads(data: Uint8Array, opts: ResolvedOptions): unknown {
  const text = decodeUtf8(data, "json");
  const v = nativeLoads(text, opts, data.length);
  if (v !== NOT_NATIVE) return v;
  return new JsonParser(text, opts, data.length).parseDocument();
}
