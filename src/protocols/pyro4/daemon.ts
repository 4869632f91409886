/**
 * A Pyro4 (protocol 48) daemon: serves JS objects by id to Pyro4 proxies, ours
 * or Python's.
 *
 * Per connection: CONNECT handshake (with metadata when asked), then INVOKE /
 * PING frames. Calls on one connection start in arrival order (at most
 * `maxInFlightPerConnection` at a time) and their replies are always written
 * in request order. Oneway calls run detached and never reply.
 *
 * What is served, and how a call reaches it, is the core's ServiceTable:
 * registration (objects, and classes with instance modes), exposure, arity,
 * keyword arguments, attributes, server interceptors, tracing and the call
 * context. The daemon adds what only Pyro has: the `Pyro.Daemon` object,
 * item streams, batches, the wire.
 */
import { lookup } from "node:dns/promises";
import { dropFrames, releaseCopied, withArena, writeFrame, writeFrames } from "../../core/frame-arena.js";
import { fastPathHits } from "../../core/fast-paths.js";
import { randomBytes, randomUUID } from "node:crypto";
import { isIP, createServer as createNetServer, type Server, type Socket, type AddressInfo } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { CommunicationError, ConfigError, ErrorCodes, MessageTooLargeError, RemoteInvocationError, RemotingError, errorMessage } from "../../core/errors.js";
import { getLogger } from "../../core/logging.js";
import { deadlineFromMetadata } from "../../core/server/call-context.js";
import { ServiceError, type ExposeOptions } from "../../core/server/exposure.js";
import { PARAMS, ServiceTable, type PreparedMethod, type ServerInterceptor } from "../../core/server/service-table.js";
import { closeFailedHandshakes, logSilentDisconnects } from "../../core/server/connections.js";
import type { InstanceCreator, InstanceMode, PyroClass } from "../../core/server/instances.js";
import { checkClient, peerCertificateInfo, readTlsSettings, serverTlsOptions, type PeerCertificateInfo, type TlsSettings } from "../../core/tls.js";
import { dictGet, errorToPyro, getSerializer, jsTraceback, pyroExceptionDict, type PyroSerializer } from "./codec.js";
import { PyroCallContext, metadataAndDeadline, readMetadata, timeoutMetadata, timeoutOnly, type PeerInfo } from "./call-context.js";
import {
  DAEMON_ONLY_SETTINGS,
  DAEMON_SETTINGS,
  SERIALIZER_NAMES,
  optionOr,
  parseOptions,
  timerMs,
  type SerializerLimitsInput,
  type SerializerName,
} from "./options.js";
import {
  METADATA_ANNOTATION,
  encodeMessage,
  encodePlainFrame,
  completePlainFrame,
  plainFrameHead,
  encodeTextReply,
  encodeTextReplyFrom,
  decodeMessage,
  soloPlainFrame,
  FLAGS_BATCH,
  FLAGS_COMPRESSED,
  FLAGS_EXCEPTION,
  FLAGS_ITEMSTREAMRESULT,
  FLAGS_META_ON_CONNECT,
  FLAGS_ONEWAY,
  FrameReader,
  HEADER_SIZE,
  annotationOf,
  inflatePayload,
  MARSHAL_SERIALIZER_ID,
  marshalString,
  MSG_CONNECT,
  MSG_CONNECTFAIL,
  MSG_CONNECTOK,
  MSG_INVOKE,
  MSG_PING,
  MSG_RESULT,
  toHmacKey,
  writeRandomCorr,
  type FrameHeader,
  type PyroMessage,
} from "./message.js";

export type { SerializerName } from "./options.js";

const log = getLogger("remoting.pyro.daemon");

export const DAEMON_OBJECT_ID = "Pyro.Daemon";
/** Idle connections (no call in progress, no bytes received) are closed after this long. */
export const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;
/** A connection must send its CONNECT frame within this time. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION = 32;
export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_STREAM_LINGER_MS = 30_000;
export const DEFAULT_MAX_STREAMS = 10_000;
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 256;
export const DEFAULT_MAX_STREAMS_PER_PEER = 1024;
export const DEFAULT_CLOSE_GRACE_MS = 10_000;
/** A frame begun must arrive in full within this time (plus a second per MiB it announces). */
export const DEFAULT_FRAME_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_IN_FLIGHT_PER_PEER = 1024;
export const DEFAULT_MAX_BUFFER_PER_PEER = 128 * 1024 * 1024;
export const DEFAULT_MAX_BUFFER_TOTAL = 512 * 1024 * 1024;
export const DEFAULT_MAX_COMPRESSION_RATIO = 100;
/** A compressed request may always decompress to this much, whatever its ratio. */
export const COMPRESSION_ALLOWANCE = 1024 * 1024;
/** Before the handshake only a compressed CONNECT is accepted, and it may decompress to this much at most. */
export const MAX_INFLATED_CONNECT = 64 * 1024;
/** A connection with nothing in flight for this long may be closed to make room for a new one. */
export const EVICTABLE_AFTER_MS = 1000;
/** Room left in a reply frame for its annotations (CORR, STRM, HMAC): reply payloads are held to maxMessageSize minus this. */
const REPLY_ANNOTATION_ROOM = 256;

/** Requests one connection may have started in one turn of the event loop (pump). */
const DISPATCH_PER_TURN = 64;
/** Reading from a connection pauses while more than this many reply bytes wait to be sent. */
const WRITE_HIGH_WATER = 16 * 1024 * 1024;

/**
 * The daemon's options. Every value is parsed by the core's parsers, as the
 * exporter's properties of the same names are: durations take `30s`, `1h`,
 * `none`; sizes take `64kB`, `16MiB`; an unknown option or a value that
 * does not parse is a ConfigError.
 */
export interface PyroDaemonOptions {
  /** Host name or address to bind (default "localhost", bound as its IPv4 address). */
  host?: string | undefined;
  /** TCP port (default 0: an ephemeral port). */
  port?: number | string | undefined;
  /** Bind a Unix domain socket at this path instead of TCP. */
  unixPath?: string | undefined;
  /** Shared HMAC key (Pyro4's `_pyroHmacKey`): all frames are signed and must be signed. */
  hmacKey?: string | Uint8Array | undefined;
  /** Serializers accepted from clients (default serpent, json, marshal — Pyro4's default); a list or comma-separated. */
  serializersAccepted?: readonly SerializerName[] | string | undefined;
  /** Limit for payload + annotations of one frame (default 64 MiB; `1kB`, `16MiB`, ...). */
  maxMessageSize?: number | string | undefined;
  /** Close connections idle for this long (default 1 hour; 0 or none = never). */
  idleTimeoutMs?: number | string | undefined;
  /** Close a connection that sent no CONNECT frame within this time (default 10 s; also the TLS handshake's limit). */
  handshakeTimeoutMs?: number | string | undefined;
  /** A frame begun must arrive in full within this time, plus a second per MiB it announces (default 30 s; 0 or none = never). */
  frameTimeoutMs?: number | string | undefined;
  /** Calls of one connection that may run at once, oneway calls included (default 32; 1 = strictly one after the other). */
  maxInFlightPerConnection?: number | string | undefined;
  /** Calls of one client address that may run at once, over all its connections (default 1024). */
  maxInFlightPerPeer?: number | string | undefined;
  /** Connections served at once; a new one beyond closes the longest-idle one, or gets CONNECTFAIL (default 1024). */
  maxConnections?: number | string | undefined;
  /** Bytes of frames one client address may have the daemon hold, being received or waiting to run (default 128 MiB). */
  maxBufferPerPeer?: number | string | undefined;
  /** Bytes of frames all clients together may have the daemon hold (default 512 MiB). */
  maxBufferTotal?: number | string | undefined;
  /** Compress replies at least this large (default: never). */
  compressThreshold?: number | string | false | undefined;
  /** A compressed request may decompress to at most this many times its size, or 1 MiB (default 100). */
  maxCompressionRatio?: number | string | undefined;
  /** How long an item stream survives its connection (default 30 s, Pyro4's ITER_STREAM_LINGER; 0 = dropped with it). */
  streamLingerMs?: number | string | undefined;
  /** Maximum age of an item stream (default unlimited, Pyro4's ITER_STREAM_LIFETIME). */
  streamLifetimeMs?: number | string | undefined;
  /** Open item streams per daemon (default 10000). */
  maxStreams?: number | string | undefined;
  /** Open item streams per connection (default 256). */
  maxStreamsPerConnection?: number | string | undefined;
  /** Open item streams per client address, lingering ones included (default 1024). */
  maxStreamsPerPeer?: number | string | undefined;
  /** On close(), how long in-flight calls may run before connections are cut (default 10 s). */
  closeGraceMs?: number | string | undefined;
  /** Limits handed to the serializers. */
  serializerLimits?: SerializerLimitsInput | undefined;
  /** Arguments keep their Python types when sent back: whole floats as Float, serpent's bytes dict as a Buffer (default false; docs/pyro4.md). */
  preserveTypes?: boolean | string | undefined;
  /** OpenTelemetry SERVER spans continuing the client's trace (default true; a no-op without an SDK). */
  tracing?: boolean | string | undefined;
  /** Refuse a call whose client deadline passed before it could run (default true). */
  enforceDeadlines?: boolean | string | undefined;
  /**
   * Checks the client's handshake data (default: accept anything, answer "hello").
   * Throw to refuse the connection (the message goes back in CONNECTFAIL).
   */
  validateHandshake?: ((data: unknown, info: { remoteAddress: string | undefined; socket: Socket }) => unknown) | undefined;
  // TLS (core/tls): tlsKey and tlsCert turn it on.
  /** The server's private key: PEM text or a file path. */
  tlsKey?: string | Buffer | undefined;
  /** The server's certificate chain: PEM text or a file path. */
  tlsCert?: string | Buffer | undefined;
  /** CAs trusted for client certificates. */
  tlsCa?: string | Buffer | undefined;
  /** Client certificates: none (default), optional or required (Python's CERT_* names too). */
  tlsClientCert?: string | number | undefined;
  /** Subject fields a client certificate must carry (an object, or JSON text; long or short names). */
  tlsVerifyFields?: Record<string, string> | string | undefined;
  /** Lowest TLS version (default and minimum TLSv1.2). */
  tlsMinVersion?: string | undefined;
  tlsMaxVersion?: string | undefined;
  tlsCiphers?: string | undefined;
}

/** Options of `register()` for a class: which instance serves a call, and how it is made. */
export interface ClassRegisterOptions<C extends PyroClass = PyroClass> extends ExposeOptions {
  /** "single", "session" (default, or the class's static `pyroBehavior.instanceMode`) or "percall". */
  instanceMode?: InstanceMode | undefined;
  /** Makes an instance (default `new cls()`); may be async; must return an instance of the class. */
  instanceCreator?: InstanceCreator<C> | undefined;
}

interface StreamEntry {
  id: string;
  iter: Iterator<unknown> | AsyncIterator<unknown>;
  conn: Connection | undefined;
  /** The client address it counts against. */
  peer: Peer;
  created: number;
  lingerTimer: NodeJS.Timeout | undefined;
  lifetimeTimer: NodeJS.Timeout | undefined;
  busy: Promise<unknown> | undefined;
}

/** An error that travels back to the client as a given Python exception class. */
class PyroFault extends Error {
  constructor(
    readonly pythonClass: string,
    message: string | undefined,
    readonly traceback: string[] | null = null,
  ) {
    super(message ?? "");
    this.noMessage = message === undefined;
  }
  readonly noMessage: boolean;
}

/** Resolves a host name the way the daemon holder keys daemons: IPv4 first, as Pyro4 does. */
export async function resolveHost(host: string): Promise<string> {
  const h = host.replace(/^\[(.*)\]$/, "$1");
  if (isIP(h)) return h;
  try {
    return (await lookup(h, { family: 4 })).address;
  } catch {
    return (await lookup(h)).address;
  }
}

export function formatLocation(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Marks a method's Python-style parameter names, so keyword arguments sent by
 * a (Python) client land in the right positions:
 * `method[PYRO_PARAMS] = ["name", "return_metadata"]`. Without it, keyword
 * arguments are passed as one trailing plain object. The core's `PARAMS`.
 */
export const PYRO_PARAMS: typeof PARAMS = PARAMS;

function isStreamable(v: unknown): boolean {
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v) || Buffer.isBuffer(v) || ArrayBuffer.isView(v) || v instanceof Map || v instanceof Set) return false;
  const o = v as Record<string | symbol, unknown>;
  if (typeof o[Symbol.asyncIterator] === "function") return true;
  return typeof o["next"] === "function" && typeof o[Symbol.iterator] === "function";
}

function toIterator(v: unknown): Iterator<unknown> | AsyncIterator<unknown> {
  const o = v as Record<string | symbol, unknown>;
  if (typeof o[Symbol.asyncIterator] === "function") return (o[Symbol.asyncIterator] as () => AsyncIterator<unknown>).call(v);
  return v as Iterator<unknown>;
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

interface Slot {
  done: boolean;
  frame: Buffer | undefined;
}

const NO_METADATA: ReadonlyMap<string, string> = new Map();

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}
const NO_KWARGS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * What one client address has in the daemon, over all its connections: the
 * calls it runs, the item streams it holds (lingering ones too) and the
 * frame bytes the daemon holds for it. Dropped when all are zero.
 */
class Peer {
  connections = 0;
  inFlight = 0;
  streams = 0;
  held = 0;
  /** Its connections whose reading waits for its calls in flight to go down. */
  readonly waiting = new Set<Connection>();
  constructor(readonly key: string) {}
  get unused(): boolean {
    return this.connections === 0 && this.inFlight === 0 && this.streams === 0 && this.held === 0;
  }
}

class Connection implements PeerInfo {
  readonly reader: FrameReader;
  readonly peer: Peer;
  handshaken = false;
  handshakeStarted = false;
  /** serveFast() may be tried (after the handshake, no HMAC, no compression). */
  private fastPath = false;
  closing = false;
  closed = false;
  private readonly slots: Slot[] = [];
  private readonly inbox: PyroMessage[] = [];
  /** When each message of the inbox arrived (Date.now()): a client's time limit counts from then. */
  private readonly inboxAt: number[] = [];
  /** Payload bytes of the inbox's messages. */
  private inboxBytes = 0;
  /** Bytes this connection holds (a frame being received, the inbox), as counted in its peer's and the daemon's budgets. */
  held = 0;
  /** Calls running, oneway calls included. */
  private running = 0;
  /** When a byte last came in or a call last finished (Date.now()): the longest-idle connection makes room for a new one. */
  lastActive = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private idleMs = 0;
  /** Watches the frame being received (frameTimeoutMs), from its first byte. */
  private frameTimer: NodeJS.Timeout | undefined;
  private frameStart = 0;
  private frameHeader: FrameHeader | undefined;
  private readonly drainWaiters: Array<() => void> = [];
  readonly streams = new Set<string>();
  readonly onewayRunning = new Set<Promise<void>>();
  /** Reply frames produced while one received chunk is processed: written together at its end. */
  private readonly outq: Buffer[] = [];
  private outBytes = 0;
  private batching = false;
  /** Requests taken from the inbox since this connection's last read or turn (pump). */
  private dispatchedThisTurn = 0;
  private turnPending = false;
  readonly clientAddress: string | undefined;
  readonly clientPort: number | undefined;
  private cert: PeerCertificateInfo | null | undefined = undefined;

  constructor(
    readonly daemon: PyroDaemon,
    readonly socket: Socket,
  ) {
    // compressed payloads are inflated by the daemon: only after the handshake, within a ratio (inflate())
    this.reader = new FrameReader({ hmacKey: daemon.hmacKey, maxMessageSize: daemon.maxMessageSize, deferDecompression: true });
    this.clientAddress = socket.remoteAddress;
    this.clientPort = socket.remotePort;
    this.peer = daemon.peerOf(this.clientAddress);
    this.peer.connections++;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => log.debug("connection error from %s: %s", this.clientAddress, err.message));
    socket.on("close", () => this.onClose());
    socket.on("drain", () => this.pump());
    this.armIdle(daemon.handshakeTimeoutMs);
  }

  /** The client's TLS certificate, as services see it (worked out once). */
  certificate(): PeerCertificateInfo | undefined {
    if (this.cert === undefined) {
      const s = this.socket as Partial<TLSSocket>;
      this.cert = typeof s.getPeerCertificate === "function" ? (peerCertificateInfo(s.getPeerCertificate()) ?? null) : null;
    }
    return this.cert ?? undefined;
  }

  private armIdle(ms: number): void {
    if (this.closed || ms <= 0) {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      this.idleMs = 0;
      return;
    }
    if (this.idleTimer && this.idleMs === ms) {
      this.idleTimer.refresh(); // cheaper than a new timer on every call
      return;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleMs = ms;
    this.idleTimer = setTimeout(() => this.onIdle(), ms);
    this.idleTimer.unref();
  }

  private onIdle(): void {
    if (this.running > 0 || this.slots.length > 0 || this.inbox.length > 0) {
      this.armIdle(this.daemon.idleTimeoutMs || this.daemon.handshakeTimeoutMs);
      return;
    }
    log.debug("closing idle connection from %s", this.clientAddress);
    this.socket.destroy();
  }

  /** Whether another call may start now: within this connection's and its peer's limits. */
  private canStart(): boolean {
    return this.running < this.daemon.maxInFlight && this.peer.inFlight < this.daemon.maxInFlightPerPeer;
  }

  private startCall(): void {
    this.running++;
    this.peer.inFlight++;
  }

  private endCall(): void {
    this.running--;
    this.lastActive = Date.now();
    this.daemon.callEnded(this.peer);
  }

  /** Whether a frame is partly received. */
  get receiving(): boolean {
    return this.reader.pending > 0 || this.reader.currentHeader !== undefined;
  }

  /** Re-counts the bytes held (a frame being received, the inbox) in the peer's and the daemon's budgets. */
  private updateHeld(): void {
    if (this.closed) return;
    const now = this.reader.pending + this.inboxBytes;
    if (now === this.held) return;
    const delta = now - this.held;
    this.held = now;
    this.daemon.addHeld(this.peer, delta);
  }

  /**
   * Times the frame being received (frameTimeoutMs, plus a second per MiB its
   * header announces), from its first byte; `completed`: frames were
   * completed by the last chunk, so a partial one is a new frame.
   */
  private watchFrame(completed: boolean): void {
    if (!this.receiving) {
      if (this.frameTimer !== undefined) {
        clearTimeout(this.frameTimer);
        this.frameTimer = undefined;
        this.frameHeader = undefined;
      }
      return;
    }
    const ms = this.daemon.frameTimeoutMs;
    if (ms <= 0) return;
    const h = this.reader.currentHeader;
    if (this.frameTimer !== undefined && !completed && h === this.frameHeader) return;
    if (this.frameTimer === undefined || completed) this.frameStart = Date.now();
    else clearTimeout(this.frameTimer);
    this.frameHeader = h;
    const allowed = ms + (h === undefined ? 0 : Math.floor((h.payloadLength + h.annotationsLength) / 1048576) * 1000);
    this.frameTimer = setTimeout(() => this.onFrameTimeout(allowed), Math.max(0, this.frameStart + allowed - Date.now()));
    this.frameTimer.unref();
  }

  private onFrameTimeout(allowed: number): void {
    this.frameTimer = undefined;
    if (this.closed || !this.receiving) return;
    log.debug("closing the connection from %s:%s: a frame did not arrive in full within %d ms (%d bytes of it held)", this.clientAddress, this.clientPort, allowed, this.reader.pending);
    this.closing = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.lastActive = Date.now();
    if (!this.turnPending) this.dispatchedThisTurn = 0;
    if (
      this.fastPath &&
      this.reader.pending === 0 &&
      this.reader.currentHeader === undefined &&
      this.running === 0 &&
      this.slots.length === 0 &&
      this.inbox.length === 0 &&
      this.peer.inFlight < this.daemon.maxInFlightPerPeer &&
      this.serveFast(chunk)
    ) {
      if (this.daemon.idleTimeoutMs > 0) this.armIdle(this.daemon.idleTimeoutMs);
      if (this.closing) this.maybeFinishClosing();
      this.checkBackpressure();
      return;
    }
    let msgs: PyroMessage[];
    try {
      msgs = this.reader.push(chunk);
    } catch (err) {
      this.onFrameError(err);
      return;
    }
    this.watchFrame(msgs.length > 0);
    if (this.handshaken && this.daemon.idleTimeoutMs > 0) this.armIdle(this.daemon.idleTimeoutMs);
    const at = this.lastActive;
    if (msgs.length === 1 && this.handshaken && this.inbox.length === 0 && this.slots.length === 0 && this.canStart()) {
      // the common case: one request on an idle connection, served right away (a synchronous reply is written by emit() at once)
      if (this.held !== 0 || this.reader.pending !== 0) this.updateHeld();
      this.dispatch(msgs[0]!, at);
      if (this.closing) this.maybeFinishClosing();
      this.checkBackpressure();
      return;
    }
    this.batched(() => {
      for (const m of msgs) {
        if (this.closing) break;
        if (!this.handshakeStarted) {
          this.handshakeStarted = true;
          this.handshake(m);
          continue;
        }
        this.inbox.push(m);
        this.inboxAt.push(at);
        this.inboxBytes += m.data.length;
      }
      this.updateHeld();
      this.pump();
    });
  }

  /** Runs `work` with the replies it produces written together at its end, then applies backpressure. */
  private batched(work: () => void): void {
    this.batching = true;
    try {
      work();
    } finally {
      this.batching = false;
      this.writeOut();
    }
    this.checkBackpressure();
  }

  /**
   * The hot path, for a chunk that is exactly one plain INVOKE frame (an
   * accepted serializer with a hot path: serpent or json; no flags, no HMAC; a
   * small call of a plain object's method with scalar
   * arguments): read in place, the method called through the service table's
   * prepared handle (its rules, interceptors, tracing and call context), a
   * scalar result written as text with the request's CORR. Returns false,
   * having done nothing, for anything else (the general path then reads the
   * chunk and reports any error). Once the method is called the request is
   * answered here.
   */
  private serveFast(b: Buffer): boolean {
    const d = this.daemon;
    const f = soloPlainFrame(b, b.length, MSG_INVOKE, d.maxMessageSize);
    // the serializer's own hot path decides what it reads (marshal has none)
    if (f === undefined || !d.accepts(f.serializerId)) return false;
    const { seq, corrAt, metaAt, payloadStart, serializerId } = f;
    const n = b.length;
    const ser = d.serializer(serializerId);
    const call = ser.callAt(b, payloadStart, n);
    if (call === undefined) return false;
    const prep = d.prepared(call.objectId, call.method);
    if (prep === undefined) return false;
    fastPathHits["pyro4.daemon.serveFrame"]++;
    let metadata = NO_METADATA;
    let deadline = Infinity;
    if (metaAt >= 0) {
      const end = metaAt + 6 + ((b[metaAt + 4]! << 8) | b[metaAt + 5]!);
      const ms = timeoutOnly(b, metaAt + 6, end);
      if (ms >= 0) {
        metadata = timeoutMetadata(ms);
        deadline = Date.now() + ms;
      } else {
        metadata = readMetadata(b.subarray(metaAt + 6, end));
        deadline = deadlineFromMetadata(metadata, Date.now());
      }
    }
    const ctx = new PyroCallContext(call.objectId, call.method, ser.name, this, metadata, deadline, false, undefined, b, HEADER_SIZE, payloadStart);
    let result: unknown;
    try {
      result = prep.call(call.vargs, ctx);
    } catch (err) {
      this.completeNow(this.errorReply(decodeMessage(b, { maxMessageSize: d.maxMessageSize }), err));
      return true;
    }
    const text = result === null || typeof result !== "object" ? ser.valueText(result) : undefined;
    if (text !== undefined) {
      fastPathHits["pyro4.daemon.resultText"]++;
      this.emit(encodeTextReplyFrom(MSG_RESULT, 0, seq, serializerId, b, corrAt, text));
      return true;
    }
    const m = decodeMessage(b, { maxMessageSize: d.maxMessageSize });
    this.settle(m, () => (isPromiseLike(result) ? Promise.resolve(result).then((r) => d.invokeReply(m, ser, r, this)) : d.invokeReply(m, ser, result, this)));
    return true;
  }

  /** Sends a frame now, or (while a received chunk is processed) with the other replies to it. */
  emit(frame: Buffer): void {
    if (this.closed) return releaseCopied(frame);
    if (this.batching) {
      this.outq.push(frame);
      this.outBytes += frame.length;
    } else writeFrame(this.socket, frame);
  }

  /** Writes the replies collected by emit() in one go. */
  private writeOut(): void {
    const q = this.outq;
    if (q.length === 0) return;
    if (this.closed) dropFrames(q);
    else writeFrames(this.socket, q, this.outBytes);
    q.length = 0;
    this.outBytes = 0;
  }

  private onFrameError(err: unknown): void {
    log.debug("bad frame from %s: %s", this.clientAddress, errorMessage(err));
    if (!this.handshaken && !(err instanceof MessageTooLargeError)) {
      const seq = this.reader.currentHeader?.seq ?? 0;
      this.fail(errorMessage(err), MARSHAL_SERIALIZER_ID, seq);
    } else {
      this.socket.destroy();
    }
    this.closing = true;
  }

  /** CONNECTFAIL with a reason, then close. */
  fail(reason: string, serializerId: number, seq: number): void {
    let payload: Buffer;
    let sid = serializerId;
    try {
      payload = sid === MARSHAL_SERIALIZER_ID ? marshalString(reason) : this.daemon.serializer(sid).dumps(reason);
    } catch {
      payload = marshalString(reason);
      sid = MARSHAL_SERIALIZER_ID;
    }
    const frame = encodeMessage(MSG_CONNECTFAIL, payload, { seq, serializerId: sid, hmacKey: this.daemon.hmacKey });
    this.closing = true;
    this.writeOut();
    this.socket.end(frame);
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private handshake(m: PyroMessage): void {
    const d = this.daemon;
    if (m.type !== MSG_CONNECT) return this.fail(`invalid msg type ${m.type} received`, MARSHAL_SERIALIZER_ID, m.seq);
    if (!d.accepts(m.serializerId)) return this.fail(`message used serializer that is not accepted: ${m.serializerId}`, MARSHAL_SERIALIZER_ID, m.seq);
    if (m.flags & FLAGS_COMPRESSED) {
      // a Python client with COMPRESSION on compresses a CONNECT over 200 bytes: a small one is accepted, nothing costly before the handshake
      try {
        m.data = inflatePayload(m.data, MAX_INFLATED_CONNECT);
        m.flags &= ~FLAGS_COMPRESSED;
      } catch (err) {
        return this.fail(`compressed CONNECT refused: ${errorMessage(err)}`, MARSHAL_SERIALIZER_ID, m.seq);
      }
    }
    const ser = d.serializer(m.serializerId);
    let data: unknown;
    try {
      data = ser.loads(m.data);
    } catch (err) {
      return this.fail(errorMessage(err), m.serializerId, m.seq);
    }
    let handshakeReply: unknown = "hello";
    try {
      if (d.validateHandshake) {
        handshakeReply = d.validateHandshake(dictGet(data, "handshake"), { remoteAddress: this.clientAddress, socket: this.socket });
        if (isPromiseLike(handshakeReply)) {
          // frames that arrive meanwhile wait in the inbox until the handshake is done
          void Promise.resolve(handshakeReply).then(
            (r) => {
              this.finishHandshake(m, ser, data, r);
              this.pump();
            },
            (err: unknown) => this.fail(errorMessage(err), m.serializerId, m.seq),
          );
          return;
        }
      }
    } catch (err) {
      return this.fail(errorMessage(err), m.serializerId, m.seq);
    }
    this.finishHandshake(m, ser, data, handshakeReply);
  }

  private finishHandshake(m: PyroMessage, ser: PyroSerializer, data: unknown, handshakeReply: unknown): void {
    const d = this.daemon;
    let reply: unknown = handshakeReply;
    let flags = 0;
    if (m.flags & FLAGS_META_ON_CONNECT) {
      const objectId = dictGet(data, "object");
      if (typeof objectId !== "string" || !d.has(objectId)) return this.fail("unknown object", m.serializerId, m.seq);
      reply = { handshake: handshakeReply, meta: d.metadata(objectId, true) };
      flags = FLAGS_META_ON_CONNECT;
    }
    let payload: Buffer;
    try {
      payload = ser.dumps(reply);
    } catch (err) {
      return this.fail(errorMessage(err), m.serializerId, m.seq);
    }
    this.handshaken = true;
    this.fastPath = d.hmacKey === undefined && d.compressThreshold === undefined;
    this.emit(this.frame(MSG_CONNECTOK, payload, m, flags, annotationOf(m, "CORR") ?? true));
    this.armIdle(d.idleTimeoutMs);
  }

  /**
   * The bytes a serializer leaves before a reply's payload so that frame() writes the header in front of it: the
   * plain frame's head when the reply is sure to be plain (no HMAC, no compression), else 0.
   */
  replyHead(corr: Buffer | true | undefined): number {
    const d = this.daemon;
    return d.hmacKey === undefined && d.compressThreshold === undefined ? plainFrameHead(corr ?? false) : 0;
  }

  /**
   * A reply frame; `corr` true means a fresh random correlation id. With `head` > 0 (what replyHead(corr) said, for a
   * reply without `extra` annotations: a plain frame), the payload is `payload.subarray(head)` and the header goes in
   * front of it.
   */
  frame(type: number, payload: Buffer, req: PyroMessage, flags: number, corr: Buffer | true | undefined, extra?: Map<string, Buffer>, head = 0): Buffer {
    if (head > 0) return completePlainFrame(type, flags, req.seq, req.serializerId, payload, corr ?? false);
    const d = this.daemon;
    const threshold = d.compressThreshold;
    if (d.hmacKey === undefined && extra === undefined && (threshold === undefined || payload.length < threshold)) {
      return encodePlainFrame(type, flags, req.seq, req.serializerId, payload, corr ?? false);
    }
    const ann = new Map<string, Buffer>();
    if (corr) ann.set("CORR", corr === true ? randomUUIDBytes() : corr);
    if (extra) for (const [k, v] of extra) ann.set(k, v);
    return encodeMessage(type, payload, {
      flags,
      seq: req.seq,
      serializerId: req.serializerId,
      annotations: ann,
      hmacKey: d.hmacKey,
      compressThreshold: threshold,
    });
  }

  /**
   * Starts the calls of the inbox that the limits allow, at most
   * DISPATCH_PER_TURN in one turn of the event loop: frames answered at once
   * (pings, requests that fail, plain methods) would otherwise be handled
   * all together, holding every other client for as long as a client's
   * pipelined read takes. The rest wait for the next turn (reading paused
   * meanwhile by checkBackpressure).
   */
  pump(): void {
    const inbox = this.inbox;
    const had = this.inboxBytes;
    while (this.handshaken && inbox.length > 0 && !this.closed) {
      if (!this.canStart()) {
        // the peer's other connections hold its calls: woken when one of them ends (callEnded)
        if (this.running < this.daemon.maxInFlight) this.peer.waiting.add(this);
        break;
      }
      if (this.dispatchedThisTurn >= DISPATCH_PER_TURN) {
        this.nextTurn();
        break;
      }
      this.dispatchedThisTurn++;
      const m = inbox.shift()!;
      this.inboxBytes -= m.data.length;
      this.dispatch(m, this.inboxAt.shift()!);
    }
    if (this.inboxBytes !== had) this.updateHeld();
    if (!this.batching) this.checkBackpressure();
    if (this.closing) this.maybeFinishClosing();
  }

  /** Continues the inbox in the next turn of the event loop, after other clients' I/O. */
  private nextTurn(): void {
    if (this.turnPending) return;
    this.turnPending = true;
    setImmediate(() => {
      this.turnPending = false;
      this.dispatchedThisTurn = 0;
      if (!this.closed) this.batched(() => this.pump());
    });
  }

  /**
   * Stops reading while too much is queued, while the client does not read
   * its replies, or while its address (or all clients) hold more frame bytes
   * than their budget (woken when they go down: PyroDaemon.addHeld).
   */
  checkBackpressure(): void {
    const overBudget = this.held > 0 && this.daemon.overBudget(this.peer);
    if (this.inbox.length >= this.daemon.maxInFlight || overBudget || this.socket.writableLength > WRITE_HIGH_WATER) {
      if (overBudget) this.daemon.waitForBudget(this);
      if (!this.socket.isPaused()) this.socket.pause();
    } else if (!this.closing && this.socket.isPaused()) this.socket.resume();
  }

  /**
   * Inflates a compressed request, within maxMessageSize and the compression
   * ratio; a request beyond either is answered with an exception.
   */
  private inflate(m: PyroMessage): boolean {
    try {
      m.data = inflatePayload(m.data, this.daemon.inflateLimit(m.data.length));
      m.flags &= ~FLAGS_COMPRESSED;
      return true;
    } catch (err) {
      log.debug("compressed request from %s refused: %s", this.clientAddress, errorMessage(err));
      const fault =
        err instanceof MessageTooLargeError
          ? new PyroFault("Pyro4.errors.MessageTooLargeError", `${errorMessage(err)} (at most ${this.daemon.maxCompressionRatio} times the compressed size, or 1 MiB)`)
          : new PyroFault("Pyro4.errors.ProtocolError", errorMessage(err));
      if (!(m.flags & FLAGS_ONEWAY)) this.completeNow(this.errorReply(m, fault));
      return false;
    }
  }

  private dispatch(m: PyroMessage, at: number): void {
    if (m.type === MSG_PING) {
      this.completeNow(
        encodeMessage(MSG_PING, PONG, {
          seq: m.seq,
          serializerId: m.serializerId,
          annotations: new Map([["CORR", annotationOf(m, "CORR") ?? randomUUIDBytes()]]),
          hmacKey: this.daemon.hmacKey,
        }),
      );
      return;
    }
    if (m.type !== MSG_INVOKE) {
      log.debug("unexpected message type %d from %s; closing", m.type, this.clientAddress);
      this.closing = true;
      this.socket.destroy();
      return;
    }
    if (m.flags & FLAGS_COMPRESSED && !this.inflate(m)) return;
    if (!this.daemon.accepts(m.serializerId)) {
      if (this.daemon.knows(m.serializerId) && !(m.flags & FLAGS_ONEWAY)) {
        this.completeNow(this.errorReply(m, new PyroFault("Pyro4.errors.SerializeError", `message used serializer that is not accepted: ${m.serializerId}`)));
      } else {
        this.closing = true;
        this.socket.destroy();
      }
      return;
    }
    if (m.flags & FLAGS_ONEWAY) {
      // counted as running like any call: a flood of oneway calls waits its turn
      this.startCall();
      let started: Promise<unknown>;
      try {
        started = Promise.resolve(this.daemon.handleInvoke(m, this, at));
      } catch (err) {
        started = Promise.reject(err);
      }
      const p = started
        .then(() => undefined)
        .catch((err: unknown) => log.debug("oneway call failed: %s", errorMessage(err)))
        .finally(() => {
          this.onewayRunning.delete(p);
          this.endCall();
          this.pump();
        });
      this.onewayRunning.add(p);
      return;
    }
    this.settle(m, () => this.daemon.handleInvoke(m, this, at));
  }

  /** Sends what `run` makes for request `m`: a reply now, a reply later (a promise), or an exception reply. */
  private settle(m: PyroMessage, run: () => Buffer | undefined | Promise<Buffer | undefined>): void {
    let r: Buffer | undefined | Promise<Buffer | undefined>;
    try {
      r = run();
    } catch (err) {
      this.completeNow(this.errorReply(m, err));
      return;
    }
    if (!(r instanceof Promise)) {
      // the method returned a plain value: the reply goes out in this same tick
      this.completeNow(r);
      return;
    }
    const slot = this.newSlot();
    this.startCall();
    r.then(
      (frame) => {
        this.endCall();
        this.complete(slot, frame);
      },
      (err: unknown) => {
        this.endCall();
        this.complete(slot, this.errorReply(m, err));
      },
    );
  }

  /** A reply that is ready now: sent at once unless earlier replies are still pending. */
  private completeNow(frame: Buffer | undefined): void {
    if (this.slots.length === 0) {
      if (frame) this.emit(frame);
      return;
    }
    this.slots.push({ done: true, frame });
    this.flush();
  }

  errorReply(m: PyroMessage, err: unknown): Buffer {
    return this.daemon.exceptionFrame(this, m, err);
  }

  private newSlot(): Slot {
    const s: Slot = { done: false, frame: undefined };
    this.slots.push(s);
    return s;
  }

  private complete(slot: Slot, frame: Buffer | undefined): void {
    slot.frame = frame;
    slot.done = true;
    this.flush();
    this.pump();
  }

  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const s = this.slots.shift()!;
      if (s.frame) this.emit(s.frame);
    }
    if (this.handshaken && this.daemon.idleTimeoutMs > 0) this.armIdle(this.daemon.idleTimeoutMs);
  }

  get busy(): boolean {
    return this.running > 0 || this.slots.length > 0 || this.inbox.length > 0 || this.onewayRunning.size > 0;
  }

  /** Stops reading; finishes what was received; then closes. */
  startClosing(): Promise<void> {
    this.closing = true;
    this.socket.pause();
    const done = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.maybeFinishClosing();
    return done;
  }

  private maybeFinishClosing(): void {
    if (this.closed) return this.resolveDrain();
    if (!this.handshaken) {
      this.inbox.length = 0;
      this.inboxAt.length = 0;
      this.inboxBytes = 0;
    }
    while (this.inbox.length > 0 && this.running < this.daemon.maxInFlight) {
      const m = this.inbox.shift()!;
      this.inboxBytes -= m.data.length;
      this.dispatch(m, this.inboxAt.shift()!);
    }
    this.updateHeld();
    if (this.drainWaiters.length > 0 && !this.busy) {
      this.writeOut();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
      this.resolveDrain();
    }
  }

  private resolveDrain(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private onClose(): void {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.inbox.length = 0;
    this.inboxAt.length = 0;
    this.inboxBytes = 0;
    this.peer.connections--;
    this.peer.waiting.delete(this);
    // the frame being received goes with the connection: its bytes leave the budgets
    this.daemon.addHeld(this.peer, -this.held);
    this.held = 0;
    this.daemon.connectionClosed(this);
    this.resolveDrain();
  }
}

const PONG = Buffer.from("pong");

/** A fresh random correlation id (uuid4 layout), from a pooled random buffer. */
function randomUUIDBytes(): Buffer {
  const b = Buffer.allocUnsafe(16);
  writeRandomCorr(b, 0);
  return b;
}

/** What `Pyro.Daemon` offers, as its metadata says. */
const DAEMON_METHODS = ["close_stream", "get_metadata", "get_next_stream_item", "info", "ping", "registered"];

/** The daemon: a TCP (or TLS, or Unix socket) server of Pyro4 objects. */
export class PyroDaemon {
  /** The options as parsed (canonical names, parsed values). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly hmacKey: Buffer | undefined;
  readonly maxMessageSize: number;
  /** In ms; 0 = never. */
  readonly idleTimeoutMs: number;
  /** In ms; 0 = never. */
  readonly handshakeTimeoutMs: number;
  readonly maxInFlight: number;
  readonly maxInFlightPerPeer: number;
  /** In ms; 0 = never. */
  readonly frameTimeoutMs: number;
  readonly compressThreshold: number | undefined;
  readonly maxCompressionRatio: number;
  readonly validateHandshake: PyroDaemonOptions["validateHandshake"];
  private readonly maxConnections: number;
  private readonly maxBufferPerPeer: number;
  private readonly maxBufferTotal: number;
  private readonly maxStreams: number;
  private readonly maxStreamsPerConnection: number;
  private readonly maxStreamsPerPeer: number;
  /** Client addresses with connections, calls, streams or held bytes. */
  private readonly peers = new Map<string, Peer>();
  /** Frame bytes held for all clients (Connection.held summed). */
  private heldTotal = 0;
  /** Connections whose reading waits for the buffer budgets. */
  private readonly budgetWaiters = new Set<Connection>();
  /** Refusals of full-daemon connections since the last warning (warned at most once a second). */
  private refusals = 0;
  private lastRefusalWarning = 0;
  /** What is served: the core's one server-side dispatcher. */
  private readonly table: ServiceTable;
  /** Fast-path handles by object id and method; emptied whenever what is served changes. */
  private readonly preparedCache = new Map<string, Map<string, PreparedMethod>>();
  private readonly accepted: Set<number>;
  private readonly serializers = new Map<number, PyroSerializer>();
  private readonly serializerLimits: SerializerLimitsInput & { maxEncodedSize: number; preserveTypes: boolean };
  private readonly tls: TlsSettings | undefined;
  private readonly connections = new Set<Connection>();
  private readonly rejected = new Set<Socket>();
  private readonly streams = new Map<string, StreamEntry>();
  private readonly bindHost: string;
  private readonly requestedPort: number;
  private readonly unixPath: string | undefined;
  private server: Server | undefined;
  private boundHost: string | undefined;
  private boundPort: number | undefined;
  private closingPromise: Promise<void> | undefined;

  constructor(options: PyroDaemonOptions = {}) {
    if ((options as { tls?: unknown }).tls !== undefined) {
      throw new ConfigError("PyroDaemon's 'tls' option is replaced by the core TLS options: tlsKey, tlsCert, tlsCa, tlsClientCert, tlsVerifyFields, tlsMinVersion, ...", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const o = parseOptions("PyroDaemon", options, DAEMON_ONLY_SETTINGS, DAEMON_SETTINGS);
    const get = <T>(name: string): T => optionOr<T>(o, name in DAEMON_ONLY_SETTINGS ? DAEMON_ONLY_SETTINGS : DAEMON_SETTINGS, name);
    this.options = Object.freeze(o);
    this.hmacKey = toHmacKey(get<string | Uint8Array | undefined>("hmacKey"));
    this.maxMessageSize = get<number>("maxMessageSize");
    this.idleTimeoutMs = timerMs(get<number>("idleTimeoutMs"));
    this.handshakeTimeoutMs = timerMs(get<number>("handshakeTimeoutMs"));
    this.maxInFlight = get<number>("maxInFlightPerConnection");
    this.maxInFlightPerPeer = get<number>("maxInFlightPerPeer");
    this.frameTimeoutMs = timerMs(get<number>("frameTimeoutMs"));
    this.maxConnections = get<number>("maxConnections");
    this.maxBufferPerPeer = get<number>("maxBufferPerPeer");
    this.maxBufferTotal = get<number>("maxBufferTotal");
    this.maxStreams = get<number>("maxStreams");
    this.maxStreamsPerConnection = get<number>("maxStreamsPerConnection");
    this.maxStreamsPerPeer = get<number>("maxStreamsPerPeer");
    this.maxCompressionRatio = get<number>("maxCompressionRatio");
    this.compressThreshold = get<number | undefined>("compressThreshold");
    this.validateHandshake = get<PyroDaemonOptions["validateHandshake"]>("validateHandshake");
    // replies are held to the message limit (with room for their annotations), as requests are
    const max = this.maxMessageSize;
    this.serializerLimits = {
      ...get<SerializerLimitsInput | undefined>("serializerLimits"),
      maxEncodedSize: max > 0 ? Math.max(1, max - REPLY_ANNOTATION_ROOM) : Infinity,
      preserveTypes: get<boolean>("preserveTypes"),
    };
    this.bindHost = get<string>("host");
    this.requestedPort = get<number>("port");
    this.unixPath = get<string | undefined>("unixPath");
    this.tls = readTlsSettings(o, "server");
    this.table = new ServiceTable({ tracing: get<boolean>("tracing"), enforceDeadlines: get<boolean>("enforceDeadlines") });
    const names = get<SerializerName[] | undefined>("serializersAccepted") ?? SERIALIZER_NAMES;
    this.accepted = new Set();
    for (const n of names) {
      const s = getSerializer(n, this.serializerLimits);
      this.serializers.set(s.id, s);
      this.accepted.add(s.id);
    }
  }

  // ------------------------------------------------------------ clients

  /** @internal The record of a client address (Unix-socket clients share one). */
  peerOf(address: string | undefined): Peer {
    const key = address ?? "(local)";
    let p = this.peers.get(key);
    if (p === undefined) {
      p = new Peer(key);
      this.peers.set(key, p);
    }
    return p;
  }

  private forgetIfUnused(p: Peer): void {
    if (p.unused && this.peers.get(p.key) === p) this.peers.delete(p.key);
  }

  /** @internal A call of the peer ended: its connections waiting for a free call may go on. */
  callEnded(p: Peer): void {
    p.inFlight--;
    if (p.waiting.size > 0 && p.inFlight < this.maxInFlightPerPeer) {
      const waiting = [...p.waiting];
      p.waiting.clear();
      for (const c of waiting) if (!c.closed) c.pump();
    }
    if (p.connections === 0) this.forgetIfUnused(p);
  }

  /** @internal Counts frame bytes held for a peer (negative: released) and wakes connections waiting for the budget. */
  addHeld(p: Peer, delta: number): void {
    if (delta === 0) return;
    p.held += delta;
    this.heldTotal += delta;
    if (delta < 0) {
      if (this.budgetWaiters.size > 0) this.wakeBudgetWaiters();
      if (p.connections === 0) this.forgetIfUnused(p);
    }
  }

  /** @internal Whether the peer, or all clients, hold more frame bytes than allowed. */
  overBudget(p: Peer): boolean {
    return p.held > this.maxBufferPerPeer || this.heldTotal > this.maxBufferTotal;
  }

  /** @internal A connection paused for the budgets, resumed when they allow. */
  waitForBudget(c: Connection): void {
    this.budgetWaiters.add(c);
  }

  private wakeBudgetWaiters(): void {
    if (this.heldTotal > this.maxBufferTotal) return;
    for (const c of [...this.budgetWaiters]) {
      if (c.closed) this.budgetWaiters.delete(c);
      else if (!this.overBudget(c.peer)) {
        this.budgetWaiters.delete(c);
        c.checkBackpressure();
      }
    }
  }

  /** @internal How far a compressed request of `size` bytes may inflate: the compression ratio (or 1 MiB), within maxMessageSize. */
  inflateLimit(size: number): number {
    const byRatio = Math.max(COMPRESSION_ALLOWANCE, size * this.maxCompressionRatio);
    return this.maxMessageSize > 0 ? Math.min(this.maxMessageSize, byRatio) : byRatio;
  }

  /** Number of client addresses with connections, calls, item streams or frames held. */
  get peerCount(): number {
    return this.peers.size;
  }

  /** Frame bytes the daemon holds for its clients (being received, or waiting to run). */
  get heldBytes(): number {
    return this.heldTotal;
  }

  /** Whether a serializer id is accepted from clients. */
  accepts(id: number): boolean {
    return this.accepted.has(id);
  }

  knows(id: number): boolean {
    return id === 1 || id === 2 || id === 3;
  }

  serializer(id: number): PyroSerializer {
    let s = this.serializers.get(id);
    if (!s) {
      s = getSerializer(id, this.serializerLimits);
      this.serializers.set(id, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- objects

  /**
   * Serves an object under an id (a random `obj_<hex>` id when none is given).
   * Its public methods (the core's exposure rules, or the `allow` list) are
   * callable; `oneway` names are announced as oneway in the metadata. A taken
   * id is an ERR_DUPLICATE_NAME error.
   *
   * A class is served through instances made per `instanceMode` ("session" by
   * default: one per client connection; "single"; "percall"), with `new cls()`
   * or `instanceCreator(cls)`. Its exposed methods come from its prototype.
   */
  register<C extends PyroClass>(cls: C, objectId?: string, options?: ClassRegisterOptions<C>): string;
  register(target: object, objectId?: string, options?: ExposeOptions): string;
  register(target: object, objectId?: string, options: ExposeOptions & { instanceMode?: InstanceMode; instanceCreator?: InstanceCreator } = {}): string {
    const id = objectId ?? `obj_${randomBytes(16).toString("hex")}`;
    if (id === DAEMON_OBJECT_ID) throw new RemotingError(`'${DAEMON_OBJECT_ID}' is the daemon's own object`, ErrorCodes.ERR_DUPLICATE_NAME);
    this.table.register(id, target, options);
    this.preparedCache.clear();
    return id;
  }

  /** Stops serving an object (a class: its instances are dropped too). Returns whether it was registered. */
  unregister(objectId: string): boolean {
    const had = this.table.unregister(objectId);
    this.preparedCache.clear();
    return had;
  }

  /**
   * Adds a server interceptor around every call the daemon serves (outermost
   * first, in the order added); `only` limits it to the calls of one object.
   */
  use(interceptor: ServerInterceptor, only?: string): void {
    if (only === undefined) this.table.use(interceptor);
    else {
      const entry = this.table.get(only);
      if (!entry) throw new RemotingError(`no object '${only}' is registered`, ErrorCodes.ERR_INVALID_ARGUMENT);
      this.table.use((next) => {
        const wrapped = interceptor(next);
        // the registration itself, not its name: a later object of that name is not affected
        return (call) => (call.service === only && this.table.get(only) === entry ? wrapped(call) : next(call));
      });
    }
    this.preparedCache.clear();
  }

  has(objectId: string): boolean {
    return objectId === DAEMON_OBJECT_ID || this.table.has(objectId);
  }

  /** Ids of the served objects (including `Pyro.Daemon`). */
  registered(): string[] {
    return [DAEMON_OBJECT_ID, ...this.table.names()];
  }

  /** The number of objects served, not counting `Pyro.Daemon`. */
  get objectCount(): number {
    return this.table.size;
  }

  /** @internal The fast path's handle for a served plain object's method (cached), or undefined. */
  prepared(objectId: string, method: string): PreparedMethod | undefined {
    let byMethod = this.preparedCache.get(objectId);
    const hit = byMethod?.get(method);
    if (hit !== undefined) return hit;
    const p = this.table.prepared(objectId, method);
    if (p === undefined) return undefined;
    if (byMethod === undefined) {
      byMethod = new Map();
      this.preparedCache.set(objectId, byMethod);
    }
    byMethod.set(method, p);
    return p;
  }

  metadata(objectId: string, asLists: boolean): Record<string, unknown> {
    let methods: string[];
    let oneway: string[];
    let attrs: string[];
    if (objectId === DAEMON_OBJECT_ID) {
      methods = DAEMON_METHODS;
      oneway = ["close_stream"];
      attrs = [];
    } else {
      const e = this.table.get(objectId);
      if (!e) throw new PyroFault("Pyro4.errors.DaemonError", "unknown object");
      methods = [...e.methods].sort();
      oneway = [...e.oneway].sort();
      // a registered class has no attributes: they would only be known per instance
      attrs = this.table.attributes(objectId);
    }
    if (asLists) return { methods, oneway, attrs };
    return { methods: new Set(methods), oneway: new Set(oneway), attrs: new Set(attrs) };
  }

  // ------------------------------------------------------------- lifecycle

  get listening(): boolean {
    return this.server?.listening === true;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /** The address bound (undefined before listen, and for a Unix socket). */
  get host(): string | undefined {
    return this.boundHost;
  }

  /** `host:port` (or `./u:/path`) as written in PYRO URIs. */
  get location(): string {
    if (this.unixPath) return `./u:${this.unixPath}`;
    if (this.boundHost === undefined || this.boundPort === undefined) throw new RemotingError("daemon is not listening", ErrorCodes.ERR_CLOSED);
    return formatLocation(this.boundHost, this.boundPort);
  }

  /** The PYRO URI of a served object. */
  uriFor(objectId: string): string {
    return `PYRO:${objectId}@${this.location}`;
  }

  /** Binds and starts serving. */
  async listen(): Promise<void> {
    if (this.server) return;
    const tls = this.tls;
    let server: Server;
    if (tls) {
      // the TLS handshake has the CONNECT's time limit (Node's own default is 2 minutes)
      const handshakeTimeout = this.handshakeTimeoutMs > 0 ? this.handshakeTimeoutMs : 120_000;
      const tlsServer = createTlsServer({ ...serverTlsOptions(tls), handshakeTimeout }, (socket) => this.accept(socket, tls));
      // Node leaves the socket open after a failed or timed-out handshake when there is a listener: the core's helper closes it (a probe is logged at debug only)
      closeFailedHandshakes(tlsServer, log);
      server = tlsServer;
    } else server = createNetServer((socket) => this.accept(socket, undefined));
    this.server = server;
    try {
      if (this.unixPath) {
        const path = this.unixPath;
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(path, () => {
            server.off("error", reject);
            resolve();
          });
        });
      } else {
        const host = await resolveHost(this.bindHost);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ host, port: this.requestedPort, exclusive: true }, () => {
            server.off("error", reject);
            resolve();
          });
        });
        const addr = server.address() as AddressInfo;
        this.boundHost = host;
        this.boundPort = addr.port;
      }
    } catch (err) {
      this.server = undefined;
      const code = (err as { code?: string }).code;
      if (code === "EADDRINUSE") {
        throw new CommunicationError(`address already in use: ${this.unixPath ?? `${this.bindHost}:${this.requestedPort}`}`, ErrorCodes.ERR_ADDRESS_IN_USE, { cause: err });
      }
      throw new CommunicationError(`cannot listen: ${errorMessage(err)}`, ErrorCodes.ERR_COMMUNICATION, { cause: err });
    }
    server.on("error", (err) => log.error("daemon server error: %s", err));
    logSilentDisconnects(server, log);
    log.debug("Pyro4 daemon listening on %s", this.location);
  }

  private accept(socket: Socket, tls: TlsSettings | undefined): void {
    if (this.closingPromise) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.maxConnections && !this.evictIdle()) {
      this.refusals++;
      const now = Date.now();
      if (now - this.lastRefusalWarning >= 1000) {
        log.warn("refused %d connection(s) (the last from %s): %d connections served, none idle for %d ms", this.refusals, socket.remoteAddress, this.connections.size, EVICTABLE_AFTER_MS);
        this.refusals = 0;
        this.lastRefusalWarning = now;
      }
      this.refuse(socket, "no free workers, increase server threadpool size");
      return;
    }
    if (tls) {
      // the one client-certificate check of core/tls (optional, required, verifyFields); the reason stays here
      const reason = checkClient(socket as TLSSocket, tls);
      if (reason !== undefined) {
        log.error("refused a TLS client from %s: %s", socket.remoteAddress, reason);
        this.refuse(socket, "client certificate refused");
        return;
      }
    }
    this.connections.add(new Connection(this, socket));
  }

  /**
   * A full daemon makes room: closes the connection that has been idle the
   * longest (no call running or queued, nothing received or finished for
   * EVICTABLE_AFTER_MS or more: an idle client, a silent one, a slow
   * sender). Returns false when none is.
   */
  private evictIdle(): boolean {
    const now = Date.now();
    let victim: Connection | undefined;
    for (const c of this.connections) {
      if (c.closing || c.busy || now - c.lastActive < EVICTABLE_AFTER_MS) continue;
      if (victim === undefined || c.lastActive < victim.lastActive) victim = c;
    }
    if (victim === undefined) return false;
    log.debug("closing the connection from %s:%s, idle for %d ms, to make room for a new one", victim.clientAddress, victim.clientPort, now - victim.lastActive);
    this.connections.delete(victim);
    victim.closing = true;
    victim.socket.destroy();
    return true;
  }

  /** Answers a connection with CONNECTFAIL and closes it. */
  private refuse(socket: Socket, reason: string): void {
    socket.on("error", () => undefined);
    // read (and drop) whatever comes, so the client's FIN is seen and the socket closes
    socket.resume();
    socket.end(encodeMessage(MSG_CONNECTFAIL, marshalString(reason), { serializerId: MARSHAL_SERIALIZER_ID, hmacKey: this.hmacKey }));
    this.rejected.add(socket);
    const timer = setTimeout(() => socket.destroy(), 1000);
    socket.once("close", () => {
      clearTimeout(timer);
      this.rejected.delete(socket);
    });
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  connectionClosed(c: Connection): void {
    this.connections.delete(c);
    this.forgetIfUnused(c.peer);
    this.table.endSession(c);
    this.budgetWaiters.delete(c);
    for (const id of c.streams) {
      const s = this.streams.get(id);
      if (!s || s.conn !== c) continue;
      s.conn = undefined;
      const linger = timerMs((this.options["streamLingerMs"] as number | undefined) ?? DEFAULT_STREAM_LINGER_MS);
      if (linger <= 0) this.dropStream(id);
      else {
        s.lingerTimer = setTimeout(() => this.dropStream(id), linger);
        s.lingerTimer.unref();
      }
    }
  }

  /**
   * Stops accepting, lets calls already received finish (up to
   * `closeGraceMs`), then closes every connection and item stream.
   */
  close(): Promise<void> {
    if (this.closingPromise) return this.closingPromise;
    this.closingPromise = (async () => {
      const server = this.server;
      const serverClosed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      const grace = (this.options["closeGraceMs"] as number | undefined) ?? DEFAULT_CLOSE_GRACE_MS;
      const drains = Promise.all([...this.connections].map((c) => c.startClosing()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drains, new Promise<void>((resolve) => (timer = setTimeout(resolve, grace)))]);
      if (timer) clearTimeout(timer);
      for (const c of this.connections) c.socket.destroy();
      for (const s of this.rejected) s.destroy();
      for (const id of [...this.streams.keys()]) this.dropStream(id);
      await serverClosed;
      this.server = undefined;
      log.debug("Pyro4 daemon closed");
    })();
    return this.closingPromise;
  }

  // --------------------------------------------------------------- streams

  private dropStream(id: string): void {
    const s = this.streams.get(id);
    if (!s) return;
    this.streams.delete(id);
    s.conn?.streams.delete(id);
    s.peer.streams--;
    this.forgetIfUnused(s.peer);
    if (s.lingerTimer) clearTimeout(s.lingerTimer);
    if (s.lifetimeTimer) clearTimeout(s.lifetimeTimer);
    try {
      const r = s.iter.return?.();
      if (isPromiseLike(r)) Promise.resolve(r).catch(() => undefined);
    } catch {
      /* ignore */
    }
  }

  private addStream(iter: Iterator<unknown> | AsyncIterator<unknown>, conn: Connection): string {
    const full =
      this.streams.size >= this.maxStreams
        ? "too many open item streams"
        : conn.streams.size >= this.maxStreamsPerConnection
          ? `too many open item streams on this connection (${this.maxStreamsPerConnection})`
          : conn.peer.streams >= this.maxStreamsPerPeer
            ? `too many open item streams for this client (${this.maxStreamsPerPeer})`
            : undefined;
    if (full !== undefined) {
      try {
        const r = iter.return?.();
        if (isPromiseLike(r)) Promise.resolve(r).catch(() => undefined);
      } catch {
        /* ignore */
      }
      throw new PyroFault("Pyro4.errors.PyroError", full);
    }
    const id = randomUUID();
    const entry: StreamEntry = { id, iter, conn, peer: conn.peer, created: Date.now(), lingerTimer: undefined, lifetimeTimer: undefined, busy: undefined };
    conn.peer.streams++;
    const life = timerMs((this.options["streamLifetimeMs"] as number | undefined) ?? Infinity);
    if (life > 0) {
      entry.lifetimeTimer = setTimeout(() => this.dropStream(id), life);
      entry.lifetimeTimer.unref();
    }
    this.streams.set(id, entry);
    conn.streams.add(id);
    return id;
  }

  /** Number of open item streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  private async nextStreamItem(id: unknown, conn: Connection): Promise<unknown> {
    const s = typeof id === "string" ? this.streams.get(id) : undefined;
    if (!s) throw new PyroFault("Pyro4.errors.PyroError", "item stream terminated");
    if (s.conn !== conn) {
      if (s.lingerTimer) clearTimeout(s.lingerTimer);
      s.lingerTimer = undefined;
      s.conn?.streams.delete(s.id);
      s.conn = conn;
      conn.streams.add(s.id);
      if (s.peer !== conn.peer) {
        // a client that reconnected from another address: the stream counts against it now
        s.peer.streams--;
        this.forgetIfUnused(s.peer);
        s.peer = conn.peer;
        s.peer.streams++;
      }
    }
    // one next() at a time per stream
    while (s.busy) await s.busy.catch(() => undefined);
    const p = (async () => {
      let r: IteratorResult<unknown>;
      try {
        r = await s.iter.next();
      } catch (err) {
        this.dropStream(s.id);
        throw err;
      }
      if (r.done) {
        this.dropStream(s.id);
        throw new PyroFault("builtins.StopIteration", undefined);
      }
      return r.value;
    })();
    s.busy = p;
    try {
      return await p;
    } finally {
      s.busy = undefined;
    }
  }

  // ---------------------------------------------------------------- calls

  exceptionFrame(conn: Connection, m: PyroMessage, err: unknown): Buffer {
    const ser = this.serializer(m.serializerId);
    let payload: Buffer;
    try {
      payload = ser.dumps(this.exceptionDict(err));
    } catch (e2) {
      payload = ser.dumps(pyroExceptionDict("Pyro4.errors.PyroError", `Error serializing exception: ${errorMessage(e2)}`));
    }
    return conn.frame(MSG_RESULT, payload, m, FLAGS_EXCEPTION, undefined);
  }

  exceptionDict(err: unknown): Record<string, unknown> {
    if (err instanceof PyroFault) {
      return pyroExceptionDict(err.pythonClass, err.noMessage ? undefined : err.message, err.traceback);
    }
    // the service table's refusals are the daemon's own errors: no JS stack in the traceback
    if (err instanceof ServiceError) return pyroExceptionDict(err.pythonType, err.message);
    const d = errorToPyro(err, []);
    const cls = typeof d["__class__"] === "string" ? d["__class__"] : "builtins.Exception";
    const attrs = (d["attributes"] && typeof d["attributes"] === "object" ? { ...(d["attributes"] as Record<string, unknown>) } : {}) as Record<string, unknown>;
    const args = d["args"];
    const message = Array.isArray(args) && args.length === 1 && typeof args[0] === "string" ? args[0] : errorMessage(err);
    attrs["_pyroTraceback"] =
      err instanceof RemoteInvocationError && err.remoteTraceback.length > 0 ? [...err.remoteTraceback] : jsTraceback(err, cls, message);
    return { ...d, attributes: attrs };
  }

  /** The context a call is served with. */
  private contextOf(m: PyroMessage, conn: Connection, ser: PyroSerializer, objectId: string, method: string, arrived: number): PyroCallContext {
    const meta = annotationOf(m, METADATA_ANNOTATION);
    const oneway = (m.flags & FLAGS_ONEWAY) !== 0;
    if (meta === undefined) return new PyroCallContext(objectId, method, ser.name, conn, NO_METADATA, Infinity, oneway, m, undefined, 0, 0);
    const { metadata, deadline } = metadataAndDeadline(meta, arrived);
    return new PyroCallContext(objectId, method, ser.name, conn, metadata, deadline, oneway, m, undefined, 0, 0);
  }

  /**
   * Runs one INVOKE and returns the reply frame (undefined for oneway), or a
   * promise of it when the method is async (or for a batch). Throws (or
   * rejects) for an exception reply.
   */
  handleInvoke(m: PyroMessage, conn: Connection, arrived: number): Buffer | undefined | Promise<Buffer | undefined> {
    const ser = this.serializer(m.serializerId);
    let call: { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> };
    try {
      call = ser.loadsCall(m.data);
    } catch (err) {
      throw new PyroFault("Pyro4.errors.SerializeError", `cannot deserialize call: ${errorMessage(err)}`);
    }
    const vargs = Array.isArray(call.vargs) ? call.vargs : [];
    const kwargs = call.kwargs && typeof call.kwargs === "object" ? call.kwargs : NO_KWARGS;
    const objectId = call.objectId;
    if (objectId !== DAEMON_OBJECT_ID && !this.table.has(objectId)) throw new PyroFault("Pyro4.errors.DaemonError", "unknown object");
    if (m.flags & FLAGS_BATCH) return this.handleBatch(m, ser, objectId, vargs, conn, arrived);
    let result: unknown;
    if (call.method === "__getattr__" || call.method === "__setattr__") {
      result = this.attribute(objectId, call.method, vargs);
    } else {
      result = this.callMethod(m, ser, objectId, call.method, vargs, kwargs, conn, undefined, arrived);
      if (isPromiseLike(result)) return Promise.resolve(result).then((r) => this.invokeReply(m, ser, r, conn));
    }
    return this.invokeReply(m, ser, result, conn);
  }

  /** @internal The reply frame for a call's result (undefined for oneway). */
  invokeReply(m: PyroMessage, ser: PyroSerializer, result: unknown, conn: Connection): Buffer | undefined {
    if ((m.flags & FLAGS_ONEWAY) !== 0) {
      if (isStreamable(result)) {
        try {
          toIterator(result).return?.();
        } catch {
          /* ignore */
        }
      }
      return undefined;
    }
    if (result !== null && typeof result === "object" && isStreamable(result)) {
      const id = this.addStream(toIterator(result), conn);
      const payload = ser.dumps(pyroExceptionDict("Pyro4.errors.ProtocolError", "result of call is an iterator", null));
      const ann = new Map([["STRM", Buffer.from(id, "ascii")]]);
      return conn.frame(MSG_RESULT, payload, m, FLAGS_EXCEPTION | FLAGS_ITEMSTREAMRESULT, undefined, ann);
    }
    if (this.hmacKey === undefined) {
      // the hot path: a scalar result, written as text straight into the frame
      const text = ser.valueText(result);
      const threshold = this.compressThreshold;
      if (text !== undefined && (threshold === undefined || text.length < threshold)) {
        fastPathHits["pyro4.daemon.resultText"]++;
        return encodeTextReply(MSG_RESULT, 0, m, text);
      }
    }
    const corr = annotationOf(m, "CORR") ?? true;
    const head = conn.replyHead(corr);
    // a plain reply's payload may be written into the arena: its frame is written (or dropped) before the next reply is made
    const framed = withArena(head, () => this.dumpResult(ser, result, head));
    return conn.frame(MSG_RESULT, framed, m, 0, corr, undefined, head);
  }

  private async handleBatch(m: PyroMessage, ser: PyroSerializer, objectId: string, vargs: unknown[], conn: Connection, arrived: number): Promise<Buffer | undefined> {
    // a registered class: one instance serves the whole batch (as in Pyro4, also for "percall")
    const entry = objectId === DAEMON_OBJECT_ID ? undefined : this.table.get(objectId);
    let instance: object | undefined;
    const results: unknown[] = [];
    for (const c of vargs) {
      const triple = Array.isArray(c) ? c : [];
      const [name, args, kw] = triple as [unknown, unknown, unknown];
      try {
        if (entry?.instances !== undefined && instance === undefined) instance = await entry.instances.instanceFor(conn);
        let r = this.callMethod(m, ser, objectId, String(name), Array.isArray(args) ? args : [], kw && typeof kw === "object" ? (kw as Record<string, unknown>) : NO_KWARGS, conn, instance, arrived);
        if (isPromiseLike(r)) r = await r;
        results.push(r);
      } catch (err) {
        results.push({ __class__: "Pyro4.futures._ExceptionWrapper", exception: this.exceptionDict(err) });
        break;
      }
    }
    if (m.flags & FLAGS_ONEWAY) return undefined;
    return conn.frame(MSG_RESULT, this.dumpResult(ser, results), m, FLAGS_BATCH, annotationOf(m, "CORR") ?? true);
  }

  private dumpResult(ser: PyroSerializer, value: unknown, head = 0): Buffer {
    try {
      return ser.dumps(value, head);
    } catch (err) {
      // a reply is held to maxMessageSize as a request is: the writer stops there, and the client gets the error instead
      if (err instanceof RemotingError && err.code === ErrorCodes.ERR_MESSAGE_TOO_LARGE) throw new PyroFault("Pyro4.errors.MessageTooLargeError", `the reply is too large: ${errorMessage(err)}`);
      throw new PyroFault("Pyro4.errors.SerializeError", errorMessage(err));
    }
  }

  private attribute(objectId: string, which: string, vargs: unknown[]): unknown {
    const name = vargs[0];
    if (objectId === DAEMON_OBJECT_ID) throw new PyroFault("builtins.AttributeError", `attempt to access unexposed or unknown remote attribute '${String(name)}'`);
    if (which === "__getattr__") return this.table.getAttribute(objectId, name);
    if (vargs.length < 2) throw new PyroFault("builtins.TypeError", "__setattr__ needs a name and a value");
    this.table.setAttribute(objectId, name, vargs[1]);
    return null;
  }

  /** Calls a method through the service table; returns its value, or a promise when the method is async. */
  private callMethod(
    m: PyroMessage,
    ser: PyroSerializer,
    objectId: string,
    method: string,
    vargs: unknown[],
    kwargs: Record<string, unknown>,
    conn: Connection,
    instance: object | undefined,
    arrived: number,
  ): unknown {
    if (objectId === DAEMON_OBJECT_ID) return this.daemonObjectCall(method, vargs, kwargs, conn);
    const context = this.contextOf(m, conn, ser, objectId, method, arrived);
    // a plain object's method without keyword arguments: the prepared handle (the same rules, looked up once)
    const prep = instance === undefined && !hasKeys(kwargs) ? this.prepared(objectId, method) : undefined;
    if (prep !== undefined) return prep.call(vargs, context);
    return this.table.invoke({ service: objectId, method, args: vargs, kwargs, context, session: conn, instance });
  }

  private daemonObjectCall(method: string, vargs: unknown[], kwargs: Record<string, unknown>, conn: Connection): unknown {
    const arg = (i: number, name: string): unknown => (vargs.length > i ? vargs[i] : kwargs[name]);
    switch (method) {
      case "ping":
        return null;
      case "registered":
        return this.registered();
      case "info":
        return `Pyro.Daemon bound on ${this.unixPath ? `./u:${this.unixPath}` : `${this.boundHost}:${this.boundPort}`}, NAT None, ${this.table.size + 1} objects registered. Servertype: remoting (Node.js)`;
      case "get_metadata": {
        const id = arg(0, "objectId");
        if (typeof id !== "string") throw new PyroFault("Pyro4.errors.DaemonError", "unknown object");
        return this.metadata(id, arg(1, "as_lists") === true);
      }
      case "get_next_stream_item":
        return this.nextStreamItem(arg(0, "streamId"), conn);
      case "close_stream": {
        const id = arg(0, "streamId");
        if (typeof id === "string") this.dropStream(id);
        return null;
      }
      default:
        if (method.startsWith("_")) throw new PyroFault("builtins.AttributeError", `attempt to access private attribute '${method}'`);
        throw new PyroFault("builtins.AttributeError", `'DaemonObject' object has no attribute '${method}'`);
    }
  }
}
