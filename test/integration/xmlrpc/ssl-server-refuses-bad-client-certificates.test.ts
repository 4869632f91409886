import assert from "node:assert/strict";
import { connect, type PeerCertificate } from "node:tls";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { SecurityError } from "../../../src/core/errors.js";
import { SSLClient, SSLServer, type SSLServerOptions } from "../../../src/protocols/xmlrpc/index.js";
import { captureLogs, makeTestPki, type LogCapture, type TestPki } from "./fixtures.js";

class MySSLServer extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction(() => "All good", "test_server");
    this.registerFunction(Math.pow, "pow");
  }
}

const FIELDS_3 = { commonName: "My Client", organizationName: "My Company", stateOrProvinceName: "My State" };

const ALL_FIELDS = {
  commonName: "My Client",
  countryName: "US",
  organizationalUnitName: "My Unit",
  organizationName: "My Company",
  stateOrProvinceName: "My State",
};

describe("SSLServer with client certificates (Spring Python's TestSSL cases)", () => {
  let pki: TestPki;
  let logs: LogCapture;
  before(async () => {
    pki = await makeTestPki();
    logs = captureLogs("warn");
  });
  after(async () => {
    logs.restore();
    await pki.cleanup();
  });

  async function withServer(opts: SSLServerOptions, body: (url: string, server: MySSLServer) => Promise<void>): Promise<void> {
    const server = new MySSLServer({
      host: "127.0.0.1",
      port: 0,
      keyFile: pki.main.serverKey,
      certFile: pki.main.serverChain,
      caCerts: pki.main.caChain,
      logRequests: false,
      ...opts,
    });
    await server.listen();
    try {
      await body(`https://localhost:${server.port}/RPC2`, server);
    } finally {
      await server.close();
    }
  }

  const client = (url: string, cert?: { key: string; cert: string }) =>
    new SSLClient(url, pki.main.caChain, cert?.key, cert?.cert, undefined, undefined, { timeoutMs: 5000 });
  const good = () => ({ key: pki.main.clientKey, cert: pki.main.clientCert });

  async function refused(url: string, cert: { key: string; cert: string } | undefined, reason: RegExp, goodClientAfter = true): Promise<void> {
    const before = logs.of("MySSLServer", "ERROR").length;
    const c = client(url, cert);
    try {
      await assert.rejects(c.test_server(), (err: Error) => {
        assert.ok(err instanceof SecurityError, `${err.name}: ${err.message}`);
        assert.equal((err as SecurityError).code, "ERR_SECURITY");
        return true;
      });
    } finally {
      await c.close();
    }
    const errors = logs.of("MySSLServer", "ERROR").slice(before);
    assert.ok(errors.some((l) => reason.test(l)), `server log should match ${reason}: ${errors.join("")}`);
    if (!goodClientAfter) return;
    // the refusal did not stop the server
    const ok = client(url, good());
    try {
      assert.equal(await ok.test_server(), "All good");
    } finally {
      await ok.close();
    }
  }

  it("encrypts only: the client trusts the server's CA and sends no certificate", async () => {
    await withServer({ caCerts: undefined }, async (url) => {
      const c = new SSLClient(url, pki.main.caChain);
      try {
        assert.equal(await c.test_server(), "All good");
        assert.equal(await c.pow(41, 3), 68921);
      } finally {
        await c.close();
      }
    });
  });

  it("requires a client certificate: a trusted one is accepted", async () => {
    await withServer({ certRequirement: "CERT_REQUIRED" }, async (url) => {
      const c = client(url, good());
      try {
        assert.equal(await c.test_server(), "All good");
      } finally {
        await c.close();
      }
    });
  });

  it("requires a client certificate: none at all is refused and logged", async () => {
    await withServer({ certRequirement: "required" }, (url) => refused(url, undefined, /Peer didn't send a certificate/));
  });

  it("refuses a certificate from another CA even though its subject matches verifyFields", async () => {
    await withServer({ certRequirement: "required", verifyFields: ALL_FIELDS }, (url) =>
      refused(url, { key: pki.other.clientKey, cert: pki.other.clientCert }, /Peer certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/),
    );
  });

  it("accepts a client whose subject has every verifyFields entry", async () => {
    await withServer({ certRequirement: "required", verifyFields: ALL_FIELDS }, async (url) => {
      const c = client(url, good());
      try {
        assert.equal(await c.test_server(), "All good");
      } finally {
        await c.close();
      }
    });
  });

  it("refuses a client whose subject lacks a field (FOO)", async () => {
    await withServer({ certRequirement: "required", verifyFields: { ...ALL_FIELDS, FOO: "BAR" } }, (url) => refused(url, good(), /Peer didn't send the 'FOO' field/, false));
  });

  it("refuses a client whose field has another value", async () => {
    await withServer({ certRequirement: "required", verifyFields: { commonName: "Invalid" } }, (url) =>
      refused(url, good(), /Expected the subject field 'commonName' to have value 'Invalid' instead of 'My Client'/, false),
    );
  });

  it("refuses a trusted certificate with other fields", async () => {
    await withServer({ certRequirement: "required", verifyFields: { commonName: "My Client", organizationName: "My Company", stateOrProvinceName: "My State" } }, (url) =>
      refused(url, pki.stranger, /Expected the subject field '\w+' to have value/),
    );
  });

  it("CERT_OPTIONAL with verifyFields refuses a client that sends no certificate", async () => {
    await withServer({ certRequirement: "CERT_OPTIONAL", verifyFields: { commonName: "My Client" } }, (url) =>
      refused(url, undefined, /Couldn't verify fields, peer didn't send the certificate, from_addr='127\.0\.0\.1:\d+'/),
    );
  });

  it("CERT_OPTIONAL without verifyFields accepts no certificate but refuses an untrusted one", async () => {
    await withServer({ certRequirement: "optional" }, async (url) => {
      const c = client(url);
      try {
        assert.equal(await c.test_server(), "All good");
      } finally {
        await c.close();
      }
      await refused(url, { key: pki.other.clientKey, cert: pki.other.clientCert }, /not trusted/);
    });
  });

  it("drops a refused connection without writing any HTTP response", async () => {
    await withServer({ certRequirement: "required", verifyFields: { commonName: "Invalid" } }, async (_url, server) => {
      const received = await new Promise<string>((resolve) => {
        let data = "";
        const s = connect({
          host: "127.0.0.1",
          port: server.port,
          servername: "localhost",
          ca: readFileSync(pki.main.caChain),
          key: readFileSync(pki.main.clientKey),
          cert: readFileSync(pki.main.clientCert),
        });
        s.on("secureConnect", () => s.write("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
        s.on("data", (d: Buffer) => (data += d.toString()));
        s.on("error", () => resolve(data));
        s.on("close", () => resolve(data));
        setTimeout(() => s.destroy(), 3000).unref();
      });
      assert.equal(received, "");
    });
  });

  it("loses no accepted client's call while refusing others and receiving garbage at the same time", async () => {
    await withServer({ certRequirement: "required", verifyFields: FIELDS_3 }, async (url, server) => {
      const goods = [client(url, good()), client(url, good())];
      const bads = Array.from({ length: 6 }, (_, i) => client(url, i % 2 ? pki.stranger : { key: pki.other.clientKey, cert: pki.other.clientCert }));
      const garbage = Array.from({ length: 4 }, () =>
        new Promise<void>((resolve) => {
          const s = connect({ host: "127.0.0.1", port: server.port, servername: "localhost", ca: readFileSync(pki.main.caChain), key: readFileSync(pki.main.clientKey), cert: readFileSync(pki.main.clientCert) });
          s.on("secureConnect", () => s.end("POST /RPC2 HTTP/1.1\r\nContent-Length: 20\r\n\r\n<methodCall><<<<<<<"));
          s.on("data", () => {});
          s.on("error", () => resolve());
          s.on("close", () => resolve());
        }),
      );
      try {
        const results = await Promise.allSettled([
          ...Array.from({ length: 40 }, (_, i) => goods[i % 2]!.pow(2, i % 10)),
          ...bads.map((b) => b.test_server()),
          ...garbage,
        ]);
        for (let i = 0; i < 40; i++) assert.deepEqual(results[i], { status: "fulfilled", value: 2 ** (i % 10) }, `call ${i}`);
        for (let i = 40; i < 46; i++) assert.equal(results[i]!.status, "rejected");
      } finally {
        for (const c of [...goods, ...bads]) await c.close();
      }
    });
  });

  it("logs each client's certificate and address at debug level, on a logger named after the subclass", async () => {
    const debugLogs = captureLogs("debug");
    try {
      await withServer({ certRequirement: "required" }, async (url) => {
        const c = client(url, good());
        try {
          await c.test_server();
        } finally {
          await c.close();
        }
      });
      const lines = debugLogs.of("MySSLServer", "DEBUG").filter((l) => l.includes("get_request"));
      assert.ok(lines.length >= 1, debugLogs.lines.join(""));
      assert.match(lines[0]!, /"commonName":"My Client"/);
      assert.match(lines[0]!, /from_addr='127\.0\.0\.1:\d+'/);
    } finally {
      debugLogs.restore();
    }
  });
});

describe("SSLServer.verifyPeer override", () => {
  it("lets a subclass decide, with the trusted certificate and the address", async () => {
    const pki = await makeTestPki();
    const logs = captureLogs("warn");
    const seen: string[] = [];
    class OnlyMyClient extends MySSLServer {
      override verifyPeer(cert: PeerCertificate, fromAddr: string): string | undefined {
        seen.push(fromAddr);
        return cert.subject.CN === "My Client" ? undefined : `CN ${String(cert.subject.CN)} is not welcome`;
      }
    }
    const server = new OnlyMyClient({ host: "127.0.0.1", port: 0, keyFile: pki.main.serverKey, certFile: pki.main.serverChain, caCerts: pki.main.caChain, certRequirement: "required", logRequests: false });
    await server.listen();
    const url = `https://localhost:${server.port}/RPC2`;
    const ok = new SSLClient(url, pki.main.caChain, pki.main.clientKey, pki.main.clientCert);
    const no = new SSLClient(url, pki.main.caChain, pki.stranger.key, pki.stranger.cert);
    try {
      assert.equal(await ok.test_server(), "All good");
      await assert.rejects(no.test_server(), SecurityError);
      assert.ok(seen.every((a) => /^127\.0\.0\.1:\d+$/.test(a)) && seen.length >= 2);
      assert.ok(logs.of("OnlyMyClient", "ERROR").some((l) => l.includes("CN Someone Else is not welcome")));
    } finally {
      await ok.close();
      await no.close();
      await server.close();
      logs.restore();
      await pki.cleanup();
    }
  });
});

describe("SSLServer construction", () => {
  it("must be subclassed with registerFunctions, like Spring Python's NotImplementedError", () => {
    assert.throws(() => new SSLServer("127.0.0.1", 8001), { code: "ERR_CONFIG_NOT_CONSTRUCTIBLE", message: /must be subclassed/ });
    class Bare extends SSLServer {}
    assert.throws(() => new Bare("127.0.0.1", 8001), /must be subclassed/);
  });

  it("keeps the seed's defaults and stores positional arguments", () => {
    const d = new MySSLServer("127.0.0.1", 8001);
    assert.equal(d.keyFile, undefined);
    assert.equal(d.certFile, undefined);
    assert.equal(d.caCerts, undefined);
    assert.equal(d.certRequirement, "none");
    assert.equal(d.minVersion, "TLSv1.2");
    assert.equal(d.doHandshakeOnConnect, true);
    assert.equal(d.suppressRaggedEofs, true);
    assert.equal(d.ciphers, undefined);
    assert.equal(d.logRequests, true);
    assert.equal(d.verifyFields, undefined);
    assert.deepEqual(d.serverAddress, ["127.0.0.1", 8001]);
    const s = new MySSLServer("localhost", "8002", "k.pem", "c.pem", "ca.pem", "CERT_REQUIRED", "PROTOCOL_TLSv1_2", false, false, "ALL", false, { CN: "x" });
    assert.deepEqual(
      [s.port, s.keyFile, s.certFile, s.caCerts, s.certRequirement, s.doHandshakeOnConnect, s.suppressRaggedEofs, s.ciphers, s.logRequests, s.verifyFields],
      [8002, "k.pem", "c.pem", "ca.pem", "required", false, false, "ALL", false, { commonName: "x" }],
    );
  });

  it("refuses verifyFields when no client certificate is asked for, and a missing key file", async () => {
    const s = new MySSLServer({ host: "127.0.0.1", port: 0, keyFile: "k", certFile: "c", verifyFields: { commonName: "x" } });
    await assert.rejects(s.listen(), { code: "ERR_CONFIG_INVALID_VALUE" });
    const t = new MySSLServer({ host: "127.0.0.1", port: 0, keyFile: "/nonexistent/k.pem", certFile: "/nonexistent/c.pem" });
    await assert.rejects(t.listen(), { code: "ERR_CONFIG_FILE_NOT_FOUND" });
  });
});
