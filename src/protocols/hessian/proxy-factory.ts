/**
 * HessianProxyFactory: the client side, as in Spring Python (the factory *is*
 * the proxy). `service_url`/`serviceUrl` names the service; calls go out as
 * Hessian 2.0 (or 1.0 with `hessianVersion = 1`) over HTTP or HTTPS.
 *
 *   const pf = new HessianProxyFactory("http://localhost:8080/");
 *   await pf.getData("x");
 *   await pf.callRemote("add__2", [1, 2]);   // an overloaded Java method, by arity
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { DEFAULT_CALL_TIMEOUT_MS, type Invoker } from "../../core/invocation.js";
import { ProxyFactory } from "../../core/proxy-factory.js";
import { DEFAULT_MAX_REPLY_SIZE, HessianClient, type HessianClientOptions, type PemInput } from "./client.js";
import type { ClassRegistry, DecodeLimits } from "./types.js";
import { aliasProperties } from "../../core/property-aliases.js";

function toNumber(v: unknown, what: string, min: number): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${what} must be a number >= ${min}, not '${String(v)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return n;
}

function toBool(v: unknown, what: string): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "True") return true;
  if (v === "false" || v === "False") return false;
  throw new ConfigError(`${what} must be true or false, not '${String(v)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

export interface HessianProxyOptions extends HessianClientOptions {
  serviceUrl?: string | undefined;
}

export class HessianProxyFactory extends ProxyFactory {
  /** Timeout of one call, in ms (string values from XML are converted). Default 30000. */
  timeoutMs: number | string = DEFAULT_CALL_TIMEOUT_MS;
  /** Hessian version of the calls: 2 (default) or 1. */
  hessianVersion: 1 | 2 | string = 2;
  /** TLS: trusted CAs, client certificate and key (PEM text, Buffer or file path), and whether to verify the server. */
  ca: PemInput | undefined = undefined;
  cert: PemInput | undefined = undefined;
  key: PemInput | undefined = undefined;
  rejectUnauthorized: boolean | string = true;
  /** HTTP keep-alive. Default true. */
  keepAlive: boolean | string = true;
  /** Largest reply accepted, in bytes. Default 64 MiB. */
  maxReplySize: number | string = DEFAULT_MAX_REPLY_SIZE;
  /** Classes replies may instantiate. Default: none (objects are plain objects). */
  registry: ClassRegistry | undefined = undefined;
  /** Decoder limits and options for replies. */
  decodeOptions: (DecodeLimits & { mapsAs?: "object" | "map"; preserveTypes?: boolean }) | undefined = undefined;
  /** Extra HTTP headers. */
  headers: Record<string, string> | undefined = undefined;

  declare private _serviceUrl: string | undefined;

  constructor(serviceUrl?: string, options: HessianProxyOptions = {}) {
    super();
    Object.defineProperty(this, "_serviceUrl", { value: serviceUrl ?? options.serviceUrl, writable: true, enumerable: false });
    if (options.timeoutMs !== undefined) this.timeoutMs = options.timeoutMs;
    if (options.hessianVersion !== undefined) this.hessianVersion = options.hessianVersion;
    if (options.ca !== undefined) this.ca = options.ca;
    if (options.cert !== undefined) this.cert = options.cert;
    if (options.key !== undefined) this.key = options.key;
    if (options.rejectUnauthorized !== undefined) this.rejectUnauthorized = options.rejectUnauthorized;
    if (options.keepAlive !== undefined) this.keepAlive = options.keepAlive;
    if (options.maxReplySize !== undefined) this.maxReplySize = options.maxReplySize;
    if (options.registry !== undefined) this.registry = options.registry;
    if (options.decode !== undefined) this.decodeOptions = options.decode;
    if (options.headers !== undefined) this.headers = options.headers;
  }

  /** The URL of the Hessian service (http: or https:). Changing it drops the current connections. */
  get serviceUrl(): string | undefined {
    return this._serviceUrl;
  }
  set serviceUrl(v: string | undefined) {
    if (v === this._serviceUrl) return;
    this._serviceUrl = v;
    if (this.connected) void this.resetInvoker();
  }
  /** The original's spelling. */
  declare service_url: string | undefined;

  protected createInvoker(): Invoker {
    const url = this.serviceUrl;
    if (url === undefined || url === null || url === "") {
      throw new ConfigError("service_url must NOT be None", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    }
    const version = toNumber(this.hessianVersion, "hessianVersion", 1);
    if (version !== 1 && version !== 2) throw new ConfigError(`hessianVersion must be 1 or 2, not '${String(this.hessianVersion)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    return new HessianClient(String(url), {
      timeoutMs: toNumber(this.timeoutMs, "timeoutMs", 0),
      hessianVersion: version,
      ca: this.ca,
      cert: this.cert,
      key: this.key,
      rejectUnauthorized: toBool(this.rejectUnauthorized, "rejectUnauthorized"),
      keepAlive: toBool(this.keepAlive, "keepAlive"),
      maxReplySize: toNumber(this.maxReplySize, "maxReplySize", 1),
      registry: this.registry,
      decode: this.decodeOptions,
      headers: this.headers,
    });
  }

  /** Closes the connections (the next call opens new ones). */
  async close(): Promise<void> {
    await this.resetInvoker();
  }
}
aliasProperties(HessianProxyFactory, { service_url: "serviceUrl" });
