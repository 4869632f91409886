/**
 * `remoting ns`: runs a Pyro4-compatible name server until SIGINT/SIGTERM.
 * Installed by pushing `installPyroCommands` onto the CLI's `extraCommands`.
 */
import type { Command } from "commander";
import { coercePort } from "../../core/exporter.js";
import { DEFAULT_NS_HOST, DEFAULT_NS_PORT } from "./uri.js";
import { startNameServer } from "./nameserver.js";

export interface PyroCliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function installPyroCommands(program: Command, io: PyroCliIo): void {
  program
    .command("ns")
    .description("run a Pyro4 name server (Pyro.NameServer) until SIGINT or SIGTERM")
    .option("-n, --host <host>", "host to bind", DEFAULT_NS_HOST)
    .option("-p, --port <port>", "port (0 = any free port)", String(DEFAULT_NS_PORT))
    .option("-k, --hmac-key <key>", "HMAC key (default: the PYRO_HMAC_KEY environment variable)")
    .action(async (opts: { host: string; port: string; hmacKey?: string }) => {
      const hmacKey = opts.hmacKey ?? process.env["PYRO_HMAC_KEY"];
      const ns = await startNameServer({ host: opts.host, port: coercePort(opts.port, "--port"), hmacKey: hmacKey || undefined, idleTimeoutMs: 0 });
      io.out(`NS running on ${ns.daemon.location}`);
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
