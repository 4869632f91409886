/**
 * The Pyro4 client: a core `Client` for one remote object.
 *
 * Every entry point (calls with keyword arguments, calls on another object
 * of the daemon, attribute get/set, batches, pings, item-stream steps,
 * oneway calls) is an `Invocation` that runs through the client's stack
 * (the interceptors it was given, then its timeout policy) down to
 * `dispatch`, which sends it as it is: one deadline per call (a core
 * DeadlineQueue per connection watches them all with one timer), abort by
 * signal (ERR_ABORTED, the signal's reason as cause), and errors that say
 * how far the call got (`phase`). The client never re-sends a call by
 * itself; a retry policy decides from the phase.
 *
 * One connection per proxy, made on the first call. Calls from many callers
 * are pipelined on it (up to `maxInFlight` at once, each with its own
 * sequence number); replies come back in request order and are matched by
 * sequence number. A call that times out retires the connection: later calls
 * use a fresh one, and the old one is closed once its other calls are done.
 * When the connection drops (e.g. the server restarted) the calls on it fail
 * with ConnectionClosedError and the next call reconnects.
 */
import { connect as netConnect, type Socket } from "node:net";
import { dropFrames, releaseCopied, withArena, writeFrame, writeFrames } from "../../core/frame-arena.js";
import { fastPathHits } from "../../core/fast-paths.js";
import { connect as tlsConnect } from "node:tls";
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
  errorMessage,
  networkError,
  withPhase,
  type CallPhase,
} from "../../core/errors.js";
import { Client, newInvocation, type CallOptions, type Interceptor, type Invocation, type InvocationKind } from "../../core/invocation.js";
import { DeadlineQueue, abortError, raceDeadline, timeoutError } from "../../core/deadline.js";
import { getLogger } from "../../core/logging.js";
import type { Remote } from "../../core/remote.js";
import { clientTlsOptions, readTlsSettings, type TlsConfigurable, type TlsSettings } from "../../core/tls.js";
import type { NameServerLocateOptions } from "./naming.js";
import { dictGet, getSerializer, pyroToError, type PyroSerializer } from "./codec.js";
import { metadataText } from "./call-context.js";
import { PROXY_ONLY_SETTINGS, PROXY_SETTINGS, optionOr, parseOptions, timerMs, type SerializerLimitsInput, type SerializerName } from "./options.js";
import {
  encodeMessage,
  encodePlainRequest,
  completePlainRequest,
  plainRequestHead,
  encodeTextRequest,
  encodeTimedTextRequest,
  soloPlainFrame,
  FLAGS_BATCH,
  FLAGS_EXCEPTION,
  FLAGS_ITEMSTREAMRESULT,
  FLAGS_META_ON_CONNECT,
  FLAGS_ONEWAY,
  FrameReader,
  METADATA_ANNOTATION,
  MARSHAL_SERIALIZER_ID,
  MSG_CONNECT,
  MSG_CONNECTFAIL,
  MSG_CONNECTOK,
  MSG_INVOKE,
  MSG_PING,
  MSG_RESULT,
  PING_SERIALIZER_ID,
  toHmacKey,
  unmarshalString,
  type PyroMessage,
} from "./message.js";
import { formatUri, locationOf, parseUri, type PyroURI } from "./uri.js";

const log = getLogger("remoting.pyro.proxy");

/** Default time allowed to open a connection and finish the handshake, in ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default number of calls sent on one connection before the next one waits. */
export const DEFAULT_MAX_IN_FLIGHT = 64;

const DAEMON_OBJECT_ID = "Pyro.Daemon";

/**
 * The proxy's options. Every value is parsed by the core's parsers, as the
 * factory's properties of the same names are (durations `30s`, sizes
 * `64kB`, booleans `yes`/`no`); an unknown option or a value that does not
 * parse is a ConfigError.
 */
export interface PyroProxyOptions extends NameServerLocateOptions {
  /** "serpent" (default, like Pyro4), "json" or "marshal". */
  serializer?: SerializerName | undefined;
  /** Shared HMAC key (Pyro4's `_pyroHmacKey`). */
  hmacKey?: string | Uint8Array | undefined;
  /** Time limit of a call that gives none itself (default 30 s; 0 or none: no limit). */
  timeoutMs?: number | string | undefined;
  /** Interceptors around the transport, outermost first (the core's call policies). */
  interceptors?: readonly Interceptor[] | undefined;
  /** Time allowed to connect and handshake (default 10 s). */
  connectTimeoutMs?: number | string | undefined;
  /** Limit for one frame's payload + annotations, both ways (default 64 MiB; `1kB`, `16MiB`, ...). */
  maxMessageSize?: number | string | undefined;
  /** Compress requests at least this large (default: never). */
  compressThreshold?: number | string | false | undefined;
  /** Handshake data sent in CONNECT (Pyro4's `_pyroHandshake`, default "hello"). */
  handshake?: unknown;
  /** Ask for metadata on connect (default true): methods, oneway methods, attributes. */
  metadata?: boolean | string | undefined;
  /** Calls pipelined on the connection at once (default 64); more wait their turn. */
  maxInFlight?: number | string | undefined;
  /** Connect with TLS (default: only when tlsCa, tlsCert or tlsKey is set, or for PYROLOCSSL URLs). */
  tls?: boolean | string | undefined;
  /** CAs trusted for the server certificate (PEM text or a file path; default Node's roots). */
  tlsCa?: string | Buffer | undefined;
  /** Client certificate and key for mutual TLS (PEM text or file paths). */
  tlsCert?: string | Buffer | undefined;
  tlsKey?: string | Buffer | undefined;
  /** Verify the server certificate's chain (default true). */
  tlsVerifyServer?: boolean | string | undefined;
  /** Check that the server certificate names the host (default true). */
  tlsCheckHostname?: boolean | string | undefined;
  /** SNI and host name to verify instead of the URL's host. */
  tlsServername?: string | undefined;
  /** Subject fields the server certificate must carry. */
  tlsVerifyFields?: Record<string, string> | string | undefined;
  tlsMinVersion?: string | undefined;
  tlsMaxVersion?: string | undefined;
  tlsCiphers?: string | undefined;
  /** Name server for PYRONAME/PYROMETA URIs without a location (default localhost:9090). */
  nsHost?: string | undefined;
  nsPort?: number | undefined;
  /** Limits handed to the serializer. */
  serializerLimits?: SerializerLimitsInput | undefined;
  /** Replies keep their Python types when sent on: whole floats as Float, serpent's bytes dict as a Buffer; Buffers go as serpent bytes literals (default false; docs/pyro4.md). */
  preserveTypes?: boolean | string | undefined;
}

export interface RemoteMetadata {
  methods: Set<string>;
  oneway: Set<string>;
  attrs: Set<string>;
}

const RESOLVED = Promise.resolve();

/** A call waiting for its reply; its deadline is watched by its connection's DeadlineQueue. */
class Pending {
  /** Abort signal listener to remove when the call settles. */
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly seq: number,
    readonly serializerId: number,
    /** Date.now() value after which the call times out (Infinity: never). */
    readonly deadline: number,
    /** The call (its limit for messages, its signal; undefined for a ping, which resolves with nothing). */
    readonly inv: Invocation,
    /** Decode the reply (a RESULT frame); false: a PING, resolved with undefined. */
    readonly decode: boolean,
    readonly resolve: (v: unknown) => void,
    readonly reject: (e: unknown) => void,
  ) {}
}

function toStringSet(v: unknown): Set<string> {
  const out = new Set<string>();
  if (v instanceof Set || Array.isArray(v)) for (const x of v as Iterable<unknown>) if (typeof x === "string") out.add(x);
  return out;
}

/** Shared, frozen: the keyword arguments of a call that has none. */
const NO_KWARGS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * The read buffer of every plain-socket connection of this process. Bytes read
 * into it are parsed before the read callback returns (and partial frames
 * copied out), so one buffer serves all connections.
 */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** One socket to the daemon, after the handshake. */
class ClientConnection {
  readonly pending = new Map<number, Pending>();
  /** Every pending call with a deadline: one timer for all of them. */
  readonly deadlines: DeadlineQueue<Pending>;
  retired = false;
  dead = false;
  meta: RemoteMetadata | undefined;
  private reader: FrameReader;
  private deathError: Error | undefined;
  /** Frames written by calls made in one tick go out in one socket write. */
  private outq: Buffer[] = [];
  /** The call of each frame in outq (undefined for a oneway call): not sent yet. */
  private outqCalls: Array<Pending | undefined> = [];
  private outBytes = 0;
  private flushQueued = false;
  /** readFast() may be tried (no HMAC key). */
  private readonly fastReplies: boolean;
  /** Where received bytes go: the handshake reader first, then onData(). */
  private onChunk: (chunk: Buffer, length: number) => void = () => this.die(new ProtocolError("data received before the handshake"));

  /**
   * `readsInto`: the socket was opened with `onread` (plain TCP and Unix
   * sockets): bytes arrive through `receive()` in a reused buffer, without a
   * Buffer and a stream event per read. TLS sockets use 'data' events.
   */
  constructor(
    readonly proxy: PyroProxy,
    readonly socket: Socket,
    readsInto: boolean,
  ) {
    this.reader = new FrameReader({ hmacKey: proxy.hmacKey, maxMessageSize: proxy.maxMessageSize }, readsInto);
    this.fastReplies = proxy.hmacKey === undefined;
    this.deadlines = new DeadlineQueue<Pending>((p) => this.proxy.giveUp(this, p, (phase) => timeoutError(`call to ${this.proxy.location}`, p.inv.timeoutMs, phase)));
    if (!readsInto) socket.on("data", (c: Buffer) => this.onChunk(c, c.length));
  }

  /** The `onread` callback's target: the first `length` bytes of `chunk`, only valid during this call. */
  receive(chunk: Buffer, length: number): void {
    this.onChunk(chunk, length);
  }

  /** Runs the handshake; resolves when CONNECTOK arrived. Its errors are of phase `connect`. */
  handshake(objectId: string, seq: number): Promise<void> {
    const p = this.proxy;
    let frame: Buffer;
    try {
      const want = p.wantMetadata;
      const payload = p.serializer.dumps(want ? { handshake: p.handshakeData, object: objectId } : { handshake: p.handshakeData });
      frame = encodeMessage(MSG_CONNECT, payload, {
        flags: want ? FLAGS_META_ON_CONNECT : 0,
        seq,
        serializerId: p.serializer.id,
        hmacKey: p.hmacKey,
        compressThreshold: p.compressThreshold,
      });
    } catch (err) {
      this.socket.on("error", () => undefined);
      this.socket.destroy();
      this.dead = true;
      return Promise.reject(withPhase(err, "connect"));
    }
    return new Promise<void>((resolve, reject) => {
      let done = false;
      let secured = !p.usesTls;
      const onHandshakeData = (chunk: Buffer, length: number): void => {
        let msgs: PyroMessage[];
        try {
          msgs = this.reader.push(chunk, length);
        } catch (err) {
          finish(err);
          return;
        }
        if (msgs.length === 0) return;
        const m = msgs[0]!;
        if (m.type === MSG_CONNECTFAIL) {
          let reason: string;
          try {
            reason = m.serializerId === MARSHAL_SERIALIZER_ID ? (unmarshalString(m.data) ?? "?") : String(p.serializerFor(m.serializerId).loads(m.data));
          } catch {
            reason = unmarshalString(m.data) ?? "(unreadable reason)";
          }
          const msg = `connection to ${p.location} rejected: ${reason}`;
          finish(/hmac|certificate|security/i.test(reason) ? new SecurityError(msg) : new CommunicationError(msg, ErrorCodes.ERR_CONNECTION_REFUSED));
          return;
        }
        if (m.type !== MSG_CONNECTOK) {
          finish(new ProtocolError(`expected CONNECTOK, got message type ${m.type}`));
          return;
        }
        try {
          const data = p.serializerFor(m.serializerId).loads(m.data);
          if (m.flags & FLAGS_META_ON_CONNECT) {
            const meta = dictGet(data, "meta");
            this.meta = { methods: toStringSet(dictGet(meta, "methods")), oneway: toStringSet(dictGet(meta, "oneway")), attrs: toStringSet(dictGet(meta, "attrs")) };
          }
        } catch (err) {
          finish(err);
          return;
        }
        this.onChunk = (c: Buffer, n: number) => this.onData(c, n);
        finish(undefined);
        if (msgs.length > 1) log.warn("unexpected frames after CONNECTOK ignored");
      };
      // a TLS server that refuses this client's certificate after the TLS handshake (TLS 1.3), or by dropping
      // the connection before the Pyro handshake, is a security refusal, not a lost link
      const lost = (why: string, cause?: unknown): RemotingError =>
        p.usesTls
          ? new SecurityError(`connection to ${p.location} ${why} during the handshake: the server may have refused this client (its certificate)`, { cause })
          : new ConnectionClosedError(`connection to ${p.location} ${why} during the handshake`, { cause });
      const onClose = (): void => finish(lost("closed"));
      const onError = (err: Error): void => {
        const mapped = networkError(err, p.location);
        finish(mapped instanceof ConnectionClosedError && secured ? lost("was reset", err) : mapped);
      };
      const limit = p.connectTimeoutMs;
      const timer = limit > 0 ? setTimeout(() => finish(timeoutError(`connecting to ${p.location}`, limit, "connect")), limit) : undefined;
      const finish = (err: unknown): void => {
        if (done) return;
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        this.socket.off("close", onClose);
        if (err) {
          this.socket.off("error", onError);
          this.socket.on("error", () => undefined);
          this.socket.destroy();
          this.dead = true;
          reject(withPhase(err, "connect"));
        } else {
          this.socket.off("error", onError);
          this.socket.on("error", (e) => this.die(networkError(e, p.location)));
          this.socket.on("close", () => this.die(new ConnectionClosedError(`connection to ${p.location} closed`)));
          // the daemon never half-closes while it still reads: treat its FIN as the end of the connection
          this.socket.on("end", () => this.die(new ConnectionClosedError(`connection to ${p.location} closed by the server`)));
          resolve();
        }
      };
      this.onChunk = onHandshakeData;
      this.socket.once("close", onClose);
      this.socket.on("error", onError);
      const write = (): void => {
        secured = true;
        this.socket.write(frame);
      };
      if (this.socket.connecting) this.socket.once(p.usesTls ? "secureConnect" : "connect", write);
      else write();
    });
  }

  private onData(chunk: Buffer, length: number): void {
    if (this.fastReplies && this.reader.pending === 0 && this.reader.currentHeader === undefined && this.readFast(chunk, length)) return;
    let msgs: PyroMessage[];
    try {
      msgs = this.reader.push(chunk, length);
    } catch (err) {
      this.die(err instanceof Error ? err : new ProtocolError(String(err)));
      return;
    }
    for (const m of msgs) {
      const pend = this.pending.get(m.seq);
      if (!pend) {
        if (this.retired) continue; // a late reply to a call that timed out
        this.die(new ProtocolError(`reply sequence out of sync (got ${m.seq})`));
        return;
      }
      this.settled(pend);
      if (m.type !== MSG_RESULT && m.type !== MSG_PING) {
        pend.reject(new ProtocolError(`unexpected message type ${m.type}`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
        continue;
      }
      if (m.type === MSG_RESULT && m.serializerId !== pend.serializerId) {
        pend.reject(new ProtocolError(`reply used serializer ${m.serializerId}, request used ${pend.serializerId}`, ErrorCodes.ERR_PROTOCOL, { phase: "reply" }));
        continue;
      }
      if (!pend.decode) {
        pend.resolve(undefined);
        continue;
      }
      let value: unknown;
      try {
        value = this.proxy.decodeReply(m, pend.inv);
      } catch (err) {
        pend.reject(withPhase(err, "reply"));
        continue;
      }
      pend.resolve(value);
    }
    this.replied();
  }

  /**
   * The hot path, for a read that is exactly one plain RESULT frame (no
   * flags, no HMAC, the call's serializer): the caller's promise is resolved
   * with the value read straight from the received bytes (no frame is copied
   * out of them: the serializers' values never share memory with what they
   * read), a plain ASCII string without even the general reader. Returns
   * false, having done nothing, for anything else (onData then reads it).
   */
  private readFast(b: Buffer, n: number): boolean {
    const f = soloPlainFrame(b, n, MSG_RESULT, this.proxy.maxMessageSize);
    if (f === undefined) return false;
    const { seq, serializerId: sid, payloadStart } = f;
    const pend = this.pending.get(seq);
    const ser = this.proxy.serializer;
    if (pend === undefined || !pend.decode || pend.serializerId !== sid || ser.id !== sid) return false;
    let value: unknown = ser.stringAt(b, payloadStart, n);
    this.settled(pend);
    if (value !== undefined) fastPathHits["pyro4.proxy.replyString"]++;
    else {
      fastPathHits["pyro4.proxy.replyInPlace"]++;
      try {
        value = ser.loads(b.subarray(payloadStart, n));
      } catch (err) {
        pend.reject(withPhase(err, "reply"));
        this.replied();
        return true;
      }
    }
    pend.resolve(value);
    this.replied();
    return true;
  }

  /** After a reply: the connection may take the next call, or close when it is retired and idle. */
  private replied(): void {
    this.proxy.connectionFreed(this);
    if (this.retired && this.pending.size === 0) {
      this.flush();
      this.socket.end();
    }
  }

  /** Registers a call; its deadline is watched by the connection's one timer. */
  track(p: Pending): void {
    this.pending.set(p.seq, p);
    if (p.deadline !== Infinity) this.deadlines.add(p);
  }

  /** A call is settled (or given up): it is no longer pending, watched or listening to its signal. */
  settled(p: Pending): void {
    this.pending.delete(p.seq);
    if (p.deadline !== Infinity) this.deadlines.delete(p);
    if (p.onAbort !== undefined) p.inv.signal!.removeEventListener("abort", p.onAbort);
  }

  die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.deathError = err;
    this.deadlines.clear();
    const unsent = this.outqCalls.length > 0 ? new Set(this.outqCalls.filter((c) => c !== undefined)) : undefined;
    dropFrames(this.outq);
    this.outq = [];
    this.outqCalls = [];
    this.outBytes = 0;
    this.socket.destroy();
    const all = [...this.pending.values()];
    this.pending.clear();
    // calls whose frames were written may have run; those still queued cannot have
    const sent = withPhase(err, "reply");
    for (const p of all) {
      if (p.onAbort !== undefined) p.inv.signal!.removeEventListener("abort", p.onAbort);
      p.reject(unsent?.has(p) ? new ConnectionClosedError(`connection to ${this.proxy.location} lost before the call was sent: ${err.message}`, { cause: err, phase: "connect" }) : sent);
    }
    this.proxy.connectionDied(this);
  }

  /** Queues a frame; frames queued in one tick are written together (before any I/O of the next). */
  send(frame: Buffer, p: Pending | undefined): void {
    if (this.dead) {
      releaseCopied(frame);
      throw withPhase(new ConnectionClosedError(`connection to ${this.proxy.location} closed`, { cause: this.deathError }), "connect");
    }
    if (!this.flushQueued && this.pending.size <= 1) {
      // nothing else in flight (only this call, if it waits for a reply): no reason to wait for company
      writeFrame(this.socket, frame);
      return;
    }
    this.outq.push(frame);
    this.outqCalls.push(p);
    this.outBytes += frame.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      void RESOLVED.then(this.flushLater);
    }
  }

  private readonly flushLater = (): void => this.flush();

  /** Takes a call's frame out of the queue if it was not written yet (then it cannot have run); returns whether it was. */
  unqueue(p: Pending): boolean {
    const i = this.outqCalls.indexOf(p);
    if (i < 0) return false;
    this.outBytes -= this.outq[i]!.length;
    releaseCopied(this.outq[i]!);
    this.outq.splice(i, 1);
    this.outqCalls.splice(i, 1);
    return true;
  }

  /** Writes the queued frames now. */
  flush(): void {
    this.flushQueued = false;
    const q = this.outq;
    if (q.length === 0 || this.dead) return;
    writeFrames(this.socket, q, this.outBytes);
    this.outq = [];
    this.outqCalls = [];
    this.outBytes = 0;
  }

  /** No new calls go here; close when the last pending call is settled. */
  retire(): void {
    this.retired = true;
    if (this.pending.size === 0) {
      this.flush();
      this.socket.end();
    }
  }
}

function isStopIteration(err: unknown): boolean {
  return err instanceof RemoteInvocationError && /(^|\.)StopIteration$/.test(err.remoteType);
}

function isExceptionWrapper(v: unknown): boolean {
  return dictGet(v, "__class__") === "Pyro4.futures._ExceptionWrapper";
}

/** The items of a remote generator/iterator, pulled one call at a time (each a `stream` invocation through the stack). */
export class RemoteIterator<T = unknown> implements AsyncIterableIterator<T> {
  private finished = false;
  constructor(
    private readonly proxy: PyroProxy,
    readonly streamId: string,
    private readonly timeoutMs: number | undefined,
  ) {}

  async next(): Promise<IteratorResult<T>> {
    if (this.finished) return { done: true, value: undefined };
    try {
      const v = await this.proxy.operation("stream", "get_next_stream_item", [this.streamId], this.timeoutMs === undefined ? undefined : { timeoutMs: this.timeoutMs }, DAEMON_OBJECT_ID);
      return { done: false, value: v as T };
    } catch (err) {
      this.finished = true;
      if (isStopIteration(err)) return { done: true, value: undefined };
      throw err;
    }
  }

  /** Stops early: tells the daemon to drop the stream (a oneway `close_stream`). */
  async return(): Promise<IteratorResult<T>> {
    if (!this.finished) {
      this.finished = true;
      await this.proxy.operation("stream", "close_stream", [this.streamId], { oneway: true }, DAEMON_OBJECT_ID).catch(() => undefined);
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Calls queued for one `<batch>` request. */
export class PyroBatch {
  private readonly calls: Array<readonly unknown[]> = [];
  constructor(private readonly proxy: PyroProxy) {}

  /** Queues a call. */
  call(method: string, ...args: unknown[]): this {
    this.calls.push(Object.freeze([method, Object.freeze([...args]), {}]));
    return this;
  }

  /** Queues a call with keyword arguments (for Python services). */
  callKw(method: string, args: readonly unknown[], kwargs: Record<string, unknown>): this {
    this.calls.push(Object.freeze([method, Object.freeze([...args]), kwargs]));
    return this;
  }

  get size(): number {
    return this.calls.length;
  }

  /**
   * Sends all queued calls in one request (a `batch` invocation: interceptors
   * see it, with the calls as its arguments). Resolves to their results, in
   * order. When one raised, the remote side stopped there: the promise
   * rejects with that error, whose `completedResults` holds the results
   * before it. With `oneway` nothing comes back and the promise resolves to [].
   */
  async execute(options?: CallOptions): Promise<unknown[]> {
    const calls = this.calls.splice(0);
    const r = await this.proxy.operation("batch", "<batch>", calls, options);
    return options?.oneway ? [] : (r as unknown[]);
  }
}

/**
 * The daemon's "unknown object": nothing is served under that id there (it
 * was unregistered, or the URL is wrong). Like a 404, it cannot have run:
 * a CommunicationError of phase `connect` (ERR_SERVICE_NOT_FOUND), so that a
 * high-availability pool ejects the member and moves the call on.
 */
function notServedHere(err: unknown, location: string, objectId: string): CommunicationError | undefined {
  if (err instanceof RemoteInvocationError && /(^|\.)DaemonError$/.test(err.remoteType) && err.remoteMessage === "unknown object") {
    return new CommunicationError(`${location} serves no object '${objectId}'`, ErrorCodes.ERR_SERVICE_NOT_FOUND, { cause: err, phase: "connect" });
  }
  return undefined;
}

/** A client of one Pyro4 object. */
export class PyroProxy extends Client {
  readonly uri: PyroURI;
  /** The options as parsed (canonical names, parsed values). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly hmacKey: Buffer | undefined;
  readonly maxMessageSize: number;
  /** In ms; 0: no limit of its own. */
  readonly connectTimeoutMs: number;
  readonly serializer: PyroSerializer;
  readonly compressThreshold: number | undefined;
  readonly wantMetadata: boolean;
  readonly handshakeData: unknown;
  private readonly text: string;
  private readonly maxInFlight: number;
  private readonly tlsSettings: TlsSettings | undefined;
  private conn: ClientConnection | undefined;
  /** The connection whose handshake is in progress. */
  private opening: ClientConnection | undefined;
  private connecting: Promise<ClientConnection> | undefined;
  private seq: number;
  private resolved: PyroURI | undefined;
  private readonly waiters: Array<() => void>;
  private readonly serializers: Map<number, PyroSerializer>;
  private generation: number;

  constructor(uri: string | PyroURI | { protocol: string; object: string; host: string | null; port: number | null; sockname: string | null }, options: PyroProxyOptions = {}) {
    const legacyTls = (options as { tls?: unknown }).tls;
    if (legacyTls !== null && typeof legacyTls === "object") {
      throw new ConfigError("PyroProxy's 'tls' option takes true or false; certificates and checks are the core TLS options: tlsCa, tlsCert, tlsKey, tlsServername, tlsCheckHostname, ...", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const o = parseOptions("PyroProxy", options, PROXY_ONLY_SETTINGS, PROXY_SETTINGS);
    super({ timeoutMs: o["timeoutMs"] as number | undefined, interceptors: o["interceptors"] as Interceptor[] | undefined });
    const get = <T>(name: string): T => optionOr<T>(o, name in PROXY_ONLY_SETTINGS ? PROXY_ONLY_SETTINGS : PROXY_SETTINGS, name);
    this.uri = parseUri(uri);
    this.text = typeof uri === "string" ? uri.trim() : formatUri(this.uri);
    this.options = Object.freeze(o);
    this.hmacKey = toHmacKey(get<string | Uint8Array | undefined>("hmacKey"));
    this.maxMessageSize = get<number>("maxMessageSize");
    this.connectTimeoutMs = timerMs(get<number>("connectTimeoutMs"));
    this.serializer = getSerializer(get<string>("serializer"), this.limits());
    this.serializers = new Map([[this.serializer.id, this.serializer]]);
    this.compressThreshold = get<number | undefined>("compressThreshold");
    this.wantMetadata = get<boolean>("metadata");
    this.handshakeData = get<unknown>("handshake");
    this.maxInFlight = get<number>("maxInFlight");
    this.conn = undefined;
    this.opening = undefined;
    this.connecting = undefined;
    this.seq = 0;
    this.waiters = [];
    this.generation = 0;
    this.resolved = this.uri.protocol === "PYRO" ? this.uri : undefined;
    // TLS: asked for, or implied by a certificate setting or a PYROLOCSSL URL
    const tlsAsked = o["tls"] as boolean | undefined;
    const wantTls = tlsAsked ?? (this.uri.ssl === true || o["tlsCa"] !== undefined || o["tlsCert"] !== undefined || o["tlsKey"] !== undefined);
    this.tlsSettings = wantTls ? readTlsSettings(o as TlsConfigurable, "client") : undefined;
  }

  get protocol(): string {
    return "pyro4";
  }

  /** The URL the proxy was made with, as invocations name the service. */
  get service(): string {
    return this.text;
  }

  /** The object id on the daemon (after name resolution for PYRONAME/PYROMETA). */
  get objectId(): string {
    return (this.resolved ?? this.uri).object;
  }

  get location(): string {
    return locationOf(this.resolved ?? this.uri);
  }

  get usesTls(): boolean {
    return this.tlsSettings !== undefined;
  }

  /** Metadata from the last handshake (undefined before the first call). */
  get metadata(): RemoteMetadata | undefined {
    return this.conn?.meta;
  }

  /** Whether a connection is open. */
  get connected(): boolean {
    return this.conn !== undefined && !this.conn.dead;
  }

  serializerFor(id: number): PyroSerializer {
    let s = this.serializers.get(id);
    if (!s) {
      s = getSerializer(id, this.limits());
      this.serializers.set(id, s);
    }
    return s;
  }

  /** The serializer limits: the options' own, and requests held to maxMessageSize (the writer stops there). */
  private limits(): SerializerLimitsInput & { maxEncodedSize: number; preserveTypes: boolean } {
    const max = this.maxMessageSize;
    return { ...(this.options["serializerLimits"] as SerializerLimitsInput | undefined), maxEncodedSize: max > 0 ? max : Infinity, preserveTypes: this.options["preserveTypes"] === true };
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  // ------------------------------------------------------------ connecting

  /** The options a name-server client made for this proxy gets: the settings, without the call policies. */
  private nameServerOptions(): PyroProxyOptions {
    const { interceptors: _i, timeoutMs: _t, ...rest } = this.options as Record<string, unknown>;
    return rest as PyroProxyOptions;
  }

  private async resolve(): Promise<PyroURI> {
    if (this.uri.protocol === "PYRO") return this.uri;
    const { resolveUri } = await import("./naming.js");
    this.resolved = await resolveUri(this.uri, this.nameServerOptions());
    return this.resolved;
  }

  private getConnection(): Promise<ClientConnection> {
    if (this.conn && !this.conn.dead && !this.conn.retired) return Promise.resolve(this.conn);
    if (!this.connecting) {
      const gen = this.generation;
      this.connecting = this.openConnection().then(
        (c) => {
          this.connecting = undefined;
          if (gen !== this.generation) {
            c.retire();
            throw new ConnectionClosedError("proxy was closed while connecting", { phase: "connect" });
          }
          this.conn = c;
          return c;
        },
        (err: unknown) => {
          this.connecting = undefined;
          throw withPhase(err, "connect");
        },
      );
    }
    return this.connecting;
  }

  private async openConnection(): Promise<ClientConnection> {
    const target = this.uri.protocol === "PYRO" ? this.uri : await this.resolve();
    const tls = this.tlsSettings;
    let socket: Socket;
    // plain sockets read into the shared buffer (see ClientConnection.receive)
    const sink: { conn?: ClientConnection } = {};
    const onread = {
      buffer: sharedReadBuffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        sink.conn?.receive(buf as Buffer, n);
        return true;
      },
    };
    if (target.sockname) {
      socket = tls ? tlsConnect({ ...clientTlsOptions(tls, undefined), path: target.sockname }) : netConnect({ path: target.sockname, onread });
    } else {
      const host = target.host ?? "localhost";
      const port = target.port ?? 0;
      // TLS: core/tls works out the server's name for this host (SNI, host name check)
      socket = tls ? tlsConnect({ ...clientTlsOptions(tls, host), host, port }) : netConnect({ host, port, onread });
    }
    socket.setNoDelay(true);
    const conn = new ClientConnection(this, socket, !tls);
    sink.conn = conn;
    log.debug("connecting to %s", formatUri(target));
    this.opening = conn;
    try {
      await conn.handshake(target.object, this.seq);
    } finally {
      if (this.opening === conn) this.opening = undefined;
    }
    if (this.wantMetadata && !conn.meta) {
      // the daemon did not send metadata with CONNECTOK: ask for it
      const inv = newInvocation(this.protocol, this.service, "get_metadata", [target.object, true], this.connectTimeoutMs > 0 ? { timeoutMs: this.connectTimeoutMs } : undefined, "call", DAEMON_OBJECT_ID);
      const meta = await this.start(conn, DAEMON_OBJECT_ID, "get_metadata", inv.args, NO_KWARGS, inv, 0);
      conn.meta = { methods: toStringSet(dictGet(meta, "methods")), oneway: toStringSet(dictGet(meta, "oneway")), attrs: toStringSet(dictGet(meta, "attrs")) };
    }
    return conn;
  }

  connectionDied(c: ClientConnection): void {
    if (this.conn === c) this.conn = undefined;
    this.wake();
  }

  connectionFreed(_c: ClientConnection): void {
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const w = this.waiters.splice(0);
    for (const f of w) f();
  }

  /** A typed view: `proxy.as<Service>().get_data("x")` calls `invoke("get_data", ["x"])`. */
  as<T>(): Remote<T> {
    const fns = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    return new Proxy(Object.create(null) as object, {
      get: (_t, prop) => {
        if (typeof prop !== "string" || prop === "then") return undefined;
        let fn = fns.get(prop);
        if (!fn) {
          fn = (...args: unknown[]) => this.invoke(prop, args);
          fns.set(prop, fn);
        }
        return fn;
      },
    }) as Remote<T>;
  }

  /** Opens the connection now (normally done by the first call). */
  async bind(): Promise<void> {
    await this.getConnection();
  }

  // ---------------------------------------------------------------- calls

  /**
   * Calls a method with positional and keyword arguments (for Python
   * services); the same as `invoke(method, args, { kwargs })`. (Not `call`:
   * that is the core Client's stack.)
   */
  callKw(method: string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options?: CallOptions): Promise<unknown> {
    return this.invoke(method, args, options === undefined ? { kwargs } : { ...options, kwargs });
  }

  /** Calls a method on another object of the same daemon (e.g. `Pyro.Daemon`). */
  callObject(objectId: string, method: string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options?: CallOptions): Promise<unknown> {
    return this.run("call", method, args, options === undefined ? { kwargs } : { ...options, kwargs }, objectId);
  }

  /** Calls a method without waiting for it (no reply comes back). */
  async oneway(method: string, ...args: unknown[]): Promise<void> {
    await this.invoke(method, args, { oneway: true });
  }

  /** Reads a public data attribute of the remote object (a `getattr` invocation named after the attribute). */
  getAttr(name: string, options?: CallOptions): Promise<unknown> {
    return this.run("getattr", name, [], options);
  }

  /** Sets a public data attribute of the remote object (a `setattr` invocation: the attribute, the value as its argument). */
  async setAttr(name: string, value: unknown, options?: CallOptions): Promise<void> {
    await this.run("setattr", name, [value], options);
  }

  /** Starts a batch: queue calls, then `execute()` sends them in one request. */
  batch(): PyroBatch {
    return new PyroBatch(this);
  }

  /** Sends a PING frame and waits for the pong (a `ping` invocation). */
  async ping(options?: CallOptions): Promise<void> {
    await this.run("ping", "ping", [], options);
  }

  /** @internal Runs a protocol operation through the stack (batches and item streams use it). */
  operation(kind: InvocationKind, method: string, args: readonly unknown[], options: CallOptions | undefined, target?: string): Promise<unknown> {
    return this.run(kind, method, args, options, target);
  }

  /** The transport: sends one invocation as it is. */
  dispatch(inv: Invocation): Promise<unknown> {
    switch (inv.kind) {
      case "call":
        return this.sendCall(inv.target, inv.method, inv.args, inv.kwargs ?? NO_KWARGS, inv, 0);
      case "getattr":
        return this.sendCall(undefined, "__getattr__", [inv.method], NO_KWARGS, inv, 0);
      case "setattr":
        return this.sendCall(undefined, "__setattr__", [inv.method, inv.args[0]], NO_KWARGS, inv, 0).then(() => undefined);
      case "batch":
        return this.sendCall(undefined, "<batch>", inv.args, NO_KWARGS, inv, FLAGS_BATCH).then((r) => (inv.oneway ? [] : batchResults(r)));
      case "stream":
        return this.sendCall(inv.target ?? DAEMON_OBJECT_ID, inv.method, inv.args, NO_KWARGS, inv, 0);
      case "ping":
        return this.sendPing(inv);
      default:
        return Promise.reject(new RemotingError(`pyro4 cannot send a '${String(inv.kind)}' invocation`, ErrorCodes.ERR_NOT_SUPPORTED));
    }
  }

  /** One INVOKE (flags may add BATCH). */
  private sendCall(objectId: string | undefined, method: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>, inv: Invocation, extraFlags: number): Promise<unknown> {
    const conn = this.conn;
    if (conn !== undefined && !conn.dead && !conn.retired && conn.pending.size < this.maxInFlight && this.waiters.length === 0) {
      // the hot path: connected, a free slot, nobody waiting before us — send now, no await in between
      try {
        return this.start(conn, objectId, method, args, kwargs, inv, extraFlags);
      } catch (err) {
        return Promise.reject(withPhase(err, "connect"));
      }
    }
    return this.sendCallSlow(objectId, method, args, kwargs, inv, extraFlags);
  }

  private async sendCallSlow(objectId: string | undefined, method: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>, inv: Invocation, extraFlags: number): Promise<unknown> {
    const conn = await this.ready(inv);
    let reply: Promise<unknown>;
    try {
      reply = this.start(conn, objectId, method, args, kwargs, inv, extraFlags);
    } catch (err) {
      throw withPhase(err, "connect");
    }
    return reply;
  }

  /** A connection with a free slot, before the call's deadline (errors of phase `connect`). */
  private async ready(inv: Invocation): Promise<ClientConnection> {
    if (inv.signal?.aborted) throw abortError(inv.signal, `call to ${this.location}`, "connect");
    for (;;) {
      const c = this.conn;
      const conn = c && !c.dead && !c.retired ? c : await raceDeadline(this.getConnection(), inv.deadline, inv.signal, `connecting to ${this.location}`, inv.timeoutMs, "connect");
      if (conn.dead || conn.retired) continue;
      if (conn.pending.size < this.maxInFlight) return conn;
      const wait = new Promise<void>((resolve) => this.waiters.push(resolve));
      await raceDeadline(wait, inv.deadline, inv.signal, `waiting to call ${this.location}`, inv.timeoutMs, "connect");
    }
  }

  /**
   * Serializes and sends one call; the promise settles with the decoded
   * reply. Throws synchronously when the call cannot be sent (nothing was
   * sent: the caller marks it phase `connect`).
   */
  private start(conn: ClientConnection, objectId0: string | undefined, method: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>, inv: Invocation, extraFlags: number): Promise<unknown> {
    const signal = inv.signal;
    if (signal?.aborted) throw abortError(signal, `call to ${this.location}`, "connect");
    let left: number | undefined;
    if (inv.deadline !== Infinity) {
      left = Math.ceil(inv.deadline - Date.now());
      if (left <= 0) throw timeoutError(`call to ${this.location}`, inv.timeoutMs, "connect");
    }
    // undefined = this proxy's own object (known only after PYRONAME/PYROMETA resolution)
    const ownId = this.objectId;
    const objectId = objectId0 ?? ownId;
    const oneway = inv.oneway || (conn.meta !== undefined && objectId === ownId && extraFlags === 0 && conn.meta.oneway.has(method));
    const seq = this.nextSeq();
    const flags = extraFlags | (oneway ? FLAGS_ONEWAY : 0);
    const threshold = this.compressThreshold;
    const max = this.maxMessageSize;
    const ser = this.serializer;
    let frame: Buffer;
    // the hot path: a small plain call, written as text straight into the frame, with its time limit
    const text = this.hmacKey === undefined ? ser.callText(objectId, method, args, kwargs as Record<string, unknown>) : undefined;
    if (text !== undefined && inv.metadata === undefined && left !== undefined && (threshold === undefined || text.length < threshold) && (max <= 0 || text.length + 48 <= max)) {
      frame = encodeTimedTextRequest(MSG_INVOKE, flags, seq, ser.id, text, left);
      fastPathHits["pyro4.proxy.callText"]++;
      if (oneway) {
        conn.send(frame, undefined);
        return Promise.resolve(null);
      }
      return this.await(conn, seq, ser.id, frame, inv, true);
    }
    // the call's metadata (trace context, ...) and the time it has left, for the server's call context
    const meta = inv.metadata === undefined && left === undefined ? undefined : metadataText(inv.metadata, left);
    if (text !== undefined && (threshold === undefined || text.length < threshold) && (max <= 0 || text.length + (meta === undefined ? 0 : meta.length * 3 + 6) <= max)) {
      frame = encodeTextRequest(MSG_INVOKE, flags, seq, ser.id, text, meta);
      fastPathHits["pyro4.proxy.callText"]++;
    } else {
      // without HMAC or compression the frame is plain whatever the payload: the serializer leaves room for its head
      const metaBytes = meta === undefined ? undefined : Buffer.from(meta, "utf8");
      const head = this.hmacKey === undefined && threshold === undefined ? plainRequestHead(metaBytes) : 0;
      // the payload of a plain frame may be written into the arena: the frame is written (or dropped) right after
      let framed: Buffer;
      try {
        framed = withArena(head, () => ser.dumpsCall(objectId, method, args as unknown[], kwargs as Record<string, unknown>, head));
      } catch (err) {
        if (err instanceof RemotingError && err.code === ErrorCodes.ERR_MESSAGE_TOO_LARGE) throw new MessageTooLargeError(max + 1, max, `request payload of '${method}'`);
        throw err instanceof RemotingError ? err : new RemotingError(`cannot serialize call to '${method}': ${errorMessage(err)}`, ErrorCodes.ERR_SERIALIZATION, { cause: err });
      }
      const payload = head === 0 ? framed : framed.subarray(head);
      if (this.hmacKey === undefined && (threshold === undefined || payload.length < threshold) && (max <= 0 || payload.length + (metaBytes === undefined ? 0 : metaBytes.length + 6) <= max)) {
        frame = head > 0 ? completePlainRequest(MSG_INVOKE, flags, seq, ser.id, framed, metaBytes) : encodePlainRequest(MSG_INVOKE, flags, seq, ser.id, payload, meta);
      } else {
        try {
          frame = encodeMessage(MSG_INVOKE, payload, {
            flags,
            seq,
            serializerId: ser.id,
            hmacKey: this.hmacKey,
            maxMessageSize: max,
            compressThreshold: threshold,
            annotations: metaBytes === undefined ? undefined : new Map([[METADATA_ANNOTATION, metaBytes]]),
          });
        } finally {
          releaseCopied(framed); // encodeMessage copied the payload (or refused it)
        }
      }
    }
    if (oneway) {
      conn.send(frame, undefined);
      return Promise.resolve(null);
    }
    return this.await(conn, seq, ser.id, frame, inv, true);
  }

  /** A PING frame; resolves when the pong arrives. */
  private async sendPing(inv: Invocation): Promise<void> {
    const conn = await this.ready(inv);
    const seq = this.nextSeq();
    let pong: Promise<unknown>;
    try {
      if (inv.deadline !== Infinity && inv.deadline <= Date.now()) throw timeoutError(`ping of ${this.location}`, inv.timeoutMs, "connect");
      const frame = encodeMessage(MSG_PING, Buffer.from("ping"), { seq, serializerId: PING_SERIALIZER_ID, hmacKey: this.hmacKey });
      pong = this.await(conn, seq, PING_SERIALIZER_ID, frame, inv, false);
    } catch (err) {
      throw withPhase(err, "connect");
    }
    await pong;
  }

  /** @internal Decodes a RESULT frame: the value, a RemoteIterator, or a thrown remote exception. */
  decodeReply(m: PyroMessage, inv: Invocation): unknown {
    const ser = m.serializerId === this.serializer.id ? this.serializer : this.serializerFor(m.serializerId);
    if (m.flags & FLAGS_ITEMSTREAMRESULT) {
      const id = m.annotations.get("STRM");
      if (!id) throw new ProtocolError("item stream result without a stream id");
      return new RemoteIterator(this, id.toString("ascii"), inv.timeoutMs);
    }
    const value = ser.loads(m.data);
    if (m.flags & FLAGS_EXCEPTION) {
      if (value instanceof Error) throw value;
      if (value === null || typeof value !== "object") throw new RemoteInvocationError({ remoteType: "Exception", remoteMessage: String(value) });
      const err = pyroToError(value instanceof Map ? Object.fromEntries(value) : (value as Record<string, unknown>));
      throw notServedHere(err, this.location, inv.target ?? this.objectId) ?? err;
    }
    return value;
  }

  /**
   * @internal Gives up on a pending call (timeout or abort). A call whose
   * frame was not written yet is taken out of the queue (phase `connect`);
   * otherwise the connection is retired, since the reply may still come
   * (phase `reply`).
   */
  giveUp(conn: ClientConnection, p: Pending, error: (phase: CallPhase) => Error): void {
    if (conn.pending.get(p.seq) !== p) return;
    conn.settled(p);
    if (conn.unqueue(p)) {
      this.wake();
      p.reject(error("connect"));
      return;
    }
    // the reply may still come: never reuse this connection for new calls
    conn.retire();
    if (this.conn === conn) this.conn = undefined;
    this.wake();
    p.reject(error("reply"));
  }

  /**
   * Sends a frame and waits for the reply with the same seq, until the
   * invocation's deadline. With `decode`, the promise resolves with the
   * decoded value; without (a ping), with undefined.
   */
  private await(conn: ClientConnection, seq: number, serializerId: number, frame: Buffer, inv: Invocation, decode: boolean): Promise<unknown> {
    let res!: (v: unknown) => void;
    let rej!: (e: unknown) => void;
    const promise = new Promise<unknown>((resolve, reject) => {
      res = resolve;
      rej = reject;
    });
    const p = new Pending(seq, serializerId, inv.deadline, inv, decode, res, rej);
    const signal = inv.signal;
    if (signal !== undefined) {
      p.onAbort = () => this.giveUp(conn, p, (phase) => abortError(signal, `call to ${this.location}`, phase));
      signal.addEventListener("abort", p.onAbort, { once: true });
    }
    conn.track(p);
    try {
      conn.send(frame, p);
    } catch (err) {
      conn.settled(p);
      throw err;
    }
    return promise;
  }

  /**
   * Closes the connection. Calls in progress fail with ConnectionClosedError.
   * The proxy stays usable: a later call connects again (as Pyro4's proxies do).
   */
  async close(): Promise<void> {
    this.generation++;
    const o = this.opening;
    this.opening = undefined;
    o?.socket.destroy();
    const c = this.conn;
    this.conn = undefined;
    if (this.uri.protocol !== "PYRO") this.resolved = undefined;
    if (c && !c.dead) {
      const closed = new Promise<void>((resolve) => c.socket.once("close", () => resolve()));
      c.flush(); // oneway calls queued in this tick still go out
      c.die(new ConnectionClosedError("proxy closed"));
      await closed;
    }
  }
}

/** A batch reply: the results in order, or the error of the call that raised (with the results before it). */
function batchResults(result: unknown): unknown[] {
  if (!Array.isArray(result)) throw new ProtocolError("batch reply is not a list", ErrorCodes.ERR_PROTOCOL, { phase: "reply" });
  const out: unknown[] = [];
  for (const r of result) {
    if (isExceptionWrapper(r)) {
      const exc = dictGet(r, "exception");
      const err = exc instanceof Error ? exc : pyroToError((exc ?? {}) as Record<string, unknown>);
      Object.defineProperty(err, "completedResults", { value: out, enumerable: false });
      throw err;
    }
    out.push(r);
  }
  return out;
}
