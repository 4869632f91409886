/**
 * Starts `remoting run --json <context>` in a process of its own (the built
 * bin, as a user runs it) and reads the URLs it serves from its start line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const BIN = join(import.meta.dirname, "../../bin/remoting.js");

export interface RunningContext {
  readonly child: ChildProcess;
  /** Exporter id → the URL it serves at. */
  readonly urls: Record<string, string>;
  readonly pid: number;
  /** Sends a signal and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startRun(contextFile: string, timeoutMs = 30_000): Promise<RunningContext> {
  const child = spawn(process.execPath, [BIN, "run", "--json", contextFile], { env: { ...process.env, REMOTING_LOG_LEVEL: "error" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const until = Date.now() + timeoutMs;
  while (!out.includes('"started"') && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  const line = out.split("\n").find((l) => l.includes('"started"'));
  if (!line) {
    child.kill("SIGKILL");
    throw new Error(`remoting run ${contextFile} did not start: ${err}`);
  }
  const started = JSON.parse(line) as { serving: Array<{ id: string; url: string }> };
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
  return {
    child,
    pid: child.pid!,
    urls: Object.fromEntries(started.serving.map((s) => [s.id, s.url])),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
