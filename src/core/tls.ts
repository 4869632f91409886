/**
 * TLS settings, once for every protocol, client and server.
 *
 * One vocabulary of properties (`tlsKey`, `tlsCert`, `tlsCa`,
 * `tlsClientCert`, `tlsVerifyFields`, `tlsCheckHostname`, `tlsServername`,
 * `tlsMinVersion`, `tlsMaxVersion`, `tlsCiphers`, `tlsVerifyServer`), parsed
 * strictly, with each protocol's historic spellings as aliases; one reader
 * that turns them into Node's options; one check of a client certificate
 * (presence, chain, Spring Python's `verifyFields`) for every server.
 *
 * Never below TLS 1.2: an older version is refused when it is configured
 * (TLS 1.0/1.1 are deprecated by RFC 8996), whatever the cipher list says.
 */
import { readFileSync } from "node:fs";
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate, type TLSSocket, type TlsOptions } from "node:tls";
import { ConfigError, ErrorCodes, errorMessage } from "./errors.js";
import { parseBoolean, parseEnum, parseStringMap } from "./config/values.js";
import type { PropertySpec } from "./config/properties.js";

export type CertRequirement = "none" | "optional" | "required";
/** Our names, Python's names (`CERT_REQUIRED`, `ssl.CERT_REQUIRED`) and Python's numbers (0, 1, 2). */
export type CertRequirementInput = CertRequirement | "CERT_NONE" | "CERT_OPTIONAL" | "CERT_REQUIRED" | 0 | 1 | 2 | string | number;
export type TlsVersion = "TLSv1.2" | "TLSv1.3";
export type PemInput = string | Buffer;

const CERT_ALIASES: Readonly<Record<string, CertRequirement>> = Object.freeze({
  "0": "none",
  "1": "optional",
  "2": "required",
  cert_none: "none",
  cert_optional: "optional",
  cert_required: "required",
  "ssl.cert_none": "none",
  "ssl.cert_optional": "optional",
  "ssl.cert_required": "required",
});

/** Parses a certificate requirement: none, optional, required, or Python's CERT_* names and numbers. */
export function parseCertRequirement(value: unknown, what = "tlsClientCert"): CertRequirement {
  return parseEnum(value, what, ["none", "optional", "required"] as const, CERT_ALIASES);
}

/** Python's names for TLS versions and protocols, mapped onto a minimum version; older ones are refused. */
const VERSION_NAMES: Readonly<Record<string, TlsVersion | "old">> = Object.freeze({
  "tlsv1.3": "TLSv1.3",
  tlsv1_3: "TLSv1.3",
  "tls1.3": "TLSv1.3",
  "1.3": "TLSv1.3",
  "tlsv1.2": "TLSv1.2",
  tlsv1_2: "TLSv1.2",
  "tls1.2": "TLSv1.2",
  "1.2": "TLSv1.2",
  // Python's "negotiate the highest version" protocols: at least TLS 1.2 here.
  tls: "TLSv1.2",
  tls_server: "TLSv1.2",
  tls_client: "TLSv1.2",
  sslv23: "TLSv1.2",
  tlsv1: "old",
  "tlsv1.0": "old",
  "tls1.0": "old",
  "1.0": "old",
  "tlsv1.1": "old",
  tlsv1_1: "old",
  "tls1.1": "old",
  "1.1": "old",
  sslv3: "old",
  sslv2: "old",
});

/**
 * A TLS version: TLSv1.2 or TLSv1.3 (also Python's `PROTOCOL_TLSv1_2`,
 * `ssl.PROTOCOL_TLS`, ...). TLS 1.0, 1.1 and SSL are refused with a
 * configuration error.
 */
export function parseTlsVersion(value: unknown, what = "tlsMinVersion"): TlsVersion {
  const v = typeof value === "string" ? value.trim().replace(/^ssl\./i, "").replace(/^PROTOCOL_/i, "").toLowerCase() : undefined;
  const found = v !== undefined ? VERSION_NAMES[v] : undefined;
  if (found === "old") {
    throw new ConfigError(
      `${what} '${String(value)}' is refused: TLS 1.0, TLS 1.1 and SSL are obsolete (RFC 8996); use TLSv1.2 (the minimum) or TLSv1.3`,
      ErrorCodes.ERR_CONFIG_INVALID_VALUE,
    );
  }
  if (found === undefined) throw new ConfigError(`${what} must be TLSv1.2 or TLSv1.3, not '${String(value)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return found;
}

/**
 * PEM text from PEM text, a Buffer or a file path (as XML configuration
 * gives it). Text, not a Buffer: Node's https.Agent folds these options into
 * its pool key on every request, and a string costs nothing there.
 */
export function readPem(value: PemInput | undefined, what: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (typeof value !== "string") throw new ConfigError(`${what} must be PEM text or a file path`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  if (value.includes("-----BEGIN")) return value;
  try {
    return readFileSync(value, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${what} file '${value}': ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, { cause: err });
  }
}

function pemInput(value: unknown, what: string): PemInput {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === "string" && value.trim() !== "") return value;
  throw new ConfigError(`${what} must be PEM text or a file path`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

// ------------------------------------------------------------ subject fields

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

/** `verifyFields` given as an object, a Map, or JSON text; keys become long names. Undefined when empty. */
export function parseVerifyFields(value: unknown, what = "tlsVerifyFields"): Record<string, string> | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const raw = parseStringMap(value, what);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) Object.defineProperty(out, longFieldName(k), { value: v, enumerable: true, writable: true, configurable: true });
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

/** What a service may see of its caller's certificate. */
export interface PeerCertificateInfo {
  /** Subject fields under their long names (commonName, organizationName, ...). */
  subject: Record<string, string>;
  issuer: Record<string, string>;
  serialNumber: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

export function peerCertificateInfo(cert: PeerCertificate | Record<string, never> | null | undefined): PeerCertificateInfo | undefined {
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const c = cert as PeerCertificate;
  return {
    subject: subjectToLongNames(c.subject as unknown as Record<string, string | string[]>),
    issuer: subjectToLongNames(c.issuer as unknown as Record<string, string | string[]>),
    serialNumber: c.serialNumber,
    validFrom: c.valid_from,
    validTo: c.valid_to,
    fingerprint256: c.fingerprint256,
  };
}

/** A short, log-friendly description of a peer certificate. */
export function describeCert(cert: PeerCertificate | Record<string, never> | null | undefined): string {
  const info = peerCertificateInfo(cert);
  if (!info) return "None";
  return JSON.stringify({ subject: info.subject, issuer: info.issuer, serialNumber: info.serialNumber, notBefore: info.validFrom, notAfter: info.validTo, fingerprint256: info.fingerprint256 });
}

// ------------------------------------------------------------ settings

/** The TLS settings of one server or client, read from its properties. */
export interface TlsSettings {
  /** PEM texts. */
  key: string | undefined;
  cert: string | undefined;
  ca: string | undefined;
  /** Server: whether clients must present a certificate signed by `ca`. */
  clientCert: CertRequirement;
  /** Server: subject fields a client certificate must carry (long names). Client: fields the server certificate must carry. */
  verifyFields: Record<string, string> | undefined;
  /** Client: verify the server certificate's chain (default true; false is for testing only). */
  verifyServer: boolean;
  /** Client: check that the server certificate names the host connected to (default true). */
  checkHostname: boolean;
  /** Client: SNI and host name to verify instead of the URL's host. */
  servername: string | undefined;
  minVersion: TlsVersion;
  maxVersion: TlsVersion | undefined;
  ciphers: string | undefined;
}

/** The values a TLS-capable object holds (the standard properties below). */
export interface TlsConfigurable {
  tlsKey?: PemInput | undefined;
  tlsCert?: PemInput | undefined;
  tlsCa?: PemInput | undefined;
  tlsClientCert?: CertRequirement | undefined;
  tlsVerifyFields?: Record<string, string> | undefined;
  tlsVerifyServer?: boolean | undefined;
  tlsCheckHostname?: boolean | undefined;
  tlsServername?: string | undefined;
  tlsMinVersion?: TlsVersion | undefined;
  tlsMaxVersion?: TlsVersion | undefined;
  tlsCiphers?: string | undefined;
}

/** Historic spellings of the standard TLS properties, per protocol (Pyro4's SSL_*, Python's keyfile, ...). */
export type TlsAliases = Partial<Record<keyof TlsConfigurable, readonly string[]>>;

/**
 * The standard TLS property declarations for a server or client class, with
 * that protocol's historic spellings as aliases. Every one is parsed strictly;
 * a bad certificate requirement or version fails at configuration time.
 */
export function tlsProperties(side: "server" | "client", aliases: TlsAliases = {}): Record<string, PropertySpec<any>> {
  const a = (k: keyof TlsConfigurable): { aliases?: readonly string[] } => (aliases[k] ? { aliases: aliases[k] } : {});
  const common: Record<string, PropertySpec<any>> = {
    tlsKey: { type: "PEM or file", doc: side === "server" ? "the server's private key (PEM text or a file path); with tlsCert it turns TLS on" : "the client's private key for mutual TLS (PEM text or a file path)", parse: (v, n) => pemInput(v, n), secret: true, connection: true, ...a("tlsKey") },
    tlsCert: { type: "PEM or file", doc: side === "server" ? "the server's certificate chain (PEM text or a file path); with tlsKey it turns TLS on" : "the client's certificate chain for mutual TLS", parse: (v, n) => pemInput(v, n), connection: true, ...a("tlsCert") },
    tlsCa: { type: "PEM or file", doc: side === "server" ? "CAs trusted for client certificates" : "CAs trusted for the server certificate (default: Node's bundled roots)", parse: (v, n) => pemInput(v, n), connection: true, ...a("tlsCa") },
    tlsVerifyFields: { type: "map", doc: side === "server" ? "subject fields a client certificate must carry, with these exact values (Spring Python's verify_fields; RFC 3280 long or short names)" : "subject fields the server certificate must carry", parse: (v, n) => parseVerifyFields(v, n), connection: true, ...a("tlsVerifyFields") },
    tlsMinVersion: { type: "TLSv1.2 | TLSv1.3", doc: "lowest TLS version; older versions are refused at configuration time", default: "TLSv1.2", parse: (v, n) => parseTlsVersion(v, n), connection: true, ...a("tlsMinVersion") },
    tlsMaxVersion: { type: "TLSv1.2 | TLSv1.3", doc: "highest TLS version (default: Node's, TLSv1.3)", parse: (v, n) => parseTlsVersion(v, n), connection: true, ...a("tlsMaxVersion") },
    tlsCiphers: { type: "string", doc: "OpenSSL cipher list (default: Node's)", parse: (v, n) => (typeof v === "string" && v.trim() !== "" ? v : (() => { throw new ConfigError(`${n} must be a cipher list`, ErrorCodes.ERR_CONFIG_INVALID_VALUE); })()), connection: true, ...a("tlsCiphers") },
  };
  if (side === "server") {
    common["tlsClientCert"] = {
      type: "none | optional | required",
      doc: "whether clients must present a certificate signed by tlsCa (Python's CERT_NONE/CERT_OPTIONAL/CERT_REQUIRED accepted); optional still refuses a presented certificate that does not verify",
      default: "none",
      parse: (v, n) => parseCertRequirement(v, n),
      connection: true,
      ...a("tlsClientCert"),
    };
  } else {
    common["tlsVerifyServer"] = {
      type: "boolean",
      doc: "verify the server certificate's chain; false is for testing only (also certRequirement none)",
      default: true,
      parse: parseBoolean,
      connection: true,
      ...a("tlsVerifyServer"),
    };
    common["tlsCheckHostname"] = { type: "boolean", doc: "check that the server certificate names the host connected to (the opt-out is explicit)", default: true, parse: parseBoolean, connection: true, ...a("tlsCheckHostname") };
    common["tlsServername"] = { type: "string", doc: "SNI and host name to verify instead of the URL's host", parse: (v, n) => (typeof v === "string" && v !== "" ? v : (() => { throw new ConfigError(`${n} must be a host name`, ErrorCodes.ERR_CONFIG_INVALID_VALUE); })()), connection: true, ...a("tlsServername") };
  }
  return common;
}

/** A boolean "require a client certificate" property (Pyro4's SSL_REQUIRECLIENTCERT, Hessian's requestClientCert) stored as tlsClientCert. */
export function requireClientCertAlias(doc: string): PropertySpec<CertRequirement> & { aliasOf: string } {
  return { type: "boolean", doc, aliasOf: "tlsClientCert", parse: (v, n) => (parseBoolean(v, n) ? "required" : "none") };
}

/** A boolean "verify the server" property (rejectUnauthorized) stored as tlsVerifyServer. */
export function verifyServerAlias(doc: string): PropertySpec<boolean> & { aliasOf: string } {
  return { type: "boolean", doc, aliasOf: "tlsVerifyServer", parse: parseBoolean };
}

/**
 * Reads the TLS settings of an object with the standard properties.
 * Server: undefined when neither tlsKey nor tlsCert is set (plain TCP);
 * either without the other is a configuration error, and so is a client
 * certificate requirement without tlsCa. Client: always settings (used for
 * https: and TLS URLs); key and cert go together.
 */
export function readTlsSettings(o: TlsConfigurable, side: "server" | "client"): TlsSettings | undefined {
  const key = readPem(o.tlsKey, "tlsKey");
  const cert = readPem(o.tlsCert, "tlsCert");
  const ca = readPem(o.tlsCa, "tlsCa");
  if ((key === undefined) !== (cert === undefined)) {
    throw new ConfigError(side === "server" ? "TLS needs both a key and a certificate (tlsKey and tlsCert)" : "a client certificate needs both tlsKey and tlsCert", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
  }
  const clientCert = side === "server" ? (o.tlsClientCert ?? "none") : "none";
  if (side === "server" && key === undefined) {
    if (clientCert !== "none" || o.tlsVerifyFields !== undefined) {
      throw new ConfigError("a client certificate requirement (tlsClientCert, tlsVerifyFields) needs TLS: set tlsKey and tlsCert", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
    }
    return undefined;
  }
  if (side === "server" && clientCert !== "none" && ca === undefined) {
    throw new ConfigError(`tlsClientCert '${clientCert}' needs tlsCa, the CAs that sign client certificates`, ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE);
  }
  if (side === "server" && o.tlsVerifyFields !== undefined && clientCert === "none") {
    throw new ConfigError("tlsVerifyFields checks client certificates: set tlsClientCert to required (or optional)", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  // parsed again: settings may come from a plain options object that no property parsed (never below TLS 1.2)
  const min = o.tlsMinVersion === undefined ? "TLSv1.2" : parseTlsVersion(o.tlsMinVersion, "tlsMinVersion");
  const max = o.tlsMaxVersion === undefined ? undefined : parseTlsVersion(o.tlsMaxVersion, "tlsMaxVersion");
  if (max === "TLSv1.2" && min === "TLSv1.3") throw new ConfigError("tlsMaxVersion TLSv1.2 is below tlsMinVersion TLSv1.3", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return {
    key,
    cert,
    ca,
    clientCert,
    verifyFields: o.tlsVerifyFields,
    verifyServer: o.tlsVerifyServer ?? true,
    checkHostname: o.tlsCheckHostname ?? true,
    servername: o.tlsServername,
    minVersion: min,
    maxVersion: max,
    ciphers: o.tlsCiphers,
  };
}

/** Node's options for `tls.createServer` / `https.createServer`. The certificate check itself is `checkClient`. */
export function serverTlsOptions(s: TlsSettings): TlsOptions {
  return {
    key: s.key,
    cert: s.cert,
    ...(s.ca !== undefined ? { ca: s.ca } : {}),
    requestCert: s.clientCert !== "none",
    // required: OpenSSL refuses a missing or unverifiable certificate in the handshake.
    // optional: the handshake lets it through and checkClient refuses a presented certificate that does not verify.
    rejectUnauthorized: s.clientCert === "required",
    minVersion: parseTlsVersion(s.minVersion),
    ...(s.maxVersion ? { maxVersion: parseTlsVersion(s.maxVersion, "tlsMaxVersion") } : {}),
    ...(s.ciphers ? { ciphers: s.ciphers } : {}),
  };
}

/**
 * Checks a client's TLS connection against the server's settings, after the
 * handshake: undefined when it may go on, else the reason to drop it (log
 * the reason; never send it to the client). Covers `optional` (a presented
 * certificate must verify), `required` and `verifyFields`.
 */
export function checkClient(socket: TLSSocket, s: TlsSettings): string | undefined {
  if (s.clientCert === "none") return undefined;
  const cert = socket.getPeerCertificate();
  const presented = cert !== null && cert !== undefined && Object.keys(cert).length > 0;
  // verifyFields cannot be checked without a certificate: refused in optional mode too (never fails open)
  if (!presented) return s.clientCert === "required" || s.verifyFields !== undefined ? "no client certificate was presented" : undefined;
  if (!socket.authorized) return `the client certificate does not verify: ${String(socket.authorizationError ?? "unknown error")}`;
  if (s.verifyFields) {
    const subject = subjectToLongNames(cert.subject as unknown as Record<string, string | string[]>);
    return checkSubjectFields(subject, s.verifyFields);
  }
  return undefined;
}

/** Node's options for `tls.connect` / `https.request` to `host`. */
export function clientTlsOptions(s: TlsSettings, host: string | undefined): ConnectionOptions {
  const isIp = host !== undefined && /^[\d.]+$|:/.test(host);
  const out: ConnectionOptions = {
    minVersion: parseTlsVersion(s.minVersion),
    rejectUnauthorized: s.verifyServer,
    ...(s.maxVersion ? { maxVersion: parseTlsVersion(s.maxVersion, "tlsMaxVersion") } : {}),
    ...(s.ciphers ? { ciphers: s.ciphers } : {}),
    ...(s.ca !== undefined ? { ca: s.ca } : {}),
    ...(s.key !== undefined ? { key: s.key, cert: s.cert } : {}),
  };
  const servername = s.servername ?? (host !== undefined && !isIp ? host : undefined);
  if (servername !== undefined) out.servername = servername;
  const fields = s.verifyFields;
  if (!s.checkHostname || fields) {
    out.checkServerIdentity = (hostname, cert) => {
      if (s.checkHostname) {
        const err = checkServerIdentity(s.servername ?? hostname, cert);
        if (err) return err;
      }
      if (fields) {
        const reason = checkSubjectFields(subjectToLongNames(cert.subject as unknown as Record<string, string | string[]>), fields);
        if (reason) return Object.assign(new Error(`server certificate refused: ${reason}`), { code: "ERR_TLS_CERT_FIELDS" });
      }
      return undefined;
    };
  }
  return out;
}

/**
 * Whether a TLS client error is only a peer that connected and went away
 * without starting a handshake (a port scanner, a health check, a load
 * balancer's probe): servers log that at debug level, with the address,
 * and keep warnings for real handshake failures.
 */
export function isSilentDisconnect(err: unknown, socket: { bytesRead?: number } | undefined): boolean {
  const code = (err as { code?: unknown }).code;
  const msg = err instanceof Error ? err.message : String(err);
  const droppedEarly = code === "ECONNRESET" || code === "EPIPE" || /socket hang up|disconnected before secure TLS connection|before TLS handshake/i.test(msg);
  return droppedEarly && (socket?.bytesRead ?? 0) === 0;
}

/**
 * The standard TLS properties of a server class, as TypeScript sees them
 * (`tlsProperties("server")` declares them at run time). A class gets the
 * types by declaration merging: `export interface MyExporter extends TlsServerProperties {}`.
 */
export interface TlsServerProperties {
  tlsKey: PemInput | undefined;
  tlsCert: PemInput | undefined;
  tlsCa: PemInput | undefined;
  tlsClientCert: CertRequirement;
  tlsVerifyFields: Record<string, string> | undefined;
  tlsMinVersion: TlsVersion;
  tlsMaxVersion: TlsVersion | undefined;
  tlsCiphers: string | undefined;
}

/** The standard TLS properties of a client class (`tlsProperties("client")`), for declaration merging. */
export interface TlsClientProperties {
  tlsKey: PemInput | undefined;
  tlsCert: PemInput | undefined;
  tlsCa: PemInput | undefined;
  tlsVerifyServer: boolean;
  tlsCheckHostname: boolean;
  tlsServername: string | undefined;
  tlsVerifyFields: Record<string, string> | undefined;
  tlsMinVersion: TlsVersion;
  tlsMaxVersion: TlsVersion | undefined;
  tlsCiphers: string | undefined;
}
