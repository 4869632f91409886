/**
 * What servers do with their connections, protocol-neutrally:
 *
 * - `logSilentDisconnects`: a peer that connects and leaves without
 *   sending a byte (a port scanner, a health check, a load balancer's
 *   probe) is no error, one debug line with its address and port. Works for
 *   plain and TLS servers (on a TLS server the raw connection is watched, so
 *   a probe that never starts a handshake is caught too; `isSilentDisconnect`
 *   tells the server's tlsClientError handler to stay quiet about it).
 * - `ConnectionGuard`: at most so many connections, and so many per client
 *   address; idle ones make room for new ones, and a full server refuses a
 *   new connection at once instead of letting it wait.
 * - `closeFailedHandshakes`: a TLS handshake that fails or times out closes
 *   its socket (and its file descriptor).
 * - `PeerBudget`: the memory each client address holds (request bodies
 *   being received, what they decode to), bounded per address.
 * - `httpTimeOptions`: Node's HTTP server time-outs, checked on time.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Server, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Server as TlsServer, TLSSocket } from "node:tls";
import { errorMessage } from "../errors.js";
import type { Logger } from "../logging.js";
import { isSilentDisconnect } from "../tls.js";

export function logSilentDisconnects(server: Server, log: Logger): void {
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    socket.once("close", () => {
      if (socket.bytesRead === 0) log.debug("connection from %s:%s closed before sending anything", address, port);
    });
  });
}

// ------------------------------------------------------------ connection limits

/** Default of the connections a server serves at once. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Default of the connections one client address may hold at once. */
export const DEFAULT_MAX_CONNECTIONS_PER_PEER = 256;
/** A connection with nothing in flight for this long may be closed to make room for a new one. */
export const EVICTABLE_AFTER_MS = 1000;

export interface ConnectionLimits {
  /** Connections served at once (default 1024; Infinity: no limit). */
  maxConnections?: number | undefined;
  /** Connections one client address may hold at once (default 256; Infinity: no limit). */
  maxConnectionsPerPeer?: number | undefined;
  /**
   * Bytes written to a refused connection before it is closed (for a plain
   * HTTP server, a `503` response); nothing by default (TLS, binary protocols).
   */
  refusal?: Buffer | undefined;
}

interface Tracked {
  readonly socket: Socket;
  readonly peer: string;
  /** Requests in flight on it. */
  busy: number;
  /** Since when nothing has been in flight (Date.now()). */
  idleSince: number;
}

/**
 * Bounds the connections of a server, protocol-neutrally, so that a flood of
 * connections (silent ones, slow senders, idle keep-alive ones) can neither
 * exhaust the process's file descriptors nor lock other clients out:
 *
 * - at most `maxConnections` at once, and at most `maxConnectionsPerPeer`
 *   from one address;
 * - a new connection over a limit first makes room by closing the oldest
 *   connection (of that address, for the per-address limit) that has had
 *   nothing in flight for a second or more (an idle keep-alive connection, a
 *   silent one, one that never finished its request head); when there is
 *   none, the new connection is refused: closed at once (after `refusal`),
 *   which a client sees as a refused connection (the call did not run).
 *
 * A protocol marks requests in flight with `busy()` / `idle()` (for an HTTP
 * server, `trackHttp()` does it from its request events), so connections
 * serving a call are never closed to make room. Refusals are logged at warn,
 * at most once a second (with the number of refusals in between).
 */
export class ConnectionGuard {
  readonly maxConnections: number;
  readonly maxConnectionsPerPeer: number;
  private readonly refusal: Buffer | undefined;
  private readonly tracked = new Map<Socket, Tracked>();
  /** Sockets by "address:port", to find a TLS socket's raw connection (same address and port). */
  private readonly byKey = new Map<string, Tracked>();
  private readonly perPeer = new Map<string, number>();
  private refusedSinceLog = 0;
  private lastRefusalLog = 0;
  /** Connections refused since the server started. */
  refused = 0;
  /** Connections closed to make room for new ones. */
  evicted = 0;

  constructor(
    server: Server,
    private readonly log: Logger,
    limits: ConnectionLimits = {},
  ) {
    this.maxConnections = positiveOr(limits.maxConnections, DEFAULT_MAX_CONNECTIONS);
    this.maxConnectionsPerPeer = positiveOr(limits.maxConnectionsPerPeer, DEFAULT_MAX_CONNECTIONS_PER_PEER);
    this.refusal = limits.refusal;
    server.on("connection", (socket: Socket) => this.admit(socket));
  }

  /** Connections open now. */
  get size(): number {
    return this.tracked.size;
  }

  /** Connections open now from one address. */
  connectionsOf(peer: string): number {
    return this.perPeer.get(peer) ?? 0;
  }

  private admit(socket: Socket): void {
    const peer = socket.remoteAddress ?? "?";
    const port = socket.remotePort;
    if ((this.perPeer.get(peer) ?? 0) >= this.maxConnectionsPerPeer && !this.evictOne(peer)) return this.refuse(socket, peer, port, `${this.maxConnectionsPerPeer} connections from ${peer} (maxConnectionsPerPeer)`);
    if (this.tracked.size >= this.maxConnections && !this.evictOne(undefined)) return this.refuse(socket, peer, port, `${this.maxConnections} connections (maxConnections)`);
    const t: Tracked = { socket, peer, busy: 0, idleSince: Date.now() };
    const key = `${peer}:${String(port)}`;
    this.tracked.set(socket, t);
    this.byKey.set(key, t);
    this.perPeer.set(peer, (this.perPeer.get(peer) ?? 0) + 1);
    socket.once("close", () => {
      if (this.tracked.get(socket) !== t) return;
      this.tracked.delete(socket);
      if (this.byKey.get(key) === t) this.byKey.delete(key);
      const n = (this.perPeer.get(peer) ?? 1) - 1;
      if (n <= 0) this.perPeer.delete(peer);
      else this.perPeer.set(peer, n);
    });
  }

  /** Closes the connection (of `peer`, or any) idle the longest, if one has been idle long enough. */
  private evictOne(peer: string | undefined): boolean {
    const now = Date.now();
    let oldest: Tracked | undefined;
    for (const t of this.tracked.values()) {
      if (t.busy > 0 || (peer !== undefined && t.peer !== peer) || now - t.idleSince < EVICTABLE_AFTER_MS) continue;
      if (oldest === undefined || t.idleSince < oldest.idleSince) oldest = t;
    }
    if (oldest === undefined) return false;
    this.evicted++;
    this.log.debug("closing the idle connection from %s:%s to make room", oldest.peer, oldest.socket.remotePort);
    // forgotten now (its close event comes later): the room is free at once
    this.tracked.delete(oldest.socket);
    for (const [k, v] of this.byKey) if (v === oldest) this.byKey.delete(k);
    const n = (this.perPeer.get(oldest.peer) ?? 1) - 1;
    if (n <= 0) this.perPeer.delete(oldest.peer);
    else this.perPeer.set(oldest.peer, n);
    oldest.socket.destroy();
    return true;
  }

  private refuse(socket: Socket, peer: string, port: number | undefined, why: string): void {
    this.refused++;
    this.refusedSinceLog++;
    const now = Date.now();
    if (now - this.lastRefusalLog >= 1000) {
      this.log.warn("refused a connection from %s:%s: %s already open, none idle%s", peer, port, why, this.refusedSinceLog > 1 ? ` (${this.refusedSinceLog} refused since the last warning)` : "");
      this.lastRefusalLog = now;
      this.refusedSinceLog = 0;
    }
    socket.on("error", () => socket.destroy());
    if (this.refusal !== undefined) socket.end(this.refusal);
    else socket.destroy();
    // a peer that never reads must not hold the refused socket open
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private find(socket: Socket): Tracked | undefined {
    return this.tracked.get(socket) ?? this.byKey.get(`${socket.remoteAddress ?? "?"}:${String(socket.remotePort)}`);
  }

  /** A request started on this connection (or on a TLS socket over it): it is not closed to make room. */
  busy(socket: Socket): void {
    const t = this.find(socket);
    if (t !== undefined) t.busy++;
  }

  /** A request of this connection was answered (or abandoned). */
  idle(socket: Socket): void {
    const t = this.find(socket);
    if (t === undefined || t.busy === 0) return;
    if (--t.busy === 0) t.idleSince = Date.now();
  }

  /** Marks the requests of an HTTP(S) server busy from their arrival until their response closes. */
  trackHttp(server: HttpServer): void {
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      this.busy(socket);
      res.once("close", () => this.idle(socket));
    });
  }
}

function positiveOr(v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  return v > 0 ? v : Infinity;
}

// ------------------------------------------------------------ TLS handshakes

/**
 * Closes every connection whose TLS handshake fails or times out (Node
 * leaves that to a server with a `tlsClientError` listener, and a socket
 * left open keeps its file descriptor after the peer is gone). Real failures
 * are logged at `level` with the peer's address; a peer that connected and
 * left without a handshake (a probe) only at debug (see logSilentDisconnects).
 */
export function closeFailedHandshakes(server: TlsServer, log: Logger, level: "warn" | "error" = "warn"): void {
  server.on("tlsClientError", (err: Error & { code?: string }, socket: TLSSocket) => {
    if (!isSilentDisconnect(err, socket)) {
      // the raw connection under it remembers the address once read (a TLS socket whose handle is gone does not)
      const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
      log[level]("TLS handshake with %s:%s failed: %s", socket.remoteAddress ?? raw?.remoteAddress ?? "?", socket.remotePort ?? raw?.remotePort ?? "?", err.code ?? errorMessage(err));
    }
    socket.destroy();
  });
}

// ------------------------------------------------------------ memory per peer

/** Default of the bytes one client address may hold in a server at once (request bodies, what they decode to). */
export const DEFAULT_MAX_PEER_MEMORY = 64 * 1024 * 1024;

/**
 * The memory each client address holds in a server (request bodies being
 * received, and what they decode to), with a limit per address: a server
 * reserves bytes before it holds them and releases them when the request is
 * answered or abandoned, and refuses what would go over the limit.
 */
export class PeerBudget {
  private readonly held = new Map<string, number>();
  private total = 0;

  constructor(readonly maxPerPeer: number = DEFAULT_MAX_PEER_MEMORY) {}

  /** Reserves `n` bytes for `peer`; false (nothing reserved) when that would go over the limit. */
  reserve(peer: string, n: number): boolean {
    const h = this.held.get(peer) ?? 0;
    if (h + n > this.maxPerPeer) return false;
    this.held.set(peer, h + n);
    this.total += n;
    return true;
  }

  /** Releases bytes reserved for `peer`. */
  release(peer: string, n: number): void {
    if (n <= 0) return;
    const h = (this.held.get(peer) ?? 0) - n;
    this.total -= n;
    if (h <= 0) this.held.delete(peer);
    else this.held.set(peer, h);
  }

  /** Bytes `peer` may still reserve. */
  available(peer: string): number {
    return Math.max(0, this.maxPerPeer - (this.held.get(peer) ?? 0));
  }

  /** Bytes held by `peer`. */
  heldBy(peer: string): number {
    return this.held.get(peer) ?? 0;
  }

  /** Bytes held by every peer. */
  get heldTotal(): number {
    return this.total;
  }
}

// ------------------------------------------------------------ HTTP time limits

export interface HttpTimeLimits {
  /** A whole request (head and body) must arrive within this, in ms; 0 or Infinity: no limit. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, in ms; 0 or Infinity: never. */
  keepAliveTimeoutMs?: number | undefined;
}

/**
 * Node's HTTP server options for these time limits, on time: Node checks
 * request and header time-outs only every `connectionsCheckingInterval`
 * (30 s by default, so a 30 s limit fired after up to 60 s); here the check
 * runs every tenth of the limit (50 ms to 1 s). The request head must arrive
 * within min(requestTimeoutMs, 60 s); a connection that sends nothing at all
 * is closed then too.
 */
export function httpTimeOptions(t: HttpTimeLimits): { requestTimeout: number; headersTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
  const request = Number.isFinite(t.requestTimeoutMs) && t.requestTimeoutMs > 0 ? t.requestTimeoutMs : 0;
  const headers = request === 0 ? 60_000 : Math.min(request, 60_000);
  const keepAlive = t.keepAliveTimeoutMs === undefined ? 5000 : Number.isFinite(t.keepAliveTimeoutMs) && t.keepAliveTimeoutMs > 0 ? t.keepAliveTimeoutMs : 0;
  return { requestTimeout: request, headersTimeout: headers, keepAliveTimeout: keepAlive, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headers / 10))) };
}

/**
 * What an HTTP server answers a connection the HTTP layer gave up on (its
 * `clientError` event), as Node does without a listener: `408` when its
 * request did not arrive in time, `431` for a head too large, else `400`;
 * then the connection is closed, within a second even when the peer does
 * not read (it never stays half-open).
 */
export function answerHttpClientError(err: Error & { code?: string }, socket: Duplex, log: Logger): void {
  const s = socket as Duplex & { remoteAddress?: string; _httpMessage?: { headersSent?: boolean } | null };
  log.debug("HTTP client error from %s: %s", s.remoteAddress, errorMessage(err));
  const status = err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
  if (!s.writable || s._httpMessage?.headersSent === true) {
    s.destroy();
    return;
  }
  s.on("error", () => s.destroy());
  setTimeout(() => s.destroy(), 1000).unref();
  s.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => s.destroy());
}
