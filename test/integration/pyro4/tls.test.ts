import { test } from "node:test";
import assert from "node:assert/strict";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { CommunicationError, RemotingError, SecurityError } from "../../../src/core/errors.js";
import { makePki } from "./pki.js";
import { TestService } from "./support.js";

test("TLS: server certificate, optional and required client certificates", async (t) => {
  const pki = await makePki();
  const oneWay = new PyroDaemon({ host: "127.0.0.1", tlsKey: pki.serverKey, tlsCert: pki.serverCert });
  const twoWay = new PyroDaemon({ host: "127.0.0.1", tlsKey: pki.serverKey, tlsCert: pki.serverCert, tlsCa: pki.ca, tlsClientCert: "required" });
  await oneWay.listen();
  await twoWay.listen();
  oneWay.register(new TestService(), "svc");
  twoWay.register(new TestService(), "svc");
  const proxies: PyroProxy[] = [];
  const mk = (uri: string, tls: { tlsCa: string; tlsCert?: string; tlsKey?: string }) => {
    const p = new PyroProxy(uri, { ...tls, timeoutMs: 5000 });
    proxies.push(p);
    return p;
  };
  t.after(async () => {
    for (const p of proxies) await p.close();
    await oneWay.close();
    await twoWay.close();
  });
  assert.equal(await mk(oneWay.uriFor("svc"), { tlsCa: pki.ca }).invoke("get_data", ["tls"]), "You got remote data => tls");
  assert.equal(await mk(`PYRO:svc@localhost:${oneWay.port}`, { tlsCa: pki.ca }).invoke("echo", [1]), 1);
  // a proxy that does not trust the server's CA refuses to talk
  await assert.rejects(mk(oneWay.uriFor("svc"), { tlsCa: pki.otherCa }).invoke("echo", [1]), (e: unknown) => e instanceof SecurityError && /TLS|certificate/i.test(e.message));
  // a plain TCP proxy cannot talk to a TLS daemon
  const plain = new PyroProxy(oneWay.uriFor("svc"), { timeoutMs: 1000, connectTimeoutMs: 1000 });
  proxies.push(plain);
  await assert.rejects(plain.invoke("echo", [1]), (e: unknown) => e instanceof CommunicationError || e instanceof RemotingError);
  // two-way TLS: the client certificate is required
  assert.equal(await mk(twoWay.uriFor("svc"), { tlsCa: pki.ca, tlsCert: pki.clientCert, tlsKey: pki.clientKey }).invoke("echo", ["2way"]), "2way");
  await assert.rejects(mk(twoWay.uriFor("svc"), { tlsCa: pki.ca }).invoke("echo", [1]), (e: unknown) => e instanceof SecurityError && e.phase === "connect");
});

test("TLS through exporter and factory properties (PEM file paths, as XML would set them)", async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { PyroServiceExporter } = await import("../../../src/protocols/pyro4/exporter.js");
  const { PyroProxyFactory } = await import("../../../src/protocols/pyro4/proxy-factory.js");
  const pki = await makePki();
  const dir = mkdtempSync(join(tmpdir(), "pyro-tls-"));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const e = new PyroServiceExporter(new TestService(), "Secure", "127.0.0.1", 0);
  e.sslServerCert = file("server.pem", pki.serverCert);
  e.sslServerKey = file("server-key.pem", pki.serverKey);
  e.sslCaCerts = file("ca.pem", pki.ca);
  e.sslRequireClientCert = "True";
  await e.afterPropertiesSet();
  const f = new PyroProxyFactory(`PYRO:Secure@127.0.0.1:${e.boundPort}`);
  f.sslCaCerts = join(dir, "ca.pem");
  f.sslClientCert = file("client.pem", pki.clientCert);
  f.sslClientKey = file("client-key.pem", pki.clientKey);
  const noCert = new PyroProxyFactory(`PYRO:Secure@127.0.0.1:${e.boundPort}`);
  noCert.sslCaCerts = join(dir, "ca.pem");
  t.after(async () => {
    await f.release();
    await noCert.release();
    await e.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(await f.get_data("secure"), "You got remote data => secure");
  await assert.rejects(noCert.get_data("x"), (e: unknown) => e instanceof SecurityError);
});
