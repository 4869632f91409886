/**
 * The declared properties of the XML-RPC classes (core/config): what
 * `remoting check-config` validates and the configuration reference lists.
 *
 * TLS settings are the core's (core/tls), under the standard names, with
 * Spring Python's and Python's `ssl` spellings as aliases: `keyfile` /
 * `keyFile` for `tlsKey`, `certfile` / `certFile` for `tlsCert`, `ca_certs` /
 * `caCerts` for `tlsCa`, `cert_reqs` / `certRequirement` for `tlsClientCert`
 * on a server and for the server check on a client (`CERT_NONE` there means
 * "do not verify the server": testing only), `verify_fields` for
 * `tlsVerifyFields`, `ssl_version` / `sslVersion` / `minVersion` for
 * `tlsMinVersion` (anything below TLS 1.2, such as the original's default
 * `PROTOCOL_TLSv1`, is refused), `maxVersion`, `ciphers`, `checkHostname`,
 * `servername`.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { anyValue, boolean, duration, integer, list, port, size, string, stringMap, type PropertySpec } from "../../core/config/properties.js";
import { parseBoolean, parseList, parseString } from "../../core/config/values.js";
import { parseCertRequirement, tlsProperties, type CertRequirement } from "../../core/tls.js";
import type { ServerInterceptor } from "../../core/server/service-table.js";
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_PEER, DEFAULT_MAX_PEER_MEMORY } from "../../core/server/connections.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH } from "./codec.js";

export type { CertRequirement, CertRequirementInput } from "../../core/tls.js";

export const DEFAULT_USER_AGENT = "remoting XML-RPC client";
export const SSL_CLIENT_USER_AGENT = "SSL XML-RPC Client (remoting)";
/** The name calls to a plain XmlRpcServer are served and traced under (`callContext().service`). */
export const DEFAULT_SERVICE_NAME = "RPC2";

/**
 * Python's certificate requirement with a fallback for "not given" (the
 * former xmlrpc/tls helper, kept for code that imported it). Parsing is the
 * core's `parseCertRequirement`.
 */
export function normalizeCertRequirement(value: unknown, fallback: CertRequirement, what = "certRequirement"): CertRequirement {
  if (value === undefined || value === null || value === "") return fallback;
  return parseCertRequirement(value, what);
}

/** The historic spellings of the TLS properties of SSLServer and the exporter. */
const SERVER_TLS_ALIASES = {
  tlsKey: ["keyFile", "keyfile", "key"],
  tlsCert: ["certFile", "certfile", "cert"],
  tlsCa: ["caCerts", "ca_certs", "ca"],
  tlsClientCert: ["certRequirement", "cert_reqs", "certReqs"],
  tlsVerifyFields: ["verifyFields", "verify_fields"],
  tlsMinVersion: ["minVersion", "sslVersion", "ssl_version"],
  tlsMaxVersion: ["maxVersion"],
  tlsCiphers: ["ciphers"],
} as const;

/**
 * The historic spellings of the TLS properties of the clients. `key`,
 * `cert` and `ca` are only constructor options there (a proxy's own
 * members shadow remote methods): `keyPem`, `certPem`, `caPem` are the
 * properties.
 */
const CLIENT_TLS_ALIASES = {
  tlsKey: ["keyFile", "keyfile", "keyPem"],
  tlsCert: ["certFile", "certfile", "certPem"],
  tlsCa: ["caCerts", "ca_certs", "caPem"],
  tlsVerifyFields: ["verifyFields", "verify_fields"],
  tlsMinVersion: ["minVersion", "sslVersion", "ssl_version"],
  tlsMaxVersion: ["maxVersion"],
  tlsCiphers: ["ciphers"],
  tlsCheckHostname: ["checkHostname", "check_hostname"],
  tlsServername: ["servername", "serverName"],
} as const;

function serverInterceptors(v: unknown, name: string): ServerInterceptor[] {
  const arr = typeof v === "function" ? [v] : Array.isArray(v) ? v : undefined;
  if (!arr || arr.some((f) => typeof f !== "function")) {
    throw new ConfigError(`${name} must be a server interceptor function or a list of them: (next) => (call) => result`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  return arr as ServerInterceptor[];
}

function writable(v: unknown, name: string): { write(text: string): unknown } {
  if (v !== null && typeof v === "object" && typeof (v as { write?: unknown }).write === "function") return v as { write(text: string): unknown };
  throw new ConfigError(`${name} must be an object with a write(text) method (a stream)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

function pathList(v: unknown, name: string): string[] {
  const out = parseList(v, name);
  if (out.length === 0 || out.some((p) => !p.startsWith("/"))) throw new ConfigError(`${name} must list request paths starting with '/'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return out;
}

const HANDSHAKE_TIMEOUT = duration("a TLS handshake must finish within this; a handshake that fails or times out closes its connection", 10_000, { allowNone: false, min: 1 });

/** The limits and behaviour shared by the XML-RPC server and the exporter. */
const SERVING: Record<string, PropertySpec<any>> = {
  logRequests: boolean("one line per request on stderr, as Python's log_requests", true, { aliases: ["log_requests"] }),
  allowNone: boolean("send a null/undefined result as <nil/> (else it is a fault, as in Python)", false, { aliases: ["allow_none"] }),
  maxBodyBytes: size("largest request body, after gunzip (64kB, 16MiB, ...); a larger response is answered with a fault instead", DEFAULT_MAX_BODY_BYTES, { min: 1, defaultText: "10 MiB" }),
  maxDepth: integer("deepest array/struct nesting accepted and sent", DEFAULT_MAX_DEPTH, { min: 1, max: 10_000 }),
  keepAliveTimeoutMs: duration("idle keep-alive connections are closed after this (0 or none: never)", 5000),
  requestTimeoutMs: duration("a whole request must arrive within this, head and body (0 or none: no limit); the head within min(this, 60 s); answered 408 and closed", 30_000),
  maxPeerMemory: size("bytes one client address may hold at once: bodies being received and the values of its calls until answered (a body over it gets HTTP 503); at least maxBodyBytes", DEFAULT_MAX_PEER_MEMORY, { min: 1 }),
  maxConnections: integer("connections served at once; over it an idle one (nothing in flight for 1 s) is closed to make room, else the new one is refused (HTTP 503, or closed over TLS)", DEFAULT_MAX_CONNECTIONS, { min: 1 }),
  maxConnectionsPerPeer: integer("connections one client address may hold at once (the same rule, within that address)", DEFAULT_MAX_CONNECTIONS_PER_PEER, { min: 1 }),
  introspection: boolean("serve system.listMethods, system.methodHelp, system.methodSignature and system.multicall", true),
  preserveTypes: boolean("hand a whole-number <double> (2.0) to the service as an XmlRpcDouble, which goes back as <double>; off: the number 2, which a result sends as <int>", false, { aliases: ["preserve_types"] }),
};

/** XmlRpcServer and SSLServer (options and fields). */
export const SERVER_PROPERTIES: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  host: string("interface to listen on", "localhost"),
  port: port("port to listen on; 0 picks a free one (read `port` after listen())", 8000),
  ...SERVING,
  // the default is shared by every server: frozen, so that no server can change another's
  paths: anyValue<string[]>("request paths served (others get 404)", "list", pathList, Object.freeze(["/", "/RPC2"]) as string[]),
  loggerName: string("logger of refusals and debug lines", undefined, { defaultText: "the class name" }),
  serviceName: string("the name calls are served and traced under (callContext().service)", DEFAULT_SERVICE_NAME),
  tracing: boolean("OpenTelemetry SERVER spans, continuing the client's trace (a no-op without an SDK)", true),
  interceptors: anyValue<ServerInterceptor[]>("server interceptors around every call (code only): (next) => (call) => result", "interceptors", serverInterceptors),
});

/** SSLServer only: the TLS settings and the original's accepted-and-stored flags. */
export const SSL_SERVER_PROPERTIES: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  ...tlsProperties("server", SERVER_TLS_ALIASES),
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT,
  doHandshakeOnConnect: boolean("accepted for compatibility: Node always completes the handshake before reading", true, { aliases: ["do_handshake_on_connect"] }),
  suppressRaggedEofs: boolean("accepted for compatibility: a missing close_notify is a normal end", true, { aliases: ["suppress_ragged_eofs"] }),
});

/** XmlRpcServiceExporter (besides service, serviceName, serviceHost, servicePort, interceptors, tracing). */
export const EXPORTER_PROPERTIES: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  servicePort: port("port to bind; 0 picks a free one (see boundPort)", 8000, { aliases: ["service_port"] }),
  ...tlsProperties("server", SERVER_TLS_ALIASES),
  ...SERVING,
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT,
  logRequests: boolean("one line per request on stderr, as Python's log_requests", false, { aliases: ["log_requests"] }),
  onewayMethods: list("methods answered at once (an empty response) and run after: the caller does not wait for them", { aliases: ["oneway_methods"] }),
});

/** XmlRpcProxyFactory, XmlRpcClient and SSLClient (besides serviceUrl and the call policies of every proxy factory). */
export const CLIENT_PROPERTIES: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  uri: { type: "string", doc: "Python's name for serviceUrl", aliasOf: "serviceUrl", parse: parseString },
  ...tlsProperties("client", CLIENT_TLS_ALIASES),
  certRequirement: {
    type: "none | optional | required",
    doc: "Python's cert_reqs on a client: CERT_NONE does not verify the server (testing only); CERT_OPTIONAL and CERT_REQUIRED do (stored as tlsVerifyServer)",
    aliasOf: "tlsVerifyServer",
    aliases: ["cert_reqs", "certReqs"],
    parse: (v: unknown, n: string) => parseCertRequirement(v, n) !== "none",
  },
  allowNone: boolean("send null/undefined arguments as <nil/> (else they are a SerializationError)", false, { aliases: ["allow_none"], connection: true }),
  verbose: {
    type: "boolean",
    doc: "print the HTTP traffic (send:, reply:, header:, body:) as Python's verbose",
    default: false,
    parse: (v: unknown, n: string) => (typeof v === "number" ? v !== 0 : parseBoolean(v, n)),
    connection: true,
  },
  verboseOutput: anyValue<{ write(text: string): unknown }>("where verbose output goes (code only)", "stream", writable, undefined, { connection: true, defaultText: "process.stdout" }),
  userAgent: string("User-Agent header", DEFAULT_USER_AGENT, { aliases: ["user_agent"], connection: true }),
  maxBodyBytes: size("largest response body, after inflating (64kB, 16MiB, ...)", DEFAULT_MAX_BODY_BYTES, { min: 1, connection: true, defaultText: "10 MiB" }),
  maxDepth: integer("deepest array/struct nesting sent and accepted", DEFAULT_MAX_DEPTH, { min: 1, max: 10_000 }, { connection: true }),
  preserveTypes: boolean("read a whole-number <double> (2.0) in a reply as an XmlRpcDouble, which is sent on as <double>; off: the number 2", false, { aliases: ["preserve_types"], connection: true }),
  keepAlive: boolean("reuse connections", true, { connection: true }),
  maxSockets: integer("most connections open at once (more calls wait their turn)", 16, { min: 1, max: 65_535 }, { connection: true }),
  idleTimeoutMs: duration("idle connections are closed after this (below the server's keep-alive timeout)", 4000, { connection: true }),
  headers: stringMap("extra HTTP headers sent with every call", { connection: true }),
});

/** SSLClient's own default. */
export const SSL_CLIENT_PROPERTIES: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  userAgent: string("User-Agent header", SSL_CLIENT_USER_AGENT, { aliases: ["user_agent"], connection: true }),
});
