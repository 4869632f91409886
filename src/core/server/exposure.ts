/**
 * What a served object exposes. Shared by every server: the public methods of
 * the object and its prototype chain, never `constructor`, members whose name
 * starts with `_`, symbol keys, accessors or `Object.prototype` internals. An
 * explicit allow-list replaces that rule. Also: the parameters of a method
 * (names, how many are required, how many it takes), read from its source
 * once, for arity checks and keyword arguments.
 */
import { ErrorCodes, RemotingError, branded } from "../errors.js";
import { LIFECYCLE_HOOKS } from "../lifecycle.js";

export { parametersOf, type Parameters } from "../parameters.js";

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
const LIFECYCLE = LIFECYCLE_HOOKS;

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

branded(ServiceError, "ServiceError");
branded(MethodNotFoundError, "MethodNotFoundError");
