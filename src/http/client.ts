/**
 * The one HTTP/1.1 client transport of the HTTP-based protocols (Hessian,
 * XML-RPC): a POST per call over a pool of keep-alive connections, plain or
 * TLS (settings from core/tls), with the core's deadlines and abort.
 *
 * It does only what a remoting call needs, which costs far less per call
 * than node:http's general client: a request with a known length, written
 * in one piece; a reply with Content-Length, chunked, or read to the end of
 * the connection; gzip or deflate bodies inflated within the body limit.
 *
 * Rules:
 * - Deadline and abort: one DeadlineQueue per client watches every request.
 *   A request that times out or is aborted loses its connection (it cannot
 *   be reused mid-reply). While waiting for a connection the phase is
 *   `connect`; once the request was written, `reply`.
 * - Stale connections (the one rule): an idle connection is dropped from the
 *   pool as soon as the server closes it, and after `idleTimeoutMs` of
 *   idleness (default 4 s, below the usual 5 s server keep-alive), so a
 *   request is rarely written to a dying connection. When it is anyway (the
 *   connection closes before any reply byte), the request is NOT re-sent:
 *   it fails with phase `send` (it may have reached the server), and the
 *   call policies decide (a retry only for idempotent methods).
 * - TLS refusals: a fresh TLS connection that the server closes after the
 *   handshake without answering is a SecurityError (TLS 1.3 servers refuse a
 *   client certificate that way, after the client finished its handshake).
 * - Limits: the reply head must fit in 64 KiB; the body in `maxBodyBytes`
 *   (checked against Content-Length before reading, and while inflating).
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { gunzipSync, inflateSync, inflateRawSync } from "node:zlib";
import { CommunicationError, ConfigError, ConnectionClosedError, ErrorCodes, MessageTooLargeError, ProtocolError, RemotingError, SecurityError, errorMessage, networkError, type CallPhase } from "../core/errors.js";
import { DeadlineQueue, abortError, timeoutError } from "../core/deadline.js";
import { clientTlsOptions, type TlsSettings } from "../core/tls.js";

/** Largest reply head (status line and headers) accepted: 64 KiB. */
export const MAX_HEAD = 64 * 1024;
/** Idle keep-alive connections are closed after this long by default (below the usual 5 s of servers). */
export const DEFAULT_IDLE_TIMEOUT_MS = 4000;
export const DEFAULT_MAX_SOCKETS = 16;

export interface HttpClientOptions {
  /** The service URL (http: or https:); its host and port are the pool's. */
  url: URL;
  /** For https: the TLS settings (core/tls). */
  tls?: TlsSettings | undefined;
  /** Reuse connections (default true). */
  keepAlive?: boolean | undefined;
  /** Most connections open at once (default 16); more requests wait their turn. */
  maxSockets?: number | undefined;
  /** Close an idle connection after this long, in ms (default 4000). */
  idleTimeoutMs?: number | undefined;
  /** Largest reply body, after inflating, in bytes. */
  maxBodyBytes: number;
  /** Headers sent with every request (Host is added unless given; Content-Length never). */
  headers?: ReadonlyArray<readonly [string, string]> | undefined;
  /** For messages: how to name the service. */
  where?: string | undefined;
}

export interface HttpRequest {
  /** Path and query. */
  path: string;
  /** The request body (a string is sent as UTF-8). */
  body: Buffer | string;
  /** Per-request headers (trace context, metadata). */
  headers?: ReadonlyArray<readonly [string, string]> | undefined;
  /** Absolute deadline (`Date.now()` ms), Infinity for none. */
  deadline: number;
  /** The time limit the deadline came from, for messages. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Resolve as soon as the request is written (oneway): the reply is read and dropped. */
  oneway?: boolean | undefined;
  /** For messages: what is being called. */
  what?: string | undefined;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  httpVersion: string;
  /** Raw headers: [name, value, name, value, ...]. */
  rawHeaders: readonly string[];
  /** The body, inflated when the server sent gzip or deflate. */
  body: Buffer;
}

/**
 * The error of a reply that is not 200 OK, the same for every HTTP protocol:
 * 404 (nothing is served at that path) and 503 (the server is not serving)
 * are CommunicationErrors of phase `connect` (the call did not run: a retry
 * or a high-availability pool may send it elsewhere); any other status is a
 * ProtocolError of phase `reply` (the server may have run the call), with
 * the start of the body in the message.
 */
export function statusError(res: HttpResponse, where: string): CommunicationError {
  const text = res.body.subarray(0, 200).toString("utf8").replace(/\s+/g, " ").trim();
  const what = `${where}: HTTP ${res.status} ${res.statusText}${text ? `: ${text}` : ""}`.trim();
  if (res.status === 404) return new CommunicationError(what, ErrorCodes.ERR_SERVICE_NOT_FOUND, { phase: "connect" });
  if (res.status === 503) return new CommunicationError(what, ErrorCodes.ERR_COMMUNICATION, { phase: "connect" });
  return new ProtocolError(what, ErrorCodes.ERR_PROTOCOL, { phase: "reply" });
}

/** A header's value from raw headers (the last one when repeated), or undefined. */
export function headerValue(raw: readonly string[], name: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) out = raw[i + 1];
  return out;
}

/** Checks a header name and value for a hand-written request head. */
export function checkHeader(name: string, value: string): void {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new ConfigError(`invalid HTTP header name '${name}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw new ConfigError(`invalid characters in the value of HTTP header '${name}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");

const enum Body {
  Length,
  Chunked,
  UntilClose,
}

const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailer,
}

/** One request: queued, then on a connection, then settled. */
class Exchange {
  settled = false;
  written = false;
  conn: Connection | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly client: HttpClient,
    readonly bytes: Buffer,
    readonly req: HttpRequest,
    readonly resolve: (r: HttpResponse) => void,
    readonly reject: (e: unknown) => void,
  ) {}

  get deadline(): number {
    return this.req.deadline;
  }

  get phase(): CallPhase {
    return this.written ? "reply" : "connect";
  }

  what(): string {
    return this.req.what ?? `request to ${this.client.where}`;
  }

  settle(err: unknown, res?: HttpResponse): void {
    if (this.settled) return;
    this.settled = true;
    this.client.forgetExchange(this);
    if (err !== undefined) this.reject(err);
    else this.resolve(res!);
  }
}

class Connection {
  readonly socket: Socket;
  exchange: Exchange | undefined = undefined;
  /** Requests completed on this connection. */
  uses = 0;
  closed = false;
  /** The TLS handshake completed (or the connection is plain). */
  secured: boolean;
  private idleTimer: NodeJS.Timeout | undefined = undefined;
  // reply parser state
  /** The pieces of a reply head received so far (undefined: none), their size, and their last 3 bytes. */
  private head: Buffer[] | undefined = undefined;
  private headSize = 0;
  private headTail: Buffer = Buffer.alloc(0);
  private inBody = false;
  private got = false;
  private status = 0;
  private statusText = "";
  private httpVersion = "1.1";
  private rawHeaders: string[] = [];
  private encoding: "gzip" | "deflate" | undefined = undefined;
  private keepAlive = true;
  private mode: Body = Body.Length;
  private remaining = 0;
  private chunkState: Chunk = Chunk.Size;
  private line = "";
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly client: HttpClient) {
    const host = client.host;
    const port = client.port;
    if (client.tlsSettings) {
      const s = tlsConnect({ ...clientTlsOptions(client.tlsSettings, host), host, port });
      this.secured = false;
      s.once("secureConnect", () => {
        this.secured = true;
        this.flushPending();
      });
      this.socket = s;
    } else {
      this.socket = netConnect({ host, port });
      this.secured = true;
    }
    this.socket.setNoDelay(true);
    this.socket.on("data", (d: Buffer) => this.onData(d));
    this.socket.on("error", (err) => this.onClose(err));
    this.socket.on("close", () => this.onClose(undefined));
    this.socket.on("end", () => this.onEnd());
  }

  private pendingWrite: Buffer | undefined = undefined;

  start(ex: Exchange): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    this.exchange = ex;
    ex.conn = this;
    this.head = undefined;
    this.inBody = false;
    this.got = false;
    this.parts = [];
    this.size = 0;
    this.rawHeaders = [];
    this.socket.ref();
    if (this.client.tlsSettings && !this.secured) {
      // written once the handshake is done: until then a failure is a connect-phase one
      this.pendingWrite = ex.bytes;
      return;
    }
    this.write(ex);
  }

  private flushPending(): void {
    const b = this.pendingWrite;
    const ex = this.exchange;
    this.pendingWrite = undefined;
    if (b && ex && !ex.settled) this.write(ex);
  }

  private write(ex: Exchange): void {
    ex.written = true;
    this.socket.write(ex.bytes);
    if (ex.req.oneway) ex.settle(undefined, ONEWAY_RESPONSE);
  }

  idle(): void {
    this.exchange = undefined;
    this.socket.unref();
    const ms = this.client.idleTimeoutMs;
    if (ms > 0 && Number.isFinite(ms)) {
      this.idleTimer = setTimeout(() => this.destroy(), ms);
      this.idleTimer.unref();
    }
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.client.forget(this);
    this.socket.destroy();
  }

  /** The exchange on this connection failed: drop the connection, report `err`. */
  fail(err: unknown): void {
    const ex = this.exchange;
    this.exchange = undefined;
    this.destroy();
    if (ex && !ex.settled) ex.settle(err);
  }

  private onEnd(): void {
    if (this.exchange && this.inBody && this.mode === Body.UntilClose) {
      this.finish();
      return;
    }
    this.onClose(undefined);
  }

  /** The connection closed or failed. Idle: it just leaves the pool. With a request on it: see the module's rules. */
  private onClose(err: Error | undefined): void {
    const ex = this.exchange;
    if (!ex || ex.settled) {
      this.destroy();
      return;
    }
    const where = this.client.where;
    if (!ex.written) {
      // refused, reset or TLS refused before anything was written: it cannot have run
      this.fail(networkError(err ?? Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), where, "connect"));
      return;
    }
    if (!this.got) {
      if (this.client.tlsSettings && this.uses === 0) {
        this.fail(
          new SecurityError(
            `the server at ${where} closed the TLS connection right after the handshake without answering: it refused this client ` +
              (this.client.tlsSettings.key !== undefined
                ? "(its certificate is probably not trusted there, or its subject fields do not match the server's verifyFields)"
                : "(it probably requires a client certificate)") +
              "; the server log has the reason",
            { cause: err, phase: "send" },
          ),
        );
        return;
      }
      const e = err ? networkError(err, where, "send") : new ConnectionClosedError(`connection to ${where} closed before any reply${this.uses > 0 ? " (a kept-alive connection the server closed)" : ""}`, { phase: "send" });
      this.fail(e);
      return;
    }
    this.fail(err ? networkError(err, where, "reply") : new ConnectionClosedError(`${where}: the connection closed before the whole reply arrived`, { phase: "reply" }));
  }

  private onData(d: Buffer): void {
    const ex = this.exchange;
    if (!ex) {
      // bytes while idle: the server is not speaking HTTP/1.1 request/response
      this.destroy();
      return;
    }
    this.got = true;
    if (!this.inBody) {
      // A head arriving in pieces is searched only where a new piece can complete it (with the last
      // 3 bytes held), and joined once: a server sending it a byte at a time costs linear time.
      let buf = d;
      let end: number;
      const head = this.head;
      if (head === undefined) end = d.indexOf(CRLFCRLF);
      else {
        const probe = Buffer.concat([this.headTail, d]);
        const at = probe.indexOf(CRLFCRLF);
        end = at < 0 ? -1 : this.headSize - this.headTail.length + at;
        if (end < 0) {
          if (this.headSize + d.length > MAX_HEAD) return this.fail(new ProtocolError(`${this.client.where}: HTTP reply head larger than ${MAX_HEAD} bytes`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
          head.push(d);
          this.headSize += d.length;
          this.headTail = Buffer.from(probe.subarray(Math.max(0, probe.length - 3)));
          return;
        }
        buf = Buffer.concat([...head, d], this.headSize + d.length);
      }
      if (end < 0) {
        if (d.length > MAX_HEAD) return this.fail(new ProtocolError(`${this.client.where}: HTTP reply head larger than ${MAX_HEAD} bytes`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
        this.head = [d];
        this.headSize = d.length;
        this.headTail = Buffer.from(d.subarray(Math.max(0, d.length - 3)));
        return;
      }
      this.head = undefined;
      this.headSize = 0;
      if (!this.parseHead(buf.toString("latin1", 0, end))) return;
      d = buf.subarray(end + 4);
      if (this.status < 200) {
        // an interim reply (100 Continue): the real one follows
        this.rawHeaders = [];
        if (d.length) this.onData(d);
        return;
      }
      this.inBody = true;
      if (this.mode === Body.Length && this.remaining === 0) {
        if (d.length) return this.fail(new ProtocolError(`${this.client.where}: unexpected bytes after the HTTP reply`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
        return this.finish();
      }
    }
    this.onBody(d);
  }

  /** Parses the status line and headers; false when the exchange failed. */
  private parseHead(text: string): boolean {
    const where = this.client.where;
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
    if (!m) {
      this.fail(new ProtocolError(`${where}: not an HTTP/1.x reply`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
      return false;
    }
    this.status = Number(m[2]);
    this.statusText = m[3] ?? "";
    this.httpVersion = `1.${m[1]}`;
    let keepAlive = m[1] === "1" && this.client.keepAlive;
    let length = -1;
    let chunked = false;
    this.encoding = undefined;
    const raw: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      const c = l.indexOf(":");
      if (c <= 0) continue;
      const rawName = l.slice(0, c).trim();
      const name = rawName.toLowerCase();
      const value = l.slice(c + 1).trim();
      raw.push(rawName, value);
      if (name === "content-length") {
        if (!/^\d+$/.test(value) || (length >= 0 && Number(value) !== length)) {
          this.fail(new ProtocolError(`${where}: bad Content-Length '${value}'`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
          return false;
        }
        length = Number(value);
      } else if (name === "transfer-encoding") chunked = value.toLowerCase().split(",").map((s) => s.trim()).includes("chunked");
      else if (name === "connection") {
        const v = value.toLowerCase();
        if (v.includes("close")) keepAlive = false;
        else if (v.includes("keep-alive") && m[1] === "0" && this.client.keepAlive) keepAlive = true;
      } else if (name === "content-encoding") {
        const v = value.toLowerCase();
        if (v === "gzip" || v === "x-gzip") this.encoding = "gzip";
        else if (v === "deflate") this.encoding = "deflate";
        else if (v !== "identity" && v !== "") {
          this.fail(new ProtocolError(`${where}: unsupported Content-Encoding '${value}'`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
          return false;
        }
      }
    }
    this.rawHeaders = raw;
    this.keepAlive = keepAlive;
    const max = this.client.maxBodyBytes;
    if (this.status < 200) return true;
    if (this.status === 204 || this.status === 304) {
      this.mode = Body.Length;
      this.remaining = 0;
    } else if (chunked) {
      this.mode = Body.Chunked;
      this.chunkState = Chunk.Size;
      this.line = "";
    } else if (length >= 0) {
      if (length > max) {
        this.fail(withReplyPhase(new MessageTooLargeError(length, max, "HTTP reply")));
        return false;
      }
      this.mode = Body.Length;
      this.remaining = length;
    } else {
      this.mode = Body.UntilClose;
      this.keepAlive = false;
    }
    return true;
  }

  private add(b: Buffer): boolean {
    this.size += b.length;
    const max = this.client.maxBodyBytes;
    if (this.size > max) {
      this.fail(withReplyPhase(new MessageTooLargeError(this.size, max, "HTTP reply")));
      return false;
    }
    if (b.length) this.parts.push(b);
    return true;
  }

  private onBody(d: Buffer): void {
    const where = this.client.where;
    if (this.mode === Body.Length) {
      if (d.length > this.remaining) return this.fail(new ProtocolError(`${where}: unexpected bytes after the HTTP reply`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
      if (!this.add(d)) return;
      this.remaining -= d.length;
      if (this.remaining === 0) this.finish();
      return;
    }
    if (this.mode === Body.UntilClose) {
      this.add(d);
      return;
    }
    let p = 0;
    while (p < d.length && this.exchange) {
      switch (this.chunkState) {
        case Chunk.Size:
        case Chunk.Trailer: {
          const nl = d.indexOf(10, p);
          const part = d.toString("latin1", p, nl < 0 ? d.length : nl);
          if (this.line.length + part.length > 8192) return this.fail(new ProtocolError(`${where}: bad chunked encoding`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
          this.line += part;
          if (nl < 0) return;
          p = nl + 1;
          const line = this.line.replace(/\r$/, "");
          this.line = "";
          if (this.chunkState === Chunk.Trailer) {
            if (line === "") return p < d.length ? this.fail(new ProtocolError(`${where}: unexpected bytes after the HTTP reply`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" })) : this.finish();
            continue;
          }
          const hex = /^([0-9a-fA-F]{1,8})(?:;.*)?$/.exec(line.trim());
          if (!hex) return this.fail(new ProtocolError(`${where}: bad chunk size '${line.slice(0, 20)}'`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
          const n = parseInt(hex[1]!, 16);
          if (n === 0) this.chunkState = Chunk.Trailer;
          else {
            if (this.size + n > this.client.maxBodyBytes) return this.fail(withReplyPhase(new MessageTooLargeError(this.size + n, this.client.maxBodyBytes, "HTTP reply")));
            this.remaining = n;
            this.chunkState = Chunk.Data;
          }
          break;
        }
        case Chunk.Data: {
          const take = Math.min(this.remaining, d.length - p);
          if (!this.add(d.subarray(p, p + take))) return;
          p += take;
          this.remaining -= take;
          if (this.remaining === 0) this.chunkState = Chunk.DataEnd;
          break;
        }
        case Chunk.DataEnd: {
          const nl = d.indexOf(10, p);
          if (nl < 0) return;
          p = nl + 1;
          this.chunkState = Chunk.Size;
          break;
        }
      }
    }
  }

  private finish(): void {
    const ex = this.exchange!;
    this.exchange = undefined;
    this.uses++;
    let body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    if (this.keepAlive && !this.closed) this.client.release(this);
    else this.destroy();
    if (ex.settled) return;
    if (this.encoding !== undefined && body.length > 0) {
      try {
        const max = this.client.maxBodyBytes;
        body =
          this.encoding === "gzip"
            ? gunzipSync(body, { maxOutputLength: max })
            : body[0] !== undefined && (body[0] & 0x0f) === 8 && ((body[0] << 8) | (body[1] ?? 0)) % 31 === 0
              ? inflateSync(body, { maxOutputLength: max })
              : inflateRawSync(body, { maxOutputLength: max });
      } catch (err) {
        const code = (err as { code?: string }).code;
        ex.settle(
          code === "ERR_BUFFER_TOO_LARGE"
            ? withReplyPhase(new MessageTooLargeError(this.client.maxBodyBytes + 1, this.client.maxBodyBytes, "inflated HTTP reply"))
            : new ProtocolError(`${this.client.where}: cannot inflate the ${this.encoding} reply: ${errorMessage(err)}`, ErrorCodes.ERR_PROTOCOL, { cause: err, phase: "reply" }),
        );
        return;
      }
    }
    ex.settle(undefined, { status: this.status, statusText: this.statusText, httpVersion: this.httpVersion, rawHeaders: this.rawHeaders, body });
  }
}

function withReplyPhase<E extends RemotingError>(e: E): E {
  (e as unknown as { phase?: CallPhase }).phase = "reply";
  return e;
}

const ONEWAY_RESPONSE: HttpResponse = Object.freeze({ status: 0, statusText: "", httpVersion: "1.1", rawHeaders: Object.freeze([]) as readonly string[], body: Buffer.alloc(0) });

function onExpired(ex: Exchange): void {
  const conn = ex.conn;
  const err = timeoutError(ex.what(), ex.req.timeoutMs, ex.phase);
  if (conn && conn.exchange === ex) conn.fail(err);
  else ex.settle(err);
}

/** Keep-alive connections to one origin, with a queue when all are busy. */
export class HttpClient {
  readonly options: HttpClientOptions;
  readonly host: string;
  readonly port: number;
  readonly where: string;
  readonly tlsSettings: TlsSettings | undefined;
  readonly keepAlive: boolean;
  readonly maxSockets: number;
  readonly idleTimeoutMs: number;
  readonly maxBodyBytes: number;
  private readonly idleConns: Connection[] = [];
  private readonly busy = new Set<Connection>();
  private readonly queue: Exchange[] = [];
  private readonly inflight = new DeadlineQueue<Exchange>(onExpired);
  private readonly headPrefix: string;
  private closed = false;

  constructor(options: HttpClientOptions) {
    const u = options.url;
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new ConfigError(`unsupported URL scheme '${u.protocol}' (use http: or https:)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    if (u.protocol === "https:" && !options.tls) throw new ConfigError("an https: URL needs TLS settings", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    this.options = options;
    this.host = u.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
    this.where = options.where ?? `${u.protocol}//${u.host}${u.pathname}`;
    this.tlsSettings = u.protocol === "https:" ? options.tls : undefined;
    this.keepAlive = options.keepAlive ?? true;
    this.maxSockets = Math.max(1, options.maxSockets ?? DEFAULT_MAX_SOCKETS);
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes;
    const headers = new Map<string, [string, string]>();
    for (const [k, v] of options.headers ?? []) {
      checkHeader(k, v);
      headers.set(k.toLowerCase(), [k, v]);
    }
    headers.delete("content-length");
    headers.delete("connection");
    if (!headers.has("host")) headers.set("host", ["Host", u.host]);
    let head = "";
    for (const [k, v] of headers.values()) head += `${k}: ${v}\r\n`;
    this.headPrefix = head + (this.keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  }

  /** The request head as verbose mode prints it. */
  head(path: string, length: number, extra?: ReadonlyArray<readonly [string, string]>): string {
    let h = `POST ${path} HTTP/1.1\r\n${this.headPrefix}`;
    for (const [k, v] of extra ?? []) h += `${k}: ${v}\r\n`;
    return `${h}Content-Length: ${length}\r\n`;
  }

  private encode(req: HttpRequest): Buffer {
    const bodyLength = typeof req.body === "string" ? Buffer.byteLength(req.body, "utf8") : req.body.length;
    if (req.headers) for (const [k, v] of req.headers) checkHeader(k, v);
    const head = `${this.head(req.path, bodyLength, req.headers)}\r\n`;
    const out = Buffer.allocUnsafe(head.length + bodyLength);
    out.write(head, 0, "latin1");
    if (typeof req.body === "string") out.write(req.body, head.length, "utf8");
    else req.body.copy(out, head.length);
    return out;
  }

  /** Sends one POST; resolves with the reply (any status), or at once after writing when oneway. */
  request(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed) return Promise.reject(new RemotingError(`the client of ${this.where} is closed`, ErrorCodes.ERR_CLOSED));
    const what = req.what ?? `request to ${this.where}`;
    if (req.signal?.aborted) return Promise.reject(abortError(req.signal, what, "connect"));
    if (req.deadline <= Date.now()) return Promise.reject(timeoutError(what, req.timeoutMs, "connect"));
    let bytes: Buffer;
    try {
      bytes = this.encode(req);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<HttpResponse>((resolve, reject) => {
      const ex = new Exchange(this, bytes, req, resolve, reject);
      if (req.deadline !== Infinity) this.inflight.add(ex);
      const signal = req.signal;
      if (signal) {
        ex.onAbort = () => {
          const err = abortError(signal, what, ex.phase);
          const conn = ex.conn;
          if (conn && conn.exchange === ex) conn.fail(err);
          else ex.settle(err);
        };
        signal.addEventListener("abort", ex.onAbort, { once: true });
      }
      this.assign(ex);
    });
  }

  private assign(ex: Exchange): void {
    let conn: Connection | undefined;
    while ((conn = this.idleConns.pop()) !== undefined) {
      if (!conn.closed && !conn.socket.destroyed && !conn.socket.readableEnded) break;
      conn.destroy();
    }
    if (conn === undefined && this.busy.size < this.maxSockets) conn = new Connection(this);
    if (conn === undefined) {
      this.queue.push(ex);
      return;
    }
    this.busy.add(conn);
    conn.start(ex);
  }

  /** @internal An exchange settled: stop watching it. */
  forgetExchange(ex: Exchange): void {
    if (ex.req.deadline !== Infinity) this.inflight.delete(ex);
    if (ex.onAbort) ex.req.signal?.removeEventListener("abort", ex.onAbort);
    const i = this.queue.indexOf(ex);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** @internal A connection finished its exchange and may be reused. */
  release(conn: Connection): void {
    this.busy.delete(conn);
    const next = this.queue.shift();
    if (next) {
      this.busy.add(conn);
      conn.start(next);
      return;
    }
    conn.idle();
    this.idleConns.push(conn);
  }

  /** @internal A connection closed. */
  forget(conn: Connection): void {
    this.busy.delete(conn);
    const i = this.idleConns.indexOf(conn);
    if (i >= 0) this.idleConns.splice(i, 1);
    const next = this.queue.shift();
    if (next && !this.closed) this.assign(next);
  }

  /** Open connections (busy and idle). */
  get connectionCount(): number {
    return this.busy.size + this.idleConns.length;
  }

  /** Closes every connection; requests in flight fail with ConnectionClosedError. */
  close(): void {
    this.closed = true;
    const queued = this.queue.splice(0);
    for (const c of [...this.idleConns, ...this.busy]) c.fail(new ConnectionClosedError(`the client of ${this.where} was closed`));
    for (const ex of queued) ex.settle(new ConnectionClosedError(`the client of ${this.where} was closed`, { phase: "connect" }));
    this.inflight.clear();
  }
}

