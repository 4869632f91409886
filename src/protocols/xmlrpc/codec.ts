/**
 * The XML-RPC codec: a string-building encoder and a safe parser: a strict
 * fast path for plain documents up to 64 KiB, and saxes (streaming; no DTD,
 * no entity expansion) for everything else; bounded size and depth on both.
 *
 * Value mapping, TypeScript to the wire:
 *
 *   number (integer in int32)        <int>
 *   number (other integer, safe)     <i8>        (Python 3 reads it)
 *   number (fraction, inf, nan, -0)  <double>    (inf, -inf, nan as Python writes them)
 *   Float, XmlRpcDouble              <double>    (forces a double, e.g. 3.0)
 *   bigint                           <int> / <i8> / <biginteger> by size
 *   boolean                          <boolean>1|0</boolean>
 *   string                           <string>    (&, <, > and CR escaped)
 *   Date                             <dateTime.iso8601>YYYYMMDDTHH:MM:SS (UTC fields)
 *   Uint8Array / Buffer / ArrayBuffer <base64>
 *   array, Set                       <array>
 *   Map (string keys), plain object,
 *   other objects (own enumerable)   <struct>
 *   Decimal                          <bigdecimal>
 *   null, undefined                  <nil/> only when allowNone is on
 *
 * And back: int/i4/i1/i2/i8/biginteger (any `ns:` prefix) give a number, or a
 * bigint beyond Number.MAX_SAFE_INTEGER; double/float a number (with
 * `preserveTypes`, a whole one an XmlRpcDouble); boolean a
 * boolean; string or untyped text a string; dateTime.iso8601 a Date (the fields
 * read as UTC); base64 a Buffer; struct a plain object; array an array; nil
 * null; bigdecimal a Decimal.
 */
import { isUtf8 } from "node:buffer";
import { fastPathHits } from "../../core/fast-paths.js";
import { TextDecoder } from "node:util";
import { SaxesParser } from "saxes";
import { ErrorCodes, MessageTooLargeError, ProtocolError, SerializationError } from "../../core/errors.js";
import { Decimal, Float } from "../../core/values.js";

/** Default upper bound of a request or response body, in bytes (10 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Default upper bound of array/struct nesting. */
export const DEFAULT_MAX_DEPTH = 64;
/** Default upper bound of what one document decodes to, in bytes, as the parser estimates it: 64 MiB. */
export const DEFAULT_MAX_DECODED_SIZE = 64 * 1024 * 1024;
/** What a document may decode to per character of its text, on top of DECODED_SIZE_FLOOR (XML-RPC's tags make far less than this). */
export const MAX_EXPANSION = 8;
/** The decoded-size budget every document gets besides MAX_EXPANSION × its length: 64 KiB. */
export const DECODED_SIZE_FLOOR = 64 * 1024;
/** Most digits of one integer (Python's int_max_str_digits): converting longer ones takes time that grows faster than their length. */
export const MAX_INTEGER_DIGITS = 4300;

/** Fault codes used by this implementation for protocol-level problems (xmlrpc-epi numbering). */
export const FaultCodes = {
  /** Not well-formed XML, a DOCTYPE, an entity reference. */
  PARSE_ERROR: -32700,
  /** Well-formed XML that is not a valid XML-RPC call (unknown tag, bad int, too deep). */
  INVALID_XMLRPC: -32600,
  /** The service raised an error, or the method does not exist: Python's code. */
  APPLICATION: 1,
} as const;

/**
 * Forces `<double>` for a number that happens to be integral (3.0). A core
 * Float: any Float is written as `<double>`, and with `preserveTypes` a whole
 * `<double>` is read as an XmlRpcDouble.
 */
export class XmlRpcDouble extends Float {}

/** Throw this from a served function to send a fault with that code and string. */
export class XmlRpcFault extends Error {
  readonly faultCode: number;
  readonly faultString: string;
  constructor(faultCode: number, faultString: string) {
    super(faultString);
    this.name = "Fault";
    this.faultCode = faultCode;
    this.faultString = faultString;
  }
}

export interface EncodeOptions {
  /** Send null/undefined as `<nil/>` (default false: it is an error, as in Python). */
  allowNone?: boolean | undefined;
  /** Deepest array/struct nesting to write (default DEFAULT_MAX_DEPTH). */
  maxDepth?: number | undefined;
}

export interface ParseOptions {
  /** Deepest array/struct nesting accepted (default DEFAULT_MAX_DEPTH). */
  maxDepth?: number | undefined;
  /** Largest text accepted in characters (default DEFAULT_MAX_BODY_BYTES). */
  maxChars?: number | undefined;
  /** Read plain documents with the fast tokenizer (default true); false always uses saxes. Both give the same results and errors. */
  fastPath?: boolean | undefined;
  /**
   * Most memory the document may decode to, in bytes, as the parser
   * estimates it (every value counted before it is kept): the budget is
   * `min(maxDecodedSize, 64 KiB + 8 × the document's length)`. Default 64 MiB.
   */
  maxDecodedSize?: number | undefined;
  /**
   * Read a whole-number `<double>` (`2.0`) as an XmlRpcDouble, which is written
   * back as `<double>`, instead of the number 2, which would go back as
   * `<int>` (default false). Only doubles that would change type are wrapped:
   * within ±(2^53−1), not `-0.0`.
   */
  preserveTypes?: boolean | undefined;
}

export interface MethodCall {
  methodName: string;
  params: unknown[];
}

export type MethodResponse = { fault: false; value: unknown } | { fault: true; faultCode: number; faultString: string; value: unknown };

// ---------------------------------------------------------------------------
// Encoder

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const I8_MIN = -(2n ** 63n);
const I8_MAX = 2n ** 63n - 1n;

// Anything that needs escaping or is not allowed in XML 1.0 text.
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[&<>\r\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Escapes text like Python (&, <, >) plus CR as `&#13;`; refuses characters XML 1.0 cannot carry. */
export function escapeXml(s: string): string {
  if (!NEEDS_WORK.test(s)) return s;
  let out = "";
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 38) rep = "&amp;";
    else if (c === 60) rep = "&lt;";
    else if (c === 62) rep = "&gt;";
    else if (c === 13) rep = "&#13;";
    else if (c < 32 && c !== 9 && c !== 10) {
      throw new SerializationError(`cannot marshal the control character U+${c.toString(16).padStart(4, "0").toUpperCase()}: XML 1.0 cannot carry it (send it as base64)`);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) {
        i++;
        continue;
      }
      throw new SerializationError("cannot marshal a lone surrogate: the string is not valid Unicode");
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new SerializationError("cannot marshal a lone surrogate: the string is not valid Unicode");
    } else if (c === 0xfffe || c === 0xffff) {
      throw new SerializationError(`cannot marshal U+${c.toString(16).toUpperCase()}: XML 1.0 cannot carry it`);
    }
    if (rep !== undefined) {
      out += s.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return out + s.slice(last);
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** `YYYYMMDDTHH:MM:SS` from the UTC fields of a Date. */
export function formatDateTime(d: Date): string {
  const t = d.getTime();
  if (Number.isNaN(t)) throw new SerializationError("cannot marshal an invalid Date");
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new SerializationError(`cannot marshal the year ${y}: dateTime.iso8601 has 4-digit years`);
  return (
    pad(y, 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) + "T" + pad(d.getUTCHours(), 2) + ":" + pad(d.getUTCMinutes(), 2) + ":" + pad(d.getUTCSeconds(), 2)
  );
}

/** Python's repr of a float, near enough: inf, -inf, nan, and a `.0` on integral values. */
function formatDouble(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (Object.is(n, -0)) return "-0.0";
  const s = String(n);
  return Number.isInteger(n) && !s.includes("e") ? s + ".0" : s;
}

function base64Lines(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  if (b.length <= 76) return b;
  let out = "";
  for (let i = 0; i < b.length; i += 76) out += b.slice(i, i + 76) + "\n";
  return out;
}

interface EncState {
  allowNone: boolean;
  maxDepth: number;
  /** The containers being written (a short list: nesting is bounded by maxDepth). */
  path: object[];
}

function encodeBigInt(v: bigint): string {
  if (v >= BigInt(INT32_MIN) && v <= BigInt(INT32_MAX)) return `<int>${v}</int>`;
  if (v >= I8_MIN && v <= I8_MAX) return `<i8>${v}</i8>`;
  return `<biginteger>${v}</biginteger>`;
}

function encodeValue(v: unknown, st: EncState, depth: number): string {
  switch (typeof v) {
    case "string":
      return "<value><string>" + escapeXml(v) + "</string></value>";
    case "number":
      if (Number.isInteger(v) && !Object.is(v, -0)) {
        if (v >= INT32_MIN && v <= INT32_MAX) return "<value><int>" + v + "</int></value>";
        if (Number.isSafeInteger(v)) return "<value><i8>" + v + "</i8></value>";
      }
      return "<value><double>" + formatDouble(v) + "</double></value>";
    case "boolean":
      return v ? "<value><boolean>1</boolean></value>" : "<value><boolean>0</boolean></value>";
    case "bigint":
      return "<value>" + encodeBigInt(v) + "</value>";
    case "undefined":
      return encodeNil(st);
    case "object":
      if (v === null) return encodeNil(st);
      return encodeObject(v, st, depth);
    default:
      throw new SerializationError(`cannot marshal a ${typeof v}`);
  }
}

function encodeNil(st: EncState): string {
  if (!st.allowNone) throw new SerializationError("cannot marshal None unless allowNone is enabled");
  return "<value><nil/></value>";
}

function encodeObject(v: object, st: EncState, depth: number): string {
  if (v instanceof Float) return "<value><double>" + formatDouble(v.value) + "</double></value>";
  if (v instanceof Date) return "<value><dateTime.iso8601>" + formatDateTime(v) + "</dateTime.iso8601></value>";
  if (v instanceof Uint8Array) return "<value><base64>" + base64Lines(v) + "</base64></value>";
  if (v instanceof ArrayBuffer) return "<value><base64>" + base64Lines(new Uint8Array(v)) + "</base64></value>";
  if (ArrayBuffer.isView(v)) return "<value><base64>" + base64Lines(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) + "</base64></value>";
  if (v instanceof Decimal) return "<value><bigdecimal>" + v.text + "</bigdecimal></value>";
  if (v instanceof String || v instanceof Number || v instanceof Boolean) return encodeValue(v.valueOf(), st, depth);
  if (depth >= st.maxDepth) throw new SerializationError(`cannot marshal a value nested deeper than ${st.maxDepth} levels`, undefined, ErrorCodes.ERR_LIMIT_EXCEEDED);
  if (st.path.includes(v)) throw new SerializationError("cannot marshal recursive structures");
  st.path.push(v);
  try {
    if (Array.isArray(v) || v instanceof Set) {
      let out = "<value><array><data>";
      for (const item of v as Iterable<unknown>) out += encodeValue(item, st, depth + 1);
      return out + "</data></array></value>";
    }
    let out = "<value><struct>";
    if (v instanceof Map) {
      for (const [k, item] of v) {
        if (typeof k !== "string") throw new SerializationError("struct keys must be strings");
        if (item === undefined) continue;
        out += "<member><name>" + escapeXml(k) + "</name>" + encodeValue(item, st, depth + 1) + "</member>";
      }
    } else {
      if (typeof (v as { then?: unknown }).then === "function") throw new SerializationError("cannot marshal a Promise");
      for (const k of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[k];
        if (item === undefined || typeof item === "function") continue;
        out += "<member><name>" + escapeXml(k) + "</name>" + encodeValue(item, st, depth + 1) + "</member>";
      }
    }
    return out + "</struct></value>";
  } finally {
    st.path.pop();
  }
}

function state(opts: EncodeOptions | undefined): EncState {
  return { allowNone: opts?.allowNone ?? false, maxDepth: opts?.maxDepth ?? DEFAULT_MAX_DEPTH, path: [] };
}

/** encodeValue with a nesting deeper than the stack allows (a very high maxDepth) as the same limit error as maxDepth, never a stack overflow. */
function encodeTop(v: unknown, st: EncState): string {
  try {
    return encodeValue(v, st, 0);
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new SerializationError(`cannot marshal a value nested deeper than the stack allows (maxDepth ${st.maxDepth})`, undefined, ErrorCodes.ERR_LIMIT_EXCEEDED);
    }
    throw err;
  }
}

/** One `<value>` element. */
export function encodeValueXml(v: unknown, opts?: EncodeOptions): string {
  return encodeTop(v, state(opts));
}

/** A complete `<methodCall>` document. */
export function encodeCall(methodName: string, params: readonly unknown[], opts?: EncodeOptions): string {
  const st = state(opts);
  let out = "<?xml version=\"1.0\"?>\n<methodCall><methodName>" + escapeXml(methodName) + "</methodName><params>";
  for (const p of params) out += "<param>" + encodeTop(p, st) + "</param>";
  return out + "</params></methodCall>\n";
}

/** A complete `<methodResponse>` holding one result. */
export function encodeResponse(value: unknown, opts?: EncodeOptions): string {
  return "<?xml version=\"1.0\"?>\n<methodResponse><params><param>" + encodeTop(value, state(opts)) + "</param></params></methodResponse>\n";
}

/** A complete `<methodResponse>` holding a fault. */
export function encodeFault(faultCode: number, faultString: string): string {
  const code = Number.isInteger(faultCode) && faultCode >= INT32_MIN && faultCode <= INT32_MAX ? faultCode : FaultCodes.APPLICATION;
  return (
    "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct>" +
    "<member><name>faultCode</name><value><int>" + code + "</int></value></member>" +
    "<member><name>faultString</name><value><string>" + escapeXml(scrub(faultString)) + "</string></value></member>" +
    "</struct></value></fault></methodResponse>\n"
  );
}

/** Replaces characters XML 1.0 cannot carry (used for fault strings, which must always encode). */
function scrub(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

// ---------------------------------------------------------------------------
// Parser

/** Why parsing failed: `parse` (not XML, DOCTYPE, entity) or `invalid` (XML, but not XML-RPC). */
export class XmlRpcParseError extends SerializationError {
  readonly faultCode: number;
  constructor(message: string, kind: "parse" | "invalid", code: string = ErrorCodes.ERR_SERIALIZATION) {
    super(message, undefined, code);
    this.faultCode = kind === "parse" ? FaultCodes.PARSE_ERROR : FaultCodes.INVALID_XMLRPC;
  }
}

/** Documents up to this many characters are held and read by the fast path; longer ones stream into saxes. */
const FAST_MAX_CHARS = 64 * 1024;
/**
 * The XML declarations the fast path accepts (what Python, Java and this
 * codec write). The text is already decoded (decodeXmlBytes honoured the
 * encoding the declaration names), so any encoding name is fine here.
 */
const XML_DECL = /^<\?xml version=(["'])1\.0\1(?: encoding=(["'])[A-Za-z][A-Za-z0-9._-]*\2)?\s*\?>/;

/** What a decoded value costs, in bytes, as the decoded-size budget counts it (a little above what V8 holds for it); a container's items are counted as they come. */
function valueCost(v: unknown): number {
  switch (typeof v) {
    case "string":
      return 32 + 2 * v.length;
    case "number":
      return 24;
    case "bigint":
      return 40;
    case "object":
      if (v === null) return 8;
      if (v instanceof Date) return 136;
      if (v instanceof Uint8Array) return 232 + v.length;
      return 72;
    default:
      return 8;
  }
}

/** Cost of one struct member besides its value (its name and slot). */
const MEMBER_COST = 32;

const SCALARS = new Set(["int", "i4", "i1", "i2", "i8", "biginteger", "boolean", "string", "double", "float", "dateTime.iso8601", "base64", "nil", "bigdecimal"]);

interface ValueFrame {
  kind: "value";
  set: boolean;
  value: unknown;
}
interface ArrayFrame {
  kind: "array";
  items: unknown[];
}
interface StructFrame {
  kind: "struct";
  obj: Record<string, unknown>;
}
interface MemberFrame {
  kind: "member";
  name: string | undefined;
  hasValue: boolean;
  value: unknown;
}
type Frame = ValueFrame | ArrayFrame | StructFrame | MemberFrame;

function localName(name: string): string {
  const i = name.indexOf(":");
  return i < 0 ? name : name.slice(i + 1);
}

function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function invalid(msg: string): never {
  throw new XmlRpcParseError(msg, "invalid");
}

function parseInteger(text: string): number | bigint {
  const t = text.trim();
  const digits = t.length - (t.startsWith("-") || t.startsWith("+") ? 1 : 0);
  if (digits > MAX_INTEGER_DIGITS) throw new XmlRpcParseError(`an integer of more than ${MAX_INTEGER_DIGITS} digits exceeds the limit`, "invalid", ErrorCodes.ERR_LIMIT_EXCEEDED);
  if (!/^[+-]?\d+$/.test(t)) invalid(`bad integer value '${t.slice(0, 40)}'`);
  if (t.length < 16) return Number(t);
  const b = BigInt(t);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

export function parseDouble(text: string): number {
  const t = text.trim();
  switch (t.toLowerCase()) {
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return Infinity;
    case "-inf":
    case "-infinity":
      return -Infinity;
    case "nan":
    case "+nan":
    case "-nan":
      return NaN;
  }
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) invalid(`bad double value '${t.slice(0, 40)}'`);
  return Number(t);
}

/** Reads `YYYYMMDDTHH:MM:SS` (also with dashes, fractions and a zone) as UTC. */
export function parseDateTime(text: string): Date {
  const t = text.trim();
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (!m) invalid(`bad dateTime.iso8601 value '${t.slice(0, 40)}'`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), frac ? Math.floor(Number("0" + frac) * 1000) : 0);
  if (
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d) ||
    date.getUTCHours() !== Number(h) ||
    date.getUTCMinutes() !== Number(mi) ||
    date.getUTCSeconds() !== Number(s)
  ) {
    invalid(`bad dateTime.iso8601 value '${t}'`);
  }
  if (zone && zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const z = zone.slice(1).replace(":", "");
    date.setTime(date.getTime() - sign * (Number(z.slice(0, 2)) * 60 + Number(z.slice(2))) * 60_000);
  }
  return date;
}

function parseBase64(text: string): Buffer {
  const t = text.replace(/[\t\n\r ]+/g, "");
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) invalid("bad base64 value");
  return Buffer.from(t, "base64");
}

/** A double that the encoder would write back as an int (whole, within ±(2^53−1), not -0), as an XmlRpcDouble; any other value as it is. */
function keepDouble(v: unknown): unknown {
  return typeof v === "number" && Number.isSafeInteger(v) && !Object.is(v, -0) ? new XmlRpcDouble(v) : v;
}

/** scalar(), with preserveTypes: a whole double as an XmlRpcDouble. */
function typedScalar(tag: string, text: string, preserveTypes: boolean): unknown {
  const v = scalar(tag, text);
  return preserveTypes && (tag === "double" || tag === "float") ? keepDouble(v) : v;
}

function scalar(tag: string, text: string): unknown {
  switch (tag) {
    case "string":
      return text;
    case "int":
    case "i4":
    case "i1":
    case "i2":
    case "i8":
    case "biginteger":
      return parseInteger(text);
    case "boolean": {
      const t = text.trim();
      if (t === "1") return true;
      if (t === "0") return false;
      return invalid(`bad boolean value '${t.slice(0, 40)}'`);
    }
    case "double":
    case "float":
      return parseDouble(text);
    case "dateTime.iso8601":
      return parseDateTime(text);
    case "base64":
      return parseBase64(text);
    case "nil":
      if (text.trim() !== "") invalid("<nil/> must be empty");
      return null;
    case "bigdecimal":
      try {
        return new Decimal(text);
      } catch {
        return invalid(`bad bigdecimal value '${text.trim().slice(0, 40)}'`);
      }
    default:
      return invalid(`unknown type tag <${tag}>`);
  }
}

/** An `<int>`/`<i4>` text of up to 9 digits, read without a regular expression; anything else as parseInteger does. */
function plainInteger(t: string): number | bigint {
  const n = t.length;
  if (n === 0 || n > 9) return parseInteger(t);
  let v = 0;
  let i = 0;
  const neg = t.charCodeAt(0) === 45;
  if (neg || t.charCodeAt(0) === 43) {
    if (n === 1) return parseInteger(t);
    i = 1;
  }
  for (; i < n; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return parseInteger(t);
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/** Thrown inside FastReader: the document is not in the plain subset (the full parser takes over). */
const NOT_PLAIN = new Error("not plain XML-RPC");

function notPlain(): never {
  throw NOT_PLAIN;
}

/** The recursive-descent reader behind XmlRpcParser's fast path. Any surprise throws NOT_PLAIN or an XmlRpcParseError; the caller then falls back. */
class FastReader {
  private pos: number;
  private containers = 0;
  /** Bytes of decoded values counted so far (see valueCost). */
  private used = 0;
  constructor(
    private readonly s: string,
    start: number,
    private readonly maxDepth: number,
    /** The decoded-size budget. */
    private readonly budget: number,
    /** ParseOptions.preserveTypes. */
    private readonly preserveTypes: boolean,
  ) {
    this.pos = start;
  }

  private charge(n: number): void {
    if ((this.used += n) > this.budget) throw overBudget(this.budget);
  }

  /** What the values read decode to, in bytes, as the budget counts them. */
  get decodedSize(): number {
    return this.used;
  }

  private ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 32 || c === 10 || c === 9) p++;
      else break;
    }
    this.pos = p;
  }

  /** Whether `tag` (e.g. "<params>") is at `p` (a plain loop: cheaper than startsWith for these short tags). */
  private at(tag: string, p: number): boolean {
    const s = this.s;
    const n = tag.length;
    if (p + n > s.length) return false;
    for (let k = 0; k < n; k++) if (s.charCodeAt(p + k) !== tag.charCodeAt(k)) return false;
    return true;
  }

  /** Consumes `tag` if it is next; no whitespace is skipped. */
  private eat(tag: string): boolean {
    if (this.at(tag, this.pos)) {
      this.pos += tag.length;
      return true;
    }
    return false;
  }

  private expect(tag: string): void {
    if (!this.at(tag, this.pos)) notPlain();
    this.pos += tag.length;
  }

  /**
   * Text up to the next `<`, which must start `close`. The text must be
   * plain: no `&`, no CR, no `]]>`, no character outside XML 1.0 and no
   * surrogate at all (every other character of the document is matched
   * exactly by the tags or by ws()).
   */
  private textUntil(close: string): string {
    const s = this.s;
    const from = this.pos;
    const lt = s.indexOf("<", from);
    if (lt < 0 || !this.at(close, lt)) notPlain();
    for (let p = from; p < lt; p++) {
      const c = s.charCodeAt(p);
      if (c < 32) {
        if (c !== 9 && c !== 10) notPlain();
      } else if (c === 38 || (c >= 0xd800 && (c <= 0xdfff || c >= 0xfffe)) || (c === 62 && p >= from + 2 && s.charCodeAt(p - 1) === 93 && s.charCodeAt(p - 2) === 93)) notPlain();
    }
    this.pos = lt + close.length;
    return s.slice(from, lt);
  }

  document(): { root: "methodCall" | "methodResponse"; methodName: string | undefined; params: unknown[]; fault: { set: boolean; value: unknown } | undefined } | undefined {
    this.ws();
    let out: ReturnType<FastReader["document"]>;
    if (this.eat("<methodCall>")) {
      this.ws();
      this.expect("<methodName>");
      const methodName = this.textUntil("</methodName>").trim();
      this.ws();
      const params = this.eat("<params/>") ? [] : this.at("<params>", this.pos) ? this.params() : [];
      this.ws();
      this.expect("</methodCall>");
      out = { root: "methodCall", methodName, params, fault: undefined };
    } else if (this.eat("<methodResponse>")) {
      this.ws();
      if (this.eat("<fault>")) {
        this.ws();
        const value = this.value();
        this.ws();
        this.expect("</fault>");
        out = { root: "methodResponse", methodName: undefined, params: [], fault: { set: true, value } };
      } else {
        out = { root: "methodResponse", methodName: undefined, params: this.params(), fault: undefined };
      }
      this.ws();
      this.expect("</methodResponse>");
    } else return undefined;
    this.ws();
    return this.pos === this.s.length ? out : undefined;
  }

  private params(): unknown[] {
    this.expect("<params>");
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.eat("</params>")) return out;
      this.expect("<param>");
      this.ws();
      out.push(this.value());
      this.ws();
      this.expect("</param>");
    }
  }

  private value(): unknown {
    if (this.eat("<value/>")) {
      this.charge(valueCost(""));
      return "";
    }
    this.expect("<value>");
    const s = this.s;
    const lt = s.indexOf("<", this.pos);
    if (lt < 0) notPlain();
    if (s.charCodeAt(lt + 1) === 47) {
      // untyped: <value>text</value>
      const t = this.textUntil("</value>");
      this.charge(valueCost(t));
      return t;
    }
    for (let p = this.pos; p < lt; p++) {
      const c = s.charCodeAt(p);
      if (c !== 32 && c !== 10 && c !== 9) notPlain();
    }
    this.pos = lt;
    let v: unknown;
    if (this.eat("<string>")) v = this.textUntil("</string>");
    else if (this.eat("<int>")) v = plainInteger(this.textUntil("</int>"));
    else if (this.eat("<struct>")) v = this.struct();
    else if (this.eat("<array>")) v = this.array();
    else if (this.eat("<double>")) {
      v = parseDouble(this.textUntil("</double>"));
      if (this.preserveTypes) v = keepDouble(v);
    }
    else if (this.eat("<boolean>")) v = scalar("boolean", this.textUntil("</boolean>"));
    else if (this.eat("<i4>")) v = plainInteger(this.textUntil("</i4>"));
    else if (this.eat("<nil/>")) v = null;
    else {
      // another scalar: <tag>text</tag> or <tag/>
      let p = lt + 1;
      for (;;) {
        const c = s.charCodeAt(p);
        if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46) p++;
        else break;
      }
      const tag = s.slice(lt + 1, p);
      if (!SCALARS.has(tag)) notPlain();
      if (s.charCodeAt(p) === 47 && s.charCodeAt(p + 1) === 62) {
        this.pos = p + 2;
        v = typedScalar(tag, "", this.preserveTypes);
      } else {
        if (s.charCodeAt(p) !== 62) notPlain();
        this.pos = p + 1;
        v = typedScalar(tag, this.textUntil("</" + tag + ">"), this.preserveTypes);
      }
    }
    this.ws();
    this.expect("</value>");
    this.charge(valueCost(v));
    return v;
  }

  private enter(): void {
    if (++this.containers > this.maxDepth) notPlain();
  }

  private array(): unknown[] {
    this.enter();
    this.ws();
    const items: unknown[] = [];
    if (!this.eat("<data/>")) {
      this.expect("<data>");
      for (;;) {
        this.ws();
        if (this.eat("</data>")) break;
        items.push(this.value());
      }
    }
    this.ws();
    this.expect("</array>");
    this.containers--;
    return items;
  }

  private struct(): Record<string, unknown> {
    this.enter();
    const obj: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.eat("</struct>")) break;
      this.expect("<member>");
      this.ws();
      this.expect("<name>");
      const name = this.textUntil("</name>");
      this.ws();
      const v = this.value();
      this.ws();
      this.expect("</member>");
      this.charge(MEMBER_COST + 2 * name.length);
      setMember(obj, name, v);
    }
    this.containers--;
    return obj;
  }
}

/**
 * An XML-RPC parser: feed it text with `write()`, then `finish()`. Up to
 * 64 KiB is held and read at `finish()` by the fast path (falling back to
 * saxes); beyond that the text streams into saxes as it is written.
 * Throws XmlRpcParseError (code ERR_SERIALIZATION) on malformed XML, a DOCTYPE,
 * any entity other than the five predefined ones, an invalid structure, or a
 * nesting deeper than `maxDepth` (code ERR_LIMIT_EXCEEDED).
 */
export class XmlRpcParser {
  /** The full XML parser: created only for documents the fast tokenizer hands over. */
  private sax: SaxesParser<{ xmlns: false; position: false }> | undefined;
  /** Text held for the fast tokenizer (until FAST_MAX_CHARS; beyond, it streams into saxes). */
  private pending: string[] = [];
  private readonly maxDepth: number;
  private readonly maxElementDepth: number;
  private readonly maxChars: number;
  private readonly maxDecoded: number;
  private chars = 0;
  /** Bytes of decoded values counted so far (see valueCost). */
  private used = 0;
  private tags: string[] = [];
  private frames: Frame[] = [];
  private containers = 0;
  private text = "";
  private collecting = false;
  private root: "methodCall" | "methodResponse" | undefined;
  private methodName: string | undefined;
  private params: unknown[] = [];
  private faultValue: { set: boolean; value: unknown } | undefined;
  private done = false;
  private readonly fastPath: boolean;
  private readonly preserveTypes: boolean;

  constructor(opts: ParseOptions = {}) {
    this.fastPath = opts.fastPath ?? true;
    this.preserveTypes = opts.preserveTypes === true;
    if (!this.fastPath) this.startSax();
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxElementDepth = this.maxDepth * 3 + 8;
    this.maxChars = opts.maxChars ?? DEFAULT_MAX_BODY_BYTES;
    this.maxDecoded = opts.maxDecodedSize ?? DEFAULT_MAX_DECODED_SIZE;
  }

  /** The decoded-size budget of the text written so far. */
  private budget(): number {
    return Math.min(this.maxDecoded, DECODED_SIZE_FLOOR + MAX_EXPANSION * this.chars);
  }

  private charge(n: number): void {
    if ((this.used += n) > this.maxDecoded || this.used > DECODED_SIZE_FLOOR + MAX_EXPANSION * this.chars) throw overBudget(this.budget());
  }

  private startSax(): SaxesParser<{ xmlns: false; position: false }> {
    const sax = new SaxesParser({ xmlns: false, position: false });
    sax.on("doctype", () => {
      throw new XmlRpcParseError("DOCTYPE declarations are not allowed (no DTDs, no entities)", "parse");
    });
    sax.on("processinginstruction", () => {
      throw new XmlRpcParseError("processing instructions are not allowed", "parse");
    });
    sax.on("opentag", (tag) => this.open(tag.name, tag.isSelfClosing));
    sax.on("closetag", (tag) => this.close(tag.name));
    sax.on("text", (t) => this.onText(t));
    sax.on("cdata", (t) => this.onText(t));
    this.sax = sax;
    return sax;
  }

  write(chunk: string): void {
    if (this.done) throw new XmlRpcParseError("write after finish", "parse");
    this.chars += chunk.length;
    if (this.chars > this.maxChars) throw new MessageTooLargeError(this.chars, this.maxChars, "XML-RPC document (characters)");
    if (!this.sax) {
      // Held as a list and joined once: a flat string reads much faster than a concatenation.
      this.pending.push(chunk);
      if (this.chars <= FAST_MAX_CHARS) return;
      // A large document: parse it while it arrives instead of holding it.
      chunk = this.pending.join("");
      this.pending = [];
      this.startSax();
    }
    try {
      this.sax!.write(chunk);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** Forgets what an abandoned fast pass built, before saxes reads the document again. */
  private reset(): void {
    this.tags = [];
    this.frames = [];
    this.containers = 0;
    this.text = "";
    this.collecting = false;
    this.root = undefined;
    this.methodName = undefined;
    this.params = [];
    this.faultValue = undefined;
  }

  /**
   * The fast path: a strict recursive-descent reader for the plain XML-RPC
   * documents peers send (an optional `<?xml version="1.0"?>`, elements
   * without attributes or prefixes in the XML-RPC grammar, whitespace of
   * space/tab/LF between them, text without references, CDATA, comments,
   * CR or characters outside XML 1.0). It returns false, having changed
   * nothing, on anything else, including every error: the caller then reads
   * the document with saxes and the checking state machine, which accept
   * exactly what they always did and give the precise error. Nesting is
   * bounded by maxDepth here too, so the recursion is bounded.
   */
  private fast(doc: string): boolean {
    let start = 0;
    if (doc.charCodeAt(0) === 60 && doc.charCodeAt(1) === 63) {
      const m = XML_DECL.exec(doc);
      if (!m) return false;
      start = m[0].length;
    }
    try {
      const reader = new FastReader(doc, start, this.maxDepth, this.budget(), this.preserveTypes);
      const r = reader.document();
      if (!r) return false;
      fastPathHits["xmlrpc.parse.fastReader"]++;
      this.used = reader.decodedSize;
      this.root = r.root;
      this.methodName = r.methodName;
      this.params = r.params;
      this.faultValue = r.fault;
      return true;
    } catch {
      return false;
    }
  }

  /** What the values read so far decode to, in bytes, as the budget counts them. */
  get decodedSize(): number {
    return this.used;
  }

  /** Whether the finished document was read by the fast path (false: by saxes). */
  get fastPathUsed(): boolean {
    return this.done && this.sax === undefined;
  }

  private wrap(err: unknown): Error {
    if (err instanceof XmlRpcParseError || err instanceof MessageTooLargeError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    return new XmlRpcParseError(`not well-formed XML: ${msg.replace(/^undefined:\s*/, "")}`, "parse");
  }

  /** Ends the document; returns what it held. */
  finish(): { root: "methodCall"; call: MethodCall } | { root: "methodResponse"; response: MethodResponse } {
    if (!this.done) {
      this.done = true;
      if (!this.sax) {
        const doc = this.pending.length === 1 ? this.pending[0]! : this.pending.join("");
        this.pending = [];
        if (!this.fast(doc)) {
          this.reset();
          try {
            this.startSax().write(doc);
          } catch (err) {
            throw this.wrap(err);
          }
        }
      }
      try {
        this.sax?.close();
      } catch (err) {
        throw this.wrap(err);
      }
    }
    if (this.root === "methodCall") {
      if (this.methodName === undefined) invalid("<methodCall> without <methodName>");
      return { root: "methodCall", call: { methodName: this.methodName, params: this.params } };
    }
    if (this.root === "methodResponse") {
      if (this.faultValue) {
        if (!this.faultValue.set) invalid("<fault> without a value");
        const f = this.faultValue.value as Record<string, unknown> | null;
        if (!f || typeof f !== "object" || Array.isArray(f)) invalid("<fault> value is not a struct");
        const code = f["faultCode"];
        const str = f["faultString"];
        return {
          root: "methodResponse",
          response: {
            fault: true,
            faultCode: typeof code === "number" ? code : typeof code === "bigint" ? Number(code) : Number(code ?? 0),
            faultString: typeof str === "string" ? str : String(str ?? ""),
            value: f,
          },
        };
      }
      if (this.params.length !== 1) invalid(`<methodResponse> must hold exactly one <param>, not ${this.params.length}`);
      return { root: "methodResponse", response: { fault: false, value: this.params[0] } };
    }
    return invalid("the document is neither <methodCall> nor <methodResponse>");
  }

  private onText(t: string): void {
    if (this.collecting) this.text += t;
    else if (t.trim() !== "") {
      const parent = this.tags[this.tags.length - 1];
      if (parent !== "value" && parent !== "name" && parent !== "methodName") invalid(`unexpected text inside <${parent ?? "document"}>`);
    }
  }

  private top(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  private open(rawName: string, _selfClosing: boolean): void {
    const name = localName(rawName);
    const parent = this.tags[this.tags.length - 1];
    this.tags.push(name);
    if (this.tags.length > this.maxElementDepth) {
      throw new XmlRpcParseError(`XML nested deeper than ${this.maxElementDepth} elements`, "invalid", ErrorCodes.ERR_LIMIT_EXCEEDED);
    }
    if (parent === undefined) {
      if (name !== "methodCall" && name !== "methodResponse") invalid(`unexpected root element <${name}>`);
      this.root = name;
      return;
    }
    switch (name) {
      case "value": {
        if (parent !== "param" && parent !== "data" && parent !== "member" && parent !== "fault") invalid(`<value> inside <${parent}>`);
        this.frames.push({ kind: "value", set: false, value: undefined });
        this.text = "";
        this.collecting = true;
        return;
      }
      case "array":
      case "struct": {
        const f = this.top();
        if (parent !== "value" || !f || f.kind !== "value" || f.set) invalid(`<${name}> inside <${parent}>`);
        this.collecting = false;
        if (this.text.trim() !== "") invalid(`text before <${name}>`);
        if (++this.containers > this.maxDepth) {
          throw new XmlRpcParseError(`arrays/structs nested deeper than ${this.maxDepth} levels`, "invalid", ErrorCodes.ERR_LIMIT_EXCEEDED);
        }
        this.frames.push(name === "array" ? { kind: "array", items: [] } : { kind: "struct", obj: {} });
        return;
      }
      case "data":
        if (parent !== "array") invalid(`<data> inside <${parent}>`);
        return;
      case "member":
        if (parent !== "struct") invalid(`<member> inside <${parent}>`);
        this.frames.push({ kind: "member", name: undefined, hasValue: false, value: undefined });
        return;
      case "name":
        if (parent !== "member") invalid(`<name> inside <${parent}>`);
        this.text = "";
        this.collecting = true;
        return;
      case "methodName":
        if (parent !== "methodCall" || this.root !== "methodCall") invalid(`<methodName> inside <${parent}>`);
        this.text = "";
        this.collecting = true;
        return;
      case "params":
        if (parent !== "methodCall" && parent !== "methodResponse") invalid(`<params> inside <${parent}>`);
        return;
      case "param":
        if (parent !== "params") invalid(`<param> inside <${parent}>`);
        return;
      case "fault":
        if (parent !== "methodResponse" || this.faultValue) invalid(`<fault> inside <${parent}>`);
        this.faultValue = { set: false, value: undefined };
        return;
      default: {
        if (!SCALARS.has(name)) invalid(`unknown element <${rawName}>`);
        const f = this.top();
        if (parent !== "value" || !f || f.kind !== "value" || f.set) invalid(`<${name}> inside <${parent}>`);
        if (this.text.trim() !== "") invalid(`text before <${name}>`);
        this.text = "";
        this.collecting = true;
        return;
      }
    }
  }

  private close(rawName: string): void {
    const name = localName(rawName);
    this.tags.pop();
    switch (name) {
      case "value": {
        const f = this.frames.pop() as ValueFrame;
        const v = f.set ? f.value : this.text;
        this.collecting = false;
        this.text = "";
        this.deliver(v);
        return;
      }
      case "array":
      case "struct": {
        const c = this.frames.pop() as ArrayFrame | StructFrame;
        this.containers--;
        const f = this.top() as ValueFrame;
        f.set = true;
        f.value = c.kind === "array" ? c.items : c.obj;
        return;
      }
      case "member": {
        const m = this.frames.pop() as MemberFrame;
        if (m.name === undefined) invalid("<member> without <name>");
        if (!m.hasValue) invalid("<member> without <value>");
        this.charge(MEMBER_COST + 2 * m.name.length);
        setMember((this.top() as StructFrame).obj, m.name, m.value);
        return;
      }
      case "name": {
        const m = this.top() as MemberFrame;
        m.name = this.text;
        this.collecting = false;
        this.text = "";
        return;
      }
      case "methodName":
        this.methodName = this.text.trim();
        this.collecting = false;
        this.text = "";
        return;
      case "data":
      case "params":
      case "param":
      case "fault":
      case "methodCall":
      case "methodResponse":
        return;
      default: {
        const f = this.top() as ValueFrame;
        f.value = typedScalar(name, this.text, this.preserveTypes);
        f.set = true;
        this.collecting = false;
        this.text = "";
      }
    }
  }

  private deliver(v: unknown): void {
    this.charge(valueCost(v));
    const parent = this.tags[this.tags.length - 1];
    const f = this.top();
    if (parent === "data" && f?.kind === "array") f.items.push(v);
    else if (parent === "member" && f?.kind === "member") {
      if (f.hasValue) invalid("<member> with two values");
      f.hasValue = true;
      f.value = v;
    } else if (parent === "param") this.params.push(v);
    else if (parent === "fault" && this.faultValue) {
      this.faultValue.set = true;
      this.faultValue.value = v;
    } else invalid(`<value> inside <${parent ?? "document"}>`);
  }
}

function overBudget(budget: number): XmlRpcParseError {
  return new XmlRpcParseError(
    `the document decodes to more than ${budget} bytes (limit: min(maxDecodedSize, ${DECODED_SIZE_FLOOR} + ${MAX_EXPANSION} × its length))`,
    "invalid",
    ErrorCodes.ERR_LIMIT_EXCEEDED,
  );
}

// ---------------------------------------------------------------------------
// Bytes to text

/** The encodings read natively, by their normalised names; any other is tried with TextDecoder (WHATWG names). */
type Native = "utf-8" | "latin1" | "ascii" | "utf-16le" | "utf-16be";
const NATIVE: Readonly<Record<string, Native>> = Object.freeze({
  "utf-8": "utf-8",
  utf8: "utf-8",
  "iso-8859-1": "latin1",
  "iso8859-1": "latin1",
  iso_8859_1: "latin1",
  "iso_8859-1": "latin1",
  "iso-latin-1": "latin1",
  latin1: "latin1",
  "latin-1": "latin1",
  l1: "latin1",
  "us-ascii": "ascii",
  ascii: "ascii",
  "utf-16le": "utf-16le",
  "utf-16be": "utf-16be",
});

function badEncoding(message: string): XmlRpcParseError {
  return new XmlRpcParseError(message, "parse");
}

/** The encoding named by the XML declaration at the start of `head` (read as ASCII), or undefined. */
function declaredEncoding(head: Uint8Array): string | undefined {
  if (head[0] !== 0x3c || head[1] !== 0x3f) return undefined;
  const end = Math.min(head.length, 256);
  let close = -1;
  for (let i = 2; i + 1 < end; i++) {
    if (head[i] === 0x3f && head[i + 1] === 0x3e) {
      close = i;
      break;
    }
  }
  if (close < 0) return undefined;
  const decl = Buffer.from(head.buffer, head.byteOffset, close).toString("latin1");
  if (!/^<\?xml\s/.test(decl)) return undefined;
  return /\sencoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\1/.exec(decl)?.[2];
}

/**
 * Turns the bytes of an XML document into text as an XML parser reads them:
 * a byte-order mark, else the encoding its XML declaration names (UTF-8,
 * ISO-8859-1, US-ASCII and UTF-16 natively, other names through
 * TextDecoder), else UTF-8. Bytes that are not valid in that encoding, and
 * an encoding that is not known, are refused (XmlRpcParseError, fault
 * -32700): a document is never decoded with replacement characters.
 */
export class XmlTextDecoder {
  private pending: Buffer | undefined;
  private native: Native | undefined;
  private decoder: TextDecoder | undefined;
  private started = false;
  /** The encoding the document is read in (once known). */
  encoding: string | undefined;

  /** Decodes the next bytes; may hold the first ones until the XML declaration is complete. */
  write(chunk: Buffer): string {
    if (!this.started) {
      const head = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      // wait for a byte-order mark and the end of the declaration (or 256 bytes) before choosing
      if (head.length < 4 || (head.length < 256 && head[0] === 0x3c && head[1] === 0x3f && head.indexOf("?>", 0, "latin1") < 0)) {
        this.pending = head;
        return "";
      }
      this.pending = undefined;
      this.start(head);
      chunk = this.stripBom(head);
    }
    return this.decode(chunk, true);
  }

  /** Decodes what is left; refuses a document cut in the middle of a character. */
  end(): string {
    if (!this.started) {
      const head = this.pending ?? Buffer.alloc(0);
      this.pending = undefined;
      this.start(head);
      return this.decode(this.stripBom(head), false);
    }
    return this.decode(Buffer.alloc(0), false);
  }

  private bom = 0;

  private start(head: Buffer): void {
    this.started = true;
    let name: string;
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
      name = "utf-8";
      this.bom = 3;
    } else if (head[0] === 0xfe && head[1] === 0xff) {
      name = "utf-16be";
      this.bom = 2;
    } else if (head[0] === 0xff && head[1] === 0xfe) {
      name = "utf-16le";
      this.bom = 2;
    } else if (head[0] === 0x3c && head[1] === 0x00 && head[2] === 0x3f && head[3] === 0x00) name = "utf-16le";
    else if (head[0] === 0x00 && head[1] === 0x3c && head[2] === 0x00 && head[3] === 0x3f) name = "utf-16be";
    else {
      const declared = declaredEncoding(head);
      name = declared === undefined ? "utf-8" : declared.toLowerCase();
      // a declaration of UTF-16 in single bytes cannot be true
      if (name === "utf-16" || name === "utf-16le" || name === "utf-16be") throw badEncoding(`the document declares ${declared ?? name} but is not written in UTF-16`);
    }
    this.encoding = name;
    const native = NATIVE[name];
    if (native !== undefined) {
      this.native = native;
      if (native === "utf-16le" || native === "utf-16be") this.decoder = new TextDecoder(native, { fatal: true, ignoreBOM: true });
      else if (native === "utf-8") this.decoder = undefined;
      return;
    }
    try {
      this.decoder = new TextDecoder(name, { fatal: true });
    } catch {
      throw badEncoding(`the document's encoding '${name}' is not supported (use UTF-8)`);
    }
  }

  private stripBom(head: Buffer): Buffer {
    const n = this.bom;
    this.bom = 0;
    return n > 0 ? head.subarray(n) : head;
  }

  /** A chunk cut inside a UTF-8 sequence keeps its tail for the next one. */
  private utf8Tail: Buffer | undefined;

  private decode(chunk: Buffer, more: boolean): string {
    const n = this.native;
    if (n === "latin1") return chunk.toString("latin1");
    if (n === "ascii") {
      for (let i = 0; i < chunk.length; i++) if (chunk[i]! >= 0x80) throw badEncoding(`byte 0x${chunk[i]!.toString(16)} is not US-ASCII, the document's encoding`);
      return chunk.toString("latin1");
    }
    if (n === "utf-8") {
      let b = this.utf8Tail ? Buffer.concat([this.utf8Tail, chunk]) : chunk;
      this.utf8Tail = undefined;
      if (more) {
        const keep = incompleteUtf8Tail(b);
        if (keep > 0) {
          this.utf8Tail = Buffer.from(b.subarray(b.length - keep));
          b = b.subarray(0, b.length - keep);
        }
      }
      if (!isUtf8(b)) throw badEncoding("the document is not valid UTF-8 (its declared or default encoding)");
      return b.toString("utf8");
    }
    try {
      return this.decoder!.decode(chunk, { stream: more });
    } catch {
      throw badEncoding(`the document is not valid ${this.encoding ?? "text"} (its declared encoding)`);
    }
  }
}

/** How many bytes at the end of `b` start a UTF-8 sequence that is not complete yet (0 to 3). */
function incompleteUtf8Tail(b: Buffer): number {
  const n = b.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const c = b[n - k]!;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}

/** The text of a whole XML document from its bytes (see XmlTextDecoder). */
export function decodeXmlBytes(buf: Uint8Array): string {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  // the usual case, in one native pass: no BOM, no declaration of another encoding, valid UTF-8
  if (b[0] !== 0xef && b[0] !== 0xfe && b[0] !== 0xff && b[1] !== 0x00 && isUtf8(b)) {
    const declared = b[0] === 0x3c && b[1] === 0x3f ? declaredEncoding(b) : undefined;
    if (declared === undefined || NATIVE[declared.toLowerCase()] === "utf-8") return b.toString("utf8");
  }
  const d = new XmlTextDecoder();
  return d.write(b) + d.end();
}

/** Parses a complete document held in one string. */
export function parseDocument(xml: string, opts?: ParseOptions): ReturnType<XmlRpcParser["finish"]> {
  const p = new XmlRpcParser(opts);
  p.write(xml);
  return p.finish();
}

/** Parses a `<methodCall>`. */
export function parseMethodCall(xml: string, opts?: ParseOptions): MethodCall {
  const r = parseDocument(xml, opts);
  if (r.root !== "methodCall") throw new XmlRpcParseError("expected <methodCall>", "invalid");
  return r.call;
}

/** Parses a `<methodResponse>`. */
export function parseMethodResponse(xml: string, opts?: ParseOptions): MethodResponse {
  const r = parseDocument(xml, opts);
  if (r.root !== "methodResponse") throw new XmlRpcParseError("expected <methodResponse>", "invalid");
  return r.response;
}

/** Whether an error came from the parser as a protocol problem. */
export function isParseProblem(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
