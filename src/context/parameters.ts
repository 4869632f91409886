/**
 * Reads constructor parameter names, so XML named constructor-args can be
 * matched to a class's positional parameters. A class can state them
 * explicitly with `static constructorParameters = ["a", "b"]`, which wins
 * (and is needed when code is minified).
 */

export function toCamelCase(name: string): string {
  return name.replace(/_+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

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
    if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth === 0) return src.slice(open + 1, i);
    }
  }
  return undefined;
}

function namesOf(paramSrc: string): string[] | undefined {
  const names: string[] = [];
  for (const raw of splitTopLevel(paramSrc)) {
    const p = raw.trim().replace(/^\.\.\./, "");
    const m = /^([A-Za-z_$][\w$]*)/.exec(p);
    if (!m) return undefined; // destructuring: names unknown
    names.push(m[1]!);
  }
  return names;
}

/** The parameter names of a class constructor or function, or undefined when they cannot be read. */
export function constructorParameters(fn: unknown): string[] | undefined {
  if (typeof fn !== "function") return undefined;
  const declared = (fn as { constructorParameters?: unknown }).constructorParameters;
  if (Array.isArray(declared) && declared.every((n) => typeof n === "string")) return declared as string[];
  const src = Function.prototype.toString.call(fn);
  if (/^class[\s{]/.test(src)) {
    // Find the constructor of this class body (skip nested braces).
    const body = src.indexOf("{");
    let depth = 0;
    for (let i = body; i < src.length; i++) {
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
        const open = src.indexOf("(", i);
        const inner = balanced(src, open);
        return inner === undefined ? undefined : namesOf(inner);
      }
    }
    // No own constructor: inherit the parent's parameters.
    const parent = Object.getPrototypeOf(fn) as unknown;
    if (typeof parent === "function" && parent !== Function.prototype) return constructorParameters(parent);
    return [];
  }
  const open = src.indexOf("(");
  if (open < 0) {
    const m = /^\s*([A-Za-z_$][\w$]*)\s*=>/.exec(src);
    return m ? [m[1]!] : undefined;
  }
  const inner = balanced(src, open);
  return inner === undefined ? undefined : namesOf(inner);
}
