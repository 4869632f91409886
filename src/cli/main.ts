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
import type { ObjectDefinition, ValueDef } from "../context/definitions.js";
import { ConfigError, RemotingError } from "../core/errors.js";
import { getLogger, LOG_LEVELS, setLogLevel } from "../core/logging.js";
import { registerBuiltinAliases } from "../aliases.js";
import { extraCommands } from "./commands.js";

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
    properties: Object.fromEntries(d.properties.map((p) => [p.name, describeValue(p.value)])),
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
    for (const p of d.properties) out(`  property ${p.name}: ${describeValue(p.value)}`);
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
    .action(async (files: string[]) => {
      const ctx = await ApplicationContext.create(files);
      log.info("context started from %s", files.join(", "));
      io.err(`remoting: context started (${ctx.objectIds.length} objects); press Ctrl-C to stop`);
      // Keep the process alive until a signal, even when no socket holds it.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      await new Promise<void>((resolve) => {
        let closing = false;
        const stop = (signal: string) => {
          if (closing) return;
          closing = true;
          io.err(`remoting: ${signal} received, closing the context`);
          clearInterval(keepAlive);
          ctx.close().then(
            () => resolve(),
            (err: unknown) => {
              io.err(`remoting: error while closing: ${err instanceof Error ? err.message : String(err)}`);
              exitCode = 1;
              resolve();
            },
          );
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });

  program
    .command("check-config")
    .description("read XML context files and print the resolved definitions, without creating any object")
    .argument("<contexts...>", "XML context files")
    .option("--json", "print JSON")
    .action(async (files: string[], opts: { json?: boolean }) => {
      const defs = await ApplicationContext.load(files);
      if (opts.json) io.out(JSON.stringify(defs.map(definitionToJson), null, 2));
      else printDefinitions(defs, io.out);
    });

  for (const add of extraCommands) add(program, io);

  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      io.err(`remoting: configuration error [${err.code}]: ${err.message}`);
      return 2;
    }
    if (err instanceof RemotingError) {
      io.err(`remoting: error [${err.code}]: ${err.message}`);
      return 1;
    }
    io.err(`remoting: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
  return exitCode;
}
