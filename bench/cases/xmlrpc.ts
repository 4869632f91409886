// XML-RPC calls (client here, server in its own process, 8 calls in flight,
// small struct argument echoed back):
//   xmlrpc-https: our SSLClient -> our SSLServer over HTTPS keep-alive, against
//                 a plain node:https keep-alive request/response of the same
//                 XML bytes (the floor: TLS + HTTP cost with no XML-RPC work).
//   xmlrpc-http:  our XmlRpcClient -> our XmlRpcServer over HTTP, against the
//                 npm `xmlrpc` package's client and server (the floor).
// Run as `node --import tsx bench/cases/xmlrpc.ts serve <kind> [pkiDir]`, the
// file is the server process: it prints `PORT <n>`.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest } from "node:https";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { measure, startServer, type BenchCase, type ServerHandle } from "../lib.js";
import { createSamplePki } from "../../src/pki/index.js";
import { SSLClient, SSLServer, XmlRpcClient, XmlRpcServer, encodeCall, encodeResponse } from "../../src/protocols/xmlrpc/index.js";

const IN_FLIGHT = 8;
const DURATION_MS = 1500;
// Long enough for both processes to reach steady state (JIT) before measuring:
// on the loaded 2-core machine, throughput (floor and ours alike) still climbs
// until about 2.5 s after the first call, so 1 s measured the ramp-up.
const WARMUP_MS = 3000;
const HTTPS_FLOOR = "floor: node:https keep-alive POST of the same XML (8 in flight)";
const NPM_FLOOR = "npm xmlrpc client -> npm xmlrpc server, HTTP (8 in flight)";
const SSL_USER_AGENT = "SSL XML-RPC Client (remoting)";
const ARG = { id: 1234, name: "ACME Corporation", price: 1299.95, paid: true, tags: ["a", "b", "c"] };

interface NpmXmlRpc {
  createServer(opts: { host: string; port: number }, cb?: () => void): {
    httpServer: { address(): { port: number } };
    on(method: string, handler: (err: unknown, params: unknown[], cb: (err: unknown, value: unknown) => void) => void): void;
  };
  createClient(opts: { host: string; port: number; path: string; agent?: unknown }): {
    methodCall(method: string, params: unknown[], cb: (err: unknown, value: unknown) => void): void;
  };
}
const require = createRequire(import.meta.url);

class EchoSSLServer extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction((v: unknown) => v, "echo");
  }
}

async function serve(kind: string, pkiDir: string | undefined): Promise<number> {
  const pki = (f: string) => join(pkiDir ?? "", f);
  switch (kind) {
    case "ours-https": {
      const s = new EchoSSLServer({ host: "127.0.0.1", port: 0, keyFile: pki("server-key.pem"), certFile: pki("server-chain.pem"), logRequests: false });
      await s.listen();
      return s.port;
    }
    case "ours-http": {
      const s = new XmlRpcServer({ host: "127.0.0.1", port: 0, logRequests: false });
      s.registerFunction((v: unknown) => v, "echo");
      await s.listen();
      return s.port;
    }
    case "node-https": {
      // the floor: read the body, answer a fixed XML-RPC response of the same size
      const answer = Buffer.from(encodeResponse(ARG));
      const s = createHttpsServer({ key: readFileSync(pki("server-key.pem")), cert: readFileSync(pki("server-chain.pem")) }, (req, res) => {
        req.resume();
        req.on("end", () => {
          res.writeHead(200, { "Content-Type": "text/xml", "Content-Length": answer.length });
          res.end(answer);
        });
      });
      await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
      return (s.address() as { port: number }).port;
    }
    case "npm-http": {
      const xmlrpc = require("xmlrpc") as NpmXmlRpc;
      const s = await new Promise<ReturnType<NpmXmlRpc["createServer"]>>((resolve) => {
        const srv = xmlrpc.createServer({ host: "127.0.0.1", port: 0 }, () => resolve(srv));
      });
      s.on("echo", (_err, params, cb) => cb(null, params[0]));
      return s.httpServer.address().port;
    }
  }
  throw new Error(`unknown server kind ${kind}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === "serve") {
  const port = await serve(process.argv[3] ?? "", process.argv[4]);
  process.stdout.write(`PORT ${port}\n`);
  process.on("SIGTERM", () => process.exit(0));
}

const SELF = import.meta.filename;

async function withPki<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "remoting-bench-xmlrpc-"));
  try {
    await createSamplePki(dir);
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withServer<T>(kind: string, pkiDir: string | undefined, fn: (server: ServerHandle) => Promise<T>): Promise<T> {
  const server = await startServer(SELF, ["serve", kind, ...(pkiDir ? [pkiDir] : [])]);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

function check(v: unknown): void {
  if ((v as { id?: unknown }).id !== 1234) throw new Error("wrong echo");
}

const cases: BenchCase[] = [
  {
    name: HTTPS_FLOOR,
    group: "xmlrpc-https",
    floor: true,
    run: () =>
      withPki((dir) =>
        withServer("node-https", dir, async (server) => {
          const body = Buffer.from(encodeCall("echo", [ARG]));
          // The same agent settings as SSLClient's: keep-alive, 8 sockets, the CA as text.
          const agent = new HttpsAgent({ keepAlive: true, ca: readFileSync(join(dir, "ca-chain.pem"), "utf8"), maxSockets: IN_FLIGHT });
          // The same header bytes as SSLClient sends (XML-RPC requires User-Agent and Host; Node adds Host and Connection).
          const headers = { "User-Agent": SSL_USER_AGENT, "Content-Type": "text/xml", "Content-Length": body.length };
          const op = () =>
            new Promise<void>((resolve, reject) => {
              const req = httpsRequest(
                { host: "localhost", port: server.port, method: "POST", path: "/RPC2", agent, headers },
                (res) => {
                  res.resume();
                  res.on("end", resolve);
                },
              );
              req.on("error", reject);
              req.end(body);
            });
          try {
            return await measure(op, { inFlight: IN_FLIGHT, durationMs: DURATION_MS, warmupMs: WARMUP_MS });
          } finally {
            agent.destroy();
          }
        }),
      ),
  },
  {
    name: "remoting SSLClient -> SSLServer, HTTPS keep-alive (8 in flight)",
    group: "xmlrpc-https",
    note: "vs plain node:https with the same bytes",
    targets: [{ against: HTTPS_FLOOR, atLeast: 0.9 }],
    run: () =>
      withPki((dir) =>
        withServer("ours-https", dir, async (server) => {
          const c = new SSLClient(`https://localhost:${server.port}/RPC2`, { caCerts: join(dir, "ca-chain.pem"), maxSockets: IN_FLIGHT });
          try {
            check(await c.echo(ARG));
            return await measure(() => c.echo(ARG), { inFlight: IN_FLIGHT, durationMs: DURATION_MS, warmupMs: WARMUP_MS });
          } finally {
            await c.close();
          }
        }),
      ),
  },
  {
    name: NPM_FLOOR,
    group: "xmlrpc-http",
    floor: true,
    run: () =>
      withServer("npm-http", undefined, async (server) => {
        const xmlrpc = require("xmlrpc") as NpmXmlRpc;
        const agent = new HttpAgent({ keepAlive: true, maxSockets: IN_FLIGHT });
        const client = xmlrpc.createClient({ host: "127.0.0.1", port: server.port, path: "/RPC2", agent });
        const op = () => new Promise<unknown>((resolve, reject) => client.methodCall("echo", [ARG], (err, v) => (err ? reject(err as Error) : resolve(v))));
        try {
          check(await op());
          return await measure(op, { inFlight: IN_FLIGHT, durationMs: DURATION_MS, warmupMs: WARMUP_MS });
        } finally {
          agent.destroy();
        }
      }),
  },
  {
    name: "remoting XmlRpcClient -> XmlRpcServer, HTTP (8 in flight)",
    group: "xmlrpc-http",
    note: "vs the npm xmlrpc package on both ends",
    targets: [{ against: NPM_FLOOR, atLeast: 2 }],
    run: () =>
      withServer("ours-http", undefined, async (server) => {
        const c = new XmlRpcClient(`http://127.0.0.1:${server.port}/RPC2`, { maxSockets: IN_FLIGHT });
        try {
          check(await c.echo(ARG));
          return await measure(() => c.echo(ARG), { inFlight: IN_FLIGHT, durationMs: DURATION_MS, warmupMs: WARMUP_MS });
        } finally {
          await c.close();
        }
      }),
  },
];
export default cases;
