/**
 * HessianServiceExporter: serves a TypeScript object over Hessian on its own
 * HTTP or HTTPS server. Set the properties, then `afterPropertiesSet()` (the
 * container does it) starts serving; `destroy()` stops and frees the port.
 *
 * Calls are dispatched through a core ServiceTable (exposure, arity, oneway
 * methods, server interceptors, tracing, callContext()). Every property is
 * declared and parsed strictly; TLS uses the standard server properties of
 * core/tls (`tlsKey`, `tlsCert`, `tlsCa`, `tlsClientCert`, `tlsVerifyFields`,
 * ...), with `requestClientCert` as the old boolean spelling of
 * `tlsClientCert`. A client whose certificate fails the check (including
 * `tlsVerifyFields`) is dropped without an HTTP response, and the reason is
 * logged at error level.
 *
 * Connections are bounded (core/server/connections): `maxConnections` and
 * `maxConnectionsPerPeer` (idle ones make room, else a new one is refused:
 * 503 over HTTP, closed over TLS); a TLS handshake must finish within
 * `handshakeTimeoutMs` and one that fails or times out closes its socket; a
 * request must arrive within `requestTimeoutMs` (checked on time), an idle
 * keep-alive connection is closed after `keepAliveTimeoutMs`; bodies being
 * received and decoded arguments count against `maxPeerMemory` per client
 * address.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { CommunicationError, ConfigError, ErrorCodes, errorMessage } from "../../core/errors.js";
import { SocketServiceExporter } from "../../core/exporter.js";
import { anyValue, applyOptions, defineProperties, duration, integer, list, port, size, string } from "../../core/config/properties.js";
import { parseEntries, parseList } from "../../core/config/values.js";
import { checkClient, describeCert, readTlsSettings, requireClientCertAlias, serverTlsOptions, tlsProperties, type CertRequirement, type PemInput, type TlsSettings, type TlsVersion, type TlsServerProperties } from "../../core/tls.js";
import {
  ConnectionGuard,
  answerHttpClientError,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_PEER,
  DEFAULT_MAX_PEER_MEMORY,
  PeerBudget,
  closeFailedHandshakes,
  httpTimeOptions,
  logSilentDisconnects,
} from "../../core/server/connections.js";
import { ServiceTable } from "../../core/server/service-table.js";
import { DEFAULT_FAULT_CLASS, DEFAULT_MAX_REPLY_SIZE, DEFAULT_MAX_REQUEST_SIZE, createHessianHandler, mangleType, type HessianRequestHandler } from "./handler.js";
import type { HessianDecodeSettings } from "./client.js";
import { decodeSettings, registry } from "./settings.js";
import type { ClassRegistry } from "./types.js";

export interface HessianExporterOptions {
  service?: unknown;
  serviceName?: string | undefined;
  serviceHost?: string | undefined;
  servicePort?: number | string | undefined;
  path?: string | undefined;
  tlsKey?: PemInput | undefined;
  tlsCert?: PemInput | undefined;
  tlsCa?: PemInput | undefined;
  tlsClientCert?: CertRequirement | string | undefined;
  tlsVerifyFields?: Record<string, string> | string | undefined;
  tlsMinVersion?: TlsVersion | string | undefined;
  tlsMaxVersion?: TlsVersion | string | undefined;
  tlsCiphers?: string | undefined;
  /** Old boolean spelling of tlsClientCert ("required" when true). */
  requestClientCert?: boolean | string | undefined;
  maxRequestSize?: number | string | undefined;
  maxReplySize?: number | string | undefined;
  maxPeerMemory?: number | string | undefined;
  maxConnections?: number | string | undefined;
  maxConnectionsPerPeer?: number | string | undefined;
  requestTimeoutMs?: number | string | undefined;
  keepAliveTimeoutMs?: number | string | undefined;
  handshakeTimeoutMs?: number | string | undefined;
  methodSignatures?: Record<string, readonly string[] | string> | string | undefined;
  allow?: readonly string[] | string | undefined;
  onewayMethods?: readonly string[] | string | undefined;
  registry?: ClassRegistry | undefined;
  faultClass?: string | undefined;
  decodeOptions?: HessianDecodeSettings | string | undefined;
  interceptors?: unknown;
  tracing?: boolean | string | undefined;
}

/** The standard TLS properties (core/tls), declared once. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface HessianServiceExporter extends TlsServerProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class HessianServiceExporter extends SocketServiceExporter {
  /** URL path of the service. */
  declare path: string;
  /** Old boolean spelling of tlsClientCert: true → "required", false → "none". */
  declare requestClientCert: CertRequirement;
  declare maxRequestSize: number;
  declare maxReplySize: number;
  declare maxPeerMemory: number;
  declare maxConnections: number;
  declare maxConnectionsPerPeer: number;
  declare requestTimeoutMs: number;
  declare keepAliveTimeoutMs: number;
  declare handshakeTimeoutMs: number;
  declare methodSignatures: Record<string, string[]> | undefined;
  declare allow: string[] | undefined;
  declare onewayMethods: string[] | undefined;
  declare registry: ClassRegistry | undefined;
  declare faultClass: string;
  declare decodeOptions: HessianDecodeSettings | undefined;

  private server: http.Server | https.Server | undefined = undefined;
  private handler: HessianRequestHandler | undefined = undefined;
  private tls: TlsSettings | undefined = undefined;
  private guard: ConnectionGuard | undefined = undefined;

  constructor(options: HessianExporterOptions = {}) {
    super("remoting.hessian.exporter");
    applyOptions(this, options as Record<string, unknown>);
  }

  /** The port actually bound (useful with servicePort 0), once started. */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? (a as AddressInfo).port : undefined;
  }

  /** The service URL, `http(s)://host:port/path`, once started. */
  override get url(): string | undefined {
    const port = this.port;
    if (port === undefined) return undefined;
    const host = this.serviceHost.includes(":") ? `[${this.serviceHost}]` : this.serviceHost;
    return `${this.tls ? "https" : "http"}://${host}:${port}${normalPath(this.path)}`;
  }

  /** The names of the served methods, once started. */
  get methods(): readonly string[] {
    return this.handler?.methods ?? [];
  }

  /** The table the calls are dispatched through, once started. */
  get table(): ServiceTable | undefined {
    return this.handler?.table;
  }

  /** Connections open now (once started). */
  get connectionCount(): number {
    return this.guard?.size ?? 0;
  }

  protected async start(): Promise<void> {
    this.require("service");
    const service = this.service;
    if ((typeof service !== "object" && typeof service !== "function") || service === null) {
      throw new ConfigError("service must be an object (or a class)", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const port = this.servicePort;
    const path = normalPath(this.path);
    const tls = readTlsSettings(this, "server");
    const table = new ServiceTable({ tracing: this.tracing });
    const name = this.serviceName ?? path;
    table.register(name, service, { allow: this.allow, oneway: this.onewayMethods });
    for (const ic of this.interceptors ?? []) table.use(ic);
    const handler = createHessianHandler(table, {
      serviceName: name,
      registry: this.registry,
      maxRequestSize: this.maxRequestSize,
      maxReplySize: this.maxReplySize,
      peerBudget: new PeerBudget(Math.max(this.maxPeerMemory, this.maxRequestSize)),
      decode: this.decodeOptions,
      faultClass: this.faultClass,
      signatures: this.methodSignatures,
      path,
    });
    const times = httpTimeOptions({ requestTimeoutMs: this.requestTimeoutMs, keepAliveTimeoutMs: this.keepAliveTimeoutMs });
    let server: http.Server | https.Server;
    if (tls) {
      // A refused client is dropped before the HTTP layer sees the connection (a prepended
      // listener: the HTTP parser may already hold a request that came with the handshake);
      // the guard around the handler is a second line, should a request get through anyway.
      const refused = new WeakSet<object>();
      const guarded = tls.clientCert === "none" ? handler : (req: http.IncomingMessage, res: http.ServerResponse): void => (refused.has(req.socket) ? void req.socket.destroy() : handler(req, res));
      const s = https.createServer({ ...times, ...serverTlsOptions(tls), handshakeTimeout: this.handshakeTimeoutMs }, guarded);
      s.prependListener("secureConnection", (socket: TLSSocket) => {
        const reason = checkClient(socket, tls);
        if (reason === undefined) return;
        // dropped without an HTTP response: the client sees a refused connection, the reason stays here
        refused.add(socket);
        this.log.error("refused the TLS client %s:%s of %s: %s (certificate %s)", socket.remoteAddress, socket.remotePort, name, reason, describeCert(socket.getPeerCertificate()));
        socket.destroy();
      });
      // a failed or timed-out handshake closes its socket (a probe without a handshake is logged at debug only)
      closeFailedHandshakes(s, this.log, "warn");
      server = s;
    } else server = http.createServer(times, handler);
    server.keepAliveTimeout = times.keepAliveTimeout;
    const guard = new ConnectionGuard(server, this.log, {
      maxConnections: this.maxConnections,
      maxConnectionsPerPeer: this.maxConnectionsPerPeer,
      refusal: tls ? undefined : SERVER_FULL,
    });
    guard.trackHttp(server);
    // 408 for a request that did not arrive in time, 400 for bad HTTP; the connection closed
    server.on("clientError", (err, socket) => answerHttpClientError(err, socket, this.log));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        server.off("listening", onListening);
        const code = err.code === "EADDRINUSE" ? ErrorCodes.ERR_ADDRESS_IN_USE : ErrorCodes.ERR_COMMUNICATION;
        reject(new CommunicationError(`cannot listen on ${this.serviceHost}:${port}: ${errorMessage(err)}`, code, { cause: err }));
      };
      const onListening = (): void => {
        server.off("error", onError);
        resolve();
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(port, this.serviceHost);
    });
    server.on("error", (err) => this.log.error("Hessian server error: %s", err));
    logSilentDisconnects(server, this.log);
    this.server = server;
    this.handler = handler;
    this.tls = tls;
    this.guard = guard;
    this.log.info("serving %s at %s (%d methods)", name, this.url, handler.methods.length);
  }

  protected async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.handler = undefined;
    this.guard = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** What a plain HTTP client gets when the server is full: 503 (the call did not run; a client may retry). */
const SERVER_FULL = Buffer.from("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n\r\nthe server is full (503)", "latin1");

/** Method name → Java parameter types: an object, a Map or JSON text, each value a list or a comma-separated string (`{"add": "int,int"}`). */
function methodSignatures(v: unknown, name: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, types] of parseEntries(v, name)) {
    const list = typeof types === "string" && types.trim() === "" ? [] : parseList(types, `${name}.${k}`);
    for (const t of list) {
      if (!/^\[*[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*(\[\])*;?$/.test(t)) throw new ConfigError(`${name}.${k}: '${t}' is not a Java type name`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
      mangleType(t);
    }
    Object.defineProperty(out, k, { value: list, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function normalPath(p: string): string {
  return p.startsWith("/") ? p : `/${p}`;
}

function javaClassName(v: unknown, name: string): string {
  if (typeof v === "string" && /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(v.trim())) return v.trim();
  throw new ConfigError(`${name} must be a Java class name such as java.lang.RuntimeException, not '${String(v)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

defineProperties(HessianServiceExporter, {
  servicePort: port("port to bind; 0 picks a free port (printed by remoting run)", 8080, { aliases: ["service_port"] }),
  path: string("the only URL path served (404 elsewhere)", "/"),
  ...tlsProperties("server"),
  requestClientCert: requireClientCertAlias("old boolean spelling of tlsClientCert: true requires a client certificate signed by tlsCa (true/false, yes/no, on/off, 1/0)"),
  maxRequestSize: size("largest request body (16MiB, 1kB, ...); larger requests get HTTP 413 (checked on Content-Length first, then while reading)", DEFAULT_MAX_REQUEST_SIZE, { min: 1 }),
  maxReplySize: size("largest reply body; a larger result is answered with a ServiceException fault instead", DEFAULT_MAX_REPLY_SIZE, { min: 1 }),
  maxPeerMemory: size("bytes one client address may hold at once: bodies being received and the decoded arguments of its calls until answered (a body over it gets HTTP 503); at least maxRequestSize", DEFAULT_MAX_PEER_MEMORY, { min: 1 }),
  maxConnections: integer("connections served at once; over it an idle one (nothing in flight for 1 s) is closed to make room, else the new one is refused (HTTP 503, or closed over TLS)", DEFAULT_MAX_CONNECTIONS, { min: 1 }),
  maxConnectionsPerPeer: integer("connections one client address may hold at once (the same rule, within that address)", DEFAULT_MAX_CONNECTIONS_PER_PEER, { min: 1 }),
  requestTimeoutMs: duration("time allowed to receive a whole request, head and body (30s, 500ms; none: no limit); the head within min(this, 60 s); answered 408 and closed", 30_000),
  keepAliveTimeoutMs: duration("an idle keep-alive connection is closed after this (none: never)", 5000),
  handshakeTimeoutMs: duration("a TLS handshake must finish within this; a handshake that fails or times out closes its connection", 10_000, { allowNone: false, min: 1 }),
  methodSignatures: anyValue<Record<string, string[]>>(
    "Java parameter types of methods ({\"add\": \"int,int\"}, a <dict> in XML): an overload-enabled client's mangled name must then be the method's own (add_int_int)",
    "map",
    methodSignatures,
  ),
  allow: list("only these methods are served (default: every public method)"),
  onewayMethods: list("methods answered at once with an empty reply and run after: the caller does not wait"),
  registry: registry("classes call arguments may instantiate, and classes written with their Java names in replies (code only)"),
  faultClass: { type: "Java class", doc: "Java exception class of fault details when the thrown error names none (err.javaClass)", default: DEFAULT_FAULT_CLASS, parse: javaClassName },
  decodeOptions: decodeSettings("decoder limits and options for call arguments (preserveTypes hands HessianLong/HessianDouble to the service)"),
});
