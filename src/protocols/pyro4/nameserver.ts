/**
 * A Pyro4-compatible name server: the `Pyro.NameServer` object (lookup,
 * register, list, remove, set_metadata, count, ping) served by our daemon.
 * Python's `Pyro4.locateNS(host, port)`, `PYRONAME:` and `PYROMETA:` URIs work
 * against it, and our own client (`locateNS`, `resolveUri`) works against
 * Python's `python3 -m Pyro4.naming`.
 *
 * Storage is in memory. A UDP broadcast responder (port 9091 by default)
 * answers Pyro4's `GET_NSURI` discovery requests with the name server's URI,
 * so `locateNS()` without a host finds it (see broadcast.ts).
 */
import { ErrorCodes, NamingError, RemotingError, errorMessage } from "../../core/errors.js";
import { getLogger } from "../../core/logging.js";
import { isIP } from "node:net";
import { BroadcastResponder, DEFAULT_NS_BCPORT } from "./broadcast.js";
import { PyroURIValue } from "./codec.js";
import { PyroDaemon, PYRO_PARAMS, type PyroDaemonOptions } from "./daemon.js";
import { NAMESERVER_OBJECT_ID } from "./naming.js";
import { DEFAULT_NS_PORT, formatUri, parseUri } from "./uri.js";

/** Longest regular expression accepted by list()/remove(). */
export const MAX_NS_REGEX_LENGTH = 1000;

interface Entry {
  uri: string;
  metadata: Set<string>;
}

function params<T extends (...a: any[]) => unknown>(fn: T, names: string[]): void {
  Object.defineProperty(fn, PYRO_PARAMS, { value: names });
}

function uriString(u: unknown): string {
  if (typeof u === "string") return formatUri(parseUri(u));
  if (u instanceof PyroURIValue) return formatUri(parseUri(u));
  throw new RemotingError("uri must be a string or a Pyro URI", ErrorCodes.ERR_INVALID_ARGUMENT);
}

function metaSet(m: unknown): Set<string> {
  if (m === undefined || m === null) return new Set();
  if (typeof m === "string") throw new RemotingError("metadata must be an iterable of strings, not a string", ErrorCodes.ERR_INVALID_ARGUMENT);
  if (m instanceof Set || Array.isArray(m)) {
    const out = new Set<string>();
    for (const x of m as Iterable<unknown>) {
      if (typeof x !== "string") throw new RemotingError("metadata must contain strings", ErrorCodes.ERR_INVALID_ARGUMENT);
      out.add(x);
    }
    return out;
  }
  throw new RemotingError("metadata must be a set or list of strings", ErrorCodes.ERR_INVALID_ARGUMENT);
}

function toRegex(regex: string): RegExp {
  if (regex.length > MAX_NS_REGEX_LENGTH) throw new NamingError(`regex longer than ${MAX_NS_REGEX_LENGTH} characters`);
  try {
    // Python's re.match: anchored at the start only
    return new RegExp(`^(?:${regex})`);
  } catch (err) {
    throw new NamingError(`invalid regex: ${(err as Error).message}`);
  }
}

function toURIValue(uri: string): PyroURIValue {
  const u = parseUri(uri);
  return new PyroURIValue(u.protocol, u.object, u.sockname, u.host, u.port);
}

/** The `Pyro.NameServer` object. */
export class NameServer {
  private readonly entries = new Map<string, Entry>();

  lookup(name: string, return_metadata = false): unknown {
    const e = this.entries.get(String(name));
    if (!e) throw new NamingError(`unknown name: ${String(name)}`);
    const uri = toURIValue(e.uri);
    return return_metadata ? Object.freeze([uri, [...e.metadata]]) : uri;
  }

  register(name: string, uri: unknown, safe = false, metadata: unknown = null): null {
    if (typeof name !== "string") throw new TypeError("name must be a str");
    if (name === "") throw new NamingError("name must not be empty");
    const text = uriString(uri);
    if (safe && this.entries.has(name)) throw new NamingError(`name already registered: ${name}`);
    this.entries.set(name, { uri: text, metadata: metaSet(metadata) });
    return null;
  }

  list(prefix: string | null = null, regex: string | null = null, metadata_all: unknown = null, metadata_any: unknown = null, return_metadata = false): Record<string, unknown> {
    const filters = [prefix, regex, metadata_all, metadata_any].filter((f) => f !== null && f !== undefined).length;
    if (filters > 1) throw new RangeError("you can only filter on one thing at a time");
    let names = [...this.entries.keys()];
    if (prefix !== null && prefix !== undefined) names = names.filter((n) => n.startsWith(String(prefix)));
    else if (regex !== null && regex !== undefined) {
      const re = toRegex(String(regex));
      names = names.filter((n) => re.test(n));
    } else if (metadata_all !== null && metadata_all !== undefined) {
      const want = metaSet(metadata_all);
      names = names.filter((n) => [...want].every((m) => this.entries.get(n)!.metadata.has(m)));
    } else if (metadata_any !== null && metadata_any !== undefined) {
      const want = metaSet(metadata_any);
      names = names.filter((n) => [...want].some((m) => this.entries.get(n)!.metadata.has(m)));
    }
    const out: Record<string, unknown> = {};
    for (const n of names) {
      const e = this.entries.get(n)!;
      out[n] = return_metadata ? Object.freeze([e.uri, [...e.metadata]]) : e.uri;
    }
    return out;
  }

  remove(name: string | null = null, prefix: string | null = null, regex: string | null = null): number {
    let victims: string[] = [];
    if (name !== null && name !== undefined) victims = this.entries.has(String(name)) ? [String(name)] : [];
    else if (prefix !== null && prefix !== undefined) victims = [...this.entries.keys()].filter((n) => n.startsWith(String(prefix)));
    else if (regex !== null && regex !== undefined) {
      const re = toRegex(String(regex));
      victims = [...this.entries.keys()].filter((n) => re.test(n));
    }
    let count = 0;
    for (const v of victims) {
      if (v === NAMESERVER_OBJECT_ID) continue;
      if (this.entries.delete(v)) count++;
    }
    return count;
  }

  set_metadata(name: string, metadata: unknown): null {
    const e = this.entries.get(String(name));
    if (!e) throw new NamingError(`unknown name: ${String(name)}`);
    e.metadata = metaSet(metadata);
    return null;
  }

  count(): number {
    return this.entries.size;
  }

  ping(): null {
    return null;
  }
}

params(NameServer.prototype.lookup, ["name", "return_metadata"]);
params(NameServer.prototype.register, ["name", "uri", "safe", "metadata"]);
params(NameServer.prototype.list, ["prefix", "regex", "metadata_all", "metadata_any", "return_metadata"]);
params(NameServer.prototype.remove, ["name", "prefix", "regex"]);
params(NameServer.prototype.set_metadata, ["name", "metadata"]);

const log = getLogger("remoting.pyro.naming");

export interface NameServerOptions extends PyroDaemonOptions {
  /**
   * Start the UDP broadcast responder (default true). As in Pyro4 it is not
   * started for a name server on a Unix socket, bound to an IPv6 address
   * (unless `bcHost` is given) or to a loopback address (unless `bcHost` or
   * `bcPort` is given).
   */
  broadcast?: boolean | undefined;
  /** UDP port of the responder (default 9091; 0 = any free port, see `broadcastPort`). */
  bcPort?: number | undefined;
  /**
   * Address the responder binds (default, as Pyro4: all IPv4 interfaces; for
   * a loopback name server given a `bcPort`: its own address). `""` = 0.0.0.0.
   */
  bcHost?: string | undefined;
}

export interface NameServerHandle {
  daemon: PyroDaemon;
  nameserver: NameServer;
  /** `PYRO:Pyro.NameServer@host:port`. */
  uri: string;
  /** The broadcast responder, or null when disabled or not started. */
  broadcast: BroadcastResponder | null;
  /** The responder's bound UDP port, or null. */
  broadcastPort: number | null;
  /** Why the responder was not started, when its default port could not be bound (the name server runs without it). */
  broadcastError: Error | null;
  /** Stops the name server and its responder. */
  close(): Promise<void>;
}

/**
 * Starts a name server on host:port (default localhost:9090, no idle timeout): a daemon
 * serving `Pyro.NameServer`, registered in its own table with metadata
 * `class:Pyro4.naming.NameServer`, as Python's does; plus, unless
 * `broadcast: false` or bound to loopback, a UDP responder on `bcHost:bcPort`
 * (default: all interfaces, port 9091) answering Pyro4's discovery requests with the name
 * server's URI. If the default broadcast port cannot be bound the name server
 * runs without a responder (`broadcastError` says why, and a warning is
 * logged); an explicit `bcPort` that cannot be bound is an error.
 */
export async function startNameServer(options: NameServerOptions = {}): Promise<NameServerHandle> {
  const { broadcast: wantBroadcast, bcPort, bcHost, ...daemonOptions } = options;
  // name-server proxies are often kept for long: no idle timeout unless asked for
  const daemon = new PyroDaemon({ ...daemonOptions, host: daemonOptions.host ?? "localhost", port: daemonOptions.port ?? DEFAULT_NS_PORT, idleTimeoutMs: daemonOptions.idleTimeoutMs ?? 0 });
  await daemon.listen();
  const nameserver = new NameServer();
  daemon.register(nameserver, NAMESERVER_OBJECT_ID);
  const uri = daemon.uriFor(NAMESERVER_OBJECT_ID);
  nameserver.register(NAMESERVER_OBJECT_ID, uri, false, new Set(["class:Pyro4.naming.NameServer"]));
  let responder: BroadcastResponder | null = null;
  let broadcastError: Error | null = null;
  const nsHost = daemon.host;
  const asked = bcHost !== undefined || bcPort !== undefined;
  const loopback = nsHost !== undefined && (nsHost.startsWith("127.") || nsHost === "::1" || nsHost === "localhost");
  // IPv6 has no broadcast: only with an explicit (IPv4) bcHost
  const canBroadcast = wantBroadcast !== false && !daemonOptions.unixPath && nsHost !== undefined && (isIP(nsHost) === 6 ? bcHost !== undefined : !loopback || asked);
  if (canBroadcast) {
    try {
      responder = await BroadcastResponder.start(uri, { host: bcHost ?? (loopback ? nsHost : "0.0.0.0"), port: bcPort ?? DEFAULT_NS_BCPORT });
    } catch (err) {
      if (bcPort !== undefined || !(err instanceof RemotingError) || err.code !== ErrorCodes.ERR_ADDRESS_IN_USE) {
        await daemon.close();
        throw err;
      }
      broadcastError = err;
      log.warn("name server %s runs without a broadcast responder: %s", uri, errorMessage(err));
    }
  }
  const bc = responder;
  return {
    daemon,
    nameserver,
    uri,
    broadcast: bc,
    broadcastPort: bc ? bc.port : null,
    broadcastError,
    close: async () => {
      await Promise.all([daemon.close(), bc?.close()]);
    },
  };
}
