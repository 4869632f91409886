/**
 * What a served object exposes. Shared by every server: the public methods of
 * the object and its prototype chain, never `constructor`, members whose name
 * starts with `_`, symbol keys, accessors or `Object.prototype` internals. An
 * explicit allow-list replaces that rule. Also: the parameters of a method
 * (names, how many are required, how many it takes), read from its source
 * once, for arity checks and keyword arguments.
 */
import { ErrorCodes, RemotingError } from "../errors.js";

const FORBIDDEN = new Set([
  "constructor",
  "__proto__",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "toString",
  "valueOf",
  "then",
]);

/** Lifecycle hooks of the container are never remotely callable. */
const LIFECYCLE = new Set([
  "afterPropertiesSet",
  "after_properties_set",
  "destroy",
  "setAppContext",
  "set_app_context",
  "postProcessBeforeInitialization",
  "postProcessAfterInitialization",
  "post_process_before_initialization",
  "post_process_after_initialization",
]);

export interface ExposeOptions {
  /** Only these methods are exposed (still never constructor or Object.prototype internals). */
  allow?: readonly string[] | undefined;
  /** Methods that are called oneway: the caller does not wait for them. */
  oneway?: readonly string[] | undefined;
}

export function isExposableName(name: string): boolean {
  return !FORBIDDEN.has(name) && !LIFECYCLE.has(name) && !name.startsWith("_");
}

/** The names of the methods an object exposes, in a stable order. */
export function exposedMethods(target: object, options: ExposeOptions = {}): string[] {
  const found = new Set<string>();
  let obj: object | null = target;
  while (obj && obj !== Object.prototype && obj !== Function.prototype) {
    for (const key of Object.getOwnPropertyNames(obj)) {
      if (found.has(key) || !isExposableName(key)) continue;
      const desc = Object.getOwnPropertyDescriptor(obj, key);
      if (desc && "value" in desc && typeof desc.value === "function") found.add(key);
    }
    obj = Object.getPrototypeOf(obj) as object | null;
  }
  let names = [...found];
  if (options.allow) {
    const allow = new Set(options.allow.filter((n) => !FORBIDDEN.has(n)));
    names = names.filter((n) => allow.has(n));
  }
  return names.sort();
}

/** The public data attributes of an object: own enumerable non-function properties not starting with `_`. */
export function exposedAttributes(target: object): string[] {
  return Object.keys(target)
    .filter((k) => isExposableName(k) && typeof (target as Record<string, unknown>)[k] !== "function")
    .sort();
}

/** Why the service table refused a call; each protocol maps it to its own error (Python class, Java fault, XML-RPC fault). */
export type ServiceErrorReason = "unknown-service" | "no-method" | "private" | "unexposed" | "arity" | "keyword" | "no-attribute" | "deadline";

const PYTHON_TYPES: Readonly<Record<ServiceErrorReason, string>> = Object.freeze({
  "unknown-service": "Pyro4.errors.DaemonError",
  "no-method": "builtins.AttributeError",
  private: "builtins.AttributeError",
  unexposed: "builtins.AttributeError",
  arity: "builtins.TypeError",
  keyword: "builtins.TypeError",
  "no-attribute": "builtins.AttributeError",
  deadline: "Pyro4.errors.TimeoutError",
});

const CODES: Readonly<Record<ServiceErrorReason, string>> = Object.freeze({
  "unknown-service": ErrorCodes.ERR_SERVICE_NOT_FOUND,
  "no-method": ErrorCodes.ERR_METHOD_NOT_FOUND,
  private: ErrorCodes.ERR_METHOD_NOT_FOUND,
  unexposed: ErrorCodes.ERR_METHOD_NOT_FOUND,
  arity: ErrorCodes.ERR_ARITY,
  keyword: ErrorCodes.ERR_ARITY,
  "no-attribute": ErrorCodes.ERR_METHOD_NOT_FOUND,
  deadline: ErrorCodes.ERR_TIMEOUT,
});

/** A call the service table refused before running anything. */
export class ServiceError extends RemotingError {
  /** The Python exception class a Pyro client receives. */
  readonly pythonType: string;
  constructor(
    readonly reason: ServiceErrorReason,
    message: string,
  ) {
    super(message, CODES[reason]);
    this.pythonType = PYTHON_TYPES[reason];
  }
}

/** A method the service does not expose (or does not have). */
export class MethodNotFoundError extends ServiceError {
  constructor(method: string, serviceName?: string, reason: "no-method" | "private" | "unexposed" = "no-method", message?: string) {
    super(reason, message ?? (serviceName ? `service '${serviceName}' has no exposed method '${method}'` : `no exposed method '${method}'`));
  }
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

const UNKNOWN_PARAMS = (fn: { length: number }): Parameters => ({ names: [], min: fn.length, max: Infinity, rest: undefined });

/** The text between the parentheses of a function's parameter list, or undefined when it cannot be found. */
function parameterText(src: string): string | undefined {
  // skip a leading "async", "function", "*", a name: find the first "(" that opens the parameter list
  const arrow = src.indexOf("=>");
  const open = src.indexOf("(");
  if (arrow >= 0 && (open < 0 || arrow < open)) {
    // a paren-less arrow: `x => ...` or `async x => ...`
    const m = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src.trim());
    return m ? m[1] : undefined;
  }
  if (open < 0) return undefined;
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      const nl = src.indexOf("\n", i);
      if (nl < 0) return undefined;
      i = nl;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) return undefined;
      i = end + 1;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) return src.slice(open + 1, i);
    }
  }
  return undefined;
}

/** Splits a parameter list at its top-level commas. */
function splitParameters(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "").trim()).filter((s) => s !== "");
}

const paramCache = new WeakMap<object, Parameters>();

/**
 * The parameters of a function, read once from its source. A bound or
 * native function, or source this reader does not follow, gives what
 * `fn.length` tells and no upper bound.
 */
export function parametersOf(fn: (...args: never[]) => unknown): Parameters {
  const cached = paramCache.get(fn);
  if (cached) return cached;
  let result: Parameters;
  const src = Function.prototype.toString.call(fn);
  const text = /\{\s*\[native code\]\s*\}\s*$/.test(src) ? undefined : parameterText(src);
  if (text === undefined) result = UNKNOWN_PARAMS(fn);
  else {
    const parts = splitParameters(text);
    const names: Array<string | undefined> = [];
    let rest: string | undefined;
    for (const p of parts) {
      if (p.startsWith("...")) {
        rest = /^\.\.\.\s*([A-Za-z_$][\w$]*)/.exec(p)?.[1] ?? "args";
        break;
      }
      const m = /^([A-Za-z_$][\w$]*)/.exec(p);
      names.push(m ? m[1] : undefined);
    }
    result = { names, min: Math.min(fn.length, names.length), max: rest !== undefined ? Infinity : names.length, rest };
    if (result.max < result.min) result = UNKNOWN_PARAMS(fn);
  }
  paramCache.set(fn, result);
  return result;
}

/**
 * @deprecated Migration only: servers dispatch through the ServiceTable. Calls
 * an exposed method of a served object; throws MethodNotFoundError.
 */
export async function invokeExposed(target: object, method: string, args: readonly unknown[], exposed: ReadonlySet<string>, serviceName?: string): Promise<unknown> {
  if (!exposed.has(method)) throw new MethodNotFoundError(method, serviceName);
  const fn = (target as Record<string, unknown>)[method];
  if (typeof fn !== "function") throw new MethodNotFoundError(method, serviceName);
  return await (fn as (...a: unknown[]) => unknown).apply(target, args as unknown[]);
}
