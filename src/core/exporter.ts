/**
 * The base of every service exporter (PyroServiceExporter,
 * HessianServiceExporter, XmlRpcServiceExporter, ...). An exporter is an
 * initializing object: setting its properties does nothing on the network;
 * `afterPropertiesSet()` (called by the container, or by hand) starts serving,
 * and `destroy()` stops serving and frees the socket.
 */
import { ConfigError, ErrorCodes } from "./errors.js";
import { getLogger, type Logger } from "./logging.js";
import { aliasProperties } from "./property-aliases.js";

export abstract class ServiceExporter {
  /** The object whose methods are served. */
  service: unknown = undefined;
  /** The name the service is reachable under. */
  serviceName: string | undefined = undefined;

  protected readonly log: Logger;
  #started = false;

  constructor(loggerName: string) {
    this.log = getLogger(loggerName);
  }

  /** snake_case aliases, so code written in the original's style works. */
  declare service_name: string | undefined;

  get started(): boolean {
    return this.#started;
  }

  /** Checks that a required property is set, with the original's message. */
  protected require<K extends keyof this>(...keys: K[]): void {
    for (const k of keys) {
      const v = this[k];
      if (v === undefined || v === null) {
        throw new ConfigError(`${String(k)} must NOT be None`, ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
      }
    }
  }

  async afterPropertiesSet(): Promise<void> {
    if (this.#started) return;
    await this.start();
    this.#started = true;
  }

  /** The original's spelling. */
  after_properties_set(): Promise<void> {
    return this.afterPropertiesSet();
  }

  async destroy(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.stop();
  }

  protected abstract start(): Promise<void>;
  protected abstract stop(): Promise<void>;
}
aliasProperties(ServiceExporter, { service_name: "serviceName" });

/** Parses a port given as a number or a numeric string (XML values are strings). */
export function coercePort(value: unknown, what = "port"): number {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${what} must be an integer from 0 to 65535, not '${String(value)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  return n;
}

/**
 * An exporter that listens on a host and port (Pyro, Hessian, XML-RPC). Holds
 * `serviceHost` (default "localhost") and `servicePort` (each protocol sets
 * its own default), with the original's snake_case spellings.
 */
export abstract class SocketServiceExporter extends ServiceExporter {
  /** Host name or address to bind. */
  serviceHost: string = "localhost";
  /** Port to bind, a number or a numeric string (XML values are strings); 0 picks a free port. */
  servicePort: number | string = 0;

  declare service_host: string;
  declare service_port: number | string;
}
aliasProperties(SocketServiceExporter, { service_host: "serviceHost", service_port: "servicePort" });
