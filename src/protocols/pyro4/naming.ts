/**
 * Name-server client side: locating a Pyro4 name server (`Pyro.NameServer`)
 * and resolving PYRONAME / PYROMETA URIs through it.
 *
 * With a host, the name server is reached directly. Without one (`locateNS()`,
 * `PYRONAME:name`, `PYROMETA:tags`), it is found as Pyro4 4.82 finds it:
 *   1. when `nsHost` (default localhost) is a loopback name or address, a
 *      direct connection to nsHost:(port ?? nsPort ?? 9090);
 *   2. unless `broadcast: false`, a UDP broadcast of `GET_NSURI` to
 *      `broadcastAddrs` on `bcPort` (default 9091), 3 tries of 0.7 s;
 *   3. a direct connection to nsHost:(nsPort ?? 9090).
 */
import { ErrorCodes, NamingError, RemoteInvocationError, errorMessage } from "../../core/errors.js";
import type { CallOptions } from "../../core/invocation.js";
import { PyroProxy, type PyroProxyOptions } from "./proxy.js";
import { DEFAULT_NS_HOST, DEFAULT_NS_PORT, formatUri, parseUri, type PyroURI } from "./uri.js";
import { isIP } from "node:net";
import { DEFAULT_BROADCAST_ADDRS, DEFAULT_BROADCAST_RETRIES, DEFAULT_BROADCAST_TIMEOUT_MS, DEFAULT_NS_BCPORT, discoverNameServer, parseBroadcastAddrs } from "./broadcast.js";

export const NAMESERVER_OBJECT_ID = "Pyro.NameServer";

/** A client of a Pyro4 name server, ours or Python's. */
export class NameServerClient {
  readonly proxy: PyroProxy;
  constructor(uri: string | PyroURI, options: PyroProxyOptions = {}) {
    this.proxy = new PyroProxy(uri, options);
  }

  /** The URI registered under a name (a PYRO URI string). Unknown names raise NamingError. */
  async lookup(name: string, options?: CallOptions): Promise<string> {
    const r = await this.nsCall("lookup", [name], {}, options);
    return uriText(r);
  }

  /** `lookup(name, return_metadata=True)`: the URI and its metadata tags. */
  async lookupWithMetadata(name: string): Promise<{ uri: string; metadata: string[] }> {
    const r = await this.nsCall("lookup", [name], { return_metadata: true });
    const [uri, meta] = Array.isArray(r) ? r : [r, []];
    return { uri: uriText(uri), metadata: toStrings(meta) };
  }

  async register(name: string, uri: string, options: { safe?: boolean; metadata?: Iterable<string> } = {}): Promise<void> {
    const kw: Record<string, unknown> = {};
    if (options.safe) kw["safe"] = true;
    if (options.metadata) kw["metadata"] = new Set(options.metadata);
    await this.nsCall("register", [name, uri], kw);
  }

  /** Registrations as name → URI string, filtered by at most one of prefix, regex, metadataAll, metadataAny. */
  async list(filter: { prefix?: string; regex?: string; metadataAll?: Iterable<string>; metadataAny?: Iterable<string> } = {}): Promise<Record<string, string>> {
    const kw: Record<string, unknown> = {};
    if (filter.prefix !== undefined) kw["prefix"] = filter.prefix;
    if (filter.regex !== undefined) kw["regex"] = filter.regex;
    if (filter.metadataAll) kw["metadata_all"] = new Set(filter.metadataAll);
    if (filter.metadataAny) kw["metadata_any"] = new Set(filter.metadataAny);
    const r = await this.nsCall("list", [], kw);
    const out: Record<string, string> = {};
    const entries = r instanceof Map ? [...r.entries()] : Object.entries((r ?? {}) as Record<string, unknown>);
    for (const [k, v] of entries) out[String(k)] = uriText(v);
    return out;
  }

  /** Removes by name, prefix or regex; returns how many were removed. */
  async remove(filter: { name?: string; prefix?: string; regex?: string }): Promise<number> {
    const kw: Record<string, unknown> = {};
    if (filter.name !== undefined) kw["name"] = filter.name;
    if (filter.prefix !== undefined) kw["prefix"] = filter.prefix;
    if (filter.regex !== undefined) kw["regex"] = filter.regex;
    return Number(await this.nsCall("remove", [], kw));
  }

  async setMetadata(name: string, metadata: Iterable<string>): Promise<void> {
    await this.nsCall("set_metadata", [name, new Set(metadata)], {});
  }

  async count(): Promise<number> {
    return Number(await this.nsCall("count", [], {}));
  }

  async ping(): Promise<void> {
    await this.nsCall("ping", [], {});
  }

  close(): Promise<void> {
    return this.proxy.close();
  }

  private async nsCall(method: string, args: unknown[], kwargs: Record<string, unknown>, options?: CallOptions): Promise<unknown> {
    try {
      return await this.proxy.callKw(method, args, kwargs, options);
    } catch (err) {
      if (err instanceof RemoteInvocationError && /NamingError$/.test(err.remoteType)) {
        throw new NamingError(err.remoteMessage, { cause: err });
      }
      throw err;
    }
  }
}

function toStrings(v: unknown): string[] {
  if (v instanceof Set || Array.isArray(v)) return [...(v as Iterable<unknown>)].map(String);
  return [];
}

function uriText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v !== null && typeof v === "object" && typeof (v as { protocol?: unknown }).protocol === "string") {
    return formatUri(parseUri(v as { protocol: string; object: string; host: string | null; port: number | null; sockname: string | null }));
  }
  throw new NamingError(`name server returned something that is not a URI: ${String(v)}`);
}

/** How a name server without a given host is looked for (Pyro4's NS_BCPORT, BROADCAST_ADDRS, ...). */
export interface NameServerLocateOptions {
  /** Look for the name server by UDP broadcast when no host is given (default true). */
  broadcast?: boolean | undefined;
  /** UDP port the broadcast goes to (default: the `port` argument of `locateNS` if given, else 9091). */
  bcPort?: number | undefined;
  /** Where the broadcast goes: array or comma-separated (default `<broadcast>, 0.0.0.0`; `<broadcast>` = 255.255.255.255). */
  broadcastAddrs?: string | readonly string[] | undefined;
  /** Wait for a reply per try, in ms (default 700). */
  broadcastTimeoutMs?: number | undefined;
  /** Broadcast tries (default 3). */
  broadcastRetries?: number | undefined;
}

export type LocateNSOptions = PyroProxyOptions & NameServerLocateOptions;

function isLoopbackName(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || h.startsWith("127.");
}

function nsClientAt(host: string, port: number, options: PyroProxyOptions): NameServerClient {
  const h = host.replace(/^\[(.*)\]$/, "$1");
  return new NameServerClient({ protocol: "PYRO", object: NAMESERVER_OBJECT_ID, host: h, port, sockname: null }, { ...options, timeoutMs: options.timeoutMs ?? 10_000 });
}

/** Pings; on failure closes the client and returns the error. */
async function check(ns: NameServerClient): Promise<{ error: unknown } | null> {
  try {
    await ns.ping();
    return null;
  } catch (err) {
    await ns.close();
    return { error: err };
  }
}

/**
 * A client of a name server, checked with a ping. With a host: the one at
 * host:(port ?? nsPort ?? 9090). Without: found as Pyro4 does (loopback
 * `nsHost` directly, then UDP broadcast, then `nsHost:nsPort` directly).
 * Nothing found is a NamingError naming every place tried.
 */
export async function locateNS(host?: string | null, port?: number | null, options: LocateNSOptions = {}): Promise<NameServerClient> {
  if (host !== undefined && host !== null && host !== "") {
    const p = port ?? options.nsPort ?? DEFAULT_NS_PORT;
    const ns = nsClientAt(host, p, options);
    const failure = await check(ns);
    if (failure === null) return ns;
    throw new NamingError(`Failed to locate the nameserver at ${host}:${p}: ${errorMessage(failure.error)}`, { cause: failure.error });
  }
  const nsHost = options.nsHost ?? DEFAULT_NS_HOST;
  const tried: string[] = [];
  let lastError: unknown;
  let firstDirect: string | undefined;
  // 1. a name server on this machine is the likely case: try it first
  if (isLoopbackName(nsHost)) {
    const p = port ?? options.nsPort ?? DEFAULT_NS_PORT;
    firstDirect = `${nsHost}:${p}`;
    const ns = nsClientAt(nsHost, p, options);
    const failure = await check(ns);
    if (failure === null) return ns;
    tried.push(`${firstDirect} (${errorMessage(failure.error)})`);
    lastError = failure.error;
  }
  // 2. broadcast
  if (options.broadcast !== false) {
    const bcPort = options.bcPort ?? port ?? DEFAULT_NS_BCPORT;
    const addrs = parseBroadcastAddrs(options.broadcastAddrs ?? DEFAULT_BROADCAST_ADDRS);
    const retries = options.broadcastRetries ?? DEFAULT_BROADCAST_RETRIES;
    const found = await discoverNameServer({ port: bcPort, addrs, retries, timeoutMs: options.broadcastTimeoutMs ?? DEFAULT_BROADCAST_TIMEOUT_MS });
    if (found !== null) {
      const ns = new NameServerClient(found, { ...options, timeoutMs: options.timeoutMs ?? 10_000 });
      const failure = await check(ns);
      if (failure === null) return ns;
      tried.push(`broadcast reply ${found} (${errorMessage(failure.error)})`);
      lastError = failure.error;
    } else {
      tried.push(`broadcast to ${addrs.map((a) => (isIP(a) === 6 ? `[${a}]` : a)).join(", ")} port ${bcPort} (no reply in ${retries} tries)`);
    }
  }
  // 3. directly at the configured name server
  const p = options.nsPort ?? DEFAULT_NS_PORT;
  if (`${nsHost}:${p}` !== firstDirect) {
    const ns = nsClientAt(nsHost, p, options);
    const failure = await check(ns);
    if (failure === null) return ns;
    tried.push(`${nsHost}:${p} (${errorMessage(failure.error)})`);
    lastError = failure.error;
  }
  throw new NamingError(`Failed to locate the nameserver: tried ${tried.join("; ")}`, lastError === undefined ? undefined : { cause: lastError });
}

/** Resolves PYRONAME/PYROMETA to a PYRO URI through the name server; PYRO URIs come back unchanged. */
export async function resolveUri(uri: PyroURI, options: LocateNSOptions = {}): Promise<PyroURI> {
  if (uri.protocol === "PYRO") return uri;
  let ns: NameServerClient;
  if (uri.sockname || uri.host) {
    const nsUri: PyroURI = uri.sockname
      ? { protocol: "PYRO", object: NAMESERVER_OBJECT_ID, host: null, port: null, sockname: uri.sockname }
      : { protocol: "PYRO", object: NAMESERVER_OBJECT_ID, host: uri.host, port: uri.port ?? options.nsPort ?? DEFAULT_NS_PORT, sockname: null };
    ns = new NameServerClient(nsUri, { ...options, timeoutMs: options.timeoutMs ?? 10_000 });
  } else {
    // no location: find one as locateNS() does (loopback, broadcast, nsHost:nsPort)
    ns = await locateNS(undefined, undefined, options);
  }
  try {
    if (uri.protocol === "PYRONAME") return parseUri(await ns.lookup(uri.object));
    const tags = uri.object.split(",").filter((t) => t !== "");
    const found = Object.values(await ns.list({ metadataAll: tags }));
    if (found.length === 0) throw new NamingError(`no registrations available with desired metadata properties ${JSON.stringify(tags)}`);
    return parseUri(found[Math.floor(Math.random() * found.length)]!);
  } catch (err) {
    if (err instanceof NamingError) throw err;
    throw new NamingError(`cannot resolve ${formatUri(uri)}: ${errorMessage(err)}`, { cause: err }, ErrorCodes.ERR_NAMING);
  } finally {
    await ns.close();
  }
}
