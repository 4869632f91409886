/**
 * The endpoint registry: URL scheme → client factory, so that one component
 * (the high-availability proxy, `remoting call`, a name-server pool) can
 * build a client for any service URL without knowing the protocols, as
 * grpc-js's resolvers do per scheme.
 *
 * Each protocol registers its schemes (`PYRO`, `PYROLOC`, `PYRONAME`,
 * `PYROMETA` for Pyro4; `http`, `https` for Hessian and XML-RPC; `nats` for
 * NATS). A scheme served by several protocols (http, https) needs the
 * protocol named by the caller. The core never imports a protocol: entries
 * load their module when first used.
 */
import { ConfigError, ErrorCodes } from "./errors.js";
import type { Client, ClientOptions } from "./invocation.js";
import { processShared } from "./shared-state.js";

/** Options for a client made from a URL: the call policies, and protocol settings (TLS, serializer, ...). */
export interface EndpointOptions extends ClientOptions {
  /** Which protocol, when the scheme does not say (http:, https:): "hessian" or "xmlrpc". */
  protocol?: string | undefined;
  /** Protocol settings, by the property names of that protocol's proxy factory. */
  settings?: Readonly<Record<string, unknown>> | undefined;
}

export type EndpointFactory = (url: string, options: EndpointOptions) => Client | Promise<Client>;

export interface EndpointEntry {
  readonly protocol: string;
  /** Schemes without the colon, compared without case. */
  readonly schemes: readonly string[];
  /** The factory, or a loader of it (a protocol's module is loaded on first use). */
  readonly load: () => EndpointFactory | Promise<EndpointFactory>;
}

/** One registry per process, whatever copies of the package are loaded (core/shared-state). */
const entries = processShared("endpoints", (): EndpointEntry[] => []);

/** Registers a protocol's URL schemes. A later registration of the same protocol replaces the earlier. */
export function registerEndpoint(entry: EndpointEntry): void {
  const i = entries.findIndex((e) => e.protocol === entry.protocol);
  if (i >= 0) entries.splice(i, 1);
  entries.push({ ...entry, schemes: entry.schemes.map((s) => s.toLowerCase()) });
}

/** The scheme of a service URL: `PYRO` of `PYRO:obj@host:port`, `https` of `https://...`. */
export function schemeOf(url: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Registered protocols and their schemes. */
export function registeredEndpoints(): ReadonlyArray<{ protocol: string; schemes: readonly string[] }> {
  return entries.map((e) => ({ protocol: e.protocol, schemes: e.schemes }));
}

/** The entry that serves `url` (and `protocol`, when several protocols share its scheme). */
export function endpointFor(url: string, protocol?: string): EndpointEntry {
  const scheme = schemeOf(url);
  if (scheme === undefined) throw new ConfigError(`'${url}' is not a service URL (it has no scheme such as PYRO:, http: or nats:)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  const matching = entries.filter((e) => e.schemes.includes(scheme));
  if (protocol !== undefined) {
    const p = protocol.toLowerCase();
    const e = matching.find((m) => m.protocol === p) ?? entries.find((m) => m.protocol === p);
    if (!e) throw new ConfigError(`no protocol '${protocol}' is registered (known: ${entries.map((x) => x.protocol).join(", ")})`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    if (!e.schemes.includes(scheme)) throw new ConfigError(`protocol '${protocol}' does not take ${scheme}: URLs (it takes ${e.schemes.join(", ")})`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    return e;
  }
  if (matching.length === 1) return matching[0]!;
  if (matching.length === 0) {
    throw new ConfigError(`no protocol takes ${scheme}: URLs (known schemes: ${[...new Set(entries.flatMap((e) => e.schemes))].join(", ")})`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  throw new ConfigError(`${scheme}: URLs are served by ${matching.map((m) => m.protocol).join(" and ")}: name the protocol`, ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
}

/** Builds a client for a service URL of any registered scheme. */
export async function createClient(url: string, options: EndpointOptions = {}): Promise<Client> {
  const entry = endpointFor(url, options.protocol);
  const factory = await entry.load();
  return factory(url, options);
}
