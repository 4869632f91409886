/**
 * A sample PKI for trying secure XML-RPC (`remoting pki <dir>`): the same
 * layout and subjects as Spring Python's sample keys, regenerated with sha256,
 * current validity dates and SAN entries for the server, so that modern
 * OpenSSL and our host-name check accept them.
 *
 *   SAMPLE Root CA (self-signed)
 *   └── SAMPLE Signing CA
 *       ├── server  CN=MySampleServer, SAN DNS:localhost, IP:127.0.0.1, IP:::1 (serverAuth)
 *       └── client  CN=My Client, O=My Company, ST=My State, L=My Town, OU=My Unit, C=US (clientAuth)
 *
 * THE KEYS ARE SAMPLES ONLY: they are written unencrypted and anyone who can
 * read the directory can impersonate these parties.
 */
import { webcrypto } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import "./reflect-shim.js";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A distinguished name by attribute short name, in the order it is written. */
export type SubjectFields = Partial<Record<"CN" | "O" | "OU" | "L" | "ST" | "C" | "E", string>>;

export interface ExtraClient {
  /** File name stem: `<name>-key.pem`, `<name>-cert.pem`. */
  name: string;
  subject: SubjectFields;
}

export interface SamplePkiOptions {
  /**
   * Makes an independent PKI: file names get a `<name>-` prefix and the CA
   * names say so (e.g. `OTHER Root CA`). The client certificate keeps the
   * sample subject, so it is "the same client, from another CA".
   */
  name?: string | undefined;
  /** Key type: `ec` (P-256, default, fast) or `rsa` (2048 bits). Signatures use SHA-256. */
  keyType?: "ec" | "rsa" | undefined;
  /** Validity of the leaf certificates in days (default 825); CAs get ten years. */
  days?: number | undefined;
  /** Host names and IP addresses in the server certificate's SAN (default localhost, 127.0.0.1, ::1). */
  serverNames?: readonly string[] | undefined;
  /** The client certificate's subject (default the sample's). */
  clientSubject?: SubjectFields | undefined;
  /** More client certificates from the same signing CA (for tests: same CA, other fields). */
  extraClients?: readonly ExtraClient[] | undefined;
}

/** The paths that were written. */
export interface SamplePki {
  dir: string;
  caRootKey: string;
  caRootCert: string;
  caSigningKey: string;
  caSigningCert: string;
  /** Signing CA then root CA: what both sides trust. */
  caChain: string;
  serverKey: string;
  serverCert: string;
  /** Server certificate followed by the signing CA (what a server should present). */
  serverChain: string;
  clientKey: string;
  clientCert: string;
  readme: string;
  extraClients: Record<string, { key: string; cert: string }>;
}

export const SAMPLE_CLIENT_SUBJECT: Readonly<SubjectFields> = Object.freeze({
  CN: "My Client",
  O: "My Company",
  ST: "My State",
  L: "My Town",
  OU: "My Unit",
  C: "US",
});

export const SAMPLE_PKI_WARNING =
  "THESE KEYS AND CERTIFICATES ARE SAMPLES ONLY. The private keys are stored unencrypted and are\n" +
  "not secret: use them only to learn and test secure XML-RPC, never for anything real.\n";

const DAY = 86_400_000;
const KEY_ORDER: ReadonlyArray<keyof SubjectFields> = ["C", "ST", "L", "O", "OU", "CN", "E"];

function jsonName(fields: SubjectFields): x509.JsonName {
  const out: x509.JsonName = [];
  for (const k of KEY_ORDER) {
    const v = fields[k];
    if (v !== undefined) out.push({ [k]: [v] });
  }
  return out;
}

async function keyPair(type: "ec" | "rsa"): Promise<CryptoKeyPair> {
  const alg =
    type === "rsa"
      ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
      : { name: "ECDSA", namedCurve: "P-256" };
  return (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
}

function signingAlg(type: "ec" | "rsa"): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return type === "rsa" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", hash: "SHA-256" };
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f;
  return Buffer.from(b).toString("hex");
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function issue(
  type: "ec" | "rsa",
  subject: SubjectFields,
  issuer: Issued | undefined,
  notAfter: Date,
  kind: "root" | "ca" | "server" | "client",
  sans: readonly string[] = [],
): Promise<Issued> {
  const keys = await keyPair(type);
  const now = Date.now();
  const exts: x509.Extension[] = [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)];
  if (issuer) exts.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  if (kind === "root" || kind === "ca") {
    exts.push(new x509.BasicConstraintsExtension(true, kind === "ca" ? 0 : undefined, true));
    exts.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else {
    exts.push(new x509.BasicConstraintsExtension(false, undefined, true));
    exts.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (type === "rsa" ? x509.KeyUsageFlags.keyEncipherment : 0), true));
    exts.push(new x509.ExtendedKeyUsageExtension([kind === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false));
    if (sans.length > 0) {
      exts.push(
        new x509.SubjectAlternativeNameExtension(
          sans.map((n) => (IPV4.test(n) || n.includes(":") ? { type: "ip" as const, value: n } : { type: "dns" as const, value: n })),
          false,
        ),
      );
    }
  }
  const name = jsonName(subject);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: name,
    issuer: issuer ? issuer.cert.subjectName : name,
    notBefore: new Date(now - DAY),
    notAfter,
    signingAlgorithm: signingAlg(type),
    publicKey: keys.publicKey,
    signingKey: issuer ? issuer.keys.privateKey : keys.privateKey,
    extensions: exts,
  });
  return { cert, keys };
}

function pem(cert: x509.X509Certificate): string {
  return cert.toString("pem") + "\n";
}

/**
 * Writes a sample PKI into `dir` (created if needed): ca-root-key.pem,
 * ca-root-cert.pem, ca-signing-key.pem, ca-signing-cert.pem, ca-chain.pem,
 * server-key.pem, server-cert.pem, server-chain.pem, client-key.pem,
 * client-cert.pem and README.txt. Keys are written with mode 0600.
 */
export async function createSamplePki(dir: string, options: SamplePkiOptions = {}): Promise<SamplePki> {
  const type = options.keyType ?? "ec";
  const prefix = options.name ? `${options.name}-` : "";
  const label = options.name ? options.name.toUpperCase() : "SAMPLE";
  const days = options.days ?? 825;
  if (!Number.isFinite(days) || days <= 0) throw new RangeError("days must be a positive number");
  const now = Date.now();
  const caUntil = new Date(now + 3650 * DAY);
  const leafUntil = new Date(now + days * DAY);

  const org = { OU: "My Unit", O: "My Company", L: "My Town", ST: "My State", C: "US" };
  const root = await issue(type, { ...org, CN: `${label} Root CA` }, undefined, caUntil, "root");
  const signing = await issue(type, { OU: "My Unit", O: "My Company", ST: "My State", C: "US", CN: `${label} Signing CA` }, root, caUntil, "ca");
  const server = await issue(
    type,
    { ...org, CN: "MySampleServer" },
    signing,
    leafUntil,
    "server",
    options.serverNames ?? ["localhost", "127.0.0.1", "::1"],
  );
  const client = await issue(type, options.clientSubject ?? SAMPLE_CLIENT_SUBJECT, signing, leafUntil, "client");

  await mkdir(dir, { recursive: true });
  const p = (f: string) => join(dir, prefix + f);
  const out: SamplePki = {
    dir,
    caRootKey: p("ca-root-key.pem"),
    caRootCert: p("ca-root-cert.pem"),
    caSigningKey: p("ca-signing-key.pem"),
    caSigningCert: p("ca-signing-cert.pem"),
    caChain: p("ca-chain.pem"),
    serverKey: p("server-key.pem"),
    serverCert: p("server-cert.pem"),
    serverChain: p("server-chain.pem"),
    clientKey: p("client-key.pem"),
    clientCert: p("client-cert.pem"),
    readme: p("README.txt"),
    extraClients: {},
  };
  const key = async (file: string, k: CryptoKey) => {
    await writeFile(file, await keyPem(k), { mode: 0o600 });
    await chmod(file, 0o600);
  };
  await key(out.caRootKey, root.keys.privateKey);
  await key(out.caSigningKey, signing.keys.privateKey);
  await key(out.serverKey, server.keys.privateKey);
  await key(out.clientKey, client.keys.privateKey);
  await writeFile(out.caRootCert, pem(root.cert));
  await writeFile(out.caSigningCert, pem(signing.cert));
  await writeFile(out.caChain, pem(signing.cert) + pem(root.cert));
  await writeFile(out.serverCert, pem(server.cert));
  await writeFile(out.serverChain, pem(server.cert) + pem(signing.cert));
  await writeFile(out.clientCert, pem(client.cert));
  for (const extra of options.extraClients ?? []) {
    if (!/^[A-Za-z0-9_.-]+$/.test(extra.name)) throw new RangeError(`bad extra client name '${extra.name}'`);
    const c = await issue(type, extra.subject, signing, leafUntil, "client");
    const files = { key: p(`${extra.name}-key.pem`), cert: p(`${extra.name}-cert.pem`) };
    await key(files.key, c.keys.privateKey);
    await writeFile(files.cert, pem(c.cert));
    out.extraClients[extra.name] = files;
  }
  await writeFile(
    out.readme,
    SAMPLE_PKI_WARNING +
      "\n" +
      `${prefix}ca-root-cert.pem / ${prefix}ca-root-key.pem        ${label} Root CA (self-signed)\n` +
      `${prefix}ca-signing-cert.pem / ${prefix}ca-signing-key.pem  ${label} Signing CA, signed by the root\n` +
      `${prefix}ca-chain.pem        the signing CA and the root CA: what both sides trust (caCerts)\n` +
      `${prefix}server-cert.pem / ${prefix}server-key.pem  the server (SAN ${(options.serverNames ?? ["localhost", "127.0.0.1", "::1"]).join(", ")})\n` +
      `${prefix}server-chain.pem    the server certificate followed by the signing CA\n` +
      `${prefix}client-cert.pem / ${prefix}client-key.pem  the client (${formatSubject(options.clientSubject ?? SAMPLE_CLIENT_SUBJECT)})\n`,
  );
  return out;
}

function formatSubject(s: SubjectFields): string {
  return Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}
