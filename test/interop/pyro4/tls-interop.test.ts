import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirePeers } from "../../helpers/peers.js";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { SecurityError } from "../../../src/core/errors.js";
import { makePki, type TestPki } from "../../integration/pyro4/pki.js";
import { TestService } from "../../integration/pyro4/support.js";
import { runPython, startPython } from "./helpers.js";

function writePki(pki: TestPki): { dir: string; f: Record<keyof TestPki, string> } {
  const dir = mkdtempSync(join(tmpdir(), "pyro-tls-"));
  const f = {} as Record<keyof TestPki, string>;
  for (const [k, v] of Object.entries(pki) as Array<[keyof TestPki, string]>) {
    f[k] = join(dir, `${k}.pem`);
    writeFileSync(f[k], v, { mode: 0o600 });
  }
  return { dir, f };
}

test("Python Pyro4 over TLS -> TypeScript daemon (server cert, then required client cert)", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const pki = await makePki();
  const { dir, f } = writePki(pki);
  const oneWay = new PyroDaemon({ host: "127.0.0.1", tlsKey: pki.serverKey, tlsCert: pki.serverCert });
  const twoWay = new PyroDaemon({ host: "127.0.0.1", tlsKey: pki.serverKey, tlsCert: pki.serverCert, tlsCa: pki.ca, tlsClientCert: "required" });
  await oneWay.listen();
  await twoWay.listen();
  oneWay.register(new TestService(), "svc");
  twoWay.register(new TestService(), "svc");
  t.after(async () => {
    await oneWay.close();
    await twoWay.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let r = await runPython("ssl_peer.py", ["client", oneWay.uriFor("svc"), f.ca]);
  assert.deepEqual(r.lines.map((l) => [l.name, l.ok]), [["call", true], ["echo", true]], r.stderr + JSON.stringify(r.lines));
  r = await runPython("ssl_peer.py", ["client", twoWay.uriFor("svc"), f.ca, f.clientCert, f.clientKey]);
  assert.deepEqual(r.lines.map((l) => [l.name, l.ok]), [["call", true], ["echo", true]], r.stderr + JSON.stringify(r.lines));
  r = await runPython("ssl_peer.py", ["client", twoWay.uriFor("svc"), f.ca]);
  assert.equal(r.lines[0]?.ok, false, "no client certificate: refused");
  r = await runPython("ssl_peer.py", ["client", oneWay.uriFor("svc"), f.otherCa]);
  assert.equal(r.lines[0]?.ok, false, "untrusted server certificate: refused");
  assert.match(r.lines[0]!.detail, /certificate/i);
});

test("TypeScript proxy over TLS -> Python Pyro4 daemon with SSL_REQUIRECLIENTCERT", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const pki = await makePki();
  const { dir, f } = writePki(pki);
  const server = await startPython("ssl_peer.py", ["server", f.serverCert, f.serverKey, f.ca, "1"]);
  const uri = String(server.first["uri"]);
  const good = new PyroProxy(uri, { tlsCa: pki.ca, tlsCert: pki.clientCert, tlsKey: pki.clientKey, timeoutMs: 10_000 });
  const noCert = new PyroProxy(uri, { tlsCa: pki.ca, timeoutMs: 5_000 });
  const wrongCa = new PyroProxy(uri, { tlsCa: pki.otherCa, tlsCert: pki.clientCert, tlsKey: pki.clientKey, timeoutMs: 5_000 });
  t.after(async () => {
    await good.close();
    await noCert.close();
    await wrongCa.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(await good.invoke("get_data", ["tls"]), "You got remote data => tls");
  assert.deepEqual(await good.invoke("echo", [[1, "x"]]), [1, "x"]);
  // a Python daemon refuses a missing client certificate in the TLS handshake: a SecurityError here
  await assert.rejects(noCert.invoke("echo", [1]), (e: unknown) => e instanceof SecurityError && e.phase === "connect");
  await assert.rejects(wrongCa.invoke("echo", [1]), (e: unknown) => e instanceof SecurityError && /certificate|TLS/i.test(e.message));
});
