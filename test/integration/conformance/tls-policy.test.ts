/**
 * Conformance: one TLS policy for every protocol (core/tls). A server that
 * requires client certificates refuses a client without one and one whose
 * subject fields do not match verifyFields (a SecurityError on the client,
 * the reason only in the server log); accepts the right client; never
 * negotiates below TLS 1.2; the service sees the client's certificate.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SecurityError, callContext } from "../../../src/index.js";
import { ConformanceService, PROTOCOLS, testPki, type Pki, type Served } from "./protocols.js";

class WhoService extends ConformanceService {
  who(): string | null {
    return callContext()?.clientCertificate?.subject["commonName"] ?? null;
  }
}

for (const p of PROTOCOLS) {
  describe(`${p.name}: TLS policy`, () => {
    let pki: Pki;
    let required: Served;
    let fields: Served;
    before(async () => {
      pki = await testPki();
      const server = { tlsKey: pki.serverKey, tlsCert: pki.serverCert, tlsCa: pki.ca, tlsClientCert: "required" };
      required = await p.serve(new WhoService(), { name: "Required", props: server });
      fields = await p.serve(new WhoService(), { name: "Fields", props: { ...server, tlsVerifyFields: JSON.stringify({ commonName: "My Client", organizationName: "My Company" }) } });
    });
    after(async () => {
      await required.stop();
      await fields.stop();
    });

    const client = (withCert: "sample" | "other" | "none"): Record<string, unknown> => ({
      tlsCa: pki.ca,
      ...(withCert === "sample" ? { tlsCert: pki.clientCert, tlsKey: pki.clientKey } : {}),
      ...(withCert === "other" ? { tlsCert: pki.otherClientCert, tlsKey: pki.otherClientKey } : {}),
      timeoutMs: "5s",
    });

    it("a client with a trusted certificate is served, and the service sees its subject", { skip: p.skip?.serverClientCertificates }, async () => {
      const f = p.factory(required.url, client("sample"));
      assert.equal(await f.who(), "My Client");
    });

    it("a client without a certificate is refused with a SecurityError", async () => {
      const f = p.factory(required.url, client("none"));
      await assert.rejects(f.echo(1), (err: unknown) => {
        assert.ok(err instanceof SecurityError, String(err));
        return true;
      });
    });

    it("verifyFields: matching subject fields are served, others refused with a SecurityError", { skip: p.skip?.serverClientCertificates }, async () => {
      assert.equal(await p.factory(fields.url, client("sample")).who(), "My Client");
      await assert.rejects(p.factory(fields.url, client("other")).echo(1), (err: unknown) => err instanceof SecurityError);
    });

    it("a client that does not trust the server's CA refuses it", async () => {
      const f = p.factory(required.url, { tlsCert: pki.clientCert, tlsKey: pki.clientKey, timeoutMs: "5s" });
      await assert.rejects(f.echo(1), (err: unknown) => err instanceof SecurityError);
    });

    it("the server's host name is checked unless switched off explicitly", async () => {
      const f = p.factory(required.url, { ...client("sample"), tlsServername: "not-the-server.example" });
      await assert.rejects(f.echo(1), (err: unknown) => err instanceof SecurityError);
      const g = p.factory(required.url, { ...client("sample"), tlsServername: "not-the-server.example", tlsCheckHostname: "false" });
      assert.equal(await g.echo(1), 1);
    });

    it("a server asked for TLS 1.3 only refuses a client that offers at most TLS 1.2", { skip: p.skip?.serverTlsVersion }, async () => {
      const s13 = await p.serve(new WhoService(), { name: "Only13", props: { tlsKey: pki.serverKey, tlsCert: pki.serverCert, tlsMinVersion: "TLSv1.3" } });
      try {
        assert.equal(await p.factory(s13.url, { tlsCa: pki.ca }).echo(1), 1);
        await assert.rejects(p.factory(s13.url, { tlsCa: pki.ca, tlsMaxVersion: "TLSv1.2" }).echo(1), (err: unknown) => err instanceof SecurityError);
      } finally {
        await s13.stop();
      }
    });
  });
}
