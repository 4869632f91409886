// Runs the three setups in one process on a free port, with a client that is
// accepted and one that is refused in each, and prints what happens.
//
//   node --import tsx all-setups.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSamplePki } from "../../src/pki/index.js";
import { SSLClient, SSLServer, type SSLServerOptions } from "../../src/protocols/xmlrpc/index.js";

class MySSLServer extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction(Math.pow, "pow");
  }
}

const dir = await mkdtemp(join(tmpdir(), "secure-xmlrpc-"));
try {
  const pki = await createSamplePki(dir, { extraClients: [{ name: "intruder", subject: { CN: "Intruder", O: "Elsewhere" } }] });
  const base = { host: "127.0.0.1", port: 0, keyFile: pki.serverKey, certFile: pki.serverChain, logRequests: false };
  const setups: Array<[string, SSLServerOptions]> = [
    ["1. encrypted link only", base],
    ["2. client certificate required", { ...base, caCerts: pki.caChain, certRequirement: "CERT_REQUIRED" }],
    [
      "3. client certificate fields checked",
      { ...base, caCerts: pki.caChain, certRequirement: "CERT_REQUIRED", verifyFields: { commonName: "My Client", organizationName: "My Company", stateOrProvinceName: "My State" } },
    ],
  ];
  const clients: Array<[string, (url: string) => SSLClient]> = [
    ["no certificate", (url) => new SSLClient(url, pki.caChain)],
    ["My Client's certificate", (url) => new SSLClient(url, pki.caChain, pki.clientKey, pki.clientCert)],
    ["Intruder's certificate", (url) => new SSLClient(url, pki.caChain, pki.extraClients["intruder"]!.key, pki.extraClients["intruder"]!.cert)],
  ];
  for (const [title, opts] of setups) {
    console.log(title);
    const server = new MySSLServer(opts);
    await server.listen();
    try {
      for (const [who, make] of clients) {
        const client = make(`https://localhost:${server.port}/RPC2`);
        try {
          console.log(`  ${who}: pow(41, 3) = ${String(await client.pow(41, 3))}`);
        } catch (err) {
          console.log(`  ${who}: refused (${(err as Error).name})`);
        } finally {
          await client.close();
        }
      }
    } finally {
      await server.close();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
