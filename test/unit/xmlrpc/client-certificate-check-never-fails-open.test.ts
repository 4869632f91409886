/**
 * SSLServer's client check builds on the core's (core/tls checkClient),
 * which must never let a client through that the settings mean to check:
 * with verifyFields and `optional`, a client without a certificate cannot
 * have its fields checked, so it is refused (it was let through).
 */
import assert from "node:assert/strict";
import type { TLSSocket } from "node:tls";
import { describe, it } from "node:test";
import { checkClient, type TlsSettings } from "../../../src/core/tls.js";

function settings(o: Partial<TlsSettings>): TlsSettings {
  return { key: "k", cert: "c", ca: "ca", clientCert: "none", verifyFields: undefined, verifyServer: true, checkHostname: true, servername: undefined, minVersion: "TLSv1.2", maxVersion: undefined, ciphers: undefined, ...o };
}

/** A TLS socket as the check sees it: the peer's certificate (empty: none presented) and whether it verified. */
function socket(cert: Record<string, unknown>, authorized: boolean, authorizationError?: string): TLSSocket {
  return { getPeerCertificate: () => cert, authorized, authorizationError } as unknown as TLSSocket;
}

const MY_CLIENT = { subject: { CN: "My Client", O: "My Company" }, issuer: { CN: "CA" }, serialNumber: "01", valid_from: "", valid_to: "", fingerprint256: "" };

describe("the client certificate check never fails open", () => {
  it("optional with verifyFields refuses a client that presents no certificate", () => {
    assert.match(checkClient(socket({}, false), settings({ clientCert: "optional", verifyFields: { commonName: "My Client" } })) ?? "", /no client certificate/);
  });

  it("optional without verifyFields accepts no certificate, and refuses one that does not verify", () => {
    assert.equal(checkClient(socket({}, false), settings({ clientCert: "optional" })), undefined);
    assert.match(checkClient(socket(MY_CLIENT, false, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"), settings({ clientCert: "optional" })) ?? "", /does not verify: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it("required refuses no certificate; verifyFields compares the subject's long names", () => {
    assert.match(checkClient(socket({}, false), settings({ clientCert: "required" })) ?? "", /no client certificate/);
    assert.equal(checkClient(socket(MY_CLIENT, true), settings({ clientCert: "required", verifyFields: { commonName: "My Client", organizationName: "My Company" } })), undefined);
    assert.match(checkClient(socket(MY_CLIENT, true), settings({ clientCert: "required", verifyFields: { commonName: "Someone" } })) ?? "", /Expected the subject field 'commonName'/);
  });
});
