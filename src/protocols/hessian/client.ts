/**
 * The Hessian client: a core `Client` (its calls go through the stack of
 * interceptors and the timeout policy) over the shared HTTP/1.1 transport
 * (src/http/client.ts): one POST per call on keep-alive connections, plain
 * or TLS (core/tls settings), with the core's deadlines, abort and
 * stale-connection rule (a request is never re-sent silently). Faults come
 * back as RemoteInvocationError.
 *
 * The invocation's metadata (trace context, correlation ids) travels as
 * HTTP headers, and a finite deadline as `remoting-timeout` (the
 * milliseconds left), so the server can refuse a call it is too late for.
 */
import { ConfigError, ErrorCodes, ProtocolError, RemoteInvocationError, RemotingError, errorMessage, withPhase } from "../../core/errors.js";
import { Client, notSupported, type ClientOptions, type Invocation } from "../../core/invocation.js";
import { readTlsSettings, type TlsConfigurable } from "../../core/tls.js";
import { MetadataKeys } from "../../core/server/call-context.js";
import { HttpClient, statusError, type HttpResponse } from "../../http/client.js";
import { decodeReply, detailClass, encodeCall, type HessianFault } from "./envelope.js";
import type { ClassRegistry, DecodeLimits, DecodeOptions, EncodeOptions } from "./types.js";

export type { PemInput } from "../../core/tls.js";

/** Content type of Hessian requests and replies. */
export const HESSIAN_CONTENT_TYPE = "x-application/hessian";
/** Default limit of a reply body: 64 MiB. */
export const DEFAULT_MAX_REPLY_SIZE = 64 * 1024 * 1024;
/** Default number of connections per client. */
export const DEFAULT_MAX_SOCKETS = 16;

/** Decoder limits and options for replies (or, on the server, call arguments). */
export type HessianDecodeSettings = DecodeLimits & { mapsAs?: "object" | "map"; preserveTypes?: boolean };

export interface HessianClientOptions extends ClientOptions, TlsConfigurable {
  /** 2 (default): `H 02 00 C` calls. 1: pure Hessian 1.0 calls (`c 01 00`). */
  hessianVersion?: 1 | 2 | undefined;
  /** Reuse connections (HTTP keep-alive). Default true. */
  keepAlive?: boolean | undefined;
  /** Most connections open at once; more calls wait their turn. Default 16. */
  maxSockets?: number | undefined;
  /** Largest reply body accepted (after inflating), in bytes. Default 64 MiB. */
  maxReplySize?: number | undefined;
  /** Classes the reply may instantiate, and classes sent with their Java names. Default: none. */
  registry?: ClassRegistry | undefined;
  /** Decoder limits and options for replies. */
  decode?: HessianDecodeSettings | undefined;
  /** Extra HTTP headers sent with every call. */
  headers?: Readonly<Record<string, string>> | undefined;
}

/** Turns a Hessian fault into the RemoteInvocationError thrown to the caller. */
export function faultToError(fault: HessianFault): RemoteInvocationError {
  const detail = fault.detail;
  const cls = detailClass(detail);
  const rec = typeof detail === "object" && detail !== null ? (detail as Record<string, unknown>) : undefined;
  const dm = rec?.["detailMessage"];
  const trace: string[] = [];
  const st = rec?.["stackTrace"];
  if (Array.isArray(st)) {
    for (const el of st.slice(0, 200)) {
      if (typeof el !== "object" || el === null) continue;
      const e = el as Record<string, unknown>;
      const file = typeof e["fileName"] === "string" ? `${e["fileName"]}${typeof e["lineNumber"] === "number" && e["lineNumber"] >= 0 ? `:${e["lineNumber"]}` : ""}` : "Unknown Source";
      trace.push(`at ${String(e["declaringClass"])}.${String(e["methodName"])}(${file})`);
    }
  }
  return new RemoteInvocationError({
    remoteType: cls ?? fault.code,
    remoteMessage: typeof dm === "string" ? dm : fault.message,
    remoteTraceback: trace,
    remoteCode: fault.code,
    detail,
  });
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

function parseUrl(url: string | URL): URL {
  let u: URL;
  try {
    u = typeof url === "string" ? new URL(url) : url;
  } catch (err) {
    throw new ConfigError(`'${String(url)}' is not a valid Hessian service URL`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { cause: err });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new ConfigError(`unsupported Hessian URL scheme '${u.protocol}' (use http: or https:)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  return u;
}

/** A Hessian client bound to one service URL: a core Client over the shared HTTP transport. */
export class HessianClient extends Client {
  readonly url: URL;
  private readonly http: HttpClient;
  private readonly where: string;
  private readonly path: string;
  private readonly version: 1 | 2;
  private readonly encodeOptions: EncodeOptions;
  private readonly decodeOptions: DecodeOptions;

  constructor(url: string | URL, options: HessianClientOptions = {}) {
    super(options);
    const u = parseUrl(url);
    const version = options.hessianVersion ?? 2;
    if (version !== 1 && version !== 2) throw new ConfigError(`hessianVersion must be 1 or 2, not '${String(version)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    this.url = u;
    this.version = version;
    this.where = `${u.protocol}//${u.host}${u.pathname}`;
    this.path = `${u.pathname}${u.search}`;
    this.encodeOptions = { registry: options.registry };
    this.decodeOptions = { ...options.decode, registry: options.registry };
    // Header names are case-insensitive: ours override the caller's; Host is added unless the caller set it.
    const headers = new Map<string, [string, string]>();
    for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k.toLowerCase(), [k, String(v)]);
    headers.set("content-type", ["Content-Type", HESSIAN_CONTENT_TYPE]);
    headers.set("accept-encoding", ["Accept-Encoding", "deflate"]);
    if (u.username) {
      const cred = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
      headers.set("authorization", ["Authorization", `Basic ${Buffer.from(cred).toString("base64")}`]);
    }
    this.http = new HttpClient({
      url: u,
      tls: u.protocol === "https:" ? readTlsSettings(options, "client") : undefined,
      keepAlive: options.keepAlive ?? true,
      maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
      maxBodyBytes: options.maxReplySize ?? DEFAULT_MAX_REPLY_SIZE,
      headers: [...headers.values()],
      where: this.where,
    });
  }

  get protocol(): string {
    return "hessian";
  }

  get service(): string {
    return this.where;
  }

  /** Open connections (busy and idle). */
  get connectionCount(): number {
    return this.http.connectionCount;
  }

  /** Sends one invocation as it is (no policy): a POST, its reply decoded. */
  dispatch(inv: Invocation): Promise<unknown> {
    if (inv.kind !== "call") return Promise.reject(notSupported("hessian", `'${inv.kind}' requests (only method calls)`));
    if (inv.kwargs !== undefined && hasKeys(inv.kwargs)) return Promise.reject(notSupported("hessian", "keyword arguments"));
    const method = inv.method;
    let body: Buffer;
    try {
      body = encodeCall(method, inv.args, this.version, this.encodeOptions);
    } catch (err) {
      return Promise.reject(err);
    }
    let headers: Array<readonly [string, string]> | undefined;
    const md = inv.metadata;
    if (md !== undefined) for (const k in md) (headers ??= []).push([k, md[k]!]);
    if (inv.deadline !== Infinity) (headers ??= []).push([MetadataKeys.timeout, String(Math.max(0, Math.ceil(inv.deadline - Date.now())))]);
    const p = this.http.request({
      path: this.path,
      body,
      headers,
      deadline: inv.deadline,
      timeoutMs: inv.timeoutMs,
      signal: inv.signal,
      oneway: inv.oneway,
      what: `Hessian call '${method}' to ${this.where}`,
    });
    return inv.oneway ? p.then(ignoreReply) : p.then((res) => this.readReply(method, res));
  }

  private readReply(method: string, res: HttpResponse): unknown {
    const where = this.where;
    if (res.status !== 200) throw statusError(res, where);
    let reply;
    try {
      reply = decodeReply(res.body, this.decodeOptions);
    } catch (err) {
      if (err instanceof RemotingError) throw withPhase(err, "reply");
      throw new ProtocolError(`${where}: bad Hessian reply to '${method}': ${errorMessage(err)}`, ErrorCodes.ERR_PROTOCOL, { cause: err, phase: "reply" });
    }
    if (reply.fault) throw faultToError(reply);
    return reply.value;
  }

  /** Releases the connections; later calls fail with ERR_CLOSED (a proxy factory makes a new client). */
  close(): Promise<void> {
    this.http.close();
    return Promise.resolve();
  }
}

function ignoreReply(): undefined {
  return undefined;
}
