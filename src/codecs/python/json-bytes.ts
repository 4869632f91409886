/**
 * The json writer for documents holding lists of numbers: the bytes Python's
 * json.dumps writes (separators `, ` and `: `, non-ASCII text raw), written
 * straight into a reused buffer. Numbers are written digit by digit, which
 * is about twice as fast as V8's number-to-text inside JSON.stringify for the
 * common decimals (ints, and floats with at most 8 fraction digits below
 * 1e7); other floats fall back to String(). Strings and keys are copied as
 * they are when plain ASCII, else written by JSON.stringify.
 *
 * It is given values already in the class json.ts checks first
 * (nativeSeparators: plain objects and arrays, strings, booleans, null, ints
 * and floats that JS and Python write alike). It checks the class again as
 * it writes (a getter may answer differently the second time) and gives up
 * on anything outside it: jsonBytes() then returns undefined and the
 * general writer takes the value. Its two predicates, writtenAlike() and
 * isPlainJsonText(), are json.ts's too (the class check and the text hot
 * paths).
 */
import { payloadBuffer } from "../../core/frame-arena.js";
import { isPyInt, tooLargeError } from "./common.js";

type ByteBuffer = Buffer & {
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
};

/** The buffer kept between documents; one grown beyond this is let go after its document. */
const KEEP = 1 << 20;
let kept: ByteBuffer | undefined;

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/** Thrown inside ByteWriter for a value outside its class; never leaves jsonBytes(). */
const OUTSIDE: unique symbol = Symbol("outside the number-list writer's class");

/**
 * Whether JS (JSON.stringify, String) writes the number as Python's json does:
 * an int (a safe integer but -0), or a float that is not whole with 1e-4 <=
 * |x| < 1e16 (a whole float beyond 2^53 is written as a float, with `.0`, by the
 * general writer).
 */
export function writtenAlike(x: number): boolean {
  if (isPyInt(x)) return true;
  const a = x < 0 ? -x : x;
  return a >= 1e-4 && a < 1e16 && !Number.isInteger(a); // NaN fails the tests
}

/** Printable ASCII but `"` and `\`: what json writes between quotes as it is. */
const NOT_PLAIN = /[^ !#-[\]-~]/;

/** Whether json writes the text between quotes as it is (printable ASCII but `"` and `\`): a loop for short text, a regular expression for long. */
export function isPlainJsonText(s: string): boolean {
  const n = s.length;
  if (n > 32) return !NOT_PLAIN.test(s);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

class ByteWriter {
  b: ByteBuffer;
  j = 0;
  constructor(
    private readonly max: number,
    private readonly maxDepth: number,
  ) {
    this.b = kept ??= Buffer.allocUnsafeSlow(1 << 16) as ByteBuffer;
  }

  /** Makes room for `n` more bytes (or throws when the document would pass maxEncodedSize). */
  room(n: number): void {
    const need = this.j + n;
    if (need <= this.b.length) return;
    if (this.j > this.max) throw tooLargeError(this.j, this.max);
    let size = this.b.length * 2;
    while (size < need) size *= 2;
    const nb = Buffer.allocUnsafeSlow(size) as ByteBuffer;
    this.b.copy(nb, 0, 0, this.j);
    this.b = nb;
  }

  /** A non-negative safe integer's digits (room for them already made). */
  digits(n: number): void {
    const b = this.b;
    if (n < 10) {
      b[this.j++] = 48 + n;
      return;
    }
    if (n >= 1e9) {
      this.j += b.latin1Write(String(n), this.j, 16);
      return;
    }
    let len = 2;
    for (let t = 100; t <= n; t *= 10) len++;
    let e = this.j + len;
    this.j = e;
    while (n >= 10) {
      const q = (n / 10) | 0;
      b[--e] = 48 + (n - q * 10);
      n = q;
    }
    b[--e] = 48 + n;
  }

  /**
   * A number as JS's String() writes it. A float below 1e7 with at most 8
   * fraction digits is written from the one integer n with n / 10^k === x (k
   * the fewest digits that read back as x, n unique among its neighbours):
   * those are the shortest round-trip digits String() writes. Below 1e7, x *
   * 10^8 stays under 2^53 with an error far below 0.5, so Math.round finds n
   * whenever it exists.
   */
  number(x: number): void {
    if (!writtenAlike(x)) throw OUTSIDE;
    this.room(32);
    const b = this.b;
    let a = x;
    if (a < 0) {
      b[this.j++] = 45;
      a = -a;
    }
    if (Number.isInteger(a)) {
      this.digits(a);
      return;
    }
    if (a < 1e7) {
      for (let k = 1; k <= 8; k++) {
        const p = POW10[k]!;
        const n = Math.round(a * p);
        if (n / p !== a) continue;
        if ((n - 1) / p === a || (n + 1) / p === a) break;
        const whole = Math.floor(n / p);
        this.digits(whole);
        b[this.j++] = 46;
        let f = n - whole * p;
        for (let d = this.j + k - 1; d >= this.j; d--) {
          const q = Math.floor(f / 10);
          b[d] = 48 + (f - q * 10);
          f = q;
        }
        this.j += k;
        return;
      }
    }
    this.j += b.latin1Write(String(a), this.j, 32);
  }

  string(s: string): void {
    const n = s.length;
    if (isPlainJsonText(s)) {
      this.room(n + 2);
      const b = this.b;
      b[this.j++] = 0x22;
      this.j += b.latin1Write(s, this.j, n);
      b[this.j++] = 0x22;
      return;
    }
    const t = JSON.stringify(s);
    this.room(3 * t.length);
    this.j += this.b.utf8Write(t, this.j, this.b.length - this.j);
  }

  /** Two separator bytes, `, ` or `: `. */
  sep(c: number): void {
    this.room(2);
    this.b[this.j++] = c;
    this.b[this.j++] = 0x20;
  }

  byte(c: number): void {
    this.room(1);
    this.b[this.j++] = c;
  }

  value(v: unknown, depth: number): void {
    switch (typeof v) {
      case "string":
        return this.string(v);
      case "number":
        return this.number(v);
      case "boolean":
        this.room(5);
        this.j += this.b.latin1Write(v ? "true" : "false", this.j, 5);
        return;
      case "object": {
        if (v === null) {
          this.room(4);
          this.j += this.b.latin1Write("null", this.j, 4);
          return;
        }
        if (depth >= this.maxDepth) throw OUTSIDE;
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto === Array.prototype) {
          const a = v as unknown[];
          this.byte(0x5b);
          const n = a.length;
          for (let i = 0; i < n; i++) {
            if (i > 0) this.sep(0x2c);
            const x: unknown = a[i];
            if (typeof x === "number") this.number(x);
            else this.value(x, depth + 1);
          }
          this.byte(0x5d);
          return;
        }
        if (proto !== Object.prototype && proto !== null) throw OUTSIDE;
        this.byte(0x7b);
        let first = true;
        const o = v as Record<string, unknown>;
        for (const k in o) {
          if (!Object.prototype.hasOwnProperty.call(o, k)) throw OUTSIDE;
          if (!first) this.sep(0x2c);
          first = false;
          this.string(k);
          this.sep(0x3a);
          this.value(o[k], depth + 1);
        }
        this.byte(0x7d);
        return;
      }
      default:
        throw OUTSIDE; // undefined, a bigint, a function, a symbol
    }
  }

  /** The document written, as a Buffer of its own, after `head` unwritten bytes. */
  result(head: number): Buffer {
    const n = this.j;
    if (n > this.max) throw tooLargeError(n, this.max);
    const out = payloadBuffer(head, n);
    this.b.copy(out, head, 0, n);
    return out;
  }
}

/**
 * The json bytes of `v`, a value of the class nativeSeparators() accepts,
 * within `maxEncodedSize` (Infinity: no limit), nested at most `maxDepth`
 * deep, after `head` unwritten bytes; undefined when the value turns out to be outside the class.
 */
export function jsonBytes(v: unknown, maxEncodedSize: number, maxDepth: number, head = 0): Buffer | undefined {
  const w = new ByteWriter(maxEncodedSize, maxDepth);
  // a buffer in use by this document is not kept by another until result() gives it back
  kept = undefined;
  try {
    w.value(v, 0);
    return w.result(head);
  } catch (err) {
    if (err === OUTSIDE) return undefined;
    throw err;
  } finally {
    kept ??= w.b.length <= KEEP ? w.b : undefined;
  }
}
