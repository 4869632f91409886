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
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { CommunicationError, ConfigError, ErrorCodes, errorMessage } from "../../core/errors.js";
import { SocketServiceExporter } from "../../core/exporter.js";
import { applyOptions, defineProperties, duration, list, port, size, string } from "../../core/config/properties.js";
import { checkClient, describeCert, readTlsSettings, requireClientCertAlias, serverTlsOptions, tlsProperties, type CertRequirement, type PemInput, type TlsSettings, type TlsVersion, isSilentDisconnect, type TlsServerProperties } from "../../core/tls.js";
import { logSilentDisconnects } from "../../core/server/connections.js";
import { ServiceTable } from "../../core/server/service-table.js";
import { DEFAULT_FAULT_CLASS, DEFAULT_MAX_REQUEST_SIZE, createHessianHandler, type HessianRequestHandler } from "./handler.js";
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
  requestTimeoutMs?: number | string | undefined;
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
  declare requestTimeoutMs: number;
  declare allow: string[] | undefined;
  declare onewayMethods: string[] | undefined;
  declare registry: ClassRegistry | undefined;
  declare faultClass: string;
  declare decodeOptions: HessianDecodeSettings | undefined;

  private server: http.Server | https.Server | undefined = undefined;
  private handler: HessianRequestHandler | undefined = undefined;
  private tls: TlsSettings | undefined = undefined;

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
      decode: this.decodeOptions,
      faultClass: this.faultClass,
      path,
    });
    let server: http.Server | https.Server;
    if (tls) {
      // A refused client is dropped before the HTTP layer sees the connection (a prepended
      // listener: the HTTP parser may already hold a request that came with the handshake);
      // the guard around the handler is a second line, should a request get through anyway.
      const refused = new WeakSet<object>();
      const guarded = tls.clientCert === "none" ? handler : (req: http.IncomingMessage, res: http.ServerResponse): void => (refused.has(req.socket) ? void req.socket.destroy() : handler(req, res));
      const s = https.createServer(serverTlsOptions(tls), guarded);
      s.prependListener("secureConnection", (socket: TLSSocket) => {
        const reason = checkClient(socket, tls);
        if (reason === undefined) return;
        // dropped without an HTTP response: the client sees a refused connection, the reason stays here
        refused.add(socket);
        this.log.error("refused the TLS client %s:%s of %s: %s (certificate %s)", socket.remoteAddress, socket.remotePort, name, reason, describeCert(socket.getPeerCertificate()));
        socket.destroy();
      });
      s.on("tlsClientError", (err, socket) => {
        // a peer that connects and leaves without a handshake (a probe) is no failure: logSilentDisconnects says so at debug
        if (!isSilentDisconnect(err, socket)) this.log.warn("TLS handshake with %s:%s failed: %s", socket.remoteAddress, socket.remotePort, errorMessage(err));
      });
      server = s;
    } else server = http.createServer(handler);
    const requestTimeout = this.requestTimeoutMs;
    server.requestTimeout = Number.isFinite(requestTimeout) ? requestTimeout : 0;
    server.headersTimeout = Math.min(server.requestTimeout || 60_000, 60_000);
    server.on("clientError", (err, socket) => {
      this.log.debug("client error: %s", err);
      socket.destroy();
    });
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
    this.log.info("serving %s at %s (%d methods)", name, this.url, handler.methods.length);
  }

  protected async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.handler = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
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
  requestTimeoutMs: duration("time allowed to receive a whole request (30s, 500ms; none: no limit)", 30_000),
  allow: list("only these methods are served (default: every public method)"),
  onewayMethods: list("methods answered at once with an empty reply and run after: the caller does not wait"),
  registry: registry("classes call arguments may instantiate, and classes written with their Java names in replies (code only)"),
  faultClass: { type: "Java class", doc: "Java exception class of fault details when the thrown error names none (err.javaClass)", default: DEFAULT_FAULT_CLASS, parse: javaClassName },
  decodeOptions: decodeSettings("decoder limits and options for call arguments (preserveTypes hands HessianLong/HessianDouble to the service)"),
});
