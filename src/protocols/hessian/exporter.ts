/**
 * HessianServiceExporter: serves a TypeScript object over Hessian on its own
 * HTTP or HTTPS server. Set the properties, then `afterPropertiesSet()` (the
 * container does it) starts serving; `destroy()` stops and frees the port.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { CommunicationError, ConfigError, ErrorCodes, errorMessage } from "../../core/errors.js";
import { SocketServiceExporter, coercePort } from "../../core/exporter.js";
import { readPem, type PemInput } from "./client.js";
import { DEFAULT_FAULT_CLASS, DEFAULT_MAX_REQUEST_SIZE, createHessianHandler, type HessianRequestHandler } from "./handler.js";
import type { ClassRegistry, DecodeLimits } from "./types.js";

export interface HessianExporterOptions {
  service?: unknown;
  serviceName?: string;
  serviceHost?: string;
  servicePort?: number | string;
  path?: string;
  tlsKey?: PemInput;
  tlsCert?: PemInput;
  tlsCa?: PemInput;
  requestClientCert?: boolean | string;
  maxRequestSize?: number | string;
  allow?: readonly string[] | string;
  registry?: ClassRegistry;
  faultClass?: string;
  decodeOptions?: DecodeLimits & { mapsAs?: "object" | "map"; preserveTypes?: boolean };
  requestTimeoutMs?: number | string;
}

function num(v: unknown, what: string, min: number): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${what} must be a number >= ${min}, not '${String(v)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return n;
}

export class HessianServiceExporter extends SocketServiceExporter {
  /** Interface to listen on. Default "localhost". */
  override serviceHost: string = "localhost";
  /** Port to listen on (0 = any free port; numeric strings accepted). Default 8080. */
  override servicePort: number | string = 8080;
  /** URL path of the service. Default "/". */
  path: string = "/";
  /** TLS: server key and certificate (PEM text, Buffer or file path). Setting both serves HTTPS. */
  tlsKey: PemInput | undefined = undefined;
  tlsCert: PemInput | undefined = undefined;
  /** TLS: CAs trusted for client certificates. */
  tlsCa: PemInput | undefined = undefined;
  /** TLS: require a client certificate signed by tlsCa. Default false. */
  requestClientCert: boolean | string = false;
  /** Largest request body in bytes (HTTP 413 above). Default 16 MiB. */
  maxRequestSize: number | string = DEFAULT_MAX_REQUEST_SIZE;
  /** Only these methods are served (array or comma-separated string). Default: every public method. */
  allow: readonly string[] | string | undefined = undefined;
  /** Classes call arguments may instantiate. Default: none. */
  registry: ClassRegistry | undefined = undefined;
  /** Java exception class of fault details. Default `java.lang.RuntimeException`. */
  faultClass: string = DEFAULT_FAULT_CLASS;
  /** Decoder limits for call arguments. */
  decodeOptions: (DecodeLimits & { mapsAs?: "object" | "map"; preserveTypes?: boolean }) | undefined = undefined;
  /** Time allowed to receive a whole request, in ms. Default 30000. */
  requestTimeoutMs: number | string = 30_000;

  private server: http.Server | https.Server | undefined = undefined;
  private handler: HessianRequestHandler | undefined = undefined;

  constructor(options: HessianExporterOptions = {}) {
    super("remoting.hessian.exporter");
    Object.assign(this, options);
  }


  /** The port actually bound (useful with servicePort 0), once started. */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? (a as AddressInfo).port : undefined;
  }

  /** The service URL, once started. */
  get url(): string | undefined {
    const port = this.port;
    if (port === undefined) return undefined;
    const host = this.serviceHost.includes(":") ? `[${this.serviceHost}]` : this.serviceHost;
    return `${this.tlsCert ? "https" : "http"}://${host}:${port}${this.path}`;
  }

  /** The names of the served methods, once started. */
  get methods(): readonly string[] {
    return this.handler?.methods ?? [];
  }

  protected async start(): Promise<void> {
    this.require("service");
    if (typeof this.service !== "object" || this.service === null) {
      throw new ConfigError("service must be an object", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const port = coercePort(this.servicePort, "servicePort");
    const path = this.path && this.path.startsWith("/") ? this.path : `/${this.path ?? ""}`;
    this.path = path;
    const allow = typeof this.allow === "string" ? this.allow.split(",").map((s) => s.trim()).filter(Boolean) : this.allow;
    const handler = createHessianHandler(this.service, {
      serviceName: this.serviceName,
      allow,
      registry: this.registry,
      maxRequestSize: num(this.maxRequestSize, "maxRequestSize", 1),
      decode: this.decodeOptions,
      faultClass: this.faultClass,
      path,
    });
    const key = readPem(this.tlsKey, "tlsKey");
    const cert = readPem(this.tlsCert, "tlsCert");
    if ((key === undefined) !== (cert === undefined)) {
      throw new ConfigError("HTTPS needs both tlsKey and tlsCert", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const requestCert = this.requestClientCert === true || this.requestClientCert === "true" || this.requestClientCert === "True";
    const server =
      key !== undefined
        ? https.createServer({ key, cert, ca: readPem(this.tlsCa, "tlsCa"), requestCert, rejectUnauthorized: requestCert, minVersion: "TLSv1.2" }, handler)
        : http.createServer(handler);
    server.requestTimeout = num(this.requestTimeoutMs, "requestTimeoutMs", 0);
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
    this.server = server;
    this.handler = handler;
    this.log.info("serving %s at %s (%d methods)", this.serviceName ?? "a Hessian service", this.url, handler.methods.length);
  }

  protected async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
