/**
 * Serves the exposed methods of a service object over XML-RPC (HTTP, or
 * HTTPS when tlsKey and tlsCert are set), configured from an XML context:
 *
 *   <object id="exporter" class="remoting.xmlrpc.XmlRpcServiceExporter">
 *     <property name="service" ref="service"/>
 *     <property name="service_port"><value>8000</value></property>
 *     <property name="keyfile"><value>./server-key.pem</value></property>
 *     ...
 *   </object>
 *
 * Every property is declared (./settings.ts) and parsed where it is set:
 * sizes take units (`maxBodyBytes` "1kB" is 1000 bytes), TLS properties are
 * the core's with Spring Python's names as aliases.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { SocketServiceExporter } from "../../core/exporter.js";
import { defineProperties } from "../../core/config/properties.js";
import { readTlsSettings, type CertRequirement, type PemInput, type TlsVersion, type TlsServerProperties } from "../../core/tls.js";
import { SSLServer, XmlRpcServer, type SSLServerOptions, type XmlRpcServerOptions } from "./server.js";
import { DEFAULT_SERVICE_NAME, EXPORTER_PROPERTIES } from "./settings.js";

/** The path the exporter's URL names (the server also answers on "/"). */
const PATH = "/RPC2";

/** The standard TLS properties (core/tls), declared once. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface XmlRpcServiceExporter extends TlsServerProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class XmlRpcServiceExporter extends SocketServiceExporter {
  // historic spellings (aliases of the tls* properties)
  declare keyFile: PemInput | undefined;
  declare keyfile: PemInput | undefined;
  declare certFile: PemInput | undefined;
  declare certfile: PemInput | undefined;
  declare caCerts: PemInput | undefined;
  declare ca_certs: PemInput | undefined;
  declare certRequirement: CertRequirement;
  declare cert_reqs: CertRequirement;
  declare verifyFields: Record<string, string> | undefined;
  declare verify_fields: Record<string, string> | undefined;
  declare sslVersion: TlsVersion;
  declare ciphers: string | undefined;
  declare logRequests: boolean;
  declare allowNone: boolean;
  declare maxBodyBytes: number;
  declare maxDepth: number;
  declare keepAliveTimeoutMs: number;
  declare requestTimeoutMs: number;
  declare handshakeTimeoutMs: number;
  declare maxPeerMemory: number;
  declare maxConnections: number;
  declare maxConnectionsPerPeer: number;
  declare introspection: boolean;
  /** Hand a whole-number `<double>` to the service as an XmlRpcDouble (a Float), so that an echo sends `<double>` back (default false). */
  declare preserveTypes: boolean;
  declare onewayMethods: string[] | undefined;

  private server: XmlRpcServer | undefined;

  constructor() {
    super("remoting.xmlrpc.exporter");
  }

  /** The port actually bound, once started. */
  get boundPort(): number | undefined {
    return this.server?.port;
  }

  /** Whether the exporter serves HTTPS (tlsKey or tlsCert is set). */
  get secure(): boolean {
    return this.tlsKey !== undefined || this.tlsCert !== undefined;
  }

  /** `http(s)://host:port/RPC2` once started. */
  override get url(): string | undefined {
    const s = this.server;
    if (!s) return undefined;
    const host = s.host.includes(":") ? `[${s.host}]` : s.host;
    return `${this.secure ? "https" : "http"}://${host}:${s.port}${PATH}`;
  }

  protected async start(): Promise<void> {
    this.require("service");
    const service = this.service;
    if (service === null || (typeof service !== "object" && typeof service !== "function")) {
      throw new ConfigError("service must be an object", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const target = service as object;
    // checks the TLS settings as a whole (a client certificate requirement without keys, half a key pair, unreadable files)
    const tls = readTlsSettings(this, "server");
    const oneway = this.onewayMethods;
    const register = (srv: XmlRpcServer): void => srv.registerInstance(target, "", { oneway });
    const base: XmlRpcServerOptions = {
      host: this.serviceHost,
      port: this.servicePort,
      logRequests: this.logRequests,
      allowNone: this.allowNone,
      maxBodyBytes: this.maxBodyBytes,
      maxDepth: this.maxDepth,
      keepAliveTimeoutMs: this.keepAliveTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      maxPeerMemory: this.maxPeerMemory,
      maxConnections: this.maxConnections,
      maxConnectionsPerPeer: this.maxConnectionsPerPeer,
      introspection: this.introspection,
      preserveTypes: this.preserveTypes,
      loggerName: "remoting.xmlrpc.exporter",
      serviceName: this.serviceName ?? DEFAULT_SERVICE_NAME,
      tracing: this.tracing,
      interceptors: this.interceptors,
    };
    let server: XmlRpcServer;
    if (tls) {
      const opts: SSLServerOptions = {
        ...base,
        tlsKey: this.tlsKey,
        tlsCert: this.tlsCert,
        tlsCa: this.tlsCa,
        tlsClientCert: this.tlsClientCert,
        tlsVerifyFields: this.tlsVerifyFields,
        tlsMinVersion: this.tlsMinVersion,
        tlsMaxVersion: this.tlsMaxVersion,
        tlsCiphers: this.tlsCiphers,
        handshakeTimeoutMs: this.handshakeTimeoutMs,
      };
      server = new (class ExportedSSLServer extends SSLServer {
        override registerFunctions(): void {
          register(this);
        }
      })(opts);
    } else {
      server = new XmlRpcServer(base);
      register(server);
    }
    await server.listen();
    this.server = server;
    this.log.debug("exported %s on %s", base.serviceName, this.url);
  }

  protected async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.close();
  }
}
defineProperties(XmlRpcServiceExporter, EXPORTER_PROPERTIES);
