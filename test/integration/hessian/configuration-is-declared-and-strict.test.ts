/**
 * HessianServiceExporter and HessianProxyFactory declare every property
 * (with a doc line and a default) and parse values strictly: security
 * settings never fail open (`requestClientCert="TRUE"` used to read as
 * false and switch the client-certificate check off), `tlsVerifyFields`
 * works on the Hessian server, sizes and durations take units, the old TLS
 * names are aliases of core/tls's.
 */
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { ConfigError, ErrorCodes, MessageTooLargeError, SecurityError } from "../../../src/index.js";
import { declaredProperties } from "../../../src/core/config/properties.js";
import { setLogSink } from "../../../src/core/logging.js";
import { HessianProxyFactory, HessianServiceExporter, encodeCall } from "../../../src/protocols/hessian/index.js";
import { testPki, type Pki } from "../conformance/protocols.js";

class Service {
  calls = 0;
  echo(v: unknown): unknown {
    this.calls++;
    return v;
  }
}

function rawPost(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/", method: "POST", agent: false, headers: { "Content-Length": String(body.length) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const isConfigError = (prop: string) => (err: unknown) => err instanceof ConfigError && err.code === ErrorCodes.ERR_CONFIG_INVALID_VALUE && err.message.includes(prop);

describe("declared properties", () => {
  it("every property of the exporter and the factory is declared with a doc line (what check-config and the reference read)", () => {
    const exporter = declaredProperties(HessianServiceExporter).map((d) => d.name);
    for (const p of ["service", "serviceName", "serviceHost", "servicePort", "path", "tlsKey", "tlsCert", "tlsCa", "tlsClientCert", "tlsVerifyFields", "tlsMinVersion", "requestClientCert", "maxRequestSize", "requestTimeoutMs", "allow", "onewayMethods", "registry", "faultClass", "decodeOptions", "interceptors", "tracing"]) {
      assert.ok(exporter.includes(p), `exporter property ${p} is not declared`);
    }
    const factory = declaredProperties(HessianProxyFactory).map((d) => d.name);
    for (const p of ["serviceUrl", "timeoutMs", "retryAttempts", "hessianVersion", "tlsCa", "tlsCert", "tlsKey", "tlsVerifyServer", "tlsCheckHostname", "rejectUnauthorized", "keepAlive", "maxSockets", "maxReplySize", "registry", "decodeOptions", "headers"]) {
      assert.ok(factory.includes(p), `factory property ${p} is not declared`);
    }
    for (const d of [...declaredProperties(HessianServiceExporter), ...declaredProperties(HessianProxyFactory)]) {
      assert.ok(d.doc.length > 10, `${d.owner}.${d.name} has no doc line`);
    }
    const e = new HessianServiceExporter();
    assert.equal(e.servicePort, 8080);
    assert.equal(e.path, "/");
    assert.equal(e.maxRequestSize, 16 * 1024 * 1024);
    assert.equal(e.requestTimeoutMs, 30_000);
    assert.equal(e.tlsClientCert, "none");
    assert.equal(e.faultClass, "java.lang.RuntimeException");
    const f = new HessianProxyFactory();
    assert.equal(f.hessianVersion, 2);
    assert.equal(f.maxReplySize, 64 * 1024 * 1024);
    assert.equal(f.keepAlive, true);
    assert.equal(f.tlsVerifyServer, true);
  });

  it("the factory's own serviceUrl accessor is gone: the base's declared property (with service_url) resets the client", () => {
    const f = new HessianProxyFactory();
    f.service_url = "http://127.0.0.1:1/x";
    assert.equal(f.serviceUrl, "http://127.0.0.1:1/x");
    assert.ok(!Object.prototype.hasOwnProperty.call(HessianProxyFactory.prototype, "serviceUrl"));
  });
});

describe("exporter values are parsed strictly", () => {
  it("sizes and durations take units: maxRequestSize 1kB is 1000 bytes, requestTimeoutMs 2s / none", () => {
    const e = new HessianServiceExporter({ maxRequestSize: "1kB", requestTimeoutMs: "2s" });
    assert.equal(e.maxRequestSize, 1000);
    assert.equal(e.requestTimeoutMs, 2000);
    e.maxRequestSize = "16MiB" as unknown as number;
    assert.equal(e.maxRequestSize, 16 * 1024 * 1024);
    e.requestTimeoutMs = "none" as unknown as number;
    assert.equal(e.requestTimeoutMs, Infinity);
    assert.throws(() => new HessianServiceExporter({ maxRequestSize: "lots" }), isConfigError("maxRequestSize"));
    assert.throws(() => new HessianServiceExporter({ requestTimeoutMs: "soon" }), isConfigError("requestTimeoutMs"));
    assert.throws(() => new HessianServiceExporter({ servicePort: "80a" }), isConfigError("servicePort"));
    assert.throws(() => new HessianServiceExporter({ faultClass: "not a class!" }), isConfigError("faultClass"));
    assert.throws(() => new HessianServiceExporter({ decodeOptions: { maxDepht: 3 } as never }), /did you mean 'maxDepth'/);
    assert.throws(() => new HessianServiceExporter({ nonsense: 1 } as never), (err: unknown) => err instanceof ConfigError && err.code === ErrorCodes.ERR_CONFIG_UNKNOWN_PROPERTY);
  });

  it("maxRequestSize with a unit limits what the server reads (HTTP 413 above it, nothing runs)", async (t) => {
    const service = new Service();
    const e = new HessianServiceExporter({ service, serviceHost: "127.0.0.1", servicePort: 0, maxRequestSize: "1kB" });
    await e.afterPropertiesSet();
    t.after(() => e.destroy());
    assert.equal(await rawPost(e.port!, encodeCall("echo", ["x".repeat(900)])), 200);
    assert.equal(await rawPost(e.port!, encodeCall("echo", ["x".repeat(1000)])), 413);
    assert.equal(service.calls, 1);
  });

  it("a string list in XML style: allow and onewayMethods", () => {
    const e = new HessianServiceExporter({ allow: "echo, add", onewayMethods: "log" });
    assert.deepEqual(e.allow, ["echo", "add"]);
    assert.deepEqual(e.onewayMethods, ["log"]);
  });

  it("the url getter gives http(s)://host:port/path", async (t) => {
    const e = new HessianServiceExporter({ service: new Service(), serviceHost: "127.0.0.1", servicePort: 0, path: "api" });
    assert.equal(e.url, undefined, "no url before start");
    await e.afterPropertiesSet();
    t.after(() => e.destroy());
    assert.equal(e.url, `http://127.0.0.1:${e.port}/api`);
  });
});

describe("exporter TLS settings through core/tls", () => {
  let pki: Pki;
  before(async () => {
    pki = await testPki();
  });
  const tls = (): Record<string, unknown> => ({ tlsKey: pki.serverKey, tlsCert: pki.serverCert, tlsCa: pki.ca });
  const started: HessianServiceExporter[] = [];
  const factories: HessianProxyFactory[] = [];
  const serve = async (props: Record<string, unknown>): Promise<HessianServiceExporter> => {
    const e = new HessianServiceExporter({ service: new Service(), serviceHost: "127.0.0.1", servicePort: 0, ...props });
    await e.afterPropertiesSet();
    started.push(e);
    return e;
  };
  const client = (url: string | undefined, props: Record<string, unknown>): HessianProxyFactory => {
    const f = new HessianProxyFactory(url, { timeoutMs: "5s", ...props });
    factories.push(f);
    return f;
  };
  after(async () => {
    for (const f of factories) await f.close();
    for (const e of started) await e.destroy();
  });

  it('requestClientCert="TRUE" requires a client certificate (it used to read as false and switch the check off)', async () => {
    const e = await serve({ ...tls(), requestClientCert: "TRUE" });
    assert.equal(e.tlsClientCert, "required");
    assert.equal(e.requestClientCert, "required");
    assert.match(e.url!, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    await assert.rejects(client(e.url, { ca: pki.ca }).echo(1), (err: unknown) => err instanceof SecurityError);
    assert.equal(await client(e.url, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }).echo(2), 2);
  });

  it('requestClientCert="sometimes" is a ConfigError; "yes" without TLS keys is refused instead of serving in the clear', async () => {
    assert.throws(() => new HessianServiceExporter({ requestClientCert: "sometimes" }), isConfigError("requestClientCert"));
    await assert.rejects(serve({ requestClientCert: "yes" }), (err: unknown) => err instanceof ConfigError && /needs TLS/.test(err.message));
    await assert.rejects(serve({ tlsKey: pki.serverKey, tlsCert: pki.serverCert, requestClientCert: "on" }), (err: unknown) => err instanceof ConfigError && /tlsCa/.test(err.message));
  });

  it("tlsVerifyFields: a client whose subject does not match is dropped before the HTTP layer (no response, nothing runs), the reason logged at error level", async () => {
    const lines: string[] = [];
    const prev = setLogSink({ write: (l) => void lines.push(l) });
    try {
      const e = await serve({ ...tls(), tlsClientCert: "required", tlsVerifyFields: '{"commonName": "My Client", "organizationName": "My Company"}' });
      let requests = 0;
      (e as unknown as { server: http.Server }).server.prependListener("request", () => requests++);
      await assert.rejects(client(e.url, { tlsCa: pki.ca, tlsCert: pki.otherClientCert, tlsKey: pki.otherClientKey }).echo(1), (err: unknown) => err instanceof SecurityError);
      // with TLS 1.3 the request arrives with the end of the handshake: it must not be parsed, let alone run
      assert.equal(requests, 0, "the refused client's request reached the HTTP layer");
      assert.equal((e.service as Service).calls, 0, "the refused client's call ran");
      assert.ok(lines.some((l) => /ERROR/.test(l) && /refused the TLS client/.test(l) && /commonName/.test(l)), `no error line in:\n${lines.join("")}`);
      assert.equal(await client(e.url, { tlsCa: pki.ca, tlsCert: pki.clientCert, tlsKey: pki.clientKey }).echo(3), 3);
    } finally {
      setLogSink(prev);
    }
  });

  it("TLS 1.0/1.1 are refused at configuration time", () => {
    assert.throws(() => new HessianServiceExporter({ tlsMinVersion: "TLSv1.1" }), (err: unknown) => err instanceof ConfigError && /tlsMinVersion/.test(err.message));
  });
});

describe("factory values are parsed strictly", () => {
  it("the old TLS names are aliases: ca, cert, key set tlsCa, tlsCert, tlsKey; rejectUnauthorized sets tlsVerifyServer", () => {
    const f = new HessianProxyFactory("https://127.0.0.1:1/", { ca: "CA", cert: "CERT", key: "KEY", rejectUnauthorized: "false" });
    assert.equal(f.tlsCa, "CA");
    assert.equal(f.tlsCert, "CERT");
    assert.equal(f.tlsKey, "KEY");
    assert.equal(f.tlsVerifyServer, false);
    assert.equal(f.rejectUnauthorized, false);
    f.rejectUnauthorized = "YES" as unknown as boolean;
    assert.equal(f.tlsVerifyServer, true);
    assert.throws(() => {
      f.rejectUnauthorized = "perhaps" as unknown as boolean;
    }, isConfigError("rejectUnauthorized"));
  });

  for (const [prop, bad] of [
    ["hessianVersion", "3"],
    ["keepAlive", "maybe"],
    ["maxSockets", "0"],
    ["maxReplySize", "lots"],
    ["timeoutMs", "3 fortnights"],
    ["decodeOptions", '{"maxDepth": "deep"}'],
    ["headers", { "X-Bad": "a\r\nInjected: 1" }],
    ["registry", "com.example.Registry"],
  ] as const) {
    it(`factory ${prop}=${JSON.stringify(bad)} is a ConfigError naming ${prop}`, () => {
      const f = new HessianProxyFactory();
      assert.throws(() => {
        (f as unknown as Record<string, unknown>)[prop] = bad;
      }, (err: unknown) => err instanceof ConfigError && err.message.includes(prop));
    });
  }

  it("maxReplySize takes units: 1kB refuses a 2000-byte reply", async (t) => {
    const e = new HessianServiceExporter({ service: new Service(), serviceHost: "127.0.0.1", servicePort: 0 });
    await e.afterPropertiesSet();
    const f = new HessianProxyFactory(e.url, { maxReplySize: "1kB", decodeOptions: '{"maxStringLength": 100000, "mapsAs": "map"}' });
    t.after(async () => {
      await f.close();
      await e.destroy();
    });
    assert.equal(f.maxReplySize, 1000);
    assert.deepEqual(f.decodeOptions, { maxStringLength: 100000, mapsAs: "map" });
    assert.equal(await f.echo("x".repeat(500)), "x".repeat(500));
    await assert.rejects(f.echo("x".repeat(2000)), MessageTooLargeError);
  });

  it("changing hessianVersion after calls takes effect on the next call", async (t) => {
    let firstBytes = "";
    const e = new HessianServiceExporter({ service: new Service(), serviceHost: "127.0.0.1", servicePort: 0 });
    await e.afterPropertiesSet();
    const relayed = net.createServer((sock) => {
      const up = net.connect(e.port!, "127.0.0.1");
      sock.once("data", (d: Buffer) => {
        const i = d.indexOf("\r\n\r\n");
        firstBytes = d.subarray(i + 4, i + 7).toString("hex");
      });
      sock.pipe(up).pipe(sock);
      sock.on("error", () => up.destroy());
      up.on("error", () => sock.destroy());
    });
    await new Promise<void>((r) => relayed.listen(0, "127.0.0.1", r));
    const f = new HessianProxyFactory(`http://127.0.0.1:${(relayed.address() as net.AddressInfo).port}/`);
    t.after(async () => {
      await f.close();
      await new Promise((r) => relayed.close(r));
      await e.destroy();
    });
    assert.equal(await f.echo(1), 1);
    assert.equal(firstBytes, "480200");
    f.hessianVersion = "1" as unknown as 1;
    assert.equal(await f.echo(2), 2);
    assert.equal(firstBytes, "630100");
  });
});
