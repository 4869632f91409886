// The soak's server process (started by test/helpers/soak.ts with an IPC
// channel): one service object exported three times through the public API,
// each export over TLS with client certificates required, all on 127.0.0.1
// and ports the system picks:
//
//   - PyroServiceExporter (Pyro4 wire protocol; serpent, json and marshal accepted)
//   - HessianServiceExporter (Hessian 2 over HTTPS)
//   - XmlRpcServiceExporter (XML-RPC over HTTPS)
//
// Usage: soak-server.ts <pki dir>. It sends { type: "ready", urls } once
// serving, then { type: "sample", ... } (its resident memory and heap, after a
// full GC when node runs with --expose-gc) every `sampleMs`; { type: "stop" }
// closes the exporters and ends the process. With SOAK_DIAG=<file> it also
// appends, each sample, V8's heap spaces and the process's smaps_rollup
// (Linux) to that file, to tell heap from native memory.
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import { HessianServiceExporter, PyroServiceExporter, XmlRpcServiceExporter } from "../../src/index.js";

/** What one client has made the service do (the service keeps one entry per client: 50 small records). */
interface ClientState {
  calls: number;
  oneways: number;
  onewaySum: number;
}

/** A record a client sends; `payload` is any value the protocol carries. */
interface SoakRequest {
  id: string;
  client: string;
  payload: unknown;
}

/**
 * The soak's service. Every two-way call of a client bumps that client's
 * counter and the reply carries it (`n`), so the client can tell a call that
 * ran twice or not at all from its own count; oneway calls are counted and
 * summed apart, and checked at the end with stats().
 */
export class SoakService {
  readonly #clients = new Map<string, ClientState>();

  #state(client: string): ClientState {
    let s = this.#clients.get(client);
    if (!s) {
      s = { calls: 0, oneways: 0, onewaySum: 0 };
      this.#clients.set(client, s);
    }
    return s;
  }

  /** The request's id and payload back, with the client's call count. */
  echo(request: SoakRequest): { id: string; n: number; payload: unknown } {
    const s = this.#state(request.client);
    s.calls++;
    return { id: request.id, n: s.calls, payload: request.payload };
  }

  /** Positional arguments: what the server saw of a text and a list of numbers. */
  digest(id: string, client: string, text: string, numbers: number[]): { id: string; n: number; length: number; codePoints: number; sum: number } {
    const s = this.#state(client);
    s.calls++;
    let sum = 0;
    for (const x of numbers) sum += x;
    return { id, n: s.calls, length: text.length, codePoints: [...text].length, sum };
  }

  /** Always raises; the message names the request so the client can match the error to its call. */
  fail(id: string, client: string): never {
    this.#state(client).calls++;
    throw new Error(`soak failure ${id}`);
  }

  /** Oneway (declared so on every exporter): counted and summed, no reply. */
  note(client: string, seq: number): void {
    const s = this.#state(client);
    s.oneways++;
    s.onewaySum += seq;
  }

  /** The client's counters (not counted as a call). */
  stats(client: string): ClientState {
    return { ...this.#state(client) };
  }
}

const ONEWAY = ["note"];

type Message = { type: "stop" };

async function main(): Promise<void> {
  const pkiDir = process.argv[2];
  const sampleMs = Number(process.argv[3] ?? 1000);
  if (!pkiDir || !process.send) throw new Error("usage: soak-server.ts <pki dir> [sampleMs] (with an IPC channel)");
  const send = (m: unknown): void => {
    if (process.connected) process.send!(m);
  };
  const file = (name: string): string => join(pkiDir, name);
  const tls = { tlsKey: file("server-key.pem"), tlsCert: file("server-chain.pem"), tlsCa: file("ca-chain.pem") } as const;
  const service = new SoakService();

  const pyro = new PyroServiceExporter(service, "soak", "127.0.0.1", 0);
  pyro.tlsKey = tls.tlsKey;
  pyro.tlsCert = tls.tlsCert;
  pyro.tlsCa = tls.tlsCa;
  pyro.tlsClientCert = "required";
  pyro.onewayMethods = ONEWAY;

  const hessian = new HessianServiceExporter({ service, serviceHost: "127.0.0.1", servicePort: 0, path: "/soak", ...tls, tlsClientCert: "required", onewayMethods: ONEWAY });

  const xmlrpc = new XmlRpcServiceExporter();
  xmlrpc.service = service;
  xmlrpc.serviceHost = "127.0.0.1";
  xmlrpc.servicePort = 0;
  xmlrpc.tlsKey = tls.tlsKey;
  xmlrpc.tlsCert = tls.tlsCert;
  xmlrpc.tlsCa = tls.tlsCa;
  xmlrpc.tlsClientCert = "required";
  xmlrpc.onewayMethods = ONEWAY;

  const exporters = [pyro, hessian, xmlrpc];
  for (const e of exporters) await e.afterPropertiesSet();

  const gc = (globalThis as { gc?: () => void }).gc;
  const started = Date.now();
  const diag = process.env["SOAK_DIAG"];
  const sample = (): void => {
    gc?.();
    const m = process.memoryUsage();
    send({ type: "sample", t: Date.now() - started, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, gc: gc !== undefined });
    if (diag) {
      const spaces = v8.getHeapSpaceStatistics().map((x) => `${x.space_name}=${(x.space_size / 1048576).toFixed(1)}/${(x.space_used_size / 1048576).toFixed(1)}`).join(" ");
      const smaps = readFileSync("/proc/self/smaps_rollup", "utf8").split("\n").filter((l) => /^(Rss|Anonymous|Private_Dirty|Shared_Clean)/.test(l)).map((l) => l.replace(/\s+/g, " ")).join(" ");
      appendFileSync(diag, `${((Date.now() - started) / 1000).toFixed(0)} rss=${(m.rss / 1048576).toFixed(1)} heapTotal=${(m.heapTotal / 1048576).toFixed(1)} ${smaps} ${spaces}\n`);
    }
  };
  const timer = setInterval(sample, sampleMs);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    for (const e of exporters) await e.destroy();
    send({ type: "stopped" });
    process.disconnect();
  };
  process.on("message", (m: Message) => {
    if (m.type === "stop") void stop();
  });
  // the parent went away: stop as well
  process.on("disconnect", () => void stop());

  send({ type: "ready", urls: { pyro: pyro.url, hessian: hessian.url, xmlrpc: xmlrpc.url }, gc: gc !== undefined });
  sample();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
