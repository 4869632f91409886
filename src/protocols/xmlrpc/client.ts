/**
 * XML-RPC clients: `XmlRpcProxyFactory` (for XML contexts: `serviceUrl` plus
 * TLS properties), `XmlRpcClient` and `SSLClient` (after Spring Python's
 * `SSLClient(uri, ca_certs, keyfile, certfile, ...)`). Each is a proxy: any
 * member it does not have itself is a remote method, so
 * `await client.pow(41, 3)` calls `pow` on the server.
 *
 * Every call (a method, a `system.multicall` batch) goes through the core's
 * call stack (core/invocation: tracing, logging, timeout, the application's
 * interceptors, retry) down to `XmlRpcTransport.dispatch`, which sends one
 * POST over the shared HTTP/1.1 transport (src/http): keep-alive, always a
 * Content-Length, no gzip asked for (a gzip reply is inflated anyway), TLS
 * from core/tls (the server certificate is checked against `tlsCa` or the
 * system roots, and against the URL's host unless `tlsCheckHostname` is
 * false). Deadlines, abort, oneway, the stale-connection rule (nothing is
 * ever re-sent silently) and the TLS 1.3 late-refusal SecurityError are the
 * transport's. The invocation's metadata (trace context) and the time left
 * (`remoting-timeout`, in ms) travel as HTTP headers.
 */
import {
  ConfigError,
  ErrorCodes,
  ProtocolError,
  RemoteInvocationError,
  withPhase,
} from "../../core/errors.js";
import { Client, notSupported, type CallOptions, type ClientOptions, type Interceptor, type Invocation } from "../../core/invocation.js";
import { getLogger } from "../../core/logging.js";
import { ProxyFactory } from "../../core/proxy-factory.js";
import { applyOptions, defineProperties } from "../../core/config/properties.js";
import { readTlsSettings, type CertRequirementInput, type PemInput, type TlsConfigurable, type TlsSettings, type TlsVersion, type TlsClientProperties } from "../../core/tls.js";
import { MetadataKeys } from "../../core/server/call-context.js";
import { HttpClient, statusError, type HttpResponse } from "../../http/client.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH, decodeXmlBytes, encodeCall, parseMethodResponse, type EncodeOptions, type MethodResponse, type ParseOptions } from "./codec.js";
import { CLIENT_PROPERTIES, DEFAULT_USER_AGENT, SSL_CLIENT_PROPERTIES } from "./settings.js";

export { DEFAULT_USER_AGENT } from "./settings.js";

const log = getLogger("remoting.xmlrpc.client");

type Writable = { write(text: string): unknown };

/** Options of `new XmlRpcClient(uri, options)` and `new SSLClient(uri, options)`: the factory's property names, values as XML gives them or typed. */
export interface XmlRpcClientOptions {
  /** Send null/undefined as `<nil/>` (default false, as Python's allow_none). */
  allowNone?: boolean | string | undefined;
  /** Time limit of a call that sets none itself (default 30000 ms; `"30s"`; 0 or "none": no limit). */
  timeoutMs?: number | string | undefined;
  /** Print the HTTP traffic to stdout (default false). */
  verbose?: boolean | string | number | undefined;
  /** Where verbose mode writes (default process.stdout). */
  verboseOutput?: Writable | undefined;
  /** User-Agent header. */
  userAgent?: string | undefined;
  /** Largest response body (default 10 MiB; `"64kB"`, `"16MiB"`). */
  maxBodyBytes?: number | string | undefined;
  /** Deepest array/struct nesting sent and accepted (default 64). */
  maxDepth?: number | string | undefined;
  /** Read a whole-number `<double>` in a reply as an XmlRpcDouble (a Float), so that it is sent on as `<double>` (default false: the number). */
  preserveTypes?: boolean | string | undefined;
  /** Reuse connections (default true). */
  keepAlive?: boolean | string | undefined;
  /** Most connections open at once to the server (default 16). */
  maxSockets?: number | string | undefined;
  /** Close idle connections after this long (default 4000 ms). */
  idleTimeoutMs?: number | string | undefined;
  /** Extra HTTP headers. */
  headers?: Record<string, string> | undefined;
  /** CAs the server certificate must chain to (PEM text or file; default: Node's bundled roots). Also `tlsCa`. */
  caCerts?: PemInput | undefined;
  /** The client's private key (PEM text or file; sent only when the server asks for a certificate). Also `tlsKey`. */
  keyFile?: PemInput | undefined;
  /** The client's certificate (PEM text or file; may hold its chain). Also `tlsCert`. */
  certFile?: PemInput | undefined;
  /** Python's cert_reqs: CERT_NONE does not verify the server (testing only). Also `tlsVerifyServer: false`. */
  certRequirement?: CertRequirementInput | undefined;
  certReqs?: CertRequirementInput | undefined;
  /** Python's ssl_version, as the lowest TLS version (TLS 1.2 or 1.3; older ones are refused). */
  sslVersion?: string | undefined;
  /** Lowest TLS version (default TLSv1.2). Also `tlsMinVersion`. */
  minVersion?: TlsVersion | string | undefined;
  /** Highest TLS version (default: Node's, TLSv1.3). Also `tlsMaxVersion`. */
  maxVersion?: TlsVersion | string | undefined;
  /** OpenSSL cipher string. Also `tlsCiphers`. */
  ciphers?: string | undefined;
  /** Check that the server certificate names the URL's host (default true). Also `tlsCheckHostname`. */
  checkHostname?: boolean | string | undefined;
  /** SNI / host name to verify instead of the URL's host. Also `tlsServername`. */
  servername?: string | undefined;
  /** Subject fields the server certificate must carry. Also `tlsVerifyFields`. */
  verifyFields?: Record<string, string> | Map<string, string> | string | undefined;
  /** PEM contents (or files) instead of keyFile / certFile / caCerts. */
  key?: PemInput | undefined;
  cert?: PemInput | undefined;
  ca?: PemInput | undefined;
  tlsKey?: PemInput | undefined;
  tlsCert?: PemInput | undefined;
  tlsCa?: PemInput | undefined;
  tlsVerifyServer?: boolean | string | undefined;
  tlsCheckHostname?: boolean | string | undefined;
  tlsServername?: string | undefined;
  tlsMinVersion?: TlsVersion | string | undefined;
  tlsMaxVersion?: TlsVersion | string | undefined;
  tlsCiphers?: string | undefined;
  tlsVerifyFields?: Record<string, string> | Map<string, string> | string | undefined;
  /** The call policies of every proxy factory (core/policies). */
  retryAttempts?: number | string | undefined;
  retryInitialBackoffMs?: number | string | undefined;
  retryMaxBackoffMs?: number | string | undefined;
  retryMultiplier?: number | string | undefined;
  retryJitter?: number | string | undefined;
  idempotentMethods?: string[] | string | undefined;
  logCalls?: boolean | string | undefined;
  tracing?: boolean | string | undefined;
  interceptors?: Interceptor[] | Interceptor | undefined;
}

/** What a transport reads: the declared client properties, parsed (an XmlRpcProxyFactory is one). */
export interface XmlRpcClientSettings extends TlsConfigurable {
  allowNone?: boolean | undefined;
  verbose?: boolean | undefined;
  verboseOutput?: Writable | undefined;
  userAgent?: string | undefined;
  maxBodyBytes?: number | undefined;
  maxDepth?: number | undefined;
  preserveTypes?: boolean | undefined;
  keepAlive?: boolean | undefined;
  maxSockets?: number | undefined;
  idleTimeoutMs?: number | undefined;
  headers?: Record<string, string> | undefined;
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

/** Parses Python's `"<class 'X'>:message"` fault strings for the remote type. */
export function remoteTypeOf(faultString: string): string {
  const m = /^<(?:class|type) '([^']+)'>:/.exec(faultString);
  return m ? m[1]!.replace(/^exceptions\./, "").replace(/^builtins\./, "") : "Fault";
}

function faultError(faultCode: number, faultString: string, detail: unknown): RemoteInvocationError {
  return new RemoteInvocationError({ remoteType: remoteTypeOf(faultString), remoteMessage: faultString, remoteCode: faultCode, detail });
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

/**
 * The XML-RPC transport: a core Client (its stack: the given interceptors,
 * then its timeout policy) whose `dispatch` sends one call as one POST.
 * Settings are read once, when it is made. `close()` closes the
 * connections; a later call opens new ones.
 */
export class XmlRpcTransport extends Client {
  readonly url: URL;
  /** The request path: the URL's, or /RPC2 when the URL has none (as Python). */
  readonly path: string;
  /** How calls name the service: the URL without credentials. */
  readonly where: string;
  /** For https: the TLS settings (core/tls). */
  readonly tls: TlsSettings | undefined;
  readonly allowNone: boolean;
  readonly maxDepth: number;
  readonly maxBodyBytes: number;
  readonly verbose: boolean;
  readonly keepAlive: boolean;
  readonly maxSockets: number;
  readonly userAgent: string;
  private readonly out: Writable;
  private readonly headers: Array<[string, string]>;
  private readonly idleTimeoutMs: number | undefined;
  private readonly encodeOptions: EncodeOptions;
  private readonly parseOptions: ParseOptions;
  private http: HttpClient | undefined = undefined;

  constructor(uri: string | undefined, settings: XmlRpcClientSettings = {}, options: ClientOptions = {}) {
    super(options);
    if (!uri) throw new ConfigError("the XML-RPC client needs a URL (uri / serviceUrl)", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    const { url, path } = parseUri(uri);
    this.url = url;
    this.path = path;
    this.where = `${url.protocol}//${url.host}${path}`;
    this.allowNone = settings.allowNone ?? false;
    this.maxDepth = settings.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxBodyBytes = settings.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.verbose = settings.verbose ?? false;
    this.out = settings.verboseOutput ?? process.stdout;
    this.keepAlive = settings.keepAlive ?? true;
    this.maxSockets = settings.maxSockets ?? 16;
    this.userAgent = settings.userAgent ?? DEFAULT_USER_AGENT;
    this.idleTimeoutMs = settings.idleTimeoutMs === Infinity ? 0 : settings.idleTimeoutMs;
    this.encodeOptions = { allowNone: this.allowNone, maxDepth: this.maxDepth };
    this.parseOptions = { maxDepth: this.maxDepth, maxChars: this.maxBodyBytes, preserveTypes: settings.preserveTypes === true };
    // TLS settings are read (PEM files too) only for https, as a ConfigError now rather than at the first call.
    this.tls = url.protocol === "https:" ? readTlsSettings(settings, "client") : undefined;
    if (this.tls && !this.tls.verifyServer) log.warn("certRequirement 'none' (tlsVerifyServer false): the server certificate of %s is NOT verified (testing only)", url.host);
    const headers: Array<[string, string]> = [
      ["User-Agent", this.userAgent],
      ["Content-Type", "text/xml"],
    ];
    for (const [k, v] of Object.entries(settings.headers ?? {})) headers.push([k, String(v)]);
    if (url.username || url.password) {
      headers.push(["Authorization", "Basic " + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")]);
    }
    this.headers = headers;
    // checks the headers now (a ConfigError), and makes the connection pool
    this.httpClient();
  }

  get protocol(): string {
    return "xmlrpc";
  }

  get service(): string {
    return this.where;
  }

  private httpClient(): HttpClient {
    let h = this.http;
    if (!h) {
      h = new HttpClient({
        url: this.url,
        tls: this.tls,
        keepAlive: this.keepAlive,
        maxSockets: this.maxSockets,
        idleTimeoutMs: this.idleTimeoutMs,
        maxBodyBytes: this.maxBodyBytes,
        headers: this.headers,
        where: this.where,
      });
      this.http = h;
    }
    return h;
  }

  /** Sends `system.multicall` with these calls through the stack (an invocation of kind "batch"); the raw answer. */
  multicall(calls: ReadonlyArray<{ methodName: string; params: readonly unknown[] }>, options?: CallOptions): Promise<unknown> {
    return this.run("batch", "system.multicall", [calls], options);
  }

  /** Sends one invocation as it is (no policy): a call, or a multicall batch. */
  dispatch(inv: Invocation): Promise<unknown> {
    if (inv.kwargs !== undefined && hasKeys(inv.kwargs)) return Promise.reject(notSupported("XML-RPC", "keyword arguments"));
    if (inv.kind !== "call" && inv.kind !== "batch") return Promise.reject(notSupported("XML-RPC", `${inv.kind} operations`));
    let body: string;
    try {
      body = encodeCall(inv.method, inv.args, this.encodeOptions);
    } catch (err) {
      // an argument that cannot be sent: no phase, so that no retry or failover sends it again (it would fail the same)
      return Promise.reject(err);
    }
    let headers: Array<[string, string]> | undefined;
    if (inv.deadline !== Infinity) headers = [[MetadataKeys.timeout, String(Math.max(0, Math.ceil(inv.deadline - Date.now())))]];
    const md = inv.metadata;
    if (md !== undefined) for (const k in md) (headers ??= []).push([k, md[k]!]);
    const http = this.httpClient();
    if (this.verbose) this.out.write(`send: ${http.head(this.path, Buffer.byteLength(body, "utf8"), headers)}\r\n${body}\n`);
    return http
      .request({ path: this.path, body, headers, deadline: inv.deadline, timeoutMs: inv.timeoutMs, signal: inv.signal, oneway: inv.oneway, what: `XML-RPC call '${inv.method}' to ${this.where}` })
      .then((res) => (inv.oneway ? undefined : this.reply(res)));
  }

  private reply(res: HttpResponse): unknown {
    if (this.verbose) {
      let s = `reply: 'HTTP/${res.httpVersion} ${res.status} ${res.statusText}'\n`;
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) s += `header: ${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\n`;
      this.out.write(`${s}body: ${res.body.toString("utf8")}\n`);
    }
    if (res.status !== 200) throw statusError(res, this.where);
    let r: MethodResponse;
    try {
      // read in the encoding the response declares (or refused), never with replacement characters
      r = parseMethodResponse(decodeXmlBytes(res.body), this.parseOptions);
    } catch (err) {
      throw withPhase(err, "reply");
    }
    if (r.fault) throw faultError(r.faultCode, r.faultString, r.value);
    return r.value;
  }

  /** Closes the connections (calls in flight fail); a later call opens new ones. */
  async close(): Promise<void> {
    const h = this.http;
    this.http = undefined;
    h?.close();
  }
}

/** One entry of a multicall result. */
export type MultiCallResult = { ok: true; value: unknown } | { ok: false; error: RemoteInvocationError };

/** Collects calls and sends them as one `system.multicall` (one invocation through the client's stack). */
export class MultiCall {
  private readonly calls: Array<{ methodName: string; params: unknown[] }> = [];
  constructor(private readonly transport: () => XmlRpcTransport) {}

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
    const raw = await this.transport().multicall(this.calls, options);
    if (!Array.isArray(raw) || raw.length !== this.calls.length) {
      throw new ProtocolError("system.multicall answered something other than one entry per call", ErrorCodes.ERR_PROTOCOL, { phase: "reply" });
    }
    return raw.map((entry): MultiCallResult => {
      if (Array.isArray(entry) && entry.length === 1) return { ok: true, value: entry[0] };
      const f = entry as { faultCode?: unknown; faultString?: unknown };
      if (f && typeof f === "object" && "faultCode" in f) return { ok: false, error: faultError(Number(f.faultCode), String(f.faultString ?? ""), f) };
      throw new ProtocolError("system.multicall answered an entry that is neither [value] nor a fault", ErrorCodes.ERR_PROTOCOL, { phase: "reply" });
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
 * for https); every other member name is a remote method. Every property is
 * declared (./settings.ts) and parsed where it is set; changing one after
 * the first call makes the next call use a new client.
 */
/** The standard TLS properties (core/tls), declared once. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface XmlRpcProxyFactory extends TlsClientProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class XmlRpcProxyFactory extends ProxyFactory {
  declare uri: string | undefined;
  // historic spellings of the TLS properties (aliases: they read the tls* value)
  declare caCerts: PemInput | undefined;
  declare ca_certs: PemInput | undefined;
  declare keyFile: PemInput | undefined;
  declare keyfile: PemInput | undefined;
  declare certFile: PemInput | undefined;
  declare certfile: PemInput | undefined;
  declare keyPem: PemInput | undefined;
  declare certPem: PemInput | undefined;
  declare caPem: PemInput | undefined;
  /** Python's cert_reqs; reads back as whether the server is verified (tlsVerifyServer). */
  declare certRequirement: boolean;
  declare cert_reqs: boolean;
  declare sslVersion: TlsVersion;
  declare minVersion: TlsVersion;
  declare maxVersion: TlsVersion | undefined;
  declare ciphers: string | undefined;
  declare checkHostname: boolean;
  declare servername: string | undefined;
  declare verifyFields: Record<string, string> | undefined;
  // XML-RPC settings
  declare allowNone: boolean;
  declare verbose: boolean;
  declare verboseOutput: Writable | undefined;
  declare userAgent: string;
  declare maxBodyBytes: number;
  declare maxDepth: number;
  declare preserveTypes: boolean;
  declare keepAlive: boolean;
  declare maxSockets: number;
  declare idleTimeoutMs: number;
  declare headers: Record<string, string> | undefined;

  protected get protocolName(): string {
    return "xmlrpc";
  }

  protected createInvoker(options: ClientOptions): XmlRpcTransport {
    return new XmlRpcTransport(this.serviceUrl, this, options);
  }

  /** Starts a batch of calls sent as one `system.multicall`. */
  multicall(): MultiCall {
    return new MultiCall(() => this.invoker as XmlRpcTransport);
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
defineProperties(XmlRpcProxyFactory, CLIENT_PROPERTIES);

/** Sets constructor options as properties: `key`, `cert`, `ca` are PEM contents (or files) for tlsKey, tlsCert, tlsCa. */
function applyClientOptions(target: XmlRpcProxyFactory, o: XmlRpcClientOptions): void {
  const { key, cert, ca, ...rest } = o;
  if (key !== undefined) target.tlsKey = key;
  if (cert !== undefined) target.tlsCert = cert;
  if (ca !== undefined) target.tlsCa = ca;
  applyOptions(target, rest as Record<string, unknown>);
}

/** An XML-RPC client for a URL (http or https): `new XmlRpcClient("http://localhost:8000/RPC2")`. */
export class XmlRpcClient extends XmlRpcProxyFactory {
  static readonly constructorParameters: readonly string[] = ["uri", "options"];

  constructor(uri?: string, options: XmlRpcClientOptions = {}) {
    super();
    if (uri !== undefined) this.serviceUrl = uri;
    applyClientOptions(this, options);
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
    caCertsOrOptions?: PemInput | XmlRpcClientOptions,
    keyFile?: PemInput,
    certFile?: PemInput,
    certReqs?: CertRequirementInput,
    sslVersion?: string,
    options: XmlRpcClientOptions = {},
  ) {
    const opts: XmlRpcClientOptions =
      typeof caCertsOrOptions === "object" && caCertsOrOptions !== null && !Buffer.isBuffer(caCertsOrOptions) ? { ...caCertsOrOptions } : { ...options };
    if (typeof caCertsOrOptions === "string" || Buffer.isBuffer(caCertsOrOptions)) opts.caCerts = caCertsOrOptions;
    if (keyFile !== undefined) opts.keyFile = keyFile;
    if (certFile !== undefined) opts.certFile = certFile;
    if (certReqs !== undefined) opts.certRequirement = certReqs;
    if (sslVersion !== undefined) opts.sslVersion = sslVersion;
    super(uri, opts);
  }
}
defineProperties(SSLClient, SSL_CLIENT_PROPERTIES);
