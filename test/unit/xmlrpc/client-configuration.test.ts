import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { XmlRpcTransport } from "../../../src/protocols/xmlrpc/client.js";
import { SSLClient, XmlRpcClient, XmlRpcProxyFactory } from "../../../src/protocols/xmlrpc/index.js";

describe("XML-RPC client configuration", () => {
  it("uses /RPC2 only when the URL has no path at all, like Python's ServerProxy", async () => {
    const paths = ["http://h:1", "http://h:1/", "http://h:1/RPC2", "http://h:1/x/y?z=1"].map((u) => {
      const t = new XmlRpcTransport(u);
      void t.close();
      return t.config.path;
    });
    assert.deepEqual(paths, ["/RPC2", "/", "/RPC2", "/x/y?z=1"]);
  });

  it("verifies the server by default, with TLS 1.2 at least and the host name checked", async () => {
    const t = new XmlRpcTransport("https://localhost:8000/RPC2");
    await t.close();
    assert.equal(t.config.certRequirement, "required");
    assert.equal(t.config.tlsOptions["rejectUnauthorized"], true);
    assert.equal(t.config.tlsOptions["minVersion"], "TLSv1.2");
    assert.equal(t.config.tlsOptions["checkServerIdentity"], undefined, "Node's own host name check stays on");
    assert.equal(t.config.timeoutMs, 30_000);
    assert.equal(t.config.allowNone, false);
  });

  it("takes XML-style strings and the opt-outs", async () => {
    const t = new XmlRpcTransport("https://localhost:8000/RPC2", {
      checkHostname: "false",
      timeoutMs: "2500",
      allowNone: "True",
      certRequirement: "CERT_NONE",
      sslVersion: "PROTOCOL_TLSv1",
      ciphers: "ECDHE+AESGCM",
    });
    await t.close();
    assert.equal(typeof t.config.tlsOptions["checkServerIdentity"], "function");
    assert.equal(t.config.timeoutMs, 2500);
    assert.equal(t.config.allowNone, true);
    assert.equal(t.config.tlsOptions["rejectUnauthorized"], false);
    assert.equal(t.config.tlsOptions["minVersion"], "TLSv1.2");
    assert.equal(t.config.tlsOptions["ciphers"], "ECDHE+AESGCM");
  });

  it("refuses bad URLs, half a key pair and unreadable files", () => {
    assert.throws(() => new XmlRpcTransport("ftp://h/"), { code: "ERR_CONFIG_INVALID_VALUE" });
    assert.throws(() => new XmlRpcTransport("not a url"), { code: "ERR_CONFIG_INVALID_VALUE" });
    assert.throws(() => new XmlRpcTransport("https://h/", { keyFile: undefined, cert: "x" }), { code: "ERR_CONFIG_MISSING_ATTRIBUTE" });
    assert.throws(() => new XmlRpcTransport("https://h/", { caCerts: "/nonexistent/ca.pem" }), { code: "ERR_CONFIG_FILE_NOT_FOUND" });
    assert.throws(() => new XmlRpcTransport("https://h/", { timeoutMs: "soon" }), { code: "ERR_CONFIG_INVALID_VALUE" });
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
    assert.equal(s.certRequirement, "CERT_REQUIRED");
  });
});
