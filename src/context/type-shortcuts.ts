/**
 * The schema 1.1 type-shortcut root elements and the values they make:
 * str and unicode → string; int → number (an integer); long → number, or
 * bigint beyond 2^53; float → number; decimal → Decimal; bool → boolean;
 * complex → Complex.
 */
import { Complex, Decimal } from "../core/values.js";

export const TYPE_SHORTCUTS: ReadonlyMap<string, string> = new Map([
  ["str", "string"],
  ["unicode", "string"],
  ["int", "number (integer)"],
  ["long", "number, or bigint beyond 2^53"],
  ["float", "number"],
  ["decimal", "Decimal"],
  ["bool", "boolean"],
  ["complex", "Complex"],
]);

function parseInteger(text: string, what: string): bigint {
  const t = text.trim().replace(/_/g, "");
  if (!/^[+-]?\d+[lL]?$/.test(t)) throw new RangeError(`'${text}' is not ${what}`);
  return BigInt(t.replace(/[lL]$/, ""));
}

export function convertShortcut(kind: string, text: string): unknown {
  switch (kind) {
    case "str":
    case "unicode":
      return text;
    case "int": {
      const n = parseInteger(text, "an integer");
      if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new RangeError(`'${text.trim()}' is beyond the safe integer range; use <long>`);
      }
      return Number(n);
    }
    case "long": {
      const n = parseInteger(text, "an integer");
      return n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER) ? n : Number(n);
    }
    case "float": {
      const t = text.trim().toLowerCase();
      if (t === "inf" || t === "+inf" || t === "infinity") return Infinity;
      if (t === "-inf" || t === "-infinity") return -Infinity;
      if (t === "nan") return NaN;
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/.test(t)) throw new RangeError(`'${text}' is not a number`);
      return Number(t);
    }
    case "decimal":
      return new Decimal(text);
    case "bool":
      switch (text.trim()) {
        case "True":
        case "true":
        case "1":
          return true;
        case "False":
        case "false":
        case "0":
          return false;
        default:
          throw new RangeError(`'${text}' is not a boolean (use True or False)`);
      }
    case "complex":
      return Complex.parse(text);
    default:
      throw new RangeError(`unknown type '${kind}'`);
  }
}
