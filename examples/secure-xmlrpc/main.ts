// Secure XML-RPC: the seed's three setups (encrypted link only; client
// certificate required; client certificate fields checked), each with the
// clients it accepts and refuses, then the seed's "Logging" section: the
// server at DEBUG level and a verbose client.
//
// The sample keys and certificates are made in ./pki when missing (what
// `npx remoting pki ./pki` does): samples only, never for anything real.
import { existsSync } from "node:fs";
import { createSamplePki, setLogLevel, SSLClient, SSLServer, type SSLServerOptions } from "remoting";

// The seed's server: a subclass of SSLServer that registers its functions.
class MySSLServer extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction(Math.pow, "pow");
  }
}

const host = "127.0.0.1";
const port = 8000;
const serverLocation = `https://${host}:${port}/RPC2`;

const keyFile = "./pki/server-key.pem";
const certFile = "./pki/server-chain.pem"; // the server's certificate, then the CA that signed it
const caCerts = "./pki/ca-chain.pem";
const verifyFields = { commonName: "My Client", organizationName: "My Company", stateOrProvinceName: "My State" };

const clients: Array<[string, () => SSLClient]> = [
  ["no certificate", () => new SSLClient(serverLocation, caCerts)],
  ["My Client's certificate", () => new SSLClient(serverLocation, caCerts, "./pki/client-key.pem", "./pki/client-cert.pem")],
  ["Intruder's certificate", () => new SSLClient(serverLocation, caCerts, "./pki/intruder-key.pem", "./pki/intruder-cert.pem")],
];

async function callPow(client: SSLClient): Promise<string> {
  try {
    return `pow(41, 3) = ${String(await client.pow(41, 3))}`;
  } catch (err) {
    return `refused (${(err as Error).name})`;
  } finally {
    await client.close();
  }
}

async function tryClients(title: string, options: SSLServerOptions): Promise<void> {
  console.log(title);
  const server = new MySSLServer(options);
  await server.listen();
  try {
    for (const [who, makeClient] of clients) console.log(`  ${who}: ${await callPow(makeClient())}`);
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync("./pki/intruder-cert.pem")) {
    // The seed's sample PKI, plus a client certificate from the same CA with other fields.
    await createSamplePki("./pki", { extraClients: [{ name: "intruder", subject: { CN: "Intruder", O: "Elsewhere" } }] });
  }
  const base = { host, port, keyFile, certFile, logRequests: false };

  await tryClients("1. encrypted link only", base);
  await tryClients("2. client certificate required", { ...base, caCerts, certRequirement: "CERT_REQUIRED" });
  await tryClients("3. client certificate fields checked", { ...base, caCerts, certRequirement: "CERT_REQUIRED", verifyFields });

  console.log("logging: the server at DEBUG level, a verbose client");
  setLogLevel("debug");
  const server = new MySSLServer({ ...base, caCerts, certRequirement: "CERT_REQUIRED", verifyFields, logRequests: true });
  await server.listen();
  try {
    // The seed: SSLClient(server_location, ca_certs, keyfile, certfile, verbose=1)
    const client = new SSLClient(serverLocation, { caCerts, keyFile: "./pki/client-key.pem", certFile: "./pki/client-cert.pem", verbose: true });
    console.log(`  ${await callPow(client)}`);
  } finally {
    await server.close();
    setLogLevel("warn");
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
