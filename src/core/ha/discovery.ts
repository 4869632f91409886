/**
 * Discovery: where a high-availability proxy finds its members, by URL
 * scheme, as endpoints are found by scheme. A protocol registers a source
 * for its schemes: the Pyro4 name server (`PYRONAME:prefix.*` for every
 * name under a prefix, `PYROMETA:tag` for every entry carrying the tags),
 * NATS (`nats://host:port/service`: the instances of a NATS service). The
 * proxy re-reads the source periodically: new entries join the pool,
 * vanished ones leave it, without a restart.
 */
import { ConfigError, ErrorCodes } from "../errors.js";
import { schemeOf, type EndpointOptions } from "../endpoints.js";
import { processShared } from "../shared-state.js";

/** One member as a source sees it: a stable id and the URL to call it at. */
export interface DiscoveredMember {
  id: string;
  url: string;
  /** The protocol of `url`, when its scheme is shared (http, https). */
  protocol?: string | undefined;
}

export interface DiscoverySource {
  /** The members there are now. */
  list(): Promise<DiscoveredMember[]>;
  close(): Promise<void>;
}

export type DiscoveryFactory = (url: string, options: EndpointOptions) => DiscoverySource | Promise<DiscoverySource>;

interface DiscoveryEntry {
  readonly name: string;
  readonly schemes: readonly string[];
  readonly load: () => DiscoveryFactory | Promise<DiscoveryFactory>;
}

/** One registry per process, whatever copies of the package are loaded (core/shared-state). */
const sources = processShared("discovery", (): DiscoveryEntry[] => []);

/** Registers a discovery source for URL schemes (a later registration of the same name replaces it). */
export function registerDiscovery(entry: DiscoveryEntry): void {
  const i = sources.findIndex((s) => s.name === entry.name);
  if (i >= 0) sources.splice(i, 1);
  sources.push({ ...entry, schemes: entry.schemes.map((s) => s.toLowerCase()) });
}

/** Opens the discovery source for a URL. */
export async function openDiscovery(url: string, options: EndpointOptions = {}): Promise<DiscoverySource> {
  const scheme = schemeOf(url);
  const entry = sources.find((s) => scheme !== undefined && s.schemes.includes(scheme));
  if (!entry) {
    throw new ConfigError(`no discovery source takes '${url}' (known: ${sources.flatMap((s) => s.schemes.map((x) => `${x}:`)).join(", ") || "none"})`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  return (await entry.load())(url, options);
}

/** Whether some source takes this URL's scheme (for configuration checks). */
export function isDiscoveryUrl(url: string): boolean {
  const scheme = schemeOf(url);
  return scheme !== undefined && sources.some((s) => s.schemes.includes(scheme));
}
