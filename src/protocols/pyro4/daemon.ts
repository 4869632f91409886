/**
 * A Pyro4 (protocol 48) daemon: serves JS objects by id to Pyro4 proxies, ours
 * or Python's.
 *
 * Per connection: CONNECT handshake (with metadata when asked), then INVOKE /
 * PING frames. Calls on one connection start in arrival order (at most
 * `maxInFlightPerConnection` at a time) and their replies are always written
 * in request order. Oneway calls run detached and never reply.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP, createServer as createNetServer, type Server, type Socket, type AddressInfo } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";
import { CommunicationError, ErrorCodes, MessageTooLargeError, RemoteInvocationError, RemotingError, errorMessage } from "../../core/errors.js";
import { getLogger } from "../../core/logging.js";
import { exposedAttributes, exposedMethods, type ExposeOptions } from "../../core/server/exposure.js";
import { dictGet, errorToPyro, getSerializer, jsTraceback, pyroExceptionDict, type PyroSerializer } from "./codec.js";
import { ClassInstances, isPyroClass, releaseSessions, resolveBehavior, type InstanceCreator, type InstanceMode, type PyroClass } from "../../core/server/instances.js";
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  encodeMessage,
  encodePlainFrame,
  encodeTextReply,
  encodeTextReplyFrom,
  decodeMessage,
  soloPlainFrame,
  FLAGS_BATCH,
  FLAGS_EXCEPTION,
  FLAGS_ITEMSTREAMRESULT,
  FLAGS_META_ON_CONNECT,
  FLAGS_ONEWAY,
  FrameReader,
  annotationOf,
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
  type PyroMessage,
} from "./message.js";

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
export const DEFAULT_CLOSE_GRACE_MS = 10_000;

/** Reading from a connection pauses while more than this many reply bytes wait to be sent. */
const WRITE_HIGH_WATER = 16 * 1024 * 1024;

export type SerializerName = "serpent" | "json" | "marshal";

export interface PyroDaemonOptions {
  /** Host name or address to bind (default "localhost", bound as its IPv4 address). */
  host?: string | undefined;
  /** TCP port (default 0: an ephemeral port). */
  port?: number | undefined;
  /** Bind a Unix domain socket at this path instead of TCP. */
  unixPath?: string | undefined;
  /** Shared HMAC key (Pyro4's `_pyroHmacKey`): all frames are signed and must be signed. */
  hmacKey?: string | Uint8Array | undefined;
  /** Serializers accepted from clients (default serpent, json, marshal — Pyro4's default). */
  serializersAccepted?: readonly SerializerName[] | undefined;
  /** Limit for payload + annotations of one frame, in bytes (default 64 MiB). */
  maxMessageSize?: number | undefined;
  /** Close connections idle for this long, in ms (default 3600000 = 1 hour; 0 = never). */
  idleTimeoutMs?: number | undefined;
  /** Close a connection that sent no CONNECT frame within this time, in ms (default 10000). */
  handshakeTimeoutMs?: number | undefined;
  /** Calls of one connection that may run at once (default 32; 1 = strictly one after the other). */
  maxInFlightPerConnection?: number | undefined;
  /** Connections served at once; more get CONNECTFAIL (default 1024). */
  maxConnections?: number | undefined;
  /** Compress replies at least this large, in bytes (default: never compress). */
  compressThreshold?: number | false | undefined;
  /** How long an item stream survives its connection, in ms (default 30000, Pyro4's ITER_STREAM_LINGER). */
  streamLingerMs?: number | undefined;
  /** Maximum age of an item stream, in ms (default 0 = unlimited, Pyro4's ITER_STREAM_LIFETIME). */
  streamLifetimeMs?: number | undefined;
  /** Open item streams per daemon (default 10000). */
  maxStreams?: number | undefined;
  /** On close(), how long in-flight calls may run before connections are cut, in ms (default 10000). */
  closeGraceMs?: number | undefined;
  /** Serve TLS with these options (key, cert, ca, requestCert, rejectUnauthorized, ...). */
  tls?: TlsOptions | undefined;
  /** Limits handed to the serializers. */
  serializerLimits?: { maxDepth?: number; maxItems?: number; maxStringLength?: number } | undefined;
  /**
   * Checks the client's handshake data (default: accept anything, answer "hello").
   * Throw to refuse the connection (the message goes back in CONNECTFAIL).
   */
  validateHandshake?: ((data: unknown, info: { remoteAddress: string | undefined; socket: Socket }) => unknown) | undefined;
}

interface Registration {
  id: string;
  /** The served object; for a registered class, its prototype (nothing is called on it). */
  target: object;
  methods: Set<string>;
  oneway: Set<string>;
  className: string;
  /** Only for a registered class: makes and keeps its instances (absent for plain objects). */
  instances?: ClassInstances | undefined;
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
 * arguments are passed as one trailing plain object.
 */
export const PYRO_PARAMS: unique symbol = Symbol.for("remoting.pyro.params");

function applyKwargs(fn: (...a: unknown[]) => unknown, method: string, vargs: unknown[], kwargs: Record<string, unknown>): unknown[] {
  const names = (fn as unknown as Record<symbol, unknown>)[PYRO_PARAMS];
  if (!Array.isArray(names)) return [...vargs, kwargs];
  const args = [...vargs];
  for (const [k, v] of Object.entries(kwargs)) {
    const i = names.indexOf(k);
    if (i < 0) throw new PyroFault("builtins.TypeError", `${method}() got an unexpected keyword argument '${k}'`);
    if (i < vargs.length) throw new PyroFault("builtins.TypeError", `${method}() got multiple values for argument '${k}'`);
    while (args.length < i) args.push(undefined);
    args[i] = v;
  }
  return args;
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

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

class Connection {
  readonly reader: FrameReader;
  handshaken = false;
  handshakeStarted = false;
  /** serveFast() may be tried (after the handshake, no HMAC, no compression, serpent accepted). */
  private fastPath = false;
  closing = false;
  closed = false;
  private readonly slots: Slot[] = [];
  private readonly inbox: PyroMessage[] = [];
  private running = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleMs = 0;
  private readonly drainWaiters: Array<() => void> = [];
  readonly streams = new Set<string>();
  readonly onewayRunning = new Set<Promise<void>>();
  /** Reply frames produced while one received chunk is processed: written together at its end. */
  private readonly outq: Buffer[] = [];
  private outBytes = 0;
  private batching = false;

  constructor(
    readonly daemon: PyroDaemon,
    readonly socket: Socket,
  ) {
    this.reader = new FrameReader({ hmacKey: daemon.hmacKey, maxMessageSize: daemon.maxMessageSize });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => log.debug("connection error from %s: %s", socket.remoteAddress, err.message));
    socket.on("close", () => this.onClose());
    socket.on("drain", () => this.pump());
    this.armIdle(daemon.handshakeTimeoutMs);
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
    log.debug("closing idle connection from %s", this.socket.remoteAddress);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    if (this.fastPath && this.reader.pending === 0 && this.reader.currentHeader === undefined && this.running === 0 && this.slots.length === 0 && this.inbox.length === 0 && this.serveFast(chunk)) {
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
    if (this.handshaken && this.daemon.idleTimeoutMs > 0) this.armIdle(this.daemon.idleTimeoutMs);
    if (msgs.length === 1 && this.handshaken && this.inbox.length === 0 && this.slots.length === 0 && this.running < this.daemon.maxInFlight) {
      // the common case: one request on an idle connection, served right away (a synchronous reply is written by emit() at once)
      this.dispatch(msgs[0]!);
      if (this.closing) this.maybeFinishClosing();
      this.checkBackpressure();
      return;
    }
    this.batching = true;
    try {
      for (const m of msgs) {
        if (this.closing) break;
        if (!this.handshakeStarted) {
          this.handshakeStarted = true;
          this.handshake(m);
          continue;
        }
        this.inbox.push(m);
      }
      this.pump();
    } finally {
      this.batching = false;
      this.writeOut();
    }
    this.checkBackpressure();
  }

  /**
   * The hot path, for a chunk that is exactly one plain INVOKE frame (serpent,
   * no flags, no HMAC, a small call of a plain object's method with scalar
   * arguments): read in place, the method called, a scalar result written as
   * text with the request's CORR. Returns false, having done nothing, for
   * anything else (the general path then reads the chunk and reports any
   * error). Once the method is called the request is answered here.
   */
  private serveFast(b: Buffer): boolean {
    const d = this.daemon;
    const f = soloPlainFrame(b, b.length, MSG_INVOKE, d.maxMessageSize);
    if (f === undefined || f.serializerId !== 1) return false;
    const { seq, corrAt, payloadStart } = f;
    const n = b.length;
    const ser = d.serializer(1);
    const call = ser.callAt(b, payloadStart, n);
    if (call === undefined) return false;
    const target = d.plainMethodTarget(call.objectId, call.method);
    if (target === undefined) return false;
    let result: unknown;
    try {
      result = (target[call.method] as (...a: unknown[]) => unknown).apply(target, call.vargs);
    } catch (err) {
      this.completeNow(this.errorReply(decodeMessage(b, { maxMessageSize: d.maxMessageSize }), err));
      return true;
    }
    const text = result === null || typeof result !== "object" ? ser.valueText(result) : undefined;
    if (text !== undefined) {
      this.emit(encodeTextReplyFrom(MSG_RESULT, 0, seq, 1, b, corrAt, text));
      return true;
    }
    const m = decodeMessage(b, { maxMessageSize: d.maxMessageSize });
    this.settle(m, () => (isPromiseLike(result) ? Promise.resolve(result).then((r) => d.invokeReply(m, ser, r, this)) : d.invokeReply(m, ser, result, this)));
    return true;
  }

  /** Sends a frame now, or (while a received chunk is processed) with the other replies to it. */
  emit(frame: Buffer): void {
    if (this.closed) return;
    if (this.batching) {
      this.outq.push(frame);
      this.outBytes += frame.length;
    } else this.socket.write(frame);
  }

  /** Writes the replies collected by emit() in one go. */
  private writeOut(): void {
    const q = this.outq;
    if (q.length === 0) return;
    if (this.closed) {
      q.length = 0;
      this.outBytes = 0;
      return;
    }
    if (q.length === 1) this.socket.write(q[0]!);
    else if (this.outBytes <= 65536) this.socket.write(Buffer.concat(q, this.outBytes));
    else {
      this.socket.cork();
      for (const f of q) this.socket.write(f);
      this.socket.uncork();
    }
    q.length = 0;
    this.outBytes = 0;
  }

  private onFrameError(err: unknown): void {
    log.debug("bad frame from %s: %s", this.socket.remoteAddress, errorMessage(err));
    if (!this.handshaken && !(err instanceof MessageTooLargeError)) {
      const seq = this.reader.currentHeader?.seq ?? 0;
      this.fail(errorMessage(err), MARSHAL_SERIALIZER_ID, seq);
    } else {
      this.socket.destroy();
    }
    this.closing = true;
  }

  /** CONNECTFAIL with a reason, then close. */
  private fail(reason: string, serializerId: number, seq: number): void {
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
    const ser = d.serializer(m.serializerId);
    let data: unknown;
    try {
      data = ser.loads(m.data);
    } catch (err) {
      return this.fail(errorMessage(err), m.serializerId, m.seq);
    }
    let handshakeReply: unknown = "hello";
    try {
      if (d.options.validateHandshake) {
        handshakeReply = d.options.validateHandshake(dictGet(data, "handshake"), { remoteAddress: this.socket.remoteAddress, socket: this.socket });
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
    this.fastPath = d.hmacKey === undefined && typeof d.options.compressThreshold !== "number" && d.accepts(1);
    this.emit(this.frame(MSG_CONNECTOK, payload, m, flags, annotationOf(m, "CORR") ?? true));
    this.armIdle(d.idleTimeoutMs);
  }

  /** A reply frame; `corr` true means a fresh random correlation id. */
  frame(type: number, payload: Buffer, req: PyroMessage, flags: number, corr: Buffer | true | undefined, extra?: Map<string, Buffer>): Buffer {
    const d = this.daemon;
    const threshold = d.options.compressThreshold;
    if (d.hmacKey === undefined && extra === undefined && (typeof threshold !== "number" || payload.length < threshold)) {
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
      hmacKey: this.daemon.hmacKey,
      compressThreshold: this.daemon.options.compressThreshold,
    });
  }

  private pump(): void {
    const inbox = this.inbox;
    while (this.handshaken && inbox.length > 0 && !this.closed && this.running < this.daemon.maxInFlight) {
      const m = inbox.shift()!;
      this.dispatch(m);
    }
    if (!this.batching) this.checkBackpressure();
    if (this.closing) this.maybeFinishClosing();
  }

  /** Stops reading while too much is queued, or while the client does not read its replies. */
  private checkBackpressure(): void {
    if (this.inbox.length >= this.daemon.maxInFlight || this.socket.writableLength > WRITE_HIGH_WATER) {
      if (!this.socket.isPaused()) this.socket.pause();
    } else if (!this.closing && this.socket.isPaused()) this.socket.resume();
  }

  private dispatch(m: PyroMessage): void {
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
      log.debug("unexpected message type %d from %s; closing", m.type, this.socket.remoteAddress);
      this.closing = true;
      this.socket.destroy();
      return;
    }
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
      let started: Promise<unknown>;
      try {
        started = Promise.resolve(this.daemon.handleInvoke(m, this));
      } catch (err) {
        started = Promise.reject(err);
      }
      const p = started
        .then(() => undefined)
        .catch((err: unknown) => log.debug("oneway call failed: %s", errorMessage(err)))
        .finally(() => {
          this.onewayRunning.delete(p);
          if (this.closing) this.maybeFinishClosing();
        });
      this.onewayRunning.add(p);
      return;
    }
    this.settle(m, () => this.daemon.handleInvoke(m, this));
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
    this.running++;
    r.then(
      (frame) => {
        this.running--;
        this.complete(slot, m, frame);
      },
      (err: unknown) => {
        this.running--;
        this.complete(slot, m, this.errorReply(m, err));
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

  private complete(slot: Slot, _m: PyroMessage, frame: Buffer | undefined): void {
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
    if (!this.handshaken) this.inbox.length = 0;
    while (this.inbox.length > 0 && this.running < this.daemon.maxInFlight) this.dispatch(this.inbox.shift()!);
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
    this.inbox.length = 0;
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

/** The daemon: a TCP (or TLS, or Unix socket) server of Pyro4 objects. */
export class PyroDaemon {
  readonly options: PyroDaemonOptions;
  readonly hmacKey: Buffer | undefined;
  readonly maxMessageSize: number;
  readonly idleTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxInFlight: number;
  private readonly accepted: Set<number>;
  private readonly serializers = new Map<number, PyroSerializer>();
  private readonly objects = new Map<string, Registration>();
  private readonly connections = new Set<Connection>();
  private readonly rejected = new Set<Socket>();
  private readonly streams = new Map<string, StreamEntry>();
  private server: Server | undefined;
  private boundHost: string | undefined;
  private boundPort: number | undefined;
  private closingPromise: Promise<void> | undefined;

  constructor(options: PyroDaemonOptions = {}) {
    this.options = { ...options };
    this.hmacKey = toHmacKey(options.hmacKey);
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.maxInFlight = Math.max(1, options.maxInFlightPerConnection ?? DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION);
    const names = options.serializersAccepted ?? ["serpent", "json", "marshal"];
    this.accepted = new Set();
    for (const n of names) {
      try {
        const s = getSerializer(n, options.serializerLimits);
        this.serializers.set(s.id, s);
        this.accepted.add(s.id);
      } catch (err) {
        if (n !== "marshal") throw err;
      }
    }
    this.objects.set(DAEMON_OBJECT_ID, {
      id: DAEMON_OBJECT_ID,
      target: {},
      methods: new Set(["close_stream", "get_metadata", "get_next_stream_item", "info", "ping", "registered"]),
      oneway: new Set(["close_stream"]),
      className: "DaemonObject",
    });
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
      s = getSerializer(id, this.options.serializerLimits);
      this.serializers.set(id, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- objects

  /**
   * Serves an object under an id (a random `obj_<hex>` id when none is given).
   * Its public methods (core/service rules, or the `allow` list) are callable;
   * `oneway` names are announced as oneway in the metadata. A taken id is an
   * ERR_DUPLICATE_NAME error.
   *
   * A class is served through instances made per `instanceMode` ("session" by
   * default: one per client connection; "single"; "percall"), with `new cls()`
   * or `instanceCreator(cls)`. Its exposed methods come from its prototype.
   */
  register<C extends PyroClass>(cls: C, objectId?: string, options?: ClassRegisterOptions<C>): string;
  register(target: object, objectId?: string, options?: ExposeOptions): string;
  register(target: object, objectId?: string, options: ExposeOptions & { instanceMode?: unknown; instanceCreator?: unknown } = {}): string {
    if (target === null || (typeof target !== "object" && typeof target !== "function")) {
      throw new RemotingError("only objects can be registered", ErrorCodes.ERR_INVALID_ARGUMENT);
    }
    const id = objectId ?? `obj_${randomBytes(16).toString("hex")}`;
    if (this.objects.has(id)) throw new RemotingError(`object already registered: ${id}`, ErrorCodes.ERR_DUPLICATE_NAME);
    if (isPyroClass(target)) {
      const { mode, creator } = resolveBehavior(target, options as ClassRegisterOptions);
      const proto = target.prototype as object;
      const methods = new Set(exposedMethods(proto, options));
      const oneway = new Set((options.oneway ?? []).filter((n) => methods.has(n)));
      const className = target.name || "object";
      this.objects.set(id, { id, target: proto, methods, oneway, className, instances: new ClassInstances(target, mode, creator) });
      return id;
    }
    if (options.instanceMode !== undefined || options.instanceCreator !== undefined) {
      throw new RemotingError("instanceMode and instanceCreator apply to registered classes only", ErrorCodes.ERR_INVALID_ARGUMENT);
    }
    const methods = new Set(exposedMethods(target, options));
    const oneway = new Set((options.oneway ?? []).filter((n) => methods.has(n)));
    const ctor = (target as { constructor?: { name?: unknown } }).constructor;
    const className = typeof ctor?.name === "string" && ctor.name ? ctor.name : "object";
    this.objects.set(id, { id, target, methods, oneway, className });
    return id;
  }

  /** Stops serving an object (a class: its instances are dropped too). Returns whether it was registered. */
  unregister(objectId: string): boolean {
    if (objectId === DAEMON_OBJECT_ID) return false;
    const reg = this.objects.get(objectId);
    if (!reg) return false;
    this.objects.delete(objectId);
    reg.instances?.dispose();
    return true;
  }

  has(objectId: string): boolean {
    return this.objects.has(objectId);
  }

  /** Ids of the served objects (including `Pyro.Daemon`). */
  registered(): string[] {
    return [...this.objects.keys()];
  }

  /** The number of objects served, not counting `Pyro.Daemon`. */
  get objectCount(): number {
    return this.objects.size - 1;
  }

  metadata(objectId: string, asLists: boolean): Record<string, unknown> {
    const reg = this.objects.get(objectId);
    if (!reg) throw new PyroFault("Pyro4.errors.DaemonError", "unknown object");
    // a registered class has no attributes: they would only be known per instance
    const attrs = reg.id === DAEMON_OBJECT_ID || reg.instances !== undefined ? [] : exposedAttributes(reg.target).filter((a) => !reg.methods.has(a));
    const methods = [...reg.methods].sort();
    const oneway = [...reg.oneway].sort();
    if (asLists) return { methods, oneway, attrs };
    return { methods: new Set(methods), oneway: new Set(oneway), attrs: new Set(attrs) };
  }

  // ------------------------------------------------------------- lifecycle

  get listening(): boolean {
    return this.server?.listening === true;
  }

  get host(): string | undefined {
    return this.boundHost;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /** `host:port` (or `./u:/path`) as written in PYRO URIs. */
  get location(): string {
    if (this.options.unixPath) return `./u:${this.options.unixPath}`;
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
    const onConn = (socket: Socket): void => this.accept(socket);
    const server = this.options.tls ? createTlsServer(this.options.tls, onConn) : createNetServer(onConn);
    if (this.options.tls) {
      server.on("tlsClientError", (err: Error) => log.debug("TLS handshake failed: %s", err.message));
    }
    this.server = server;
    try {
      if (this.options.unixPath) {
        const path = this.options.unixPath;
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(path, () => {
            server.off("error", reject);
            resolve();
          });
        });
      } else {
        const host = await resolveHost(this.options.host ?? "localhost");
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ host, port: this.options.port ?? 0, exclusive: true }, () => {
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
        throw new CommunicationError(`address already in use: ${this.options.unixPath ?? `${this.options.host ?? "localhost"}:${this.options.port ?? 0}`}`, ErrorCodes.ERR_ADDRESS_IN_USE, { cause: err });
      }
      throw new CommunicationError(`cannot listen: ${errorMessage(err)}`, ErrorCodes.ERR_COMMUNICATION, { cause: err });
    }
    server.on("error", (err) => log.error("daemon server error: %s", err));
    log.debug("Pyro4 daemon listening on %s", this.location);
  }

  private accept(socket: Socket): void {
    if (this.closingPromise) {
      socket.destroy();
      return;
    }
    const max = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (this.connections.size >= max) {
      socket.on("error", () => undefined);
      // read (and drop) whatever comes, so the client's FIN is seen and the socket closes
      socket.resume();
      socket.end(encodeMessage(MSG_CONNECTFAIL, marshalString("no free workers, increase server threadpool size"), { serializerId: MARSHAL_SERIALIZER_ID, hmacKey: this.hmacKey }));
      this.rejected.add(socket);
      const timer = setTimeout(() => socket.destroy(), 1000);
      socket.once("close", () => {
        clearTimeout(timer);
        this.rejected.delete(socket);
      });
      return;
    }
    this.connections.add(new Connection(this, socket));
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  connectionClosed(c: Connection): void {
    this.connections.delete(c);
    releaseSessions(c);
    for (const id of c.streams) {
      const s = this.streams.get(id);
      if (!s || s.conn !== c) continue;
      s.conn = undefined;
      const linger = this.options.streamLingerMs ?? DEFAULT_STREAM_LINGER_MS;
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
      const grace = this.options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
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
    if (this.streams.size >= (this.options.maxStreams ?? DEFAULT_MAX_STREAMS)) {
      try {
        iter.return?.();
      } catch {
        /* ignore */
      }
      throw new PyroFault("Pyro4.errors.PyroError", "too many open item streams");
    }
    const id = randomUUID();
    const entry: StreamEntry = { id, iter, conn, created: Date.now(), lingerTimer: undefined, lifetimeTimer: undefined, busy: undefined };
    const life = this.options.streamLifetimeMs ?? 0;
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
    const d = errorToPyro(err, []);
    const cls = typeof d["__class__"] === "string" ? d["__class__"] : "builtins.Exception";
    const attrs = (d["attributes"] && typeof d["attributes"] === "object" ? { ...(d["attributes"] as Record<string, unknown>) } : {}) as Record<string, unknown>;
    const args = d["args"];
    const message = Array.isArray(args) && args.length === 1 && typeof args[0] === "string" ? args[0] : errorMessage(err);
    attrs["_pyroTraceback"] =
      err instanceof RemoteInvocationError && err.remoteTraceback.length > 0 ? [...err.remoteTraceback] : jsTraceback(err, cls, message);
    return { ...d, attributes: attrs };
  }

  /**
   * Runs one INVOKE and returns the reply frame (undefined for oneway), or a
   * promise of it when the method is async (or for a batch). Throws (or
   * rejects) for an exception reply.
   */
  handleInvoke(m: PyroMessage, conn: Connection): Buffer | undefined | Promise<Buffer | undefined> {
    const ser = this.serializer(m.serializerId);
    let call: { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> };
    try {
      call = ser.loadsCall(m.data);
    } catch (err) {
      throw new PyroFault("Pyro4.errors.SerializeError", `cannot deserialize call: ${errorMessage(err)}`);
    }
    const vargs = Array.isArray(call.vargs) ? call.vargs : [];
    const kwargs = call.kwargs && typeof call.kwargs === "object" ? call.kwargs : {};
    const reg = this.objects.get(call.objectId);
    if (!reg) throw new PyroFault("Pyro4.errors.DaemonError", "unknown object");
    if (m.flags & FLAGS_BATCH) return this.handleBatch(m, ser, reg, vargs, conn);

    let result: unknown;
    if (call.method === "__getattr__" || call.method === "__setattr__") {
      result = this.attribute(reg, call.method, vargs);
    } else {
      result = this.callMethod(reg, call.method, vargs, kwargs, conn);
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
      const threshold = this.options.compressThreshold;
      if (text !== undefined && (typeof threshold !== "number" || text.length < threshold)) return encodeTextReply(MSG_RESULT, 0, m, text);
    }
    return conn.frame(MSG_RESULT, this.dumpResult(ser, result), m, 0, annotationOf(m, "CORR") ?? true);
  }

  private async handleBatch(m: PyroMessage, ser: PyroSerializer, reg0: Registration, vargs: unknown[], conn: Connection): Promise<Buffer | undefined> {
    let reg = reg0;
    if (reg.instances !== undefined) {
      // a registered class: one instance serves the whole batch (as in Pyro4, also for "percall")
      reg = { ...reg, target: await reg.instances.instanceFor(conn), instances: undefined };
    }
    const results: unknown[] = [];
    for (const c of vargs) {
      const triple = Array.isArray(c) ? c : [];
      const [name, args, kw] = triple as [unknown, unknown, unknown];
      try {
        let r = this.callMethod(reg, String(name), Array.isArray(args) ? args : [], kw && typeof kw === "object" ? (kw as Record<string, unknown>) : {}, conn);
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

  private dumpResult(ser: PyroSerializer, value: unknown): Buffer {
    try {
      return ser.dumps(value);
    } catch (err) {
      throw new PyroFault("Pyro4.errors.SerializeError", errorMessage(err));
    }
  }

  private attribute(reg: Registration, which: string, vargs: unknown[]): unknown {
    const name = vargs[0];
    if (typeof name !== "string") throw new PyroFault("builtins.TypeError", "attribute name must be a string");
    // a registered class exposes methods only (its metadata lists no attributes)
    const allowed = reg.id !== DAEMON_OBJECT_ID && reg.instances === undefined && !name.startsWith("_") && !reg.methods.has(name) && exposedAttributes(reg.target).includes(name);
    if (!allowed) throw new PyroFault("builtins.AttributeError", `attempt to access unexposed or unknown remote attribute '${name}'`);
    const t = reg.target as Record<string, unknown>;
    if (which === "__getattr__") return t[name];
    if (vargs.length < 2) throw new PyroFault("builtins.TypeError", "__setattr__ needs a name and a value");
    t[name] = vargs[1];
    return null;
  }

  /**
   * @internal The hot path's lookup: the served plain object (not a class, not
   * `Pyro.Daemon`) when `method` is one of its exposed methods, else undefined
   * (callMethod then gives the error reply).
   */
  plainMethodTarget(objectId: string, method: string): Record<string, unknown> | undefined {
    const reg = this.objects.get(objectId);
    if (reg === undefined || reg.instances !== undefined || reg.id === DAEMON_OBJECT_ID || !reg.methods.has(method) || method.charCodeAt(0) === 95) return undefined;
    const target = reg.target as Record<string, unknown>;
    return typeof target[method] === "function" ? target : undefined;
  }

  /** Calls a method; returns its value, or a promise when the method is async. Throws PyroFault for lookups. */
  private callMethod(reg: Registration, method: string, vargs: unknown[], kwargs: Record<string, unknown>, conn: Connection): unknown {
    if (reg.id === DAEMON_OBJECT_ID) return this.daemonObjectCall(method, vargs, kwargs, conn);
    if (method.startsWith("_")) throw new PyroFault("builtins.AttributeError", `attempt to access private attribute '${method}'`);
    let target = reg.target;
    if (reg.instances !== undefined && reg.methods.has(method)) {
      // a registered class: the instance of its mode (session: this connection's), made when first needed
      const inst = reg.instances.instanceFor(conn);
      if (inst instanceof Promise) return inst.then((obj) => this.callMethod({ ...reg, target: obj, instances: undefined }, method, vargs, kwargs, conn));
      target = inst;
    }
    const fn = (target as Record<string, unknown>)[method];
    if (!reg.methods.has(method) || typeof fn !== "function") {
      if (fn !== undefined) throw new PyroFault("builtins.AttributeError", `attempt to access unexposed attribute '${method}'`);
      throw new PyroFault("builtins.AttributeError", `'${reg.className}' object has no attribute '${method}'`);
    }
    const args = hasKeys(kwargs) ? applyKwargs(fn as (...a: unknown[]) => unknown, method, vargs, kwargs) : vargs;
    return (fn as (...a: unknown[]) => unknown).apply(target, args);
  }

  private daemonObjectCall(method: string, vargs: unknown[], kwargs: Record<string, unknown>, conn: Connection): unknown {
    const arg = (i: number, name: string): unknown => (vargs.length > i ? vargs[i] : kwargs[name]);
    switch (method) {
      case "ping":
        return null;
      case "registered":
        return this.registered();
      case "info":
        return `Pyro.Daemon bound on ${this.options.unixPath ? `./u:${this.options.unixPath}` : `${this.boundHost}:${this.boundPort}`}, NAT None, ${this.objects.size} objects registered. Servertype: remoting (Node.js)`;
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

