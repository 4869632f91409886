/**
 * `remoting ns`: runs a Pyro4-compatible name server until SIGINT/SIGTERM;
 * `remoting ns list|lookup|register|remove|ping` talk to a running one (ours
 * or Python's), as Pyro4's `nsc` does. Without `-n/--host` the client
 * commands locate the name server as `locateNS()` does (localhost first,
 * then a UDP broadcast). Installed by pushing `installPyroCommands` onto the
 * CLI's `extraCommands`.
 */
import type { Command } from "commander";
import { coercePort } from "../../core/exporter.js";
import { DEFAULT_NS_HOST, DEFAULT_NS_PORT } from "./uri.js";
import { startNameServer } from "./nameserver.js";
import { DEFAULT_NS_BCPORT } from "./broadcast.js";
import { locateNS, type NameServerClient } from "./naming.js";

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
  const ns = program
    .command("ns")
    .description("run a Pyro4 name server (Pyro.NameServer) with its UDP broadcast responder until SIGINT or SIGTERM; or, with a subcommand, talk to a running one (ours or Python's)")
    .option("-n, --host <host>", "host to bind (client commands: the name server's host; default: locate it)", DEFAULT_NS_HOST)
    .option("-p, --port <port>", "port (0 = any free port; client commands: the name server's port)", String(DEFAULT_NS_PORT))
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
  installNameServerClientCommands(ns, io);
}

/** The name server the client commands talk to: at -n/-p when given, else located as locateNS() does. */
async function nameServer(cmd: Command): Promise<NameServerClient> {
  const parent = cmd.parent!;
  const o = parent.opts<NsCliOptions>();
  const hmacKey = o.hmacKey ?? process.env["PYRO_HMAC_KEY"];
  const hostGiven = parent.getOptionValueSource("host") !== "default";
  const portGiven = parent.getOptionValueSource("port") !== "default";
  const port = portGiven ? coercePort(o.port, "--port") : undefined;
  return locateNS(hostGiven ? o.host : undefined, port, { hmacKey: hmacKey || undefined, nsPort: port, timeoutMs: 10_000 });
}

async function withNameServer<T>(cmd: Command, fn: (ns: NameServerClient) => Promise<T>): Promise<T> {
  const ns = await nameServer(cmd);
  try {
    return await fn(ns);
  } finally {
    await ns.close().catch(() => undefined);
  }
}

function installNameServerClientCommands(ns: Command, io: PyroCliIo): void {
  ns.command("list")
    .description("list the registrations (all, those whose name starts with a prefix, or those with metadata tags)")
    .argument("[prefix]", "only names starting with this")
    .option("--meta-all <tags>", "only entries with all of these comma-separated metadata tags")
    .option("--meta-any <tags>", "only entries with any of these comma-separated metadata tags")
    .option("--json", "print JSON: name -> URI")
    .action(async (prefix: string | undefined, o: { metaAll?: string; metaAny?: string; json?: boolean }, cmd: Command) => {
      const split = (t: string): string[] => t.split(",").map((x) => x.trim()).filter(Boolean);
      const filter = o.metaAll ? { metadataAll: split(o.metaAll) } : o.metaAny ? { metadataAny: split(o.metaAny) } : prefix ? { prefix } : {};
      const entries = await withNameServer(cmd, (client) => client.list(filter));
      if (o.json) {
        io.out(JSON.stringify(entries, null, 2));
        return;
      }
      io.out(`--------START LIST${prefix ? ` - prefix '${prefix}'` : ""}`);
      for (const [name, uri] of Object.entries(entries).sort(([a], [b]) => a.localeCompare(b))) io.out(`${name} --> ${uri}`);
      io.out(`--------END LIST${prefix ? ` - prefix '${prefix}'` : ""}`);
    });
  ns.command("lookup")
    .description("print the URI registered under a name (and its metadata with --json)")
    .argument("<name>", "the registered name")
    .option("--json", "print JSON: uri and metadata")
    .action(async (name: string, o: { json?: boolean }, cmd: Command) => {
      const r = await withNameServer(cmd, (client) => client.lookupWithMetadata(name));
      io.out(o.json ? JSON.stringify(r, null, 2) : r.uri);
    });
  ns.command("register")
    .description("register a URI under a name (replacing an existing one unless --safe)")
    .argument("<name>", "the name")
    .argument("<uri>", "a PYRO: URI")
    .option("--meta <tags>", "comma-separated metadata tags")
    .option("--safe", "refuse to replace an existing registration")
    .action(async (name: string, uri: string, o: { meta?: string; safe?: boolean }, cmd: Command) => {
      await withNameServer(cmd, (client) =>
        client.register(name, uri, { safe: o.safe === true, metadata: o.meta ? o.meta.split(",").map((x) => x.trim()).filter(Boolean) : undefined }),
      );
      io.out(`Registered ${name}`);
    });
  ns.command("remove")
    .description("remove a registration by name (or every one under a prefix with --prefix)")
    .argument("<name>", "the name, or the prefix with --prefix")
    .option("--prefix", "remove every name that starts with <name>")
    .action(async (name: string, o: { prefix?: boolean }, cmd: Command) => {
      const n = await withNameServer(cmd, (client) => client.remove(o.prefix ? { prefix: name } : { name }));
      io.out(`Removed ${n} registration${n === 1 ? "" : "s"}`);
    });
  ns.command("ping")
    .description("check that the name server answers")
    .action(async (_o: unknown, cmd: Command) => {
      const t0 = performance.now();
      await withNameServer(cmd, (client) => client.ping());
      io.out(`Name server ping ok (${(performance.now() - t0).toFixed(1)} ms).`);
    });
}
