// The seed's clients: calls pow(41, 3) on https://localhost:8000/RPC2.
//
//   node --import tsx client.ts             # trusts the CA only (setup 1)
//   node --import tsx client.ts --cert      # also presents client-cert.pem (setups 2 and 3)
import { join } from "node:path";
import { SSLClient } from "../../src/protocols/xmlrpc/index.js";

const pki = (f: string) => join(process.env["PKI_DIR"] ?? join(import.meta.dirname, "pki"), f);
const serverLocation = `https://localhost:${process.env["PORT"] ?? 8000}/RPC2`;
const caCerts = pki("ca-chain.pem");

const client = process.argv.includes("--cert")
  ? new SSLClient(serverLocation, caCerts, pki("client-key.pem"), pki("client-cert.pem"))
  : new SSLClient(serverLocation, caCerts);

try {
  console.log(await client.pow(41, 3));
} catch (err) {
  console.error(`${(err as Error).name} [${(err as { code?: string }).code}]: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
