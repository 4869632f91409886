/**
 * A small HTTP/1.1 client for plain `http:` Hessian calls: one POST per call
 * over a pool of keep-alive TCP connections. It does only what a Hessian call
 * needs (a request with a known length; a reply with Content-Length, chunked,
 * or read to the end of the connection) and so costs far less per call than
 * node:http's general client. `https:` calls keep using node:https.
 *
 * Limits: the reply head must fit in MAX_HEAD bytes; the body is bounded by
 * the caller's maxBody (checked against Content-Length before reading it).
 */
import { connect, type Socket } from "node:net";
import { ConfigError, ConnectionClosedError, ErrorCodes, MessageTooLargeError, ProtocolError } from "../../core/errors.js";

/** Largest reply head (status line and headers) accepted: 64 KiB. */
export const MAX_HEAD = 64 * 1024;

export interface Http1Reply {
  status: number;
  statusText: string;
  /** Content-Encoding: deflate. */
  deflate: boolean;
  body: Buffer;
}

export interface Http1Callbacks {
  onReply(reply: Http1Reply): void;
  /** `retryable`: the connection was reused and dropped before any reply byte (the server closed it while idle). */
  onError(err: Error, retryable: boolean): void;
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

/** One request on one connection. */
export class Http1Exchange {
  done = false;
  conn: Http1Connection | undefined = undefined;
  constructor(
    readonly pool: Http1Pool,
    readonly request: Buffer,
    readonly maxBody: number,
    readonly callbacks: Http1Callbacks,
  ) {}

  /** Abandons the exchange (its connection is closed: it cannot be reused mid-reply); with `err`, reports it. */
  destroy(err?: Error): void {
    if (this.done) return;
    this.done = true;
    if (this.conn) this.conn.destroy();
    else this.pool.dequeue(this);
    if (err) this.callbacks.onError(err, false);
  }
}

class Http1Connection {
  readonly socket: Socket;
  exchange: Http1Exchange | undefined = undefined;
  /** Requests completed on this connection. */
  uses = 0;
  private closed = false;
  // Reply parser state.
  private head: Buffer | undefined = undefined;
  private inBody = false;
  private got = false;
  private status = 0;
  private statusText = "";
  private deflate = false;
  private keepAlive = true;
  private mode: Body = Body.Length;
  private remaining = 0;
  private chunkState: Chunk = Chunk.Size;
  private line = "";
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly pool: Http1Pool,
    host: string,
    port: number,
  ) {
    const socket = connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("error", (err) => this.onClose(err));
    socket.on("close", () => this.onClose(undefined));
    socket.on("end", () => this.onEnd());
  }

  start(ex: Http1Exchange): void {
    this.exchange = ex;
    ex.conn = this;
    this.head = undefined;
    this.inBody = false;
    this.got = false;
    this.parts = [];
    this.size = 0;
    this.socket.ref();
    this.socket.write(ex.request);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    this.socket.destroy();
  }

  private fail(err: Error, retryable = false): void {
    const ex = this.exchange;
    this.exchange = undefined;
    this.destroy();
    if (ex && !ex.done) {
      ex.done = true;
      ex.callbacks.onError(err, retryable);
    }
  }

  private onEnd(): void {
    if (this.exchange && this.inBody && this.mode === Body.UntilClose) {
      this.finish();
      return;
    }
    this.onClose(undefined);
  }

  private onClose(err: Error | undefined): void {
    if (this.exchange) {
      const retryable = !this.got && this.uses > 0;
      if (err) this.fail(err, retryable && (err as { code?: string }).code !== "ECONNREFUSED");
      else if (!this.got && this.uses > 0) this.fail(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), true);
      else this.fail(new ConnectionClosedError(`${this.pool.where}: the connection closed before the whole reply arrived`));
      return;
    }
    this.destroy();
  }

  private onData(d: Buffer): void {
    if (!this.exchange) {
      // Bytes while idle: the server is not speaking HTTP/1.1 request/response.
      this.destroy();
      return;
    }
    this.got = true;
    if (!this.inBody) {
      const buf = this.head ? Buffer.concat([this.head, d]) : d;
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD) return this.fail(new ProtocolError(`${this.pool.where}: HTTP reply head larger than ${MAX_HEAD} bytes`));
        this.head = buf;
        return;
      }
      this.head = undefined;
      if (!this.parseHead(buf.toString("latin1", 0, end))) return;
      if (this.exchange === undefined) return;
      d = buf.subarray(end + 4);
      if (this.status < 200) {
        // An interim reply (100 Continue): the real one follows.
        if (d.length) this.onData(d);
        return;
      }
      this.inBody = true;
      if (this.mode === Body.Length && this.remaining === 0) {
        if (d.length) return this.fail(new ProtocolError(`${this.pool.where}: unexpected bytes after the HTTP reply`));
        return this.finish();
      }
    }
    this.onBody(d);
  }

  /** Parses the status line and headers; false when the exchange failed. */
  private parseHead(text: string): boolean {
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
    if (!m) {
      this.fail(new ProtocolError(`${this.pool.where}: not an HTTP/1.x reply`));
      return false;
    }
    this.status = Number(m[2]);
    this.statusText = m[3] ?? "";
    let keepAlive = m[1] === "1" && this.pool.keepAlive;
    let length = -1;
    let chunked = false;
    this.deflate = false;
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      const c = l.indexOf(":");
      if (c <= 0) continue;
      const name = l.slice(0, c).trim().toLowerCase();
      const value = l.slice(c + 1).trim();
      if (name === "content-length") {
        if (!/^\d+$/.test(value) || (length >= 0 && Number(value) !== length)) {
          this.fail(new ProtocolError(`${this.pool.where}: bad Content-Length '${value}'`));
          return false;
        }
        length = Number(value);
      } else if (name === "transfer-encoding") chunked = value.toLowerCase().split(",").map((s) => s.trim()).includes("chunked");
      else if (name === "connection") {
        const v = value.toLowerCase();
        if (v.includes("close")) keepAlive = false;
        else if (v.includes("keep-alive") && m[1] === "0" && this.pool.keepAlive) keepAlive = true;
      } else if (name === "content-encoding") this.deflate = value.toLowerCase() === "deflate";
    }
    this.keepAlive = keepAlive;
    const ex = this.exchange!;
    if (this.status < 200) return true;
    if (this.status === 204 || this.status === 304) {
      this.mode = Body.Length;
      this.remaining = 0;
    } else if (chunked) {
      this.mode = Body.Chunked;
      this.chunkState = Chunk.Size;
      this.line = "";
    } else if (length >= 0) {
      if (length > ex.maxBody) {
        this.fail(new MessageTooLargeError(length, ex.maxBody, "Hessian reply"));
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
    const ex = this.exchange!;
    if (this.size > ex.maxBody) {
      this.fail(new MessageTooLargeError(this.size, ex.maxBody, "Hessian reply"));
      return false;
    }
    if (b.length) this.parts.push(b);
    return true;
  }

  private onBody(d: Buffer): void {
    if (this.mode === Body.Length) {
      if (d.length > this.remaining) return this.fail(new ProtocolError(`${this.pool.where}: unexpected bytes after the HTTP reply`));
      if (!this.add(d)) return;
      this.remaining -= d.length;
      if (this.remaining === 0) this.finish();
      return;
    }
    if (this.mode === Body.UntilClose) {
      this.add(d);
      return;
    }
    // Chunked.
    let p = 0;
    while (p < d.length && this.exchange) {
      switch (this.chunkState) {
        case Chunk.Size:
        case Chunk.Trailer: {
          const nl = d.indexOf(10, p);
          const part = d.toString("latin1", p, nl < 0 ? d.length : nl);
          if (this.line.length + part.length > 8192) return this.fail(new ProtocolError(`${this.pool.where}: bad chunked encoding`));
          this.line += part;
          if (nl < 0) return;
          p = nl + 1;
          const line = this.line.replace(/\r$/, "");
          this.line = "";
          if (this.chunkState === Chunk.Trailer) {
            if (line === "") return p < d.length ? this.fail(new ProtocolError(`${this.pool.where}: unexpected bytes after the HTTP reply`)) : this.finish();
            continue;
          }
          const hex = /^([0-9a-fA-F]{1,8})(?:;.*)?$/.exec(line.trim());
          if (!hex) return this.fail(new ProtocolError(`${this.pool.where}: bad chunk size '${line.slice(0, 20)}'`));
          const n = parseInt(hex[1]!, 16);
          if (n === 0) this.chunkState = Chunk.Trailer;
          else {
            if (this.size + n > this.exchange.maxBody) return this.fail(new MessageTooLargeError(this.size + n, this.exchange.maxBody, "Hessian reply"));
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
          // The CRLF after a chunk's data.
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
    const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    const reply: Http1Reply = { status: this.status, statusText: this.statusText, deflate: this.deflate, body };
    if (this.keepAlive && !this.closed) this.pool.release(this);
    else this.destroy();
    if (!ex.done) {
      ex.done = true;
      ex.callbacks.onReply(reply);
    }
  }
}

/** Keep-alive connections to one host and port. */
export class Http1Pool {
  private readonly idle: Http1Connection[] = [];
  private readonly busy = new Set<Http1Connection>();
  private readonly queue: Http1Exchange[] = [];
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly keepAlive: boolean,
    readonly maxSockets: number,
    /** The URL, for messages. */
    readonly where: string,
  ) {}

  /** Sends `request` (head and body, complete) on a free connection, a new one, or when one frees up. */
  send(request: Buffer, maxBody: number, callbacks: Http1Callbacks, fresh = false): Http1Exchange {
    const ex = new Http1Exchange(this, request, maxBody, callbacks);
    if (this.closed) {
      ex.done = true;
      queueMicrotask(() => callbacks.onError(new ConnectionClosedError("the Hessian client was closed"), false));
      return ex;
    }
    let conn = fresh ? undefined : this.idle.pop();
    if (conn === undefined && this.busy.size < this.maxSockets) conn = new Http1Connection(this, this.host, this.port);
    if (conn === undefined) {
      this.queue.push(ex);
      return ex;
    }
    this.busy.add(conn);
    conn.start(ex);
    return ex;
  }

  /** A connection finished its exchange and may be reused. */
  release(conn: Http1Connection): void {
    this.busy.delete(conn);
    const next = this.queue.shift();
    if (next) {
      this.busy.add(conn);
      conn.start(next);
      return;
    }
    conn.socket.unref();
    this.idle.push(conn);
  }

  forget(conn: Http1Connection): void {
    this.busy.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    // A slot freed up: start a queued exchange on a new connection.
    const next = this.queue.shift();
    if (next && !this.closed) {
      const c = new Http1Connection(this, this.host, this.port);
      this.busy.add(c);
      c.start(next);
    }
  }

  dequeue(ex: Http1Exchange): void {
    const i = this.queue.indexOf(ex);
    if (i >= 0) this.queue.splice(i, 1);
  }

  close(): void {
    this.closed = true;
    const queued = this.queue.splice(0);
    for (const c of [...this.idle, ...this.busy]) c.destroy();
    for (const ex of queued) {
      if (ex.done) continue;
      ex.done = true;
      ex.callbacks.onError(new ConnectionClosedError("the Hessian client was closed"), false);
    }
  }
}

/** Checks a header name and value for a hand-written request head. */
export function checkHeader(name: string, value: string): void {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new ConfigError(`invalid HTTP header name '${name}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw new ConfigError(`invalid characters in the value of HTTP header '${name}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}
