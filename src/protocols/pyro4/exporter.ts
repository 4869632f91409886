/**
 * PyroServiceExporter / Pyro4ServiceExporter: serve an object through a Pyro4
 * daemon at host:port. Exporters on the same resolved address and port share
 * one daemon ("localhost" and "127.0.0.1" share); the daemon closes when its
 * last exporter is destroyed. A second exporter with a name already served by
 * that daemon fails with ERR_DUPLICATE_NAME.
 */
import { readFile } from "node:fs/promises";
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { coercePort, SocketServiceExporter } from "../../core/exporter.js";
import { getLogger } from "../../core/logging.js";
import { PyroDaemon, resolveHost, type PyroDaemonOptions, type SerializerName } from "./daemon.js";
import { toHmacKey } from "./message.js";
import { aliasProperties } from "../../core/property-aliases.js";

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

  async register(service: object, name: string, host: string, port: number, options: PyroDaemonOptions, expose: { allow?: string[] | undefined; oneway?: string[] | undefined }): Promise<PyroDaemon> {
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

function toList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v.split(/[\s,]+/).filter((x) => x !== "");
  if (Array.isArray(v) || v instanceof Set) return [...(v as Iterable<unknown>)].map(String);
  throw new ConfigError(`expected a list of method names, not '${String(v)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

function optionalNumber(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${what} must be a number >= 0, not '${String(v)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return n;
}

/** Serves `service` as Pyro object `serviceName` at `serviceHost:servicePort` (default localhost:7766). */
export class PyroServiceExporter extends SocketServiceExporter {
  override serviceHost: string = "localhost";
  override servicePort: number | string = 7766;
  /** Shared HMAC key; clients must use the same one. */
  hmacKey: string | Uint8Array | undefined = undefined;
  /** Serializers accepted from clients (default serpent, json, marshal); a list or a comma-separated string. */
  serializersAccepted: SerializerName[] | string | undefined = undefined;
  /** Only these methods are callable (a list or a comma-separated string); default: every public method. */
  exposedMethods: string[] | string | undefined = undefined;
  /** Methods announced as oneway in the metadata (Python clients then do not wait for them). */
  onewayMethods: string[] | string | undefined = undefined;
  /** Idle connection timeout in ms (default 3600000 = 1 hour; 0 = never). */
  idleTimeoutMs: number | string | undefined = undefined;
  /** Frame size limit in bytes (default 64 MiB). */
  maxMessageSize: number | string | undefined = undefined;
  /** TLS, as Pyro4's SSL_SERVERCERT / SSL_SERVERKEY / SSL_CACERTS / SSL_REQUIRECLIENTCERT: PEM file paths. */
  sslServerCert: string | undefined = undefined;
  sslServerKey: string | undefined = undefined;
  sslCaCerts: string | undefined = undefined;
  sslRequireClientCert: boolean | string = false;
  /** Further daemon options (TLS, limits); used by the exporter that starts the daemon. */
  daemonOptions: PyroDaemonOptions = {};

  private daemon: PyroDaemon | undefined;
  private exportedName: string | undefined;

  constructor(service?: unknown, serviceName?: string, serviceHost?: string, servicePort?: number | string, loggerName = "remoting.pyro.PyroServiceExporter") {
    super(loggerName);
    if (service !== undefined) this.service = service;
    if (serviceName !== undefined) this.serviceName = serviceName;
    if (serviceHost !== undefined) this.serviceHost = serviceHost;
    if (servicePort !== undefined) this.servicePort = servicePort;
  }

  declare hmac_key: string | Uint8Array | undefined;

  /** The PYRO URI of the exported service (after start). */
  get uri(): string | undefined {
    return this.daemon && this.exportedName ? this.daemon.uriFor(this.exportedName) : undefined;
  }

  /** The port actually bound (useful with servicePort 0). */
  get boundPort(): number | undefined {
    return this.daemon?.port;
  }

  protected async start(): Promise<void> {
    this.require("service", "serviceName", "serviceHost", "servicePort");
    const port = coercePort(this.servicePort, "service_port");
    const name = String(this.serviceName);
    const svc = this.service;
    if (typeof svc !== "object" && typeof svc !== "function") {
      throw new ConfigError(`service must be an object, not ${typeof svc}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    this.log.debug("Exporting %s as a Pyro service at %s:%s", name, this.serviceHost, this.servicePort);
    const accepted = toList(this.serializersAccepted) as SerializerName[] | undefined;
    const options: PyroDaemonOptions = {
      ...this.daemonOptions,
      tls: (await this.tlsOptions()) ?? this.daemonOptions.tls,
      hmacKey: this.hmacKey ?? this.daemonOptions.hmacKey,
      serializersAccepted: accepted ?? this.daemonOptions.serializersAccepted,
      idleTimeoutMs: optionalNumber(this.idleTimeoutMs, "idleTimeoutMs") ?? this.daemonOptions.idleTimeoutMs,
      maxMessageSize: optionalNumber(this.maxMessageSize, "maxMessageSize") ?? this.daemonOptions.maxMessageSize,
    };
    this.daemon = await PyroDaemonHolder.register(svc as object, name, this.serviceHost, port, options, {
      allow: toList(this.exposedMethods),
      oneway: toList(this.onewayMethods),
    });
    this.exportedName = name;
  }

  private async tlsOptions(): Promise<PyroDaemonOptions["tls"]> {
    if (!this.sslServerCert) {
      if (this.sslServerKey || this.sslCaCerts) throw new ConfigError("sslServerKey/sslCaCerts need sslServerCert", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
      return undefined;
    }
    const read = async (f: string, what: string): Promise<Buffer> => {
      try {
        return await readFile(f);
      } catch (err) {
        throw new ConfigError(`cannot read ${what} '${f}': ${(err as Error).message}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, { cause: err });
      }
    };
    const requireClient = this.sslRequireClientCert === true || String(this.sslRequireClientCert).toLowerCase() === "true";
    if (requireClient && !this.sslCaCerts) throw new ConfigError("sslRequireClientCert needs sslCaCerts", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    return {
      cert: await read(this.sslServerCert, "sslServerCert"),
      key: this.sslServerKey ? await read(this.sslServerKey, "sslServerKey") : undefined,
      ca: this.sslCaCerts ? await read(this.sslCaCerts, "sslCaCerts") : undefined,
      requestCert: requireClient,
      rejectUnauthorized: requireClient,
      minVersion: "TLSv1.2",
    };
  }

  protected async stop(): Promise<void> {
    const d = this.daemon;
    const name = this.exportedName;
    this.daemon = undefined;
    this.exportedName = undefined;
    if (d && name !== undefined) await PyroDaemonHolder.deregister(name, d);
  }
}
aliasProperties(PyroServiceExporter, { hmac_key: "hmacKey" });

/** The Pyro4-named exporter of Spring Python: same behaviour, URIs `PYRO:name@host:port`. */
export class Pyro4ServiceExporter extends PyroServiceExporter {
  constructor(service?: unknown, serviceName?: string, serviceHost?: string, servicePort?: number | string) {
    super(service, serviceName, serviceHost, servicePort, "remoting.pyro.Pyro4ServiceExporter");
  }
}
