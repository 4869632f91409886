/**
 * Python's `repr()` of floats and strings, which is what serpent writes.
 */

/**
 * `repr(float)` for a finite number: the shortest digits that round-trip,
 * positional for decimal exponents -4..15, else `d.ddde+XX`.
 */
export function pyFloatRepr(x: number): string {
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
// than the space), plus the backslash; the quote is added per regex below.
const NON_PRINTABLE = String.raw`\\\x00-\x1f\x7f-\xa0\xad\u1680\u2000-\u200a\u202f\u205f\u3000\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}`;
const ESC_SQ = new RegExp(`['${NON_PRINTABLE}]`, "gu");
const ESC_DQ = new RegExp(`["${NON_PRINTABLE}]`, "gu");
const SIMPLE = /^[ !#-&(-[\]-~]*$/;

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, "0");
}

function escapeChar(ch: string): string {
  switch (ch) {
    case "\\":
      return "\\\\";
    case "'":
      return "\\'";
    case '"':
      return '\\"';
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
  }
  const cp = ch.codePointAt(0)!;
  if (cp < 0x100) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/** `repr(str)`: quotes chosen as Python does, non-printable characters escaped, the rest raw. */
export function pyStrRepr(s: string): string {
  if (SIMPLE.test(s)) return `'${s}'`;
  const useDouble = s.includes("'") && !s.includes('"');
  if (useDouble) return `"${s.replace(ESC_DQ, escapeChar)}"`;
  return `'${s.replace(ESC_SQ, escapeChar)}'`;
}
