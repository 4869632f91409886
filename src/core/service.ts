/**
 * What a served object exposes. Shared by every exporter: the public methods of
 * the object and its prototype chain, never `constructor`, members whose name
 * starts with `_`, symbol keys, accessors or `Object.prototype` internals. An
 * explicit allow-list replaces that rule.
 */
import { ErrorCodes, RemotingError } from "./errors.js";

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

function isExposableName(name: string): boolean {
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

export class MethodNotFoundError extends RemotingError {
  constructor(method: string, serviceName?: string) {
    super(
      serviceName ? `service '${serviceName}' has no exposed method '${method}'` : `no exposed method '${method}'`,
      ErrorCodes.ERR_METHOD_NOT_FOUND,
    );
  }
}

/**
 * Calls an exposed method of a served object. Throws MethodNotFoundError for a
 * name that is not exposed; whatever the method throws propagates.
 */
export async function invokeExposed(
  target: object,
  method: string,
  args: readonly unknown[],
  exposed: ReadonlySet<string>,
  serviceName?: string,
): Promise<unknown> {
  if (!exposed.has(method)) throw new MethodNotFoundError(method, serviceName);
  const fn = (target as Record<string, unknown>)[method];
  if (typeof fn !== "function") throw new MethodNotFoundError(method, serviceName);
  return await (fn as (...a: unknown[]) => unknown).apply(target, args as unknown[]);
}
