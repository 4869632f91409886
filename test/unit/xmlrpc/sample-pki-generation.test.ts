import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SAMPLE_PKI_WARNING, createSamplePki, type SamplePki } from "../../../src/pki/index.js";
// after src/pki, which installs the Reflect metadata functions @peculiar/x509 needs
import * as x509 from "@peculiar/x509";

function certs(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
}

describe("createSamplePki", () => {
  let dir: string;
  let pki: SamplePki;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "remoting-pki-"));
    pki = await createSamplePki(dir, { extraClients: [{ name: "stranger", subject: { CN: "Someone Else", O: "My Company" } }] });
    await createSamplePki(dir, { name: "other" });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("writes the seed's file names, keys readable only by the owner, and a samples-only warning", async () => {
    const files = await readdir(dir);
    for (const f of ["ca-root-key.pem", "ca-root-cert.pem", "ca-signing-key.pem", "ca-signing-cert.pem", "ca-chain.pem", "server-key.pem", "server-cert.pem", "client-key.pem", "client-cert.pem", "README.txt"]) {
      assert.ok(files.includes(f), f);
      assert.ok(files.includes(`other-${f}`), `other-${f}`);
    }
    for (const k of [pki.caRootKey, pki.serverKey, pki.clientKey]) {
      assert.equal((await stat(k)).mode & 0o777, 0o600, k);
      assert.doesNotThrow(() => createPrivateKey(readFileSync(k, "utf8")));
    }
    assert.ok((await readFile(pki.readme, "utf8")).startsWith(SAMPLE_PKI_WARNING));
  });

  it("builds root -> signing CA -> server and client, signed with SHA-256", async () => {
    const [root] = certs(await readFile(pki.caRootCert, "utf8"));
    const [signing] = certs(await readFile(pki.caSigningCert, "utf8"));
    const [server] = certs(await readFile(pki.serverCert, "utf8"));
    const [client] = certs(await readFile(pki.clientCert, "utf8"));
    assert.ok(root && signing && server && client);
    assert.ok(root.verify(root.publicKey));
    assert.ok(signing.verify(root.publicKey));
    assert.ok(server.verify(signing.publicKey));
    assert.ok(client.verify(signing.publicKey));
    assert.ok(signing.checkIssued(root) && server.checkIssued(signing) && client.checkIssued(signing));
    assert.equal(root.ca, true);
    assert.equal(signing.ca, true);
    assert.equal(server.ca, false);
    assert.match(root.subject, /CN=SAMPLE Root CA/);
    assert.match(signing.subject, /CN=SAMPLE Signing CA/);
    assert.ok(new Date(client.validTo).getTime() > Date.now() + 365 * 86_400_000);
    const chain = certs(await readFile(pki.caChain, "utf8"));
    assert.deepEqual(chain.map((c) => c.fingerprint256), [signing.fingerprint256, root.fingerprint256]);
    for (const file of [pki.caRootCert, pki.caSigningCert, pki.serverCert, pki.clientCert]) {
      const parsed = new x509.X509Certificate(await readFile(file, "utf8"));
      assert.deepEqual(parsed.signatureAlgorithm, { name: "ECDSA", hash: { name: "SHA-256" } }, file);
    }
    const eku = (file: string) => new x509.X509Certificate(readFileSync(file, "utf8")).getExtension(x509.ExtendedKeyUsageExtension)?.usages;
    assert.deepEqual(Array.from(eku(pki.clientCert) ?? [], String), [x509.ExtendedKeyUsage.clientAuth]);
    assert.deepEqual(Array.from(eku(pki.serverCert) ?? [], String), [x509.ExtendedKeyUsage.serverAuth]);
  });

  it("gives the server SAN entries for localhost, 127.0.0.1 and ::1", async () => {
    const [server] = certs(await readFile(pki.serverCert, "utf8"));
    assert.equal(server!.checkHost("localhost"), "localhost");
    assert.equal(server!.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(server!.checkIP("::1"), "::1");
    assert.equal(server!.checkHost("example.com"), undefined);
  });

  it("gives the client the seed's subject, and extra clients their own", async () => {
    const [client] = certs(await readFile(pki.clientCert, "utf8"));
    const subject = Object.fromEntries(client!.subject.split("\n").map((l) => l.split("=") as [string, string]));
    assert.deepEqual(subject, { C: "US", ST: "My State", L: "My Town", O: "My Company", OU: "My Unit", CN: "My Client" });
    const [stranger] = certs(await readFile(pki.extraClients["stranger"]!.cert, "utf8"));
    assert.match(stranger!.subject, /CN=Someone Else/);
  });

  it("makes the 'other' PKI independent: same client subject, a CA the sample does not trust", async () => {
    const [otherClient] = certs(await readFile(join(dir, "other-client-cert.pem"), "utf8"));
    const [signing] = certs(await readFile(pki.caSigningCert, "utf8"));
    const [otherSigning] = certs(await readFile(join(dir, "other-ca-signing-cert.pem"), "utf8"));
    assert.match(otherClient!.subject, /CN=My Client/);
    assert.match(otherSigning!.subject, /CN=OTHER Signing CA/);
    assert.equal(otherClient!.checkIssued(signing!), false);
    assert.equal(otherClient!.verify(signing!.publicKey), false);
  });
});
