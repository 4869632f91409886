/**
 * The configuration vocabulary: strict parsers for the values of properties
 * and options, the same for every protocol. XML gives every value as text;
 * code may give numbers, booleans or lists. Anything a parser does not know
 * is a ConfigError (ERR_CONFIG_INVALID_VALUE) naming the property; nothing is
 * guessed and no setting falls back to a default on a typo.
 *
 * - booleans: true/false in any case, yes/no, on/off, 1/0;
 * - sizes in bytes: a number, or a number with a unit: B, kB/KB (1000),
 *   KiB (1024), MB, MiB, GB, GiB (units in any case: `64kb`, `16MIB`);
 * - durations in milliseconds: a number (ms), or a number with a unit:
 *   ms, s, m (minutes), h; `none`, `never`, `infinite` and `0` mean no limit
 *   where the property allows it (Infinity);
 * - ports: an integer from 0 to 65535;
 * - lists: an array, a Set, or text separated by commas or white space;
 * - maps: an object, a Map, or a JSON object in text.
 */
import { ConfigError, ErrorCodes } from "../errors.js";

function invalid(what: string, expected: string, value: unknown): never {
  const shown = typeof value === "string" ? `'${value}'` : typeof value === "object" && value !== null ? Object.prototype.toString.call(value) : `'${String(value)}'`;
  throw new ConfigError(`${what} must be ${expected}, not ${shown}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

const TRUE = new Set(["true", "yes", "on", "1"]);
const FALSE = new Set(["false", "no", "off", "0"]);

export function parseBoolean(value: unknown, what: string): boolean {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === "string") {
    const s = value.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
  }
  return invalid(what, "true or false (also yes/no, on/off, 1/0)", value);
}

const NUMBER = /^[+]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

function parseNumberText(s: string): number | undefined {
  const t = s.trim();
  return NUMBER.test(t) ? Number(t) : undefined;
}

export interface NumberBounds {
  min?: number | undefined;
  max?: number | undefined;
  integer?: boolean | undefined;
}

function checkBounds(n: number, what: string, value: unknown, b: NumberBounds, expected: string): number {
  if (!Number.isFinite(n) || (b.integer && !Number.isInteger(n)) || (b.min !== undefined && n < b.min) || (b.max !== undefined && n > b.max)) {
    return invalid(what, expected, value);
  }
  return n;
}

function boundsText(b: NumberBounds, noun: string): string {
  const parts = [b.integer ? `an integer ${noun}`.trim() : `a number ${noun}`.trim()];
  if (b.min !== undefined && b.max !== undefined) parts.push(`from ${b.min} to ${b.max}`);
  else if (b.min !== undefined) parts.push(`>= ${b.min}`);
  else if (b.max !== undefined) parts.push(`<= ${b.max}`);
  return parts.join(" ");
}

/** A plain number (no unit). */
export function parseNumber(value: unknown, what: string, bounds: NumberBounds = {}): number {
  const n = typeof value === "number" ? value : typeof value === "string" ? parseNumberText(value) : undefined;
  const expected = boundsText(bounds, "");
  if (n === undefined) return invalid(what, expected, value);
  return checkBounds(n, what, value, bounds, expected);
}

export function parseInteger(value: unknown, what: string, bounds: Omit<NumberBounds, "integer"> = {}): number {
  return parseNumber(value, what, { ...bounds, integer: true });
}

export function parsePort(value: unknown, what: string): number {
  return parseInteger(value, what, { min: 0, max: 65535 });
}

const SIZE_UNITS: Readonly<Record<string, number>> = Object.freeze({
  "": 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1_000_000,
  mb: 1_000_000,
  mib: 1024 * 1024,
  g: 1_000_000_000,
  gb: 1_000_000_000,
  gib: 1024 * 1024 * 1024,
});

/** A size in bytes: `65536`, `64kB` (64000), `64KiB` (65536), `16MiB`, `1GB`. */
export function parseSize(value: unknown, what: string, bounds: Omit<NumberBounds, "integer"> = { min: 0 }): number {
  const expected = `a size in bytes (a number, or with a unit: 64kB, 64KiB, 16MiB, 1GB)${bounds.min !== undefined && bounds.min > 0 ? `, at least ${bounds.min}` : ""}`;
  let n: number | undefined;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") {
    const m = /^\s*([+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
    if (m && unit !== undefined) n = Math.round(Number(m[1]) * unit);
  }
  if (n === undefined) return invalid(what, expected, value);
  return checkBounds(n, what, value, { ...bounds, integer: true }, expected);
}

const DURATION_UNITS: Readonly<Record<string, number>> = Object.freeze({ "": 1, ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 });
const NO_LIMIT = new Set(["none", "never", "infinite", "infinity", "unlimited"]);

export interface DurationOptions {
  /** `0`, `none`, `never`, `infinite` mean "no limit" and give Infinity (default true). */
  allowNone?: boolean | undefined;
  min?: number | undefined;
}

/** A duration in milliseconds: `30000`, `500ms`, `30s`, `2m`, `1h`; `0`/`none` for no limit (Infinity) when allowed. */
export function parseDuration(value: unknown, what: string, options: DurationOptions = {}): number {
  const allowNone = options.allowNone ?? true;
  const expected = `a duration (milliseconds, or with a unit: 500ms, 30s, 2m, 1h${allowNone ? "; 0 or none for no limit" : ""})`;
  let n: number | undefined;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") {
    const t = value.trim().toLowerCase();
    if (NO_LIMIT.has(t)) n = allowNone ? Infinity : undefined;
    else {
      const m = /^([+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]*)$/.exec(t);
      const unit = m ? DURATION_UNITS[m[2]!] : undefined;
      if (m && unit !== undefined) n = Number(m[1]) * unit;
    }
  }
  if (n === undefined || Number.isNaN(n) || n < 0 || (n === Infinity && !allowNone)) return invalid(what, expected, value);
  if (n === 0 && allowNone) return Infinity;
  if (options.min !== undefined && n < options.min) return invalid(what, `${expected}, at least ${options.min} ms`, value);
  return n;
}

/** One of `choices` (compared without case); `aliases` map other spellings to a choice. */
export function parseEnum<T extends string>(value: unknown, what: string, choices: readonly T[], aliases: Readonly<Record<string, T>> = {}): T {
  if (typeof value === "string" || typeof value === "number") {
    const s = String(value).trim();
    const lower = s.toLowerCase();
    for (const c of choices) if (c.toLowerCase() === lower) return c;
    for (const [a, c] of Object.entries(aliases)) if (a.toLowerCase() === lower) return c;
  }
  return invalid(what, `one of ${choices.join(", ")}`, value);
}

/** A list of strings: an array, a Set, or text separated by commas or white space. */
export function parseList(value: unknown, what: string): string[] {
  if (typeof value === "string") return value.split(/[\s,]+/).filter((x) => x !== "");
  if (Array.isArray(value) || value instanceof Set) {
    const out: string[] = [];
    for (const v of value as Iterable<unknown>) {
      if (typeof v !== "string" && typeof v !== "number") return invalid(what, "a list of names", value);
      out.push(String(v));
    }
    return out;
  }
  return invalid(what, "a list (an array, or names separated by commas)", value);
}

/** The entries of an object given as an object, a Map, or a JSON object in text (a <dict> in XML gives an object). */
export function parseEntries(value: unknown, what: string): Array<[string, unknown]> {
  if (value instanceof Map) return [...(value as Map<unknown, unknown>)].map(([k, v]) => [String(k), v]);
  if (typeof value === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return invalid(what, "an object (a <dict>, or a JSON object in text)", value);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return invalid(what, "an object (a <dict>, or a JSON object in text)", value);
    return Object.entries(parsed as Record<string, unknown>);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return Object.entries(value as Record<string, unknown>);
  return invalid(what, "an object of names to values", value);
}

/** A map of strings: an object, a Map, or a JSON object in text. */
export function parseStringMap(value: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of parseEntries(value, what)) {
    if (v === undefined || v === null || typeof v === "object" || typeof v === "function") {
      throw new ConfigError(`${what}['${k}'] must be a string`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    Object.defineProperty(out, k, { value: String(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A non-empty string. */
export function parseString(value: unknown, what: string): string {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return invalid(what, "a non-empty string", value);
}

/** The Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[n]!;
}

/**
 * The closest of `candidates` to `name` (ignoring case, `_` and `-`), when it
 * is close enough to be a typo. Between spellings of one property equally
 * close, the one written in the name's style wins (`service_prot` →
 * `service_port`, `serviceProt` → `servicePort`).
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[_-]/g, "");
  const snake = (s: string): boolean => s.includes("_");
  const n = norm(name);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(n, norm(c));
    if (d < bestD || (d === bestD && best !== undefined && snake(c) === snake(name) && snake(best) !== snake(name))) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(n.length / 4)) ? best : undefined;
}
