/**
 * HighAvailabilityProxyFactory: one typed proxy over many members, for any
 * protocol, configured from XML like the other factories:
 *
 *     <object id="service" class="remoting.HighAvailabilityProxyFactory">
 *       <property name="members">
 *         <list>
 *           <value>PYROLOC://localhost:7766/ServiceName0</value>
 *           <value>PYROLOC://localhost:7766/ServiceName1</value>
 *           <ref object="anotherProxyFactory"/>
 *         </list>
 *       </property>
 *       <property name="discovery" value="PYRONAME:example.service.*"/>
 *       <property name="policy" value="round-robin"/>
 *     </object>
 *
 * Members are service URLs of any registered scheme (built through the
 * endpoint registry, with `protocol` naming the protocol of http(s) URLs and
 * `memberSettings` plus the TLS properties as their settings), references
 * to other proxy factories in the context, and whatever the `discovery`
 * source lists, re-read every `refreshMs`. See MemberPool for balancing,
 * ejection, re-admission and failover; the factory's call policies (timeout,
 * retry, logging, tracing) wrap the pool, so a call's deadline spans its
 * failovers.
 */
import { ConfigError, ErrorCodes, errorMessage } from "../errors.js";
import { getLogger } from "../logging.js";
import { createClient, endpointFor, schemeOf } from "../endpoints.js";
import { defineProperties, anyValue, duration, oneOf, string, stringMap } from "../config/properties.js";
import { tlsProperties, type TlsConfigurable } from "../tls.js";
import type { ClientOptions, Invocation, Invoker } from "../invocation.js";
import { ProxyFactory, clientOf, isProxyFactory } from "../proxy-factory.js";
import { BALANCE_POLICIES, MemberPool, type BalancePolicy, type MemberStats } from "./pool.js";
import { isDiscoveryUrl, openDiscovery, type DiscoverySource } from "./discovery.js";

const log = getLogger("remoting.ha");

/** An invoker whose client is still being made (a protocol module loads on first use). */
class Deferred implements Invoker {
  private readonly made: Promise<Invoker>;
  /** The client once made: calls then go to it directly. */
  private client: Invoker | undefined;
  constructor(make: () => Promise<Invoker>) {
    this.made = make();
    this.made.then(
      (c) => (this.client = c),
      () => undefined,
    );
  }
  dispatch(inv: Invocation): Promise<unknown> {
    const c = this.client;
    return c !== undefined ? c.dispatch(inv) : this.made.then((made) => made.dispatch(inv));
  }
  close(): Promise<void> {
    return this.made.then(
      (c) => c.close(),
      () => undefined,
    );
  }
}

type MemberSpec = string | ProxyFactory;

function parseMembers(value: unknown, name: string): MemberSpec[] {
  const list = typeof value === "string" ? value.split(/[\s,]+/).filter(Boolean) : Array.isArray(value) || value instanceof Set ? [...(value as Iterable<unknown>)] : undefined;
  if (!list) throw new ConfigError(`${name} must be a list of service URLs or proxy factories`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return list.map((m, i) => {
    if (isProxyFactory(m)) return m as ProxyFactory;
    if (typeof m !== "string" || schemeOf(m) === undefined) {
      throw new ConfigError(`${name}[${i}] must be a service URL (PYRO:..., http://..., nats://...) or a proxy factory, not '${String(m)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    return m.trim();
  });
}

function parseDiscovery(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new ConfigError(`${name} must be a discovery URL`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  const url = value.trim();
  if (!isDiscoveryUrl(url)) throw new ConfigError(`${name} '${url}' is not a discovery URL (PYRONAME:prefix.*, PYROMETA:tag, nats://host:port/service)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return url;
}

/** The pool of a factory, with its static members and its discovery source. */
class HaInvoker implements Invoker {
  readonly pool: MemberPool;
  private source: DiscoverySource | undefined;
  private ready: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly f: HighAvailabilityProxyFactory,
    private readonly settings: Record<string, unknown>,
  ) {
    this.pool = new MemberPool({
      policy: f.policy,
      idempotentMethods: f.idempotentMethods,
      ejectBaseMs: f.ejectBaseMs,
      ejectMaxMs: f.ejectMaxMs,
      pingTimeoutMs: f.pingTimeoutMs,
      name: f.serviceName ?? "the high-availability pool",
    });
    for (const m of f.members ?? []) {
      if (typeof m === "string") this.pool.add(m, this.clientFor(m, f.protocol));
      else this.pool.add(m.serviceUrl ?? `member ${this.pool.ids.length}`, clientOf(m), false);
    }
    if (f.discovery !== undefined) {
      const ready = this.startDiscovery(f.discovery);
      this.ready = ready;
      // once discovery has started, calls go straight to the pool (a failure stays: every call reports it)
      ready.then(
        () => {
          if (this.ready === ready) this.ready = undefined;
        },
        () => undefined,
      );
    }
  }

  private clientFor(url: string, protocol: string | undefined): Invoker {
    endpointFor(url, protocol); // a URL no protocol takes fails now, not at the first call
    return new Deferred(() => createClient(url, { protocol, settings: this.settings }));
  }

  private async startDiscovery(url: string): Promise<void> {
    this.source = await openDiscovery(url, { protocol: this.f.protocol, settings: this.settings });
    await this.refresh();
    const every = this.f.refreshMs;
    if (Number.isFinite(every)) {
      const tick = (): void => {
        this.timer = setTimeout(() => {
          void this.refresh().finally(() => {
            if (!this.closed) tick();
          });
        }, every);
        this.timer.unref();
      };
      tick();
    }
  }

  /** Re-reads the discovery source: new members join, vanished ones leave. */
  async refresh(): Promise<void> {
    const source = this.source;
    if (!source || this.closed) return;
    let found;
    try {
      found = await source.list();
    } catch (err) {
      log.warn("%s: discovery failed, keeping the current members: %s", this.pool.name, errorMessage(err));
      return;
    }
    const ids = new Set(found.map((m) => m.id));
    const staticIds = new Set((this.f.members ?? []).map((m) => (typeof m === "string" ? m : m.serviceUrl)));
    for (const m of found) if (!this.pool.ids.includes(m.id)) this.pool.add(m.id, this.clientFor(m.url, m.protocol ?? this.f.protocol));
    for (const id of this.pool.ids) if (!ids.has(id) && !staticIds.has(id)) this.pool.remove(id);
  }

  dispatch(inv: Invocation): Promise<unknown> {
    const ready = this.ready;
    return ready === undefined ? this.pool.dispatch(inv) : ready.then(() => this.pool.dispatch(inv));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ready?.catch(() => undefined);
    await this.source?.close().catch(() => undefined);
    await this.pool.close();
  }
}

const kPool: unique symbol = Symbol("pool");
const TLS_SETTINGS: ReadonlyArray<keyof TlsConfigurable> = ["tlsKey", "tlsCert", "tlsCa", "tlsVerifyFields", "tlsMinVersion", "tlsMaxVersion", "tlsCiphers", "tlsVerifyServer", "tlsCheckHostname", "tlsServername"];

export class HighAvailabilityProxyFactory extends ProxyFactory {
  declare [kPool]: HaInvoker | undefined;
  declare members: MemberSpec[] | undefined;
  declare discovery: string | undefined;
  declare refreshMs: number;
  declare policy: BalancePolicy;
  declare protocol: string | undefined;
  declare memberSettings: Record<string, string> | undefined;
  declare ejectBaseMs: number;
  declare ejectMaxMs: number;
  declare pingTimeoutMs: number;
  declare serviceName: string | undefined;

  constructor(members?: MemberSpec[] | { members?: MemberSpec[]; discovery?: string; policy?: BalancePolicy }) {
    super();
    if (Array.isArray(members)) this.members = members;
    else if (members) {
      if (members.members) this.members = members.members;
      if (members.discovery) this.discovery = members.discovery;
      if (members.policy) this.policy = members.policy;
    }
  }

  protected get protocolName(): string {
    return "ha";
  }

  /** Per-member counters: calls, failures, ejections, pending calls, state, last failure (empty before the first call). */
  memberStats(): MemberStats[] {
    return this[kPool]?.pool.stats() ?? [];
  }

  /** Re-reads the discovery source now (normally done every refreshMs). */
  async refreshMembers(): Promise<void> {
    await this[kPool]?.refresh();
  }

  protected createInvoker(_options: ClientOptions): Invoker {
    if ((this.members === undefined || this.members.length === 0) && this.discovery === undefined) {
      throw new ConfigError("a HighAvailabilityProxyFactory needs members or a discovery URL", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    }
    const t = this as unknown as Record<string, unknown>;
    const settings: Record<string, unknown> = { ...this.memberSettings };
    for (const k of TLS_SETTINGS) if (t[k] !== undefined) settings[k] = t[k];
    const pool = new HaInvoker(this, settings);
    Object.defineProperty(this, kPool, { value: pool, writable: true, configurable: true, enumerable: false });
    return pool;
  }

  protected override async resetInvoker(): Promise<void> {
    Object.defineProperty(this, kPool, { value: undefined, writable: true, configurable: true, enumerable: false });
    await super.resetInvoker();
  }
}
defineProperties(HighAvailabilityProxyFactory, {
  members: anyValue<MemberSpec[]>("the members: service URLs of any scheme and references to proxy factories", "list of URLs or refs", parseMembers, undefined, { connection: true }),
  discovery: anyValue<string>("where to find more members, re-read every refreshMs: PYRONAME:prefix.* (every name-server entry under the prefix), PYROMETA:tag (every entry with the tags), nats://host:port/service (the instances of a NATS service)", "URL", parseDiscovery, undefined, { connection: true }),
  refreshMs: duration("how often the discovery source is re-read; none: only at the first call", 5000, { connection: true }),
  policy: oneOf("how a call picks a member: round-robin, random, or least-pending (the less busy of two picked at random)", BALANCE_POLICIES, "round-robin", { roundrobin: "round-robin", leastpending: "least-pending", "least-request": "least-pending" }, { connection: true }),
  protocol: oneOf("the protocol of http(s) member URLs (Hessian and XML-RPC share those schemes)", ["hessian", "xmlrpc", "pyro4", "nats"] as const, undefined, {}, { connection: true }),
  memberSettings: stringMap("settings of the members' clients, by their proxy factory's property names (serializer, hmacKey, ...)", { connection: true, secret: true }),
  ejectBaseMs: duration("first wait before pinging an ejected member; doubles with each failed ping and each ejection", 1000, { allowNone: false, connection: true }),
  ejectMaxMs: duration("longest wait between pings of an ejected member", 15_000, { allowNone: false, connection: true }),
  pingTimeoutMs: duration("time limit of a health ping", 2000, { allowNone: false, connection: true }),
  serviceName: string("a name for the pool in messages and logs", undefined, { connection: true }),
  ...tlsProperties("client"),
});
