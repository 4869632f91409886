/**
 * Python's `repr()` of floats and strings, which is what serpent writes.
 */
import { fastPathHits } from "../../core/fast-paths.js";

/**
 * `repr(float)` for a finite number: the shortest digits that round-trip,
 * positional for decimal exponents -4..15, else `d.ddde+XX`.
 */
export function pyFloatRepr(x: number): string {
  const a = x < 0 ? -x : x;
  if (a >= 1e-4 && a < 1e16) {
    // positional in both languages, with the same shortest round-trip digits: JS only leaves out the ".0" of whole numbers
    fastPathHits["pyrepr.float.positional"]++;
    const t = String(x);
    return t.includes(".") ? t : `${t}.0`;
  }
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const e = x.toExponential(); // shortest round-trip digits, e.g. "-1.2345e+16"
  const neg = e.charCodeAt(0) === 45;
  const ePos = e.indexOf("e");
  const digits = e.slice(neg ? 1 : 0, ePos).replace(".", "");
  const exp = Number(e.slice(ePos + 1));
  const sign = neg ? "-" : "";
  const n = digits.length;
  if (exp < -4 || exp >= 16) {
    const mant = n > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? "-" : "+"}${ae < 10 ? "0" : ""}${ae}`;
  }
  const point = exp + 1;
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= n) return `${sign}${digits}${"0".repeat(point - n)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

// Characters Python's str.isprintable() rejects (categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other
// than the space), plus the backslash.
const NON_PRINTABLE = String.raw`\\\x00-\x1f\x7f-\xa0\xad\u1680\u2000-\u200a\u202f\u205f\u3000\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}`;

/** What a UTF-16 code unit is to repr(): */
const PLAIN = 0,
  /** a character written escaped */
  ESCAPE = 1,
  SQUOTE = 2,
  DQUOTE = 3,
  /** a high surrogate: a pair's code point is looked up in its plane's table */
  HIGH = 4;

/**
 * The class of every code unit (PLAIN, ESCAPE, SQUOTE, DQUOTE, HIGH), and for
 * each of the 16 planes above it whether a code point is escaped (1) or not,
 * built when first needed from the same Unicode property classes (one scan of
 * the plane by the regular expression, a few milliseconds). A string is then
 * classified in one pass over its code units, instead of a Unicode-property
 * regular expression per character (which took about 40 ns per character).
 */
let bmp: Uint8Array | undefined;
const planes: Array<Uint8Array | undefined> = [];

function markNonPrintable(text: string, table: Uint8Array, unitsPerChar: number): void {
  const re = new RegExp(`[${NON_PRINTABLE}]`, "gu");
  for (let m = re.exec(text); m !== null; m = re.exec(text)) table[m.index / unitsPerChar] = ESCAPE;
}

function fromCodeUnits(units: Uint16Array): string {
  let s = "";
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192));
  return s;
}

/** The classes of the code units below 0x100 (no regular expression needed: text in Latin-1 never builds the full table). */
const LATIN1 = new Uint8Array(0x100);
for (let c = 0; c < 0x100; c++) LATIN1[c] = c < 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0xad || c === 0x5c ? ESCAPE : PLAIN;
LATIN1[0x27] = SQUOTE;
LATIN1[0x22] = DQUOTE;

/** The class of a code unit. */
function classOf(c: number): number {
  return c < 0x100 ? LATIN1[c]! : (bmp ?? bmpTable())[c]!;
}

function bmpTable(): Uint8Array {
  if (bmp !== undefined) return bmp;
  const t = new Uint8Array(0x10000);
  const units = new Uint16Array(0x10000);
  for (let c = 0; c < 0x10000; c++) units[c] = c >= 0xd800 && c <= 0xdfff ? 0x61 : c; // surrogates: set below
  markNonPrintable(fromCodeUnits(units), t, 1);
  t.fill(HIGH, 0xd800, 0xdc00);
  t.fill(ESCAPE, 0xdc00, 0xe000); // a low surrogate without its high one
  t[0x27] = SQUOTE;
  t[0x22] = DQUOTE;
  return (bmp = t);
}

/** Whether repr() escapes the code point `cp` (0x10000 and above). */
function astralEscaped(cp: number): boolean {
  const p = cp >>> 16;
  let t = planes[p];
  if (t === undefined) {
    t = new Uint8Array(0x10000);
    const units = new Uint16Array(0x20000);
    for (let k = 0; k < 0x10000; k++) {
      const v = ((p << 16) | k) - 0x10000;
      units[2 * k] = 0xd800 | (v >>> 10);
      units[2 * k + 1] = 0xdc00 | (v & 0x3ff);
    }
    markNonPrintable(fromCodeUnits(units), t, 2);
    planes[p] = t;
  }
  return t[cp & 0xffff] === ESCAPE;
}

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, "0");
}

function escapeCode(cp: number): string {
  switch (cp) {
    case 0x5c:
      return "\\\\";
    case 0x27:
      return "\\'";
    case 0x22:
      return '\\"';
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x09:
      return "\\t";
  }
  if (cp < 0x100) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/** The text between the quotes, the escaped characters (and the quote `quote`) escaped. */
function escapedBody(s: string, quote: number): string {
  let out = "";
  let seg = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const k = classOf(c);
    if (k === PLAIN || (k === SQUOTE && quote !== 0x27) || (k === DQUOTE && quote !== 0x22)) continue;
    let cp = c;
    let units = 1;
    if (k === HIGH) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        units = 2;
        if (!astralEscaped(cp)) {
          i++;
          continue;
        }
      }
    }
    out += s.slice(seg, i) + escapeCode(cp);
    i += units - 1;
    seg = i + 1;
  }
  return seg === 0 ? s : out + s.slice(seg);
}

/**
 * Index of the first code unit at or after `i` that is not PLAIN in the full table `t`, or `n`. The scan over long
 * text is most of the cost of writing it, so it is a loop of its own with nothing else in it (about twice as fast
 * as classifying each unit).
 */
function plainUntil(s: string, i: number, n: number, t: Uint8Array): number {
  for (; i < n; i++) if (t[s.charCodeAt(i)] !== PLAIN) return i;
  return n;
}

/**
 * The first character of a string that is not printable ASCII (0x20-0x7e). The regular expression engine scans a long
 * ASCII run (base64 text, identifiers, most machine-made text) several times faster than a loop over its code units,
 * whatever way V8 holds the string (a slice of a received document included), and a class of one range faster than a
 * class that also leaves out the quotes and the backslash: those are found by indexOf(), which costs next to nothing.
 */
const NOT_PRINTABLE_ASCII = /[^ -~]/;

/** HAS_SQ, HAS_DQ and HAS_ESC: what repr() needs to know of text (its scan stops at the first character to escape). */
const HAS_SQ = 1,
  HAS_DQ = 2,
  HAS_ESC = 4;

/** What specialAt() found: a quote (HAS_SQ, HAS_DQ), a character to escape (HAS_ESC), or a surrogate pair written as it is. */
const PAIR = 8;

/** What the code unit at `i`, of class `k` (not PLAIN), is to repr(). */
function specialAt(s: string, i: number, k: number): number {
  if (k === SQUOTE) return HAS_SQ;
  if (k === DQUOTE) return HAS_DQ;
  if (k !== HIGH) return HAS_ESC;
  const lo = s.charCodeAt(i + 1);
  if (lo < 0xdc00 || lo > 0xdfff) return HAS_ESC; // a high surrogate without its low one
  return astralEscaped(0x10000 + ((s.charCodeAt(i) - 0xd800) << 10) + (lo - 0xdc00)) ? HAS_ESC : PAIR;
}

/** The classes of short text, one code unit at a time (no table beyond Latin-1 is built for it). */
function scanShort(s: string, n: number): number {
  let found = 0;
  for (let i = 0; i < n; i++) {
    const k = classOf(s.charCodeAt(i));
    if (k === PLAIN) continue;
    const r = specialAt(s, i, k);
    if (r === PAIR) i++;
    else if (r === HAS_ESC) return found | HAS_ESC;
    else found |= r;
  }
  return found;
}

/** The same for long text from `start`: runs of plain units are skipped by plainUntil() over the full table. */
function scanLong(s: string, start: number, n: number, t: Uint8Array): number {
  let found = 0;
  for (let i = plainUntil(s, start, n, t); i < n; i = plainUntil(s, i + 1, n, t)) {
    const r = specialAt(s, i, t[s.charCodeAt(i)]!);
    if (r === PAIR) i++;
    else if (r === HAS_ESC) return found | HAS_ESC;
    else found |= r;
  }
  return found;
}

/**
 * Text of up to UNITS_MAX code units is scanned as a copy of its code units in
 * this reused buffer: Buffer's UTF-16LE writer copies them out in one native
 * pass, and loops over typed arrays read them two to three times as fast as
 * charCodeAt() (which checks how V8 holds the string at every call) or a
 * regular expression. Only on little-endian machines, where the arrays read
 * the UTF-16LE bytes as the code units.
 */
const UNITS_MAX = 32_768;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
type UnitsBuffer = Buffer & { ucs2Write(s: string, offset: number, length: number): number; utf8Write(s: string, offset: number, length: number): number };
let unitsBuffer: UnitsBuffer | undefined;
let units16: Uint16Array;
let units32: Int32Array;

/** The classes of long text (as scanLong() from the first character that is not printable ASCII), over a copy of its code units. */
function scanUnits(s: string, n: number): number {
  if (unitsBuffer === undefined) {
    unitsBuffer = Buffer.allocUnsafeSlow(2 * UNITS_MAX) as UnitsBuffer;
    units16 = new Uint16Array(unitsBuffer.buffer, unitsBuffer.byteOffset, UNITS_MAX);
    units32 = new Int32Array(unitsBuffer.buffer, unitsBuffer.byteOffset, UNITS_MAX / 2);
  }
  // the first unit that is not printable ASCII: up to SEARCH_MAX units the regular expression finds it for less than the copy costs
  let start = n <= SEARCH_MAX ? s.search(NOT_PRINTABLE_ASCII) : 0;
  if (n > SEARCH_MAX && n <= ASCII_COPY_MAX && !NOT_PRINTABLE_ASCII.test(s.slice(0, 256))) {
    // long text that starts as printable ASCII is probably all ASCII (base64, identifiers, English): its UTF-8 copy is
    // half the size of its UTF-16 one, and has as many bytes as the text has units exactly when it is all ASCII
    const m = unitsBuffer.utf8Write(s, 0, 3 * ASCII_COPY_MAX);
    if (m === n) {
      fastPathHits["pyrepr.str.asciiBytes"]++;
      const at = notPrintableAsciiByteAt(unitsBuffer, units32, n);
      // in ASCII text, a character that is not printable is a control character or DEL: escaped
      return asciiFlags(s, at) | (at >= 0 ? HAS_ESC : 0);
    }
  }
  if (start >= 0) {
    unitsBuffer.ucs2Write(s, 0, 2 * n);
    fastPathHits["pyrepr.str.units"]++;
    if (n > SEARCH_MAX) start = notPrintableAsciiAt(units16, units32, n);
  }
  let found = asciiFlags(s, start);
  if (start < 0 || (found & HAS_ESC) !== 0) return found;
  const u = units16;
  const t = bmp ?? bmpTable();
  for (let i = plainUnitsUntil(u, start, n, t); i < n; i = plainUnitsUntil(u, i + 1, n, t)) {
    const c = u[i]!;
    const k = t[c]!;
    if (k === HIGH) {
      // a surrogate pair (the commonest stop in text with emoji): its code point's plane table says
      const lo = i + 1 < n ? u[i + 1]! : 0;
      if (lo < 0xdc00 || lo > 0xdfff || astralEscaped(0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00))) return found | HAS_ESC;
      i++;
    } else if (k === SQUOTE) found |= HAS_SQ;
    else if (k === DQUOTE) found |= HAS_DQ;
    else return found | HAS_ESC;
  }
  return found;
}

const SEARCH_MAX = 1024;

/** The quotes of the whole text, and a backslash in the printable ASCII before `start` (the whole text when start < 0). */
function asciiFlags(s: string, start: number): number {
  const bs = s.indexOf("\\");
  return (bs >= 0 && (start < 0 || bs < start) ? HAS_ESC : 0) | (s.includes("'") ? HAS_SQ : 0) | (s.includes('"') ? HAS_DQ : 0);
}

/**
 * Index of the first of the `n` code units that is not printable ASCII (0x20-0x7e), or -1. Two units at a time,
 * each a 16-bit lane of an int32: a lane below 0x20 borrows into its top bit in `x - 0x00200020` (where `~x` has
 * it set), a lane of 0x7f or more reaches it in `x + 0x7f817f81`, and a lane of 0x8000 or more has it already. A
 * carry or borrow across lanes only comes from a lane that is itself out of range, so a pair is flagged exactly
 * when one of its units is out of range.
 */
function notPrintableAsciiAt(u: Uint16Array, w: Int32Array, n: number): number {
  const pairs = n >>> 1;
  let i = 0;
  for (; i + 2 <= pairs; i += 2) {
    const x = w[i]!;
    const y = w[i + 1]!;
    if (((((x - 0x00200020) & ~x) | (x + 0x7f817f81) | x | ((y - 0x00200020) & ~y) | (y + 0x7f817f81) | y) & 0x80008000) !== 0) break;
  }
  for (let j = 2 * i; j < n; j++) {
    const c = u[j]!;
    if (c < 0x20 || c > 0x7e) return j;
  }
  return -1;
}

/** The longest text whose UTF-8 copy always fits the units buffer (3 bytes per unit at most). */
const ASCII_COPY_MAX = Math.floor((2 * UNITS_MAX) / 3);

/** notPrintableAsciiAt() for the first `n` bytes of ASCII text in `b` (viewed as `w`), four bytes at a time. */
function notPrintableAsciiByteAt(b: Uint8Array, w: Int32Array, n: number): number {
  const words = n >>> 2;
  let i = 0;
  for (; i < words; i++) {
    const x = w[i]!;
    // a byte below 0x20 borrows into its top bit; 0x7f reaches it when 1 is added (no byte is 0x80 or more here)
    if (((((x - 0x20202020) & ~x) | (x + 0x01010101)) & 0x80808080) !== 0) break;
  }
  for (let j = 4 * i; j < n; j++) {
    const c = b[j]!;
    if (c < 0x20 || c > 0x7e) return j;
  }
  return -1;
}

/** plainUntil() over the code units in `u`, four at a time (PLAIN is 0: one test for the four). */
function plainUnitsUntil(u: Uint16Array, i: number, n: number, t: Uint8Array): number {
  for (; i + 4 <= n; i += 4) if ((t[u[i]!]! | t[u[i + 1]!]! | t[u[i + 2]!]! | t[u[i + 3]!]!) !== PLAIN) break;
  for (; i < n; i++) if (t[u[i]!] !== PLAIN) return i;
  return n;
}

/** `repr(str)`: quotes chosen as Python does, non-printable characters escaped, the rest raw. */
export function pyStrRepr(s: string): string {
  const n = s.length;
  let found: number;
  if (n <= 64) found = scanShort(s, n);
  else if (n <= UNITS_MAX && LITTLE_ENDIAN) found = scanUnits(s, n);
  else {
    const start = s.search(NOT_PRINTABLE_ASCII);
    found = asciiFlags(s, start);
    if (start >= 0 && (found & HAS_ESC) === 0) found |= scanLong(s, start, n, bmp ?? bmpTable());
  }
  // the quote choice needs both quotes' presence in the whole text (a scan stops at the first character to escape)
  const esc = (found & HAS_ESC) !== 0;
  const sq = esc ? s.includes("'") : (found & HAS_SQ) !== 0;
  const dq = esc ? s.includes('"') : (found & HAS_DQ) !== 0;
  // Python's choice: single quotes, unless the text has a single quote and no double quote
  const quote = sq && !dq ? 0x22 : 0x27;
  if (!esc && !(sq && dq)) {
    // the whole class of strings written as they are: nothing to escape, at most one kind of quote
    fastPathHits["pyrepr.str.plain"]++;
    return quote === 0x27 ? `'${s}'` : `"${s}"`;
  }
  return quote === 0x27 ? `'${escapedBody(s, quote)}'` : `"${escapedBody(s, quote)}"`;
}
