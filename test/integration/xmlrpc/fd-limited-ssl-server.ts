/**
 * An SSLServer in a process of its own, started by the hostile-peer tests
 * under a low file-descriptor limit (`ulimit -n`): argv key file, cert file,
 * handshake time-out. Prints `port <n>` once listening; serves `pow`.
 */
import { SSLServer } from "../../../src/protocols/xmlrpc/index.js";
import { setLogLevel } from "../../../src/core/logging.js";

const [keyFile, certFile, handshakeTimeoutMs] = process.argv.slice(2);
setLogLevel("fatal");

class PowServer extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction((a: number, b: number) => a ** b, "pow");
  }
}

const server = new PowServer({ host: "127.0.0.1", port: 0, keyFile, certFile, handshakeTimeoutMs, logRequests: false });
await server.listen();
process.stdout.write(`port ${server.port}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
