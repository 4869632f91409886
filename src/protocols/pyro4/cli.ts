/**
 * `remoting ns`: runs a Pyro4-compatible name server until SIGINT/SIGTERM.
 * Installed by pushing `installPyroCommands` onto the CLI's `extraCommands`.
 */
import type { Command } from "commander";
import { coercePort } from "../../core/exporter.js";
import { DEFAULT_NS_HOST, DEFAULT_NS_PORT } from "./uri.js";
import { startNameServer } from "./nameserver.js";
import { DEFAULT_NS_BCPORT } from "./broadcast.js";

export interface PyroCliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

interface NsCliOptions {
  host: string;
  port: string;
  hmacKey?: string;
  bcport?: string;
  bchost?: string;
  /** -x/--nobc */
  nobc?: boolean;
}

export function installPyroCommands(program: Command, io: PyroCliIo): void {
  program
    .command("ns")
    .description("run a Pyro4 name server (Pyro.NameServer) with its UDP broadcast responder until SIGINT or SIGTERM")
    .option("-n, --host <host>", "host to bind", DEFAULT_NS_HOST)
    .option("-p, --port <port>", "port (0 = any free port)", String(DEFAULT_NS_PORT))
    .option("-k, --hmac-key <key>", "HMAC key (default: the PYRO_HMAC_KEY environment variable)")
    .option("--bcport <port>", `UDP port of the broadcast responder (0 = any free port; default ${DEFAULT_NS_BCPORT})`)
    .option("--bchost <host>", "address the broadcast responder binds (default: all interfaces; none for a loopback name server unless --bcport or --bchost is given)")
    .option("-x, --nobc", "don't start a broadcast responder")
    .action(async (opts: NsCliOptions) => {
      const hmacKey = opts.hmacKey ?? process.env["PYRO_HMAC_KEY"];
      const ns = await startNameServer({
        host: opts.host,
        port: coercePort(opts.port, "--port"),
        hmacKey: hmacKey || undefined,
        idleTimeoutMs: 0,
        broadcast: opts.nobc !== true,
        bcPort: opts.bcport === undefined ? undefined : coercePort(opts.bcport, "--bcport"),
        bcHost: opts.bchost,
      });
      if (ns.broadcast) io.out(`Broadcast server running on ${ns.broadcast.location}`);
      else if (ns.broadcastError) io.err(`Broadcast server not started: ${ns.broadcastError.message}`);
      const bcNote = ns.broadcast ? `broadcast port ${ns.broadcast.port}` : "no broadcast server";
      io.out(`NS running on ${ns.daemon.location} (${bcNote})`);
      if (!hmacKey) io.err("Warning: HMAC key not set. Anyone can connect to this server!");
      io.out(`URI = ${ns.uri}`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          ns.close().then(resolve, resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
