/**
 * Serves the exposed methods of a service object over XML-RPC (HTTP, or
 * HTTPS when keyFile and certFile are set), configured from an XML context:
 *
 *   <object id="exporter" class="remoting.xmlrpc.XmlRpcServiceExporter">
 *     <property name="service" ref="service"/>
 *     <property name="service_port"><value>8000</value></property>
 *     <property name="keyfile"><value>./server-key.pem</value></property>
 *     ...
 *   </object>
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { SocketServiceExporter, coercePort } from "../../core/exporter.js";
import { exposedMethods } from "../../core/server/exposure.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH } from "./codec.js";
import { SSLServer, XmlRpcServer, type SSLServerOptions } from "./server.js";
import { type CertRequirementInput, coerceBoolean, normalizeVerifyFields } from "./tls.js";
import { aliasProperties } from "../../core/property-aliases.js";

export class XmlRpcServiceExporter extends SocketServiceExporter {
  /** Interface to listen on (default "localhost"). */
  override serviceHost: string = "localhost";
  /** Port (default 8000; 0 picks a free one, see `boundPort`). */
  override servicePort: number | string = 8000;
  keyFile: string | undefined = undefined;
  certFile: string | undefined = undefined;
  caCerts: string | undefined = undefined;
  certRequirement: CertRequirementInput | undefined = undefined;
  sslVersion: string | undefined = undefined;
  ciphers: string | undefined = undefined;
  verifyFields: Record<string, string> | Map<string, string> | string | undefined = undefined;
  logRequests: boolean | string = false;
  allowNone: boolean | string = false;
  maxBodyBytes: number | string = DEFAULT_MAX_BODY_BYTES;
  maxDepth: number | string = DEFAULT_MAX_DEPTH;

  private server: XmlRpcServer | undefined;

  constructor() {
    super("remoting.xmlrpc.exporter");
  }

  declare keyfile: string | undefined;
  declare certfile: string | undefined;
  declare ca_certs: string | undefined;
  declare cert_reqs: CertRequirementInput | undefined;
  declare verify_fields: Record<string, string> | Map<string, string> | string | undefined;

  /** The port actually bound, once started. */
  get boundPort(): number | undefined {
    return this.server?.port;
  }

  /** Whether the exporter serves HTTPS. */
  get secure(): boolean {
    return this.keyFile !== undefined || this.certFile !== undefined;
  }

  protected async start(): Promise<void> {
    this.require("service");
    const service = this.service;
    if (typeof service !== "object" && typeof service !== "function") {
      throw new ConfigError("service must be an object", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const target = service as object;
    const names = exposedMethods(target);
    const register = (srv: XmlRpcServer) => srv.registerInstance(target);
    const base = {
      host: this.serviceHost,
      port: coercePort(this.servicePort, "servicePort"),
      logRequests: coerceBoolean(this.logRequests, "logRequests"),
      allowNone: coerceBoolean(this.allowNone, "allowNone"),
      maxBodyBytes: Number(this.maxBodyBytes),
      maxDepth: Number(this.maxDepth),
      loggerName: "remoting.xmlrpc.exporter",
    };
    let server: XmlRpcServer;
    if (this.secure) {
      const opts: SSLServerOptions = {
        ...base,
        keyFile: this.keyFile,
        certFile: this.certFile,
        caCerts: this.caCerts,
        certRequirement: this.certRequirement,
        sslVersion: this.sslVersion,
        ciphers: this.ciphers,
        verifyFields: normalizeVerifyFields(this.verifyFields),
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
    this.log.debug("exported %d methods on %s://%s:%d", names.length, this.secure ? "https" : "http", this.serviceHost, server.port);
  }

  protected async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.close();
  }
}
aliasProperties(XmlRpcServiceExporter, { keyfile: "keyFile", certfile: "certFile", ca_certs: "caCerts", cert_reqs: "certRequirement", verify_fields: "verifyFields" });
