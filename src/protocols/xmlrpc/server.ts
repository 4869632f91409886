/**
 * XML-RPC servers: `XmlRpcServer` (HTTP) and `SSLServer` (HTTPS, optional
 * client certificates and subject-field checks), after Spring Python's
 * `springpython.remoting.xmlrpc.SSLServer` and Python's SimpleXMLRPCServer.
 *
 * Calls are dispatched through the core's ServiceTable (core/server): the
 * functions given to `registerFunction` are served as one object (called on
 * the server, like Python's bound methods), each `registerInstance` object
 * as another, and `system.*` as a third; the XML-RPC method name is routed
 * to one of them. The table checks arity (Python's TypeError wording;
 * nothing runs), the client's deadline (`remoting-timeout`), runs server
 * interceptors and tracing spans, and gives the method its `callContext()`
 * (request headers, client address and certificate). Oneway methods are
 * answered at once and run after.
 *
 * A refused TLS client (no certificate, an untrusted one, wrong subject
 * fields) gets its connection dropped right after the TLS handshake with no
 * HTTP response at all; the reason is logged at ERROR on the logger named
 * after the server's class. At DEBUG every client's certificate and address
 * is logged.
 *
 * Bounded (core/server/connections): at most `maxConnections` connections,
 * `maxConnectionsPerPeer` per client address (idle ones make room, else a
 * new one is refused); a handshake that fails or times out closes its
 * socket; requests must arrive within `requestTimeoutMs` (checked on time);
 * bodies and the values they decode to count against `maxPeerMemory` per
 * client address; a document decodes within the parser's budget; a response
 * over `maxBodyBytes` is a fault instead. Bodies are read in the encoding
 * they declare (UTF-8, ISO-8859-1, ...) or refused with a fault, never
 * decoded with replacement characters.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerOptions as HttpServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { PeerCertificate, Server as TlsServer, TLSSocket } from "node:tls";
import { createGunzip } from "node:zlib";
import { ConfigError, ErrorCodes, MessageTooLargeError, RemotingError, errorMessage } from "../../core/errors.js";
import { applyOptions, defineProperties } from "../../core/config/properties.js";
import { getLogger, type Logger } from "../../core/logging.js";
import { callContext, deadlineFromMetadata, MetadataKeys, newCallContext, runInCallContext, type CallContext } from "../../core/server/call-context.js";
import { exposedMethods, isExposableName, ServiceError, type ExposeOptions } from "../../core/server/exposure.js";
import { ServiceTable, type ServerInterceptor } from "../../core/server/service-table.js";
import { ConnectionGuard, PeerBudget, answerHttpClientError, closeFailedHandshakes, httpTimeOptions, logSilentDisconnects } from "../../core/server/connections.js";
import {
  checkClient as checkTlsClient,
  checkSubjectFields,
  describeCert,
  peerCertificateInfo,
  readTlsSettings,
  serverTlsOptions,
  subjectToLongNames,
  type CertRequirement,
  type CertRequirementInput,
  type PeerCertificateInfo,
  type PemInput,
  type TlsSettings,
  type TlsVersion,
  type TlsServerProperties,
} from "../../core/tls.js";
import { readChunks } from "./body.js";
import {
  DEFAULT_MAX_DECODED_SIZE,
  FaultCodes,
  XmlRpcFault,
  XmlRpcParseError,
  XmlRpcParser,
  XmlTextDecoder,
  decodeXmlBytes,
  encodeFault,
  encodeResponse,
  type MethodCall,
} from "./codec.js";
import { DEFAULT_SERVICE_NAME, SERVER_PROPERTIES, SSL_SERVER_PROPERTIES } from "./settings.js";

export type XmlRpcFunction = (...args: any[]) => unknown;

export interface FunctionInfo {
  /** Returned by `system.methodHelp`. */
  help?: string | undefined;
  /** Returned by `system.methodSignature`: lists of type names, return type first. */
  signature?: string[][] | undefined;
  /** Answer at once (an empty response) and run the function after: the caller does not wait. */
  oneway?: boolean | undefined;
}

export interface XmlRpcServerOptions {
  /** Interface to listen on (default "localhost"). */
  host?: string | undefined;
  /** Port (default 8000; 0 picks a free one, read it back from `port` after `listen()`). */
  port?: number | string | undefined;
  /** Print one line per request to stderr, as Python does (default true). */
  logRequests?: boolean | string | undefined;
  /** Send null/undefined results as `<nil/>` (default false: a fault, as in Python). */
  allowNone?: boolean | string | undefined;
  /** Largest request body, after gunzip (default 10 MiB; "64kB", "16MiB"). */
  maxBodyBytes?: number | string | undefined;
  /** Deepest array/struct nesting accepted and sent (default 64). */
  maxDepth?: number | string | undefined;
  /** Close idle keep-alive connections after this (default 5000 ms; "5s"; 0 or "none": never). */
  keepAliveTimeoutMs?: number | string | undefined;
  /** A whole request must arrive within this (default 30000 ms; 0 or "none": no limit). */
  requestTimeoutMs?: number | string | undefined;
  /** Bytes one client address may hold at once (bodies being received, the values of its calls until answered; default 64 MiB). */
  maxPeerMemory?: number | string | undefined;
  /** Connections served at once (default 1024). */
  maxConnections?: number | string | undefined;
  /** Connections one client address may hold at once (default 256). */
  maxConnectionsPerPeer?: number | string | undefined;
  /** Serve system.listMethods, methodHelp, methodSignature and multicall (default true). */
  introspection?: boolean | string | undefined;
  /** Hand a whole-number `<double>` to the functions as an XmlRpcDouble (a Float), so that it goes back as `<double>` (default false: the number). */
  preserveTypes?: boolean | string | undefined;
  /** Request paths served (default ["/", "/RPC2"]); others get 404. */
  paths?: readonly string[] | string | undefined;
  /** Logger name (default: the class name, as Spring Python). */
  loggerName?: string | undefined;
  /** The name calls are served and traced under, `callContext().service` (default "RPC2"). */
  serviceName?: string | undefined;
  /** OpenTelemetry SERVER spans (default true; a no-op without an SDK). */
  tracing?: boolean | string | undefined;
  /** Server interceptors around every call: (next) => (call) => result. */
  interceptors?: ServerInterceptor[] | ServerInterceptor | undefined;
}

export interface SSLServerOptions extends XmlRpcServerOptions {
  /** The server's private key (PEM file or text). Also `tlsKey`, `keyfile`, `key`. */
  keyFile?: PemInput | undefined;
  /** The server's certificate (PEM file or text); may hold the chain (leaf first, then intermediates). Also `tlsCert`, `certfile`, `cert`. */
  certFile?: PemInput | undefined;
  /** CA certificates that sign client certificates (PEM file or text). Also `tlsCa`, `ca_certs`, `ca`. */
  caCerts?: PemInput | undefined;
  /** Whether clients must present a certificate (default "none"; Python's CERT_* names accepted). Also `tlsClientCert`, `cert_reqs`. */
  certRequirement?: CertRequirementInput | undefined;
  /** Python's name for certRequirement. */
  certReqs?: CertRequirementInput | undefined;
  /** Python's ssl_version, as the lowest TLS version: TLS 1.2 or 1.3 (older ones are refused). Also `tlsMinVersion`, `minVersion`. */
  sslVersion?: string | undefined;
  /** Lowest TLS version (default TLSv1.2). */
  minVersion?: TlsVersion | string | undefined;
  /** Highest TLS version (default: Node's, TLSv1.3). */
  maxVersion?: TlsVersion | string | undefined;
  /** OpenSSL cipher string. Also `tlsCiphers`. */
  ciphers?: string | undefined;
  /** Required client subject fields, by RFC 3280 long name (short names are mapped). Also `tlsVerifyFields`, `verify_fields`. */
  verifyFields?: Record<string, string> | Map<string, string> | string | undefined;
  /** A TLS handshake must finish within this (default 10000 ms). */
  handshakeTimeoutMs?: number | string | undefined;
  /** Accepted for compatibility; Node always handshakes first and tolerates ragged EOFs. */
  doHandshakeOnConnect?: boolean | string | undefined;
  suppressRaggedEofs?: boolean | string | undefined;
  /** PEM contents (or files) instead of keyFile / certFile / caCerts. */
  key?: PemInput | undefined;
  cert?: PemInput | undefined;
  ca?: PemInput | undefined;
  tlsKey?: PemInput | undefined;
  tlsCert?: PemInput | undefined;
  tlsCa?: PemInput | undefined;
  tlsClientCert?: CertRequirementInput | undefined;
  tlsVerifyFields?: Record<string, string> | Map<string, string> | string | undefined;
  tlsMinVersion?: TlsVersion | string | undefined;
  tlsMaxVersion?: TlsVersion | string | undefined;
  tlsCiphers?: string | undefined;
}

/** Where an XML-RPC method name leads: a served object of the table and its method. */
interface Route {
  readonly key: string;
  readonly method: string;
  readonly info: FunctionInfo;
}

/** What a request tells every call it carries (headers, client, deadline). */
interface RequestInfo {
  readonly metadata: ReadonlyMap<string, string>;
  readonly clientAddress: string | undefined;
  readonly clientPort: number | undefined;
  readonly clientCertificate: PeerCertificateInfo | undefined;
  readonly deadline: number;
  readonly correlationId: string | undefined;
}

/** The settings read on every request, fixed when the server starts listening. */
interface Running {
  readonly paths: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxDepth: number;
  readonly allowNone: boolean;
  readonly logRequests: boolean;
  readonly introspection: boolean;
  readonly preserveTypes: boolean;
}

/** What a plain HTTP client gets when the server is full: 503 (the call did not run; a client may retry). */
const SERVER_FULL = Buffer.from("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n\r\nthe server is full (503)", "latin1");

/** A request's share of its client address's memory budget. */
interface Held {
  readonly peer: string;
  bytes: number;
  readonly budget: PeerBudget;
}

function take(h: Held, n: number): boolean {
  if (!h.budget.reserve(h.peer, n)) return false;
  h.bytes += n;
  return true;
}

/** Request bodies up to this size (declared by Content-Length, not compressed) are read whole and parsed in one go. */
const SMALL_BODY_BYTES = 64 * 1024;

/** The table key of the system.* functions. */
const SYSTEM_KEY = "system";
const SYSTEM_METHODS = ["listMethods", "methodHelp", "methodSignature", "multicall"] as const;

/** The answer to a oneway call: sent at once, before the function runs. */
const ONEWAY_RESPONSE = encodeResponse(null, { allowNone: true });

/** The client certificate of an accepted TLS connection, read once per connection. */
const kPeer: unique symbol = Symbol("remoting.xmlrpc.peer");
type WithPeer = { [kPeer]?: PeerCertificateInfo | undefined };

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

/** Python's `"<class 'X'>:message"` fault string. */
export function pythonFaultString(err: unknown): string {
  if (err instanceof Error) return `<class '${err.name || "Error"}'>:${err.message}`;
  return `<class 'Exception'>:${String(err)}`;
}

/**
 * A refusal of the service table. (Not `instanceof`: the error classes'
 * cross-copy `instanceof` is RemotingError's, inherited, so it would match
 * any RemotingError.)
 */
function isServiceError(err: unknown): err is ServiceError {
  return typeof err === "object" && err !== null && Object.prototype.isPrototypeOf.call(ServiceError.prototype, err);
}

function notSupportedFault(method: string): XmlRpcFault {
  return new XmlRpcFault(FaultCodes.APPLICATION, `<class 'Exception'>:method "${method}" is not supported`);
}

/** The fault of a call the service table refused: Python's TypeError for arity, "not supported" for what is not served. */
function serviceFault(err: ServiceError, method: string): XmlRpcFault {
  switch (err.reason) {
    case "arity":
    case "keyword":
      return new XmlRpcFault(FaultCodes.APPLICATION, `<class 'TypeError'>:${err.message}`);
    case "deadline":
      return new XmlRpcFault(FaultCodes.APPLICATION, `<class 'TimeoutError'>:${err.message}`);
    default:
      return notSupportedFault(method);
  }
}

/** A plain-HTTP XML-RPC server. Register functions in `registerFunctions()` (override) or from outside with `registerFunction()`. */
export class XmlRpcServer {
  static readonly constructorParameters: readonly string[] = ["host", "port", "options"];

  // Declared properties (./settings.ts): options and fields, parsed where they are set.
  declare host: string;
  declare port: number;
  declare logRequests: boolean;
  declare allowNone: boolean;
  declare maxBodyBytes: number;
  declare maxDepth: number;
  declare keepAliveTimeoutMs: number;
  declare requestTimeoutMs: number;
  declare maxPeerMemory: number;
  declare maxConnections: number;
  declare maxConnectionsPerPeer: number;
  declare introspection: boolean;
  declare preserveTypes: boolean;
  declare paths: string[];
  declare loggerName: string | undefined;
  declare serviceName: string;
  declare tracing: boolean;
  declare interceptors: ServerInterceptor[] | undefined;

  protected listener: HttpServer | undefined;
  private readonly sockets = new Set<Socket>();
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  private registered = false;
  private loggerCache: Logger | undefined;
  /** XML-RPC method names to served objects. */
  private readonly routes = new Map<string, Route>();
  /** Everything registered, by table key (the table is built from it). */
  private readonly registry = new Map<string, { target: object; oneway: string[]; allow: readonly string[] | undefined; receiver: object | undefined }>();
  /** The functions given to registerFunction, served as one object called on the server. */
  private readonly functionHolder: Record<string, XmlRpcFunction> = Object.create(null) as Record<string, XmlRpcFunction>;
  private functionsKey: string | undefined;
  private readonly onewayFunctions = new Set<string>();
  private tableCache: ServiceTable | undefined;
  private running: Running | undefined;
  private guard: ConnectionGuard | undefined;
  /** The memory each client address holds (bodies, decoded values), while listening. */
  private budget = new PeerBudget();

  constructor(hostOrOptions?: string | XmlRpcServerOptions, port?: number | string, options?: XmlRpcServerOptions) {
    const opts: XmlRpcServerOptions = typeof hostOrOptions === "object" && hostOrOptions !== null ? { ...hostOrOptions } : { ...options };
    if (typeof hostOrOptions === "string") opts.host = hostOrOptions;
    if (port !== undefined && port !== null) opts.port = port;
    applyOptions(this, opts as Record<string, unknown>);
  }

  /** The server's logger: `loggerName`, or the class name (as Spring Python). */
  protected get logger(): Logger {
    return (this.loggerCache ??= getLogger(this.loggerName ?? this.constructor.name));
  }

  protected get log(): Logger {
    return this.logger;
  }

  /** The override point: call `this.registerFunction(fn, name?)` for each exposed function. */
  registerFunctions(): void {}

  /**
   * Exposes a function under `name` (default: the function's name). It is
   * called with `this` = the server, so `this.registerFunction(this.listdir)`
   * works like a Python bound method. Names starting with `_`, `constructor`,
   * `toString` and the like are never served.
   */
  registerFunction(fn: XmlRpcFunction, name?: string, info: FunctionInfo = {}): void {
    if (typeof fn !== "function") throw new ConfigError("registerFunction needs a function", ErrorCodes.ERR_INVALID_ARGUMENT);
    const n = name ?? fn.name.replace(/^bound /, "");
    if (!n) throw new ConfigError("registerFunction needs a name for an anonymous function", ErrorCodes.ERR_INVALID_ARGUMENT);
    if (!isExposableName(n)) throw new ConfigError(`'${n}' cannot be served (names starting with '_', constructor and Object's own methods never are)`, ErrorCodes.ERR_INVALID_ARGUMENT);
    this.functionHolder[n] = fn;
    if (info.oneway) this.onewayFunctions.add(n);
    else this.onewayFunctions.delete(n);
    const key = (this.functionsKey ??= this.freeKey(this.serviceName));
    this.routes.set(n, { key, method: n, info });
    this.serve(key, this.functionHolder, { oneway: [...this.onewayFunctions], receiver: this });
  }

  /** Python's spelling. */
  register_function(fn: XmlRpcFunction, name?: string): void {
    this.registerFunction(fn, name);
  }

  /**
   * Exposes the public methods of an object (as `exposedMethods` lists them:
   * never `_private` names, `constructor` or lifecycle hooks), called with
   * `this` = the object; `prefix` gives dotted names (`"math."` -> `math.pow`).
   * `options.oneway` names methods answered at once; `options.allow` limits
   * what is served.
   */
  registerInstance(obj: object, prefix = "", options: ExposeOptions = {}): void {
    if (obj === null || (typeof obj !== "object" && typeof obj !== "function")) throw new ConfigError("registerInstance needs an object", ErrorCodes.ERR_INVALID_ARGUMENT);
    const key = this.freeKey(prefix ? prefix.replace(/\.$/, "") : this.serviceName);
    this.serve(key, obj, { oneway: [...(options.oneway ?? [])], allow: options.allow });
    for (const m of exposedMethods(obj, options)) this.routes.set(prefix + m, { key, method: m, info: {} });
  }

  register_instance(obj: object): void {
    this.registerInstance(obj);
  }

  /** Adds a server interceptor around every call (outermost first, in the order added). */
  use(interceptor: ServerInterceptor): void {
    this.interceptors = [...(this.interceptors ?? []), interceptor];
    this.tableCache?.use(interceptor);
  }

  /** A free table key: `preferred`, else `preferred#2`, ... (`system` is the system.* functions'). */
  private freeKey(preferred: string): string {
    let key = preferred;
    for (let i = 2; key === SYSTEM_KEY || this.registry.has(key); i++) key = `${preferred}#${i}`;
    return key;
  }

  private serve(key: string, target: object, o: { oneway: string[]; allow?: readonly string[] | undefined; receiver?: object | undefined }): void {
    const entry = { target, oneway: o.oneway, allow: o.allow, receiver: o.receiver };
    this.registry.set(key, entry);
    const t = this.tableCache;
    if (t) {
      t.unregister(key);
      t.register(key, target, entry);
    }
  }

  /** The ServiceTable every call goes through (built on first use, with the server's tracing and interceptors). */
  protected get serviceTable(): ServiceTable {
    let t = this.tableCache;
    if (!t) {
      t = new ServiceTable({ tracing: this.tracing });
      for (const ic of this.interceptors ?? []) t.use(ic);
      t.register(SYSTEM_KEY, this.systemFunctions(), { receiver: this });
      for (const [key, e] of this.registry) t.register(key, e.target, e);
      this.tableCache = t;
    }
    return t;
  }

  /** system.listMethods, methodHelp, methodSignature, multicall. */
  private systemFunctions(): object {
    const functions = Object.create(null) as Record<string, XmlRpcFunction>;
    functions["listMethods"] = () => this.listMethods();
    functions["methodHelp"] = (name: string) => this.routes.get(String(name))?.info.help ?? "";
    functions["methodSignature"] = (name: string) => this.routes.get(String(name))?.info.signature ?? "signatures not supported";
    functions["multicall"] = (calls: unknown) => this.multicall(calls);
    return functions;
  }

  /** Where an XML-RPC method name leads, or undefined when nothing serves it. */
  private route(method: string): Route | undefined {
    const r = this.routes.get(method);
    if (r !== undefined) return r;
    if (method.startsWith("system.") && (this.running?.introspection ?? this.introspection)) {
      const m = method.slice(7);
      if ((SYSTEM_METHODS as readonly string[]).includes(m)) return { key: SYSTEM_KEY, method: m, info: {} };
    }
    return undefined;
  }

  /** Python's `server_address`: [host, port]. */
  get serverAddress(): [string, number] {
    return [this.host, this.port];
  }

  /** Binds and starts serving. Resolves once listening; `port` then holds the bound port. */
  async listen(): Promise<void> {
    if (this.listener) return;
    if (!this.registered) {
      this.registered = true;
      this.registerFunctions();
    }
    void this.serviceTable;
    this.running = {
      paths: [...this.paths],
      maxBodyBytes: this.maxBodyBytes,
      maxDepth: this.maxDepth,
      allowNone: this.allowNone,
      logRequests: this.logRequests,
      introspection: this.introspection,
      preserveTypes: this.preserveTypes,
    };
    this.budget = new PeerBudget(Math.max(this.maxPeerMemory, this.maxBodyBytes));
    const times = httpTimeOptions({ requestTimeoutMs: this.requestTimeoutMs, keepAliveTimeoutMs: this.keepAliveTimeoutMs });
    const http = this.createListener(times, (req, res) => this.handle(req, res));
    http.keepAliveTimeout = times.keepAliveTimeout;
    logSilentDisconnects(http, this.log);
    this.guard = new ConnectionGuard(http, this.log, {
      maxConnections: this.maxConnections,
      maxConnectionsPerPeer: this.maxConnectionsPerPeer,
      refusal: this.refusalBytes(),
    });
    this.guard.trackHttp(http);
    // 408 for a request that did not arrive in time, 400 for bad HTTP; the connection closed
    http.on("clientError", (err, socket) => answerHttpClientError(err, socket, this.log));
    const listener = http;
    this.listener = listener;
    listener.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.listener = undefined;
        if (err.code === "EADDRINUSE") reject(new RemotingError(`address ${this.host}:${this.port} is already in use`, ErrorCodes.ERR_ADDRESS_IN_USE, { cause: err }));
        else reject(err);
      };
      listener.once("error", onError);
      listener.listen(this.port, this.host, () => {
        listener.off("error", onError);
        listener.on("error", (err) => this.log.error("server error: %s", errorMessage(err)));
        resolve();
      });
    });
    this.port = (listener.address() as AddressInfo).port;
    this.log.debug("serving XML-RPC on %s:%d", this.host, this.port);
  }

  /** What a refused connection is sent before it is closed: a 503 over plain HTTP (nothing over TLS). */
  protected refusalBytes(): Buffer | undefined {
    return SERVER_FULL;
  }

  /** Connections open now (while listening). */
  get connectionCount(): number {
    return this.guard?.size ?? 0;
  }

  /** Python's `serve_forever()`: listens, and resolves only when the server is closed. */
  async serveForever(): Promise<void> {
    await this.listen();
    await this.closedPromise;
  }

  serve_forever(): Promise<void> {
    return this.serveForever();
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    const l = this.listener;
    if (!l) return;
    this.listener = undefined;
    this.guard = undefined;
    const done = new Promise<void>((resolve) => l.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    l.closeAllConnections();
    await done;
    this.resolveClosed?.();
  }

  /** Python's spelling. */
  shutdown(): Promise<void> {
    return this.close();
  }

  /** Creates the (not yet listening) server; SSLServer makes it HTTPS. */
  protected createListener(options: HttpServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): HttpServer {
    return createHttpServer(options, handler);
  }

  /** Writes a request log line; override to send it elsewhere. */
  protected logRequest(line: string): void {
    process.stderr.write(line + "\n");
  }

  private requestLine(req: IncomingMessage, status: number): void {
    const d = new Date();
    const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getMonth()];
    const p = (n: number) => String(n).padStart(2, "0");
    const stamp = `${p(d.getDate())}/${mon}/${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    this.logRequest(`${req.socket.remoteAddress ?? "-"} - - [${stamp}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} -`);
  }

  private plain(req: IncomingMessage, res: ServerResponse, status: number, body: string, close = false): void {
    if (this.running?.logRequests ?? this.logRequests) this.requestLine(req, status);
    const headers: Record<string, string | number> = { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) };
    if (close) headers["Connection"] = "close";
    res.writeHead(status, headers);
    res.end(body);
    if (close) req.socket.destroySoon?.();
  }

  private xml(req: IncomingMessage, res: ServerResponse, body: string): void {
    const cfg = this.running!;
    if (cfg.logRequests) this.requestLine(req, 200);
    let length = body.length > cfg.maxBodyBytes / 3 ? Buffer.byteLength(body, "utf8") : -1;
    if (length > cfg.maxBodyBytes) {
      // responses are held to the same limit as requests: a client with the same limit could not read it
      const message = `the response is ${length} bytes, over maxBodyBytes ${cfg.maxBodyBytes}`;
      this.log.warn("%s (to %s)", message, req.socket.remoteAddress);
      body = encodeFault(FaultCodes.APPLICATION, `<class 'MessageTooLargeError'>:${message}`);
      length = -1;
    }
    // One write: the headers as a flat list (no header object) with the body's length; a string body
    // is sent together with the head as one string (a Buffer would make it a two-chunk writev).
    res.writeHead(200, ["Content-Type", "text/xml", "Content-Length", String(length >= 0 ? length : Buffer.byteLength(body, "utf8"))]);
    res.end(body, "utf8");
  }

  // Shared listeners (not closures per request).
  private readonly onResponseError = (err: Error): void => this.log.debug("response error: %s", errorMessage(err));
  private readonly onRequestError = (err: Error): void => this.log.debug("request error: %s", errorMessage(err));

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const cfg = this.running!;
    res.on("error", this.onResponseError);
    req.on("error", this.onRequestError);
    if (req.method !== "POST") {
      req.resume();
      this.plain(req, res, 501, `Unsupported method ('${req.method ?? ""}')`);
      return;
    }
    if (!cfg.paths.includes(req.url ?? "")) {
      req.resume();
      this.plain(req, res, 404, "No such page");
      return;
    }
    // The request headers, read from the raw list in one pass (the first of each, lower-case names):
    // the call's metadata, and the two this reader needs.
    const raw = req.rawHeaders;
    const metadata = new Map<string, string>();
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const k = raw[i]!.toLowerCase();
      if (!metadata.has(k)) metadata.set(k, raw[i + 1]!);
    }
    const encodingHeader = metadata.get("content-encoding");
    const encoding = encodingHeader === undefined ? "identity" : encodingHeader.toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip") {
      req.resume();
      this.plain(req, res, 501, `encoding ${encoding} not supported`);
      return;
    }
    const declared = Number(metadata.get("content-length") ?? NaN);
    if (Number.isFinite(declared) && declared > cfg.maxBodyBytes) {
      this.log.error("request body of %d bytes from %s exceeds maxBodyBytes %d", declared, req.socket.remoteAddress, cfg.maxBodyBytes);
      this.plain(req, res, 413, `request body exceeds ${cfg.maxBodyBytes} bytes`, true);
      return;
    }
    const held = this.holdFor(req, res);
    if (encoding === "identity" && declared <= SMALL_BODY_BYTES) {
      this.readSmallCall(req, res, metadata, held);
      return;
    }
    this.readCall(req, res, encoding === "gzip", metadata, held).catch((err: unknown) => this.internalError(req, res, err));
  }

  /** What a request holds of its client address's memory budget: released when its response closes (answered, or the connection gone). */
  private holdFor(req: IncomingMessage, res: ServerResponse): Held {
    const budget = this.budget;
    const h: Held = { peer: req.socket.remoteAddress ?? "?", bytes: 0, budget };
    res.once("close", () => {
      budget.release(h.peer, h.bytes);
      h.bytes = 0;
    });
    return h;
  }

  /** What a document of this request may decode to: the parser's default, within what its client address has left. */
  private decodedLimit(h: Held): number {
    return Math.min(DEFAULT_MAX_DECODED_SIZE, h.budget.available(h.peer));
  }

  /** A body that would take its client address over its memory budget: 503 (nothing ran; the client may retry later), connection closed. */
  private overBudget(req: IncomingMessage, res: ServerResponse, h: Held): void {
    const message = `${h.peer} holds ${h.budget.heldBy(h.peer)} bytes of requests in this server, the most one client address may (maxPeerMemory ${h.budget.maxPerPeer}): try again later`;
    const now = Date.now();
    if (now - this.lastBudgetWarning >= 1000) {
      this.lastBudgetWarning = now;
      this.log.warn(message);
    } else this.log.debug(message);
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    res.setHeader("Retry-After", "1");
    this.plain(req, res, 503, message, true);
  }

  private lastBudgetWarning = 0;

  private internalError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    this.log.error("internal error: %s", errorMessage(err));
    if (!res.headersSent) this.plain(req, res, 500, "internal error", true);
  }

  /**
   * The common case: an uncompressed body with a Content-Length of at most
   * SMALL_BODY_BYTES (the HTTP parser enforces that length). Its chunks are
   * collected, decoded once and parsed in one go; the answer is written
   * synchronously unless the function returns a promise.
   */
  private readSmallCall(req: IncomingMessage, res: ServerResponse, metadata: Map<string, string>, held: Held): void {
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      if (!take(held, chunk.length)) {
        failed = true;
        first = more = undefined;
        this.overBudget(req, res, held);
        return;
      }
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on("end", () => {
      if (failed) return;
      const body = more ? Buffer.concat(more) : first;
      const cfg = this.running!;
      let call: MethodCall;
      try {
        const parser = new XmlRpcParser({ maxDepth: cfg.maxDepth, maxChars: cfg.maxBodyBytes, maxDecodedSize: this.decodedLimit(held), preserveTypes: cfg.preserveTypes });
        parser.write(body === undefined ? "" : decodeXmlBytes(body));
        const doc = parser.finish();
        if (doc.root !== "methodCall") throw new XmlRpcParseError("expected <methodCall>", "invalid");
        take(held, parser.decodedSize);
        call = doc.call;
      } catch (err) {
        this.badRequest(req, res, err);
        return;
      }
      this.answer(req, res, metadata, call.methodName, call.params);
    });
  }

  private badRequest(req: IncomingMessage, res: ServerResponse, parseError: unknown): void {
    const code = parseError instanceof XmlRpcParseError ? parseError.faultCode : parseError instanceof MessageTooLargeError ? FaultCodes.INVALID_XMLRPC : FaultCodes.PARSE_ERROR;
    this.log.debug("bad request from %s: %s", req.socket.remoteAddress, errorMessage(parseError));
    this.xml(req, res, encodeFault(code, `${parseError instanceof Error ? parseError.name : "Error"}:${errorMessage(parseError)}`));
  }

  /** What the request tells its call: headers, client address and certificate, the client's deadline. */
  private requestInfo(req: IncomingMessage, metadata: Map<string, string>): RequestInfo {
    const sock = req.socket as Socket & WithPeer;
    return {
      metadata,
      clientAddress: sock.remoteAddress,
      clientPort: sock.remotePort,
      clientCertificate: sock[kPeer],
      deadline: deadlineFromMetadata(metadata),
      correlationId: metadata.get(MetadataKeys.correlationId),
    };
  }

  private contextFor(info: RequestInfo, service: string, method: string, oneway: boolean): CallContext {
    return {
      protocol: "xmlrpc",
      service,
      method,
      serializer: "xml",
      metadata: info.metadata,
      annotations: undefined,
      correlationId: info.correlationId,
      clientAddress: info.clientAddress,
      clientPort: info.clientPort,
      clientCertificate: info.clientCertificate,
      deadline: info.deadline,
      oneway,
    };
  }

  /** Runs the call and writes its response or fault; no promise unless the function returns one. */
  private answer(req: IncomingMessage, res: ServerResponse, metadata: Map<string, string>, method: string, params: unknown[]): void {
    const info = this.requestInfo(req, metadata);
    let result: unknown;
    try {
      if (this.dispatch !== XmlRpcServer.prototype.dispatch) {
        // An overridden dispatch() (Python's _dispatch) runs in the request's context; super.dispatch() continues it.
        result = runInCallContext(this.contextFor(info, this.serviceName, method, false), () => this.dispatch(method, params, 0));
      } else {
        const r = this.route(method);
        if (r === undefined) throw notSupportedFault(method);
        const table = this.serviceTable;
        if (table.isOneway(r.key, r.method)) {
          this.xml(req, res, ONEWAY_RESPONSE);
          this.runOneway(r, params, this.contextFor(info, r.key, r.method, true));
          return;
        }
        result = table.invoke({ service: r.key, method: r.method, args: params, context: this.contextFor(info, r.key, r.method, false) });
      }
    } catch (err) {
      this.xml(req, res, this.faultXml(err, method));
      return;
    }
    if (isThenable(result)) {
      result.then(
        (v) => this.sendResult(req, res, method, v),
        (err: unknown) => this.xml(req, res, this.faultXml(err, method)),
      );
      return;
    }
    this.sendResult(req, res, method, result);
  }

  /** Runs a oneway call after its answer went out; its outcome is only logged. */
  private runOneway(r: Route, params: unknown[], context: CallContext): void {
    const failed = (err: unknown): void => this.log.debug("oneway call '%s' failed: %s", context.method, errorMessage(err));
    try {
      const v = this.serviceTable.invoke({ service: r.key, method: r.method, args: params, context });
      if (isThenable(v)) v.then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  }

  private sendResult(req: IncomingMessage, res: ServerResponse, method: string, value: unknown): void {
    const cfg = this.running!;
    let body: string;
    try {
      body = encodeResponse(value, { allowNone: cfg.allowNone, maxDepth: cfg.maxDepth });
    } catch (err) {
      body = this.faultXml(err, method);
    }
    this.xml(req, res, body);
  }

  private async readCall(req: IncomingMessage, res: ServerResponse, gzip: boolean, metadata: Map<string, string>, held: Held): Promise<void> {
    const cfg = this.running!;
    const parser = new XmlRpcParser({ maxDepth: cfg.maxDepth, maxChars: cfg.maxBodyBytes, maxDecodedSize: this.decodedLimit(held), preserveTypes: cfg.preserveTypes });
    const decoder = new XmlTextDecoder();
    let parseError: unknown;
    let bytes = 0;
    let tooLarge = false;
    let overBudget = false;
    const source = gzip ? req.pipe(createGunzip({ maxOutputLength: cfg.maxBodyBytes + 1 })) : req;
    try {
      await readChunks(source, (chunk) => {
        bytes += chunk.length;
        if (bytes > cfg.maxBodyBytes) {
          tooLarge = true;
          return false;
        }
        // the body (inflated) counts against its client address's memory while it is read
        if (!take(held, chunk.length)) {
          overBudget = true;
          return false;
        }
        if (parseError) return true;
        try {
          parser.write(decoder.write(chunk));
        } catch (err) {
          parseError = err;
        }
        return true;
      });
    } catch (err) {
      if (gzip && !tooLarge) {
        this.plain(req, res, 400, `bad gzip body: ${errorMessage(err)}`, true);
        return;
      }
      if (!tooLarge && !overBudget) throw err;
    }
    if (overBudget) {
      if (gzip) req.unpipe();
      this.overBudget(req, res, held);
      return;
    }
    if (tooLarge) {
      this.log.error("request body from %s exceeds maxBodyBytes %d", req.socket.remoteAddress, cfg.maxBodyBytes);
      this.plain(req, res, 413, `request body exceeds ${cfg.maxBodyBytes} bytes`, true);
      return;
    }
    let call: { methodName: string; params: unknown[] } | undefined;
    if (!parseError) {
      try {
        parser.write(decoder.end());
        const doc = parser.finish();
        if (doc.root !== "methodCall") throw new XmlRpcParseError("expected <methodCall>", "invalid");
        take(held, parser.decodedSize);
        call = doc.call;
      } catch (err) {
        parseError = err;
      }
    }
    if (!call) {
      this.badRequest(req, res, parseError);
      return;
    }
    this.answer(req, res, metadata, call.methodName, call.params);
  }

  private faultXml(err: unknown, method: string): string {
    if (isServiceError(err)) err = serviceFault(err, method);
    if (err instanceof XmlRpcFault) return encodeFault(err.faultCode, err.faultString);
    if (this.log.isLevelEnabled("debug")) this.log.debug("method '%s' failed: %s", method, err instanceof Error ? (err.stack ?? err.message) : String(err));
    return encodeFault(FaultCodes.APPLICATION, pythonFaultString(err));
  }

  /**
   * Runs one call (Python's `_dispatch`; an override point): routes the
   * XML-RPC method name and runs it through the service table. Throws
   * XmlRpcFault or the function's error. An override is called in the
   * request's call context; `super.dispatch()` carries it on.
   */
  protected async dispatch(method: string, params: unknown[], depth: number): Promise<unknown> {
    return await this.runCall(method, params, depth, callContext());
  }

  /** dispatch() without the promise: the function's result as it is (a value or a promise); throws as dispatch() rejects. */
  private runCall(method: string, params: unknown[], depth: number, base: CallContext | undefined): unknown {
    if (depth > 0 && method === "system.multicall" && !this.routes.has(method)) {
      throw new XmlRpcFault(FaultCodes.APPLICATION, "<class 'Exception'>:system.multicall cannot be nested");
    }
    const r = this.route(method);
    if (r === undefined) throw notSupportedFault(method);
    const context: CallContext =
      base !== undefined
        ? { ...base, service: r.key, method: r.method, oneway: false }
        : newCallContext({ protocol: "xmlrpc", serializer: "xml", service: r.key, method: r.method });
    return this.serviceTable.invoke({ service: r.key, method: r.method, args: params, context });
  }

  private listMethods(): string[] {
    const names = new Set(this.routes.keys());
    if (this.running?.introspection ?? this.introspection) for (const m of SYSTEM_METHODS) names.add(`system.${m}`);
    return [...names].sort();
  }

  /** system.multicall: each call goes through dispatch() (an override is honoured), in the multicall's context. */
  private async multicall(calls: unknown): Promise<unknown[]> {
    if (!Array.isArray(calls)) throw new XmlRpcFault(FaultCodes.APPLICATION, "<class 'TypeError'>:system.multicall expects an array of calls");
    const out: unknown[] = [];
    for (const c of calls) {
      try {
        if (!c || typeof c !== "object") throw new XmlRpcFault(FaultCodes.APPLICATION, "<class 'TypeError'>:each multicall entry must be a struct");
        const { methodName, params } = c as { methodName?: unknown; params?: unknown };
        if (typeof methodName !== "string") throw new XmlRpcFault(FaultCodes.APPLICATION, "<class 'TypeError'>:multicall entry without methodName");
        out.push([await this.dispatch(methodName, Array.isArray(params) ? params : [], 1)]);
      } catch (err) {
        const f = isServiceError(err) ? serviceFault(err, String((c as { methodName?: unknown })?.methodName)) : err;
        out.push(
          f instanceof XmlRpcFault ? { faultCode: f.faultCode, faultString: f.faultString } : { faultCode: FaultCodes.APPLICATION, faultString: pythonFaultString(f) },
        );
      }
    }
    return out;
  }
}
defineProperties(XmlRpcServer, SERVER_PROPERTIES);

/**
 * The secure XML-RPC server. Must be subclassed: override `registerFunctions()`.
 *
 *   class MySSLServer extends SSLServer {
 *     override registerFunctions() { this.registerFunction(Math.pow, "pow"); }
 *   }
 *   await new MySSLServer("localhost", 8000, "./server-key.pem", "./server-cert.pem").serveForever();
 *
 * TLS settings are the core's (core/tls: `tlsKey`, `tlsCert`, `tlsCa`,
 * `tlsClientCert`, `tlsVerifyFields`, `tlsMinVersion`, ...), with Spring
 * Python's names (`keyfile`, `certfile`, `ca_certs`, `cert_reqs`,
 * `verify_fields`, `ssl_version`) and this class's earlier ones (`keyFile`,
 * `certRequirement`, ...) as aliases.
 */
/** The standard TLS properties (core/tls), declared once. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface SSLServer extends TlsServerProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class SSLServer extends XmlRpcServer {
  static override readonly constructorParameters: readonly string[] = [
    "host",
    "port",
    "keyfile",
    "certfile",
    "ca_certs",
    "cert_reqs",
    "ssl_version",
    "do_handshake_on_connect",
    "suppress_ragged_eofs",
    "ciphers",
    "log_requests",
    "verify_fields",
  ];

  // the same settings under their historic names (aliases)
  declare keyFile: PemInput | undefined;
  declare certFile: PemInput | undefined;
  declare caCerts: PemInput | undefined;
  declare certRequirement: CertRequirement;
  declare sslVersion: TlsVersion;
  declare minVersion: TlsVersion;
  declare maxVersion: TlsVersion | undefined;
  declare ciphers: string | undefined;
  declare verifyFields: Record<string, string> | undefined;
  declare handshakeTimeoutMs: number;
  declare doHandshakeOnConnect: boolean;
  declare suppressRaggedEofs: boolean;

  /** The TLS settings the listener was made with. */
  private tlsSettings: TlsSettings | undefined;

  constructor(
    hostOrOptions?: string | SSLServerOptions,
    port?: number | string,
    keyFile?: PemInput,
    certFile?: PemInput,
    caCerts?: PemInput,
    certReqs?: CertRequirementInput,
    sslVersion?: string,
    doHandshakeOnConnect?: boolean | string,
    suppressRaggedEofs?: boolean | string,
    ciphers?: string,
    logRequests?: boolean | string,
    verifyFields?: SSLServerOptions["verifyFields"],
  ) {
    const opts: SSLServerOptions = typeof hostOrOptions === "object" && hostOrOptions !== null ? { ...hostOrOptions } : {};
    if (typeof hostOrOptions === "string") opts.host = hostOrOptions;
    const positional: Array<[keyof SSLServerOptions, unknown]> = [
      ["port", port],
      ["keyFile", keyFile],
      ["certFile", certFile],
      ["caCerts", caCerts],
      ["certReqs", certReqs],
      ["sslVersion", sslVersion],
      ["doHandshakeOnConnect", doHandshakeOnConnect],
      ["suppressRaggedEofs", suppressRaggedEofs],
      ["ciphers", ciphers],
      ["logRequests", logRequests],
      ["verifyFields", verifyFields],
    ];
    for (const [k, v] of positional) if (v !== undefined && v !== null) (opts as Record<string, unknown>)[k] = v;
    super(opts);
    if (this.registerFunctions === SSLServer.prototype.registerFunctions) {
      throw new ConfigError(
        `${this.constructor.name} must be subclassed: override registerFunctions() (Must be overridden by subclasses)`,
        ErrorCodes.ERR_CONFIG_NOT_CONSTRUCTIBLE,
      );
    }
  }

  override registerFunctions(): void {
    throw new ConfigError("Must be overridden by subclasses", ErrorCodes.ERR_CONFIG_NOT_CONSTRUCTIBLE);
  }

  /**
   * Spring Python's `verify_peer` override point: checks the subject of a
   * trusted client certificate against `verifyFields`. Return a reason to refuse.
   */
  verifyPeer(cert: PeerCertificate, _fromAddr: string): string | undefined {
    const fields = this.tlsVerifyFields;
    if (!fields) return undefined;
    if (!cert.subject) return `Peer certificate doesn't have the 'subject' field, cert='${describeCert(cert)}'`;
    return checkSubjectFields(subjectToLongNames(cert.subject as unknown as Record<string, string | string[]>), fields);
  }

  /**
   * Closes a refused connection without answering: the end of the handshake
   * (TLS 1.2 servers send the last flight) and a close_notify are flushed,
   * then the socket is destroyed. Whatever the client sent is never read.
   */
  protected drop(sock: TLSSocket): void {
    sock.on("error", () => sock.destroy());
    const timer = setTimeout(() => sock.destroy(), 1000);
    timer.unref();
    sock.end(() => {
      clearTimeout(timer);
      sock.destroy();
    });
  }

  /**
   * Why a client must be refused, or undefined to accept it. The core's
   * check (core/tls `checkClient`: a certificate when one is required, and a
   * presented one must chain to tlsCa) decides, in Spring Python's words;
   * then `verifyPeer` (the subject fields, or a subclass's own rule).
   */
  protected checkClient(sock: TLSSocket, fromAddr: string): string | undefined {
    const s = this.tlsSettings;
    if (!s || (s.clientCert === "none" && !s.verifyFields)) return undefined;
    const refused = checkTlsClient(sock, { ...s, verifyFields: undefined });
    const cert = sock.getPeerCertificate();
    const present = !!cert && Object.keys(cert).length > 0;
    if (!present) {
      if (s.verifyFields) return `Couldn't verify fields, peer didn't send the certificate, from_addr='${fromAddr}'`;
      if (refused !== undefined) return `Peer didn't send a certificate (certRequirement is '${s.clientCert}'), from_addr='${fromAddr}'`;
      return undefined;
    }
    if (refused !== undefined) return `Peer certificate is not trusted (${String(sock.authorizationError)}), cert='${describeCert(cert)}', from_addr='${fromAddr}'`;
    try {
      return this.verifyPeer(cert, fromAddr);
    } catch (err) {
      return `Verification error='${errorMessage(err)}', cert='${describeCert(cert)}', from_addr='${fromAddr}'`;
    }
  }

  /** The TLS settings (core/tls), checked: a missing key or certificate, inconsistent requirements and unreadable files are ConfigErrors. */
  private readTls(): TlsSettings {
    // checked before any file is read, so the configuration mistake is what is reported
    if (this.tlsVerifyFields && this.tlsClientCert === "none") {
      throw new ConfigError("verifyFields needs certRequirement 'optional' or 'required' (with 'none' no client certificate is asked for)", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    if (this.tlsKey === undefined || this.tlsCert === undefined) throw new ConfigError("SSLServer needs keyFile and certFile (tlsKey and tlsCert)", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    return readTlsSettings(this, "server")!;
  }

  protected override createListener(httpOptions: HttpServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): HttpServer {
    const settings = this.readTls();
    let server: HttpServer;
    try {
      server = createHttpsServer(
        {
          ...httpOptions,
          ...serverTlsOptions(settings),
          handshakeTimeout: this.handshakeTimeoutMs,
          // Every refusal is decided below, after the handshake, so that each one is logged with its reason and address.
          rejectUnauthorized: false,
        },
        handler,
      ) as unknown as HttpServer;
    } catch (err) {
      throw new ConfigError(`cannot set up TLS: ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { cause: err });
    }
    this.tlsSettings = settings;
    const asks = settings.clientCert !== "none";
    // The HTTP parser is https's own 'secureConnection' listener. It is taken
    // off and called only for accepted clients: a refused socket never
    // reaches it, so not a single request byte is read or answered.
    const httpListeners = server.listeners("secureConnection") as Array<(sock: TLSSocket) => void>;
    server.removeAllListeners("secureConnection");
    server.on("secureConnection", (sock: TLSSocket) => {
      const fromAddr = `${sock.remoteAddress ?? "?"}:${sock.remotePort ?? "?"}`;
      if (this.log.isLevelEnabled("debug")) this.log.debug("get_request cert='%s', from_addr='%s'", describeCert(sock.getPeerCertificate()), fromAddr);
      let reason: string | undefined;
      try {
        reason = this.checkClient(sock, fromAddr);
      } catch (err) {
        reason = `Verification error='${errorMessage(err)}', from_addr='${fromAddr}'`;
      }
      if (reason !== undefined) {
        this.log.error(reason);
        this.drop(sock);
        return;
      }
      // what the service sees of its caller (callContext().clientCertificate), read once per connection
      if (asks) (sock as TLSSocket & WithPeer)[kPeer] = peerCertificateInfo(sock.getPeerCertificate());
      sock.on("error", (err) => this.log.debug("connection error from %s: %s", fromAddr, errorMessage(err)));
      for (const l of httpListeners) l.call(server, sock);
    });
    // a handshake that fails or times out closes its socket (Node leaves it open once a tlsClientError listener exists);
    // a peer that connects and leaves without a handshake (a probe) is no failure: logSilentDisconnects says so at debug
    closeFailedHandshakes(server as unknown as TlsServer, this.log, "error");
    return server;
  }

  /** A refused TLS connection is closed before its handshake: nothing is sent. */
  protected override refusalBytes(): Buffer | undefined {
    return undefined;
  }
}
defineProperties(SSLServer, SSL_SERVER_PROPERTIES);

export { DEFAULT_SERVICE_NAME };
