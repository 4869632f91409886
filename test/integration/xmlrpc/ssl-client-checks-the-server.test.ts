import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { CommunicationError, SecurityError, TimeoutError } from "../../../src/core/errors.js";
import { createSamplePki, type SamplePki } from "../../../src/pki/index.js";
import { SSLClient, SSLServer, XmlRpcClient, XmlRpcServer } from "../../../src/protocols/xmlrpc/index.js";
import { captureLogs, makeTestPki, type LogCapture, type TestPki } from "./fixtures.js";

class EchoServer extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction((v: unknown) => v, "echo");
    this.registerFunction(() => new Promise((r) => setTimeout(() => r("late"), 2000)), "slow");
  }
}

describe("SSLClient", () => {
  let pki: TestPki;
  let oddName: SamplePki;
  let logs: LogCapture;
  let server: EchoServer;
  before(async () => {
    pki = await makeTestPki();
    oddName = await createSamplePki(pki.dir, { name: "odd", serverNames: ["service.example"] });
    logs = captureLogs("error");
    server = new EchoServer({ host: "127.0.0.1", port: 0, keyFile: pki.main.serverKey, certFile: pki.main.serverChain, logRequests: false });
    await server.listen();
  });
  after(async () => {
    await server.close();
    logs.restore();
    await pki.cleanup();
  });

  it("verifies the server against caCerts and the host name, by name or IP", async () => {
    for (const host of ["localhost", "127.0.0.1"]) {
      const c = new SSLClient(`https://${host}:${server.port}/RPC2`, pki.main.caChain);
      try {
        assert.equal(await c.echo("hi"), "hi");
      } finally {
        await c.close();
      }
    }
  });

  it("refuses a server whose certificate comes from a CA it does not trust", async () => {
    const c = new SSLClient(`https://localhost:${server.port}/RPC2`, pki.other.caChain);
    try {
      await assert.rejects(c.echo(1), (err: Error) => err instanceof SecurityError && /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/.test(err.message));
    } finally {
      await c.close();
    }
  });

  it("refuses a server certificate for another host name, unless checkHostname is false", async () => {
    const odd = new EchoServer({ host: "127.0.0.1", port: 0, keyFile: oddName.serverKey, certFile: oddName.serverChain, logRequests: false });
    await odd.listen();
    const strict = new SSLClient(`https://localhost:${odd.port}/RPC2`, oddName.caChain);
    const relaxed = new SSLClient(`https://localhost:${odd.port}/RPC2`, { caCerts: oddName.caChain, checkHostname: false });
    try {
      await assert.rejects(strict.echo(1), (err: Error) => err instanceof SecurityError && /ERR_TLS_CERT_ALTNAME_INVALID/.test(err.message));
      assert.equal(await relaxed.echo(2), 2);
    } finally {
      await strict.close();
      await relaxed.close();
      await odd.close();
    }
  });

  it("times out with a TimeoutError (per call or from the client option)", async () => {
    const c = new SSLClient(`https://localhost:${server.port}/RPC2`, { caCerts: pki.main.caChain, timeoutMs: 200 });
    try {
      await assert.rejects(c.slow(), (err: Error) => err instanceof TimeoutError && (err as TimeoutError).timeoutMs === 200);
      await assert.rejects(c.callRemote("slow", [], { timeoutMs: 100 }), TimeoutError);
      assert.equal(await c.echo("still usable"), "still usable");
    } finally {
      await c.close();
    }
  });

  it("reports a refused TCP connection as a CommunicationError", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const c = new XmlRpcClient(`http://127.0.0.1:${port}/RPC2`);
    try {
      await assert.rejects(c.echo(1), (err: Error) => err instanceof CommunicationError && (err as CommunicationError).code === "ERR_CONNECTION_REFUSED");
    } finally {
      await c.close();
    }
  });

  it("prints the HTTP traffic in verbose mode (to stdout unless told otherwise)", async () => {
    const out: string[] = [];
    const c = new SSLClient(`https://localhost:${server.port}/RPC2`, { caCerts: pki.main.caChain, verbose: true, verboseOutput: { write: (s: string) => out.push(s) } });
    try {
      await c.echo("shout");
    } finally {
      await c.close();
    }
    const text = out.join("");
    assert.match(text, /^send: POST \/RPC2 HTTP\/1\.1/m);
    assert.match(text, /<methodName>echo<\/methodName>/);
    assert.match(text, /^reply: 'HTTP\/1\.1 200 OK'/m);
    assert.match(text, /^body: [\s\S]*<string>shout<\/string>/m);
  });

  it("keeps the seed's argument order and defaults (values parsed where they are set)", () => {
    const c = new SSLClient("https://127.0.0.1:8000/RPC2", "ca.pem", "k.pem", "c.pem", "CERT_OPTIONAL", "PROTOCOL_TLSv1_2");
    assert.deepEqual([c.uri, c.caCerts, c.keyFile, c.certFile, c.tlsVerifyServer, c.sslVersion], ["https://127.0.0.1:8000/RPC2", "ca.pem", "k.pem", "c.pem", true, "TLSv1.2"]);
    assert.deepEqual([c.tlsCa, c.tlsKey, c.tlsCert, c.tlsMinVersion], ["ca.pem", "k.pem", "c.pem", "TLSv1.2"]);
    const none = new SSLClient("https://127.0.0.1:8000/RPC2", "ca.pem", undefined, undefined, "CERT_NONE");
    assert.equal(none.tlsVerifyServer, false, "cert_reqs=CERT_NONE on a client: do not verify the server (testing only)");
    const d = new SSLClient("https://127.0.0.1:8000/RPC2");
    assert.equal(d.tlsVerifyServer, true, "the server is verified by default");
    assert.equal(d.allowNone, false);
    assert.equal(d.userAgent, "SSL XML-RPC Client (remoting)");
  });

  it("turns TLS 1.3 post-handshake refusals into SecurityError, and plain resets into ConnectionClosedError", async () => {
    class Strict extends SSLServer {
      override registerFunctions(): void {
        this.registerFunction(() => "ok", "ping");
      }
    }
    const s = new Strict({ host: "127.0.0.1", port: 0, keyFile: pki.main.serverKey, certFile: pki.main.serverChain, caCerts: pki.main.caChain, certRequirement: "required", logRequests: false });
    await s.listen();
    for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
      const c = new SSLClient(`https://localhost:${s.port}/RPC2`, { caCerts: pki.main.caChain, minVersion: version, maxVersion: version });
      try {
        await assert.rejects(c.ping(), (err: Error) => err instanceof SecurityError && /requires a client certificate/.test(err.message), version);
      } finally {
        await c.close();
      }
    }
    await s.close();
    const rude = createServer((sock) => sock.destroy());
    await new Promise<void>((r) => rude.listen(0, "127.0.0.1", r));
    const p = new XmlRpcClient(`http://127.0.0.1:${(rude.address() as { port: number }).port}/RPC2`);
    try {
      await assert.rejects(p.ping(), { code: "ERR_CONNECTION_CLOSED" });
    } finally {
      await p.close();
      await new Promise<void>((r) => rude.close(() => r()));
    }
  });
});

describe("XmlRpcClient against a plain server", () => {
  it("uses /RPC2 when the URL has no path, and basic auth from the URL", async () => {
    const seen: string[] = [];
    class Paths extends XmlRpcServer {
      override registerFunctions(): void {
        this.registerFunction(() => "pong", "ping");
      }
      protected override logRequest(line: string): void {
        seen.push(line);
      }
    }
    const s = new Paths({ host: "127.0.0.1", port: 0 });
    await s.listen();
    const c = new XmlRpcClient(`http://user:pw@127.0.0.1:${s.port}`);
    try {
      assert.equal(await c.ping(), "pong");
      assert.match(seen[0]!, /"POST \/RPC2 HTTP\/1\.1"/);
    } finally {
      await c.close();
      await s.close();
    }
  });
});
