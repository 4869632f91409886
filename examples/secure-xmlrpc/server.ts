// The seed's three secure XML-RPC servers, exposing pow on https://localhost:8000/RPC2.
//
//   node --import tsx server.ts encrypt-only    # 1. encrypted link only
//   node --import tsx server.ts client-cert     # 2. the client must have a certificate
//   node --import tsx server.ts verify-fields   # 3. ... whose fields must match
import { join } from "node:path";
import { setLogLevel } from "../../src/core/logging.js";
import { SSLServer } from "../../src/protocols/xmlrpc/index.js";

class MySSLServer extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction(Math.pow, "pow");
  }
}

const setup = process.argv[2] ?? "encrypt-only";
const pki = (f: string) => join(process.env["PKI_DIR"] ?? join(import.meta.dirname, "pki"), f);
const host = "localhost";
const port = Number(process.env["PORT"] ?? 8000);
const keyFile = pki("server-key.pem");
const certFile = pki("server-chain.pem");
const caCerts = pki("ca-chain.pem");

let server: MySSLServer;
switch (setup) {
  case "encrypt-only":
    server = new MySSLServer(host, port, keyFile, certFile);
    break;
  case "client-cert":
    server = new MySSLServer(host, port, keyFile, certFile, caCerts, "CERT_REQUIRED");
    break;
  case "verify-fields": {
    const verifyFields = { commonName: "My Client", organizationName: "My Company", stateOrProvinceName: "My State" };
    setLogLevel("error"); // refusals are logged at ERROR, with the reason
    server = new MySSLServer({ host, port, keyFile, certFile, caCerts, certRequirement: "CERT_REQUIRED", verifyFields });
    break;
  }
  default:
    console.error(`unknown setup '${setup}' (use encrypt-only, client-cert or verify-fields)`);
    process.exit(2);
}
process.on("SIGINT", () => void server.close());
process.on("SIGTERM", () => void server.close());
await server.listen();
console.log(`${setup}: serving pow on https://${host}:${server.port}/RPC2 (Ctrl-C to stop)`);
await server.serveForever();
