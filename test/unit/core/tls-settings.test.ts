/**
 * The one TLS settings module: strict parsing (never below TLS 1.2, Python's
 * names for requirements), settings read from the standard properties with
 * protocols' historic aliases, and the client-certificate check shared by
 * every server.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../../src/index.js";
import { defineProperties } from "../../../src/core/config/properties.js";
import { checkSubjectFields, clientTlsOptions, parseCertRequirement, parseTlsVersion, parseVerifyFields, readTlsSettings, requireClientCertAlias, serverTlsOptions, tlsProperties, type TlsConfigurable } from "../../../src/core/tls.js";
import { testPki } from "../../integration/conformance/protocols.js";

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
class Server {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
interface Server extends TlsConfigurable {
  sslServerCert?: string;
  sslRequireClientCert?: unknown;
}
defineProperties(Server, { ...tlsProperties("server", { tlsCert: ["sslServerCert"], tlsKey: ["sslServerKey"], tlsCa: ["sslCaCerts"] }), sslRequireClientCert: requireClientCertAlias("Pyro4's SSL_REQUIRECLIENTCERT") });

describe("TLS settings", () => {
  it("refuses TLS below 1.2 at configuration time, in every spelling", () => {
    for (const old of ["TLSv1", "TLSv1.1", "PROTOCOL_TLSv1", "ssl.PROTOCOL_TLSv1_1", "SSLv3"]) {
      assert.throws(() => parseTlsVersion(old), (e: unknown) => e instanceof ConfigError && /obsolete/.test(e.message), old);
    }
    assert.equal(parseTlsVersion("TLSv1.3"), "TLSv1.3");
    assert.equal(parseTlsVersion("PROTOCOL_TLS"), "TLSv1.2");
    assert.equal(parseTlsVersion("ssl.PROTOCOL_TLSv1_2"), "TLSv1.2");
    assert.throws(() => parseTlsVersion("TLSv9"), ConfigError);
  });

  it("reads certificate requirements in our and Python's spellings", () => {
    for (const [v, want] of [["required", "required"], ["CERT_REQUIRED", "required"], ["ssl.CERT_OPTIONAL", "optional"], ["0", "none"], [2, "required"]] as const) {
      assert.equal(parseCertRequirement(v), want, String(v));
    }
    assert.throws(() => parseCertRequirement("yes"), ConfigError);
  });

  it("a historic boolean alias never fails open: yes/TRUE require certificates, a typo is refused", () => {
    const s = new Server();
    s.sslRequireClientCert = "yes";
    assert.equal(s.tlsClientCert, "required");
    s.sslRequireClientCert = "TRUE";
    assert.equal(s.tlsClientCert, "required");
    s.sslRequireClientCert = "false";
    assert.equal(s.tlsClientCert, "none");
    assert.throws(() => (s.sslRequireClientCert = "yse"), ConfigError);
  });

  it("server settings: none without keys, and refusals for half or inconsistent configurations", async () => {
    const pki = await testPki();
    assert.equal(readTlsSettings({}, "server"), undefined);
    assert.throws(() => readTlsSettings({ tlsCert: pki.serverCert }, "server"), ConfigError);
    assert.throws(() => readTlsSettings({ tlsClientCert: "required" }, "server"), /needs TLS/);
    assert.throws(() => readTlsSettings({ tlsKey: pki.serverKey, tlsCert: pki.serverCert, tlsClientCert: "required" }, "server"), /needs tlsCa/);
    assert.throws(() => readTlsSettings({ tlsKey: pki.serverKey, tlsCert: pki.serverCert, tlsCa: pki.ca, tlsVerifyFields: { commonName: "x" } }, "server"), /set tlsClientCert/);
    const s = new Server();
    s.sslServerCert = pki.serverCert;
    s.tlsKey = pki.serverKey;
    s.tlsCa = pki.ca;
    s.sslRequireClientCert = "1";
    const settings = readTlsSettings(s, "server")!;
    const opts = serverTlsOptions(settings);
    assert.equal(opts.requestCert, true);
    assert.equal(opts.rejectUnauthorized, true);
    assert.equal(opts.minVersion, "TLSv1.2");
  });

  it("client settings: the host name is checked by default; the opt-out is explicit", async () => {
    const pki = await testPki();
    const on = clientTlsOptions(readTlsSettings({ tlsCa: pki.ca }, "client")!, "localhost");
    assert.equal(on.servername, "localhost");
    assert.equal(on.checkServerIdentity, undefined);
    assert.equal(on.rejectUnauthorized, true);
    const off = clientTlsOptions(readTlsSettings({ tlsCa: pki.ca, tlsCheckHostname: false }, "client")!, "localhost");
    assert.equal(typeof off.checkServerIdentity, "function");
  });

  it("verifyFields: long or short names; every field must be there with exactly that value", () => {
    const f = parseVerifyFields({ CN: "My Client", organizationName: "My Company" })!;
    assert.deepEqual(f, { commonName: "My Client", organizationName: "My Company" });
    assert.equal(checkSubjectFields({ commonName: "My Client", organizationName: "My Company" }, f), undefined);
    assert.match(checkSubjectFields({ commonName: "My Client" }, f)!, /didn't send the 'organizationName'/);
    assert.match(checkSubjectFields({ commonName: "my client", organizationName: "My Company" }, f)!, /Expected the subject field 'commonName'/);
  });
});
