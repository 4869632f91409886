/**
 * Helpers for benchmark cases. A case's `run()` executes in its own process
 * (the harness spawns one per run); servers run in yet another process,
 * started with `startServer()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export interface BenchResult {
  /** Operations completed. */
  ops: number;
  /** Elapsed seconds. */
  seconds: number;
  /** For rows that measure a quantity instead of a rate (e.g. memory): the value. */
  value?: number;
}

export interface BenchCase {
  /** The row's name. */
  name: string;
  /** Rows of one group are compared with the group's floor. */
  group: string;
  /** This row is its group's floor (the reference the others are divided by). */
  floor?: boolean;
  /** What the row is compared with, in words (shown in the table). */
  note?: string;
  /** Goals: this row's median must be at least `atLeast` times the median of row `against`. */
  targets?: Array<{ against: string; atLeast: number }>;
  /** A row that measures a quantity (run() returns `value`), in this unit, e.g. "MB". */
  unit?: string;
  /** Goal for a quantity row: the median must not exceed this. */
  atMost?: number;
  run(): Promise<BenchResult>;
}

/** Thrown by a case whose peer is missing: the row is reported as skipped. */
export class SkipBench extends Error {}

export interface ServerHandle {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a server script in its own process and waits for it to print
 * `PORT <n>` on stdout. `command` defaults to node with tsx for .ts files.
 */
export async function startServer(script: string, args: string[] = [], command?: string[], timeoutMs = 30_000): Promise<ServerHandle> {
  const cmd = command ?? [process.execPath, "--import", "tsx", script];
  const child = spawn(cmd[0]!, [...cmd.slice(1), ...(command ? [script] : []), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    cwd: join(import.meta.dirname, ".."),
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`server ${script} did not report its port in ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /PORT (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${script} exited with ${code} before reporting its port`));
    });
  });
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  };
}

/**
 * Runs `op` with `inFlight` concurrent loops for `durationMs` (after a
 * warm-up), and at most `maxOps` operations. Returns the completed count.
 */
export async function measure(op: () => Promise<unknown>, { durationMs = 1500, warmupMs = 300, inFlight = 1, maxOps = 5_000_000 } = {}): Promise<BenchResult> {
  const warmEnd = Date.now() + warmupMs;
  while (Date.now() < warmEnd) await op();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + durationMs;
  const worker = async () => {
    while (Date.now() < end && ops < maxOps) {
      await op();
      ops++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { ops, seconds };
}

/** Like measure(), for synchronous work. */
export function measureSync(op: () => unknown, { durationMs = 1000, warmupMs = 200, maxOps = 50_000_000 } = {}): BenchResult {
  const warmEnd = Date.now() + warmupMs;
  while (Date.now() < warmEnd) op();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + durationMs;
  while (ops < maxOps) {
    for (let i = 0; i < 100; i++) op();
    ops += 100;
    if (Date.now() >= end) break;
  }
  return { ops, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}
