/**
 * NatsProxyFactory: the client side of a service served over NATS (the
 * factory *is* the proxy, as in Spring Python). `serviceUrl` names the
 * servers and the subject, `nats://host:4222[,host:4223]/<subject>` (see
 * url.ts); calls go through the factory's call policies (timeout, retry,
 * logging, tracing, interceptors: core/proxy-factory), then out as NATS
 * requests that any exporter of the queue group may answer.
 *
 *     const pf = new NatsProxyFactory("nats://127.0.0.1:4222/remoting.Calculator");
 *     await pf.add(1, 2);
 *     await pf.callRemote("greet", [], { kwargs: { name: "x" } });
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import type { Client, ClientOptions } from "../../core/invocation.js";
import { ProxyFactory } from "../../core/proxy-factory.js";
import { applyOptions, defineProperties, duration, oneOf } from "../../core/config/properties.js";
import { NatsClient, checkNatsUrl, type NatsClientSettings } from "./client.js";
import { NATS_CODECS, connectionProperties, connectionSettings, type NatsCodec, type NatsConnectionSettings } from "./settings.js";

/** The connection properties (settings.ts), declared once for the exporter and the proxy factory. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface NatsProxyFactory extends NatsConnectionSettings {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NatsProxyFactory extends ProxyFactory {
  declare codec: NatsCodec;
  declare attemptTimeoutMs: number;

  /** `new NatsProxyFactory(url?, { codec: "serpent", token: "...", timeoutMs: "5s", ... })`: any declared property by name. */
  constructor(serviceUrl?: string, options: Readonly<Record<string, unknown>> = {}) {
    super();
    const url = serviceUrl ?? (options["serviceUrl"] as string | undefined);
    if (url !== undefined) this.serviceUrl = url;
    applyOptions(this, options, ["serviceUrl"]);
  }

  protected get protocolName(): string {
    return "nats";
  }

  protected createInvoker(options: ClientOptions): Client {
    const url = this.serviceUrl;
    if (url === undefined || url === null || url === "") throw new ConfigError("service_url must NOT be None", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    return new NatsClient(String(url), clientSettings(this), options);
  }

  /** Releases the connection (the next call opens a new one). */
  async close(): Promise<void> {
    await this.resetInvoker();
  }
}

/** The client settings of a factory (or of any holder of its properties), as a plain object. */
export function clientSettings(f: object): NatsClientSettings {
  return connectionSettings<NatsClientSettings>(f, ["codec", "attemptTimeoutMs"]);
}

defineProperties(NatsProxyFactory, {
  serviceUrl: { type: "URL", doc: "nats://host:port[,host:port...]/<subject>[?instance=<id>]: the NATS servers and the service's subject (checked when set)", parse: (v: unknown, n: string) => checkNatsUrl(v, n), aliases: ["service_url"], connection: true },
  codec: oneOf("codec of calls and results: json, or serpent (the Pyro4 serializers of those names; the exporter answers in the call's codec)", NATS_CODECS, "json", {}, { connection: true }),
  attemptTimeoutMs: duration(
    "time limit of one request on the wire, inside the call's deadline: when it passes with no reply, the attempt fails as possibly lost (a CommunicationError, phase reply) and the retry policy may re-send an idempotent call (e.g. after a cluster node died with the request); none: the call's deadline only",
    Infinity,
    { connection: true, defaultText: "none" },
  ),
  ...connectionProperties(),
});
