/**
 * The connection settings shared by NatsServiceExporter and NatsProxyFactory
 * (both are clients of a NATS server): credentials, TLS (core/tls, client
 * side), reconnection; each declared and parsed strictly
 * (core/config/properties), and turned into the options of the official
 * client (`@nats-io/transport-node`).
 *
 * Credentials: at most one kind, each a secret:
 * - `user` and `password`;
 * - `token`;
 * - `nkeySeed`: a user NKey seed (`SU...`), as text or a file holding it;
 * - `credsFile`: a `.creds` file (a user JWT and its NKey seed, as `nsc`
 *   writes it), for servers in operator (JWT) mode.
 */
import { readFileSync } from "node:fs";
import type { NodeConnectionOptions } from "@nats-io/transport-node";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/transport-node";
import { ConfigError, ErrorCodes, errorMessage } from "../../core/errors.js";
import { boolean, duration, integer, string, type PropertySpec } from "../../core/config/properties.js";
import { clientTlsOptions, readTlsSettings, tlsProperties, type PemInput, type TlsClientProperties } from "../../core/tls.js";

/** Codecs of calls and results: the Pyro4 serializers of the same names. */
export const NATS_CODECS = ["json", "serpent"] as const;
export type NatsCodec = (typeof NATS_CODECS)[number];

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_RECONNECT_TIME_WAIT_MS = 2000;

/** What a holder of the connection properties has. */
export interface NatsConnectionSettings extends TlsClientProperties {
  user: string | undefined;
  password: string | undefined;
  token: string | undefined;
  nkeySeed: string | undefined;
  credsFile: string | undefined;
  tlsRequired: boolean;
  connectTimeoutMs: number;
  randomizeServers: boolean;
  /** Exporters only: clients do not reconnect (a lost connection ends the link; the next call connects anew). */
  reconnectTimeWaitMs?: number | undefined;
  maxReconnectAttempts?: number | undefined;
  connectionName: string | undefined;
}

const SEED = /^S[A-Z][A-Z2-7]{50,}$/;

function parseSeed(v: unknown, name: string): string {
  if (typeof v !== "string" || v.trim() === "") throw new ConfigError(`${name} must be an NKey seed (SU...) or the path of a file holding one`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return v.trim();
}

/** The seed of an `nkeySeed` value: the text itself, or the first seed in the file it names. */
export function readSeed(value: string): Uint8Array {
  if (SEED.test(value)) return new TextEncoder().encode(value);
  let text: string;
  try {
    text = readFileSync(value, "utf8");
  } catch (err) {
    throw new ConfigError(`nkeySeed is neither an NKey seed nor a readable file ('${value.slice(0, 2)}...'): ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, { cause: err });
  }
  const seed = text.split(/\s+/).find((t) => SEED.test(t));
  if (!seed) throw new ConfigError(`the file '${value}' of nkeySeed holds no NKey seed`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return new TextEncoder().encode(seed);
}

/** The connection properties (shared by the exporter and the proxy factory). */
export function connectionProperties(): Record<string, PropertySpec<any>> {
  return {
    user: string("user name for the NATS server (with password)", undefined, { connection: true }),
    password: string("password of user", undefined, { secret: true, connection: true }),
    token: string("authentication token for the NATS server", undefined, { secret: true, connection: true }),
    nkeySeed: { type: "seed or file", doc: "a user NKey seed (SU...) or a file holding one: the client signs the server's nonce with it", parse: parseSeed, secret: true, connection: true },
    credsFile: string("a .creds file (user JWT and NKey seed) for a server in operator (JWT) mode", undefined, { secret: true, connection: true }),
    tlsRequired: boolean("require TLS to the NATS server even when no other tls* property is set (any of tlsCa, tlsCert, tlsKey, tlsServername, tlsVerifyFields requires it too)", false, { connection: true }),
    ...tlsProperties("client"),
    connectTimeoutMs: duration("time allowed to connect to a NATS server (TCP, TLS and the CONNECT handshake)", DEFAULT_CONNECT_TIMEOUT_MS, { allowNone: false, connection: true }),
    connectionName: string("the client name the NATS server shows for this connection (monitoring)", undefined, { connection: true }),
    randomizeServers: boolean("pick the servers of the list in random order (spreads connections over a cluster); false: in the order given", true, { connection: true }),
  };
}

/** The exporter's reconnection properties (a client does not reconnect: its next call connects anew). */
export function reconnectProperties(): Record<string, PropertySpec<any>> {
  return {
    reconnectTimeWaitMs: duration("wait between attempts to reconnect to the same server after the connection was lost (the subscriptions come back with the connection)", DEFAULT_RECONNECT_TIME_WAIT_MS, { allowNone: false }),
    maxReconnectAttempts: integer("reconnect attempts per server before giving up on it; -1: never give up", -1, { min: -1 }),
  };
}

const CONNECTION_KEYS = [
  "user",
  "password",
  "token",
  "nkeySeed",
  "credsFile",
  "tlsRequired",
  "tlsKey",
  "tlsCert",
  "tlsCa",
  "tlsVerifyServer",
  "tlsCheckHostname",
  "tlsServername",
  "tlsVerifyFields",
  "tlsMinVersion",
  "tlsMaxVersion",
  "tlsCiphers",
  "connectTimeoutMs",
  "randomizeServers",
  "connectionName",
] as const;

/**
 * A plain copy of the connection settings of a holder of the properties
 * (an exporter, or a proxy factory, on which any other name would be a
 * remote method): the declared ones only, plus `extra` names.
 */
export function connectionSettings<T extends NatsConnectionSettings = NatsConnectionSettings>(o: object, extra: readonly string[] = []): T {
  const src = o as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of [...CONNECTION_KEYS, ...extra]) out[k] = src[k];
  return out as unknown as T;
}

/** Whether the settings ask for TLS. */
function wantsTls(s: NatsConnectionSettings): boolean {
  return s.tlsRequired || s.tlsCa !== undefined || s.tlsCert !== undefined || s.tlsKey !== undefined || s.tlsServername !== undefined || s.tlsVerifyFields !== undefined;
}

/**
 * The options of `connect()` for `servers`: credentials (exactly one kind),
 * TLS, timeouts and the reconnection policy. Files (credsFile, an nkeySeed
 * file, PEM files) are read here: a missing file is a ConfigError.
 */
export function natsConnectOptions(s: NatsConnectionSettings, servers: readonly string[], name: string | undefined): NodeConnectionOptions {
  const kinds = [s.user !== undefined || s.password !== undefined ? "user/password" : "", s.token !== undefined ? "token" : "", s.nkeySeed !== undefined ? "nkeySeed" : "", s.credsFile !== undefined ? "credsFile" : ""].filter(Boolean);
  if (kinds.length > 1) throw new ConfigError(`set one kind of NATS credentials, not ${kinds.join(" and ")}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  if (s.password !== undefined && s.user === undefined) throw new ConfigError("password needs user", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
  const o: NodeConnectionOptions = {
    servers: [...servers],
    timeout: s.connectTimeoutMs,
    noRandomize: !s.randomizeServers,
    name: s.connectionName ?? name,
    // a server that requires authentication refuses a wrong secret: stop instead of retrying it forever
    ignoreAuthErrorAbort: false,
  };
  const wait = s.reconnectTimeWaitMs;
  if (wait === undefined) o.reconnect = false;
  else {
    o.reconnectTimeWait = wait;
    o.reconnectJitter = Math.min(100, Math.round(wait / 4));
    o.reconnectJitterTLS = Math.min(1000, Math.round(wait / 2));
    o.maxReconnectAttempts = s.maxReconnectAttempts ?? -1;
  }
  if (s.user !== undefined) {
    o.user = s.user;
    if (s.password !== undefined) o.pass = s.password;
  } else if (s.token !== undefined) o.token = s.token;
  else if (s.nkeySeed !== undefined) o.authenticator = nkeyAuthenticator(readSeed(s.nkeySeed));
  else if (s.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(s.credsFile);
    } catch (err) {
      throw new ConfigError(`cannot read credsFile '${s.credsFile}': ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, { cause: err });
    }
    if (!/-----BEGIN NATS USER JWT-----/.test(Buffer.from(creds).toString("utf8"))) {
      throw new ConfigError(`credsFile '${s.credsFile}' is not a NATS credentials file (no user JWT)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    o.authenticator = credsAuthenticator(creds);
  }
  if (wantsTls(s)) {
    const tls = readTlsSettings(s, "client")!;
    // no host: the client sets the server name per server (SNI) and Node checks it, unless tlsServername names another
    o.tls = clientTlsOptions(tls, undefined) as NodeConnectionOptions["tls"];
  }
  return o;
}

/** A key for sharing one connection between clients with the same settings and servers (secrets included: never printed). */
export function connectionKey(s: NatsConnectionSettings, servers: readonly string[]): string {
  const pem = (v: PemInput | undefined): string | undefined => (v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString("utf8") : v);
  return JSON.stringify([
    servers,
    s.user,
    s.password,
    s.token,
    s.nkeySeed,
    s.credsFile,
    s.tlsRequired,
    pem(s.tlsKey),
    pem(s.tlsCert),
    pem(s.tlsCa),
    s.tlsVerifyServer,
    s.tlsCheckHostname,
    s.tlsServername,
    s.tlsVerifyFields,
    s.tlsMinVersion,
    s.tlsMaxVersion,
    s.tlsCiphers,
    s.connectTimeoutMs,
    s.randomizeServers,
    s.connectionName,
  ]);
}
