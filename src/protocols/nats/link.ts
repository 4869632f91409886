/**
 * A client's connection to NATS and its request/reply plumbing, shared by
 * every client with the same servers and connection settings (a proxy
 * factory, the members a discovery lists, `remoting call`): one TCP (or TLS)
 * connection, one inbox subscription (`_INBOX.<nuid>.*`) that every reply
 * comes back on, a table of pending requests by token, and one
 * DeadlineQueue timer for all of them (core/deadline).
 *
 * What a pending request becomes:
 * - a reply: resolved (or rejected with the remote error) by the caller's
 *   decoder;
 * - the server's "no responders" status (503, nobody subscribes to the
 *   subject): a CommunicationError of phase `connect`, at once (nothing ran);
 * - its deadline: a TimeoutError of phase `reply`; its attempt limit
 *   (`attemptTimeoutMs`) while the deadline has time left: a
 *   CommunicationError of phase `reply` ("may have been lost"), which the
 *   retry policy may re-send when the call is idempotent;
 * - an abort: ERR_ABORTED with the signal's reason;
 * - the connection lost: a ConnectionClosedError of phase `reply` (the
 *   request may have been delivered).
 *
 * A client link does not reconnect (the official client would drop what it
 * buffered meanwhile, and keep the process alive while it retries): a lost
 * connection ends the link, and the next call connects anew, to any server
 * of the URL's list, failing at once (phase `connect`) when none answers,
 * so that the retry policy or an HA pool decides what happens next.
 * Exporters do reconnect (their subscriptions come back with them).
 */
import { connect, headers as newHeaders, nuid, type MsgHdrs, type Msg, type NatsConnection, type NodeConnectionOptions, type Subscription } from "@nats-io/transport-node";
import type { RemotingError} from "../../core/errors.js";
import { CommunicationError, ConnectionClosedError, ErrorCodes, MessageTooLargeError, errorMessage, type CallPhase } from "../../core/errors.js";
import { DeadlineQueue, abortError, raceDeadline, timeoutError } from "../../core/deadline.js";
import { getLogger } from "../../core/logging.js";
import { MetadataKeys } from "../../core/server/call-context.js";
import { connectError, natsError } from "./errors.js";

const log = getLogger("remoting.nats.client");
const CORRELATION_ID = MetadataKeys.correlationId;

/** Turns a reply message into the call's value (or throws its error). */
export type ReplyDecoder = (msg: Msg) => unknown;

interface Pending {
  readonly token: string;
  deadline: number;
  /** The call's own deadline (the attempt's may come sooner). */
  readonly callDeadline: number;
  readonly timeoutMs: number | undefined;
  readonly attemptTimeoutMs: number | undefined;
  readonly what: string;
  readonly subject: string;
  readonly decode: ReplyDecoder;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface RequestSpec {
  readonly subject: string;
  readonly payload: Uint8Array;
  /** The request's headers; the link adds the correlation id unless the caller's metadata has one. */
  readonly headers: MsgHdrs;
  readonly deadline: number;
  readonly timeoutMs: number | undefined;
  /** Time limit of this attempt alone (undefined: the call's deadline only). */
  readonly attemptTimeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly oneway: boolean;
  /** For messages: "call 'echo' on remoting.Svc". */
  readonly what: string;
  readonly decode: ReplyDecoder;
}

function expire(p: Pending): void {
  p.signal?.removeEventListener("abort", p.onAbort!);
  if (p.deadline < p.callDeadline) {
    p.reject(
      new CommunicationError(
        `${p.what}: no reply within attemptTimeoutMs (${String(p.attemptTimeoutMs)} ms); the request or its reply may have been lost`,
        ErrorCodes.ERR_COMMUNICATION,
        { phase: "reply" },
      ),
    );
  } else p.reject(timeoutError(p.what, p.timeoutMs, "reply"));
}

/**
 * The official client keeps the process alive as long as its connection is
 * open (its socket, and a heartbeat timer re-armed every pingInterval). A
 * client of a service should not: like an idle HTTP keep-alive connection,
 * an idle link lets the process exit, and holds it only while requests are
 * in flight. These reach into the client's internals (pinned ~3.3.1) and do
 * nothing when they are not there.
 */
interface ClientInternals {
  protocol?: {
    transport?: { socket?: { ref?(): void; unref?(): void } };
    heartbeats?: { timer?: { unref?(): void }; _schedule?: () => void };
  };
}

function unrefHeartbeats(nc: NatsConnection): void {
  const hb = (nc as unknown as ClientInternals).protocol?.heartbeats;
  const schedule = hb?._schedule;
  if (hb === undefined || typeof schedule !== "function") return;
  hb._schedule = () => {
    schedule.call(hb);
    hb.timer?.unref?.();
  };
  hb.timer?.unref?.();
}

function holdProcess(nc: NatsConnection, hold: boolean): void {
  const socket = (nc as unknown as ClientInternals).protocol?.transport?.socket;
  if (hold) socket?.ref?.();
  else socket?.unref?.();
}

const links = new Map<string, NatsLink>();

/** The shared link for these connection options (made on first use; released with `release()`). */
export function acquireLink(key: string, options: NodeConnectionOptions, where: string): NatsLink {
  let l = links.get(key);
  if (l === undefined || l.closed) {
    l = new NatsLink(key, options, where);
    links.set(key, l);
  }
  l.refs++;
  return l;
}

export class NatsLink {
  refs = 0;
  closed = false;
  private nc: NatsConnection | undefined = undefined;
  private connected = false;
  private readonly ready: Promise<NatsConnection>;
  private inbox = "";
  /** The inbox's nuid: with a request's token, its correlation id (unique across clients). */
  private inboxId = "";
  private counter = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly queue = new DeadlineQueue<Pending>((p) => {
    if (this.pending.get(p.token) === p) this.pending.delete(p.token);
    expire(p);
  });
  private sub: Subscription | undefined = undefined;
  /** Requests in flight and oneway messages not yet flushed: while any, the connection holds the process. */
  private holds = 0;

  constructor(
    private readonly key: string,
    options: NodeConnectionOptions,
    readonly where: string,
  ) {
    this.ready = this.open(options);
    this.ready.catch(() => undefined);
  }

  private async open(options: NodeConnectionOptions): Promise<NatsConnection> {
    let nc: NatsConnection;
    try {
      nc = await connect(options);
    } catch (err) {
      this.closed = true;
      if (links.get(this.key) === this) links.delete(this.key);
      throw connectError(err, this.where, options.tls !== undefined && options.tls !== null);
    }
    if (this.closed) {
      await nc.close().catch(() => undefined);
      throw new ConnectionClosedError(`the connection to ${this.where} was released`, { phase: "connect" });
    }
    this.inboxId = nuid.next();
    this.inbox = `_INBOX.${this.inboxId}`;
    const prefix = this.inbox.length + 1;
    this.sub = nc.subscribe(`${this.inbox}.*`, {
      callback: (err, msg) => {
        if (err) {
          log.warn("the reply subscription of %s failed: %s", this.where, errorMessage(err));
          return;
        }
        this.onReply(msg.subject.slice(prefix), msg);
      },
    });
    this.nc = nc;
    this.connected = true;
    unrefHeartbeats(nc);
    holdProcess(nc, this.holds > 0);
    void this.watch(nc);
    return nc;
  }

  /** Follows the connection's status: a lost connection ends the link (the next call makes a new one). */
  private async watch(nc: NatsConnection): Promise<void> {
    const closed = nc.closed().then((err) => this.onClosed(err));
    try {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") {
          log.debug("connection to %s lost; %d requests in flight fail", s.server, this.pending.size);
          this.onClosed(undefined, s.server);
        }
      }
    } catch {
      // the iterator ends when the connection closes
    }
    await closed;
  }

  private onClosed(err: void | Error, server?: string): void {
    const first = !this.closed;
    this.closed = true;
    this.connected = false;
    if (links.get(this.key) === this) links.delete(this.key);
    const why = err ? `: ${errorMessage(err)}` : "";
    this.failPending(() => new ConnectionClosedError(`the connection to the NATS server ${server ?? this.where} was lost with the request in flight${why}`, { phase: "reply", cause: err ?? undefined }));
    if (first && this.nc !== undefined && !this.nc.isClosed()) void this.nc.close().catch(() => undefined);
  }

  private hold(): void {
    if (this.holds++ === 0 && this.nc !== undefined) holdProcess(this.nc, true);
  }

  private unhold(): void {
    if (--this.holds === 0 && this.nc !== undefined) holdProcess(this.nc, false);
  }

  private failPending(make: () => RemotingError): void {
    if (this.pending.size === 0) return;
    const all = [...this.pending.values()];
    this.pending.clear();
    this.queue.clear();
    for (const p of all) {
      if (p.onAbort) p.signal?.removeEventListener("abort", p.onAbort);
      p.reject(make());
    }
  }

  private onReply(token: string, msg: Msg): void {
    const p = this.pending.get(token);
    if (p === undefined) return; // late: timed out, aborted or failed already
    this.pending.delete(token);
    if (p.deadline !== Infinity) this.queue.delete(p);
    if (p.onAbort) p.signal?.removeEventListener("abort", p.onAbort);
    const h = msg.headers;
    if (h !== undefined && h.code === 503 && msg.data.length === 0) {
      p.reject(new CommunicationError(`${p.what}: no responders: nothing listens on '${p.subject}' (is an exporter running?)`, ErrorCodes.ERR_CONNECTION_REFUSED, { phase: "connect" }));
      return;
    }
    let v: unknown;
    try {
      v = p.decode(msg);
    } catch (err) {
      p.reject(err);
      return;
    }
    p.resolve(v);
  }

  /** Sends a request (or a oneway message) once connected; see the module comment for what it becomes. */
  request(spec: RequestSpec): Promise<unknown> {
    if (this.connected && this.nc !== undefined) return this.send(this.nc, spec);
    if (this.closed) return Promise.reject(new ConnectionClosedError(`the connection to ${this.where} is closed`, { phase: "connect" }));
    // still connecting: the wait counts against the call's deadline
    return raceDeadline(this.ready, spec.deadline, spec.signal, spec.what, spec.timeoutMs, "connect").then((nc) => {
      if (this.closed) throw new ConnectionClosedError(`the connection to ${this.where} is closed`, { phase: "connect" });
      return this.send(nc, spec);
    });
  }

  private send(nc: NatsConnection, spec: RequestSpec): Promise<unknown> {
    if (spec.signal?.aborted) return Promise.reject(abortError(spec.signal, spec.what, "connect"));
    const now = Date.now();
    if (spec.deadline <= now) return Promise.reject(timeoutError(spec.what, spec.timeoutMs, "connect"));
    const token = (++this.counter).toString(36);
    const h = spec.headers;
    if (!h.has(CORRELATION_ID)) h.set(CORRELATION_ID, `${this.inboxId}.${token}`);
    if (spec.oneway) {
      try {
        nc.publish(spec.subject, spec.payload, { headers: h });
      } catch (err) {
        return Promise.reject(this.publishError(err, spec));
      }
      // the caller does not wait, but the process stays up until the message is on the wire
      this.hold();
      nc.flush().then(
        () => this.unhold(),
        () => this.unhold(),
      );
      return Promise.resolve(undefined);
    }
    let p!: Pending;
    const promise = new Promise<unknown>((resolve, reject) => {
      const attempt = spec.attemptTimeoutMs;
      p = {
        token,
        deadline: attempt !== undefined && now + attempt < spec.deadline ? now + attempt : spec.deadline,
        callDeadline: spec.deadline,
        timeoutMs: spec.timeoutMs,
        attemptTimeoutMs: attempt,
        what: spec.what,
        subject: spec.subject,
        decode: spec.decode,
        signal: spec.signal,
        onAbort: undefined,
        resolve: (v: unknown) => {
          this.unhold();
          resolve(v);
        },
        reject: (e: unknown) => {
          this.unhold();
          reject(e);
        },
      };
    });
    try {
      nc.publish(spec.subject, spec.payload, { reply: `${this.inbox}.${token}`, headers: h });
    } catch (err) {
      return Promise.reject(this.publishError(err, spec));
    }
    this.hold();
    this.pending.set(token, p);
    if (p.deadline !== Infinity) this.queue.add(p);
    const signal = spec.signal;
    if (signal !== undefined) {
      p.onAbort = () => {
        if (this.pending.get(token) !== p) return;
        this.pending.delete(token);
        this.queue.delete(p);
        p.reject(abortError(signal, spec.what, "reply"));
      };
      signal.addEventListener("abort", p.onAbort, { once: true });
    }
    return promise;
  }

  private publishError(err: unknown, spec: RequestSpec): RemotingError {
    const msg = errorMessage(err);
    if (/max_payload/.test(msg)) {
      const e = new MessageTooLargeError(spec.payload.length, this.nc?.info?.max_payload ?? 0, `the request of ${spec.what}`);
      (e as { phase?: CallPhase }).phase = "connect";
      return e;
    }
    return natsError(err, this.where, "connect");
  }

  /** A fresh header set. */
  static headers(): MsgHdrs {
    return newHeaders();
  }

  /** The connection, once made (discovery uses it for $SRV requests). */
  connection(deadline: number, signal?: AbortSignal): Promise<NatsConnection> {
    return raceDeadline(this.ready, deadline, signal, `connecting to ${this.where}`, undefined, "connect");
  }

  /** One user fewer; the last one closes the connection (pending requests fail with ConnectionClosedError). */
  async release(): Promise<void> {
    if (--this.refs > 0) return;
    this.closed = true;
    if (links.get(this.key) === this) links.delete(this.key);
    const nc = this.nc;
    if (nc === undefined) {
      await this.ready.then((c) => c.close()).catch(() => undefined);
      return;
    }
    this.sub?.unsubscribe();
    await nc.close().catch(() => undefined);
  }
}
