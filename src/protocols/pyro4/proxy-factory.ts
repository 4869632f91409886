/**
 * PyroProxyFactory / Pyro4ProxyFactory: the client side of Spring Python's
 * Pyro remoting. The factory is the proxy: `await factory.get_data("x")`
 * calls the remote method. Nothing touches the network before the first call.
 *
 * Its properties are declared (core/config/properties) and parsed strictly:
 * the call policies and `serviceUrl` of every proxy factory (the base), the
 * proxy's settings under the names of `PyroProxyOptions`, and the core TLS
 * properties with Pyro4's `ssl*` names as aliases. Changing any of them
 * after a call drops the client; the next call builds one with the new
 * settings.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import type { ClientOptions } from "../../core/invocation.js";
import { ProxyFactory } from "../../core/proxy-factory.js";
import { anyValue, defineProperties, type PropertySpec } from "../../core/config/properties.js";
import { tlsProperties, type TlsClientProperties } from "../../core/tls.js";
import { PyroProxy, type PyroProxyOptions } from "./proxy.js";
import { PROXY_ONLY_SETTINGS, PROXY_SETTINGS, parseOptions, propertiesSet, type SerializerName } from "./options.js";

/** The factory's TLS properties: the core's, with Pyro4's SSL_CACERTS, SSL_CLIENTCERT, SSL_CLIENTKEY names as aliases. */
const FACTORY_TLS = tlsProperties("client", { tlsCa: ["sslCaCerts", "ssl_ca_certs"], tlsCert: ["sslClientCert", "ssl_client_cert"], tlsKey: ["sslClientKey", "ssl_client_key"] });

/**
 * The proxy settings a factory declares as properties. The others (metadata,
 * handshake, the name-server broadcast, serializer limits) go through
 * `proxyOptions`, so that common remote method names stay remote.
 */
const FACTORY_SETTINGS: readonly string[] = ["hmacKey", "serializer", "connectTimeoutMs", "maxMessageSize", "compressThreshold", "maxInFlight", "tls", "nsHost", "nsPort", "preserveTypes"];
const PASSED_ON: readonly string[] = [...FACTORY_SETTINGS, ...Object.keys(FACTORY_TLS)];

function proxyOptionsValue(v: unknown, name: string): PyroProxyOptions {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ConfigError(`${name} must be an object of PyroProxyOptions`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  // checked now (unknown names, bad values), so a mistake fails where it is set
  parseOptions(name, v, PROXY_ONLY_SETTINGS, PROXY_SETTINGS);
  return v as PyroProxyOptions;
}

/** The standard TLS properties (core/tls), declared once. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface PyroProxyFactory extends TlsClientProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class PyroProxyFactory extends ProxyFactory {
  /** Shared HMAC key. */
  declare hmacKey: string | Uint8Array | undefined;
  declare hmac_key: string | Uint8Array | undefined;
  /** "serpent" (default), "json" or "marshal". */
  declare serializer: SerializerName;
  declare connectTimeoutMs: number;
  declare maxMessageSize: number;
  declare compressThreshold: number | undefined;
  declare maxInFlight: number;
  /** Connect with TLS; also on when tlsCa, tlsCert or tlsKey (or an ssl* alias) is set. */
  declare tls: boolean;
  declare ssl: boolean;
  declare sslCaCerts: string | Buffer | undefined;
  declare sslClientCert: string | Buffer | undefined;
  declare sslClientKey: string | Buffer | undefined;
  declare nsHost: string;
  declare nsPort: number;
  /** Replies keep their Python types when sent on (whole floats as Float, serpent's bytes dict as a Buffer); Buffers go as serpent bytes literals. Default false. */
  declare preserveTypes: boolean;
  /** Further client options (for code); properties set on the factory win. */
  declare proxyOptions: PyroProxyOptions | undefined;

  constructor(serviceUrl?: string | { serviceUrl?: string; service_url?: string }) {
    super();
    if (typeof serviceUrl === "string") this.serviceUrl = serviceUrl;
    else if (serviceUrl) this.serviceUrl = serviceUrl.serviceUrl ?? serviceUrl.service_url;
  }

  protected get protocolName(): string {
    return "pyro4";
  }

  /** The underlying Pyro4 client (created on first use): batch(), getAttr(), setAttr(), callKw(), ping(), close(). */
  get pyroProxy(): PyroProxy {
    return this.invoker as PyroProxy;
  }

  /** The PyroProxy options this factory's settings make (the call policies come from the base). */
  proxySettings(): PyroProxyOptions {
    return { ...(this.proxyOptions ?? {}), ...propertiesSet(this, PASSED_ON) } as PyroProxyOptions;
  }

  protected createInvoker(options: ClientOptions): PyroProxy {
    if (!this.serviceUrl) throw new ConfigError("service_url must NOT be None", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    return new PyroProxy(this.serviceUrl, { ...this.proxySettings(), timeoutMs: options.timeoutMs, interceptors: options.interceptors });
  }

  /** Closes the connection; the next call reconnects. */
  async release(): Promise<void> {
    await this.resetInvoker();
  }
}
const FACTORY_PROPERTIES: Record<string, PropertySpec<any>> = {
  ...Object.fromEntries(FACTORY_SETTINGS.map((n) => [n, PROXY_SETTINGS[n]!])),
  ...FACTORY_TLS,
  proxyOptions: anyValue<PyroProxyOptions>("further PyroProxyOptions (code); properties set on the factory win", "object", proxyOptionsValue, undefined, { connection: true }),
};
defineProperties(PyroProxyFactory, FACTORY_PROPERTIES);

/** The Pyro4-named proxy factory of Spring Python (URLs `PYRO:name@host:port`). */
export class Pyro4ProxyFactory extends PyroProxyFactory {}
