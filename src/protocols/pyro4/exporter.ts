/**
 * PyroServiceExporter / Pyro4ServiceExporter: serve an object through a Pyro4
 * daemon at host:port. Exporters on the same resolved address and port share
 * one daemon ("localhost" and "127.0.0.1" share); the daemon closes when its
 * last exporter is destroyed. A second exporter with a name already served by
 * that daemon fails with ERR_DUPLICATE_NAME.
 *
 * Every property is declared (core/config/properties) and parsed strictly
 * when set: the daemon's settings under the names of `PyroDaemonOptions`,
 * the core TLS properties (with Spring Python's and Pyro4's `ssl*` names as
 * aliases), and the exposure lists.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { SocketServiceExporter, coercePort } from "../../core/exporter.js";
import { anyValue, defineProperties, list, port, type PropertySpec } from "../../core/config/properties.js";
import { getLogger } from "../../core/logging.js";
import type { ServerInterceptor } from "../../core/server/service-table.js";
import { readTlsSettings, requireClientCertAlias, tlsProperties, type TlsConfigurable, type TlsServerProperties } from "../../core/tls.js";
import { PyroDaemon, resolveHost, type PyroDaemonOptions } from "./daemon.js";
import { toHmacKey } from "./message.js";
import { DAEMON_ONLY_SETTINGS, DAEMON_SETTINGS, parseOptions, propertiesSet, type SerializerLimitsInput, type SerializerName } from "./options.js";

const holderLog = getLogger("remoting.pyro.PyroDaemonHolder");

interface HolderEntry {
  key: string;
  daemon: Promise<PyroDaemon>;
  names: Set<string>;
  hmac: string;
}

const daemons = new Map<string, HolderEntry>();
const closing = new Map<string, Promise<void>>();
let anonymous = 0;

function hmacId(key: string | Uint8Array | undefined): string {
  return toHmacKey(key)?.toString("hex") ?? "";
}

/** The shared daemons, keyed by resolved host and numeric port. Internal, exported for tests. */
export const PyroDaemonHolder = {
  /** Number of daemons running for exporters. */
  get size(): number {
    return daemons.size;
  },

  /** The daemon serving host:port, if exporters run there. */
  async daemonAt(host: string, port: number | string): Promise<PyroDaemon | undefined> {
    const key = `${await resolveHost(host)}:${coercePort(port)}`;
    return daemons.get(key)?.daemon;
  },

  async register(
    service: object,
    name: string,
    host: string,
    port: number,
    options: PyroDaemonOptions,
    expose: { allow?: string[] | undefined; oneway?: string[] | undefined },
    interceptors: readonly ServerInterceptor[] = [],
  ): Promise<PyroDaemon> {
    holderLog.debug("Registering %s at %s:%s with the Pyro server", name, host, port);
    const ip = await resolveHost(host);
    const key = port === 0 ? `${ip}:0#${++anonymous}` : `${ip}:${port}`;
    const prior = closing.get(key);
    if (prior) await prior;
    let entry = daemons.get(key);
    if (entry && entry.hmac !== hmacId(options.hmacKey)) {
      throw new ConfigError(`the Pyro daemon at ${ip}:${port} already runs with a different HMAC key`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    if (!entry) {
      holderLog.debug("Pyro thread needs to be started at %s:%s", ip, port);
      const d = new PyroDaemon({ ...options, host: ip, port });
      const e: HolderEntry = { key, daemon: d.listen().then(() => d), names: new Set(), hmac: hmacId(options.hmacKey) };
      daemons.set(key, e);
      e.daemon.catch(() => {
        if (daemons.get(key) === e) daemons.delete(key);
      });
      entry = e;
    }
    const daemon = await entry.daemon;
    if (entry.names.has(name) || daemon.has(name)) {
      throw new ConfigError(`a service named '${name}' is already exported at ${ip}:${daemon.port}`, ErrorCodes.ERR_DUPLICATE_NAME);
    }
    daemon.register(service, name, expose);
    // this exporter's server interceptors see this service's calls only (others may share the daemon)
    for (const ic of interceptors) daemon.use(ic, name);
    entry.names.add(name);
    return daemon;
  },

  async deregister(name: string, daemon: PyroDaemon): Promise<void> {
    for (const [key, entry] of daemons) {
      if ((await entry.daemon.catch(() => undefined)) !== daemon) continue;
      holderLog.debug("Deregistering %s at %s with the Pyro server", name, key);
      daemon.unregister(name);
      entry.names.delete(name);
      if (entry.names.size === 0) {
        daemons.delete(key);
        holderLog.debug("Shutting down Pyro daemon at %s", key);
        const p = daemon.close().finally(() => closing.delete(key));
        closing.set(key, p);
        await p;
      }
      return;
    }
  },

  /** Closes the daemon at host:port whatever is registered (the original's `shutdown` hook). */
  async shutdown(host: string, port: number | string): Promise<void> {
    const key = `${await resolveHost(host)}:${coercePort(port)}`;
    const entry = daemons.get(key);
    if (!entry) return;
    daemons.delete(key);
    const d = await entry.daemon.catch(() => undefined);
    if (d) await d.close();
  },
};

/** The exporter's TLS properties: the core's, with Pyro4's and Spring Python's names as aliases. */
const EXPORTER_TLS = tlsProperties("server", { tlsCert: ["sslServerCert", "ssl_server_cert"], tlsKey: ["sslServerKey", "ssl_server_key"], tlsCa: ["sslCaCerts", "ssl_ca_certs"] });

/** The daemon settings an exporter passes on (the base declares `tracing`). */
const PASSED_ON: readonly string[] = [...Object.keys(DAEMON_SETTINGS).filter((n) => n !== "tracing"), "validateHandshake"];

function daemonOptionsValue(v: unknown, name: string): PyroDaemonOptions {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ConfigError(`${name} must be an object of PyroDaemonOptions`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  // checked now (unknown names, bad values), so a mistake fails where it is set
  parseOptions(name, v, DAEMON_ONLY_SETTINGS, DAEMON_SETTINGS);
  return v as PyroDaemonOptions;
}

/** Serves `service` as Pyro object `serviceName` at `serviceHost:servicePort` (default localhost:7766). */
/** The standard TLS properties (core/tls), declared once. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface PyroServiceExporter extends TlsServerProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class PyroServiceExporter extends SocketServiceExporter {
  /** Shared HMAC key; clients must use the same one. */
  declare hmacKey: string | Uint8Array | undefined;
  declare hmac_key: string | Uint8Array | undefined;
  /** Serializers accepted from clients (default serpent, json, marshal). */
  declare serializersAccepted: SerializerName[] | undefined;
  /** Only these methods are callable (a list or a comma-separated string); default: every public method. */
  declare exposedMethods: string[] | undefined;
  /** Methods announced as oneway in the metadata (Python clients then do not wait for them). */
  declare onewayMethods: string[] | undefined;
  declare idleTimeoutMs: number;
  declare handshakeTimeoutMs: number;
  declare maxMessageSize: number;
  declare frameTimeoutMs: number;
  declare maxInFlightPerConnection: number;
  declare maxInFlightPerPeer: number;
  declare maxConnections: number;
  declare maxBufferPerPeer: number;
  declare maxBufferTotal: number;
  declare compressThreshold: number | undefined;
  declare maxCompressionRatio: number;
  declare streamLingerMs: number;
  declare streamLifetimeMs: number;
  declare maxStreams: number;
  declare maxStreamsPerConnection: number;
  declare maxStreamsPerPeer: number;
  declare closeGraceMs: number;
  declare serializerLimits: SerializerLimitsInput | undefined;
  /** Arguments keep their Python types when sent back (whole floats as Float, serpent's bytes dict as a Buffer); default false. */
  declare preserveTypes: boolean;
  declare enforceDeadlines: boolean;
  declare validateHandshake: PyroDaemonOptions["validateHandshake"];
  // TLS (core/tls); the ssl* spellings are Pyro4's SSL_SERVERCERT, SSL_SERVERKEY, SSL_CACERTS, SSL_REQUIRECLIENTCERT
  declare sslServerCert: string | Buffer | undefined;
  declare sslServerKey: string | Buffer | undefined;
  declare sslCaCerts: string | Buffer | undefined;
  /** A boolean stored as tlsClientCert ("required" or "none"): `yes`, `true`, `1`, ... require client certificates. */
  declare sslRequireClientCert: "none" | "optional" | "required" | boolean | string;
  /** Further daemon options (for code); properties set on the exporter win. Used by the exporter that starts the daemon. */
  declare daemonOptions: PyroDaemonOptions | undefined;

  private daemon: PyroDaemon | undefined;
  private exportedName: string | undefined;

  constructor(service?: unknown, serviceName?: string, serviceHost?: string, servicePort?: number | string, loggerName = "remoting.pyro.PyroServiceExporter") {
    super(loggerName);
    this.daemon = undefined;
    this.exportedName = undefined;
    if (service !== undefined) this.service = service;
    if (serviceName !== undefined) this.serviceName = serviceName;
    if (serviceHost !== undefined) this.serviceHost = serviceHost;
    if (servicePort !== undefined) (this as { servicePort: unknown }).servicePort = servicePort;
  }

  /** The PYRO URI of the exported service (after start). */
  get uri(): string | undefined {
    return this.daemon && this.exportedName ? this.daemon.uriFor(this.exportedName) : undefined;
  }

  /** `PYRO:name@host:port` once started. */
  override get url(): string | undefined {
    return this.uri;
  }

  /** The port actually bound (useful with servicePort 0). */
  get boundPort(): number | undefined {
    return this.daemon?.port;
  }

  protected async start(): Promise<void> {
    this.require("service", "serviceName", "serviceHost", "servicePort");
    const name = String(this.serviceName);
    const svc = this.service;
    if (svc === null || (typeof svc !== "object" && typeof svc !== "function")) {
      throw new ConfigError(`service must be an object, not ${svc === null ? "null" : typeof svc}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    // the TLS settings are checked here, also when the daemon already runs for another exporter
    readTlsSettings(this as unknown as TlsConfigurable, "server");
    this.log.debug("Exporting %s as a Pyro service at %s:%s", name, this.serviceHost, this.servicePort);
    const options: PyroDaemonOptions = { ...(this.daemonOptions ?? {}), tracing: this.tracing, ...propertiesSet(this, PASSED_ON) };
    this.daemon = await PyroDaemonHolder.register(
      svc as object,
      name,
      this.serviceHost,
      this.servicePort,
      options,
      { allow: this.exposedMethods, oneway: this.onewayMethods },
      this.interceptors ?? [],
    );
    this.exportedName = name;
  }

  protected async stop(): Promise<void> {
    const d = this.daemon;
    const name = this.exportedName;
    this.daemon = undefined;
    this.exportedName = undefined;
    if (d && name !== undefined) await PyroDaemonHolder.deregister(name, d);
  }
}

const { tracing: _tracing, ...daemonSettings } = DAEMON_SETTINGS;
const EXPORTER_PROPERTIES: Record<string, PropertySpec<any>> = {
  servicePort: port("port to bind; 0 picks a free port (its URL is printed by remoting run)", 7766, { aliases: ["service_port"] }),
  ...daemonSettings,
  ...EXPORTER_TLS,
  sslRequireClientCert: { ...requireClientCertAlias("Pyro4's SSL_REQUIRECLIENTCERT: true (yes, on, 1) requires client certificates signed by tlsCa; stored as tlsClientCert"), aliases: ["ssl_require_client_cert"] },
  validateHandshake: DAEMON_ONLY_SETTINGS["validateHandshake"]!,
  exposedMethods: list("only these methods are callable (a list, or comma-separated); default: every public method", { aliases: ["exposed_methods"] }),
  onewayMethods: list("methods announced as oneway in the metadata (Python clients do not wait for them)", { aliases: ["oneway_methods"] }),
  daemonOptions: anyValue<PyroDaemonOptions>("further PyroDaemonOptions (code); properties set on the exporter win", "object", daemonOptionsValue),
};
defineProperties(PyroServiceExporter, EXPORTER_PROPERTIES);

/** The Pyro4-named exporter of Spring Python: same behaviour, URIs `PYRO:name@host:port`. */
export class Pyro4ServiceExporter extends PyroServiceExporter {
  constructor(service?: unknown, serviceName?: string, serviceHost?: string, servicePort?: number | string) {
    super(service, serviceName, serviceHost, servicePort, "remoting.pyro.Pyro4ServiceExporter");
  }
}
