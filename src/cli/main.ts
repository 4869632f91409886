/**
 * The `remoting` command line.
 *
 *   remoting run <ctx.xml...>           start a context and serve until SIGINT/SIGTERM
 *   remoting check-config <ctx.xml...>  print the resolved definitions, create nothing
 *   remoting pki <dir>                  write a sample PKI for trying TLS
 *   remoting ns                         run a Pyro name server
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { ApplicationContext } from "../context/application-context.js";
import { validateDefinitions } from "../context/validate.js";
import { findProperty, displayValue } from "../core/config/properties.js";
import { ServiceExporter } from "../core/exporter.js";
import type { ObjectDefinition, ValueDef } from "../context/definitions.js";
import { ConfigError, RemotingError } from "../core/errors.js";
import { getLogger, LOG_LEVELS, setLogLevel } from "../core/logging.js";
import { registerBuiltinAliases } from "../aliases.js";
import { registerBuiltinEndpoints } from "../endpoints.js";
import { extraCommands } from "./commands.js";
import { exitCodeFor, runCall, type CallCliOptions } from "./call.js";

const log = getLogger("remoting.cli");

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function describeValue(v: ValueDef): string {
  switch (v.kind) {
    case "value":
      return typeof v.value === "string" ? JSON.stringify(v.value) : String(v.value);
    case "null":
      return "null";
    case "ref":
      return `ref(${v.ref})`;
    case "inner":
      return `inner(${v.id})`;
    case "list":
      return `[${v.items.map(describeValue).join(", ")}]`;
    case "tuple":
      return `tuple(${v.items.map(describeValue).join(", ")})`;
    case "set":
    case "frozenset":
      return `${v.kind}{${v.items.map(describeValue).join(", ")}}`;
    case "dict":
      return `{${v.entries.map(([k, i]) => `${JSON.stringify(k)}: ${describeValue(i)}`).join(", ")}}`;
  }
}

/** A property's value as printed: secrets (keys, passwords) are never shown. */
function propertyText(d: ObjectDefinition, name: string, v: ValueDef): string {
  const decl = d.factory?.type ? findProperty(d.factory.type, name) : undefined;
  return displayValue(decl, describeValue(v));
}

function definitionToJson(d: ObjectDefinition): Record<string, unknown> {
  return {
    id: d.id,
    class: d.className ?? null,
    factory: d.factory?.describe() ?? null,
    scope: d.scope,
    lazyInit: d.lazyInit,
    abstract: d.abstract,
    parent: d.parent ?? null,
    constructorArgs: d.positionalArgs.map(describeValue),
    namedArgs: Object.fromEntries([...d.namedArgs].map(([k, v]) => [k, describeValue(v)])),
    properties: Object.fromEntries(d.properties.map((p) => [p.name, propertyText(d, p.name, p.value)])),
    source: d.location?.file ? `${d.location.file}:${d.location.line ?? "?"}:${d.location.column ?? "?"}` : (d.source ?? null),
  };
}

function printDefinitions(defs: ObjectDefinition[], out: (s: string) => void): void {
  for (const d of defs) {
    const flags = [d.scope, d.lazyInit ? "lazy" : "eager", d.abstract ? "abstract" : undefined, d.parent ? `parent=${d.parent}` : undefined]
      .filter(Boolean)
      .join(", ");
    out(`${d.id}  (${flags})`);
    out(`  class: ${d.className ?? "-"}${d.factory ? `  [${d.factory.describe()}]` : ""}`);
    d.positionalArgs.forEach((v, i) => out(`  arg[${i}]: ${describeValue(v)}`));
    for (const [k, v] of d.namedArgs) out(`  arg ${k}: ${describeValue(v)}`);
    for (const p of d.properties) out(`  property ${p.name}: ${propertyText(d, p.name, p.value)}`);
    if (d.location?.file) out(`  defined at ${d.location.file}:${d.location.line}:${d.location.column}`);
  }
  out(`${defs.length} definition${defs.length === 1 ? "" : "s"}`);
}

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: CliIo = {
  out: (s) => process.stdout.write(s + "\n"),
  err: (s) => process.stderr.write(s + "\n"),
};

/** Runs the CLI; resolves with the exit code (the `run` command resolves when the context is closed). */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  registerBuiltinAliases();
  registerBuiltinEndpoints();
  let exitCode = 0;
  const program = new Command();
  program
    .name("remoting")
    .description("Configuration-driven remoting: serve and call objects described in Spring Python XML contexts.")
    .version(version(), "-V, --version")
    .addOption(new Option("--log-level <level>", "log level (default: warn, or REMOTING_LOG_LEVEL)").choices(LOG_LEVELS as string[]))
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride()
    .hook("preAction", (cmd) => {
      const level = cmd.opts<{ logLevel?: string }>().logLevel;
      if (level) setLogLevel(level);
    });

  program
    .command("run")
    .description("start an application context from XML files and keep serving until SIGINT or SIGTERM")
    .argument("<contexts...>", "XML context files")
    .option("--json", "print what is served as one JSON line on stdout (for scripts)")
    .option("--grace <ms>", "on SIGINT/SIGTERM, how long closing may take before the process exits anyway", "10000")
    .action(async (files: string[], opts: { json?: boolean; grace: string }) => {
      const grace = Number(opts.grace);
      if (!Number.isFinite(grace) || grace < 0) throw new ConfigError(`--grace must be a number of milliseconds, not '${opts.grace}'`, "ERR_CONFIG_INVALID_VALUE");
      const ctx = await ApplicationContext.create(files);
      // Keep the process alive until a signal, even when no socket holds it.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      // The signal handlers are in place before "started" is announced: a signal sent on seeing it is never the default one (which ends the process at once).
      const stopped = new Promise<void>((resolve) => {
        let closing = false;
        const stop = (signal: string) => {
          if (closing) return;
          closing = true;
          io.err(`remoting: ${signal} received, closing the context`);
          clearInterval(keepAlive);
          // whatever a service holds (timers, sockets), the process ends after the grace period
          const force = setTimeout(() => {
            io.err(`remoting: closing took longer than ${grace} ms; exiting`);
            exitCode = 1;
            resolve();
          }, grace);
          ctx.close().then(
            () => {
              clearTimeout(force);
              resolve();
            },
            (err: unknown) => {
              clearTimeout(force);
              io.err(`remoting: error while closing: ${err instanceof Error ? err.message : String(err)}`);
              exitCode = 1;
              resolve();
            },
          );
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
      log.info("context started from %s", files.join(", "));
      const served = [...ctx.getObjectsByType(ServiceExporter)].map(([id, e]) => ({ id, class: e.constructor.name, url: e.url ?? null }));
      if (opts.json) io.out(JSON.stringify({ event: "started", pid: process.pid, objects: ctx.objectIds.length, serving: served }));
      else {
        for (const s of served) io.err(`remoting: serving ${s.id} (${s.class}) at ${s.url ?? "(no address)"}`);
        io.err(`remoting: context started (${ctx.objectIds.length} objects${served.length ? `, ${served.length} served` : ""}); press Ctrl-C to stop`);
      }
      await stopped;
    });

  program
    .command("check-config")
    .description("read XML context files, check them as run would (classes, references, cycles, property names and values), print the resolved definitions; creates nothing, opens no socket")
    .argument("<contexts...>", "XML context files")
    .option("--json", "print JSON")
    .action(async (files: string[], opts: { json?: boolean }) => {
      const defs = await ApplicationContext.load(files);
      const problems = validateDefinitions(defs);
      if (opts.json) io.out(JSON.stringify({ definitions: defs.map(definitionToJson), problems: problems.map((p) => ({ code: p.code, objectId: p.objectId ?? null, message: p.message })) }, null, 2));
      else printDefinitions(defs, io.out);
      for (const p of problems) io.err(`remoting: configuration error [${p.code}]: ${p.message}`);
      if (problems.length > 0) {
        if (!opts.json) io.err(`remoting: ${problems.length} problem${problems.length === 1 ? "" : "s"} found`);
        exitCode = 2;
      }
    });

  program
    .command("call")
    .description("call a method of any service and print the result as JSON (exit 0 ok, 1 remote error, 2 usage, 3 connection/TLS failure)")
    .argument("<url>", "service URL: PYRO:obj@host:port, PYROLOC://host:port/name, PYRONAME:name, PYROMETA:tag, http(s)://... with --protocol")
    .argument("<method>", "method name")
    .argument("[args...]", "arguments, each as JSON (text that is not JSON is a string)")
    .option("--protocol <name>", "protocol for http(s) URLs: hessian or xmlrpc")
    .option("--kwargs <json>", "keyword arguments as a JSON object (Pyro)")
    .option("-k, --kwarg <name=json>", "one keyword argument (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .option("-t, --timeout <duration>", "time limit: ms or 30s/2m; 0 or none for no limit", "30s")
    .option("--oneway", "send without waiting for a result")
    .option("--serializer <name>", "Pyro serializer: serpent (default), json, marshal")
    .option("--hmac-key <key>", "Pyro HMAC key (default: PYRO_HMAC_KEY)")
    .option("--tls-ca <file>", "CA certificates that sign the server's certificate (PEM)")
    .option("--tls-cert <file>", "client certificate (PEM), for servers that require one")
    .option("--tls-key <file>", "client private key (PEM)")
    .option("--tls-servername <name>", "host name to check in the server certificate instead of the URL's")
    .option("--no-tls-check-hostname", "do not check the server certificate's host name")
    .option("--insecure", "do not verify the server certificate at all (testing only)")
    .option("--max-items <n>", "for a remote iterator, stop after this many items", "10000")
    .action(async (url: string, method: string, args: string[], opts: CallCliOptions) => {
      if (opts.hmacKey === undefined && process.env["PYRO_HMAC_KEY"]) opts.hmacKey = process.env["PYRO_HMAC_KEY"];
      exitCode = await runCall(url, method, args, opts, io);
    });

  for (const add of extraCommands) add(program, io);

  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every usage error (unknown option, missing argument) exits 2
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ConfigError) {
      io.err(`remoting: configuration error [${err.code}]: ${err.message}`);
      return 2;
    }
    if (err instanceof RemotingError) {
      // the exit codes of `remoting call`: 1 remote error, 2 usage, 3 connection, TLS or naming failure
      io.err(`remoting: error [${err.code}]: ${err.message}`);
      return exitCodeFor(err);
    }
    io.err(`remoting: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
  return exitCode;
}
