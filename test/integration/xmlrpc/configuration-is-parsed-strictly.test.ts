/**
 * XML-RPC configuration is declared and parsed where it is set (core/config):
 * sizes take units, a bad value is a ConfigError naming the spelling that
 * was written, TLS below 1.2 is refused when it is configured, and the
 * historic TLS names are aliases of the core's settings.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { ConfigError, ErrorCodes, SecurityError } from "../../../src/core/errors.js";
import { createClient } from "../../../src/core/endpoints.js";
import { registerBuiltinEndpoints } from "../../../src/endpoints.js";
import { declaredProperties } from "../../../src/core/config/properties.js";
import { SSLClient, SSLServer, XmlRpcClient, XmlRpcProxyFactory, XmlRpcServer, XmlRpcServiceExporter } from "../../../src/protocols/xmlrpc/index.js";
import { captureLogs, makeTestPki, type LogCapture, type TestPki } from "./fixtures.js";

class Service {
  calls = 0;
  echo(v: unknown): unknown {
    this.calls++;
    return v;
  }
}

function set(target: object, props: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(props)) (target as Record<string, unknown>)[k] = v;
}

function postStatus(port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value><string>${"x".repeat(bytes)}</string></value></param></params></methodCall>`;
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/RPC2", agent: false, headers: { "Content-Type": "text/xml", "Content-Length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" || err.code === "EPIPE" ? resolve(-1) : reject(err)));
    req.end(body);
  });
}

describe("XML-RPC configuration is parsed strictly", () => {
  let pki: TestPki;
  let logs: LogCapture;
  before(async () => {
    pki = await makeTestPki();
    logs = captureLogs("error");
  });
  after(async () => {
    logs.restore();
    await pki.cleanup();
  });

  it('exporter maxBodyBytes="1kB" limits requests to 1000 bytes (it used to become NaN and switch the limit off)', async () => {
    const svc = new Service();
    const e = new XmlRpcServiceExporter();
    set(e, { service: svc, serviceHost: "127.0.0.1", servicePort: "0", maxBodyBytes: "1kB" });
    assert.equal(e.maxBodyBytes, 1000);
    await e.afterPropertiesSet();
    try {
      const port = e.boundPort!;
      assert.equal(await postStatus(port, 100), 200);
      assert.equal(await postStatus(port, 200_000), 413);
      assert.equal(await postStatus(port, 1000), 413, "the whole body counts, not only the string");
      assert.equal(svc.calls, 1);
      const c = new XmlRpcClient(e.url!);
      try {
        await assert.rejects(c.echo("y".repeat(5000)), { code: "ERR_PROTOCOL", message: /HTTP 413/ });
      } finally {
        await c.close();
      }
      assert.equal(svc.calls, 1);
    } finally {
      await e.destroy();
    }
  });

  it("a bad value is a ConfigError naming the spelling written, where it is set", () => {
    const cases: Array<[object, string, unknown]> = [
      [new XmlRpcServiceExporter(), "cert_reqs", "sometimes"],
      [new XmlRpcServiceExporter(), "maxBodyBytes", "lots"],
      [new XmlRpcServiceExporter(), "logRequests", "maybe"],
      [new XmlRpcServiceExporter(), "service_port", "80a"],
      [new XmlRpcServer(), "keepAliveTimeoutMs", "soon"],
      [new XmlRpcServer(), "paths", "RPC2"],
      [new XmlRpcProxyFactory(), "verbose", "loud"],
      [new XmlRpcProxyFactory(), "maxSockets", "0"],
      [new XmlRpcProxyFactory(), "ca_certs", ""],
      [new XmlRpcProxyFactory(), "certRequirement", "CERT_MAYBE"],
    ];
    for (const [target, prop, value] of cases) {
      assert.throws(
        () => set(target, { [prop]: value }),
        (e: unknown) => e instanceof ConfigError && e.code === ErrorCodes.ERR_CONFIG_INVALID_VALUE && e.message.includes(prop),
        `${target.constructor.name}.${prop}=${String(value)}`,
      );
    }
    assert.throws(() => new XmlRpcServer({ logRequests: "maybe" }), /logRequests must be true or false/);
    assert.throws(() => new XmlRpcServer({ maxBodyBytes: "64 lots" }), /maxBodyBytes must be a size/);
  });

  it("sizes and durations take units everywhere", () => {
    const s = new XmlRpcServer({ maxBodyBytes: "16MiB", keepAliveTimeoutMs: "2s", requestTimeoutMs: "none" });
    assert.equal(s.maxBodyBytes, 16 * 1024 * 1024);
    assert.equal(s.keepAliveTimeoutMs, 2000);
    assert.equal(s.requestTimeoutMs, Infinity);
    const c = new XmlRpcClient("http://127.0.0.1:1/", { maxBodyBytes: "64KiB", timeoutMs: "1.5s", idleTimeoutMs: "1s" });
    assert.equal(c.maxBodyBytes, 65536);
    assert.equal(c.timeoutMs, 1500);
  });

  it("refuses TLS below 1.2 at configuration time (the original's PROTOCOL_TLSv1 included)", () => {
    assert.throws(() => set(new XmlRpcServiceExporter(), { ssl_version: "PROTOCOL_TLSv1" }), (e: unknown) => e instanceof ConfigError && /ssl_version 'PROTOCOL_TLSv1' is refused/.test(e.message));
    class S extends SSLServer {
      override registerFunctions(): void {}
    }
    assert.throws(() => new S("localhost", 0, pki.main.serverKey, pki.main.serverChain, undefined, undefined, "PROTOCOL_TLSv1"), (e: unknown) => e instanceof ConfigError && /obsolete/.test(e.message));
    assert.throws(() => new S({ minVersion: "TLSv1.1" }), ConfigError);
    assert.throws(() => new SSLClient("https://localhost:1/", { sslVersion: "SSLv3" }), ConfigError);
  });

  it("Spring Python's TLS names are aliases of the core's settings", () => {
    const e = new XmlRpcServiceExporter();
    set(e, { keyfile: pki.main.serverKey, certfile: pki.main.serverChain, ca_certs: pki.main.caChain, cert_reqs: "CERT_REQUIRED", verify_fields: '{"CN":"My Client"}', ssl_version: "PROTOCOL_TLSv1_2", ciphers: "ECDHE+AESGCM" });
    assert.deepEqual(
      [e.tlsKey, e.tlsCert, e.tlsCa, e.tlsClientCert, e.tlsVerifyFields, e.tlsMinVersion, e.tlsCiphers],
      [pki.main.serverKey, pki.main.serverChain, pki.main.caChain, "required", { commonName: "My Client" }, "TLSv1.2", "ECDHE+AESGCM"],
    );
    const f = new XmlRpcProxyFactory();
    set(f, { keyfile: pki.main.clientKey, certfile: pki.main.clientCert, ca_certs: pki.main.caChain, checkHostname: "no", servername: "localhost", maxVersion: "TLSv1.2" });
    assert.deepEqual([f.tlsKey, f.tlsCert, f.tlsCa, f.tlsCheckHostname, f.tlsServername, f.tlsMaxVersion], [pki.main.clientKey, pki.main.clientCert, pki.main.caChain, false, "localhost", "TLSv1.2"]);
    // each spelling is declared, with a doc line, for check-config and the configuration reference
    for (const cls of [XmlRpcServiceExporter, SSLServer, XmlRpcServer, XmlRpcProxyFactory, SSLClient]) {
      for (const d of declaredProperties(cls)) assert.ok(d.doc && d.type, `${cls.name}.${d.name}`);
    }
    const serverNames = declaredProperties(SSLServer).flatMap((d) => [d.name, ...(d.aliases ?? [])]);
    for (const n of ["host", "port", "keyfile", "certfile", "ca_certs", "cert_reqs", "ssl_version", "verify_fields", "ciphers", "log_requests", "maxBodyBytes", "handshakeTimeoutMs", "do_handshake_on_connect"]) assert.ok(serverNames.includes(n), n);
  });

  it("a client requirement without TLS keys is refused when the exporter starts (it never fails open)", async () => {
    const e = new XmlRpcServiceExporter();
    set(e, { service: new Service(), serviceHost: "127.0.0.1", servicePort: "0", cert_reqs: "CERT_REQUIRED", ca_certs: pki.main.caChain });
    await assert.rejects(e.afterPropertiesSet(), (err: unknown) => err instanceof ConfigError && /needs TLS/.test(err.message));
  });

  it("cert_reqs=CERT_NONE on a client does not verify the server (testing only), and says so", async () => {
    class Echo extends SSLServer {
      override registerFunctions(): void {
        this.registerFunction((v: unknown) => v, "echo");
      }
    }
    const s = new Echo({ host: "127.0.0.1", port: 0, keyFile: pki.other.serverKey, certFile: pki.other.serverChain, logRequests: false });
    await s.listen();
    const warn = captureLogs("warn");
    const trusting = new SSLClient(`https://localhost:${s.port}/RPC2`, pki.main.caChain);
    const blind = new SSLClient(`https://localhost:${s.port}/RPC2`, pki.main.caChain, undefined, undefined, "CERT_NONE");
    try {
      await assert.rejects(trusting.echo(1), SecurityError);
      assert.equal(await blind.echo(2), 2);
      assert.ok(warn.of("remoting.xmlrpc.client", "WARN").some((l) => /NOT verified/.test(l)));
    } finally {
      warn.restore();
      await trusting.close();
      await blind.close();
      await s.close();
    }
  });

  it("the endpoint registry makes an XML-RPC client from a URL, with the factory's settings", async () => {
    registerBuiltinEndpoints();
    const s = new XmlRpcServer({ host: "127.0.0.1", port: 0, logRequests: false, allowNone: true });
    s.registerFunction((v: unknown) => v, "echo");
    await s.listen();
    const c = await createClient(`http://127.0.0.1:${s.port}/RPC2`, { protocol: "xmlrpc", settings: { allowNone: "true", userAgent: "endpoint test" }, timeoutMs: 2000 });
    try {
      assert.equal(c.protocol, "xmlrpc");
      assert.equal(await c.invoke("echo", [null]), null);
      await assert.rejects(createClient(`http://127.0.0.1:${s.port}/RPC2`, { protocol: "xmlrpc", settings: { allowNone: "perhaps" } }), ConfigError);
      await assert.rejects(createClient(`http://127.0.0.1:${s.port}/RPC2`, { protocol: "xmlrpc", settings: { allowNull: "true" } }), { code: "ERR_CONFIG_UNKNOWN_PROPERTY" });
    } finally {
      await c.close();
      await s.close();
    }
  });
});
