/**
 * Name-server client side: locating a Pyro4 name server (`Pyro.NameServer`)
 * and resolving PYRONAME / PYROMETA URIs through it.
 *
 * Only direct connections are made (no UDP broadcast): a URI without a
 * location uses the `nsHost`/`nsPort` options, default localhost:9090.
 */
import { ErrorCodes, NamingError, RemoteInvocationError, errorMessage } from "../../core/errors.js";
import type { CallOptions } from "../../core/invocation.js";
import { PyroProxy, type PyroProxyOptions } from "./proxy.js";
import { DEFAULT_NS_HOST, DEFAULT_NS_PORT, formatUri, parseUri, type PyroURI } from "./uri.js";

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
      return await this.proxy.call(method, args, kwargs, options);
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

/** A client of the name server at host:port (default localhost:9090), checked with a ping. */
export async function locateNS(host?: string, port?: number, options: PyroProxyOptions = {}): Promise<NameServerClient> {
  const h = host ?? options.nsHost ?? DEFAULT_NS_HOST;
  const p = port ?? options.nsPort ?? DEFAULT_NS_PORT;
  const ns = new NameServerClient({ protocol: "PYRO", object: NAMESERVER_OBJECT_ID, host: h, port: p, sockname: null }, { ...options, timeoutMs: options.timeoutMs ?? 10_000 });
  try {
    await ns.ping();
  } catch (err) {
    await ns.close();
    throw new NamingError(`Failed to locate the nameserver at ${h}:${p}: ${errorMessage(err)}`, { cause: err });
  }
  return ns;
}

/** Resolves PYRONAME/PYROMETA to a PYRO URI through the name server; PYRO URIs come back unchanged. */
export async function resolveUri(uri: PyroURI, options: PyroProxyOptions = {}): Promise<PyroURI> {
  if (uri.protocol === "PYRO") return uri;
  const nsUri: PyroURI = uri.sockname
    ? { protocol: "PYRO", object: NAMESERVER_OBJECT_ID, host: null, port: null, sockname: uri.sockname }
    : { protocol: "PYRO", object: NAMESERVER_OBJECT_ID, host: uri.host ?? options.nsHost ?? DEFAULT_NS_HOST, port: uri.port ?? options.nsPort ?? DEFAULT_NS_PORT, sockname: null };
  const ns = new NameServerClient(nsUri, { ...options, timeoutMs: options.timeoutMs ?? 10_000 });
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
