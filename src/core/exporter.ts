/**
 * The base of every service exporter (PyroServiceExporter,
 * HessianServiceExporter, XmlRpcServiceExporter, NatsServiceExporter, ...).
 * An exporter is an initializing object: setting its properties does nothing
 * on the network; `afterPropertiesSet()` (called by the container, or by
 * hand) starts serving, and `destroy()` stops serving and frees the socket.
 *
 * Properties are declared (core/config/properties) and parsed strictly when
 * set. Every exporter has `service`, `serviceName`, server `interceptors` and
 * `tracing`; socket exporters add `serviceHost` and `servicePort`; each
 * protocol adds its own and the standard TLS properties (core/tls).
 */
import { ConfigError, ErrorCodes } from "./errors.js";
import { getLogger, type Logger } from "./logging.js";
import { anyValue, boolean, defineProperties, port, string } from "./config/properties.js";
import { parsePort } from "./config/values.js";
import type { ServerInterceptor } from "./server/service-table.js";

function serverInterceptors(v: unknown, name: string): ServerInterceptor[] {
  const arr = typeof v === "function" ? [v] : Array.isArray(v) ? v : undefined;
  if (!arr || arr.some((f) => typeof f !== "function")) {
    throw new ConfigError(`${name} must be a server interceptor function or a list of them: (next) => (call) => result`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  return arr as ServerInterceptor[];
}

export abstract class ServiceExporter {
  /** The object whose methods are served. */
  declare service: unknown;
  /** The name the service is reachable under. */
  declare serviceName: string | undefined;
  declare service_name: string | undefined;
  /** Server interceptors around every call (code only). */
  declare interceptors: ServerInterceptor[] | undefined;
  /** OpenTelemetry server spans (default true; a no-op without an SDK). */
  declare tracing: boolean;

  protected readonly log: Logger;
  #started = false;

  constructor(loggerName: string) {
    this.log = getLogger(loggerName);
  }

  get started(): boolean {
    return this.#started;
  }

  /**
   * Where the service is reachable once started, in the protocol's own URL
   * form (`PYRO:name@host:port`, `https://host:port/path`, `nats://...`);
   * undefined before start. `remoting run` prints it.
   */
  get url(): string | undefined {
    return undefined;
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
defineProperties(ServiceExporter, {
  service: anyValue("the object whose methods are served (a ref to it)", "object"),
  serviceName: string("the name the service is reachable under", undefined, { aliases: ["service_name"] }),
  interceptors: anyValue<ServerInterceptor[]>("server interceptors around every call (code only): (next) => (call) => result", "interceptors", serverInterceptors),
  tracing: boolean("OpenTelemetry SERVER spans, continuing the client's trace (a no-op unless the application installs an SDK)", true),
});

/** Parses a port given as a number or a numeric string (XML values are strings). */
export function coercePort(value: unknown, what = "port"): number {
  return parsePort(value, what);
}

/**
 * An exporter that listens on a host and port (Pyro, Hessian, XML-RPC). Holds
 * `serviceHost` (default "localhost") and `servicePort` (each protocol sets
 * its own default), with the original's snake_case spellings.
 */
export abstract class SocketServiceExporter extends ServiceExporter {
  /** Host name or address to bind. */
  declare serviceHost: string;
  /** Port to bind (XML values are strings); 0 picks a free port. */
  declare servicePort: number;
  declare service_host: string;
  declare service_port: number;
}
defineProperties(SocketServiceExporter, {
  serviceHost: string("host name or address to bind", "localhost", { aliases: ["service_host"] }),
  servicePort: port("port to bind; 0 picks a free port (printed by remoting run)", 0, { aliases: ["service_port"] }),
});
