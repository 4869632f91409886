/**
 * The Pyro4 name server as a discovery source for the high-availability
 * proxy (src/core/ha):
 *
 * - `PYRONAME:prefix.*` (or `PYRONAME:prefix*`): every entry whose name
 *   starts with `prefix.` (or `prefix`);
 * - `PYROMETA:tag1,tag2`: every entry carrying all of the tags.
 *
 * Add `@host:port` to reach a given name server (`PYRONAME:example.*@ns:9090`);
 * without it the name server is located as `locateNS()` does (localhost
 * first, then broadcast). Each entry is a member called at the URI it is
 * registered with; an entry re-registered at another URI is a new member.
 * Settings are PyroProxyFactory's (hmacKey, serializer, TLS) and serve both
 * the name-server client and the members.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { applyOptions } from "../../core/config/properties.js";
import type { EndpointOptions } from "../../core/endpoints.js";
import type { DiscoveredMember, DiscoverySource } from "../../core/ha/discovery.js";
import { locateNS, type NameServerClient } from "./naming.js";
import { PyroProxyFactory } from "./proxy-factory.js";

interface Query {
  prefix?: string;
  tags?: string[];
  host: string | undefined;
  port: number | undefined;
}

function parseQuery(url: string): Query {
  const m = /^(PYRONAME|PYROMETA):([^@]+?)(?:@(\[[^\]]+\]|[^:]+)(?::(\d+))?)?$/i.exec(url.trim());
  if (!m) throw new ConfigError(`'${url}' is not a name-server query (PYRONAME:prefix.* or PYROMETA:tag,tag[@host:port])`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  const host = m[3]?.replace(/^\[(.*)\]$/, "$1");
  const port = m[4] !== undefined ? Number(m[4]) : undefined;
  if (m[1]!.toUpperCase() === "PYROMETA") {
    const tags = m[2]!.split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length === 0) throw new ConfigError(`'${url}' names no metadata tag`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    return { tags, host, port };
  }
  const pattern = m[2]!.trim();
  if (!pattern.endsWith("*")) throw new ConfigError(`'${url}': a PYRONAME discovery query ends with * (every name under a prefix), e.g. PYRONAME:example.service.*`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return { prefix: pattern.slice(0, -1), host, port };
}

class NameServerDiscovery implements DiscoverySource {
  private ns: NameServerClient | undefined;
  constructor(
    private readonly query: Query,
    private readonly settings: ReturnType<PyroProxyFactory["proxySettings"]>,
  ) {}

  private async client(): Promise<NameServerClient> {
    this.ns ??= await locateNS(this.query.host ?? null, this.query.port ?? null, { ...this.settings, timeoutMs: 5000 });
    return this.ns;
  }

  async list(): Promise<DiscoveredMember[]> {
    let entries: Record<string, string>;
    try {
      const ns = await this.client();
      entries = await ns.list(this.query.tags ? { metadataAll: this.query.tags } : { prefix: this.query.prefix ?? "" });
    } catch (err) {
      // locate it again next time: the name server may have moved or restarted
      const ns = this.ns;
      this.ns = undefined;
      await ns?.proxy.close().catch(() => undefined);
      throw err;
    }
    return Object.entries(entries)
      .filter(([name]) => name !== "Pyro.NameServer")
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, uri]) => ({ id: `${name} ${uri}`, url: uri }));
  }

  async close(): Promise<void> {
    await this.ns?.proxy.close();
  }
}

export function createDiscovery(url: string, options: EndpointOptions = {}): DiscoverySource {
  const factory = new PyroProxyFactory();
  applyOptions(factory, options.settings);
  return new NameServerDiscovery(parseQuery(url), factory.proxySettings());
}
