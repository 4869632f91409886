/**
 * The settings of the Pyro4 daemon and proxy, declared once
 * (core/config/properties specs) and parsed strictly by the core parsers:
 * the `PyroDaemon` and `PyroProxy` options objects, the properties of
 * `PyroServiceExporter` and `PyroProxyFactory`, and the settings of an
 * endpoint client all read through these specs, so `maxMessageSize: "1kB"`,
 * `idleTimeoutMs: "1h"` or `tlsClientCert: "required"` mean the same
 * everywhere, and a value that does not parse is a ConfigError naming it.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { anyValue, boolean, duration, integer, port, size, string, type PropertySpec } from "../../core/config/properties.js";
import { closest, parseEnum, parseList, parseSize } from "../../core/config/values.js";
import { MAX_TIMER_MS } from "../../core/deadline.js";
import { POLICY_PROPERTIES } from "../../core/policies/index.js";
import { tlsProperties } from "../../core/tls.js";
import { DEFAULT_MAX_MESSAGE_SIZE } from "./message.js";

export type SerializerName = "serpent" | "json" | "marshal";
export const SERIALIZER_NAMES: readonly SerializerName[] = ["serpent", "json", "marshal"];

/** Serializer limits handed to the serpent, json and marshal readers. */
export interface SerializerLimitsInput {
  maxDepth?: number;
  maxItems?: number;
  maxStringLength?: number;
  /** The decoded-size budget: a message may decode to at most this many times its size, plus 1 MiB (default 32). */
  maxExpansion?: number;
}

const LIMIT_NAMES = ["maxDepth", "maxItems", "maxStringLength", "maxExpansion"] as const;

/** A shared HMAC key: text (UTF-8) or bytes. */
export function parseHmacKey(v: unknown, name: string): string | Uint8Array {
  if (typeof v === "string" || v instanceof Uint8Array) return v;
  throw new ConfigError(`${name} must be text or bytes`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

function hmacKey(doc: string, extra: { connection?: boolean; aliases?: readonly string[] } = {}): PropertySpec<string | Uint8Array> {
  return anyValue<string | Uint8Array>(doc, "string", parseHmacKey, undefined, { secret: true, ...extra });
}

/** A list of serializer names: an array or a comma-separated text. */
export function parseSerializers(v: unknown, name: string): SerializerName[] {
  const list = parseList(v, name).map((s) => parseEnum(s, name, SERIALIZER_NAMES));
  if (list.length === 0) throw new ConfigError(`${name} must name at least one serializer (serpent, json, marshal)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return list;
}

/** A compression threshold: a size in bytes, or none/never/false for no compression (undefined). */
export function parseCompressThreshold(v: unknown, name: string): number | undefined {
  if (v === false || (typeof v === "string" && /^\s*(none|never|off|false)\s*$/i.test(v))) return undefined;
  return parseSize(v, name);
}

function compressThreshold(doc: string, extra: { connection?: boolean } = {}): PropertySpec<number | undefined> {
  return { type: "size", doc, default: undefined, defaultText: "never", parse: parseCompressThreshold, ...extra };
}

function limits(v: unknown, name: string): SerializerLimitsInput {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ConfigError(`${name} must be an object (${LIMIT_NAMES.join(", ")})`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  const out: SerializerLimitsInput = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (!(LIMIT_NAMES as readonly string[]).includes(k)) {
      const s = closest(k, [...LIMIT_NAMES]);
      throw new ConfigError(`${name} has no limit '${k}'${s ? ` (did you mean '${s}'?)` : ""}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    out[k as (typeof LIMIT_NAMES)[number]] = integer("", undefined, { min: 1 }).parse(val, `${name}.${k}`);
  }
  return out;
}

function fn<T>(doc: string, type: string): PropertySpec<T> {
  return anyValue<T>(doc, type, (v, name) => {
    if (typeof v !== "function") throw new ConfigError(`${name} must be a function`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    return v as T;
  });
}

/** A duration for a timer: "no limit" (0, none, Infinity, beyond 2^31−1 ms) comes back as 0, which the daemon reads as "never". */
export function timerMs(ms: number): number {
  return ms === Infinity || ms > MAX_TIMER_MS ? 0 : ms;
}

// ------------------------------------------------------------ daemon

/** The daemon's settings: `PyroDaemon` options, and the exporter's properties of the same names. */
export const DAEMON_SETTINGS: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  hmacKey: hmacKey("shared HMAC key (Pyro4's _pyroHmacKey): every frame must carry a valid HMAC-SHA1, replies are signed", { aliases: ["hmac_key"] }),
  serializersAccepted: anyValue<SerializerName[]>("serializers accepted from clients (a list, or comma-separated)", "list", parseSerializers, undefined, { defaultText: "serpent, json, marshal" }),
  maxMessageSize: size("limit of payload + annotations of one frame, checked from the header; also bounds a decompressed payload (units: 64kB, 16MiB; 0: no limit)", DEFAULT_MAX_MESSAGE_SIZE, { defaultText: "64MiB" }),
  idleTimeoutMs: duration("close a connection with no call in progress and no bytes received for this long; 0 or none: never", 3_600_000, { defaultText: "1h" }),
  handshakeTimeoutMs: duration("close a connection that sent no CONNECT frame within this time; 0 or none: never", 10_000, { defaultText: "10s" }),
  frameTimeoutMs: duration("a frame begun must arrive in full within this time, plus one second per MiB its header announces (slow senders are closed); 0 or none: never", 30_000, { defaultText: "30s" }),
  maxInFlightPerConnection: integer("calls of one connection running at once, oneway calls included (reading pauses beyond); 1: strictly one after the other, like a Pyro4 daemon", 32, { min: 1 }),
  maxInFlightPerPeer: integer("calls running at once for one client address, over all its connections, oneway calls included (its reading pauses beyond)", 1024, { min: 1 }),
  maxConnections: integer("connections served at once; a new one beyond closes the longest-idle connection (idle for 1 s or more) or, when none is, gets CONNECTFAIL 'no free workers'", 1024, { min: 1 }),
  maxBufferPerPeer: size("bytes of frames one client address may have the daemon hold (being received, or waiting to run); its reading pauses beyond", 128 * 1024 * 1024, { defaultText: "128MiB" }),
  maxBufferTotal: size("bytes of frames all clients together may have the daemon hold; reading pauses beyond", 512 * 1024 * 1024, { defaultText: "512MiB" }),
  compressThreshold: compressThreshold("zlib-compress replies at least this large (compressed requests are accepted after the handshake, within maxCompressionRatio)"),
  maxCompressionRatio: integer("a compressed request may decompress to at most this many times its compressed size (or to 1 MiB), within maxMessageSize", 100, { min: 1 }),
  streamLingerMs: duration("how long an item stream survives its connection (Pyro4's ITER_STREAM_LINGER); 0: dropped with it", 30_000, { allowNone: false, defaultText: "30s" }),
  streamLifetimeMs: duration("maximum age of an item stream (Pyro4's ITER_STREAM_LIFETIME); 0 or none: unlimited", Infinity, { defaultText: "unlimited" }),
  maxStreams: integer("open item streams per daemon", 10_000, { min: 0 }),
  maxStreamsPerConnection: integer("open item streams one connection may hold", 256, { min: 0 }),
  maxStreamsPerPeer: integer("open item streams one client address may hold (lingering ones included)", 1024, { min: 0 }),
  closeGraceMs: duration("on close, how long calls already received may run before connections are cut", 10_000, { allowNone: false, defaultText: "10s" }),
  serializerLimits: anyValue<SerializerLimitsInput>("limits handed to the serializers: maxDepth, maxItems, maxStringLength, maxExpansion", "map", limits),
  preserveTypes: boolean("hand arguments to the service so that results keep their Python types: a whole float (2.0) as a Float (sent back as 2.0, not 2), serpent's bytes dict as a Buffer (sent back as bytes); off: plain numbers and the dict", false, { aliases: ["preserve_types"] }),
  tracing: boolean("OpenTelemetry SERVER spans, continuing the client's trace (a no-op unless the application installs an SDK)", true),
  enforceDeadlines: boolean("refuse a call whose client deadline passed before it could run", true),
  ...tlsProperties("server"),
});

/** What only a `PyroDaemon` options object has (not exporter properties). */
export const DAEMON_ONLY_SETTINGS: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  host: string("host name or address to bind; bound as its IPv4 address", "localhost"),
  port: port("TCP port; 0 picks a free one", 0),
  unixPath: string("serve on a Unix domain socket at this path instead of TCP", undefined),
  validateHandshake: fn("checks a client's handshake data; throw to refuse (the message goes back in CONNECTFAIL); may be async", "function"),
});

// ------------------------------------------------------------ proxy

/** The proxy's settings: `PyroProxy` options, the factory's properties of the same names, and endpoint settings. */
export const PROXY_SETTINGS: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  hmacKey: hmacKey("shared HMAC key (Pyro4's _pyroHmacKey)", { aliases: ["hmac_key"], connection: true }),
  serializer: { type: "serpent | json | marshal", doc: "the serializer of requests (Pyro4's SERIALIZER)", default: "serpent", parse: (v: unknown, n: string) => parseEnum(v, n, SERIALIZER_NAMES), connection: true },
  connectTimeoutMs: duration("time allowed to connect and finish the Pyro handshake; 0 or none: no limit but the call's", 10_000, { connection: true, defaultText: "10s" }),
  maxMessageSize: size("limit of payload + annotations of one frame, both ways (units: 64kB, 16MiB; 0: no limit)", DEFAULT_MAX_MESSAGE_SIZE, { connection: true, defaultText: "64MiB" }),
  compressThreshold: compressThreshold("zlib-compress requests at least this large", { connection: true }),
  maxInFlight: integer("calls pipelined on the connection at once; more wait their turn", 64, { min: 1 }, { connection: true }),
  metadata: boolean("ask the daemon for the object's metadata on connect (methods, oneway methods, attributes)", true, { connection: true }),
  handshake: anyValue<unknown>("handshake data sent in CONNECT (Pyro4's _pyroHandshake)", "value", (v) => v, "hello", { connection: true }),
  tls: boolean("connect with TLS (Pyro4's SSL); also on when tlsCa, tlsCert or tlsKey is set, or for a PYROLOCSSL URL", false, { aliases: ["ssl"], connection: true, defaultText: "off" }),
  nsHost: string("name server for PYRONAME/PYROMETA URLs without a location (Pyro4's NS_HOST)", "localhost", { connection: true }),
  nsPort: port("its port (Pyro4's NS_PORT)", 9090, { connection: true }),
  broadcast: boolean("look for the name server by UDP broadcast when the URL gives no location", true, { connection: true }),
  bcPort: port("UDP port of the name-server broadcast (Pyro4's NS_BCPORT)", 9091, { connection: true }),
  broadcastAddrs: anyValue<string[]>("where the broadcast goes (Pyro4's BROADCAST_ADDRS; a list or comma-separated; <broadcast> = 255.255.255.255)", "list", (v, n) => parseList(v, n), undefined, { connection: true, defaultText: "<broadcast>, 0.0.0.0" }),
  broadcastTimeoutMs: duration("wait for a broadcast reply per try", 700, { allowNone: false, connection: true }),
  broadcastRetries: integer("broadcast tries", 3, { min: 1, max: 100 }, { connection: true }),
  serializerLimits: anyValue<SerializerLimitsInput>("limits handed to the serializers: maxDepth, maxItems, maxStringLength, maxExpansion", "map", limits, undefined, { connection: true }),
  preserveTypes: boolean("read replies so that values sent on keep their Python types: a whole float (2.0) as a Float, serpent's bytes dict as a Buffer; and send Buffers in serpent as bytes (b'...'); off: plain numbers and the dict", false, { aliases: ["preserve_types"], connection: true }),
  ...tlsProperties("client"),
});

/** What only a `PyroProxy` options object has: the call policies of the core Client. */
export const PROXY_ONLY_SETTINGS: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  timeoutMs: POLICY_PROPERTIES["timeoutMs"]!,
  interceptors: POLICY_PROPERTIES["interceptors"]!,
});

/**
 * Parses an options object against specs: every known option through its
 * parser (aliases accepted), an unknown one refused with a suggestion.
 * Options given as undefined are left out. Returns the parsed values under
 * their canonical names.
 */
export function parseOptions(owner: string, options: object | undefined, ...tables: ReadonlyArray<Readonly<Record<string, PropertySpec<any>>>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (options === undefined || options === null) return out;
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    let found: [string, PropertySpec<any>] | undefined;
    for (const t of tables) {
      const direct = Object.prototype.hasOwnProperty.call(t, k) ? t[k] : undefined;
      if (direct) found = [k, direct];
      else {
        for (const [name, spec] of Object.entries(t)) if ((spec.aliases ?? []).includes(k)) found = [name, spec];
      }
      if (found) break;
    }
    if (!found) {
      const names = tables.flatMap((t) => Object.entries(t).flatMap(([n, s]) => [n, ...(s.aliases ?? [])]));
      const s = closest(k, names);
      throw new ConfigError(`${owner} has no option '${k}'${s ? ` (did you mean '${s}'?)` : ""}`, ErrorCodes.ERR_CONFIG_UNKNOWN_PROPERTY);
    }
    out[found[0]] = found[1].parse(v, k);
  }
  return out;
}

/** The value of a parsed option, or its spec's default. */
export function optionOr<T>(parsed: Record<string, unknown>, table: Readonly<Record<string, PropertySpec<any>>>, name: string): T {
  return (Object.prototype.hasOwnProperty.call(parsed, name) ? parsed[name] : table[name]?.default) as T;
}

/** Where declared properties keep the values set on an object (core/config/properties). */
const kValues = Symbol.for("remoting.properties.values");

/**
 * The declared properties among `names` that were set on `obj` (not left at
 * their defaults), by canonical name: what an exporter or factory passes on
 * over the options object given for code (`daemonOptions`, `proxyOptions`).
 */
export function propertiesSet(obj: object, names: Iterable<string>): Record<string, unknown> {
  const values = (obj as Record<symbol, Map<string, unknown> | undefined>)[kValues];
  const out: Record<string, unknown> = {};
  if (values === undefined) return out;
  for (const n of names) if (values.has(n)) out[n] = values.get(n);
  return out;
}
