/**
 * The base of every client-side proxy factory (PyroProxyFactory,
 * HessianProxyFactory, XmlRpcProxyFactory, ...). As in Spring Python, the
 * factory *is* the proxy: any member that the factory itself does not have
 * becomes a remote method, so `await factory.get_data("Hello")` calls the
 * service. The connection is made lazily, on the first call.
 *
 * A few names are never remote, so that the container, `await` and inspection
 * do not trigger calls: `then`, the lifecycle hooks (`afterPropertiesSet`,
 * `destroy`, `setAppContext`, post-processor hooks, in both spellings),
 * `toJSON`, `inspect` and every symbol.
 */
import { ErrorCodes, RemotingError } from "./errors.js";
import type { CallOptions, Invoker } from "./invocation.js";
import type { Remote } from "./remote.js";

/** Marks an object as a proxy factory: the container runs no lifecycle callback on it. */
export const kProxyFactory: unique symbol = Symbol.for("remoting.proxyFactory");
/** Internal: releases the factory's connections (called by the container on close). */
export const kRelease: unique symbol = Symbol.for("remoting.proxyFactory.release");

const NEVER_REMOTE = new Set([
  "then",
  "catch",
  "finally",
  "afterPropertiesSet",
  "after_properties_set",
  "destroy",
  "destroy_method",
  "setAppContext",
  "set_app_context",
  "postProcessBeforeInitialization",
  "postProcessAfterInitialization",
  "post_process_before_initialization",
  "post_process_after_initialization",
  "toJSON",
  "inspect",
  "asymmetricMatch",
  "$$typeof",
  "nodeType",
  "constructor",
  "prototype",
]);

const kInvokerSlot: unique symbol = Symbol("invoker");
const kMethodsSlot: unique symbol = Symbol("methods");

function methodOf(pf: ProxyFactory, name: string): (...args: unknown[]) => Promise<unknown> {
  const methods = pf[kMethodsSlot];
  let fn = methods.get(name);
  if (!fn) {
    fn = (...args: unknown[]) => {
      try {
        return pf.callRemote(name, args);
      } catch (err) {
        return Promise.reject(
          err instanceof RemotingError ? err : new RemotingError(`cannot call '${name}': ${String(err)}`, ErrorCodes.ERR_REMOTING, { cause: err }),
        );
      }
    };
    Object.defineProperty(fn, "name", { value: name });
    methods.set(name, fn);
  }
  return fn;
}

export abstract class ProxyFactory {
  /** Remote methods: any name the factory does not have itself. */
  [remoteMethod: string]: any;

  declare readonly [kProxyFactory]: true;
  // Symbol-keyed state, not #private fields: methods run with `this` bound to
  // the Proxy, which has no private slots.
  declare [kInvokerSlot]: Invoker | undefined;
  declare [kMethodsSlot]: Map<string, (...args: unknown[]) => Promise<unknown>>;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    Object.defineProperty(this, kProxyFactory, { value: true, enumerable: false });
    Object.defineProperty(this, kInvokerSlot, { value: undefined, writable: true, enumerable: false });
    Object.defineProperty(this, kMethodsSlot, { value: new Map(), writable: true, enumerable: false });
    const handler: ProxyHandler<this> = {
      get(target, prop, receiver) {
        if (typeof prop === "symbol" || prop in target || NEVER_REMOTE.has(prop)) {
          return Reflect.get(target, prop, receiver === proxy ? target : receiver);
        }
        return methodOf(self, prop);
      },
    };
    const proxy = new Proxy(this, handler);
    return proxy;
  }

  /** Creates the protocol client. Called once, on the first remote call. */
  protected abstract createInvoker(): Invoker;

  /** The protocol client, created on first use. */
  protected get invoker(): Invoker {
    if (!this[kInvokerSlot]) this[kInvokerSlot] = this.createInvoker();
    return this[kInvokerSlot];
  }

  /** Whether a protocol client has been created yet (no traffic happens before). */
  protected get connected(): boolean {
    return this[kInvokerSlot] !== undefined;
  }

  /** Calls a remote method by name, with per-call options. Reaches names the factory itself uses. */
  callRemote(method: string, args: readonly unknown[] = [], options?: CallOptions): Promise<unknown> {
    return this.invoker.invoke(method, args, options);
  }

  /** This factory seen as a typed `Remote<T>`. */
  as<T>(): Remote<T> & this {
    return this as unknown as Remote<T> & this;
  }

  /** Drops the protocol client; the next call creates a new one (e.g. after the URL changed). */
  protected async resetInvoker(): Promise<void> {
    const inv = this[kInvokerSlot];
    this[kInvokerSlot] = undefined;
    this[kMethodsSlot].clear();
    if (inv) await inv.close();
  }

  async [kRelease](): Promise<void> {
    await this.resetInvoker();
  }
}


export function isProxyFactory(obj: unknown): boolean {
  return typeof obj === "object" && obj !== null && (obj as Record<symbol, unknown>)[kProxyFactory] === true;
}

/**
 * Releases a proxy factory's connections (what the container does on close).
 * A function, not a method, so that no remote method name is shadowed: a
 * remote `close()` stays reachable as `factory.close()`.
 */
export async function releaseProxy(factory: unknown): Promise<void> {
  if (isProxyFactory(factory)) await (factory as ProxyFactory)[kRelease]();
}
