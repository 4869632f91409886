/**
 * The NATS client: a core `Client` (its calls go through the stack of
 * interceptors and the timeout policy) that sends each call as a NATS
 * request to the service's subject (or to one instance's subject) and
 * waits for the reply on a shared inbox (link.ts).
 *
 * A request: the payload is the call (method, positional and keyword
 * arguments) in the codec's call form (the Pyro4 serializers: json, or
 * serpent); the headers carry the invocation's metadata (W3C trace context,
 * ...), `remoting-timeout` (milliseconds left, so the exporter knows the
 * client's deadline), `remoting-correlation-id`, and `remoting-codec` when
 * the codec is not json. A oneway call is published without a reply
 * subject and resolves at once. A reply carrying `Nats-Service-Error` is a
 * RemoteInvocationError.
 */
import type { Msg, MsgHdrs } from "@nats-io/transport-node";
import { ConfigError, ErrorCodes, ProtocolError, RemotingError, errorMessage, withPhase } from "../../core/errors.js";
import { Client, notSupported, type ClientOptions, type Invocation } from "../../core/invocation.js";
import { MetadataKeys } from "../../core/server/call-context.js";
import { getSerializer, type PyroSerializer } from "../../codecs/python/index.js";
import { SERVICE_ERROR_HEADER, remoteErrorOf } from "./errors.js";
import { NatsLink, acquireLink, type ReplyDecoder } from "./link.js";
import { connectionKey, natsConnectOptions, type NatsCodec, type NatsConnectionSettings } from "./settings.js";
import { formatNatsUrl, parseNatsUrl, requestSubject, type NatsUrl } from "./url.js";

/** Header naming the codec of a request (absent: json). */
export const CODEC_HEADER = "remoting-codec";
/** Header of a health ping (an HA pool's): the exporter answers it without calling anything. */
export const PING_HEADER = "remoting-ping";

export interface NatsClientSettings extends NatsConnectionSettings {
  codec: NatsCodec;
  /** Time limit of one request on the wire (Infinity: the call's deadline only). */
  attemptTimeoutMs: number;
}

const EMPTY = new Uint8Array(0);
const NO_KWARGS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

function view(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The decoder of replies in a codec. */
function replyDecoder(ser: PyroSerializer, what: () => string): ReplyDecoder {
  return (msg: Msg) => {
    const h = msg.headers;
    const data = msg.data;
    if (h !== undefined && h.has(SERVICE_ERROR_HEADER)) {
      let decoded: unknown;
      try {
        decoded = data.length > 0 ? ser.loads(data) : undefined;
      } catch {
        decoded = undefined;
      }
      throw remoteErrorOf(decoded, h);
    }
    if (data.length === 0) return undefined;
    const b = view(data);
    try {
      const s = ser.stringAt(b, 0, b.length);
      return s !== undefined ? s : ser.loads(b);
    } catch (err) {
      if (err instanceof RemotingError) throw withPhase(err, "reply");
      throw new ProtocolError(`${what()}: unreadable ${ser.name} reply: ${errorMessage(err)}`, ErrorCodes.ERR_PROTOCOL, { cause: err, phase: "reply" });
    }
  };
}

function pingDecoder(msg: Msg): unknown {
  if (msg.headers?.has(SERVICE_ERROR_HEADER)) throw remoteErrorOf(undefined, msg.headers);
  return undefined;
}

/** A client of one NATS service URL (see the module comment and url.ts). */
export class NatsClient extends Client {
  readonly url: NatsUrl;
  private readonly text: string;
  private readonly subject: string;
  private readonly ser: PyroSerializer;
  private readonly codec: NatsCodec;
  private readonly attemptTimeoutMs: number | undefined;
  private readonly connectOptions;
  private readonly key: string;
  private link: NatsLink | undefined = undefined;
  private readonly decode: ReplyDecoder;

  constructor(url: string, settings: NatsClientSettings, options: ClientOptions = {}) {
    super(options);
    this.url = parseNatsUrl(url);
    this.text = formatNatsUrl(this.url.servers, this.url.subject, this.url.instance);
    this.subject = requestSubject(this.url);
    this.codec = settings.codec;
    this.ser = getSerializer(settings.codec);
    this.attemptTimeoutMs = Number.isFinite(settings.attemptTimeoutMs) ? settings.attemptTimeoutMs : undefined;
    // read now: a missing credentials or PEM file is a ConfigError at the first call, not a network error
    this.connectOptions = natsConnectOptions(settings, this.url.servers, "remoting client");
    this.key = connectionKey(settings, this.url.servers);
    this.decode = replyDecoder(this.ser, () => `NATS call to ${this.text}`);
  }

  get protocol(): string {
    return "nats";
  }

  get service(): string {
    return this.text;
  }

  private getLink(): NatsLink {
    let l = this.link;
    if (l === undefined || l.closed) {
      if (l !== undefined) void l.release();
      l = acquireLink(this.key, this.connectOptions, this.url.servers.join(","));
      this.link = l;
    }
    return l;
  }

  /** Sends one invocation as it is (no policy): a NATS request, or a publish for a oneway call. */
  dispatch(inv: Invocation): Promise<unknown> {
    const ping = inv.kind === "ping";
    if (inv.kind !== "call" && !ping) return Promise.reject(notSupported("nats", `'${inv.kind}' requests (only method calls and pings)`));
    let payload: Uint8Array;
    let h: MsgHdrs;
    try {
      if (ping) payload = EMPTY;
      else {
        const kwargs = inv.kwargs !== undefined && hasKeys(inv.kwargs) ? (inv.kwargs as Record<string, unknown>) : NO_KWARGS;
        const text = this.ser.callText(this.subject, inv.method, inv.args, kwargs);
        payload = text !== undefined ? Buffer.from(text, "latin1") : this.ser.dumpsCall(this.subject, inv.method, inv.args, kwargs);
      }
      h = NatsLink.headers();
      const md = inv.metadata;
      if (md !== undefined) for (const k in md) h.set(k, md[k]!);
      if (inv.deadline !== Infinity) h.set(MetadataKeys.timeout, String(Math.max(0, Math.ceil(inv.deadline - Date.now()))));
      if (this.codec !== "json") h.set(CODEC_HEADER, this.codec);
      if (ping) h.set(PING_HEADER, "1");
    } catch (err) {
      if (err instanceof RemotingError) return Promise.reject(withPhase(err, "connect"));
      // a header name or value NATS cannot carry (a line break, a colon in a name)
      return Promise.reject(new RemotingError(`cannot send the call '${inv.method}' over NATS: ${errorMessage(err)}`, ErrorCodes.ERR_INVALID_ARGUMENT, { cause: err }));
    }
    return this.getLink().request({
      subject: this.subject,
      payload,
      headers: h,
      deadline: inv.deadline,
      timeoutMs: inv.timeoutMs,
      attemptTimeoutMs: this.attemptTimeoutMs,
      signal: inv.signal,
      oneway: inv.oneway && !ping,
      what: ping ? `ping of ${this.text}` : `NATS call '${inv.method}' to ${this.text}`,
      decode: ping ? pingDecoder : this.decode,
    });
  }

  /** Sends a health ping (answered by the exporter without calling the service). */
  async ping(timeoutMs = 2000): Promise<void> {
    await this.run("ping", "<ping>", [], { timeoutMs });
  }

  /** Releases the connection (shared with other clients of the same servers and settings: the last one closes it). */
  async close(): Promise<void> {
    const l = this.link;
    this.link = undefined;
    if (l !== undefined) await l.release();
  }
}

/** Refuses a NATS URL early, as configuration does. */
export function checkNatsUrl(url: unknown, what = "serviceUrl"): string {
  if (typeof url !== "string" || url.trim() === "") throw new ConfigError(`${what} must be a NATS service URL`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  try {
    parseNatsUrl(url);
  } catch (err) {
    throw new ConfigError(`${what}: ${(err as Error).message}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { cause: err });
  }
  return url.trim();
}
