/**
 * The Pyro4 client: an Invoker for one remote object.
 *
 * One connection per proxy, made on the first call. Calls from many callers
 * are pipelined on it (up to `maxInFlight` at once, each with its own
 * sequence number); replies come back in request order and are matched by
 * sequence number. A call that times out retires the connection: later calls
 * use a fresh one, and the old one is closed once its other calls are done.
 * When the connection drops (e.g. the server restarted) the calls on it fail
 * with ConnectionClosedError and the next call reconnects.
 */
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import {
  CommunicationError,
  ConnectionClosedError,
  ErrorCodes,
  ProtocolError,
  RemoteInvocationError,
  RemotingError,
  SecurityError,
  TimeoutError,
  errorMessage,
  networkError,
} from "../../core/errors.js";
import { DEFAULT_CALL_TIMEOUT_MS, type CallOptions, type Invoker } from "../../core/invocation.js";
import { getLogger } from "../../core/logging.js";
import type { Remote } from "../../core/remote.js";
import type { NameServerLocateOptions } from "./naming.js";
import { dictGet, getSerializer, pyroToError, type PyroSerializer } from "./codec.js";
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  encodeMessage,
  encodePlainFrame,
  encodeTextFrame,
  soloPlainFrame,
  FLAGS_BATCH,
  FLAGS_EXCEPTION,
  FLAGS_ITEMSTREAMRESULT,
  FLAGS_META_ON_CONNECT,
  FLAGS_ONEWAY,
  FrameReader,
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

export interface PyroProxyOptions extends NameServerLocateOptions {
  /** "serpent" (default, like Pyro4) or "json". */
  serializer?: "serpent" | "json" | "marshal" | undefined;
  /** Shared HMAC key (Pyro4's `_pyroHmacKey`). */
  hmacKey?: string | Uint8Array | undefined;
  /** Default timeout of each call, in ms (default 30000, DEFAULT_CALL_TIMEOUT_MS; 0 = none). */
  timeoutMs?: number | undefined;
  /** Time allowed to connect and handshake, in ms (default 10000). */
  connectTimeoutMs?: number | undefined;
  /** Limit for one frame's payload + annotations, both ways (default 64 MiB). */
  maxMessageSize?: number | undefined;
  /** Compress requests at least this large, in bytes (default: never). */
  compressThreshold?: number | false | undefined;
  /** Handshake data sent in CONNECT (Pyro4's `_pyroHandshake`, default "hello"). */
  handshake?: unknown;
  /** Ask for metadata on connect (default true): methods, oneway methods, attributes. */
  metadata?: boolean | undefined;
  /** Calls pipelined on the connection at once (default 64); more wait their turn. */
  maxInFlight?: number | undefined;
  /** Connect with TLS (true, or Node TLS options such as `ca`, `cert`, `key`, `servername`). */
  tls?: boolean | ConnectionOptions | undefined;
  /** Name server for PYRONAME/PYROMETA URIs without a location (default localhost:9090). */
  nsHost?: string | undefined;
  nsPort?: number | undefined;
  /** Limits handed to the serializer. */
  serializerLimits?: { maxDepth?: number; maxItems?: number; maxStringLength?: number } | undefined;
}

export interface RemoteMetadata {
  methods: Set<string>;
  oneway: Set<string>;
  attrs: Set<string>;
}

const RESOLVED = Promise.resolve();

/** A call waiting for its reply. */
class Pending {
  /** Abort signal listener to remove when the call settles. */
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly seq: number,
    readonly serializerId: number,
    /** Date.now() value after which the call times out (Infinity: never). */
    readonly deadline: number,
    readonly timeoutMs: number,
    /** Decode the reply with these options and resolve with the value; undefined: resolve with the raw message. */
    readonly decode: CallOptions | undefined,
    readonly resolve: (v: unknown) => void,
    readonly reject: (e: unknown) => void,
  ) {}
}

function toStringSet(v: unknown): Set<string> {
  const out = new Set<string>();
  if (v instanceof Set || Array.isArray(v)) for (const x of v as Iterable<unknown>) if (typeof x === "string") out.add(x);
  return out;
}

/** Shared, frozen: the keyword arguments and call options of a plain `invoke()`. */
const NO_KWARGS: Record<string, unknown> = Object.freeze({});
const NO_OPTIONS: CallOptions = Object.freeze({});

/**
 * The read buffer of every plain-socket connection of this process. Bytes read
 * into it are parsed before the read callback returns (and partial frames
 * copied out), so one buffer serves all connections.
 */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** One socket to the daemon, after the handshake. */
class ClientConnection {
  readonly pending = new Map<number, Pending>();
  retired = false;
  dead = false;
  meta: RemoteMetadata | undefined;
  private reader: FrameReader;
  private deathError: Error | undefined;
  /** One timer per connection for all call deadlines: it fires at the earliest one. */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** Frames written by calls made in one tick go out in one socket write. */
  private outq: Buffer[] = [];
  private outBytes = 0;
  private flushQueued = false;
  /** Where received bytes go: the handshake reader first, then onData(). */
  /** readFast() may be tried (no HMAC key). */
  private readonly fastReplies: boolean;
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
    if (!readsInto) socket.on("data", (c: Buffer) => this.onChunk(c, c.length));
  }

  /** The `onread` callback's target: the first `length` bytes of `chunk`, only valid during this call. */
  receive(chunk: Buffer, length: number): void {
    this.onChunk(chunk, length);
  }

  /** Runs the handshake; resolves when CONNECTOK arrived. */
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
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      let done = false;
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
          finish(/hmac/i.test(reason) ? new SecurityError(msg) : new CommunicationError(msg, ErrorCodes.ERR_CONNECTION_REFUSED));
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
      const onClose = (): void => finish(new ConnectionClosedError(`connection to ${p.location} closed during the handshake`));
      const onError = (err: Error): void => finish(networkError(err, p.location));
      const timer = setTimeout(() => finish(new TimeoutError(`connecting to ${p.location} timed out`, p.connectTimeoutMs)), p.connectTimeoutMs);
      const finish = (err: unknown): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.socket.off("close", onClose);
        if (err) {
          this.socket.off("error", onError);
          this.socket.on("error", () => undefined);
          this.socket.destroy();
          this.dead = true;
          reject(err);
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
      const write = (): void => void this.socket.write(frame);
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
      this.pending.delete(m.seq);
      if (pend.signal) pend.signal.removeEventListener("abort", pend.onAbort!);
      if (m.type !== MSG_RESULT && m.type !== MSG_PING) {
        pend.reject(new ProtocolError(`unexpected message type ${m.type}`));
        continue;
      }
      if (m.type === MSG_RESULT && m.serializerId !== pend.serializerId) {
        pend.reject(new ProtocolError(`reply used serializer ${m.serializerId}, request used ${pend.serializerId}`));
        continue;
      }
      if (pend.decode === undefined) {
        // the raw message outlives this read: detach it from the read buffer
        pend.resolve({ ...m, data: Buffer.from(m.data), annotations: new Map([...m.annotations].map(([k, v]) => [k, Buffer.from(v)])) });
        continue;
      }
      let value: unknown;
      try {
        value = this.proxy.decodeReply(m, pend.decode);
      } catch (err) {
        pend.reject(err);
        continue;
      }
      pend.resolve(value);
    }
    this.proxy.connectionFreed(this);
    if (this.retired && this.pending.size === 0) {
      this.flush();
      this.socket.end();
    }
  }

  /**
   * The hot path, for a read that is exactly one plain RESULT frame (no
   * flags, no HMAC, the call's serializer) whose value is one plain ASCII
   * string: the caller's promise is resolved straight from the bytes. Returns
   * false, having done nothing, for anything else (onData then reads it).
   */
  private readFast(b: Buffer, n: number): boolean {
    const f = soloPlainFrame(b, n, MSG_RESULT, this.proxy.maxMessageSize);
    if (f === undefined) return false;
    const { seq, serializerId: sid, payloadStart } = f;
    const pend = this.pending.get(seq);
    const ser = this.proxy.serializer;
    if (pend === undefined || pend.decode === undefined || pend.serializerId !== sid || ser.id !== sid) return false;
    const value = ser.stringAt(b, payloadStart, n);
    if (value === undefined) return false;
    this.pending.delete(seq);
    if (pend.signal) pend.signal.removeEventListener("abort", pend.onAbort!);
    pend.resolve(value);
    this.proxy.connectionFreed(this);
    if (this.retired && this.pending.size === 0) {
      this.flush();
      this.socket.end();
    }
    return true;
  }

  /** Registers a call; its deadline is watched by the connection's one timer. */
  track(p: Pending): void {
    this.pending.set(p.seq, p);
    if (p.deadline < this.timerAt) this.armTimer(p.deadline);
  }

  private armTimer(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.checkDeadlines(), Math.max(1, at - Date.now()));
    this.timer.unref();
  }

  private checkDeadlines(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.dead) return;
    const now = Date.now();
    let next = Infinity;
    const expired: Pending[] = [];
    for (const p of this.pending.values()) {
      if (p.deadline <= now) expired.push(p);
      else if (p.deadline < next) next = p.deadline;
    }
    for (const p of expired) this.proxy.giveUp(this, p, new TimeoutError(`call to ${this.proxy.location} timed out after ${p.timeoutMs} ms`, p.timeoutMs));
    if (next < this.timerAt && !this.dead) this.armTimer(next);
  }

  die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.deathError = err;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.outq = [];
    this.outBytes = 0;
    this.socket.destroy();
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      if (p.signal) p.signal.removeEventListener("abort", p.onAbort!);
      p.reject(err);
    }
    this.proxy.connectionDied(this);
  }

  /** Queues a frame; frames queued in one tick are written together (before any I/O of the next). */
  send(frame: Buffer): void {
    if (this.dead) throw this.deathError ?? new ConnectionClosedError();
    if (!this.flushQueued && this.pending.size <= 1) {
      // nothing else in flight (only this call, if it waits for a reply): no reason to wait for company
      this.socket.write(frame);
      return;
    }
    this.outq.push(frame);
    this.outBytes += frame.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      void RESOLVED.then(this.flushLater);
    }
  }

  private readonly flushLater = (): void => this.flush();

  /** Writes the queued frames now. */
  flush(): void {
    this.flushQueued = false;
    const q = this.outq;
    if (q.length === 0 || this.dead) return;
    if (q.length === 1) this.socket.write(q[0]!);
    else if (this.outBytes <= 65536) this.socket.write(Buffer.concat(q, this.outBytes));
    else {
      this.socket.cork();
      for (const f of q) this.socket.write(f);
      this.socket.uncork();
    }
    this.outq = [];
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

/** The items of a remote generator/iterator, pulled one call at a time. */
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
      const v = await this.proxy.callObject("Pyro.Daemon", "get_next_stream_item", [this.streamId], {}, { timeoutMs: this.timeoutMs });
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
      await this.proxy.callObject("Pyro.Daemon", "close_stream", [this.streamId], {}, { oneway: true }).catch(() => undefined);
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
   * Sends all queued calls in one request. Resolves to their results, in
   * order. When one raised, the remote side stopped there: the promise
   * rejects with that error, whose `completedResults` holds the results
   * before it. With `oneway` nothing comes back and the promise resolves to [].
   */
  async execute(options: CallOptions = {}): Promise<unknown[]> {
    const calls = this.calls.splice(0);
    const result = await this.proxy.sendCall(undefined, "<batch>", calls, {}, options, FLAGS_BATCH);
    if (options.oneway) return [];
    if (!Array.isArray(result)) throw new ProtocolError("batch reply is not a list");
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
}

/** A client of one Pyro4 object. */
export class PyroProxy implements Invoker {
  readonly uri: PyroURI;
  readonly options: PyroProxyOptions;
  readonly hmacKey: Buffer | undefined;
  readonly maxMessageSize: number;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly serializer: PyroSerializer;
  readonly compressThreshold: number | false | undefined;
  readonly wantMetadata: boolean;
  readonly handshakeData: unknown;
  private readonly maxInFlight: number;
  private conn: ClientConnection | undefined;
  /** The connection whose handshake is in progress. */
  private opening: ClientConnection | undefined;
  private connecting: Promise<ClientConnection> | undefined;
  private seq = 0;
  private resolved: PyroURI | undefined;
  private readonly waiters: Array<() => void> = [];
  private readonly serializers = new Map<number, PyroSerializer>();
  private generation = 0;

  constructor(uri: string | PyroURI | { protocol: string; object: string; host: string | null; port: number | null; sockname: string | null }, options: PyroProxyOptions = {}) {
    this.uri = parseUri(uri);
    this.options = { ...options };
    this.hmacKey = toHmacKey(options.hmacKey);
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.serializer = getSerializer(options.serializer ?? "serpent", options.serializerLimits);
    this.serializers.set(this.serializer.id, this.serializer);
    this.compressThreshold = options.compressThreshold;
    this.wantMetadata = options.metadata ?? true;
    this.handshakeData = options.handshake ?? "hello";
    this.maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    if (this.uri.protocol === "PYRO") this.resolved = this.uri;
  }

  /** The object id on the daemon (after name resolution for PYRONAME/PYROMETA). */
  get objectId(): string {
    return (this.resolved ?? this.uri).object;
  }

  get location(): string {
    return locationOf(this.resolved ?? this.uri);
  }

  get usesTls(): boolean {
    return this.tlsOption !== undefined;
  }

  /** TLS options: from `options.tls`, or plain TLS for a PYROLOCSSL URL. */
  private get tlsOption(): ConnectionOptions | undefined {
    const t = this.options.tls;
    if (t === false) return undefined;
    if (t === true || (t === undefined && this.uri.ssl === true)) return {};
    return t;
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
      s = getSerializer(id, this.options.serializerLimits);
      this.serializers.set(id, s);
    }
    return s;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  // ------------------------------------------------------------ connecting

  private async resolve(): Promise<PyroURI> {
    if (this.uri.protocol === "PYRO") return this.uri;
    const { resolveUri } = await import("./naming.js");
    this.resolved = await resolveUri(this.uri, this.options);
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
            throw new ConnectionClosedError("proxy was closed while connecting");
          }
          this.conn = c;
          return c;
        },
        (err: unknown) => {
          this.connecting = undefined;
          throw err;
        },
      );
    }
    return this.connecting;
  }

  private async openConnection(): Promise<ClientConnection> {
    const target = this.uri.protocol === "PYRO" ? this.uri : await this.resolve();
    const tlsOpt = this.tlsOption;
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
      socket = tlsOpt ? tlsConnect({ ...tlsOpt, path: target.sockname }) : netConnect({ path: target.sockname, onread });
    } else {
      const host = target.host ?? "localhost";
      const port = target.port ?? 0;
      socket = tlsOpt
        ? tlsConnect({ servername: isIP(host) ? undefined : host, minVersion: "TLSv1.2", ...tlsOpt, host, port })
        : netConnect({ host, port, onread });
    }
    socket.setNoDelay(true);
    const conn = new ClientConnection(this, socket, !tlsOpt);
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
      this.conn = conn;
      try {
        const meta = await this.callOn(conn, "Pyro.Daemon", "get_metadata", [target.object, true], {}, {}, 0);
        conn.meta = { methods: toStringSet(dictGet(meta, "methods")), oneway: toStringSet(dictGet(meta, "oneway")), attrs: toStringSet(dictGet(meta, "attrs")) };
      } finally {
        this.conn = undefined;
      }
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

  /** Invoker: calls a method with positional arguments. */
  invoke(method: string, args: readonly unknown[] = [], options: CallOptions = NO_OPTIONS): Promise<unknown> {
    return this.sendCall(undefined, method, args, NO_KWARGS, options, 0);
  }

  /** Calls a method with positional and keyword arguments (for Python services). */
  call(method: string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    return this.sendCall(undefined, method, args, kwargs, options, 0);
  }

  /** Calls a method on another object of the same daemon (e.g. `Pyro.Daemon`). */
  callObject(objectId: string, method: string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    return this.sendCall(objectId, method, args, kwargs, options, 0);
  }

  /** Calls a method without waiting for it (no reply comes back). */
  async oneway(method: string, ...args: unknown[]): Promise<void> {
    await this.sendCall(undefined, method, args, {}, { oneway: true }, 0);
  }

  /** Reads a public data attribute of the remote object. */
  getAttr(name: string, options: CallOptions = {}): Promise<unknown> {
    return this.sendCall(undefined, "__getattr__", [name], {}, options, 0);
  }

  /** Sets a public data attribute of the remote object. */
  async setAttr(name: string, value: unknown, options: CallOptions = {}): Promise<void> {
    await this.sendCall(undefined, "__setattr__", [name, value], {}, options, 0);
  }

  /** Starts a batch: queue calls, then `execute()` sends them in one request. */
  batch(): PyroBatch {
    return new PyroBatch(this);
  }

  /** Sends a PING frame and waits for the pong. */
  async ping(options: CallOptions = {}): Promise<void> {
    const conn = await this.getConnection();
    const seq = this.nextSeq();
    const frame = encodeMessage(MSG_PING, Buffer.from("ping"), { seq, serializerId: PING_SERIALIZER_ID, hmacKey: this.hmacKey });
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    await this.await(conn, seq, PING_SERIALIZER_ID, frame, timeoutMs > 0 ? Date.now() + timeoutMs : Infinity, timeoutMs, options.signal, undefined);
  }

  /** Internal: one INVOKE (flags may add BATCH). */
  sendCall(objectId: string | undefined, method: string, args: readonly unknown[], kwargs: Record<string, unknown>, options: CallOptions, extraFlags: number): Promise<unknown> {
    const conn = this.conn;
    if (conn !== undefined && !conn.dead && !conn.retired && conn.pending.size < this.maxInFlight && this.waiters.length === 0) {
      // the hot path: connected, a free slot, nobody waiting before us — send now, no await in between
      const timeoutMs = options.timeoutMs ?? this.timeoutMs;
      try {
        return this.start(conn, objectId, method, args, kwargs, options, extraFlags, timeoutMs > 0 ? Date.now() + timeoutMs : Infinity, timeoutMs);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.sendCallSlow(objectId, method, args, kwargs, options, extraFlags);
  }

  private async sendCallSlow(objectId: string | undefined, method: string, args: readonly unknown[], kwargs: Record<string, unknown>, options: CallOptions, extraFlags: number): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const started = Date.now();
    const deadline = timeoutMs > 0 ? started + timeoutMs : Infinity;
    const ready = this.conn;
    const conn = ready && !ready.dead && !ready.retired ? ready : await this.withDeadline(this.getConnection(), deadline, timeoutMs, `connecting to ${this.location}`);
    await this.waitForSlot(conn, deadline, timeoutMs);
    return this.callOn(conn, objectId, method, args, kwargs, options, extraFlags, deadline);
  }

  private async callOn(
    conn0: ClientConnection,
    objectId: string | undefined,
    method: string,
    args: readonly unknown[],
    kwargs: Record<string, unknown>,
    options: CallOptions,
    extraFlags: number,
    deadline = Infinity,
  ): Promise<unknown> {
    let conn = conn0;
    if (conn.dead || conn.retired) conn = await this.getConnection();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return this.start(conn, objectId, method, args, kwargs, options, extraFlags, deadline === Infinity && timeoutMs > 0 ? Date.now() + timeoutMs : deadline, timeoutMs);
  }

  /** Serializes and sends one call; the promise settles with the decoded reply. Throws synchronously when the call cannot be sent. */
  private start(
    conn: ClientConnection,
    objectId0: string | undefined,
    method: string,
    args: readonly unknown[],
    kwargs: Record<string, unknown>,
    options: CallOptions,
    extraFlags: number,
    deadline: number,
    timeoutMs: number,
  ): Promise<unknown> {
    // undefined = this proxy's own object (known only after PYRONAME/PYROMETA resolution)
    const ownId = this.objectId;
    const objectId = objectId0 ?? ownId;
    const oneway = options.oneway === true || (conn.meta !== undefined && objectId === ownId && conn.meta.oneway.has(method) && method !== "<batch>");
    const seq = this.nextSeq();
    const flags = extraFlags | (oneway ? FLAGS_ONEWAY : 0);
    const threshold = this.compressThreshold;
    const max = this.maxMessageSize;
    const ser = this.serializer;
    let frame: Buffer;
    // the hot path: a small plain call, written as text straight into the frame
    const text = this.hmacKey === undefined ? ser.callText(objectId, method, args, kwargs) : undefined;
    if (text !== undefined && (typeof threshold !== "number" || text.length < threshold) && (max <= 0 || text.length <= max)) {
      frame = encodeTextFrame(MSG_INVOKE, flags, seq, ser.id, text, false);
    } else {
      let payload: Buffer;
      try {
        payload = ser.dumpsCall(objectId, method, args as unknown[], kwargs);
      } catch (err) {
        throw err instanceof RemotingError ? err : new RemotingError(`cannot serialize call to '${method}': ${errorMessage(err)}`, ErrorCodes.ERR_SERIALIZATION, { cause: err });
      }
      frame =
        this.hmacKey === undefined && (typeof threshold !== "number" || payload.length < threshold) && (max <= 0 || payload.length <= max)
          ? encodePlainFrame(MSG_INVOKE, flags, seq, ser.id, payload, false)
          : encodeMessage(MSG_INVOKE, payload, { flags, seq, serializerId: ser.id, hmacKey: this.hmacKey, maxMessageSize: max, compressThreshold: threshold });
    }
    if (oneway) {
      conn.send(frame);
      return Promise.resolve(null);
    }
    return this.await(conn, seq, this.serializer.id, frame, deadline, timeoutMs, options.signal, options);
  }

  /** @internal Decodes a RESULT frame: the value, a RemoteIterator, or a thrown remote exception. */
  decodeReply(m: PyroMessage, options: CallOptions): unknown {
    const ser = m.serializerId === this.serializer.id ? this.serializer : this.serializerFor(m.serializerId);
    if (m.flags & FLAGS_ITEMSTREAMRESULT) {
      const id = m.annotations.get("STRM");
      if (!id) throw new ProtocolError("item stream result without a stream id");
      return new RemoteIterator(this, id.toString("ascii"), options.timeoutMs);
    }
    const value = ser.loads(m.data);
    if (m.flags & FLAGS_EXCEPTION) {
      if (value instanceof Error) throw value;
      if (value === null || typeof value !== "object") throw new RemoteInvocationError({ remoteType: "Exception", remoteMessage: String(value) });
      throw pyroToError(value instanceof Map ? Object.fromEntries(value) : (value as Record<string, unknown>));
    }
    return value;
  }

  /** @internal Gives up on a pending call (timeout or abort): the connection is retired, since the reply may still come. */
  giveUp(conn: ClientConnection, p: Pending, err: Error): void {
    if (conn.pending.get(p.seq) !== p) return;
    conn.pending.delete(p.seq);
    if (p.signal) p.signal.removeEventListener("abort", p.onAbort!);
    // the reply may still come: never reuse this connection for new calls
    conn.retire();
    if (this.conn === conn) this.conn = undefined;
    this.wake();
    p.reject(err);
  }

  /**
   * Sends a frame and waits for the reply with the same seq, until `deadline`
   * (a Date.now() value). With `decode`, the promise resolves with the decoded
   * value; without, with the raw message.
   */
  private await(conn: ClientConnection, seq: number, serializerId: number, frame: Buffer, deadline: number, timeoutMs: number, signal: AbortSignal | undefined, decode: CallOptions | undefined): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new RemotingError("call aborted", ErrorCodes.ERR_CLOSED));
    let res!: (v: unknown) => void;
    let rej!: (e: unknown) => void;
    const promise = new Promise<unknown>((resolve, reject) => {
      res = resolve;
      rej = reject;
    });
    const p = new Pending(seq, serializerId, deadline, timeoutMs, decode, res, rej);
    if (signal) {
      p.signal = signal;
      p.onAbort = () => this.giveUp(conn, p, signal.reason instanceof Error ? signal.reason : new RemotingError("call aborted", ErrorCodes.ERR_CLOSED));
      signal.addEventListener("abort", p.onAbort, { once: true });
    }
    conn.track(p);
    try {
      conn.send(frame);
    } catch (err) {
      conn.pending.delete(seq);
      if (signal) signal.removeEventListener("abort", p.onAbort!);
      return Promise.reject(err);
    }
    return promise;
  }

  private async waitForSlot(conn: ClientConnection, deadline: number, timeoutMs: number): Promise<void> {
    while (!conn.dead && !conn.retired && conn.pending.size >= this.maxInFlight) {
      const wait = new Promise<void>((resolve) => this.waiters.push(resolve));
      await this.withDeadline(wait, deadline, timeoutMs, `waiting to call ${this.location}`);
    }
  }

  private withDeadline<T>(p: Promise<T>, deadline: number, timeoutMs: number, what: string): Promise<T> {
    if (deadline === Infinity) return p;
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(new TimeoutError(`${what} timed out after ${timeoutMs} ms`, timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${timeoutMs} ms`, timeoutMs)), left);
      }),
    ]).finally(() => clearTimeout(timer));
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
