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
import { compileRegex, DEFAULT_REGEX_WORK, MAX_PATTERN_LENGTH, RegexBudget, type SafeRegex } from "./ns-regex.js";
import { DEFAULT_NS_PORT, formatUri, parseUri } from "./uri.js";

/** Longest regular expression accepted by list()/remove(). */
export const MAX_NS_REGEX_LENGTH = MAX_PATTERN_LENGTH;

/** What the name server stores, and how much work one query may do. Every limit is refused with a NamingError. */
export interface NameServerLimits {
  /** Longest name, in characters (default 512). */
  maxNameLength?: number | undefined;
  /** Longest URI, in characters (default 1024). */
  maxUriLength?: number | undefined;
  /** Most metadata strings of one name (default 64). */
  maxMetadataItems?: number | undefined;
  /** Most characters of one name's metadata strings together (default 4096). */
  maxMetadataLength?: number | undefined;
  /** Most names registered (default 10,000). */
  maxEntries?: number | undefined;
  /** Most matching steps of one regex query over all names (default 20,000,000: about 0.1 s). */
  maxRegexWork?: number | undefined;
}

export const DEFAULT_NS_LIMITS: Readonly<Required<NameServerLimits>> = Object.freeze({
  maxNameLength: 512,
  maxUriLength: 1024,
  maxMetadataItems: 64,
  maxMetadataLength: 4096,
  maxEntries: 10_000,
  maxRegexWork: DEFAULT_REGEX_WORK,
});

const LIMIT_KEYS = Object.keys(DEFAULT_NS_LIMITS) as Array<keyof NameServerLimits>;

function resolveLimits(l: NameServerLimits | undefined): Required<NameServerLimits> {
  const out = { ...DEFAULT_NS_LIMITS } as Required<NameServerLimits>;
  for (const k of LIMIT_KEYS) {
    const v = l?.[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RemotingError(`name server limit ${k} must be a positive integer, got ${String(v)}`, ErrorCodes.ERR_INVALID_ARGUMENT);
    out[k] = v;
  }
  return out;
}

/** A name quoted in an error, cut short. */
function quoted(name: string): string {
  return name.length > 100 ? `${name.slice(0, 100)}...` : name;
}

interface Entry {
  uri: string;
  metadata: Set<string>;
}

function params<T extends (...a: any[]) => unknown>(fn: T, names: string[]): void {
  Object.defineProperty(fn, PYRO_PARAMS, { value: names });
}

function uriString(u: unknown, maxLength: number): string {
  if (typeof u === "string" && u.length > maxLength) throw new NamingError(`uri longer than ${maxLength} characters`);
  let text: string;
  if (typeof u === "string") text = formatUri(parseUri(u));
  else if (u instanceof PyroURIValue) text = formatUri(parseUri(u));
  else throw new RemotingError("uri must be a string or a Pyro URI", ErrorCodes.ERR_INVALID_ARGUMENT);
  if (text.length > maxLength) throw new NamingError(`uri longer than ${maxLength} characters`);
  return text;
}

/** Metadata given as a set or list of strings, within the limits (unlimited for a query's tags). */
function metaSet(m: unknown, limits?: Required<NameServerLimits>): Set<string> {
  if (m === undefined || m === null) return new Set();
  if (typeof m === "string") throw new RemotingError("metadata must be an iterable of strings, not a string", ErrorCodes.ERR_INVALID_ARGUMENT);
  if (m instanceof Set || Array.isArray(m)) {
    const out = new Set<string>();
    let chars = 0;
    for (const x of m as Iterable<unknown>) {
      if (typeof x !== "string") throw new RemotingError("metadata must contain strings", ErrorCodes.ERR_INVALID_ARGUMENT);
      if (limits !== undefined && !out.has(x)) {
        chars += x.length;
        if (out.size >= limits.maxMetadataItems) throw new NamingError(`metadata of more than ${limits.maxMetadataItems} strings`);
        if (chars > limits.maxMetadataLength) throw new NamingError(`metadata longer than ${limits.maxMetadataLength} characters in all`);
      }
      out.add(x);
    }
    return out;
  }
  throw new RemotingError("metadata must be a set or list of strings", ErrorCodes.ERR_INVALID_ARGUMENT);
}

function toURIValue(uri: string): PyroURIValue {
  const u = parseUri(uri);
  return new PyroURIValue(u.protocol, u.object, u.sockname, u.host, u.port);
}

/**
 * The `Pyro.NameServer` object. Its own entry (`Pyro.NameServer`) cannot be
 * registered over, given other metadata or removed.
 */
export class NameServer {
  private readonly entries = new Map<string, Entry>();
  private readonly limits: Required<NameServerLimits>;

  constructor(limits?: NameServerLimits) {
    this.limits = resolveLimits(limits);
  }

  private checkName(name: string): void {
    if (name.length > this.limits.maxNameLength) throw new NamingError(`name longer than ${this.limits.maxNameLength} characters: ${quoted(name)}`);
  }

  private regex(regex: unknown): SafeRegex {
    return compileRegex(String(regex));
  }

  lookup(name: string, return_metadata = false): unknown {
    const key = String(name);
    this.checkName(key);
    const e = this.entries.get(key);
    if (!e) throw new NamingError(`unknown name: ${key}`);
    const uri = toURIValue(e.uri);
    return return_metadata ? Object.freeze([uri, [...e.metadata]]) : uri;
  }

  register(name: string, uri: unknown, safe = false, metadata: unknown = null): null {
    if (typeof name !== "string") throw new TypeError("name must be a str");
    if (name === "") throw new NamingError("name must not be empty");
    this.checkName(name);
    if (name === NAMESERVER_OBJECT_ID) throw new NamingError(`'${NAMESERVER_OBJECT_ID}' is the name server's own entry: it cannot be registered`);
    const text = uriString(uri, this.limits.maxUriLength);
    const meta = metaSet(metadata, this.limits);
    const exists = this.entries.has(name);
    if (safe && exists) throw new NamingError(`name already registered: ${name}`);
    if (!exists && this.entries.size >= this.limits.maxEntries) throw new NamingError(`the name server holds ${this.limits.maxEntries} names, its limit: remove some first`);
    this.entries.set(name, { uri: text, metadata: meta });
    return null;
  }

  /** @internal Registers the name server's own entry (startNameServer). */
  registerOwn(uri: string, metadata: Set<string>): void {
    this.entries.set(NAMESERVER_OBJECT_ID, { uri, metadata });
  }

  list(prefix: string | null = null, regex: string | null = null, metadata_all: unknown = null, metadata_any: unknown = null, return_metadata = false): Record<string, unknown> {
    const filters = [prefix, regex, metadata_all, metadata_any].filter((f) => f !== null && f !== undefined).length;
    if (filters > 1) throw new RangeError("you can only filter on one thing at a time");
    let names = [...this.entries.keys()];
    if (prefix !== null && prefix !== undefined) names = names.filter((n) => n.startsWith(String(prefix)));
    else if (regex !== null && regex !== undefined) {
      const re = this.regex(regex);
      const budget = new RegexBudget(this.limits.maxRegexWork);
      names = names.filter((n) => re.match(n, budget));
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
      const re = this.regex(regex);
      const budget = new RegexBudget(this.limits.maxRegexWork);
      victims = [...this.entries.keys()].filter((n) => re.match(n, budget));
    }
    let count = 0;
    for (const v of victims) {
      if (v === NAMESERVER_OBJECT_ID) continue;
      if (this.entries.delete(v)) count++;
    }
    return count;
  }

  set_metadata(name: string, metadata: unknown): null {
    const key = String(name);
    this.checkName(key);
    if (key === NAMESERVER_OBJECT_ID) throw new NamingError(`'${NAMESERVER_OBJECT_ID}' is the name server's own entry: its metadata cannot be changed`);
    const e = this.entries.get(key);
    if (!e) throw new NamingError(`unknown name: ${key}`);
    e.metadata = metaSet(metadata, this.limits);
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

export interface NameServerOptions extends PyroDaemonOptions, NameServerLimits {
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
  const { broadcast: wantBroadcast, bcPort, bcHost, maxNameLength, maxUriLength, maxMetadataItems, maxMetadataLength, maxEntries, maxRegexWork, ...daemonOptions } = options;
  const nameserver = new NameServer({ maxNameLength, maxUriLength, maxMetadataItems, maxMetadataLength, maxEntries, maxRegexWork });
  // name-server proxies are often kept for long: no idle timeout unless asked for
  const daemon = new PyroDaemon({ ...daemonOptions, host: daemonOptions.host ?? "localhost", port: daemonOptions.port ?? DEFAULT_NS_PORT, idleTimeoutMs: daemonOptions.idleTimeoutMs ?? 0 });
  await daemon.listen();
  daemon.register(nameserver, NAMESERVER_OBJECT_ID);
  const uri = daemon.uriFor(NAMESERVER_OBJECT_ID);
  nameserver.registerOwn(uri, new Set(["class:Pyro4.naming.NameServer"]));
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
