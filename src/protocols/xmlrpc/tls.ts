/**
 * TLS settings shared by the secure server and client: certificate
 * requirements in Spring Python's and our spelling, TLS versions, PEM files,
 * and the subject-field check (`verifyFields`) with RFC 3280 long names.
 */
import { readFileSync } from "node:fs";
import type { PeerCertificate } from "node:tls";
import { ConfigError, ErrorCodes, errorMessage } from "../../core/errors.js";
import type { Logger } from "../../core/logging.js";

export type CertRequirement = "none" | "optional" | "required";
/** Our names, Python's names (`CERT_REQUIRED`, `ssl.CERT_REQUIRED`) and Python's numbers (0, 1, 2). */
export type CertRequirementInput = CertRequirement | "CERT_NONE" | "CERT_OPTIONAL" | "CERT_REQUIRED" | 0 | 1 | 2 | string | number;

export function normalizeCertRequirement(value: unknown, fallback: CertRequirement, what = "certRequirement"): CertRequirement {
  if (value === undefined || value === null || value === "") return fallback;
  const v = String(value).trim().replace(/^ssl\./i, "").toLowerCase().replace(/^cert_/, "");
  switch (v) {
    case "none":
    case "0":
      return "none";
    case "optional":
    case "1":
      return "optional";
    case "required":
    case "2":
      return "required";
  }
  throw new ConfigError(`${what} must be none, optional or required (or CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED), not '${String(value)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/**
 * Maps a TLS version or a Python `ssl_version` name to a minimum version.
 * TLS 1.0/1.1 (the original's PROTOCOL_TLSv1) and SSL are never used: they
 * give TLS 1.2 with a warning.
 */
export function minVersionFrom(value: unknown, log?: Logger): TlsVersion {
  if (value === undefined || value === null || value === "") return "TLSv1.2";
  const v = String(value).trim().replace(/^ssl\./i, "").replace(/^PROTOCOL_/i, "").toLowerCase();
  switch (v) {
    case "tlsv1.3":
    case "tlsv1_3":
    case "tls1.3":
      return "TLSv1.3";
    case "tlsv1.2":
    case "tlsv1_2":
    case "tls1.2":
    case "tls":
    case "tls_server":
    case "tls_client":
    case "sslv23":
      return "TLSv1.2";
    case "tlsv1":
    case "tlsv1.0":
    case "tlsv1.1":
    case "tlsv1_1":
    case "sslv3":
    case "sslv2":
      log?.warn("ssl version '%s' is obsolete and refused by modern OpenSSL; using TLS 1.2 or later instead", String(value));
      return "TLSv1.2";
  }
  throw new ConfigError(`unknown TLS version '${String(value)}' (use TLSv1.2 or TLSv1.3)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

/**
 * Reads a PEM file (key, certificate chain or CA list) as text. Text, not a
 * Buffer: Node's https.Agent folds these options into its connection-pool key
 * on every request, and a string costs nothing there.
 */
export function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${what} '${path}': ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, { cause: err });
  }
}

/** Parses booleans the way XML configuration gives them. */
export function coerceBoolean(value: unknown, what: string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  const s = String(value).trim().toLowerCase();
  if (s === "true" || s === "1" || s === "yes") return true;
  if (s === "false" || s === "0" || s === "no" || s === "") return false;
  throw new ConfigError(`${what} must be true or false, not '${String(value)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

/** Parses a positive number given as number or string. */
export function coercePositive(value: unknown, what: string): number {
  const n = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${what} must be a positive number, not '${String(value)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return n;
}

/** RFC 3280 / OpenSSL long attribute names (as Python and `verifyFields` spell them) to Node's subject keys. */
export const LONG_TO_SHORT: Readonly<Record<string, string>> = Object.freeze({
  countryName: "C",
  stateOrProvinceName: "ST",
  localityName: "L",
  organizationName: "O",
  organizationalUnitName: "OU",
  commonName: "CN",
  emailAddress: "emailAddress",
  serialNumber: "serialNumber",
  streetAddress: "street",
  postalCode: "postalCode",
  title: "title",
  givenName: "GN",
  surname: "SN",
  initials: "initials",
  dnQualifier: "dnQualifier",
  pseudonym: "pseudonym",
  domainComponent: "DC",
  userId: "UID",
  name: "name",
  description: "description",
  businessCategory: "businessCategory",
  jurisdictionCountryName: "jurisdictionC",
  jurisdictionStateOrProvinceName: "jurisdictionST",
  jurisdictionLocalityName: "jurisdictionL",
  organizationIdentifier: "organizationIdentifier",
  unstructuredName: "unstructuredName",
  postalAddress: "postalAddress",
  postOfficeBox: "postOfficeBox",
  generationQualifier: "generationQualifier",
});

/** Node's subject keys to long names. */
export const SHORT_TO_LONG: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(Object.entries(LONG_TO_SHORT).map(([l, s]) => [s, l])));

/** A long name for a field given as long or short name; unknown names pass unchanged. */
export function longFieldName(name: string): string {
  return SHORT_TO_LONG[name] ?? name;
}

/**
 * Node's peer subject (short keys, arrays for repeated attributes) as a dict
 * of long names. Like Spring Python, a repeated attribute keeps its last value.
 */
export function subjectToLongNames(subject: Record<string, string | string[] | undefined> | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!subject) return out;
  for (const key of Object.keys(subject)) {
    const raw = subject[key];
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (v === undefined) continue;
    Object.defineProperty(out, longFieldName(key), { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Normalizes `verifyFields` given as an object, a Map, or a JSON object string. Keys become long names. */
export function normalizeVerifyFields(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  let entries: Array<[string, unknown]>;
  if (value instanceof Map) entries = [...(value as Map<unknown, unknown>)].map(([k, v]) => [String(k), v]);
  else if (typeof value === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ConfigError("verifyFields given as text must be a JSON object", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    return normalizeVerifyFields(parsed);
  } else if (typeof value === "object" && !Array.isArray(value)) entries = Object.entries(value as Record<string, unknown>);
  else throw new ConfigError("verifyFields must be an object of subject field names to values", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (v === undefined || v === null || typeof v === "object") {
      throw new ConfigError(`verifyFields['${k}'] must be a string`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    Object.defineProperty(out, longFieldName(k), { value: String(v), enumerable: true, writable: true, configurable: true });
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Spring Python's field check. Returns undefined when every expected field is
 * present with exactly that value (case-sensitive), else the reason.
 */
export function checkSubjectFields(subject: Record<string, string>, expected: Record<string, string>): string | undefined {
  for (const [field, value] of Object.entries(expected)) {
    const actual = Object.prototype.hasOwnProperty.call(subject, field) ? subject[field] : undefined;
    if (!actual) return `Peer didn't send the '${field}' field, subject fields received '${JSON.stringify(subject)}'`;
    if (actual !== value) {
      return `Expected the subject field '${field}' to have value '${value}' instead of '${actual}', subject='${JSON.stringify(subject)}'`;
    }
  }
  return undefined;
}

/** A short, log-friendly description of a peer certificate. */
export function describeCert(cert: PeerCertificate | Record<string, never> | null | undefined): string {
  if (!cert || Object.keys(cert).length === 0) return "None";
  const c = cert as PeerCertificate;
  return JSON.stringify({
    subject: subjectToLongNames(c.subject as unknown as Record<string, string | string[]>),
    issuer: subjectToLongNames(c.issuer as unknown as Record<string, string | string[]>),
    serialNumber: c.serialNumber,
    notBefore: c.valid_from,
    notAfter: c.valid_to,
    fingerprint256: c.fingerprint256,
  });
}

/** Error codes Node and OpenSSL give for a refused TLS connection or an unverifiable certificate (defined with the error hierarchy). */
export { isTlsErrorCode } from "../../core/errors.js";
