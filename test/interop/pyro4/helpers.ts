/** Runs the Python Pyro4 side of the interop tests (Debian's python3-pyro4 under /usr/bin/python3). */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { PYTHON } from "../../helpers/peers.js";

const here = dirname(fileURLToPath(import.meta.url));
export const PY_DIR = join(here, "py");

export interface ResultLine {
  name: string;
  ok: boolean;
  detail: string;
}

/** Runs a script to completion (bounded by timeoutMs) and returns its JSON lines. */
export function runPython(script: string, args: string[], timeoutMs = 25_000, env: Record<string, string> = {}): Promise<{ lines: ResultLine[]; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [join(PY_DIR, script), ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    const lines: ResultLine[] = [];
    let stderr = "";
    createInterface({ input: child.stdout! }).on("line", (l) => {
      try {
        lines.push(JSON.parse(l) as ResultLine);
      } catch {
        stderr += `(stdout) ${l}\n`;
      }
    });
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ lines, stderr, code });
    });
  });
}

/** Starts a long-running Python script that prints one JSON line first; stops it by closing stdin. */
export async function startPython(script: string, args: string[], env: Record<string, string> = {}): Promise<{ first: Record<string, unknown>; stop: () => Promise<void>; child: ChildProcess }> {
  const child = spawn(PYTHON, [join(PY_DIR, script), ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`python ${script} did not start: ${stderr}`)), 15_000);
    rl.once("line", (l) => {
      clearTimeout(timer);
      resolve(JSON.parse(l) as Record<string, unknown>);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`python ${script} exited with ${code}: ${stderr}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.stdin!.end();
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  return { first, stop, child };
}
