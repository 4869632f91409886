import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, ErrorCodes } from "../../../src/core/errors.js";
import { declaredProperties } from "../../../src/core/config/properties.js";
import { SSLClient, XmlRpcClient, XmlRpcProxyFactory, XmlRpcTransport } from "../../../src/protocols/xmlrpc/index.js";

/** A transport made from a factory configured as XML configures it (string values). */
function transport(url: string, props: Record<string, unknown> = {}): XmlRpcTransport {
  const f = new XmlRpcProxyFactory();
  for (const [k, v] of Object.entries(props)) (f as unknown as Record<string, unknown>)[k] = v;
  const t = new XmlRpcTransport(url, f);
  void t.close();
  return t;
}

describe("XML-RPC client configuration", () => {
  it("uses /RPC2 only when the URL has no path at all, like Python's ServerProxy", () => {
    const paths = ["http://h:1", "http://h:1/", "http://h:1/RPC2", "http://h:1/x/y?z=1"].map((u) => transport(u).path);
    assert.deepEqual(paths, ["/RPC2", "/", "/RPC2", "/x/y?z=1"]);
  });

  it("names the service by its URL without credentials", () => {
    const t = transport("http://user:secret@h:1");
    assert.equal(t.service, "http://h:1/RPC2");
    assert.equal(t.protocol, "xmlrpc");
  });

  it("verifies the server by default, with TLS 1.2 at least and the host name checked", () => {
    const t = transport("https://localhost:8000/RPC2");
    assert.equal(t.tls?.verifyServer, true);
    assert.equal(t.tls?.minVersion, "TLSv1.2");
    assert.equal(t.tls?.checkHostname, true);
    assert.equal(t.timeoutMs, 30_000);
    assert.equal(t.allowNone, false);
    assert.equal(transport("http://localhost:8000/RPC2").tls, undefined, "no TLS settings for http:");
  });

  it("takes XML-style strings, Python's names and the opt-outs", () => {
    const f = new XmlRpcProxyFactory();
    const p = f as unknown as Record<string, unknown>;
    p["checkHostname"] = "false";
    p["timeoutMs"] = "2500";
    p["allowNone"] = "True";
    p["cert_reqs"] = "CERT_NONE";
    p["ssl_version"] = "PROTOCOL_TLSv1_2";
    p["ciphers"] = "ECDHE+AESGCM";
    p["maxBodyBytes"] = "64kB";
    const t = new XmlRpcTransport("https://localhost:8000/RPC2", f);
    void t.close();
    assert.equal(t.tls?.checkHostname, false);
    assert.equal(f.timeoutMs, 2500);
    assert.equal(t.allowNone, true);
    assert.equal(t.tls?.verifyServer, false, "cert_reqs=CERT_NONE on a client: the server is not verified");
    assert.equal(t.tls?.minVersion, "TLSv1.2");
    assert.equal(t.tls?.ciphers, "ECDHE+AESGCM");
    assert.equal(t.maxBodyBytes, 64_000);
  });

  it("refuses TLS below 1.2 where it is configured, in Python's spellings too", () => {
    for (const [prop, value] of [
      ["ssl_version", "PROTOCOL_TLSv1"],
      ["sslVersion", "TLSv1.1"],
      ["minVersion", "SSLv3"],
    ] as const) {
      const f = new XmlRpcProxyFactory();
      assert.throws(
        () => ((f as unknown as Record<string, unknown>)[prop] = value),
        (e: unknown) => e instanceof ConfigError && e.code === ErrorCodes.ERR_CONFIG_INVALID_VALUE && e.message.includes(prop) && /obsolete/.test(e.message),
        `${prop}=${value}`,
      );
    }
    assert.throws(() => new SSLClient("https://h/", "ca.pem", undefined, undefined, undefined, "PROTOCOL_TLSv1"), ConfigError);
  });

  it("refuses bad URLs, half a key pair, unreadable files and unknown options", () => {
    assert.throws(() => transport("ftp://h/"), { code: "ERR_CONFIG_INVALID_VALUE" });
    assert.throws(() => transport("not a url"), { code: "ERR_CONFIG_INVALID_VALUE" });
    assert.throws(() => transport("https://h/", { certPem: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n" }), { code: "ERR_CONFIG_MISSING_ATTRIBUTE" });
    assert.throws(() => transport("https://h/", { caCerts: "/nonexistent/ca.pem" }), { code: "ERR_CONFIG_FILE_NOT_FOUND" });
    assert.throws(() => new XmlRpcClient("http://h/", { timeoutMs: "soon" }), { code: "ERR_CONFIG_INVALID_VALUE" });
    assert.throws(() => new XmlRpcClient("http://h/", { caCert: "x" } as never), (e: unknown) => e instanceof ConfigError && e.code === ErrorCodes.ERR_CONFIG_UNKNOWN_PROPERTY && /did you mean 'caCerts'/.test(e.message));
  });

  it("declares every property with a doc line, so check-config and the reference can read them", () => {
    const names = new Set(declaredProperties(SSLClient).flatMap((d) => [d.name, ...(d.aliases ?? [])]));
    for (const n of ["serviceUrl", "uri", "timeoutMs", "tlsCa", "caCerts", "ca_certs", "keyfile", "certfile", "cert_reqs", "certRequirement", "ssl_version", "verbose", "maxBodyBytes", "headers", "retryAttempts"]) {
      assert.ok(names.has(n), n);
    }
    for (const d of declaredProperties(SSLClient)) assert.ok(d.doc.length > 10, `${d.name} has no doc line`);
    assert.equal(declaredProperties(SSLClient).find((d) => d.name === "userAgent")?.default, "SSL XML-RPC Client (remoting)");
  });

  it("is a proxy: unknown members are remote methods, its own members are not", () => {
    const c = new XmlRpcClient("http://127.0.0.1:1/RPC2");
    assert.equal(typeof c.anything, "function");
    assert.equal(c.uri, "http://127.0.0.1:1/RPC2");
    assert.equal(typeof c.multicall, "function");
    const f = new XmlRpcProxyFactory();
    f.service_url = "http://x/";
    assert.equal(f.serviceUrl, "http://x/");
    const s = new SSLClient("https://h/", { caCerts: "ca.pem", certReqs: "CERT_REQUIRED" });
    assert.equal(s.caCerts, "ca.pem");
    assert.equal(s.tlsCa, "ca.pem");
    assert.equal(s.certRequirement, true, "cert_reqs reads back as whether the server is verified");
  });
});
