/**
 * HessianProxyFactory: the client side, as in Spring Python (the factory *is*
 * the proxy). `service_url`/`serviceUrl` names the service; calls go out as
 * Hessian 2.0 (or 1.0 with `hessianVersion = 1`) over HTTP or HTTPS, through
 * the factory's call policies (timeout, retry, logging, tracing,
 * interceptors: core/proxy-factory).
 *
 *   const pf = new HessianProxyFactory("http://localhost:8080/");
 *   await pf.getData("x");
 *   await pf.callRemote("add__2", [1, 2]);   // an overloaded Java method, by arity
 *
 * Every property is declared (core/config/properties) and parsed strictly
 * when set; TLS uses the standard properties of core/tls, with this
 * factory's historic names (`ca`, `cert`, `key`, `rejectUnauthorized`) as
 * aliases.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import type { Client, ClientOptions } from "../../core/invocation.js";
import { ProxyFactory } from "../../core/proxy-factory.js";
import { applyOptions, boolean, defineProperties, integer, size } from "../../core/config/properties.js";
import { tlsProperties, verifyServerAlias, type PemInput, type TlsVersion, type TlsClientProperties } from "../../core/tls.js";
import { DEFAULT_MAX_REPLY_SIZE, DEFAULT_MAX_SOCKETS, HessianClient, type HessianClientOptions, type HessianDecodeSettings } from "./client.js";
import { decodeSettings, httpHeaders, registry } from "./settings.js";
import type { ClassRegistry } from "./types.js";

/** Options of the constructor: any property below (and the policy properties), by name or alias. */
export interface HessianProxyOptions {
  serviceUrl?: string | undefined;
  timeoutMs?: number | string | undefined;
  hessianVersion?: 1 | 2 | string | undefined;
  tlsCa?: PemInput | undefined;
  tlsCert?: PemInput | undefined;
  tlsKey?: PemInput | undefined;
  tlsVerifyServer?: boolean | string | undefined;
  tlsCheckHostname?: boolean | string | undefined;
  tlsServername?: string | undefined;
  tlsVerifyFields?: Record<string, string> | string | undefined;
  tlsMinVersion?: TlsVersion | string | undefined;
  tlsMaxVersion?: TlsVersion | string | undefined;
  tlsCiphers?: string | undefined;
  /** Old names of tlsCa, tlsCert, tlsKey and tlsVerifyServer. */
  ca?: PemInput | undefined;
  cert?: PemInput | undefined;
  key?: PemInput | undefined;
  rejectUnauthorized?: boolean | string | undefined;
  keepAlive?: boolean | string | undefined;
  maxSockets?: number | string | undefined;
  maxReplySize?: number | string | undefined;
  registry?: ClassRegistry | undefined;
  /** The decodeOptions property. */
  decode?: HessianDecodeSettings | string | undefined;
  decodeOptions?: HessianDecodeSettings | string | undefined;
  headers?: Record<string, string> | string | undefined;
  [policy: string]: unknown;
}

/** The standard TLS properties (core/tls), declared once. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface HessianProxyFactory extends TlsClientProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class HessianProxyFactory extends ProxyFactory {
  declare hessianVersion: 1 | 2;
  /** Old spellings: ca → tlsCa, cert → tlsCert, key → tlsKey, rejectUnauthorized → tlsVerifyServer. */
  declare ca: PemInput | undefined;
  declare cert: PemInput | undefined;
  declare key: PemInput | undefined;
  declare rejectUnauthorized: boolean;
  declare keepAlive: boolean;
  declare maxSockets: number;
  declare maxReplySize: number;
  declare registry: ClassRegistry | undefined;
  declare decodeOptions: HessianDecodeSettings | undefined;
  declare headers: Record<string, string> | undefined;

  constructor(serviceUrl?: string, options: HessianProxyOptions = {}) {
    super();
    const url = serviceUrl ?? options.serviceUrl;
    if (url !== undefined) this.serviceUrl = url;
    applyOptions(this, options, ["serviceUrl", "decode"]);
    if (options.decode !== undefined && options.decodeOptions === undefined) (this as { decodeOptions: unknown }).decodeOptions = options.decode;
  }

  protected get protocolName(): string {
    return "hessian";
  }

  protected createInvoker(options: ClientOptions): Client {
    const url = this.serviceUrl;
    if (url === undefined || url === null || url === "") {
      throw new ConfigError("service_url must NOT be None", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    }
    return new HessianClient(String(url), { ...hessianClientSettings(this), ...options });
  }

  /** Closes the connections (the next call opens new ones). */
  async close(): Promise<void> {
    await this.resetInvoker();
  }
}

/** The Hessian settings of a factory (or any holder of its properties) as client options, without the call policies. */
export function hessianClientSettings(f: HessianProxyFactory): HessianClientOptions {
  return {
    hessianVersion: f.hessianVersion,
    tlsCa: f.tlsCa,
    tlsCert: f.tlsCert,
    tlsKey: f.tlsKey,
    tlsVerifyServer: f.tlsVerifyServer,
    tlsCheckHostname: f.tlsCheckHostname,
    tlsServername: f.tlsServername,
    tlsVerifyFields: f.tlsVerifyFields,
    tlsMinVersion: f.tlsMinVersion,
    tlsMaxVersion: f.tlsMaxVersion,
    tlsCiphers: f.tlsCiphers,
    keepAlive: f.keepAlive,
    maxSockets: f.maxSockets,
    maxReplySize: f.maxReplySize,
    registry: f.registry,
    decode: f.decodeOptions,
    headers: f.headers,
  };
}

defineProperties(HessianProxyFactory, {
  hessianVersion: integer("Hessian version of the calls: 2 (H 02 00 C) or 1 (pure 1.0, c 01 00, with 1.0 replies)", 2, { min: 1, max: 2 }, { connection: true }),
  ...tlsProperties("client", { tlsCa: ["ca"], tlsCert: ["cert"], tlsKey: ["key"] }),
  rejectUnauthorized: { ...verifyServerAlias("old name of tlsVerifyServer: verify the server certificate's chain (false is for testing only)"), default: true },
  keepAlive: boolean("reuse connections (HTTP keep-alive); false sends Connection: close and uses one connection per call", true, { connection: true }),
  maxSockets: integer("most connections open at once; more calls wait for a free one", DEFAULT_MAX_SOCKETS, { min: 1, max: 65536 }, { connection: true }),
  maxReplySize: size("largest reply body accepted, after inflating (64MiB, 512kB, ...); larger replies fail with MessageTooLargeError", DEFAULT_MAX_REPLY_SIZE, { min: 1, connection: true }),
  registry: registry("classes replies may instantiate, and classes sent with their Java names (code only)"),
  decodeOptions: decodeSettings("decoder limits (maxDepth, maxStringLength, maxBinaryLength, maxCollectionLength, maxClassDefinitions, maxFields), mapsAs (object | map) and preserveTypes for replies"),
  headers: httpHeaders("extra HTTP headers sent with every call (Content-Type, Accept-Encoding, Content-Length and, with credentials in the URL, Authorization are ours)"),
});
