/**
 * serpent (Pyro4 serializer id 1): UTF-8 text of one Python literal
 * expression after the header line `# serpent utf-8 python3.2`.
 *
 * The writer emits what serpent 1.41 emits (with module_in_classname=True).
 * The reader is a hand-written tokenizer and recursive-descent parser for the
 * Python literal subset (never an evaluator), bounded by depth, item, string
 * length and integer size limits.
 */
import { fastPathHits } from "../../core/fast-paths.js";
import { releaseCopied } from "../../core/frame-arena.js";
import { Complex, Float } from "../../core/values.js";
import {
  isEmptyDict,
  latin1Of,
  NO_KWARGS,
  buildDict,
  buildSet,
  bytesOf,
  COST,
  checkHashable,
  classNameOf,
  decodeUtf8,
  encodeUtf8,
  instanceEntries,
  isPyInt,
  kindOf,
  limitError,
  normalizeInt,
  pyIsoformat,
  serError,
  setProp,
  tuple,
  typedItems,
  tooLargeError,
  unsupported,
  TextReader,
  WriteGuard,
  type ResolvedOptions,
} from "./common.js";
import { errorToPyroDict } from "./exceptions.js";
import { pyFloatRepr, pyStrRepr } from "./pyrepr.js";
import type { PyroURIValue } from "./uri-value.js";

export const SERPENT_HEADER = "# serpent utf-8 python3.2\n";

// ================================================================ writer

function floatText(x: number): string {
  if (Number.isNaN(x)) return "{'__class__':'float','value':'nan'}";
  if (x === Infinity) return "1e30000";
  if (x === -Infinity) return "-1e30000";
  return pyFloatRepr(x);
}

/** How each byte appears inside a single-quoted Python bytes literal. */
const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, c) => {
  if (c === 0x5c) return "\\\\";
  if (c === 0x27) return "\\'";
  if (c === 0x09) return "\\t";
  if (c === 0x0a) return "\\n";
  if (c === 0x0d) return "\\r";
  return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
});

/** Python's bytes literal `b'...'` (serpent's bytes_repr form, which Python's serpent reads as bytes). */
function bytesLiteral(b: Uint8Array): string {
  let out = "b'";
  for (let i = 0; i < b.length; i++) out += BYTE_TEXT[b[i]!];
  return out + "'";
}

/** repr() of recently written dict keys (the same few keys come back in every record of a list). */
const keyReprs = new Map<string, string>();

function keyRepr(k: string): string {
  let r = keyReprs.get(k);
  if (r === undefined) {
    r = pyStrRepr(k);
    if (k.length <= 64) {
      if (keyReprs.size >= 1024) keyReprs.clear();
      keyReprs.set(k, r);
    }
  }
  return r;
}

class SerpentWriter {
  out = SERPENT_HEADER;
  private readonly guard: WriteGuard;
  /** maxEncodedSize: the text is refused as soon as it is longer (its UTF-8 bytes are at least as many). */
  private readonly max: number;
  /** preserveTypes: bytes as `b'...'` literals (Python reads bytes) instead of Pyro4's base64 dict. */
  private readonly bytesLiterals: boolean;
  constructor(opts: ResolvedOptions) {
    this.guard = new WriteGuard(opts.maxDepth);
    this.max = opts.maxEncodedSize;
    this.bytesLiterals = opts.preserveTypes;
  }

  /** Refuses output past maxEncodedSize (checked per container element, so at most one element beyond). */
  check(): void {
    if (this.out.length > this.max) throw tooLargeError(this.out.length, this.max);
  }

  write(v: unknown, depth: number): void {
    switch (typeof v) {
      case "string":
        if (v.length > this.max) throw tooLargeError(v.length, this.max);
        this.out += pyStrRepr(v);
        return;
      case "number":
        this.out += isPyInt(v) ? String(v) : floatText(v);
        return;
      case "boolean":
        this.out += v ? "True" : "False";
        return;
      case "bigint":
        this.out += v.toString();
        return;
      case "undefined":
        this.out += "None";
        return;
      case "object":
        if (v === null) {
          this.out += "None";
          return;
        }
        if (Array.isArray(v)) {
          if (!Object.isFrozen(v)) {
            this.list(v, depth);
            return;
          }
        } else {
          const proto = Object.getPrototypeOf(v) as unknown;
          if (proto === Object.prototype || proto === null) {
            this.dict(v as Record<string, unknown>, depth);
            return;
          }
        }
        this.writeObject(v, depth);
        return;
      default:
        throw unsupported(v);
    }
  }

  /** A list (what seq() writes for it, without the iterator). */
  private list(a: unknown[], depth: number): void {
    this.guard.enter(a, depth + 1);
    this.out += "[";
    const n = a.length;
    for (let i = 0; i < n; i++) {
      if (i > 0) this.out += ",";
      this.write(a[i], depth + 1);
      this.check();
    }
    this.out += "]";
    this.guard.leave(a);
  }

  /** A plain object (what dictEntries() writes for its entries, without building them). */
  private dict(o: Record<string, unknown>, depth: number): void {
    this.guard.enter(o, depth + 1);
    this.out += "{";
    const keys = Object.keys(o);
    const n = keys.length;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      if (i > 0) this.out += ",";
      if (k.length > this.max) throw tooLargeError(k.length, this.max);
      this.out += keyRepr(k);
      this.out += ":";
      this.write(o[k], depth + 1);
      this.check();
    }
    this.out += "}";
    this.guard.leave(o);
  }

  private seq(items: Iterable<unknown>, open: string, close: string, depth: number, isTuple: boolean, hashable: boolean): void {
    this.out += open;
    let count = 0;
    for (const x of items) {
      if (count > 0) this.out += ",";
      if (hashable) checkHashable(x, false);
      this.write(x, depth + 1);
      count++;
      this.check();
    }
    if (isTuple && count === 1) this.out += ",";
    this.out += close;
  }

  private dictEntries(entries: Iterable<[unknown, unknown]>, depth: number, checkKeys: boolean, extra?: [string, string]): void {
    this.out += "{";
    let first = true;
    for (const [k, val] of entries) {
      if (!first) this.out += ",";
      first = false;
      if (checkKeys) checkHashable(k, false);
      this.write(k, depth + 1);
      this.out += ":";
      this.write(val, depth + 1);
      this.check();
    }
    if (extra) this.out += `${first ? "" : ","}${pyStrRepr(extra[0])}:${pyStrRepr(extra[1])}`;
    this.out += "}";
  }

  private writeObject(v: object, depth: number): void {
    const kind = kindOf(v);
    switch (kind) {
      case "bytes": {
        const b = bytesOf(v)!;
        if (b.length > this.max) throw tooLargeError(b.length, this.max);
        if (this.bytesLiterals) this.out += bytesLiteral(b);
        else this.out += `{'data':'${b.toString("base64")}','encoding':'base64'}`;
        return;
      }
      case "float":
        this.out += floatText((v as Float).value);
        return;
      case "complex": {
        const c = v as Complex;
        if (Number.isNaN(c.real) || Number.isNaN(c.imag)) throw serError("a complex number with a NaN part has no Python literal form");
        const neg = c.imag < 0 || Object.is(c.imag, -0);
        this.out += `(${floatText(c.real)}${neg ? "-" : "+"}${floatText(Math.abs(c.imag))}j)`;
        return;
      }
      case "decimal":
        this.out += pyStrRepr(String(v));
        return;
      case "date":
        this.out += pyStrRepr(pyIsoformat(v as Date));
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
          this.seq(v as readonly unknown[], "(", ")", depth, true, false);
          return;
        case "list":
          this.seq(v as unknown[], "[", "]", depth, false, false);
          return;
        case "typedlist":
          this.seq(typedItems(v as ArrayBufferView), "[", "]", depth, false, false);
          return;
        case "set":
          if ((v as Set<unknown>).size === 0) this.out += "()"; // serpent writes an empty set as an empty tuple
          else this.seq(v as Set<unknown>, "{", "}", depth, false, true);
          return;
        case "map":
          this.dictEntries(v as Map<unknown, unknown>, depth, true);
          return;
        case "dict":
          this.dictEntries(Object.entries(v), depth, false);
          return;
        case "uri":
          this.out += "{'__class__':'Pyro4.core.URI','state':";
          this.seq((v as PyroURIValue).toState(), "(", ")", depth + 1, true, false);
          this.out += "}";
          return;
        case "error":
          this.dictEntries(Object.entries(errorToPyroDict(v, undefined, true)), depth, false);
          return;
        default:
          this.dictEntries(instanceEntries(v), depth, false, ["__class__", classNameOf(v)]);
          return;
      }
    } finally {
      this.guard.leave(v);
    }
  }
}

/** The serpent text of a str, int, float, bool or None; undefined for anything else. */
function scalarText(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return pyStrRepr(v);
    case "number":
      return isPyInt(v) ? String(v) : floatText(v);
    case "boolean":
      return v ? "True" : "False";
    case "undefined":
      return "None";
    case "object":
      return v === null ? "None" : undefined;
    default:
      return undefined;
  }
}

/** The text as UTF-8 after `head` unwritten bytes, within maxEncodedSize. */
function encodedText(text: string, opts: ResolvedOptions, head: number): Buffer {
  const max = opts.maxEncodedSize;
  if (text.length > max) throw tooLargeError(text.length, max);
  const b = encodeUtf8(text, head);
  if (b.length - head > max) {
    releaseCopied(b);
    throw tooLargeError(b.length - head, max);
  }
  return b;
}

export function serpentDumps(value: unknown, opts: ResolvedOptions, head = 0): Buffer {
  if (typeof value === "string" && value.length > opts.maxEncodedSize) throw tooLargeError(value.length, opts.maxEncodedSize);
  const fast = scalarText(value); // the hot path: a plain result needs no writer
  if (fast !== undefined) {
    fastPathHits["serpent.dumps.scalar"]++;
    return encodedText(SERPENT_HEADER + fast, opts, head);
  }
  const w = new SerpentWriter(opts);
  w.write(value, 0);
  return encodedText(w.out, opts, head);
}

const ASCII_PRINTABLE = /^[ !#-&(-[\]-~]*$/; // what pyStrRepr writes unchanged between single quotes

/** The serpent text of a scalar when it is pure ASCII (plain strings, numbers, bools, None), else undefined. */
function asciiScalarText(v: unknown): string | undefined {
  if (typeof v === "string") return isPlainAscii(v) ? `'${v}'` : undefined;
  return scalarText(v);
}

/** At most 256 characters, each printable ASCII other than the quote and the backslash (what ASCII_PRINTABLE matches). */
function isPlainAscii(v: string): boolean {
  const n = v.length;
  if (n > 256) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < C_SPACE || c > 0x7e || c === C_SQ || c === C_BSLASH) return false;
  }
  return true;
}

/** Cached `HEADER('object','method',(` prefixes of the calls a proxy makes. */
const callPrefixes = new Map<string, Map<string, string>>();

function callPrefix(objectId: string, method: string): string | undefined {
  let byMethod = callPrefixes.get(objectId);
  let p = byMethod?.get(method);
  if (p !== undefined) return p;
  if (objectId.length > 256 || method.length > 256 || !ASCII_PRINTABLE.test(objectId) || !ASCII_PRINTABLE.test(method)) return undefined;
  p = `${SERPENT_HEADER}('${objectId}','${method}',(`;
  if (byMethod === undefined) {
    if (callPrefixes.size >= 64) callPrefixes.clear();
    byMethod = new Map();
    callPrefixes.set(objectId, byMethod);
  }
  if (byMethod.size >= 256) byMethod.clear();
  byMethod.set(method, p);
  return p;
}

/**
 * The hot path of serpentDumpsCall: the payload as text when every character
 * is ASCII (a few scalar arguments, no keyword arguments), else undefined.
 * Same text as serpentDumpsCall writes.
 */
export function serpentCallText(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>): string | undefined {
  if (typeof objectId !== "string" || typeof method !== "string" || !Array.isArray(vargs) || vargs.length > 16 || !isEmptyDict(kwargs)) return undefined;
  let text = callPrefix(objectId, method);
  if (text === undefined) return undefined;
  for (let i = 0; i < vargs.length; i++) {
    const t = asciiScalarText(vargs[i]);
    if (t === undefined) return undefined;
    text += i === 0 ? t : `,${t}`;
  }
  return vargs.length === 1 ? `${text},),{})` : `${text}),{})`;
}

/** The hot path of serpentDumps: a scalar result's payload as ASCII text, else undefined. */
export function serpentValueText(value: unknown): string | undefined {
  const t = asciiScalarText(value);
  return t === undefined ? undefined : SERPENT_HEADER + t;
}

export function serpentDumpsCall(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>, opts: ResolvedOptions, head = 0): Buffer {
  if (typeof objectId !== "string" || typeof method !== "string") throw serError("object id and method name must be strings");
  if (!Array.isArray(vargs)) throw serError("positional arguments must be an array");
  if (vargs.length <= 16 && isEmptyDict(kwargs)) {
    // the hot path: a few scalar arguments and no keyword arguments (what the general writer emits, without it)
    let text = `${SERPENT_HEADER}(${pyStrRepr(objectId)},${pyStrRepr(method)},(`;
    let ok = true;
    for (let i = 0; i < vargs.length; i++) {
      const t = scalarText(vargs[i]);
      if (t === undefined) {
        ok = false;
        break;
      }
      text += i === 0 ? t : `,${t}`;
    }
    if (ok) {
      fastPathHits["serpent.dumpsCall.scalars"]++;
      return encodedText(`${text}${vargs.length === 1 ? ",)" : ")"},{})`, opts, head);
    }
  }
  const w = new SerpentWriter(opts);
  w.out += `(${pyStrRepr(objectId)},${pyStrRepr(method)},`;
  w.write(tuple([...vargs]), 1);
  w.out += ",";
  w.write(kwargs ?? {}, 1);
  w.out += ")";
  return encodedText(w.out, opts, head);
}

// ================================================================ parser

const C_TAB = 9,
  C_LF = 10,
  C_VT = 11,
  C_FF = 12,
  C_CR = 13,
  C_SPACE = 32,
  C_DQ = 34,
  C_HASH = 35,
  C_SQ = 39,
  C_LPAR = 40,
  C_RPAR = 41,
  C_PLUS = 43,
  C_COMMA = 44,
  C_MINUS = 45,
  C_DOT = 46,
  C_0 = 48,
  C_9 = 57,
  C_COLON = 58,
  C_LBRACK = 91,
  C_BSLASH = 92,
  C_RBRACK = 93,
  C_UNDERSCORE = 95,
  C_LBRACE = 123,
  C_RBRACE = 125;

function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}
function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === C_UNDERSCORE || c > 127;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** Marks a Complex that came from a bare imaginary literal such as `2j` (for `a+bj` sums). */
const IMAG = new WeakSet<Complex>();

export class SerpentParser extends TextReader {
  /** Where the next backslash, line feed, carriage return and NUL are (-2: not searched yet, -1: none), for plain string literals. */
  private readonly next = [-2, -2, -2, -2];

  constructor(s: string, opts: ResolvedOptions, size?: number) {
    super(s, opts, "serpent", size);
  }

  /** The index of the next `ch` at or after `from` (the end of the text when there is none); each character is searched for once per document. */
  private nextOf(k: number, ch: string, from: number): number {
    let p = this.next[k]!;
    if (p === -1) return this.n;
    if (p < from) {
      p = this.s.indexOf(ch, from);
      this.next[k] = p;
      if (p < 0) return this.n;
    }
    return p;
  }

  parseDocument(): unknown {
    this.skipWs();
    if (this.i >= this.n) throw serError("serpent data is empty");
    const v = this.parseExpr(0);
    this.skipWs();
    if (this.i < this.n) this.fail("unexpected text after the value");
    return v;
  }

  private skipWs(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === C_SPACE || c === C_LF || c === C_CR || c === C_TAB || c === C_FF || c === C_VT) this.i++;
      else if (c === C_HASH) {
        const nl = s.indexOf("\n", this.i);
        this.i = nl < 0 ? this.n : nl + 1;
      } else if (c === C_BSLASH && (s.charCodeAt(this.i + 1) === C_LF || s.charCodeAt(this.i + 1) === C_CR)) {
        this.i += 2; // explicit line continuation
      } else return;
    }
  }

  private expectNumeric(v: unknown): number | bigint | Complex {
    if (typeof v === "number" || typeof v === "bigint" || v instanceof Complex) return v;
    this.fail("a sign can only be applied to a number");
  }

  private parseExpr(depth: number): unknown {
    const start = this.i;
    const c0 = this.s.charCodeAt(start);
    // a string or a list is never part of a complex sum: no need to look past it (the callers skip the whitespace after a value)
    if (c0 === C_SQ || c0 === C_DQ) return this.parseStrings();
    if (c0 === C_LBRACK) return this.parseList(depth);
    // True, False and None (what parseName reads them as)
    if (c0 === 0x54 && this.s.startsWith("True", start) && !isIdentChar(this.s.charCodeAt(start + 4))) {
      this.i = start + 4;
      return true;
    }
    if (c0 === 0x46 && this.s.startsWith("False", start) && !isIdentChar(this.s.charCodeAt(start + 5))) {
      this.i = start + 5;
      return false;
    }
    if (c0 === 0x4e && this.s.startsWith("None", start) && !isIdentChar(this.s.charCodeAt(start + 4))) {
      this.i = start + 4;
      return null;
    }
    const left = c0 >= C_0 && c0 <= C_9 ? this.parseNumber(false) : this.parseUnary(depth);
    if (typeof left !== "number" && typeof left !== "bigint") return left;
    this.skipWs();
    const c = this.s.charCodeAt(this.i);
    if ((c === C_PLUS || c === C_MINUS) && (typeof left === "number" || typeof left === "bigint")) {
      // a complex number written as real +/- imaginary, e.g. 1.0-2.0j or -0.0+-0.0j
      this.i++;
      this.skipWs();
      const c2 = this.s.charCodeAt(this.i);
      const signed = c2 === C_PLUS || c2 === C_MINUS;
      const right = this.parseUnary(depth);
      if (!(right instanceof Complex) || !IMAG.has(right)) {
        this.i = start;
        this.fail("only complex literals (real +/- imaginary) may use + or -");
      }
      const re = Number(left);
      // serpent writes (-0.0+-0.0j) for signed zeros, which Python itself cannot read: keep the signs
      if (signed) return new Complex(re, c === C_PLUS ? right.imag : -right.imag);
      // otherwise compute as Python does (float +/- complex), signed zeros included
      return c === C_PLUS ? new Complex(re + right.real, 0 + right.imag) : new Complex(re - right.real, 0 - right.imag);
    }
    return left;
  }

  private parseUnary(depth: number): unknown {
    this.skipWs();
    let neg = false;
    let signs = 0;
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (c === C_MINUS) neg = !neg;
      else if (c !== C_PLUS) break;
      if (++signs > this.opts.maxDepth) throw limitError(`more than ${this.opts.maxDepth} signs in a row`);
      this.i++;
      this.skipWs();
    }
    if (signs === 0) return this.parsePrimary(depth);
    const c = this.s.charCodeAt(this.i);
    if (isDigit(c) || (c === C_DOT && isDigit(this.s.charCodeAt(this.i + 1)))) return this.parseNumber(neg);
    const v = this.expectNumeric(this.parsePrimary(depth));
    if (!neg) return v;
    if (typeof v === "number") return -v;
    if (typeof v === "bigint") return normalizeInt(-v);
    const r = new Complex(-v.real, -v.imag);
    if (IMAG.has(v)) IMAG.add(r);
    return r;
  }

  private parsePrimary(depth: number): unknown {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    switch (c) {
      case C_SQ:
      case C_DQ:
        return this.parseStrings();
      case C_LPAR:
        return this.parseParen(depth);
      case C_LBRACK:
        return this.parseList(depth);
      case C_LBRACE:
        return this.parseBrace(depth);
      case C_DOT:
        if (isDigit(s.charCodeAt(this.i + 1))) return this.parseNumber(false);
        this.fail("unexpected '.'");
        break;
      default:
        if (isDigit(c)) return this.parseNumber(false);
        if (isIdentChar(c)) {
          if (this.isStringStart()) return this.parseStrings();
          return this.parseName();
        }
        if (this.i >= this.n) this.fail("value expected");
        this.fail("unexpected character");
    }
  }

  private parseName(): unknown {
    const s = this.s;
    const start = this.i;
    while (this.i < this.n && isIdentChar(s.charCodeAt(this.i))) this.i++;
    const name = s.slice(start, this.i);
    switch (name) {
      case "None":
        return null;
      case "True":
        return true;
      case "False":
        return false;
      case "set": {
        // set() — the only call ast.literal_eval accepts
        this.skipWs();
        if (s.charCodeAt(this.i) === C_LPAR) {
          this.i++;
          this.skipWs();
          if (s.charCodeAt(this.i) === C_RPAR) {
            this.i++;
            this.charge(COST.object + COST.hashTable);
            return new Set();
          }
        }
        break;
      }
    }
    this.i = start;
    this.fail(`name '${name.slice(0, 40)}' is not a literal`);
  }

  private parseParen(depth: number): unknown {
    this.enter(depth);
    this.i++;
    this.skipWs();
    if (this.s.charCodeAt(this.i) === C_RPAR) {
      this.i++;
      return tuple([]);
    }
    const first = this.parseExpr(depth + 1);
    this.skipWs();
    let c = this.s.charCodeAt(this.i);
    if (c === C_RPAR) {
      this.i++;
      return first; // parenthesized expression
    }
    if (c !== C_COMMA) this.fail("',' or ')' expected");
    this.count();
    const st = this.stack;
    const base = st.length;
    st.push(first);
    for (;;) {
      this.i++; // the comma
      this.skipWs();
      if (this.s.charCodeAt(this.i) === C_RPAR) break;
      st.push(this.parseExpr(depth + 1));
      this.count();
      this.skipWs();
      c = this.s.charCodeAt(this.i);
      if (c === C_RPAR) break;
      if (c !== C_COMMA) this.fail("',' or ')' expected");
    }
    this.i++;
    return tuple(this.popFrom(base));
  }

  private parseList(depth: number): unknown[] {
    this.enter(depth);
    this.i++;
    const st = this.stack;
    const base = st.length;
    for (;;) {
      this.skipWs();
      if (this.s.charCodeAt(this.i) === C_RBRACK) break;
      st.push(this.parseExpr(depth + 1));
      this.count();
      this.skipWs();
      const c = this.s.charCodeAt(this.i);
      if (c === C_RBRACK) break;
      if (c !== C_COMMA) this.fail("',' or ']' expected");
      this.i++;
    }
    this.i++;
    return this.popFrom(base);
  }

  private parseBrace(depth: number): unknown {
    this.enter(depth, COST.object);
    this.i++;
    this.skipWs();
    if (this.s.charCodeAt(this.i) === C_RBRACE) {
      this.i++;
      return {};
    }
    const first = this.parseExpr(depth + 1);
    this.skipWs();
    if (this.s.charCodeAt(this.i) === C_COLON) {
      const keys: unknown[] = [first];
      const values: unknown[] = [];
      this.i++;
      values.push(this.parseExpr(depth + 1));
      this.count(COST.entry);
      for (;;) {
        this.skipWs();
        const c = this.s.charCodeAt(this.i);
        if (c === C_RBRACE) break;
        if (c !== C_COMMA) this.fail("',' or '}' expected");
        this.i++;
        this.skipWs();
        if (this.s.charCodeAt(this.i) === C_RBRACE) break;
        const k = this.parseExpr(depth + 1);
        this.checkKey(k);
        keys.push(k);
        this.skipWs();
        if (this.s.charCodeAt(this.i) !== C_COLON) this.fail("':' expected");
        this.i++;
        values.push(this.parseExpr(depth + 1));
        this.count(COST.entry);
      }
      this.i++;
      this.checkKey(first);
      const d = buildDict(keys, values, this.opts, true, this.hashing);
      if (d instanceof Map) this.charge(COST.hashTable);
      return d;
    }
    // a set
    this.checkKey(first);
    this.charge(COST.hashTable);
    const items: unknown[] = [first];
    this.count(COST.entry);
    for (;;) {
      this.skipWs();
      const c = this.s.charCodeAt(this.i);
      if (c === C_RBRACE) break;
      if (c !== C_COMMA) this.fail("',' or '}' expected");
      this.i++;
      this.skipWs();
      if (this.s.charCodeAt(this.i) === C_RBRACE) break;
      const v = this.parseExpr(depth + 1);
      this.checkKey(v);
      items.push(v);
      this.count(COST.entry);
    }
    this.i++;
    return buildSet(items, this.hashing);
  }

  /** Python refuses unhashable dict keys and set elements (lists, dicts, sets). */
  private checkKey(k: unknown): void {
    if (typeof k !== "object" || k === null) return;
    if (Array.isArray(k)) {
      if (!Object.isFrozen(k)) this.fail("unhashable type 'list' used as a dict key or set element");
      for (const x of k) this.checkKey(x);
      return;
    }
    if (k instanceof Complex || Buffer.isBuffer(k) || k instanceof Float) return;
    this.fail("unhashable type used as a dict key or set element");
  }

  // ---------------------------------------------------------------- numbers

  private digitRun(allowed: (c: number) => boolean): void {
    // digits with single underscores between them
    const s = this.s;
    if (!allowed(s.charCodeAt(this.i))) this.fail("digit expected");
    this.i++;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (allowed(c)) this.i++;
      else if (c === C_UNDERSCORE && allowed(s.charCodeAt(this.i + 1))) this.i += 2;
      else return;
    }
  }

  private parseNumber(neg: boolean): unknown {
    const s = this.s;
    const start = this.i;
    const c0 = s.charCodeAt(start);
    const c1 = s.charCodeAt(start + 1) | 0x20;
    if (c0 === C_0 && (c1 === 0x78 || c1 === 0x6f || c1 === 0x62)) {
      // 0x / 0o / 0b
      this.i += 2;
      if (s.charCodeAt(this.i) === C_UNDERSCORE) this.i++;
      const allowed = c1 === 0x78 ? isHex : c1 === 0x6f ? (c: number) => c >= C_0 && c <= 55 : (c: number) => c === C_0 || c === 49;
      this.digitRun(allowed);
      this.endOfNumber();
      const text = s.slice(start, this.i).replace(/_/g, "");
      if (text.length - 2 > this.opts.maxIntDigits) throw limitError(`integer literal longer than ${this.opts.maxIntDigits} digits`);
      const b = BigInt(text);
      this.charge(COST.number + (text.length >> 1));
      return normalizeInt(neg ? -b : b);
    }
    if (c0 >= C_0 && c0 <= C_9) {
      // the whole class of plain decimal numbers (digits, an optional fraction and exponent; no '_', no 'j'), scanned
      // in one loop and read by decimalValue() as the general path below reads them
      let j = start + 1;
      let c = s.charCodeAt(j);
      let acc = c0 - C_0;
      while (c >= C_0 && c <= C_9) {
        acc = acc * 10 + (c - C_0);
        c = s.charCodeAt(++j);
      }
      const intEnd = j;
      if (intEnd - start <= 9 && c0 !== C_0 && c !== C_DOT && (c | 0x20) !== 0x65 && c !== C_UNDERSCORE && !isIdentChar(c)) {
        // an int of at most 9 digits: its value is the digits' (what Number() of the text gives), with no cost charged
        fastPathHits["serpent.number.plain"]++;
        this.i = j;
        return neg ? -acc : acc;
      }
      let isFloat = false;
      if (c === C_DOT) {
        isFloat = true;
        c = s.charCodeAt(++j);
        while (c >= C_0 && c <= C_9) c = s.charCodeAt(++j);
      }
      let plain = true;
      if ((c | 0x20) === 0x65) {
        isFloat = true;
        let k = j + 1;
        let d = s.charCodeAt(k);
        if (d === C_PLUS || d === C_MINUS) d = s.charCodeAt(++k);
        if (d >= C_0 && d <= C_9) {
          while (d >= C_0 && d <= C_9) d = s.charCodeAt(++k);
          j = k;
          c = d;
        } else plain = false;
      }
      if (plain && c !== C_UNDERSCORE && c !== C_DOT && !isIdentChar(c)) {
        fastPathHits["serpent.number.plain"]++;
        this.i = j;
        return this.decimalValue(s.slice(start, j), isFloat, neg, start, intEnd);
      }
    }
    let isFloat = false;
    if (c0 !== C_DOT) this.digitRun(isDigit);
    const intEnd = this.i;
    if (s.charCodeAt(this.i) === C_DOT) {
      isFloat = true;
      this.i++;
      if (isDigit(s.charCodeAt(this.i))) this.digitRun(isDigit);
    }
    if ((s.charCodeAt(this.i) | 0x20) === 0x65) {
      const save = this.i;
      this.i++;
      const sc = s.charCodeAt(this.i);
      if (sc === C_PLUS || sc === C_MINUS) this.i++;
      if (!isDigit(s.charCodeAt(this.i))) {
        this.i = save;
        this.fail("malformed exponent");
      }
      this.digitRun(isDigit);
      isFloat = true;
    }
    let imag = false;
    if ((s.charCodeAt(this.i) | 0x20) === 0x6a) {
      imag = true;
      this.i++;
    }
    this.endOfNumber();
    const raw = s.slice(start, imag ? this.i - 1 : this.i);
    const text = raw.includes("_") ? raw.replace(/_/g, "") : raw;
    if (imag) {
      this.charge(COST.boxed);
      const c = neg ? new Complex(-0, -Number(text)) : new Complex(0, Number(text));
      IMAG.add(c);
      return c;
    }
    return this.decimalValue(text, isFloat, neg, start, intEnd);
  }

  /** The value of a decimal int or float literal (no '_', no 'j') that starts at `start`, its integer part ending at `intEnd`. */
  private decimalValue(text: string, isFloat: boolean, neg: boolean, start: number, intEnd: number): unknown {
    if (isFloat) {
      this.charge(COST.number);
      const v = neg ? -Number(text) : Number(text);
      if (this.opts.preserveTypes && isPyInt(v)) {
        this.charge(COST.float - COST.number);
        return new Float(v);
      }
      return v;
    }
    // a decimal int
    if (this.s.charCodeAt(start) === C_0 && intEnd - start > 1 && /[1-9]/.test(text)) {
      this.i = start;
      this.fail("leading zeros in a decimal integer literal");
    }
    if (text.length <= 9) {
      const v = Number(text);
      return neg && v !== 0 ? -v : v;
    }
    this.charge(COST.number + (text.length >> 1));
    if (text.length <= 15) {
      const v = Number(text);
      return neg && v !== 0 ? -v : v;
    }
    if (text.length > this.opts.maxIntDigits) throw limitError(`integer literal longer than ${this.opts.maxIntDigits} digits`);
    const b = BigInt(text);
    return normalizeInt(neg ? -b : b);
  }

  private endOfNumber(): void {
    const c = this.s.charCodeAt(this.i);
    if (isIdentChar(c) || c === C_DOT) this.fail("malformed number");
  }

  // ---------------------------------------------------------------- strings

  private isStringStart(): boolean {
    const s = this.s;
    let j = this.i;
    for (let k = 0; k < 2; k++) {
      const c = s.charCodeAt(j) | 0x20;
      if (c === 0x72 || c === 0x62 || c === 0x75) j++;
      else break;
    }
    if (j === this.i) return false;
    const q = s.charCodeAt(j);
    if (q !== C_SQ && q !== C_DQ) return false;
    const prefix = s.slice(this.i, j).toLowerCase();
    return prefix === "r" || prefix === "b" || prefix === "u" || prefix === "br" || prefix === "rb";
  }

  /** One or more adjacent string literals (implicit concatenation). */
  private parseStrings(): string | Buffer {
    const s = this.s;
    const q = s.charCodeAt(this.i);
    if ((q === C_SQ || q === C_DQ) && s.charCodeAt(this.i + 1) !== q) {
      // one plain literal (what parseStringLiteral cuts out) with a ',', ':' or closing bracket right after it: no
      // other literal can follow, so it is the whole value
      const start = this.i + 1;
      const end = s.indexOf(q === C_SQ ? "'" : '"', start);
      if (end >= 0) {
        const after = s.charCodeAt(end + 1);
        if (
          (after === C_COMMA || after === C_COLON || after === C_RBRACE || after === C_RBRACK || after === C_RPAR) &&
          this.nextOf(0, "\\", start) > end &&
          this.nextOf(1, "\n", start) > end &&
          this.nextOf(2, "\r", start) > end &&
          this.nextOf(3, "\0", start) > end
        ) {
          const len = end - start;
          const max = this.opts.maxStringLength;
          if (len > max) throw limitError(`string longer than ${max} characters`);
          fastPathHits["serpent.string.plain"]++;
          this.i = end + 1;
          this.charge(COST.string + len);
          return s.slice(start, end);
        }
      }
    }
    let isBytes: boolean | undefined;
    let acc = "";
    for (;;) {
      const start = this.i;
      const lit = this.parseStringLiteral(acc.length);
      if (isBytes === undefined) isBytes = lit.bytes;
      else if (isBytes !== lit.bytes) {
        this.i = start;
        this.fail("cannot mix bytes and str literals");
      }
      acc += lit.text;
      const next = this.s.charCodeAt(this.i);
      if (next === C_COMMA || next === C_COLON || next === C_RBRACE || next === C_RBRACK || next === C_RPAR) break;
      const save = this.i;
      this.skipWs();
      const c = this.s.charCodeAt(this.i);
      if (!(c === C_SQ || c === C_DQ || (isIdentChar(c) && this.isStringStart()))) {
        this.i = save;
        break;
      }
    }
    this.charge((isBytes ? COST.boxed : COST.string) + acc.length);
    return isBytes ? Buffer.from(acc, "latin1") : acc;
  }

  private parseStringLiteral(already: number): { text: string; bytes: boolean } {
    const s = this.s;
    let raw = false;
    let bytes = false;
    for (;;) {
      const c = s.charCodeAt(this.i) | 0x20;
      if (c === 0x72) raw = true;
      else if (c === 0x62) bytes = true;
      else if (c !== 0x75) break;
      this.i++;
    }
    const qc = s.charCodeAt(this.i);
    const triple = s.charCodeAt(this.i + 1) === qc && s.charCodeAt(this.i + 2) === qc;
    this.i += triple ? 3 : 1;
    const max = this.opts.maxStringLength;
    if (!raw && !bytes && !triple) {
      // the whole class of plain literals (no backslash, line break or NUL before the closing quote): found by
      // searching, not character by character, and cut out of the text as they are
      const start = this.i;
      const end = s.indexOf(qc === C_SQ ? "'" : '"', start);
      if (end >= 0 && this.nextOf(0, "\\", start) > end && this.nextOf(1, "\n", start) > end && this.nextOf(2, "\r", start) > end && this.nextOf(3, "\0", start) > end) {
        if (end - start + already > max) throw limitError(`string longer than ${max} characters`);
        fastPathHits["serpent.string.plain"]++;
        this.i = end + 1;
        return { text: s.slice(start, end), bytes: false };
      }
    }
    let out = "";
    let seg = this.i;
    let j = this.i;
    const n = this.n;
    for (;;) {
      if (j >= n) {
        this.i = j;
        this.fail("unterminated string literal");
      }
      const c = s.charCodeAt(j);
      if (c === qc) {
        if (!triple) break;
        if (s.charCodeAt(j + 1) === qc && s.charCodeAt(j + 2) === qc) break;
        j++;
        continue;
      }
      if (c === C_BSLASH) {
        out += s.slice(seg, j);
        if (out.length + already > max) throw limitError(`string longer than ${max} characters`);
        j++;
        if (j >= n) {
          this.i = j;
          this.fail("unterminated string literal");
        }
        if (raw) {
          // in raw literals a backslash keeps the next character (and stops it from ending the literal)
          out += s[j - 1]! + s[j]!;
          j++;
          seg = j;
          continue;
        }
        const r = this.escape(j, bytes);
        out += r.text;
        j = r.next;
        seg = j;
        continue;
      }
      if ((c === C_LF || c === C_CR) && !triple) {
        this.i = j;
        this.fail("end of line inside a string literal");
      }
      if (c === 0) {
        this.i = j;
        this.fail("NUL character in serpent data");
      }
      if (bytes && c > 127) {
        this.i = j;
        this.fail("bytes literals can only contain ASCII characters");
      }
      j++;
    }
    if (out.length + (j - seg) + already > max) throw limitError(`string longer than ${max} characters`);
    out += s.slice(seg, j);
    this.i = j + (triple ? 3 : 1);
    return { text: out, bytes };
  }

  /** An escape sequence; `j` is the index just after the backslash. */
  private escape(j: number, bytes: boolean): { text: string; next: number } {
    const s = this.s;
    const e = s[j]!;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) return { text: simple, next: j + 1 };
    const code = s.charCodeAt(j);
    if (code === C_LF) return { text: "", next: j + 1 };
    if (code === C_CR) return { text: "", next: s.charCodeAt(j + 1) === C_LF ? j + 2 : j + 1 };
    if (code >= C_0 && code <= 55) {
      let k = j;
      let v = 0;
      while (k < j + 3 && s.charCodeAt(k) >= C_0 && s.charCodeAt(k) <= 55) v = v * 8 + (s.charCodeAt(k++) - C_0);
      if (bytes && v > 255) {
        this.i = j;
        this.fail("octal escape out of range in a bytes literal");
      }
      return { text: String.fromCharCode(v), next: k };
    }
    const hexDigits = e === "x" ? 2 : bytes ? 0 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (hexDigits > 0) {
      const h = s.slice(j + 1, j + 1 + hexDigits);
      if (h.length !== hexDigits || ![...h].every((ch) => isHex(ch.charCodeAt(0)))) {
        this.i = j;
        this.fail(`truncated \\${e} escape`);
      }
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff) {
        this.i = j;
        this.fail("\\U escape out of range");
      }
      return { text: String.fromCodePoint(cp), next: j + 1 + hexDigits };
    }
    if (e === "N" && !bytes) {
      this.i = j;
      this.fail("\\N{name} escapes are not supported");
    }
    // unknown escapes stay as they are, backslash included (as Python does)
    return { text: `\\${e}`, next: j + 1 };
  }
}

// ---------------------------------------------------------------- the tree reader

/** Thrown inside SerpentTreeReader for text outside its class; never leaves serpentTree(). */
const OUTSIDE: unique symbol = Symbol("outside the tree reader's class");

/** What serpentTree() returns for text outside its class. */
const NOT_TREE: unique symbol = Symbol("not a tree document");

/** 10^k for k <= 22: every one exactly a double. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Keys recently read from single-quoted literals, by their position in their dict (the records of a list share them). */
const keyHints: Array<string | undefined> = [];
const KEY_HINTS = 32;
const KEY_HINT_MAX_LENGTH = 64;

/**
 * A second reader for the commonest class of serpent documents: lists,
 * tuples and dicts with plain string-literal keys, of plain string literals,
 * decimal ints (up to maxIntDigits digits), decimal floats, True, False and None, with
 * no whitespace other than spaces and no backslash, line break or NUL after
 * the header line. One recursive function over the character codes builds
 * the values directly (no key and value lists, no token objects). Anything
 * else throws OUTSIDE, and serpentTree() returns NOT_TREE so that the full
 * parser reads the document (and reports its errors) as it always did.
 *
 * It reads every value in its class to what SerpentParser reads, and charges
 * and counts through TextReader in the same order (depth, items, the
 * decoded-size budget); a limit error also ends in NOT_TREE, and the full
 * parser then throws it.
 */
class SerpentTreeReader extends TextReader {
  constructor(s: string, opts: ResolvedOptions, size: number) {
    super(s, opts, "serpent", size);
  }

  read(start: number): unknown {
    this.i = start;
    this.spaces();
    const v = this.value(0);
    this.spaces();
    if (this.i !== this.n) throw OUTSIDE;
    return v;
  }

  private spaces(): void {
    while (this.s.charCodeAt(this.i) === C_SPACE) this.i++;
  }

  /** One value; what follows it is checked by its container (a separator, else OUTSIDE: so "Truex", "1j", "'a' 'b'" are outside). */
  private value(depth: number): unknown {
    const s = this.s;
    const i = this.i;
    const c = s.charCodeAt(i);
    switch (c) {
      case C_SQ:
      case C_DQ:
        return this.str(c);
      case C_LBRACE:
        return this.dict(depth);
      case C_LBRACK:
        return this.list(depth);
      case C_LPAR:
        return this.tuple(depth);
      case 0x54: // True
        if (s.charCodeAt(i + 1) === 0x72 && s.charCodeAt(i + 2) === 0x75 && s.charCodeAt(i + 3) === 0x65) {
          this.i = i + 4;
          return true;
        }
        throw OUTSIDE;
      case 0x46: // False
        if (s.startsWith("alse", i + 1)) {
          this.i = i + 5;
          return false;
        }
        throw OUTSIDE;
      case 0x4e: // None
        if (s.charCodeAt(i + 1) === 0x6f && s.charCodeAt(i + 2) === 0x6e && s.charCodeAt(i + 3) === 0x65) {
          this.i = i + 4;
          return null;
        }
        throw OUTSIDE;
      default:
        return this.number();
    }
  }

  /** A plain string literal (the text has no backslash, line break or NUL after its header). */
  private str(q: number): string {
    const s = this.s;
    const start = this.i + 1;
    const end = s.indexOf(q === C_SQ ? "'" : '"', start);
    if (end < 0) throw OUTSIDE;
    const len = end - start;
    if (len > this.opts.maxStringLength) throw OUTSIDE;
    this.charge(COST.string + len);
    this.i = end + 1;
    return s.slice(start, end);
  }

  /** A dict key: a plain string literal, the same string as the key at this position of an earlier dict when the text is the same. */
  private key(at: number): string {
    const s = this.s;
    const i = this.i;
    const q = s.charCodeAt(i);
    if (q === C_SQ) {
      const hint = keyHints[at];
      if (hint !== undefined && s.charCodeAt(i + 1 + hint.length) === C_SQ && s.startsWith(hint, i + 1)) {
        // a hint has no quote in it: the literal is exactly the hint
        if (hint.length > this.opts.maxStringLength) throw OUTSIDE;
        this.charge(COST.string + hint.length);
        this.i = i + 2 + hint.length;
        return hint;
      }
      const k = this.str(q);
      if (at < KEY_HINTS && k.length <= KEY_HINT_MAX_LENGTH) keyHints[at] = k;
      return k;
    }
    if (q === C_DQ) return this.str(q);
    throw OUTSIDE;
  }

  /**
   * After an element of a list or tuple: true when it was the last one (its
   * closing bracket `close`, after an optional comma, is passed), false after
   * the comma before the next one.
   */
  private last(close: number): boolean {
    const s = this.s;
    this.spaces();
    const c = s.charCodeAt(this.i);
    if (c === close) {
      this.i++;
      return true;
    }
    if (c !== C_COMMA) throw OUTSIDE;
    this.i++;
    this.spaces();
    if (s.charCodeAt(this.i) !== close) return false;
    this.i++;
    return true;
  }

  private list(depth: number): unknown[] {
    this.enter(depth);
    this.i++;
    this.spaces();
    if (this.s.charCodeAt(this.i) === C_RBRACK) {
      this.i++;
      return [];
    }
    return this.elements(depth + 1, C_RBRACK, this.value(depth + 1));
  }

  private tuple(depth: number): unknown {
    this.enter(depth);
    this.i++;
    this.spaces();
    if (this.s.charCodeAt(this.i) === C_RPAR) {
      this.i++;
      return tuple([]);
    }
    const first = this.value(depth + 1);
    this.spaces();
    if (this.s.charCodeAt(this.i) !== C_COMMA) throw OUTSIDE; // "(x)" is x itself, not a tuple: left to the full parser
    return tuple(this.elements(depth + 1, C_RPAR, first));
  }

  /**
   * The elements of a list or tuple at depth `d`, the first one (`v0`) read:
   * up to 4 as an array literal, more through the stack (either way an array
   * of exactly their number, as the full parser builds).
   */
  private elements(d: number, close: number, v0: unknown): unknown[] {
    this.count();
    if (this.last(close)) return [v0];
    const v1 = this.value(d);
    this.count();
    if (this.last(close)) return [v0, v1];
    const v2 = this.value(d);
    this.count();
    if (this.last(close)) return [v0, v1, v2];
    const v3 = this.value(d);
    this.count();
    if (this.last(close)) return [v0, v1, v2, v3];
    const st = this.stack;
    const base = st.length;
    st.push(v0, v1, v2, v3);
    do {
      st.push(this.value(d));
      this.count();
    } while (!this.last(close));
    return this.popFrom(base);
  }

  private dict(depth: number): Record<string, unknown> {
    this.enter(depth, COST.object);
    const s = this.s;
    this.i++;
    this.spaces();
    const o: Record<string, unknown> = {};
    if (s.charCodeAt(this.i) === C_RBRACE) {
      this.i++;
      return o;
    }
    let entries = 0;
    for (;;) {
      const k = this.key(entries);
      this.spaces();
      if (s.charCodeAt(this.i) !== C_COLON) throw OUTSIDE; // a set, or not a dict
      this.i++;
      this.spaces();
      const v = this.value(depth + 1);
      this.count(COST.entry);
      if (k.length === 9 && (k === "__proto__" || k === "__class__")) {
        if (k === "__class__") throw OUTSIDE; // a class dict: buildDict's (the full parser's) business
        setProp(o, k, v);
      } else o[k] = v;
      entries++;
      this.spaces();
      const c = s.charCodeAt(this.i);
      if (c === C_COMMA) {
        this.i++;
        this.spaces();
        if (s.charCodeAt(this.i) === C_RBRACE) break;
      } else if (c === C_RBRACE) break;
      else throw OUTSIDE;
    }
    this.i++;
    // serpent's bytes dict, which buildDict turns into a Buffer with these options
    if (entries === 2 && (this.opts.bytesAsBuffer || this.opts.preserveTypes) && typeof o["data"] === "string" && o["encoding"] === "base64") throw OUTSIDE;
    return o;
  }

  /** A decimal int (no leading zero) or a decimal float, with an optional "-". */
  private number(): number | bigint | Float {
    const s = this.s;
    let i = this.i;
    let neg = false;
    let c = s.charCodeAt(i);
    if (c === C_MINUS) {
      neg = true;
      c = s.charCodeAt(++i);
    }
    const start = i;
    if (!(c >= C_0 && c <= C_9)) throw OUTSIDE; // (NaN past the end)
    let m = c - C_0;
    c = s.charCodeAt(++i);
    if (m === 0 && c >= C_0 && c <= C_9) throw OUTSIDE; // leading zeros: "00" is 0, "007" an error (the full parser's business)
    while (c >= C_0 && c <= C_9) {
      m = m * 10 + (c - C_0);
      c = s.charCodeAt(++i);
    }
    const intDigits = i - start;
    if (c !== C_DOT && (c | 0x20) !== 0x65) {
      // an int: up to 9 digits cost nothing, longer ones what decimalValue() charges; beyond 15 digits a bigint (but a safe one)
      if (intDigits > 9) {
        if (intDigits > this.opts.maxIntDigits) throw OUTSIDE; // the full parser reports the limit
        this.charge(COST.number + (intDigits >> 1));
        if (intDigits > 15) {
          this.i = i;
          const b = BigInt(s.slice(start, i));
          return normalizeInt(neg ? -b : b);
        }
      }
      this.i = i;
      return neg ? 0 - m : m; // "-0" is 0
    }
    // a float: exactly what Number() of its text gives (m / 10^k is correctly rounded when m < 2^53 and k <= 22)
    let k = 0;
    if (c === C_DOT) {
      c = s.charCodeAt(++i);
      while (c >= C_0 && c <= C_9) {
        m = m * 10 + (c - C_0);
        k++;
        c = s.charCodeAt(++i);
      }
    }
    let v: number;
    if ((c | 0x20) === 0x65) {
      let j = i + 1;
      let d = s.charCodeAt(j);
      if (d === C_PLUS || d === C_MINUS) d = s.charCodeAt(++j);
      if (!(d >= C_0 && d <= C_9)) throw OUTSIDE; // a malformed exponent (or NaN past the end)
      while (d >= C_0 && d <= C_9) d = s.charCodeAt(++j);
      i = j;
      v = Number(s.slice(start, i));
    } else v = intDigits + k <= 15 ? m / POW10[k]! : Number(s.slice(start, i));
    this.charge(COST.number);
    this.i = i;
    if (neg) v = -v;
    if (this.opts.preserveTypes && isPyInt(v)) {
      this.charge(COST.float - COST.number);
      return new Float(v);
    }
    return v;
  }
}

/**
 * The value of the serpent text when it is in SerpentTreeReader's class,
 * else NOT_TREE (also for text in the class that passes a limit: the full
 * parser then reads it and throws the error).
 */
function serpentTree(text: string, opts: ResolvedOptions, size: number, bytes: Uint8Array): unknown {
  let start = 0;
  if (text.charCodeAt(0) === C_HASH) {
    start = text.indexOf("\n") + 1; // after the header line (a comment)
    if (start === 0) return NOT_TREE;
  }
  const c = text.charCodeAt(start);
  // the first character of a value in the class, then the characters no text in the class has
  if (!(c === C_LBRACK || c === C_LBRACE || c === C_LPAR || c === C_SQ || c === C_DQ || c === C_MINUS || isDigit(c) || c === 0x54 || c === 0x46 || c === 0x4e || c === C_SPACE)) return NOT_TREE;
  // (a CR anywhere: Python's universal newlines would make it a line break, possibly inside the header line)
  if (hasOutsideBytes(bytes, start > 0)) return NOT_TREE;
  try {
    return new SerpentTreeReader(text, opts, size).read(start);
  } catch {
    // outside the class, past a limit, or out of stack: the full parser reads it
    return NOT_TREE;
  }
}

/**
 * Whether the UTF-8 text has a byte no document of the tree reader's class has: a backslash, CR or NUL anywhere, or a
 * line feed after the header line's (`header`) or anywhere (no header). In UTF-8 these bytes are only ever those
 * ASCII characters, and a search of the bytes is a memchr; in decoded text with characters beyond Latin-1 V8 searches
 * two bytes per character (and "\0" matches the zero high byte of every ASCII character first).
 */
function hasOutsideBytes(bytes: Uint8Array, header: boolean): boolean {
  const lf = bytes.indexOf(C_LF);
  return bytes.indexOf(C_BSLASH) >= 0 || bytes.indexOf(C_CR) >= 0 || bytes.indexOf(0) >= 0 || (lf >= 0 && (!header || bytes.indexOf(C_LF, lf + 1) >= 0));
}

/** Decodes the bytes as text (strict UTF-8). */
function serpentText(data: Uint8Array): string {
  return decodeUtf8(data, "serpent");
}

const HEADER_LEN = SERPENT_HEADER.length;

/**
 * Reads a simple string literal (no backslash, no line break) starting at the
 * quote at `i`; returns the index after the closing quote, or -1.
 */
function simpleStringEnd(s: string, i: number, maxLength: number): number {
  const q = s.charCodeAt(i);
  if (q !== C_SQ && q !== C_DQ) return -1;
  const n = s.length;
  let j = i + 1;
  for (; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === q) break;
    if (c === C_BSLASH || c < C_SPACE || c === 0x7f) return -1;
  }
  if (j >= n || j - i - 1 > maxLength) return -1;
  // Python joins adjacent literals ('a' 'b'): leave that to the parser
  const after = s.charCodeAt(j + 1);
  if (after === C_SQ || after === C_DQ) return -1;
  return j + 1;
}

/**
 * A fast reader for the small documents of the hot path: one simple string,
 * small int, bool or None (a call result), or a call tuple of those. Returns
 * `NOT_SIMPLE` for anything else, which the full parser then reads; it only
 * accepts text the full parser reads to the same value.
 */
const NOT_SIMPLE: unique symbol = Symbol("not simple");
const NOT_SIMPLE_VALUE = NOT_SIMPLE;

function simpleScalar(s: string, i: number, end: number, opts: ResolvedOptions): unknown {
  const c = s.charCodeAt(i);
  if (c === C_SQ || c === C_DQ) {
    const e = simpleStringEnd(s, i, opts.maxStringLength);
    return e === end ? s.slice(i + 1, end - 1) : NOT_SIMPLE;
  }
  const len = end - i;
  if (len === 4 && s.startsWith("True", i)) return true;
  if (len === 5 && s.startsWith("False", i)) return false;
  if (len === 4 && s.startsWith("None", i)) return null;
  // a decimal int of at most 15 digits, no leading zero, no -0
  let j = i;
  if (c === C_MINUS) j++;
  const digits = end - j;
  if (digits < 1 || digits > 15) return NOT_SIMPLE;
  const first = s.charCodeAt(j);
  if (first === C_0 ? digits !== 1 || j !== i : !isDigit(first)) return NOT_SIMPLE;
  for (let k = j + 1; k < end; k++) if (!isDigit(s.charCodeAt(k))) return NOT_SIMPLE;
  return Number(s.slice(i, end));
}

/** End of a simple scalar token starting at `i` (up to the next ',' or ')'), or -1. */
function simpleTokenEnd(s: string, i: number, opts: ResolvedOptions): number {
  const c = s.charCodeAt(i);
  if (c === C_SQ || c === C_DQ) return simpleStringEnd(s, i, opts.maxStringLength);
  let j = i;
  const n = s.length;
  while (j < n) {
    const d = s.charCodeAt(j);
    if (d === C_COMMA || d === C_RPAR) break;
    j++;
  }
  return j > i && j - i <= 16 ? j : -1;
}

function simpleDocument(s: string, opts: ResolvedOptions): unknown {
  if (!s.startsWith(SERPENT_HEADER)) return NOT_SIMPLE;
  const i = HEADER_LEN;
  if (s.charCodeAt(i) !== C_LPAR) return simpleScalar(s, i, s.length, opts);
  const call = simpleCall(s, opts);
  if (call === undefined) return NOT_SIMPLE;
  return Object.freeze([call.objectId, call.method, Object.freeze(call.vargs), call.kwargs]); // tuples are frozen arrays
}

/** The call tuple `('object','method',(arg,...),{})` with simple arguments, after the header; undefined for anything else. */
function simpleCall(s: string, opts: ResolvedOptions): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> } | undefined {
  const NOT_SIMPLE = undefined;
  const n = s.length;
  const i = HEADER_LEN;
  if (s.charCodeAt(i) !== C_LPAR || !s.startsWith(SERPENT_HEADER)) return NOT_SIMPLE;
  if (opts.maxDepth < 2 || opts.maxItems < 64) return NOT_SIMPLE;
  const e1 = simpleStringEnd(s, i + 1, opts.maxStringLength);
  if (e1 < 0 || s.charCodeAt(e1) !== C_COMMA) return NOT_SIMPLE;
  const e2 = simpleStringEnd(s, e1 + 1, opts.maxStringLength);
  if (e2 < 0 || s.charCodeAt(e2) !== C_COMMA || s.charCodeAt(e2 + 1) !== C_LPAR) return NOT_SIMPLE;
  const args: unknown[] = [];
  let j = e2 + 2;
  while (s.charCodeAt(j) !== C_RPAR) {
    if (args.length >= 16) return NOT_SIMPLE;
    const e = simpleTokenEnd(s, j, opts);
    if (e < 0) return NOT_SIMPLE;
    const v = simpleScalar(s, j, e, opts);
    if (v === NOT_SIMPLE_VALUE) return NOT_SIMPLE;
    args.push(v);
    const c = s.charCodeAt(e);
    if (c === C_COMMA) j = e + 1;
    else if (c === C_RPAR) j = e;
    else return NOT_SIMPLE;
  }
  // "(x)" without a comma is a parenthesized value, not a tuple
  if (args.length === 1 && s.charCodeAt(j - 1) !== C_COMMA) return NOT_SIMPLE;
  if (j !== n - 5 || !s.endsWith("),{})")) return NOT_SIMPLE;
  return { objectId: s.slice(i + 2, e1 - 1), method: s.slice(e1 + 2, e2 - 1), vargs: args, kwargs: {} };
}

/** The hot path of loadsCall: a small call with simple arguments, else undefined (the caller then uses the full parser). */
export function serpentLoadsCallFast(data: Uint8Array, opts: ResolvedOptions): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> } | undefined {
  if (data.length > 4096) return undefined;
  const call = (Buffer.isBuffer(data) ? bytesCall(data, opts) : undefined) ?? simpleCall(serpentText(data), opts);
  if (call !== undefined) fastPathHits["serpent.loadsCall.simple"]++;
  return call;
}

/**
 * End of a plain ASCII string literal (printable, no backslash) whose quote
 * is at `i` in the bytes: the index after the closing quote, or -1.
 */
function asciiStringEnd(b: Buffer, i: number, n: number): number {
  const q = b[i];
  if (q !== C_SQ && q !== C_DQ) return -1;
  let j = i + 1;
  for (; j < n; j++) {
    const c = b[j]!;
    if (c === q) break;
    if (c === C_BSLASH || c < C_SPACE || c >= 0x7f) return -1;
  }
  if (j >= n) return -1;
  const after = b[j + 1];
  return after === C_SQ || after === C_DQ ? -1 : j + 1;
}

/** Recently read object ids and method names: the same string object comes back for the same bytes (cheaper lookups by it). */
const nameCache: Array<{ bytes: Buffer; text: string }> = [];

function nameAt(b: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len > 64) return latin1Of(b, start, end);
  outer: for (let k = 0; k < nameCache.length; k++) {
    const e = nameCache[k]!;
    const eb = e.bytes;
    if (eb.length !== len) continue;
    for (let i = 0; i < len; i++) if (eb[i] !== b[start + i]) continue outer;
    return e.text;
  }
  const text = latin1Of(b, start, end);
  if (nameCache.length >= 32) nameCache.shift();
  nameCache.push({ bytes: Buffer.from(b.subarray(start, end)), text });
  return text;
}

/** simpleCall() read straight from the bytes, for calls that are all ASCII; undefined otherwise. */
function bytesCall(b: Buffer, opts: ResolvedOptions): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> } | undefined {
  return serpentCallAt(b, 0, b.length, opts);
}

/** bytesCall() for the payload at b[start, end). */
export function serpentCallAt(b: Buffer, start: number, end: number, opts: ResolvedOptions): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> } | undefined {
  const n = end;
  const h = start + HEADER_LEN;
  if (n - start < HEADER_LEN + 12 || n - start > 4096 || b[h] !== C_LPAR || opts.maxDepth < 2 || opts.maxItems < 64) return undefined;
  for (let i = 0; i < HEADER_LEN; i++) if (b[start + i] !== HEADER_BYTES[i]) return undefined;
  const e1 = asciiStringEnd(b, h + 1, n);
  if (e1 < 0 || b[e1] !== C_COMMA || e1 - h - 3 > opts.maxStringLength) return undefined;
  const e2 = asciiStringEnd(b, e1 + 1, n);
  if (e2 < 0 || b[e2] !== C_COMMA || b[e2 + 1] !== C_LPAR || e2 - e1 - 3 > opts.maxStringLength) return undefined;
  const args: unknown[] = [];
  let j = e2 + 2;
  while (j < n && b[j] !== C_RPAR) {
    if (args.length >= 16) return undefined;
    let e: number;
    let v: unknown;
    if (b[j] === C_SQ || b[j] === C_DQ) {
      e = asciiStringEnd(b, j, n);
      if (e < 0 || e - j - 2 > opts.maxStringLength) return undefined;
      v = latin1Of(b, j + 1, e - 1);
    } else {
      e = j;
      while (e < n && b[e] !== C_COMMA && b[e] !== C_RPAR) e++;
      if (e === j || e - j > 16) return undefined;
      v = simpleScalar(latin1Of(b, j, e), 0, e - j, opts);
      if (v === NOT_SIMPLE_VALUE) return undefined;
    }
    args.push(v);
    const c = b[e];
    if (c === C_COMMA) j = e + 1;
    else if (c === C_RPAR) j = e;
    else return undefined;
  }
  // "(x)" without a comma is a parenthesized value, not a tuple
  if (args.length === 1 && b[j - 1] !== C_COMMA) return undefined;
  if (j !== n - 5 || b[j] !== C_RPAR || b[j + 1] !== C_COMMA || b[j + 2] !== C_LBRACE || b[j + 3] !== C_RBRACE || b[j + 4] !== C_RPAR) return undefined;
  return { objectId: nameAt(b, h + 2, e1 - 1), method: nameAt(b, e1 + 2, e2 - 1), vargs: args, kwargs: NO_KWARGS };
}

const HEADER_BYTES = Buffer.from(SERPENT_HEADER, "latin1");

/**
 * The commonest result, read straight from the bytes: a document holding one
 * plain ASCII string literal (no escapes, no control characters). Returns
 * NOT_SIMPLE for anything else.
 */
function simpleStringDocument(data: Buffer, opts: ResolvedOptions): unknown {
  return serpentStringAt(data, 0, data.length, opts) ?? NOT_SIMPLE;
}

/** simpleStringDocument() for the payload at data[start, end): the string, or undefined when it is anything else. */
export function serpentStringAt(data: Buffer, start: number, end: number, opts: ResolvedOptions): string | undefined {
  const h = start + HEADER_LEN;
  const n = end;
  if (n < h + 2 || n - h - 2 > opts.maxStringLength) return undefined;
  const q = data[h];
  if ((q !== C_SQ && q !== C_DQ) || data[n - 1] !== q) return undefined;
  for (let i = 0; i < HEADER_LEN; i++) if (data[start + i] !== HEADER_BYTES[i]) return undefined;
  for (let j = h + 1; j < n - 1; j++) {
    const c = data[j]!;
    if (c === q || c === C_BSLASH || c < C_SPACE || c >= 0x7f) return undefined;
  }
  return latin1Of(data, h + 1, n - 1);
}

export function serpentLoads(data: Uint8Array, opts: ResolvedOptions): unknown {
  if (Buffer.isBuffer(data) && data.length <= 4096) {
    const v = simpleStringDocument(data, opts);
    if (v !== NOT_SIMPLE) {
      fastPathHits["serpent.loads.simple"]++;
      return v;
    }
  }
  const text0 = serpentText(data);
  if (text0.length <= 4096) {
    const v = simpleDocument(text0, opts);
    if (v !== NOT_SIMPLE) {
      fastPathHits["serpent.loads.simple"]++;
      return v;
    }
  }
  const tree = serpentTree(text0, opts, data.length, data);
  if (tree !== NOT_TREE) {
    fastPathHits["serpent.loads.tree"]++;
    return tree;
  }
  let text = text0;
  // Python reads source text with universal newlines: \r\n and \r become \n (also inside literals)
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  return new SerpentParser(text, opts, data.length).parseDocument();
}
