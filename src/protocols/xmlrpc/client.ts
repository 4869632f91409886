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
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { StringDecoder } from "node:string_decoder";
import type { TLSSocket } from "node:tls";
import { createGunzip } from "node:zlib";
import {
  CommunicationError,
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
} from "../../core/errors.js";
import { DEFAULT_CALL_TIMEOUT_MS, type CallOptions, type Invoker } from "../../core/invocation.js";
import { getLogger } from "../../core/logging.js";
import { ProxyFactory } from "../../core/proxy-factory.js";
import { readChunks } from "./body.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH, XmlRpcParseError, XmlRpcParser, encodeCall } from "./codec.js";
import { type CertRequirement, type CertRequirementInput, coerceBoolean, coercePositive, isTlsErrorCode, minVersionFrom, normalizeCertRequirement, readPem } from "./tls.js";

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
  if (isTlsErrorCode(e.code)) {
    return new SecurityError(`TLS connection to ${where} refused: ${e.code}: ${errorMessage(err)}`, { cause: err });
  }
  if (e.code === "ECONNREFUSED") return new CommunicationError(`connection to ${where} refused`, ErrorCodes.ERR_CONNECTION_REFUSED, { cause: err });
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
  if (dropped) return new ConnectionClosedError(`connection to ${where} closed: ${errorMessage(err)}`, { cause: err });
  return new CommunicationError(`XML-RPC call to ${where} failed: ${errorMessage(err)}`, ErrorCodes.ERR_COMMUNICATION, { cause: err });
}

/** Parses Python's `"<class 'X'>:message"` fault strings for the remote type. */
function remoteTypeOf(faultString: string): string {
  const m = /^<(?:class|type) '([^']+)'>:/.exec(faultString);
  return m ? m[1]!.replace(/^exceptions\./, "") : "Fault";
}

/** The XML-RPC Invoker: one per client, with its own keep-alive agent. */
export class XmlRpcTransport implements Invoker {
  readonly config: ResolvedConfig;
  private readonly agent: HttpAgent;
  private closed = false;

  constructor(uri: string, options: XmlRpcClientOptions = {}) {
    this.config = resolve(uri, options);
    const agentOpts = { keepAlive: this.config.keepAlive, maxSockets: this.config.maxSockets };
    this.agent = this.config.tls ? new HttpsAgent({ ...agentOpts, ...this.config.tlsOptions }) : new HttpAgent(agentOpts);
  }

  async invoke(method: string, args: readonly unknown[], options: CallOptions = {}): Promise<unknown> {
    if (this.closed) throw new RemotingError("the XML-RPC client is closed", ErrorCodes.ERR_CLOSED);
    const body = Buffer.from(encodeCall(method, args, { allowNone: this.config.allowNone, maxDepth: this.config.maxDepth }), "utf8");
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    try {
      return await this.send(method, body, deadline, timeoutMs, options.signal);
    } catch (err) {
      if (err instanceof RetryOnce && Date.now() < deadline) {
        log.debug("stale keep-alive connection, retrying '%s' once on a new connection", method);
        return await this.send(method, body, deadline, timeoutMs, options.signal, true);
      }
      throw err instanceof RetryOnce ? err.error : err;
    }
  }

  private send(method: string, body: Buffer, deadline: number, timeoutMs: number, signal: AbortSignal | undefined, fresh = false): Promise<unknown> {
    const c = this.config;
    return new Promise<unknown>((resolvePromise, rejectPromise) => {
      const phase = { secured: false, reused: false, gotResponse: false };
      let settled = false;
      let req: ClientRequest | undefined;
      const finish = (err: unknown, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (err === undefined) resolvePromise(value);
        else rejectPromise(err);
      };
      const fail = (err: unknown) => {
        const mapped = classify(err, c, phase);
        if (!fresh && phase.reused && !phase.gotResponse && mapped instanceof ConnectionClosedError) finish(new RetryOnce(mapped));
        else finish(mapped);
        req?.destroy();
      };
      const timer = setTimeout(() => {
        finish(new TimeoutError(`XML-RPC call '${method}' to ${c.url.host} timed out after ${timeoutMs} ms`, timeoutMs));
        req?.destroy();
      }, Math.max(1, deadline - Date.now()));
      const onAbort = () => {
        finish(new RemotingError(`XML-RPC call '${method}' aborted`, ErrorCodes.ERR_CLOSED, { cause: signal?.reason }));
        req?.destroy();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });

      const headers: OutgoingHttpHeaders = {
        "User-Agent": c.userAgent,
        "Content-Type": "text/xml",
        "Content-Length": body.length,
        ...c.headers,
      };
      const reqOpts = {
        host: c.url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: c.url.port || (c.tls ? 443 : 80),
        method: "POST",
        path: c.path,
        headers,
        agent: fresh ? undefined : this.agent,
        ...(fresh && c.tls ? { ...c.tlsOptions, agent: false } : fresh ? { agent: false } : {}),
      };
      try {
        req = (c.tls ? httpsRequest : httpRequest)(reqOpts as unknown as RequestOptions);
      } catch (err) {
        fail(err);
        return;
      }
      req.on("socket", (sock) => {
        phase.reused = req!.reusedSocket;
        if (c.tls) {
          const tlsSock = sock as TLSSocket;
          if (phase.reused || (tlsSock.encrypted && !tlsSock.connecting && tlsSock.authorized)) phase.secured = true;
          else tlsSock.once("secureConnect", () => (phase.secured = true));
        }
      });
      req.on("error", fail);
      req.on("response", (res: IncomingMessage) => {
        phase.gotResponse = true;
        this.readResponse(method, res, c).then(
          (v) => finish(undefined, v),
          (err: unknown) => {
            finish(err instanceof RemotingError ? err : classify(err, c, phase));
            res.destroy();
          },
        );
      });
      if (c.verbose) {
        const lines = [`POST ${c.path} HTTP/1.1`, `Host: ${c.url.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${String(v)}`)];
        c.out.write(`send: ${lines.join("\r\n")}\r\n\r\n${body.toString("utf8")}\n`);
      }
      req.end(body);
    });
  }

  private async readResponse(method: string, res: IncomingMessage, c: ResolvedConfig): Promise<unknown> {
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
    log.trace("call '%s' answered", method);
    return r.value;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }
}

class RetryOnce extends Error {
  constructor(readonly error: RemotingError) {
    super(error.message);
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

  get service_url(): string | undefined {
    return this.serviceUrl;
  }
  set service_url(v: string | undefined) {
    this.serviceUrl = v;
  }
  get ca_certs(): string | undefined {
    return this.caCerts;
  }
  set ca_certs(v: string | undefined) {
    this.caCerts = v;
  }
  get keyfile(): string | undefined {
    return this.keyFile;
  }
  set keyfile(v: string | undefined) {
    this.keyFile = v;
  }
  get certfile(): string | undefined {
    return this.certFile;
  }
  set certfile(v: string | undefined) {
    this.certFile = v;
  }
  get cert_reqs(): CertRequirementInput | undefined {
    return this.certRequirement;
  }
  set cert_reqs(v: CertRequirementInput | undefined) {
    this.certRequirement = v;
  }

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
