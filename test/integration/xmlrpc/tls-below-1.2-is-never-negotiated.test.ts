/**
 * TLS below 1.2 can be neither configured nor negotiated, by any class of
 * the HTTP protocols (XML-RPC and Hessian, servers and clients), whatever the
 * spelling (options objects, constructor arguments, properties, XML) and
 * whatever the cipher list (`@SECLEVEL=0` allows TLS 1.0's ciphers, not its
 * protocol version).
 *
 * Regression: `new HessianClient(url, { tlsMinVersion: "TLSv1", tlsCiphers:
 * "DEFAULT:@SECLEVEL=0" })` negotiated TLS 1.0 (a plain options object
 * reached Node unparsed).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ApplicationContext, ConfigError, SecurityError } from "../../../src/index.js";
import { readTlsSettings } from "../../../src/core/tls.js";
import { HessianClient, HessianProxyFactory, HessianServiceExporter } from "../../../src/protocols/hessian/index.js";
import { SSLClient, SSLServer, XmlRpcClient, XmlRpcProxyFactory, XmlRpcServiceExporter } from "../../../src/protocols/xmlrpc/index.js";
import { makeTestPki, type TestPki } from "./fixtures.js";

const OLD = ["TLSv1", "TLSv1.1", "tlsv1.0", "PROTOCOL_TLSv1", "ssl.PROTOCOL_TLSv1_1", "SSLv3", "1.0"];
const PERMISSIVE = "DEFAULT:@SECLEVEL=0";

const refused = (err: unknown): boolean => err instanceof ConfigError && err.code === "ERR_CONFIG_INVALID_VALUE" && /refused|TLSv1\.2 or TLSv1\.3/.test(err.message);

class Pow extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction((a: number, b: number) => a ** b, "pow");
  }
}

/** A handshake from a client willing to speak only `version` (with TLS 1.0's ciphers allowed); resolves with the protocol agreed, or the error code. */
function handshake(port: number, ca: string, version: "TLSv1" | "TLSv1.1" | "TLSv1.2"): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost", minVersion: version, maxVersion: version, ciphers: PERMISSIVE, rejectUnauthorized: false });
    s.once("secureConnect", () => {
      resolve(s.getProtocol() ?? "?");
      s.destroy();
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
  });
}

describe("TLS below 1.2 is never configured nor negotiated", () => {
  let pki: TestPki;
  let key: string;
  let cert: string;
  let ca: string;
  before(async () => {
    pki = await makeTestPki();
    key = readFileSync(pki.main.serverKey, "utf8");
    cert = readFileSync(pki.main.serverChain, "utf8");
    ca = readFileSync(pki.main.caChain, "utf8");
  });
  after(() => pki.cleanup());

  it("every spelling of an old version is a configuration error, on every class and path", async () => {
    for (const v of OLD) {
      // XML-RPC server: options object (each alias), constructor arguments
      for (const name of ["minVersion", "sslVersion", "ssl_version", "tlsMinVersion", "maxVersion", "tlsMaxVersion"]) {
        assert.throws(() => new Pow({ host: "127.0.0.1", port: 0, keyFile: key, certFile: cert, [name]: v, ciphers: PERMISSIVE }), refused, `SSLServer ${name}=${v}`);
      }
      assert.throws(() => new Pow("127.0.0.1", 0, key, cert, undefined, undefined, v, undefined, undefined, PERMISSIVE), refused, `SSLServer positional ssl_version ${v}`);
      // XML-RPC clients
      assert.throws(() => new SSLClient("https://localhost:1/RPC2", ca, undefined, undefined, undefined, v), refused, `SSLClient positional ${v}`);
      for (const name of ["minVersion", "sslVersion", "tlsMinVersion", "maxVersion", "tlsMaxVersion"]) {
        assert.throws(() => new XmlRpcClient("https://localhost:1/RPC2", { [name]: v, ciphers: PERMISSIVE }), refused, `XmlRpcClient ${name}=${v}`);
      }
      const factory = new XmlRpcProxyFactory();
      assert.throws(() => Object.assign(factory, { ssl_version: v }), refused, `XmlRpcProxyFactory ssl_version=${v}`);
      const xexp = new XmlRpcServiceExporter();
      assert.throws(() => Object.assign(xexp, { sslVersion: v }), refused, `XmlRpcServiceExporter sslVersion=${v}`);
      // Hessian
      assert.throws(() => new HessianServiceExporter({ tlsKey: key, tlsCert: cert, tlsMinVersion: v }), refused, `HessianServiceExporter ${v}`);
      assert.throws(() => new HessianProxyFactory("https://localhost:1/x", { tlsMinVersion: v }), refused, `HessianProxyFactory ${v}`);
      // the hole: a plain options object that no property parses
      assert.throws(() => new HessianClient("https://localhost:1/x", { tlsMinVersion: v as never, tlsCiphers: PERMISSIVE }), refused, `HessianClient ${v}`);
      assert.throws(() => new HessianClient("https://localhost:1/x", { tlsMaxVersion: v as never }), refused, `HessianClient max ${v}`);
      assert.throws(() => readTlsSettings({ tlsMinVersion: v as never }, "client"), refused, `readTlsSettings ${v}`);
    }
    // an XML context says it the Spring Python way
    const file = join(pki.dir, "old-tls.xml");
    writeFileSync(
      file,
      `<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">
  <object id="client" class="springpython.remoting.xmlrpc.XmlRpcProxyFactory">
    <property name="service_url" value="https://localhost:1/RPC2"/>
    <property name="ssl_version" value="PROTOCOL_TLSv1"/>
  </object>
</objects>`,
    );
    await assert.rejects(ApplicationContext.create(file), (err: unknown) => err instanceof ConfigError && /PROTOCOL_TLSv1.*refused/.test(err.message));
  });

  it("servers with a permissive cipher list still refuse TLS 1.0 and 1.1 clients, and accept TLS 1.2", { timeout: 30_000 }, async (t) => {
    // the environment can speak TLS 1.0 at all (else this test would prove nothing)
    const old = tls.createServer({ key, cert, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: PERMISSIVE }, (s) => s.end());
    old.on("tlsClientError", () => undefined);
    await new Promise<void>((r) => old.listen(0, "127.0.0.1", r));
    t.after(() => void old.close());
    assert.equal(await handshake((old.address() as { port: number }).port, ca, "TLSv1"), "TLSv1", "this OpenSSL negotiates TLS 1.0 when both sides allow it");

    const ssl = new Pow({ host: "127.0.0.1", port: 0, keyFile: key, certFile: cert, ciphers: PERMISSIVE, logRequests: false });
    await ssl.listen();
    const xexp = new XmlRpcServiceExporter();
    Object.assign(xexp, { service: { pow: (a: number, b: number) => a ** b }, serviceHost: "127.0.0.1", servicePort: 0, keyfile: key, certfile: cert, ciphers: PERMISSIVE });
    await xexp.afterPropertiesSet();
    const hexp = new HessianServiceExporter({ service: { pow: (a: number, b: number) => a ** b }, serviceHost: "127.0.0.1", servicePort: 0, tlsKey: key, tlsCert: cert, tlsCiphers: PERMISSIVE });
    await hexp.afterPropertiesSet();
    t.after(async () => {
      await ssl.close();
      await xexp.destroy();
      await hexp.destroy();
    });
    for (const [name, port] of [
      ["SSLServer", ssl.port],
      ["XmlRpcServiceExporter", xexp.boundPort!],
      ["HessianServiceExporter", hexp.port!],
    ] as const) {
      for (const v of ["TLSv1", "TLSv1.1"] as const) {
        const got = await handshake(port, ca, v);
        assert.match(got, /^error /, `${name} negotiated ${got} with a ${v} client`);
      }
      assert.equal(await handshake(port, ca, "TLSv1.2"), "TLSv1.2", name);
    }
  });

  it("clients with a permissive cipher list still refuse a server that offers only TLS 1.0 or 1.1", { timeout: 30_000 }, async (t) => {
    const old = tls.createServer({ key, cert, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: PERMISSIVE }, (s) => s.on("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")));
    const negotiated: string[] = [];
    old.on("secureConnection", (s: tls.TLSSocket) => negotiated.push(s.getProtocol() ?? "?"));
    old.on("tlsClientError", () => undefined);
    await new Promise<void>((r) => old.listen(0, "127.0.0.1", r));
    t.after(() => void old.close());
    const url = `https://localhost:${(old.address() as { port: number }).port}`;
    const clients = [
      ["SSLClient", new SSLClient(`${url}/RPC2`, ca, undefined, undefined, undefined, undefined, { ciphers: PERMISSIVE, timeoutMs: 5000 })],
      ["XmlRpcClient", new XmlRpcClient(`${url}/RPC2`, { caCerts: ca, ciphers: PERMISSIVE, timeoutMs: 5000 })],
      ["HessianProxyFactory", new HessianProxyFactory(`${url}/x`, { tlsCa: ca, tlsCiphers: PERMISSIVE, timeoutMs: 5000 })],
      ["HessianClient", new HessianClient(`${url}/x`, { tlsCa: ca, tlsCiphers: PERMISSIVE, timeoutMs: 5000 })],
    ] as const;
    for (const [name, client] of clients) {
      const call = name === "HessianClient" ? (client as HessianClient).invoke("pow", [2, 3]) : (client as { callRemote(m: string, a: unknown[]): Promise<unknown> }).callRemote("pow", [2, 3]);
      await assert.rejects(call, (err: unknown) => err instanceof SecurityError, name);
      await (client as { close(): Promise<void> }).close();
    }
    assert.deepEqual(negotiated, [], "no connection was ever established below TLS 1.2");
  });
});
