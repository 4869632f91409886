/**
 * Parameter lists read from a function's source, once per function: the
 * names of a constructor's parameters (named constructor-args in XML), and
 * what a method takes (the service table's arity checks and keyword
 * arguments). A class can state its constructor's names with
 * `static constructorParameters = ["a", "b"]`, which wins (and is needed
 * when code is minified).
 */

/** Splits source text at top-level commas, skipping strings, comments and nested brackets. */
function splitTopLevel(src: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      i = end < 0 ? src.length : end;
      continue;
    }
    if (ch === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 1;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== ch) j += src[j] === "\\" ? 2 : 1;
      cur += src.slice(i, j + 1);
      i = j;
      continue;
    }
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim() !== "") parts.push(cur);
  return parts;
}

/** Finds the text between the parentheses that open at `open`. */
function balanced(src: string, open: number): string | undefined {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '"' || ch === "'" || ch === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== ch) j += src[j] === "\\" ? 2 : 1;
      i = j;
      continue;
    }
    if (ch === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    if (ch === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) return undefined;
      i = end + 1;
      continue;
    }
    if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth === 0) return src.slice(open + 1, i);
    }
  }
  return undefined;
}

/** The text of a function's parameter list (a paren-less arrow's single name included), or undefined. */
function parameterText(src: string): string | undefined {
  const arrow = src.indexOf("=>");
  const open = src.indexOf("(");
  if (arrow >= 0 && (open < 0 || arrow < open)) {
    const m = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
    return m ? m[1] : undefined;
  }
  return open < 0 ? undefined : balanced(src, open);
}

interface ParsedParameter {
  /** The name, or undefined for a destructured parameter. */
  name: string | undefined;
  rest: boolean;
}

function parse(text: string): ParsedParameter[] {
  return splitTopLevel(text)
    .map((raw) => raw.trim())
    .filter((p) => p !== "")
    .map((p) => {
      const rest = p.startsWith("...");
      const m = /^([A-Za-z_$][\w$]*)/.exec(rest ? p.slice(3).trim() : p);
      return { name: m ? m[1] : undefined, rest };
    });
}

/** The parameter names of a class constructor or function, or undefined when they cannot be read. */
export function constructorParameters(fn: unknown): string[] | undefined {
  if (typeof fn !== "function") return undefined;
  const declared = (fn as { constructorParameters?: unknown }).constructorParameters;
  if (Array.isArray(declared) && declared.every((n) => typeof n === "string")) return declared as string[];
  const src = Function.prototype.toString.call(fn);
  let text: string | undefined;
  if (/^class[\s{]/.test(src)) {
    // Find the constructor of this class body (skip nested braces).
    const body = src.indexOf("{");
    let depth = 0;
    let found = false;
    for (let i = body; i < src.length && !found; i++) {
      const ch = src[i]!;
      if (ch === '"' || ch === "'" || ch === "`") {
        let j = i + 1;
        while (j < src.length && src[j] !== ch) j += src[j] === "\\" ? 2 : 1;
        i = j;
        continue;
      }
      if (ch === "{") depth++;
      else if (ch === "}") depth--;
      else if (depth === 1 && src.startsWith("constructor", i) && /[\s(]/.test(src[i + 11] ?? "")) {
        text = balanced(src, src.indexOf("(", i));
        if (text === undefined) return undefined;
        found = true;
      }
    }
    if (!found) {
      // No own constructor: inherit the parent's parameters.
      const parent = Object.getPrototypeOf(fn) as unknown;
      if (typeof parent === "function" && parent !== Function.prototype) return constructorParameters(parent);
      return [];
    }
  } else text = parameterText(src);
  if (text === undefined) return undefined;
  const names: string[] = [];
  for (const p of parse(text)) {
    if (p.name === undefined) return undefined; // destructuring: names unknown
    names.push(p.name);
  }
  return names;
}

/** What a method takes, read from its source. */
export interface Parameters {
  /** Names of the positional parameters, in order (undefined for a destructured one). */
  names: ReadonlyArray<string | undefined>;
  /** Arguments required: those before the first default or rest parameter (the function's `length`). */
  min: number;
  /** Arguments taken at most: Infinity with a rest parameter or when the source cannot be read. */
  max: number;
  /** The name of a rest parameter (`...args`), if any. */
  rest: string | undefined;
}

const paramCache = new WeakMap<object, Parameters>();

/**
 * The parameters of a method or function, read once from its source. A
 * bound or native function, or source this reader does not follow, gives
 * what `fn.length` tells and no upper bound.
 */
export function parametersOf(fn: (...args: never[]) => unknown): Parameters {
  const cached = paramCache.get(fn);
  if (cached) return cached;
  const unknown: Parameters = { names: [], min: fn.length, max: Infinity, rest: undefined };
  const src = Function.prototype.toString.call(fn);
  const text = /\{\s*\[native code\]\s*\}\s*$/.test(src) ? undefined : parameterText(src);
  let result = unknown;
  if (text !== undefined) {
    const names: Array<string | undefined> = [];
    let rest: string | undefined;
    for (const p of parse(text)) {
      if (p.rest) {
        rest = p.name ?? "args";
        break;
      }
      names.push(p.name);
    }
    result = { names, min: Math.min(fn.length, names.length), max: rest !== undefined ? Infinity : names.length, rest };
    if (result.max < result.min) result = unknown;
  }
  paramCache.set(fn, result);
  return result;
}
