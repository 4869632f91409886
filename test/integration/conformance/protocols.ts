/**
 * The conformance suite's entries: one per protocol. Every test in this
 * folder runs against each entry, through the classes a configuration names
 * (an exporter, a proxy factory) with properties set as XML sets them. A new
 * transport passes the suite by adding its entry here.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProxyFactory, ServiceExporter } from "../../../src/index.js";
import { HessianProxyFactory, HessianServiceExporter } from "../../../src/protocols/hessian/index.js";
import { PyroProxyFactory, PyroServiceExporter } from "../../../src/protocols/pyro4/index.js";
import { XmlRpcProxyFactory, XmlRpcServiceExporter } from "../../../src/protocols/xmlrpc/index.js";
import { NatsProxyFactory, NatsServiceExporter } from "../../../src/protocols/nats/index.js";
import { parseCertRequirement } from "../../../src/core/tls.js";
import { peerMissing } from "../../helpers/peers.js";
import { startNatsServer, type NatsServerHandle } from "../../helpers/nats-server.js";
import { createSamplePki } from "../../../src/pki/index.js";

export interface ServeOptions {
  /** The service name (default "Conformance"). */
  name?: string;
  /** Properties set on the exporter as XML would set them (strings), e.g. TLS ones. */
  props?: Record<string, unknown>;
}

export interface Served {
  /** The URL a client uses, from the exporter (`exporter.url`). */
  readonly url: string;
  readonly exporter: ServiceExporter;
  stop(): Promise<void>;
}

export interface ProtocolEntry {
  readonly name: string;
  /** What `callContext().serializer` says for calls of this entry's clients. */
  readonly serializer: RegExp;
  /** Whether the protocol carries keyword arguments. */
  readonly kwargs: boolean;
  /** The remote type a client sees for an error thrown with name ValueError, pythonType builtins.ValueError, javaClass java.lang.IllegalArgumentException. */
  readonly valueErrorType: RegExp;
  /** The remote type for a method the service does not have. */
  readonly unknownMethodType: RegExp;
  /** The remote type for a call with the wrong number of arguments. */
  readonly arityType: RegExp;
  /** This protocol's own (historic) property that requires client certificates, and what it takes for "yes". */
  readonly requireClientCertProperty: string;
  /** This protocol's property limiting the size of a request the server reads. */
  readonly requestLimitProperty: string;
  /**
   * Tests (or assertions) that cannot apply to this protocol, each with the
   * reason: the suite skips exactly those. Keys: `clientAddress` (the
   * service sees the client's address), `serverPort` (the exporter binds a
   * port), `serverClientCertificates` (the exporter checks client
   * certificates and shows them to the service), `serverTlsVersion` (the
   * exporter's server sets its TLS versions).
   */
  readonly skip?: Readonly<Partial<Record<"clientAddress" | "serverPort" | "serverClientCertificates" | "serverTlsVersion", string>>>;
  /** Whether the suite can run this entry now (its peer is installed), else why not. */
  readonly missing?: () => string | undefined;
  serve(service: object, options?: ServeOptions): Promise<Served>;
  /** A proxy factory for `url`, with properties set as XML would set them. */
  factory(url: string, props?: Record<string, unknown>): ProxyFactory;
}

function assign(target: object, props: Record<string, unknown> | undefined): void {
  for (const [k, v] of Object.entries(props ?? {})) (target as Record<string, unknown>)[k] = v;
}

async function start(exporter: ServiceExporter, service: object, options: ServeOptions, extra: Record<string, unknown>): Promise<Served> {
  assign(exporter, { service, serviceName: options.name ?? "Conformance", serviceHost: "127.0.0.1", servicePort: "0", ...extra });
  assign(exporter, options.props);
  await exporter.afterPropertiesSet();
  const url = exporter.url;
  if (!url) throw new Error(`${exporter.constructor.name} gives no url once started`);
  return { url, exporter, stop: () => exporter.destroy() };
}

export const PROTOCOLS: readonly ProtocolEntry[] = withPeers([
  {
    name: "pyro4",
    serializer: /^serpent$/,
    kwargs: true,
    valueErrorType: /(^|\.)ValueError$/,
    unknownMethodType: /AttributeError$/,
    arityType: /TypeError$/,
    requireClientCertProperty: "sslRequireClientCert",
    requestLimitProperty: "maxMessageSize",
    serve: (service, o = {}) => start(new PyroServiceExporter(), service, o, {}),
    factory(url, props?) {
      const f = new PyroProxyFactory();
      f.serviceUrl = url;
      assign(f, props);
      return f;
    },
  },
  {
    name: "hessian",
    serializer: /^hessian2$/,
    kwargs: false,
    valueErrorType: /^java\.lang\.IllegalArgumentException$/,
    unknownMethodType: /NoSuchMethodException$/,
    arityType: /IllegalArgumentException$/,
    requireClientCertProperty: "requestClientCert",
    requestLimitProperty: "maxRequestSize",
    serve: (service, o = {}) => start(new HessianServiceExporter(), service, o, { path: "/conformance" }),
    factory(url, props?) {
      const f = new HessianProxyFactory();
      f.serviceUrl = url;
      assign(f, props);
      return f;
    },
  },
  {
    name: "xmlrpc",
    serializer: /^xml$/,
    kwargs: false,
    valueErrorType: /^ValueError$/,
    unknownMethodType: /Exception|Fault/,
    arityType: /TypeError$/,
    requireClientCertProperty: "cert_reqs",
    requestLimitProperty: "maxBodyBytes",
    // XML-RPC carries null only with the <nil/> extension, off by default as in Python (allow_none=False);
    // the suite's services return nulls (the call-context test does), so the entry switches it on.
    serve: (service, o = {}) => start(new XmlRpcServiceExporter(), service, o, { allowNone: "true" }),
    factory(url, props?) {
      const f = new XmlRpcProxyFactory();
      f.serviceUrl = url;
      assign(f, props);
      return f;
    },
  },
  {
    // the exporter and the proxy are both clients of a nats-server (see serveNats below)
    name: "nats",
    serializer: /^json$/,
    kwargs: true,
    valueErrorType: /(^|\.)ValueError$/,
    unknownMethodType: /AttributeError$/,
    arityType: /TypeError$/,
    requireClientCertProperty: "tlsClientCert",
    requestLimitProperty: "maxRequestSize",
    skip: {
      clientAddress: "a NATS exporter receives calls from the broker, not from the client's socket: callContext().clientAddress is undefined",
      serverPort: "a NATS exporter binds no port: it connects to the NATS servers (servers property)",
      serverClientCertificates: "client certificates are checked by the NATS server (its tls verify / verify_and_map settings), not by the exporter, which never sees the caller's certificate",
      serverTlsVersion: "the NATS server sets its own TLS versions (nats-server 2.9 has no minimum-version setting); the exporter only chooses its client side",
    },
    missing: () => peerMissing("nats-server"),
    serve: (service, o = {}) => serveNats(service, o),
    factory(url, props?) {
      const f = new NatsProxyFactory();
      f.serviceUrl = url;
      assign(f, props);
      return f;
    },
  },
]);

// ------------------------------------------------------------ NATS
// The exporter is a client of a NATS server, like the proxy: the entry runs
// the servers (Debian's nats-server, one plain server per test process and
// one TLS server per TLS configuration) and translates the suite's server
// TLS properties into the broker's settings; the exporter connects to it
// with the sample client certificate.

const natsServers = new Map<string, Promise<NatsServerHandle>>();

function natsServer(tls?: { cert: string; key: string; ca?: string; verify: boolean }): Promise<NatsServerHandle> {
  const key = JSON.stringify(tls ?? null);
  let s = natsServers.get(key);
  if (!s) {
    s = startNatsServer({ tls, background: true });
    natsServers.set(key, s);
  }
  return s;
}

const BROKER_TLS = ["tlsKey", "tlsCert", "tlsCa", "tlsClientCert", "tlsVerifyFields"];

async function serveNats(service: object, options: ServeOptions): Promise<Served> {
  const props = { ...options.props };
  let server: NatsServerHandle;
  const exporter = new NatsServiceExporter();
  if (props["tlsKey"] !== undefined || props["tlsCert"] !== undefined) {
    // the suite's server TLS settings are the broker's; the exporter connects to it as a trusted client
    const verify = parseCertRequirement(props["tlsClientCert"] ?? "none") !== "none" || props["tlsVerifyFields"] !== undefined;
    const p = await testPki();
    server = await natsServer({ cert: String(props["tlsCert"]), key: String(props["tlsKey"]), ca: props["tlsCa"] === undefined ? undefined : String(props["tlsCa"]), verify });
    assign(exporter, { tlsCa: p.ca, tlsCert: p.clientCert, tlsKey: p.clientKey });
    for (const k of BROKER_TLS) delete props[k];
  } else server = await natsServer();
  assign(exporter, { service, serviceName: options.name ?? "Conformance", servers: server.hostPort });
  assign(exporter, props);
  await exporter.afterPropertiesSet();
  const url = exporter.url;
  if (!url) throw new Error("NatsServiceExporter gives no url once started");
  return { url, exporter, stop: () => exporter.destroy() };
}


/** The entries whose peers are installed; by hand a missing peer skips its entry with a message, in CI it fails (test/helpers/peers.ts). */
function withPeers(entries: readonly ProtocolEntry[]): ProtocolEntry[] {
  return entries.filter((p) => {
    const why = p.missing?.();
    if (why === undefined) return true;
    if (process.env["CI"]) throw new Error(`conformance peer missing in CI for ${p.name}: ${why}`);
    process.stderr.write(`conformance: skipping ${p.name}: ${why}\n`);
    return false;
  });
}

export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from the same CA with other subject fields (CN=Other Client). */
  otherClientCert: string;
  otherClientKey: string;
}

let pki: Promise<Pki> | undefined;

/** The project's sample PKI, made once per test process. */
export function testPki(): Promise<Pki> {
  pki ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "remoting-conformance-pki-"));
    const p = await createSamplePki(dir, { extraClients: [{ name: "other", subject: { CN: "Other Client", O: "My Company" } }] });
    const read = (f: string) => readFileSync(f, "utf8");
    return {
      ca: read(p.caChain),
      serverCert: read(p.serverCert),
      serverKey: read(p.serverKey),
      clientCert: read(p.clientCert),
      clientKey: read(p.clientKey),
      otherClientCert: read(join(dir, "other-cert.pem")),
      otherClientKey: read(join(dir, "other-key.pem")),
    };
  })();
  return pki;
}

/** The service every conformance test calls. */
export class ConformanceService {
  calls = 0;
  marked: unknown = undefined;

  echo(x: unknown): unknown {
    return x;
  }

  add(a: number, b: number): number {
    return a + b;
  }

  async slow(ms: number): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  }

  /** Counts runs, then takes `ms`: tells whether a call ran, and how often. */
  async slowCount(ms: number): Promise<number> {
    this.calls++;
    await new Promise((r) => setTimeout(r, ms));
    return this.calls;
  }

  count(): number {
    return ++this.calls;
  }

  async slowMark(ms: number, value: unknown): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    this.marked = value;
  }

  fail(message: string): never {
    const err = new Error(message) as Error & { pythonType?: string; javaClass?: string };
    err.name = "ValueError";
    err.pythonType = "builtins.ValueError";
    err.javaClass = "java.lang.IllegalArgumentException";
    throw err;
  }
}
