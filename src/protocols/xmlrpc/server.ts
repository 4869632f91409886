/**
 * XML-RPC servers: `XmlRpcServer` (HTTP) and `SSLServer` (HTTPS, optional
 * client certificates and subject-field checks), after Spring Python's
 * `springpython.remoting.xmlrpc.SSLServer` and Python's SimpleXMLRPCServer.
 *
 * A refused client (no certificate, an untrusted one, wrong subject fields)
 * gets its connection dropped right after the TLS handshake with no HTTP
 * response at all; the reason is logged at ERROR on the logger named after
 * the server's class. At DEBUG every client's certificate and address is logged.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerOptions as HttpServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { StringDecoder } from "node:string_decoder";
import type { PeerCertificate, TLSSocket } from "node:tls";
import { createGunzip } from "node:zlib";
import { ConfigError, ErrorCodes, MessageTooLargeError, RemotingError, errorMessage } from "../../core/errors.js";
import { coercePort } from "../../core/exporter.js";
import { getLogger, type Logger } from "../../core/logging.js";
import { exposedMethods } from "../../core/server/exposure.js";
import { readChunks } from "./body.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH, FaultCodes, XmlRpcFault, XmlRpcParseError, XmlRpcParser, encodeFault, encodeResponse, parseMethodCall, type MethodCall } from "./codec.js";
import {
  type CertRequirement,
  type CertRequirementInput,
  checkSubjectFields,
  coerceBoolean,
  describeCert,
  minVersionFrom,
  normalizeCertRequirement,
  normalizeVerifyFields,
  readPem,
  subjectToLongNames,
} from "./tls.js";

export type XmlRpcFunction = (...args: any[]) => unknown;

export interface FunctionInfo {
  /** Returned by `system.methodHelp`. */
  help?: string | undefined;
  /** Returned by `system.methodSignature`: lists of type names, return type first. */
  signature?: string[][] | undefined;
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
  /** Largest request body in bytes, after gunzip (default 10 MiB). */
  maxBodyBytes?: number | undefined;
  /** Deepest array/struct nesting accepted and sent (default 64). */
  maxDepth?: number | undefined;
  /** Close idle keep-alive connections after this many ms (default 5000). */
  keepAliveTimeoutMs?: number | undefined;
  /** Whole-request receive timeout in ms (default 30000). */
  requestTimeoutMs?: number | undefined;
  /** Register system.listMethods, methodHelp, methodSignature and multicall (default true). */
  introspection?: boolean | undefined;
  /** Request paths served (default ["/", "/RPC2"]); others get 404. */
  paths?: readonly string[] | undefined;
  /** Logger name (default: the class name, as Spring Python). */
  loggerName?: string | undefined;
}

export interface SSLServerOptions extends XmlRpcServerOptions {
  /** PEM private key file of the server. */
  keyFile?: string | undefined;
  /** PEM certificate file of the server; may hold the chain (leaf first, then intermediates). */
  certFile?: string | undefined;
  /** PEM file of the CA certificates that sign client certificates. */
  caCerts?: string | undefined;
  /** Whether clients must present a certificate (default "none"). */
  certRequirement?: CertRequirementInput | undefined;
  /** Python's name for certRequirement. */
  certReqs?: CertRequirementInput | undefined;
  /** Python's ssl_version; only a minimum of TLS 1.2 or 1.3 is honoured. */
  sslVersion?: string | undefined;
  /** Lowest TLS version (default TLSv1.2). */
  minVersion?: "TLSv1.2" | "TLSv1.3" | undefined;
  /** OpenSSL cipher string. */
  ciphers?: string | undefined;
  /** Required client subject fields, by RFC 3280 long name (short names are mapped). */
  verifyFields?: Record<string, string> | Map<string, string> | string | undefined;
  /** A TLS handshake must finish within this many ms (default 10000). */
  handshakeTimeoutMs?: number | undefined;
  /** Accepted for compatibility; Node always handshakes first and tolerates ragged EOFs. */
  doHandshakeOnConnect?: boolean | undefined;
  suppressRaggedEofs?: boolean | undefined;
  /** PEM contents instead of files. */
  key?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  ca?: string | Buffer | undefined;
}

interface Registered {
  fn: XmlRpcFunction;
  info: FunctionInfo;
}

/** Request bodies up to this size (declared by Content-Length, not compressed) are read whole and parsed in one go. */
const SMALL_BODY_BYTES = 64 * 1024;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

/** Python's `"<class 'X'>:message"` fault string. */
export function pythonFaultString(err: unknown): string {
  if (err instanceof Error) return `<class '${err.name || "Error"}'>:${err.message}`;
  return `<class 'Exception'>:${String(err)}`;
}

/** A plain-HTTP XML-RPC server. Register functions in `registerFunctions()` (override) or from outside with `registerFunction()`. */
export class XmlRpcServer {
  static readonly constructorParameters: readonly string[] = ["host", "port", "options"];

  host: string = "localhost";
  port: number = 8000;
  logRequests: boolean = true;
  allowNone: boolean = false;
  maxBodyBytes: number = DEFAULT_MAX_BODY_BYTES;
  maxDepth: number = DEFAULT_MAX_DEPTH;
  keepAliveTimeoutMs: number = 5000;
  requestTimeoutMs: number = 30_000;
  introspection: boolean = true;
  paths: readonly string[] = ["/", "/RPC2"];

  protected readonly logger: Logger;
  protected readonly functions = new Map<string, Registered>();
  protected listener: HttpServer | undefined;
  private readonly sockets = new Set<Socket>();
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  private registered = false;

  constructor(hostOrOptions?: string | XmlRpcServerOptions, port?: number | string, options?: XmlRpcServerOptions) {
    const opts: XmlRpcServerOptions = typeof hostOrOptions === "object" && hostOrOptions !== null ? hostOrOptions : { ...options };
    if (typeof hostOrOptions === "string") opts.host = hostOrOptions;
    if (port !== undefined && port !== null) opts.port = port;
    if (opts.host !== undefined) this.host = opts.host;
    if (opts.port !== undefined) this.port = coercePort(opts.port);
    if (opts.logRequests !== undefined) this.logRequests = coerceBoolean(opts.logRequests, "logRequests");
    if (opts.allowNone !== undefined) this.allowNone = coerceBoolean(opts.allowNone, "allowNone");
    if (opts.maxBodyBytes !== undefined) this.maxBodyBytes = opts.maxBodyBytes;
    if (opts.maxDepth !== undefined) this.maxDepth = opts.maxDepth;
    if (opts.keepAliveTimeoutMs !== undefined) this.keepAliveTimeoutMs = opts.keepAliveTimeoutMs;
    if (opts.requestTimeoutMs !== undefined) this.requestTimeoutMs = opts.requestTimeoutMs;
    if (opts.introspection !== undefined) this.introspection = opts.introspection;
    if (opts.paths !== undefined) this.paths = [...opts.paths];
    this.logger = getLogger(opts.loggerName ?? this.constructor.name);
  }

  /** The override point: call `this.registerFunction(fn, name?)` for each exposed function. */
  registerFunctions(): void {}

  /** Exposes a function under `name` (default: the function's name). It is called with `this` = the server. */
  registerFunction(fn: XmlRpcFunction, name?: string, info: FunctionInfo = {}): void {
    if (typeof fn !== "function") throw new ConfigError("registerFunction needs a function", ErrorCodes.ERR_INVALID_ARGUMENT);
    const n = name ?? fn.name.replace(/^bound /, "");
    if (!n) throw new ConfigError("registerFunction needs a name for an anonymous function", ErrorCodes.ERR_INVALID_ARGUMENT);
    this.functions.set(n, { fn, info });
  }

  /** Python's spelling. */
  register_function(fn: XmlRpcFunction, name?: string): void {
    this.registerFunction(fn, name);
  }

  /**
   * Exposes the public methods of an object (as `exposedMethods` lists them:
   * never `_private` names, `constructor` or lifecycle hooks), called with
   * `this` = the object; `prefix` gives dotted names (`"math."` -> `math.pow`).
   */
  registerInstance(obj: object, prefix = ""): void {
    const target = obj as Record<string, (...a: unknown[]) => unknown>;
    for (const name of exposedMethods(obj)) this.registerFunction((...args: unknown[]) => target[name]!.apply(target, args), prefix + name);
  }

  register_instance(obj: object): void {
    this.registerInstance(obj);
  }

  /** Python's `server_address`: [host, port]. */
  get serverAddress(): [string, number] {
    return [this.host, this.port];
  }

  protected get log(): Logger {
    return this.logger;
  }

  /** Binds and starts serving. Resolves once listening; `port` then holds the bound port. */
  async listen(): Promise<void> {
    if (this.listener) return;
    if (!this.registered) {
      this.registered = true;
      this.registerFunctions();
    }
    const http = this.createListener(
      {
        keepAliveTimeout: this.keepAliveTimeoutMs,
        requestTimeout: this.requestTimeoutMs,
        headersTimeout: Math.min(60_000, this.requestTimeoutMs),
      },
      (req, res) => this.handle(req, res),
    );
    http.keepAliveTimeout = this.keepAliveTimeoutMs;
    http.on("clientError", (err, socket) => {
      this.log.debug("HTTP client error from %s: %s", (socket as Socket).remoteAddress, errorMessage(err));
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      else socket.destroy();
    });
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
    if (!this.logRequests) return;
    const d = new Date();
    const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getMonth()];
    const p = (n: number) => String(n).padStart(2, "0");
    const stamp = `${p(d.getDate())}/${mon}/${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    this.logRequest(`${req.socket.remoteAddress ?? "-"} - - [${stamp}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} -`);
  }

  private plain(req: IncomingMessage, res: ServerResponse, status: number, body: string, close = false): void {
    this.requestLine(req, status);
    const headers: Record<string, string | number> = { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) };
    if (close) headers["Connection"] = "close";
    res.writeHead(status, headers);
    res.end(body);
    if (close) req.socket.destroySoon?.();
  }

  private xml(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (this.logRequests) this.requestLine(req, 200);
    // One write: the headers as a flat list (no header object) with the body's length; a string body
    // is sent together with the head as one string (a Buffer would make it a two-chunk writev).
    res.writeHead(200, ["Content-Type", "text/xml", "Content-Length", String(Buffer.byteLength(body, "utf8"))]);
    res.end(body, "utf8");
  }

  // Shared listeners (not closures per request).
  private readonly onResponseError = (err: Error): void => this.log.debug("response error: %s", errorMessage(err));
  private readonly onRequestError = (err: Error): void => this.log.debug("request error: %s", errorMessage(err));

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.on("error", this.onResponseError);
    req.on("error", this.onRequestError);
    if (req.method !== "POST") {
      req.resume();
      this.plain(req, res, 501, `Unsupported method ('${req.method ?? ""}')`);
      return;
    }
    if (!this.paths.includes(req.url ?? "")) {
      req.resume();
      this.plain(req, res, 404, "No such page");
      return;
    }
    // Read from the raw header list in one pass (the first of each): cheaper than building req.headers.
    const raw = req.rawHeaders;
    let encodingHeader: string | undefined;
    let lengthHeader: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!;
      if (k.length === 14) {
        if (lengthHeader === undefined && k.toLowerCase() === "content-length") lengthHeader = raw[i + 1];
      } else if (k.length === 16) {
        if (encodingHeader === undefined && k.toLowerCase() === "content-encoding") encodingHeader = raw[i + 1];
      }
    }
    const encoding = encodingHeader === undefined ? "identity" : encodingHeader.toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip") {
      req.resume();
      this.plain(req, res, 501, `encoding ${encoding} not supported`);
      return;
    }
    const declared = Number(lengthHeader ?? NaN);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
      this.log.error("request body of %d bytes from %s exceeds maxBodyBytes %d", declared, req.socket.remoteAddress, this.maxBodyBytes);
      this.plain(req, res, 413, `request body exceeds ${this.maxBodyBytes} bytes`, true);
      return;
    }
    if (encoding === "identity" && declared <= SMALL_BODY_BYTES) {
      this.readSmallCall(req, res);
      return;
    }
    this.readCall(req, res, encoding === "gzip").catch((err: unknown) => this.internalError(req, res, err));
  }

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
  private readSmallCall(req: IncomingMessage, res: ServerResponse): void {
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    req.on("data", (chunk: Buffer) => {
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on("end", () => {
      const body = more ? Buffer.concat(more) : first;
      let call: MethodCall;
      try {
        call = parseMethodCall(body === undefined ? "" : body.toString("utf8"), { maxDepth: this.maxDepth, maxChars: this.maxBodyBytes });
      } catch (err) {
        this.badRequest(req, res, err);
        return;
      }
      this.answer(req, res, call.methodName, call.params);
    });
  }

  private badRequest(req: IncomingMessage, res: ServerResponse, parseError: unknown): void {
    const code = parseError instanceof XmlRpcParseError ? parseError.faultCode : parseError instanceof MessageTooLargeError ? FaultCodes.INVALID_XMLRPC : FaultCodes.PARSE_ERROR;
    this.log.debug("bad request from %s: %s", req.socket.remoteAddress, errorMessage(parseError));
    this.xml(req, res, encodeFault(code, `${parseError instanceof Error ? parseError.name : "Error"}:${errorMessage(parseError)}`));
  }

  /** Runs the call and writes its response or fault; no promise unless the function returns one. */
  private answer(req: IncomingMessage, res: ServerResponse, method: string, params: unknown[]): void {
    let result: unknown;
    try {
      // An overridden dispatch() is honoured; otherwise the function is called directly.
      result = this.dispatch === XmlRpcServer.prototype.dispatch ? this.callFunction(method, params, 0) : this.dispatch(method, params, 0);
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

  private sendResult(req: IncomingMessage, res: ServerResponse, method: string, value: unknown): void {
    let body: string;
    try {
      body = encodeResponse(value, { allowNone: this.allowNone, maxDepth: this.maxDepth });
    } catch (err) {
      body = this.faultXml(err, method);
    }
    this.xml(req, res, body);
  }

  private async readCall(req: IncomingMessage, res: ServerResponse, gzip: boolean): Promise<void> {
    const parser = new XmlRpcParser({ maxDepth: this.maxDepth, maxChars: this.maxBodyBytes });
    const decoder = new StringDecoder("utf8");
    let parseError: unknown;
    let bytes = 0;
    let tooLarge = false;
    const source = gzip ? req.pipe(createGunzip({ maxOutputLength: this.maxBodyBytes + 1 })) : req;
    try {
      await readChunks(source, (chunk) => {
        bytes += chunk.length;
        if (bytes > this.maxBodyBytes) {
          tooLarge = true;
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
      if (!tooLarge) throw err;
    }
    if (tooLarge) {
      this.log.error("request body from %s exceeds maxBodyBytes %d", req.socket.remoteAddress, this.maxBodyBytes);
      this.plain(req, res, 413, `request body exceeds ${this.maxBodyBytes} bytes`, true);
      return;
    }
    let call: { methodName: string; params: unknown[] } | undefined;
    if (!parseError) {
      try {
        parser.write(decoder.end());
        const doc = parser.finish();
        if (doc.root !== "methodCall") throw new XmlRpcParseError("expected <methodCall>", "invalid");
        call = doc.call;
      } catch (err) {
        parseError = err;
      }
    }
    if (!call) {
      this.badRequest(req, res, parseError);
      return;
    }
    this.answer(req, res, call.methodName, call.params);
  }

  private faultXml(err: unknown, method: string): string {
    if (err instanceof XmlRpcFault) return encodeFault(err.faultCode, err.faultString);
    if (this.log.isLevelEnabled("debug")) this.log.debug("method '%s' failed: %s", method, err instanceof Error ? (err.stack ?? err.message) : String(err));
    return encodeFault(FaultCodes.APPLICATION, pythonFaultString(err));
  }

  /** Runs one call (Python's `_dispatch`; an override point). Throws XmlRpcFault or the function's error. */
  protected async dispatch(method: string, params: unknown[], depth: number): Promise<unknown> {
    return await this.callFunction(method, params, depth);
  }

  /** dispatch() without the promise: the function's result as it is (a value or a promise); throws as dispatch() rejects. */
  private callFunction(method: string, params: unknown[], depth: number): unknown {
    if (this.introspection && method.startsWith("system.")) {
      switch (method) {
        case "system.listMethods":
          return this.listMethods();
        case "system.methodHelp": {
          const r = this.functions.get(String(params[0]));
          return r?.info.help ?? "";
        }
        case "system.methodSignature": {
          const r = this.functions.get(String(params[0]));
          return r?.info.signature ?? "signatures not supported";
        }
        case "system.multicall":
          if (depth > 0) throw new XmlRpcFault(FaultCodes.APPLICATION, "<class 'Exception'>:system.multicall cannot be nested");
          return this.multicall(params[0]);
      }
    }
    const r = this.functions.get(method);
    if (!r) throw new XmlRpcFault(FaultCodes.APPLICATION, `<class 'Exception'>:method "${method}" is not supported`);
    return r.fn.apply(this, params);
  }

  private listMethods(): string[] {
    const names = [...this.functions.keys()];
    if (this.introspection) names.push("system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall");
    return names.sort();
  }

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
        out.push(
          err instanceof XmlRpcFault
            ? { faultCode: err.faultCode, faultString: err.faultString }
            : { faultCode: FaultCodes.APPLICATION, faultString: pythonFaultString(err) },
        );
      }
    }
    return out;
  }
}

/**
 * The secure XML-RPC server. Must be subclassed: override `registerFunctions()`.
 *
 *   class MySSLServer extends SSLServer {
 *     override registerFunctions() { this.registerFunction(Math.pow, "pow"); }
 *   }
 *   await new MySSLServer("localhost", 8000, "./server-key.pem", "./server-cert.pem").serveForever();
 */
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

  keyFile: string | undefined = undefined;
  certFile: string | undefined = undefined;
  caCerts: string | undefined = undefined;
  certRequirement: CertRequirement = "none";
  sslVersion: string | undefined = undefined;
  minVersion: "TLSv1.2" | "TLSv1.3" = "TLSv1.2";
  ciphers: string | undefined = undefined;
  verifyFields: Record<string, string> | undefined = undefined;
  doHandshakeOnConnect: boolean = true;
  suppressRaggedEofs: boolean = true;
  /** A TLS handshake must finish within this many ms (default 10000). */
  handshakeTimeoutMs: number = 10_000;
  private pem: { key?: string | Buffer | undefined; cert?: string | Buffer | undefined; ca?: string | Buffer | undefined } = {};

  constructor(
    hostOrOptions?: string | SSLServerOptions,
    port?: number | string,
    keyFile?: string,
    certFile?: string,
    caCerts?: string,
    certReqs?: CertRequirementInput,
    sslVersion?: string,
    doHandshakeOnConnect?: boolean,
    suppressRaggedEofs?: boolean,
    ciphers?: string,
    logRequests?: boolean,
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
    this.keyFile = opts.keyFile;
    this.certFile = opts.certFile;
    this.caCerts = opts.caCerts;
    this.certRequirement = normalizeCertRequirement(opts.certRequirement ?? opts.certReqs, "none");
    this.sslVersion = opts.sslVersion;
    this.minVersion = opts.minVersion ?? minVersionFrom(opts.sslVersion, this.log);
    this.ciphers = opts.ciphers;
    this.verifyFields = normalizeVerifyFields(opts.verifyFields);
    if (opts.doHandshakeOnConnect !== undefined) this.doHandshakeOnConnect = coerceBoolean(opts.doHandshakeOnConnect, "doHandshakeOnConnect");
    if (opts.suppressRaggedEofs !== undefined) this.suppressRaggedEofs = coerceBoolean(opts.suppressRaggedEofs, "suppressRaggedEofs");
    if (opts.handshakeTimeoutMs !== undefined) this.handshakeTimeoutMs = opts.handshakeTimeoutMs;
    this.pem = { key: opts.key, cert: opts.cert, ca: opts.ca };
  }

  override registerFunctions(): void {
    throw new ConfigError("Must be overridden by subclasses", ErrorCodes.ERR_CONFIG_NOT_CONSTRUCTIBLE);
  }

  /**
   * Spring Python's `verify_peer` override point: checks the subject of a
   * trusted client certificate against `verifyFields`. Return a reason to refuse.
   */
  verifyPeer(cert: PeerCertificate, _fromAddr: string): string | undefined {
    if (!this.verifyFields) return undefined;
    if (!cert.subject) return `Peer certificate doesn't have the 'subject' field, cert='${describeCert(cert)}'`;
    const subject = subjectToLongNames(cert.subject as unknown as Record<string, string | string[]>);
    return checkSubjectFields(subject, this.verifyFields);
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

  /** Why a client must be refused, or undefined to accept it. */
  protected checkClient(sock: TLSSocket, fromAddr: string): string | undefined {
    if (this.certRequirement === "none" && !this.verifyFields) return undefined;
    const cert = sock.getPeerCertificate();
    const present = !!cert && Object.keys(cert).length > 0;
    if (!present) {
      if (this.verifyFields) return `Couldn't verify fields, peer didn't send the certificate, from_addr='${fromAddr}'`;
      if (this.certRequirement === "required") return `Peer didn't send a certificate (certRequirement is 'required'), from_addr='${fromAddr}'`;
      return undefined;
    }
    if (!sock.authorized) return `Peer certificate is not trusted (${String(sock.authorizationError)}), cert='${describeCert(cert)}', from_addr='${fromAddr}'`;
    try {
      return this.verifyPeer(cert, fromAddr);
    } catch (err) {
      return `Verification error='${errorMessage(err)}', cert='${describeCert(cert)}', from_addr='${fromAddr}'`;
    }
  }

  protected override createListener(httpOptions: HttpServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): HttpServer {
    if (this.verifyFields && this.certRequirement === "none") {
      throw new ConfigError("verifyFields needs certRequirement 'optional' or 'required' (with 'none' no client certificate is asked for)", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const key = this.pem.key ?? (this.keyFile ? readPem(this.keyFile, "keyFile") : undefined);
    const cert = this.pem.cert ?? (this.certFile ? readPem(this.certFile, "certFile") : undefined);
    if (!key || !cert) throw new ConfigError("SSLServer needs keyFile and certFile", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    const ca = this.pem.ca ?? (this.caCerts ? readPem(this.caCerts, "caCerts") : undefined);
    if (this.certRequirement !== "none" && !ca) {
      throw new ConfigError(`certRequirement '${this.certRequirement}' needs caCerts (the CAs that sign client certificates)`, ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    }
    let server: HttpServer;
    try {
      server = createHttpsServer({
        ...httpOptions,
        handshakeTimeout: this.handshakeTimeoutMs,
        key,
        cert,
        ca,
        requestCert: this.certRequirement !== "none",
        // Every refusal is decided below, after the handshake, so that each one is logged with its reason and address.
        rejectUnauthorized: false,
        minVersion: this.minVersion,
        ciphers: this.ciphers,
      }, handler) as unknown as HttpServer;
    } catch (err) {
      throw new ConfigError(`cannot set up TLS: ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { cause: err });
    }
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
      sock.on("error", (err) => this.log.debug("connection error from %s: %s", fromAddr, errorMessage(err)));
      for (const l of httpListeners) l.call(server, sock);
    });
    server.on("tlsClientError", (err: NodeJS.ErrnoException, sock: TLSSocket) => {
      this.log.error("TLS handshake with %s:%s failed: %s", sock.remoteAddress ?? "?", sock.remotePort ?? "?", err.code ?? errorMessage(err));
    });
    return server;
  }
}
