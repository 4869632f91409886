/**
 * NatsServiceExporter: serves an object over NATS. It connects to the NATS
 * servers (a client of the broker, like the proxies), subscribes to the
 * service's subject in a queue group, and answers each request with the
 * method's result; N exporters of the same service on N machines share the
 * calls (the server gives each request to one member of the group).
 *
 * Each exporter instance also answers on a subject of its own,
 * `<subject>.<instanceId>` (no queue group), so that one instance can be
 * addressed (`nats://.../<subject>?instance=<id>`), and registers in the
 * NATS service API ("micro"): it answers `$SRV.PING`, `$SRV.INFO` and
 * `$SRV.STATS` (also `.<name>` and `.<name>.<id>`) with its name, id,
 * version, metadata, endpoints (subject and queue group) and per-endpoint
 * counters, so `nats micro ls` and the HA discovery see every instance.
 *
 * Calls are dispatched through a core ServiceTable (exposure, arity, oneway
 * methods, server interceptors, tracing, the client's deadline,
 * `callContext()` with protocol "nats", the request headers as metadata).
 * `destroy()` drains: the subscriptions are drained (no new calls come; the
 * ones already delivered run), the calls in flight finish (up to
 * drainTimeoutMs), their replies are flushed, then the connection closes.
 */
import { connect, headers as newHeaders, nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { ConfigError, ErrorCodes, MessageTooLargeError, RemotingError, SerializationError, errorMessage } from "../../core/errors.js";
import { ServiceExporter } from "../../core/exporter.js";
import { applyOptions, defineProperties, duration, list, size, string, stringMap, anyValue } from "../../core/config/properties.js";
import { parseList } from "../../core/config/values.js";
import { ServiceTable, isPromiseLike } from "../../core/server/service-table.js";
import { MetadataKeys, deadlineFromMetadata, newCallContext } from "../../core/server/call-context.js";
import { getSerializer, type PyroSerializer } from "../../codecs/python/index.js";
import { CODEC_HEADER, PING_HEADER } from "./client.js";
import { ERROR_CODE_HEADER, ERROR_TYPE_HEADER, SERVICE_ERROR_CODE_HEADER, SERVICE_ERROR_HEADER, connectError, errorDict, headerText, natsError, statusOf } from "./errors.js";
import { EndpointStats, MICRO_NAME, SEMVER, VERBS, controlSubjects, microResponse, type MicroIdentity } from "./micro.js";
import { NATS_CODECS, connectionProperties, connectionSettings, natsConnectOptions, reconnectProperties, type NatsCodec, type NatsConnectionSettings } from "./settings.js";
import { checkSubject, formatNatsUrl, instanceSubject, parseHostPort } from "./url.js";

export const DEFAULT_MAX_REQUEST_SIZE = 64 * 1024 * 1024;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

const EMPTY = new Uint8Array(0);
const TEXT = new TextEncoder();

function parseServers(v: unknown, name: string): string[] {
  const items = parseList(v, name);
  if (items.length === 0) throw new ConfigError(`${name} must name at least one NATS server (host:port)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return items.map((s) => parseHostPort(s.replace(/^nats:\/\//i, "").replace(/\/$/, ""), name));
}

function parseCodecs(v: unknown, name: string): NatsCodec[] {
  const items = parseList(v, name).map((c) => c.toLowerCase());
  if (items.length === 0) throw new ConfigError(`${name} must name at least one codec (${NATS_CODECS.join(", ")})`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  for (const c of items) {
    if (!(NATS_CODECS as readonly string[]).includes(c)) throw new ConfigError(`${name}: unknown codec '${c}' (known: ${NATS_CODECS.join(", ")})`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  return items as NatsCodec[];
}

function checked(re: RegExp, expected: string) {
  return (v: unknown, name: string): string => {
    if (typeof v === "string" && re.test(v.trim())) return v.trim();
    throw new ConfigError(`${name} must be ${expected}, not '${String(v)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  };
}

/** The $SRV name of a service: its name with anything but letters, digits, - and _ turned into _. */
export function microNameOf(serviceName: string): string {
  return serviceName.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** The connection properties (settings.ts), declared once for the exporter and the proxy factory. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface NatsServiceExporter extends NatsConnectionSettings {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NatsServiceExporter extends ServiceExporter {
  declare servers: string[];
  declare subject: string | undefined;
  declare queueGroup: string | undefined;
  declare codecs: NatsCodec[];
  declare maxRequestSize: number;
  declare drainTimeoutMs: number;
  declare microName: string | undefined;
  declare serviceVersion: string;
  declare description: string | undefined;
  declare metadata: Record<string, string> | undefined;
  declare allow: string[] | undefined;
  declare onewayMethods: string[] | undefined;

  private nc: NatsConnection | undefined = undefined;
  private subs: Subscription[] = [];
  private controlSubs: Subscription[] = [];
  private id: string | undefined = undefined;
  private boundSubject: string | undefined = undefined;
  private endpoints: EndpointStats[] = [];
  private inFlight = 0;
  /** The connection is down (the client reconnects): nothing can be drained or answered meanwhile. */
  private disconnected = false;
  private idle: (() => void) | undefined = undefined;
  private serializers = new Map<string, PyroSerializer>();
  private table: ServiceTable | undefined = undefined;
  private name = "";

  /** `new NatsServiceExporter({ service, serviceName, servers: "h1:4222,h2:4222", ... })`: any declared property by name. */
  constructor(options: Readonly<Record<string, unknown>> = {}) {
    super("remoting.nats.exporter");
    applyOptions(this, options);
  }

  /** This instance's id in the NATS service API (and its instance subject), once started. */
  get instanceId(): string | undefined {
    return this.id;
  }

  /** The service URL (every instance, through the queue group), once started. */
  override get url(): string | undefined {
    return this.id === undefined ? undefined : formatNatsUrl(this.servers, this.boundSubject!);
  }

  /** This one instance's URL (its instance subject), once started. */
  get instanceUrl(): string | undefined {
    return this.id === undefined ? undefined : formatNatsUrl(this.servers, this.boundSubject!, this.id);
  }

  /** Calls being served now. */
  get callsInFlight(): number {
    return this.inFlight;
  }

  /** The table the calls are dispatched through, once started. */
  get serviceTable(): ServiceTable | undefined {
    return this.table;
  }

  /** What $SRV.STATS answers, for monitoring in process. */
  stats(): Record<string, unknown> | undefined {
    return this.id === undefined ? undefined : microResponse("STATS", this.identity());
  }

  private started0 = new Date();

  private identity(): MicroIdentity {
    const subject = this.boundSubject!;
    return {
      name: this.microName ?? microNameOf(this.name),
      id: this.id!,
      version: this.serviceVersion,
      description: this.description ?? `${this.name} served by remoting`,
      metadata: { ...this.metadata, "remoting.subject": subject, "remoting.instance_subject": instanceSubject(subject, this.id!), "remoting.codecs": this.codecs.join(",") },
      started: this.started0,
      endpoints: this.endpoints,
    };
  }

  protected async start(): Promise<void> {
    this.require("service", "serviceName");
    const service = this.service;
    if ((typeof service !== "object" && typeof service !== "function") || service === null) {
      throw new ConfigError("service must be an object (or a class)", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const name = this.serviceName!;
    const subject = checkSubject(this.subject ?? `remoting.${name}`, this.subject === undefined ? "the default subject remoting.<serviceName>" : "subject");
    const queue = this.queueGroup ?? name;
    if (!/^[^\s*>]+$/.test(queue)) throw new ConfigError(`queueGroup must have no white space or wildcards, not '${queue}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    const micro = this.microName ?? microNameOf(name);
    if (!MICRO_NAME.test(micro)) throw new ConfigError(`microName must be letters, digits, - and _, not '${micro}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    const table = new ServiceTable({ tracing: this.tracing });
    table.register(name, service, { allow: this.allow, oneway: this.onewayMethods });
    for (const ic of this.interceptors ?? []) table.use(ic);
    const serializers = new Map<string, PyroSerializer>();
    for (const c of this.codecs) serializers.set(c, getSerializer(c));
    const where = this.servers.join(",");
    const options = natsConnectOptions(connectionSettings(this, ["reconnectTimeWaitMs", "maxReconnectAttempts"]), this.servers, `remoting exporter ${name}`);
    let nc: NatsConnection;
    try {
      nc = await connect(options);
    } catch (err) {
      throw connectError(err, where, options.tls !== undefined && options.tls !== null);
    }
    const id = nuid.next();
    const own = instanceSubject(subject, id);
    this.name = name;
    this.table = table;
    this.serializers = serializers;
    this.id = id;
    this.boundSubject = subject;
    this.started0 = new Date();
    this.inFlight = 0;
    this.disconnected = false;
    const callStats = new EndpointStats("call", subject, queue);
    const instanceStats = new EndpointStats("instance", own, "");
    this.endpoints = [callStats, instanceStats];
    this.nc = nc;
    this.subs = [
      nc.subscribe(subject, { queue, callback: (err, msg) => (err ? this.subscriptionFailed(err, subject) : this.onRequest(msg, callStats)) }),
      nc.subscribe(own, { callback: (err, msg) => (err ? this.subscriptionFailed(err, own) : this.onRequest(msg, instanceStats)) }),
    ];
    this.controlSubs = VERBS.flatMap((verb) =>
      controlSubjects(verb, micro, id).map((s) =>
        nc.subscribe(s, {
          callback: (err, msg) => {
            if (err || !msg.reply) return;
            msg.respond(TEXT.encode(JSON.stringify(microResponse(verb, this.identity()))));
          },
        }),
      ),
    );
    void this.watch(nc, where);
    try {
      // the subscriptions are on the server before start() returns: a call made right after reaches this instance
      await nc.flush();
    } catch (err) {
      await nc.close().catch(() => undefined);
      this.nc = undefined;
      this.id = undefined;
      throw natsError(err, where, "connect");
    }
    this.log.info("serving %s on NATS subject %s (queue group %s, instance %s) via %s", name, subject, queue, id, where);
  }

  private subscriptionFailed(err: Error, subject: string): void {
    this.log.error("the subscription to %s failed: %s", subject, errorMessage(err));
  }

  private async watch(nc: NatsConnection, where: string): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") {
          this.disconnected = true;
          this.log.warn("%s: lost the connection to the NATS server %s; reconnecting", this.name, s.server);
        } else if (s.type === "reconnect") {
          this.disconnected = false;
          this.log.warn("%s: reconnected to the NATS server %s", this.name, s.server);
        }
        else if (s.type === "error") this.log.error("%s: NATS error from %s: %s", this.name, where, errorMessage(s.error));
      }
    } catch {
      // ends with the connection
    }
  }

  private onRequest(msg: Msg, stats: EndpointStats): void {
    const t0 = performance.now();
    const h = msg.headers;
    if (h !== undefined && h.has(PING_HEADER)) {
      if (msg.reply) msg.respond(EMPTY);
      return;
    }
    this.inFlight++;
    const done = (error?: string): void => {
      stats.record(Math.round((performance.now() - t0) * 1e6), error);
      if (--this.inFlight === 0 && this.idle !== undefined) this.idle();
    };
    const codec = h?.get(CODEC_HEADER) || "json";
    const ser = this.serializers.get(codec);
    if (ser === undefined) {
      this.replyError(msg, getSerializer("json"), new SerializationError(`this exporter takes the codecs ${this.codecs.join(", ")}, not '${codec}'`), done);
      return;
    }
    let result: unknown;
    try {
      const data = msg.data;
      if (data.length > this.maxRequestSize) throw new MessageTooLargeError(data.length, this.maxRequestSize, "request");
      const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const call = ser.callAt(b, 0, b.length) ?? ser.loadsCall(b);
      const metadata = new Map<string, string>();
      if (h !== undefined) for (const [k, vs] of h) if (vs[0] !== undefined) metadata.set(k.toLowerCase(), vs[0]);
      const context = newCallContext({
        protocol: "nats",
        service: this.name,
        method: call.method,
        serializer: codec,
        metadata,
        correlationId: metadata.get(MetadataKeys.correlationId),
        deadline: deadlineFromMetadata(metadata, Date.now()),
        oneway: !msg.reply,
      });
      const table = this.table!;
      if (msg.reply && table.isOneway(this.name, call.method)) {
        // a oneway method: the caller is answered at once, the method runs after
        this.respond(msg, ser.dumps(null), undefined);
        result = table.invoke({ service: this.name, method: call.method, args: call.vargs, kwargs: call.kwargs, context: { ...context, oneway: true } });
        if (isPromiseLike(result)) result.then(() => done(), (err: unknown) => this.replyError(undefined, ser, err, done));
        else done();
        return;
      }
      result = table.invoke({ service: this.name, method: call.method, args: call.vargs, kwargs: call.kwargs, context });
    } catch (err) {
      this.replyError(msg, ser, err, done);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (v) => this.reply(msg, ser, v, done),
        (err: unknown) => this.replyError(msg, ser, err, done),
      );
    } else this.reply(msg, ser, result, done);
  }

  private reply(msg: Msg, ser: PyroSerializer, value: unknown, done: (error?: string) => void): void {
    if (!msg.reply) return done();
    let payload: Uint8Array;
    try {
      const text = ser.valueText(value);
      payload = text !== undefined ? Buffer.from(text, "latin1") : ser.dumps(value);
    } catch (err) {
      this.replyError(msg, ser, err, done);
      return;
    }
    this.respond(msg, payload, undefined);
    done();
  }

  /** Answers a failed call with the error (`msg` undefined or without a reply subject: a oneway call, only counted and logged). */
  private replyError(msg: Msg | undefined, ser: PyroSerializer, err: unknown, done: (error?: string) => void): void {
    const status = statusOf(err);
    const message = errorMessage(err);
    if (status === 500) this.log.debug("a call to %s failed: %s", this.name, message);
    if (msg === undefined || !msg.reply) {
      this.log.debug("a oneway call to %s failed: %s", this.name, message);
      return done(`${status}:${message}`);
    }
    const dict = errorDict(err);
    const h: MsgHdrs = newHeaders();
    h.set(SERVICE_ERROR_HEADER, headerText(message || String(dict["__class__"])));
    h.set(SERVICE_ERROR_CODE_HEADER, String(status));
    h.set(ERROR_TYPE_HEADER, headerText(String(dict["__class__"])));
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof RemotingError || typeof code === "string") h.set(ERROR_CODE_HEADER, headerText(String(code)));
    let payload: Uint8Array;
    try {
      payload = ser.dumps(dict);
    } catch {
      payload = EMPTY;
    }
    this.respond(msg, payload, h);
    done(`${status}:${message}`);
  }

  private respond(msg: Msg, payload: Uint8Array, h: MsgHdrs | undefined): void {
    try {
      msg.respond(payload, h !== undefined ? { headers: h } : undefined);
    } catch (err) {
      // e.g. a reply above the server's max_payload: the caller gets an error instead of waiting for its deadline
      this.log.warn("cannot send the reply of a call to %s: %s", this.name, errorMessage(err));
      if (h === undefined) {
        const eh: MsgHdrs = newHeaders();
        eh.set(SERVICE_ERROR_HEADER, headerText(`the reply could not be sent: ${errorMessage(err)}`));
        eh.set(SERVICE_ERROR_CODE_HEADER, "500");
        eh.set(ERROR_TYPE_HEADER, "MessageTooLargeError");
        try {
          msg.respond(EMPTY, { headers: eh });
        } catch {
          // nothing more to do
        }
      }
    }
  }

  /** Waits until no call is in flight, or `ms` have passed; true when idle. */
  private waitIdle(ms: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const t = Number.isFinite(ms)
        ? setTimeout(() => {
            this.idle = undefined;
            resolve(false);
          }, ms)
        : undefined;
      this.idle = () => {
        if (t !== undefined) clearTimeout(t);
        this.idle = undefined;
        resolve(true);
      };
    });
  }

  protected async stop(): Promise<void> {
    const nc = this.nc;
    if (nc === undefined) return;
    if (this.disconnected) {
      // no server to drain with, and replies could not be sent: close at once
      this.log.warn("%s: closing while disconnected from NATS; %d calls in flight get no reply", this.name, this.inFlight);
      await nc.close().catch(() => undefined);
      this.clear();
      return;
    }
    const deadline = Date.now() + (Number.isFinite(this.drainTimeoutMs) ? this.drainTimeoutMs : 0x7fffffff);
    const left = (): number => Math.max(0, deadline - Date.now());
    const bounded = <T>(p: Promise<T>): Promise<T | undefined> => {
      let t: NodeJS.Timeout | undefined;
      return Promise.race([p, new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), Math.min(left(), 0x7fffffff))))]).finally(() => clearTimeout(t));
    };
    // 1. no new calls: UNSUB, and what the server delivered before it still runs
    await bounded(Promise.all(this.subs.map((s) => s.drain().catch(() => undefined))));
    // 2. the calls in flight finish
    const idle = await this.waitIdle(left());
    if (!idle) this.log.warn("%s: %d calls still running after drainTimeoutMs; closing anyway", this.name, this.inFlight);
    // 3. their replies are flushed, the connection closes
    const closed = await bounded(nc.drain().then(() => true, () => false));
    if (closed !== true) await nc.close().catch(() => undefined);
    this.log.info("%s (instance %s) stopped serving on NATS", this.name, this.id);
    this.clear();
  }

  private clear(): void {
    this.nc = undefined;
    this.subs = [];
    this.controlSubs = [];
    this.id = undefined;
    this.table = undefined;
    this.disconnected = false;
  }
}

defineProperties(NatsServiceExporter, {
  servers: anyValue<string[]>("the NATS servers to connect to (host:port or nats://host:port, separated by commas: a cluster)", "list", parseServers, ["127.0.0.1:4222"], { defaultText: "127.0.0.1:4222" }),
  subject: { type: "subject", doc: "the subject the service answers on", defaultText: "remoting.<serviceName>", parse: (v: unknown, n: string) => checkSubject(String(v).trim(), n) },
  queueGroup: string("the queue group of the exporters of this service: each call goes to one member", undefined, { defaultText: "the serviceName" }),
  codecs: anyValue<NatsCodec[]>("codecs of calls this exporter accepts (json, serpent); it answers in the call's codec", "list", parseCodecs, ["json", "serpent"], { defaultText: "json, serpent" }),
  maxRequestSize: size("largest request payload (64MiB, 1kB, ...); larger requests are refused (413) without being decoded. The NATS server's max_payload (1MB by default) applies first", DEFAULT_MAX_REQUEST_SIZE, { min: 1, defaultText: "64MiB" }),
  drainTimeoutMs: duration("on close, how long calls in flight may take to finish before the connection closes anyway", DEFAULT_DRAIN_TIMEOUT_MS),
  microName: { type: "string", doc: "the service's name in the NATS service API ($SRV.PING/INFO/STATS.<name>)", defaultText: "serviceName, with characters other than letters, digits, - and _ as _", parse: checked(MICRO_NAME, "letters, digits, - and _") },
  serviceVersion: { type: "semver", doc: "the service's version in the NATS service API (semver)", default: "1.0.0", parse: checked(SEMVER, "a semantic version such as 1.0.0") },
  description: string("the service's description in $SRV.INFO", undefined, { defaultText: "<serviceName> served by remoting" }),
  metadata: stringMap("metadata in $SRV.PING/INFO/STATS (remoting.subject, remoting.instance_subject and remoting.codecs are added)"),
  allow: list("only these methods are served (default: every public method)"),
  onewayMethods: list("methods answered at once (with null) and run after: a caller that waits for a reply does not wait for them"),
  ...connectionProperties(),
  ...reconnectProperties(),
});
