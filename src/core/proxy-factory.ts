/**
 * The base of every client-side proxy factory (PyroProxyFactory,
 * HessianProxyFactory, XmlRpcProxyFactory, HighAvailabilityProxyFactory, ...).
 * As in Spring Python, the factory *is* the proxy: any member that the
 * factory itself does not have becomes a remote method, so
 * `await factory.get_data("Hello")` calls the service. The client is made
 * lazily, on the first call.
 *
 * Every factory has the call policies (timeoutMs, retry*, idempotentMethods,
 * logCalls, tracing, interceptors; see core/policies) and passes them to its
 * client, so every entry point of the protocol runs through one stack.
 * Changing any declared property after the first call drops the client; the
 * next call builds a new one with the new settings (e.g. a new serviceUrl).
 *
 * A few names are never remote, so that the container, `await` and inspection
 * do not trigger calls: `then`, the lifecycle hooks (`afterPropertiesSet`,
 * `destroy`, `setAppContext`, post-processor hooks, in both spellings),
 * `toJSON`, `inspect` and every symbol.
 */
import { ErrorCodes, RemotingError } from "./errors.js";
import { LIFECYCLE_HOOKS } from "./lifecycle.js";
import { Client, type CallOptions, type ClientOptions, type Invocation, type Invoker } from "./invocation.js";
import type { Remote } from "./remote.js";
import { defineProperties, kPropertyChanged, string } from "./config/properties.js";
import { definePolicyProperties, policiesOf, policyInterceptors, type PolicySettings } from "./policies/index.js";
import type { Interceptor } from "./invocation.js";

/** Marks an object as a proxy factory: the container runs no lifecycle callback on it. */
export const kProxyFactory: unique symbol = Symbol.for("remoting.proxyFactory");
/** Internal: releases the factory's connections (called by the container on close). */
export const kRelease: unique symbol = Symbol.for("remoting.proxyFactory.release");
/** Internal: the factory's client. */
const kClientOf: unique symbol = Symbol.for("remoting.proxyFactory.client");

const NEVER_REMOTE: ReadonlySet<string> = new Set([
  "then",
  "catch",
  "finally",
  ...LIFECYCLE_HOOKS,
  "destroy_method",
  "toJSON",
  "inspect",
  "asymmetricMatch",
  "$$typeof",
  "nodeType",
  "constructor",
  "prototype",
]);

const kClientSlot: unique symbol = Symbol("client");
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

/** A stack over a raw Invoker (a pool, a failover set): what a factory gets when its createInvoker returns no Client. */
class StackedInvoker extends Client {
  constructor(
    private readonly inner: Invoker,
    private readonly protocolName: string,
    private readonly serviceName: string,
    options: ClientOptions,
  ) {
    super(options);
  }
  get protocol(): string {
    return this.protocolName;
  }
  get service(): string {
    return this.serviceName;
  }
  dispatch(inv: Invocation): Promise<unknown> {
    return this.inner.dispatch(inv);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export abstract class ProxyFactory {
  /** Remote methods: any name the factory does not have itself. */
  [remoteMethod: string]: any;

  declare readonly [kProxyFactory]: true;
  // Symbol-keyed state, not #private fields: methods run with `this` bound to
  // the Proxy, which has no private slots.
  declare [kClientSlot]: Client | undefined;
  declare [kMethodsSlot]: Map<string, (...args: unknown[]) => Promise<unknown>>;

  // Declared properties (core/config/properties): see definePolicyProperties below.
  declare serviceUrl: string | undefined;
  declare service_url: string | undefined;
  declare timeoutMs: number;
  declare retryAttempts: number;
  declare retryInitialBackoffMs: number;
  declare retryMaxBackoffMs: number;
  declare retryMultiplier: number;
  declare retryJitter: number;
  declare idempotentMethods: string[] | undefined;
  declare logCalls: boolean;
  declare tracing: boolean;
  declare interceptors: Interceptor[] | undefined;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    Object.defineProperty(this, kProxyFactory, { value: true, enumerable: false });
    Object.defineProperty(this, kClientSlot, { value: undefined, writable: true, enumerable: false });
    Object.defineProperty(this, kMethodsSlot, { value: new Map(), writable: true, enumerable: false });
    Object.defineProperty(this, kPropertyChanged, {
      value: () => {
        if (self[kClientSlot] !== undefined) void self.resetInvoker().catch(() => undefined);
      },
      enumerable: false,
    });
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

  /** The protocol's name, for invocations, logs and traces ("pyro4", "hessian", ...). */
  protected abstract get protocolName(): string;

  /**
   * Creates the protocol client with the factory's call policies (pass
   * `options` on to it). Called once, on the first remote call (and again
   * after a property changed). May return a raw Invoker (a pool): the
   * factory then puts the stack around it.
   */
  protected abstract createInvoker(options: ClientOptions): Client | Invoker;

  /** The client options of this factory's policies. */
  protected clientOptions(): ClientOptions {
    return { timeoutMs: this.timeoutMs, interceptors: policyInterceptors(policiesOf(this as unknown as PolicySettings)) };
  }

  /** The protocol client, created on first use. */
  protected get invoker(): Client {
    let c = this[kClientSlot];
    if (!c) {
      const options = this.clientOptions();
      const made = this.createInvoker(options);
      c = made instanceof Client ? made : new StackedInvoker(made, this.protocolName, this.serviceUrl ?? this.protocolName, options);
      this[kClientSlot] = c;
    }
    return c;
  }

  /** Whether a protocol client has been created yet (no traffic happens before). */
  protected get connected(): boolean {
    return this[kClientSlot] !== undefined;
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
    const inv = this[kClientSlot];
    this[kClientSlot] = undefined;
    this[kMethodsSlot].clear();
    if (inv) await inv.close();
  }

  async [kRelease](): Promise<void> {
    await this.resetInvoker();
  }

  /** @internal The factory's client (made on first use): how a high-availability pool uses a factory as a member. */
  [kClientOf](): Client {
    return this.invoker;
  }
}
definePolicyProperties(ProxyFactory);
defineProperties(ProxyFactory, {
  serviceUrl: string("the service's URL (each protocol's factory lists the forms it takes)", undefined, { aliases: ["service_url"], connection: true }),
});

/** The client behind a proxy factory (created on first use); its `dispatch` applies none of the factory's policies. */
export function clientOf(factory: ProxyFactory): Client {
  return factory[kClientOf]();
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
