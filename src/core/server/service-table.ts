/**
 * The server side of the call path, shared by every protocol: one table of
 * served objects that the Pyro daemon, the Hessian handler, the XML-RPC
 * server (and NATS) all dispatch through.
 *
 * It owns the rules that used to be written once per server:
 * - registration under a name (a taken name is ERR_DUPLICATE_NAME), of an
 *   object or of a class served per instance mode (single, session, percall);
 * - exposure: public methods only (core/server/exposure), an allow-list,
 *   oneway methods, public data attributes for attribute access;
 * - arity: a call with too few or too many arguments is refused before the
 *   method runs (Python's TypeError for Pyro clients, a fault for Hessian and
 *   XML-RPC), and keyword arguments land by parameter name;
 * - a deadline the client sent that has passed: the method is not run;
 * - server interceptors, OpenTelemetry server spans, and the per-call
 *   context (`callContext()`) around every method.
 *
 * A protocol turns its request into a `ServerCall` and its reply from what
 * `invoke` returns or throws (a ServiceError says why a call was refused).
 * Fast paths ask `prepared(service, method)` for a handle that keeps these
 * rules instead of repeating them.
 */
import { ErrorCodes, RemotingError } from "../errors.js";
import { traceServerCall } from "../policies/tracing.js";
import { runInCallContext, type CallContext } from "./call-context.js";
import { exposedAttributes, exposedMethods, isExposableName, parametersOf, MethodNotFoundError, ServiceError, type ExposeOptions, type Parameters } from "./exposure.js";
import { ClassInstances, isPyroClass, releaseSessions, resolveBehavior, type InstanceCreator, type InstanceMode, type PyroClass, type SessionKey } from "./instances.js";

export interface ServerCall {
  readonly service: string;
  readonly method: string;
  readonly args: readonly unknown[];
  /** Keyword arguments (Pyro); placed by parameter name (see PARAMS), else passed as one trailing object. */
  readonly kwargs?: Readonly<Record<string, unknown>> | undefined;
  readonly context: CallContext;
  /** What identifies the client's session (its connection), for session instances. */
  readonly session?: SessionKey | undefined;
  /** For a served class: the instance to call, already chosen (one instance for every call of a Pyro batch, as Pyro4 does). */
  readonly instance?: object | undefined;
}

export type ServerInvoke = (call: ServerCall) => unknown;
/** Wraps the next step of the server stack, like a client Interceptor: `(next) => (call) => ...next(call)...`. */
export type ServerInterceptor = (next: ServerInvoke) => ServerInvoke;

export interface RegisterOptions extends ExposeOptions {
  /** For a class: "single", "session" (default, or the class's static `pyroBehavior`) or "percall". */
  instanceMode?: InstanceMode | undefined;
  /** For a class: makes an instance (default `new cls()`); may be async. */
  instanceCreator?: InstanceCreator | undefined;
  /**
   * For an object: what its methods are called on, when that is not the
   * object itself (a table of functions served as one object, each called
   * on its owner, as Python's bound methods are).
   */
  receiver?: object | undefined;
}

/** A served object as the table holds it. */
export interface ServiceEntry {
  readonly name: string;
  /** The object; for a class, its prototype (nothing is called on it). */
  readonly target: object;
  readonly methods: ReadonlySet<string>;
  readonly oneway: ReadonlySet<string>;
  readonly className: string;
  /** Only for a class: its instances. */
  readonly instances: ClassInstances | undefined;
  /** What the methods are called on, when not `target` (see RegisterOptions.receiver). */
  readonly receiver?: object | undefined;
}

/**
 * Marks a method's parameter names for keyword arguments when its source
 * cannot tell them (a bound or native function):
 * `method[PARAMS] = ["name", "return_metadata"]`.
 */
export const PARAMS: unique symbol = Symbol.for("remoting.pyro.params");

/** A method ready to call on a fast path: the table's rules, looked up once. */
export interface PreparedMethod {
  readonly entry: ServiceEntry;
  readonly method: string;
  readonly oneway: boolean;
  /** Runs the method on positional arguments with the given context: its value, a promise, or a throw. */
  call(args: readonly unknown[], context: CallContext): unknown;
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** Python's wording for a wrong number of positional arguments. */
function arityMessage(method: string, p: Parameters, given: number): string | undefined {
  if (given < p.min) {
    const missing = p.names.slice(given, p.min).map((n) => `'${n ?? "?"}'`);
    const list = missing.length <= 1 ? missing.join("") : `${missing.slice(0, -1).join(", ")} and ${missing[missing.length - 1]}`;
    return `${method}() missing ${plural(p.min - given, "required positional argument")}: ${list}`;
  }
  if (given > p.max) {
    const takes = p.min === p.max ? `${p.max}` : `from ${p.min} to ${p.max}`;
    return `${method}() takes ${takes} positional argument${p.max === 1 && p.min === p.max ? "" : "s"} but ${given} ${given === 1 ? "was" : "were"} given`;
  }
  return undefined;
}

/** Places keyword arguments by parameter name; without names, passes them as one trailing object. */
function applyKwargs(fn: (...a: never[]) => unknown, method: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown[] {
  const declared = (fn as unknown as Record<symbol, unknown>)[PARAMS];
  const names = Array.isArray(declared) ? (declared as string[]) : undefined;
  if (!names) return [...args, kwargs];
  const out = [...args];
  for (const [k, v] of Object.entries(kwargs)) {
    const i = names.indexOf(k);
    if (i < 0) throw new ServiceError("keyword", `${method}() got an unexpected keyword argument '${k}'`);
    if (i < args.length) throw new ServiceError("keyword", `${method}() got multiple values for argument '${k}'`);
    while (out.length < i) out.push(undefined);
    out[i] = v;
  }
  return out;
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

export interface ServiceTableOptions {
  /** OpenTelemetry SERVER spans for every call (default true; a no-op unless the application installs an SDK). */
  tracing?: boolean | undefined;
  /** Refuse a call whose client deadline has passed before it runs (default true). */
  enforceDeadlines?: boolean | undefined;
}

export class ServiceTable {
  private readonly entries = new Map<string, ServiceEntry>();
  private readonly interceptors: ServerInterceptor[] = [];
  private stack: ServerInvoke;
  private readonly tracing: boolean;
  private readonly enforceDeadlines: boolean;

  constructor(options: ServiceTableOptions = {}) {
    this.tracing = options.tracing ?? true;
    this.enforceDeadlines = options.enforceDeadlines ?? true;
    this.stack = this.rebuild();
  }

  /**
   * Serves `target` under `name`. A plain object exposes its public methods
   * (or those in `allow`); a class is served through instances per
   * `instanceMode`. A taken name is an ERR_DUPLICATE_NAME error.
   */
  register(name: string, target: object, options: RegisterOptions = {}): ServiceEntry {
    if (target === null || (typeof target !== "object" && typeof target !== "function")) {
      throw new RemotingError("only objects and classes can be served", ErrorCodes.ERR_INVALID_ARGUMENT);
    }
    if (this.entries.has(name)) throw new RemotingError(`a service named '${name}' is already registered`, ErrorCodes.ERR_DUPLICATE_NAME);
    let entry: ServiceEntry;
    if (isPyroClass(target)) {
      if (options.receiver !== undefined) throw new RemotingError("receiver applies to served objects only", ErrorCodes.ERR_INVALID_ARGUMENT);
      const { mode, creator } = resolveBehavior(target, options);
      const proto = target.prototype as object;
      const methods = new Set(exposedMethods(proto, options));
      entry = {
        name,
        target: proto,
        methods,
        oneway: new Set((options.oneway ?? []).filter((n) => methods.has(n))),
        className: target.name || "object",
        instances: new ClassInstances(target as PyroClass, mode, creator),
      };
    } else {
      if (options.instanceMode !== undefined || options.instanceCreator !== undefined) {
        throw new RemotingError("instanceMode and instanceCreator apply to served classes only", ErrorCodes.ERR_INVALID_ARGUMENT);
      }
      const methods = new Set(exposedMethods(target, options));
      const ctor = (target as { constructor?: { name?: unknown } }).constructor;
      entry = {
        name,
        target,
        methods,
        oneway: new Set((options.oneway ?? []).filter((n) => methods.has(n))),
        className: typeof ctor?.name === "string" && ctor.name ? ctor.name : "object",
        instances: undefined,
        receiver: options.receiver,
      };
    }
    this.entries.set(name, entry);
    return entry;
  }

  /** Stops serving a name (a class: its instances are dropped). Returns whether it was served. */
  unregister(name: string): boolean {
    const e = this.entries.get(name);
    if (!e) return false;
    this.entries.delete(name);
    e.instances?.dispose();
    return true;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): ServiceEntry | undefined {
    return this.entries.get(name);
  }

  /** The served names, in registration order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }

  /** Public data attributes of a served object (none for a class: they exist per instance). */
  attributes(name: string): string[] {
    const e = this.entries.get(name);
    if (!e || e.instances) return [];
    return exposedAttributes(e.target).filter((a) => !e.methods.has(a));
  }

  /** Whether a method is served oneway (the client need not wait; HTTP servers answer at once). */
  isOneway(service: string, method: string): boolean {
    return this.entries.get(service)?.oneway.has(method) === true;
  }

  /** Adds a server interceptor (outermost first, in the order added). */
  use(interceptor: ServerInterceptor): void {
    this.interceptors.push(interceptor);
    this.stack = this.rebuild();
  }

  /** Drops the session instances of a closed connection. */
  endSession(session: SessionKey): void {
    releaseSessions(session);
  }

  private rebuild(): ServerInvoke {
    let next: ServerInvoke = (call) => this.runMethod(call);
    for (let i = this.interceptors.length - 1; i >= 0; i--) next = this.interceptors[i]!(next);
    return next;
  }

  /** The entry and the reason a method is refused (or undefined when it is served). */
  private check(service: string, method: string): ServiceEntry {
    const e = this.entries.get(service);
    if (!e) throw new ServiceError("unknown-service", "unknown object");
    if (!e.methods.has(method)) {
      if (method.startsWith("_")) throw new MethodNotFoundError(method, undefined, "private", `attempt to access private attribute '${method}'`);
      const exists = method in e.target && isExposableName(method);
      if (exists || (method in e.target && !isExposableName(method))) {
        throw new MethodNotFoundError(method, undefined, "unexposed", `attempt to access unexposed attribute '${method}'`);
      }
      throw new MethodNotFoundError(method, undefined, "no-method", `'${e.className}' object has no attribute '${method}'`);
    }
    return e;
  }

  /**
   * Runs a call through the table's rules, the server interceptors, a
   * tracing span and the call context. Returns the method's value, or a
   * promise of it (async methods, async instance creation); throws or
   * rejects with the method's error, or a ServiceError when refused.
   */
  invoke(call: ServerCall): unknown {
    this.check(call.service, call.method);
    if (this.enforceDeadlines && call.context.deadline !== Infinity && call.context.deadline <= Date.now()) {
      throw new ServiceError("deadline", `the client's deadline for '${call.method}' passed before it could run`);
    }
    // closures passed inline, not named: a named closure per call costs a defineProperty under tsx's keepNames
    if (!this.tracing) return runInCallContext(call.context, () => this.stack(call));
    return traceServerCall(call.context.protocol, call.service, call.method, call.context.metadata, () => runInCallContext(call.context, () => this.stack(call)));
  }

  /** The innermost step: instance, keyword arguments, arity, the method itself. */
  private runMethod(call: ServerCall): unknown {
    const e = this.check(call.service, call.method);
    if (e.instances) {
      if (call.instance !== undefined) return this.apply(call.instance, e, call);
      const inst = e.instances.instanceFor(call.session ?? NO_SESSION);
      if (inst instanceof Promise) return inst.then((obj) => this.apply(obj, e, call));
      return this.apply(inst, e, call);
    }
    return this.apply(e.target, e, call);
  }

  private apply(target: object, e: ServiceEntry, call: ServerCall): unknown {
    const fn = (target as Record<string, unknown>)[call.method];
    if (typeof fn !== "function") throw new MethodNotFoundError(call.method, undefined, "no-method", `'${e.className}' object has no attribute '${call.method}'`);
    const f = fn as (...a: unknown[]) => unknown;
    const args = call.kwargs !== undefined && hasKeys(call.kwargs) ? applyKwargs(f, call.method, call.args, call.kwargs) : call.args;
    const p = parametersOf(f);
    if (args.length < p.min || args.length > p.max) {
      const msg = arityMessage(call.method, p, args.length);
      if (msg) throw new ServiceError("arity", msg);
    }
    return f.apply(e.receiver ?? target, args as unknown[]);
  }

  /** Reads a public data attribute of a served object (Pyro's `__getattr__`). */
  getAttribute(service: string, attr: unknown): unknown {
    return (this.attributeTarget(service, attr) as Record<string, unknown>)[attr as string];
  }

  /** Sets a public data attribute of a served object (Pyro's `__setattr__`). */
  setAttribute(service: string, attr: unknown, value: unknown): void {
    (this.attributeTarget(service, attr) as Record<string, unknown>)[attr as string] = value;
  }

  private attributeTarget(service: string, attr: unknown): object {
    const e = this.entries.get(service);
    if (!e) throw new ServiceError("unknown-service", "unknown object");
    if (typeof attr !== "string") throw new ServiceError("keyword", "attribute name must be a string");
    // a served class exposes methods only (attributes would exist per instance)
    const ok = e.instances === undefined && !attr.startsWith("_") && !e.methods.has(attr) && exposedAttributes(e.target).includes(attr);
    if (!ok) throw new ServiceError("no-attribute", `attempt to access unexposed or unknown remote attribute '${attr}'`);
    return e.target;
  }

  /**
   * A handle for a fast path: a served plain object's exposed method, with
   * the table's rules bound in (arity, deadline, interceptors, tracing, call
   * context). Undefined for anything else (a class, an unknown name): the
   * caller then goes through `invoke`.
   */
  prepared(service: string, method: string): PreparedMethod | undefined {
    const e = this.entries.get(service);
    if (e === undefined || e.instances !== undefined || !e.methods.has(method)) return undefined;
    const fn = (e.target as Record<string, unknown>)[method];
    if (typeof fn !== "function") return undefined;
    const params = parametersOf(fn as (...a: unknown[]) => unknown);
    const target = e.target;
    const receiver = e.receiver ?? target;
    const f = fn as (...a: unknown[]) => unknown;
    return {
      entry: e,
      method,
      oneway: e.oneway.has(method),
      call: (args, context) => {
        if (args.length < params.min || args.length > params.max) {
          const msg = arityMessage(method, params, args.length);
          if (msg) throw new ServiceError("arity", msg);
        }
        // with server interceptors, the whole stack; else the method itself, in its context (and span)
        if (this.interceptors.length > 0) return this.invoke({ service, method, args, context });
        if (this.enforceDeadlines && context.deadline !== Infinity && context.deadline <= Date.now()) {
          throw new ServiceError("deadline", `the client's deadline for '${method}' passed before it could run`);
        }
        if (!this.tracing) return runInCallContext(context, () => f.apply(receiver, args as unknown[]));
        return traceServerCall(context.protocol, service, method, context.metadata, () => runInCallContext(context, () => f.apply(receiver, args as unknown[])));
      },
    };
  }
}

/** The session of calls that come with none (every such call shares it). */
const NO_SESSION: SessionKey = Object.freeze({ closed: false });

export { isPromiseLike };
