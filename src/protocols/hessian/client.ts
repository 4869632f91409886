/**
 * The Hessian HTTP client: one POST per call, keep-alive connections, a finite
 * timeout, TLS options. Faults come back as RemoteInvocationError.
 */
import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import {
  ConfigError,
  ConnectionClosedError,
  ErrorCodes,
  MessageTooLargeError,
  ProtocolError,
  RemoteInvocationError,
  RemotingError,
  TimeoutError,
  errorMessage,
  networkError,
} from "../../core/errors.js";
import { DEFAULT_CALL_TIMEOUT_MS, type CallOptions, type Invoker } from "../../core/invocation.js";
import { getLogger } from "../../core/logging.js";
import { decodeReply, detailClass, encodeCall, type HessianFault } from "./envelope.js";
import { Http1Pool, checkHeader, type Http1Callbacks, type Http1Reply } from "./http1.js";
import type { ClassRegistry, DecodeLimits, DecodeOptions } from "./types.js";

const log = getLogger("remoting.hessian.client");
/** Lets this module's PendingCall reach a client's per-call constants. */
const kInternals: unique symbol = Symbol("internals");

/** Content type of Hessian requests and replies. */
export const HESSIAN_CONTENT_TYPE = "x-application/hessian";
/** Default limit of a reply body: 64 MiB. */
export const DEFAULT_MAX_REPLY_SIZE = 64 * 1024 * 1024;

export type PemInput = string | Buffer;

export interface HessianClientOptions {
  /** Timeout of one call in ms (connect + send + reply). Default DEFAULT_CALL_TIMEOUT_MS (30 s). */
  timeoutMs?: number | undefined;
  /** 2 (default): `H 02 00 C` calls. 1: pure Hessian 1.0 calls (`c 01 00`). */
  hessianVersion?: 1 | 2 | undefined;
  /** Trusted CA certificates (PEM text, Buffer, or a file path). Default: Node's CA store. */
  ca?: PemInput | undefined;
  /** Client certificate and key for mutual TLS (PEM text, Buffer, or a file path). */
  cert?: PemInput | undefined;
  key?: PemInput | undefined;
  /** Verify the server certificate (chain and host name). Default true. */
  rejectUnauthorized?: boolean | undefined;
  /** Reuse connections (HTTP keep-alive). Default true. */
  keepAlive?: boolean | undefined;
  /** Maximum sockets per host. Default 16. */
  maxSockets?: number | undefined;
  /** Largest reply body accepted, in bytes. Default 64 MiB. */
  maxReplySize?: number | undefined;
  /** Classes the reply may instantiate. Default: none. */
  registry?: ClassRegistry | undefined;
  /** Decoder limits and options for replies. */
  decode?: (DecodeLimits & { mapsAs?: "object" | "map"; preserveTypes?: boolean }) | undefined;
  /** Extra HTTP headers sent with every call. */
  headers?: Record<string, string> | undefined;
}

/** Accepts PEM text, a Buffer, or a file path (as XML configuration gives it). */
export function readPem(v: PemInput | undefined, what: string): PemInput | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v !== "string") throw new ConfigError(`${what} must be PEM text or a file path`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  if (v.includes("-----BEGIN")) return v;
  try {
    return readFileSync(v);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} file '${v}': ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, { cause: err });
  }
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

function url2string(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** The Content-Length and whether the body is deflated, read from raw headers (no header object is built). */
function replyHeaders(raw: readonly string[]): { length: number; deflate: boolean } {
  let length = NaN;
  let deflate = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === 14 && k.toLowerCase() === "content-length") length = Number(raw[i + 1]);
    else if (k.length === 16 && k.toLowerCase() === "content-encoding") deflate = raw[i + 1]!.trim().toLowerCase() === "deflate";
  }
  return { length, deflate };
}

/** A Hessian client bound to one service URL. Implements Invoker. */
export class HessianClient implements Invoker {
  readonly url: URL;
  private readonly options: HessianClientOptions;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private closed = false;
  private readonly pending = new Set<{ destroy(err?: Error): void }>();
  /** Plain http: calls go through this pool of keep-alive connections; https: through node:https. */
  private readonly pool: Http1Pool | undefined;
  /** The request head up to (not including) Content-Length, for the pool. */
  private readonly headPrefix: string;
  /** Per-call constants, computed once. */
  private readonly where: string;
  private readonly version: 1 | 2;
  private readonly encodeOptions: { registry: ClassRegistry | undefined };
  private readonly decodeOptions: DecodeLimits & { mapsAs?: "object" | "map"; preserveTypes?: boolean; registry?: ClassRegistry | undefined };
  private readonly hostname: string;
  private readonly port: number | undefined;
  private readonly path: string;
  /** The request headers as a raw [name, value, ...] list, without Content-Length. */
  private readonly headerList: readonly string[];

  constructor(url: string | URL, options: HessianClientOptions = {}) {
    let u: URL;
    try {
      u = typeof url === "string" ? new URL(url) : url;
    } catch (err) {
      throw new ConfigError(`'${String(url)}' is not a valid Hessian service URL`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { cause: err });
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new ConfigError(`unsupported Hessian URL scheme '${u.protocol}' (use http: or https:)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const version = options.hessianVersion ?? 2;
    if (version !== 1 && version !== 2) throw new ConfigError(`hessianVersion must be 1 or 2, not '${String(version)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    this.url = u;
    this.options = options;
    this.version = version;
    this.where = url2string(u);
    this.encodeOptions = { registry: options.registry };
    this.decodeOptions = { ...options.decode, registry: options.registry };
    this.hostname = u.hostname.replace(/^\[|\]$/g, "");
    this.port = u.port ? Number(u.port) : undefined;
    this.path = `${u.pathname}${u.search}`;
    // Header names are case-insensitive: ours override the caller's; Host is added unless the caller set it.
    const headers = new Map<string, [string, string]>();
    for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k.toLowerCase(), [k, String(v)]);
    headers.delete("content-length");
    headers.set("content-type", ["Content-Type", HESSIAN_CONTENT_TYPE]);
    headers.set("accept-encoding", ["Accept-Encoding", "deflate"]);
    if (u.username) {
      const cred = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
      headers.set("authorization", ["Authorization", `Basic ${Buffer.from(cred).toString("base64")}`]);
    }
    const list: string[] = [];
    if (!headers.has("host")) list.push("Host", u.host);
    for (const [k, v] of headers.values()) list.push(k, v);
    this.headerList = list;
    let head = `POST ${this.path} HTTP/1.1\r\n`;
    for (let i = 0; i < list.length; i += 2) {
      checkHeader(list[i]!, list[i + 1]!);
      head += `${list[i]}: ${list[i + 1]}\r\n`;
    }
    this.headPrefix = head + ((options.keepAlive ?? true) ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    const keepAlive = options.keepAlive ?? true;
    const maxSockets = options.maxSockets ?? 16;
    if (u.protocol === "https:") {
      this.transport = https;
      this.agent = new https.Agent({
        keepAlive,
        maxSockets,
        ca: readPem(options.ca, "ca"),
        cert: readPem(options.cert, "cert"),
        key: readPem(options.key, "key"),
        rejectUnauthorized: options.rejectUnauthorized ?? true,
        minVersion: "TLSv1.2",
      });
      this.pool = undefined;
    } else {
      this.transport = http;
      this.agent = new http.Agent({ keepAlive, maxSockets });
      this.pool = new Http1Pool(this.hostname, this.port ?? 80, keepAlive, maxSockets, this.where);
    }
  }

  /** The whole request (head and body) for the pool. */
  private requestBytes(body: Buffer): Buffer {
    const head = `${this.headPrefix}Content-Length: ${body.length}\r\n\r\n`;
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, "latin1");
    body.copy(out, head.length);
    return out;
  }

  invoke(method: string, args: readonly unknown[], options: CallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new RemotingError("the Hessian client is closed", ErrorCodes.ERR_CLOSED));
    let body: Buffer;
    try {
      body = encodeCall(method, args, this.version, this.encodeOptions);
    } catch (err) {
      return Promise.reject(err);
    }
    const p = this.post(method, body, options);
    if (options.oneway) {
      p.catch((err: unknown) => log.debug("oneway call '%s' failed: %s", method, err));
      return Promise.resolve(undefined);
    }
    return p;
  }

  private request(body: Buffer, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    return this.transport.request(
      {
        hostname: this.hostname,
        port: this.port,
        path: this.path,
        method: "POST",
        agent: this.agent,
        headers: [...this.headerList, "Content-Length", String(body.length)],
      },
      onResponse,
    );
  }

  private post(method: string, body: Buffer, options: CallOptions): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      new PendingCall(this, method, body, options, resolve, reject).start();
    });
  }

  /** @internal Used by PendingCall. */
  get [kInternals](): ClientInternals {
    return this as unknown as ClientInternals;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.pending) r.destroy(new ConnectionClosedError("the Hessian client was closed"));
    this.pending.clear();
    this.agent.destroy();
    this.pool?.close();
  }
}

/** What a PendingCall reads from its client (private members, seen from this module only). */
interface ClientInternals {
  readonly options: HessianClientOptions;
  readonly pending: Set<{ destroy(err?: Error): void }>;
  readonly pool: Http1Pool | undefined;
  requestBytes(body: Buffer): Buffer;
  readonly where: string;
  readonly decodeOptions: DecodeOptions;
  request(body: Buffer, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest;
}

/**
 * One call in flight: the request, its timer and the reply being read. A
 * class rather than closures made per call, so a call allocates little.
 */
class PendingCall implements Http1Callbacks {
  private settled = false;
  private timer: NodeJS.Timeout | undefined = undefined;
  private gotResponse = false;
  private retried = false;
  private req: { destroy(err?: Error): void; reusedSocket?: boolean } | undefined = undefined;
  private readonly client: ClientInternals;
  private readonly maxReply: number;
  private first: Buffer | undefined = undefined;
  private chunks: Buffer[] | undefined = undefined;
  private size = 0;
  private deflate = false;
  private readonly onAbortListener: (() => void) | undefined;

  constructor(
    client: HessianClient,
    private readonly method: string,
    private readonly body: Buffer,
    private readonly options: CallOptions,
    private readonly resolve: (v: unknown) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    this.client = client[kInternals];
    this.maxReply = this.client.options.maxReplySize ?? DEFAULT_MAX_REPLY_SIZE;
    this.onAbortListener = options.signal ? () => this.onAbort() : undefined;
  }

  start(): void {
    const options = this.options;
    this.send();
    if (options.signal) {
      if (options.signal.aborted) return this.onAbort();
      options.signal.addEventListener("abort", this.onAbortListener!, { once: true });
    }
    const timeoutMs = options.timeoutMs ?? this.client.options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      this.timer = setTimeout(() => this.finish(new TimeoutError(`Hessian call '${this.method}' to ${this.client.where} timed out after ${timeoutMs} ms`, timeoutMs)), timeoutMs);
    }
  }

  private send(fresh = false): void {
    const pool = this.client.pool;
    if (pool !== undefined) {
      const ex = pool.send(this.client.requestBytes(this.body), this.maxReply, this, fresh);
      this.req = ex;
      this.client.pending.add(ex);
      return;
    }
    const req = this.client.request(this.body, (res) => this.onResponse(res));
    this.req = req;
    this.client.pending.add(req);
    req.on("error", (err) => this.onRequestError(err));
    req.end(this.body);
  }

  /** Http1Callbacks: the pool's reply. */
  onReply(reply: Http1Reply): void {
    this.gotResponse = true;
    this.reply(reply.status, reply.statusText, reply.deflate, reply.body);
  }

  /** Http1Callbacks: the pool's error. */
  onError(err: Error, retryable: boolean): void {
    if (!this.settled && retryable && !this.retried) {
      this.retried = true;
      if (this.req) this.client.pending.delete(this.req);
      this.send(true);
      return;
    }
    this.finish(networkError(err, this.client.where));
  }

  private onRequestError(err: Error): void {
    // A kept-alive socket the server closed while idle: the request never reached it; retry once on a new socket.
    if (!this.settled && !this.gotResponse && !this.retried && this.req?.reusedSocket && (err as { code?: string }).code === "ECONNRESET") {
      this.retried = true;
      this.client.pending.delete(this.req);
      this.send();
      return;
    }
    this.finish(networkError(err, this.client.where));
  }

  private onAbort(): void {
    this.finish(new RemotingError(`call '${this.method}' aborted`, ErrorCodes.ERR_CLOSED, { cause: this.options.signal?.reason }));
  }

  private onResponse(res: http.IncomingMessage): void {
    this.gotResponse = true;
    const info = replyHeaders(res.rawHeaders);
    if (info.length > this.maxReply) {
      res.destroy();
      return this.finish(new MessageTooLargeError(info.length, this.maxReply, "Hessian reply"));
    }
    this.deflate = info.deflate;
    res.on("data", (c: Buffer) => this.onData(res, c));
    res.on("error", (err) => this.finish(networkError(err, this.client.where)));
    res.on("aborted", () => this.finish(new ConnectionClosedError(`${this.client.where}: the reply was cut short`)));
    res.on("end", () => this.onEnd(res));
  }

  private onData(res: http.IncomingMessage, c: Buffer): void {
    this.size += c.length;
    if (this.size > this.maxReply) {
      res.destroy();
      this.finish(new MessageTooLargeError(this.size, this.maxReply, "Hessian reply"));
      return;
    }
    if (this.first === undefined) this.first = c;
    else (this.chunks ??= [this.first]).push(c);
  }

  private onEnd(res: http.IncomingMessage): void {
    if (this.settled) return;
    const data = this.chunks !== undefined ? Buffer.concat(this.chunks, this.size) : (this.first ?? Buffer.alloc(0));
    this.reply(res.statusCode ?? 0, res.statusMessage ?? "", this.deflate, data);
  }

  private reply(status: number, statusText: string, deflate: boolean, data: Buffer): void {
    if (this.settled) return;
    const where = this.client.where;
    if (status !== 200) {
      const text = data.subarray(0, 200).toString("utf8").replace(/\s+/g, " ").trim();
      return this.finish(new ProtocolError(`${where}: HTTP ${status} ${statusText}${text ? `: ${text}` : ""}`.trim()));
    }
    try {
      if (deflate) data = inflateRawSync(data, { maxOutputLength: this.maxReply });
      const reply = decodeReply(data, this.client.decodeOptions);
      if (reply.fault) this.finish(faultToError(reply));
      else this.finish(undefined, reply.value);
    } catch (err) {
      this.finish(err instanceof RemotingError ? err : new ProtocolError(`${where}: bad Hessian reply to '${this.method}': ${errorMessage(err)}`, ErrorCodes.ERR_PROTOCOL, { cause: err }));
    }
  }

  private finish(err: unknown, value?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.onAbortListener) this.options.signal?.removeEventListener("abort", this.onAbortListener);
    const req = this.req;
    if (req) this.client.pending.delete(req);
    if (err !== undefined) {
      req?.destroy();
      this.reject(err);
    } else this.resolve(value);
  }
}
