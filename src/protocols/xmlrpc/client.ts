/**
 * XML-RPC clients: `XmlRpcProxyFactory` (for XML contexts: `serviceUrl` plus
 * TLS properties), `XmlRpcClient` and `SSLClient` (after Spring Python's
 * `SSLClient(uri, ca_certs, keyfile, certfile, ...)`). Each is a proxy: any
 * member it does not have itself is a remote method, so
 * `await client.pow(41, 3)` calls `pow` on the server.
 *
 * HTTP/1.1 keep-alive, always a Content-Length, no gzip asked for. Over TLS
 * the server certificate is checked against `caCerts` (or the system roots)
 * and against the host name of the URL (opt out with `checkHostname: false`).
 *
 * A refused TLS connection is a SecurityError: a handshake alert, an
 * unverifiable server certificate, and also, with TLS 1.3, the server
 * dropping a fresh connection right after the handshake without answering
 * (which is how a server refuses a client certificate that is missing,
 * untrusted or has the wrong subject fields).
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import type { Socket } from "node:net";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { StringDecoder } from "node:string_decoder";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { createGunzip } from "node:zlib";
import {
  ConfigError,
  ConnectionClosedError,
  ErrorCodes,
  MessageTooLargeError,
  ProtocolError,
  RemoteInvocationError,
  RemotingError,
  SecurityError,
  TimeoutError,
  errorMessage,
  networkError,
} from "../../core/errors.js";
import { DEFAULT_CALL_TIMEOUT_MS, type CallOptions, type Invoker } from "../../core/invocation.js";
import { getLogger } from "../../core/logging.js";
import { ProxyFactory } from "../../core/proxy-factory.js";
import { readChunks } from "./body.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH, XmlRpcParseError, XmlRpcParser, encodeCall, parseMethodResponse, type MethodResponse } from "./codec.js";
import { type CertRequirement, type CertRequirementInput, coerceBoolean, coercePositive, minVersionFrom, normalizeCertRequirement, readPem } from "./tls.js";
import { aliasProperties } from "../../core/property-aliases.js";

const log = getLogger("remoting.xmlrpc.client");

export const DEFAULT_USER_AGENT = "remoting XML-RPC client";

/** Everything a client needs; every field has a documented default. */
export interface XmlRpcClientOptions {
  /** Send null/undefined as `<nil/>` (default false, as Python's allow_none). */
  allowNone?: boolean | string | undefined;
  /** Per-call timeout in ms (default 30000). */
  timeoutMs?: number | string | undefined;
  /** Print the HTTP traffic to stdout (default false). */
  verbose?: boolean | string | number | undefined;
  /** Where verbose mode writes (default process.stdout). */
  verboseOutput?: { write(text: string): unknown } | undefined;
  /** User-Agent header (default "remoting XML-RPC client"). */
  userAgent?: string | undefined;
  /** Largest response body in bytes (default 10 MiB). */
  maxBodyBytes?: number | undefined;
  /** Deepest array/struct nesting sent and accepted (default 64). */
  maxDepth?: number | undefined;
  /** Reuse connections (default true). */
  keepAlive?: boolean | string | undefined;
  /** Most connections open at once to the server (default 16). */
  maxSockets?: number | undefined;
  /** Extra HTTP headers. */
  headers?: Record<string, string> | undefined;
  /** PEM file of the CAs that sign the server's certificate (default: Node's bundled roots). */
  caCerts?: string | undefined;
  /** PEM private key file of the client (sent only when the server asks for a certificate). */
  keyFile?: string | undefined;
  /** PEM certificate file of the client (may hold its chain). */
  certFile?: string | undefined;
  /** Whether the server's certificate is verified (default "required"; "none" is for testing only). */
  certRequirement?: CertRequirementInput | undefined;
  certReqs?: CertRequirementInput | undefined;
  /** Python's ssl_version (only a minimum of TLS 1.2 or 1.3 is honoured). */
  sslVersion?: string | undefined;
  /** Lowest TLS version (default TLSv1.2). */
  minVersion?: "TLSv1.2" | "TLSv1.3" | undefined;
  /** Highest TLS version (default: Node's, TLSv1.3). */
  maxVersion?: "TLSv1.2" | "TLSv1.3" | undefined;
  /** OpenSSL cipher string. */
  ciphers?: string | undefined;
  /** Check that the server certificate names the URL's host (default true). */
  checkHostname?: boolean | string | undefined;
  /** SNI / host name to verify instead of the URL's host. */
  servername?: string | undefined;
  /** PEM contents instead of files. */
  key?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  ca?: string | Buffer | undefined;
}

interface ResolvedConfig {
  url: URL;
  path: string;
  tls: boolean;
  allowNone: boolean;
  timeoutMs: number;
  verbose: boolean;
  out: { write(text: string): unknown };
  userAgent: string;
  maxBodyBytes: number;
  maxDepth: number;
  keepAlive: boolean;
  maxSockets: number;
  headers: Record<string, string>;
  certRequirement: CertRequirement;
  hasClientCert: boolean;
  tlsOptions: Record<string, unknown>;
}

function parseUri(uri: string): { url: URL; path: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ConfigError(`'${uri}' is not a valid URL`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`unsupported XML-RPC protocol in '${uri}' (use http or https)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  // Like Python's ServerProxy: a URL with no path at all means /RPC2.
  const hasPath = /^[a-z]+:\/\/[^/?#]*[/?]/i.test(uri);
  return { url, path: hasPath ? url.pathname + url.search : "/RPC2" };
}

function resolve(uri: string | undefined, o: XmlRpcClientOptions): ResolvedConfig {
  if (!uri) throw new ConfigError("the XML-RPC client needs a URL (uri / serviceUrl)", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
  const { url, path } = parseUri(uri);
  const tls = url.protocol === "https:";
  const certRequirement = normalizeCertRequirement(o.certRequirement ?? o.certReqs, "required");
  const checkHostname = o.checkHostname === undefined ? true : coerceBoolean(o.checkHostname, "checkHostname");
  const tlsOptions: Record<string, unknown> = {};
  let hasClientCert = false;
  if (tls) {
    const text = (v: string | Buffer | undefined) => (Buffer.isBuffer(v) ? v.toString("utf8") : v);
    const ca = text(o.ca) ?? (o.caCerts ? readPem(o.caCerts, "caCerts") : undefined);
    const key = text(o.key) ?? (o.keyFile ? readPem(o.keyFile, "keyFile") : undefined);
    const cert = text(o.cert) ?? (o.certFile ? readPem(o.certFile, "certFile") : undefined);
    if ((key === undefined) !== (cert === undefined)) throw new ConfigError("keyFile and certFile go together", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    hasClientCert = key !== undefined;
    if (ca !== undefined) tlsOptions["ca"] = ca;
    if (key !== undefined) tlsOptions["key"] = key;
    if (cert !== undefined) tlsOptions["cert"] = cert;
    tlsOptions["minVersion"] = o.minVersion ?? minVersionFrom(o.sslVersion, log);
    if (o.maxVersion) tlsOptions["maxVersion"] = o.maxVersion;
    if (o.ciphers) tlsOptions["ciphers"] = o.ciphers;
    if (certRequirement === "none") {
      log.warn("certRequirement 'none': the server certificate of %s is NOT verified (testing only)", url.host);
      tlsOptions["rejectUnauthorized"] = false;
    } else tlsOptions["rejectUnauthorized"] = true;
    if (!checkHostname) tlsOptions["checkServerIdentity"] = () => undefined;
    if (o.servername) tlsOptions["servername"] = o.servername;
  }
  const headers: Record<string, string> = { ...o.headers };
  if (url.username || url.password) {
    headers["Authorization"] = "Basic " + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64");
  }
  return {
    url,
    path,
    tls,
    allowNone: o.allowNone === undefined ? false : coerceBoolean(o.allowNone, "allowNone"),
    timeoutMs: o.timeoutMs === undefined ? DEFAULT_CALL_TIMEOUT_MS : coercePositive(o.timeoutMs, "timeoutMs"),
    verbose: o.verbose === undefined ? false : coerceBoolean(o.verbose, "verbose"),
    out: o.verboseOutput ?? process.stdout,
    userAgent: o.userAgent ?? DEFAULT_USER_AGENT,
    maxBodyBytes: o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxDepth: o.maxDepth ?? DEFAULT_MAX_DEPTH,
    keepAlive: o.keepAlive === undefined ? true : coerceBoolean(o.keepAlive, "keepAlive"),
    maxSockets: o.maxSockets ?? 16,
    headers,
    certRequirement,
    hasClientCert,
    tlsOptions,
  };
}

/** Maps a transport failure to the error hierarchy. */
function classify(err: unknown, c: ResolvedConfig, phase: { secured: boolean; reused: boolean; gotResponse: boolean }): RemotingError {
  if (err instanceof RemotingError) return err;
  const e = err as NodeJS.ErrnoException;
  const where = `${c.url.protocol}//${c.url.host}`;
  const dropped = e.code === "ECONNRESET" || e.code === "EPIPE" || e.code === "ECONNABORTED" || /socket hang up|premature close/i.test(errorMessage(err));
  if (dropped && c.tls && phase.secured && !phase.reused && !phase.gotResponse) {
    return new SecurityError(
      `the server at ${where} closed the TLS connection right after the handshake without answering: it refused this client ` +
        (c.hasClientCert
          ? "(its certificate is probably not trusted there, or its subject fields do not match the server's verifyFields)"
          : "(it probably requires a client certificate: set keyFile and certFile)") +
        "; the server log has the reason",
      { cause: err },
    );
  }
  if (c.tls && /before secure TLS connection was established/.test(errorMessage(err))) {
    return new SecurityError(`the TLS handshake with ${where} did not complete: the server closed the connection`, { cause: err });
  }
  return networkError(err, where);
}

/** Parses Python's `"<class 'X'>:message"` fault strings for the remote type. */
function remoteTypeOf(faultString: string): string {
  const m = /^<(?:class|type) '([^']+)'>:/.exec(faultString);
  return m ? m[1]!.replace(/^exceptions\./, "") : "Fault";
}

/** Responses up to this size (declared by Content-Length, not compressed) are read whole and parsed in one go. */
const SMALL_RESPONSE_BYTES = 64 * 1024;

const kCall: unique symbol = Symbol("remoting.xmlrpc.call");
type CarriesCall = { [kCall]?: PendingCall };

// Listeners shared by every call: the emitter carries its call, so no closure is made per call.
function onRequestSocket(this: ClientRequest, sock: Socket): void {
  (this as unknown as CarriesCall)[kCall]?.onSocket(this, sock);
}
function onRequestError(this: ClientRequest, err: Error): void {
  (this as unknown as CarriesCall)[kCall]?.fail(err);
}
function onRequestResponse(this: ClientRequest, res: IncomingMessage): void {
  (this as unknown as CarriesCall)[kCall]?.onResponse(res);
}
function onResponseData(this: IncomingMessage, chunk: Buffer): void {
  (this as unknown as CarriesCall)[kCall]?.onData(this, chunk);
}
function onResponseEnd(this: IncomingMessage): void {
  (this as unknown as CarriesCall)[kCall]?.onEnd();
}
function onResponseError(this: IncomingMessage, err: Error): void {
  (this as unknown as CarriesCall)[kCall]?.onResponseFailure(this, err);
}
function onResponseClose(this: IncomingMessage): void {
  if (!this.complete) (this as unknown as CarriesCall)[kCall]?.onResponseFailure(this, Object.assign(new Error("premature close"), { code: "ECONNRESET" }));
}
function onDeadline(transport: XmlRpcTransport): void {
  transport.checkDeadlines();
}

/** Set on a TLS socket once its handshake has completed. */
const kSecured: unique symbol = Symbol("remoting.xmlrpc.secured");
type MaybeSecured = { [kSecured]?: true };
function markSecured(this: TLSSocket): void {
  (this as unknown as MaybeSecured)[kSecured] = true;
}

/** The keep-alive HTTPS agent: each new connection records when its handshake completes (once per connection, not per call). */
class SecureAgent extends HttpsAgent {
  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const sock = super.createConnection(options, callback);
    sock?.once("secureConnect", markSecured);
    return sock;
  }
}

/** One call in flight: its request, timer, response bytes and outcome. */
class PendingCall {
  private settled = false;
  private fresh = false;
  private secured = false;
  private reused = false;
  private gotResponse = false;
  private req: ClientRequest | undefined;
  private onAbort: (() => void) | undefined;
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  private bytes = 0;

  constructor(
    private readonly transport: XmlRpcTransport,
    private readonly method: string,
    private readonly body: string,
    readonly deadline: number,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (v: unknown) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    transport.track(this);
    if (signal) {
      this.onAbort = () => {
        this.finish(new RemotingError(`XML-RPC call '${method}' aborted`, ErrorCodes.ERR_CLOSED, { cause: signal.reason }));
        this.req?.destroy();
      };
      if (signal.aborted) {
        this.onAbort();
        return;
      }
      signal.addEventListener("abort", this.onAbort, { once: true });
    }
    this.start();
  }

  private start(): void {
    const t = this.transport;
    const c = t.config;
    let req: ClientRequest;
    const length = Buffer.byteLength(this.body, "utf8");
    try {
      req = t.request(length, this.fresh);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.req = req;
    (req as unknown as CarriesCall)[kCall] = this;
    // Pooled TLS connections record their handshake themselves (SecureAgent); only a fresh one is watched here.
    if (this.fresh && c.tls) req.on("socket", onRequestSocket);
    req.on("error", onRequestError);
    req.on("response", onRequestResponse);
    if (c.verbose) c.out.write(`send: ${t.verboseHead(length)}\r\n\r\n${this.body}\n`);
    req.end(this.body, "utf8");
  }

  onSocket(_req: ClientRequest, sock: Socket): void {
    const tlsSock = sock as TLSSocket;
    if (tlsSock.encrypted && !tlsSock.connecting && tlsSock.authorized) markSecured.call(tlsSock);
    else tlsSock.once("secureConnect", markSecured);
  }

  /** Reads, once a call has failed, whether its connection was reused and had completed its TLS handshake. */
  private inspectConnection(): void {
    const req = this.req;
    if (!req) return;
    this.reused = req.reusedSocket;
    const sock = req.socket as (Socket & MaybeSecured) | null;
    this.secured = this.transport.config.tls && (this.reused || sock?.[kSecured] === true);
  }

  private finish(err: unknown, value?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.transport.untrack(this);
    if (this.onAbort) this.signal?.removeEventListener("abort", this.onAbort);
    if (err === undefined) this.resolve(value);
    else this.reject(err);
  }

  /** A transport failure; a stale reused keep-alive connection is retried once on a new one. */
  fail(err: unknown): void {
    if (this.settled) return;
    const c = this.transport.config;
    this.inspectConnection();
    const mapped = classify(err, c, { secured: this.secured, reused: this.reused, gotResponse: this.gotResponse });
    if (!this.fresh && this.reused && !this.gotResponse && mapped instanceof ConnectionClosedError && Date.now() < this.deadline) {
      log.debug("stale keep-alive connection, retrying '%s' once on a new connection", this.method);
      this.detach();
      this.fresh = true;
      this.secured = false;
      this.reused = false;
      this.start();
      return;
    }
    this.finish(mapped);
    this.detach();
  }

  private detach(): void {
    const req = this.req;
    if (!req) return;
    (req as unknown as CarriesCall)[kCall] = undefined;
    req.destroy();
  }

  timedOut(): void {
    this.finish(new TimeoutError(`XML-RPC call '${this.method}' to ${this.transport.config.url.host} timed out after ${this.timeoutMs} ms`, this.timeoutMs));
    this.detach();
  }

  onResponse(res: IncomingMessage): void {
    this.gotResponse = true;
    const c = this.transport.config;
    // Read from the raw header list: cheaper than building res.headers.
    let declared = NaN;
    let encoded = false;
    const raw = res.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!;
      if (k.length === 14 && k.toLowerCase() === "content-length") declared = Number(raw[i + 1]);
      else if (k.length === 16 && k.toLowerCase() === "content-encoding") encoded = true;
    }
    if (c.verbose || res.statusCode !== 200 || !(declared <= SMALL_RESPONSE_BYTES) || encoded) {
      // The general path: status errors, verbose output, gzip, large or chunked bodies.
      this.transport.readResponse(this.method, res, c).then(
        (v) => this.finish(undefined, v),
        (err: unknown) => {
          this.inspectConnection();
          this.finish(err instanceof RemotingError ? err : classify(err, c, { secured: this.secured, reused: this.reused, gotResponse: true }));
          res.destroy();
        },
      );
      return;
    }
    (res as unknown as CarriesCall)[kCall] = this;
    res.on("data", onResponseData);
    res.on("end", onResponseEnd);
    res.on("error", onResponseError);
    res.on("close", onResponseClose);
  }

  onData(res: IncomingMessage, chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.transport.config.maxBodyBytes) {
      this.onResponseFailure(res, new MessageTooLargeError(this.bytes, this.transport.config.maxBodyBytes, "XML-RPC response"));
      return;
    }
    if (this.first === undefined) this.first = chunk;
    else (this.more ??= [this.first]).push(chunk);
  }

  onEnd(): void {
    if (this.settled) return;
    const body = this.more ? Buffer.concat(this.more) : this.first;
    const c = this.transport.config;
    let r: MethodResponse;
    try {
      r = parseMethodResponse(body === undefined ? "" : body.toString("utf8"), { maxDepth: c.maxDepth, maxChars: c.maxBodyBytes });
    } catch (err) {
      this.finish(err);
      return;
    }
    if (r.fault) {
      this.finish(new RemoteInvocationError({ remoteType: remoteTypeOf(r.faultString), remoteMessage: r.faultString, remoteCode: r.faultCode, detail: r.value }));
      return;
    }
    this.finish(undefined, r.value);
  }

  onResponseFailure(res: IncomingMessage, err: unknown): void {
    (res as unknown as CarriesCall)[kCall] = undefined;
    const c = this.transport.config;
    this.inspectConnection();
    this.finish(err instanceof RemotingError ? err : classify(err, c, { secured: this.secured, reused: this.reused, gotResponse: true }));
    res.destroy();
  }
}

/** The XML-RPC Invoker: one per client, with its own keep-alive agent. */
export class XmlRpcTransport implements Invoker {
  readonly config: ResolvedConfig;
  private readonly agent: HttpAgent;
  private closed = false;
  /** Request headers as a flat list (Host, User-Agent, Content-Type, the extra ones), computed once. */
  private readonly headerList: string[];
  private readonly hostname: string;
  private readonly port: number;
  /** Calls in flight, watched by one deadline timer armed for the earliest deadline. */
  private readonly pending = new Set<PendingCall>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(uri: string, options: XmlRpcClientOptions = {}) {
    this.config = resolve(uri, options);
    const c = this.config;
    const agentOpts = { keepAlive: c.keepAlive, maxSockets: c.maxSockets };
    this.agent = c.tls ? new SecureAgent({ ...agentOpts, ...c.tlsOptions }) : new HttpAgent(agentOpts);
    this.hostname = c.url.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = Number(c.url.port || (c.tls ? 443 : 80));
    const merged = new Map<string, [string, string]>();
    const put = (k: string, v: string) => merged.set(k.toLowerCase(), [k, v]);
    put("Host", c.url.host);
    put("User-Agent", c.userAgent);
    put("Content-Type", "text/xml");
    for (const [k, v] of Object.entries(c.headers)) put(k, String(v));
    merged.delete("content-length");
    this.headerList = [...merged.values()].flat();
  }

  invoke(method: string, args: readonly unknown[], options: CallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new RemotingError("the XML-RPC client is closed", ErrorCodes.ERR_CLOSED));
    // A string body: Node sends it together with the request head as one write.
    let body: string;
    try {
      body = encodeCall(method, args, { allowNone: this.config.allowNone, maxDepth: this.config.maxDepth });
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const signal = options.signal;
    return new Promise<unknown>((resolvePromise, rejectPromise) => {
      new PendingCall(this, method, body, Date.now() + timeoutMs, timeoutMs, signal, resolvePromise, rejectPromise);
    });
  }

  /** Watches a call's deadline. */
  track(call: PendingCall): void {
    this.pending.add(call);
    if (call.deadline < this.timerAt) this.arm(call.deadline);
  }

  /** Stops watching a settled call; the timer goes when no call is left. */
  untrack(call: PendingCall): void {
    this.pending.delete(call);
    if (this.pending.size === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
    }
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(onDeadline, Math.max(1, at - Date.now()), this);
  }

  /** The timer fired: times out every call past its deadline, then re-arms for the earliest one left. */
  checkDeadlines(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const call of this.pending) {
      if (call.deadline <= now) call.timedOut();
      else if (call.deadline < next) next = call.deadline;
    }
    if (next !== Infinity && this.pending.size > 0) this.arm(next);
  }

  /** Starts a POST of `length` bytes; `fresh`: on a new connection outside the pool. */
  request(length: number, fresh: boolean): ClientRequest {
    const c = this.config;
    const headers = [...this.headerList, "Content-Length", String(length)];
    if (!fresh) return (c.tls ? httpsRequest : httpRequest)({ host: this.hostname, port: this.port, method: "POST", path: c.path, headers, agent: this.agent });
    const opts = { host: this.hostname, port: this.port, method: "POST", path: c.path, headers, agent: false, ...(c.tls ? c.tlsOptions : {}) };
    return (c.tls ? httpsRequest : httpRequest)(opts as unknown as RequestOptions);
  }

  /** The request head as verbose mode prints it. */
  verboseHead(length: number): string {
    const lines = [`POST ${this.config.path} HTTP/1.1`];
    const h = [...this.headerList, "Content-Length", String(length)];
    for (let i = 0; i < h.length; i += 2) lines.push(`${h[i]}: ${h[i + 1]}`);
    return lines.join("\r\n");
  }

  /** Reads a response in the general case (any status, gzip, verbose, large or chunked bodies). */
  async readResponse(method: string, res: IncomingMessage, c: ResolvedConfig): Promise<unknown> {
    if (c.verbose) {
      c.out.write(`reply: 'HTTP/${res.httpVersion} ${res.statusCode ?? 0} ${res.statusMessage ?? ""}'\n`);
      for (let i = 0; i < res.rawHeaders.length; i += 2) c.out.write(`header: ${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\n`);
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new ProtocolError(`${c.url.host}${c.path}: HTTP ${res.statusCode ?? 0} ${res.statusMessage ?? ""}`.trim(), ErrorCodes.ERR_PROTOCOL);
    }
    const declared = Number(res.headers["content-length"] ?? NaN);
    if (Number.isFinite(declared) && declared > c.maxBodyBytes) throw new MessageTooLargeError(declared, c.maxBodyBytes, "XML-RPC response");
    const gzip = (res.headers["content-encoding"] ?? "").toLowerCase() === "gzip";
    const source = gzip ? res.pipe(createGunzip({ maxOutputLength: c.maxBodyBytes + 1 })) : res;
    const parser = new XmlRpcParser({ maxDepth: c.maxDepth, maxChars: c.maxBodyBytes });
    const decoder = new StringDecoder("utf8");
    let bytes = 0;
    let text = c.verbose ? "" : undefined;
    await readChunks(source, (chunk) => {
      bytes += chunk.length;
      if (bytes > c.maxBodyBytes) throw new MessageTooLargeError(bytes, c.maxBodyBytes, "XML-RPC response");
      const s = decoder.write(chunk);
      if (text !== undefined) text += s;
      parser.write(s);
      return true;
    });
    parser.write(decoder.end());
    if (text !== undefined) c.out.write(`body: ${text}\n`);
    const doc = parser.finish();
    if (doc.root !== "methodResponse") throw new XmlRpcParseError("expected <methodResponse>", "invalid");
    const r = doc.response;
    if (r.fault) {
      throw new RemoteInvocationError({ remoteType: remoteTypeOf(r.faultString), remoteMessage: r.faultString, remoteCode: r.faultCode, detail: r.value });
    }
    return r.value;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }
}

/** One entry of a multicall result. */
export type MultiCallResult = { ok: true; value: unknown } | { ok: false; error: RemoteInvocationError };

/** Collects calls and sends them as one `system.multicall`. */
export class MultiCall {
  private readonly calls: Array<{ methodName: string; params: unknown[] }> = [];
  constructor(private readonly invoker: () => Invoker) {}

  /** Queues a call; returns this for chaining. */
  add(methodName: string, ...params: unknown[]): this {
    this.calls.push({ methodName, params });
    return this;
  }

  get size(): number {
    return this.calls.length;
  }

  /** Sends every queued call; each entry is either a value or the fault of that call. */
  async run(options?: CallOptions): Promise<MultiCallResult[]> {
    const raw = await this.invoker().invoke("system.multicall", [this.calls], options);
    if (!Array.isArray(raw) || raw.length !== this.calls.length) {
      throw new ProtocolError("system.multicall answered something other than one entry per call", ErrorCodes.ERR_PROTOCOL);
    }
    return raw.map((entry): MultiCallResult => {
      if (Array.isArray(entry) && entry.length === 1) return { ok: true, value: entry[0] };
      const f = entry as { faultCode?: unknown; faultString?: unknown };
      if (f && typeof f === "object" && "faultCode" in f) {
        const s = String(f.faultString ?? "");
        return { ok: false, error: new RemoteInvocationError({ remoteType: remoteTypeOf(s), remoteMessage: s, remoteCode: Number(f.faultCode), detail: f }) };
      }
      throw new ProtocolError("system.multicall answered an entry that is neither [value] nor a fault", ErrorCodes.ERR_PROTOCOL);
    });
  }

  /** Like run(), but returns plain values and throws the first fault. */
  async values(options?: CallOptions): Promise<unknown[]> {
    return (await this.run(options)).map((r) => {
      if (!r.ok) throw r.error;
      return r.value;
    });
  }
}

/**
 * The proxy factory for XML contexts. Set `serviceUrl` (and TLS properties
 * for https); every other member name is a remote method.
 */
export class XmlRpcProxyFactory extends ProxyFactory {
  serviceUrl: string | undefined = undefined;
  caCerts: string | undefined = undefined;
  keyFile: string | undefined = undefined;
  certFile: string | undefined = undefined;
  certRequirement: CertRequirementInput | undefined = undefined;
  sslVersion: string | undefined = undefined;
  minVersion: "TLSv1.2" | "TLSv1.3" | undefined = undefined;
  maxVersion: "TLSv1.2" | "TLSv1.3" | undefined = undefined;
  ciphers: string | undefined = undefined;
  checkHostname: boolean | string | undefined = undefined;
  servername: string | undefined = undefined;
  timeoutMs: number | string | undefined = undefined;
  allowNone: boolean | string | undefined = undefined;
  verbose: boolean | string | number | undefined = undefined;
  verboseOutput: { write(text: string): unknown } | undefined = undefined;
  userAgent: string | undefined = undefined;
  maxBodyBytes: number | undefined = undefined;
  maxDepth: number | undefined = undefined;
  keepAlive: boolean | string | undefined = undefined;
  maxSockets: number | undefined = undefined;
  headers: Record<string, string> | undefined = undefined;
  /** PEM contents instead of keyFile / certFile / caCerts. */
  keyPem: string | Buffer | undefined = undefined;
  certPem: string | Buffer | undefined = undefined;
  caPem: string | Buffer | undefined = undefined;

  declare service_url: string | undefined;
  declare ca_certs: string | undefined;
  declare keyfile: string | undefined;
  declare certfile: string | undefined;
  declare cert_reqs: CertRequirementInput | undefined;

  protected clientOptions(): XmlRpcClientOptions {
    return {
      caCerts: this.caCerts,
      keyFile: this.keyFile,
      certFile: this.certFile,
      certRequirement: this.certRequirement,
      sslVersion: this.sslVersion,
      minVersion: this.minVersion,
      maxVersion: this.maxVersion,
      ciphers: this.ciphers,
      checkHostname: this.checkHostname,
      servername: this.servername,
      timeoutMs: this.timeoutMs,
      allowNone: this.allowNone,
      verbose: this.verbose,
      verboseOutput: this.verboseOutput,
      userAgent: this.userAgent,
      maxBodyBytes: this.maxBodyBytes === undefined ? undefined : Number(this.maxBodyBytes),
      maxDepth: this.maxDepth === undefined ? undefined : Number(this.maxDepth),
      keepAlive: this.keepAlive,
      maxSockets: this.maxSockets === undefined ? undefined : Number(this.maxSockets),
      headers: this.headers,
      key: this.keyPem,
      cert: this.certPem,
      ca: this.caPem,
    };
  }

  protected createInvoker(): Invoker {
    return new XmlRpcTransport(this.serviceUrl ?? "", this.clientOptions());
  }

  /** Starts a batch of calls sent as one `system.multicall`. */
  multicall(): MultiCall {
    return new MultiCall(() => this.invoker);
  }

  /** A proxy for dotted method names: `client.namespace("system").listMethods()`. */
  namespace(prefix: string): Record<string, (...args: unknown[]) => Promise<unknown>> {
    return new Proxy(Object.create(null) as Record<string, (...args: unknown[]) => Promise<unknown>>, {
      get: (_t, prop) => (typeof prop === "string" && prop !== "then" ? (...args: unknown[]) => this.callRemote(`${prefix}.${prop}`, args) : undefined),
    });
  }

  /** Closes the connections; a later call opens new ones. */
  async close(): Promise<void> {
    await this.resetInvoker();
  }
}
aliasProperties(XmlRpcProxyFactory, { service_url: "serviceUrl", ca_certs: "caCerts", keyfile: "keyFile", certfile: "certFile", cert_reqs: "certRequirement" });

/** An XML-RPC client for a URL (http or https): `new XmlRpcClient("http://localhost:8000/RPC2")`. */
export class XmlRpcClient extends XmlRpcProxyFactory {
  static readonly constructorParameters: readonly string[] = ["uri", "options"];

  constructor(uri?: string, options: XmlRpcClientOptions = {}) {
    super();
    this.serviceUrl = uri;
    applyOptions(this, options);
  }

  /** Python's name for the URL. */
  get uri(): string | undefined {
    return this.serviceUrl;
  }
  set uri(v: string | undefined) {
    this.serviceUrl = v;
  }
}

function applyOptions(target: XmlRpcProxyFactory, o: XmlRpcClientOptions): void {
  const t = target as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (k === "certReqs") t["certRequirement"] = v;
    else if (k === "key" || k === "cert" || k === "ca") t[`${k}Pem`] = v;
    else t[k] = v;
  }
}

/**
 * Spring Python's SSLClient: `new SSLClient("https://localhost:8000/RPC2", "./ca-chain.pem", "./client-key.pem", "./client-cert.pem")`,
 * or `new SSLClient(uri, { caCerts, keyFile, certFile, ... })`.
 */
export class SSLClient extends XmlRpcClient {
  static override readonly constructorParameters: readonly string[] = ["uri", "ca_certs", "keyfile", "certfile", "cert_reqs", "ssl_version", "options"];

  constructor(
    uri?: string,
    caCertsOrOptions?: string | XmlRpcClientOptions,
    keyFile?: string,
    certFile?: string,
    certReqs?: CertRequirementInput,
    sslVersion?: string,
    options: XmlRpcClientOptions = {},
  ) {
    const opts: XmlRpcClientOptions = typeof caCertsOrOptions === "object" && caCertsOrOptions !== null ? { ...caCertsOrOptions } : { ...options };
    if (typeof caCertsOrOptions === "string") opts.caCerts = caCertsOrOptions;
    if (keyFile !== undefined) opts.keyFile = keyFile;
    if (certFile !== undefined) opts.certFile = certFile;
    if (certReqs !== undefined) opts.certRequirement = certReqs;
    if (sslVersion !== undefined) opts.sslVersion = sslVersion;
    opts.userAgent ??= "SSL XML-RPC Client (remoting)";
    super(uri);
    applyOptions(this, opts);
  }
}
