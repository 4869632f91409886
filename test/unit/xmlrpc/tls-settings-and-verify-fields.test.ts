/**
 * The TLS helpers XML-RPC used to own live in core/tls; the xmlrpc module
 * re-exports the public ones under their former names.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTlsErrorCode } from "../../../src/core/errors.js";
import { parseTlsVersion, parseVerifyFields } from "../../../src/core/tls.js";
import { LONG_TO_SHORT, checkSubjectFields, normalizeCertRequirement, subjectToLongNames } from "../../../src/protocols/xmlrpc/index.js";

describe("TLS settings", () => {
  it("accepts our and Python's names for certificate requirements", () => {
    for (const [input, want] of [
      ["none", "none"],
      ["CERT_NONE", "none"],
      ["ssl.CERT_OPTIONAL", "optional"],
      ["optional", "optional"],
      ["CERT_REQUIRED", "required"],
      [2, "required"],
      ["0", "none"],
    ] as const) {
      assert.equal(normalizeCertRequirement(input, "none"), want, String(input));
    }
    assert.equal(normalizeCertRequirement(undefined, "required"), "required");
    assert.throws(() => normalizeCertRequirement("sometimes", "none"), { code: "ERR_CONFIG_INVALID_VALUE" });
  });

  it("refuses the original's PROTOCOL_TLSv1 and anything else below TLS 1.2 at configuration time", () => {
    assert.equal(parseTlsVersion("ssl.PROTOCOL_TLSv1_2"), "TLSv1.2");
    assert.equal(parseTlsVersion("TLSv1.3"), "TLSv1.3");
    for (const old of ["PROTOCOL_TLSv1", "TLSv1.1", "PROTOCOL_SSLv3"]) assert.throws(() => parseTlsVersion(old, "ssl_version"), { code: "ERR_CONFIG_INVALID_VALUE", message: /ssl_version .* is refused/ });
    assert.throws(() => parseTlsVersion("TLSv9"), { code: "ERR_CONFIG_INVALID_VALUE" });
  });

  it("classifies Node's TLS error codes", () => {
    for (const c of ["ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "ERR_TLS_CERT_ALTNAME_INVALID", "DEPTH_ZERO_SELF_SIGNED_CERT", "EPROTO"]) {
      assert.ok(isTlsErrorCode(c), c);
    }
    for (const c of ["ECONNRESET", "ECONNREFUSED", undefined]) assert.ok(!isTlsErrorCode(c), String(c));
  });
});

describe("verifyFields", () => {
  const subject = subjectToLongNames({ C: "US", ST: "My State", L: "My Town", O: "My Company", OU: ["First Unit", "My Unit"], CN: "My Client" });

  it("maps Node's short subject keys to RFC 3280 long names; a repeated attribute keeps its last value", () => {
    assert.deepEqual(subject, {
      countryName: "US",
      stateOrProvinceName: "My State",
      localityName: "My Town",
      organizationName: "My Company",
      organizationalUnitName: "My Unit",
      commonName: "My Client",
    });
    assert.equal(LONG_TO_SHORT["emailAddress"], "emailAddress");
    assert.deepEqual(subjectToLongNames({ GN: "Ann", UID: "a1", weird: "x" }), { givenName: "Ann", userId: "a1", weird: "x" });
  });

  it("accepts the seed's long names, short names, a Map or JSON text", () => {
    assert.deepEqual(parseVerifyFields({ commonName: "My Client", O: "My Company" }), { commonName: "My Client", organizationName: "My Company" });
    assert.deepEqual(parseVerifyFields(new Map([["stateOrProvinceName", "My State"]])), { stateOrProvinceName: "My State" });
    assert.deepEqual(parseVerifyFields('{"CN":"My Client"}'), { commonName: "My Client" });
    assert.equal(parseVerifyFields({}), undefined);
    assert.equal(parseVerifyFields(undefined), undefined);
    assert.throws(() => parseVerifyFields({ commonName: { nested: 1 } }), { code: "ERR_CONFIG_INVALID_VALUE" });
  });

  it("passes when every field is there with exactly that value, and says why otherwise", () => {
    assert.equal(checkSubjectFields(subject, { commonName: "My Client", organizationName: "My Company", stateOrProvinceName: "My State" }), undefined);
    assert.match(checkSubjectFields(subject, { FOO: "BAR" }) ?? "", /^Peer didn't send the 'FOO' field/);
    assert.match(checkSubjectFields(subject, { commonName: "Invalid" }) ?? "", /^Expected the subject field 'commonName' to have value 'Invalid' instead of 'My Client'/);
    assert.match(checkSubjectFields(subject, { commonName: "my client" }) ?? "", /instead of 'My Client'/, "case-sensitive");
    assert.match(checkSubjectFields({ ...subject, commonName: "" }, { commonName: "" }) ?? "", /didn't send/, "empty counts as missing");
  });
});
