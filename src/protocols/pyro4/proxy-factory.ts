/**
 * PyroProxyFactory / Pyro4ProxyFactory: the client side of Spring Python's
 * Pyro remoting. The factory is the proxy: `await factory.get_data("x")`
 * calls the remote method. Nothing touches the network before the first call.
 */
import { readFileSync } from "node:fs";
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import type { Invoker } from "../../core/invocation.js";
import { ProxyFactory } from "../../core/proxy-factory.js";
import { PyroProxy, type PyroProxyOptions } from "./proxy.js";
import { aliasProperties } from "../../core/property-aliases.js";

function optionalNumber(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${what} must be a number >= 0, not '${String(v)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return n;
}

const kUrl: unique symbol = Symbol("serviceUrl");

export class PyroProxyFactory extends ProxyFactory {
  [kUrl]: string | undefined = undefined;
  /** Shared HMAC key. */
  hmacKey: string | Uint8Array | undefined = undefined;
  /** "serpent" (default) or "json". */
  serializer: "serpent" | "json" = "serpent";
  /** Timeout of each call in ms (default 30000). */
  timeoutMs: number | string | undefined = undefined;
  /** TLS, as Pyro4's SSL_CACERTS / SSL_CLIENTCERT / SSL_CLIENTKEY: PEM file paths. Setting sslCaCerts turns TLS on. */
  sslCaCerts: string | undefined = undefined;
  sslClientCert: string | undefined = undefined;
  sslClientKey: string | undefined = undefined;
  /** Further client options (TLS, limits, name server). */
  proxyOptions: PyroProxyOptions = {};

  constructor(serviceUrl?: string | { serviceUrl?: string; service_url?: string }) {
    super();
    if (typeof serviceUrl === "string") this.serviceUrl = serviceUrl;
    else if (serviceUrl) this.serviceUrl = serviceUrl.serviceUrl ?? serviceUrl.service_url;
  }

  /** PYROLOC://host:port/Name, PYRO:Name@host:port, PYRONAME:name[@ns:port] or PYROMETA:tags. Changing it drops the current connection. */
  get serviceUrl(): string | undefined {
    return this[kUrl];
  }
  set serviceUrl(v: string | undefined) {
    if (v === this[kUrl]) return;
    this[kUrl] = v;
    if (this.connected) void this.resetInvoker().catch(() => undefined);
  }
  declare service_url: string | undefined;
  declare hmac_key: string | Uint8Array | undefined;

  /** The underlying Pyro4 client (created on first use): batch(), getAttr(), setAttr(), ping(), close(). */
  get pyroProxy(): PyroProxy {
    return this.invoker as PyroProxy;
  }

  protected createInvoker(): Invoker {
    if (!this.serviceUrl) throw new ConfigError("service_url must NOT be None", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    if (this.serializer !== "serpent" && this.serializer !== "json") {
      throw new ConfigError(`serializer must be 'serpent' or 'json', not '${String(this.serializer)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    let tls = this.proxyOptions.tls;
    if (this.sslCaCerts || this.sslClientCert) {
      const read = (f: string, what: string): Buffer => {
        try {
          return readFileSync(f);
        } catch (err) {
          throw new ConfigError(`cannot read ${what} '${f}': ${(err as Error).message}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, { cause: err });
        }
      };
      tls = {
        ...(typeof tls === "object" ? tls : {}),
        ca: this.sslCaCerts ? read(this.sslCaCerts, "sslCaCerts") : undefined,
        cert: this.sslClientCert ? read(this.sslClientCert, "sslClientCert") : undefined,
        key: this.sslClientKey ? read(this.sslClientKey, "sslClientKey") : undefined,
      };
    }
    return new PyroProxy(this.serviceUrl, {
      ...this.proxyOptions,
      tls,
      serializer: this.serializer,
      hmacKey: this.hmacKey ?? this.proxyOptions.hmacKey,
      timeoutMs: optionalNumber(this.timeoutMs, "timeoutMs") ?? this.proxyOptions.timeoutMs,
    });
  }

  /** Closes the connection; the next call reconnects. */
  async release(): Promise<void> {
    await this.resetInvoker();
  }
}
aliasProperties(PyroProxyFactory, { service_url: "serviceUrl", hmac_key: "hmacKey" });

/** The Pyro4-named proxy factory of Spring Python (URLs `PYRO:name@host:port`). */
export class Pyro4ProxyFactory extends PyroProxyFactory {}
