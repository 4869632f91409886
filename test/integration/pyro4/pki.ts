/** Test certificates for the Pyro TLS tests, made with the project's own sample PKI generator. */
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSamplePki } from "../../../src/pki/index.js";

export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: a peer trusting only it must refuse our certificates. */
  otherCa: string;
  /** A client certificate of the same CA with other subject fields (CN=Other Client, O=My Company). */
  otherClientCert: string;
  otherClientKey: string;
}

export async function makePki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), "remoting-pyro-pki-"));
  const pki = await createSamplePki(dir, { extraClients: [{ name: "otherclient", subject: { CN: "Other Client", O: "My Company" } }] });
  const other = await createSamplePki(dir, { name: "other" });
  const read = (f: string) => readFileSync(f, "utf8");
  return {
    ca: read(pki.caChain),
    serverCert: read(pki.serverCert),
    serverKey: read(pki.serverKey),
    clientCert: read(pki.clientCert),
    clientKey: read(pki.clientKey),
    otherCa: read(other.caChain),
    otherClientCert: read(pki.extraClients["otherclient"]!.cert),
    otherClientKey: read(pki.extraClients["otherclient"]!.key),
  };
}
