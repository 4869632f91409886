// The Python peers of the bench: Debian's interpreter (it has Pyro4), and how
// a Python client row reports its figure (a line "RESULT {ops, seconds}").
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { SkipBench, type BenchResult } from "./lib.js";

export const PY = "/usr/bin/python3";

/** A bench script of bench/py by file name. */
export function pyScript(name: string): string {
  return join(import.meta.dirname, "py", name);
}

/** Skips the row (reported as skipped) when Python or Pyro4 is missing. */
export function needPython(module = "Pyro4"): void {
  const r = spawnSync(PY, ["-c", `import ${module}`], { encoding: "utf8" });
  if (r.status !== 0) throw new SkipBench(module === "Pyro4" ? "Python Pyro4 missing (apt-get install python3-pyro4)" : `Python with ${module} missing`);
}

/** Runs a Python client script to its end and returns the figure it printed. */
export function pythonResult(script: string, args: string[]): BenchResult {
  const r = spawnSync(PY, [script, ...args], { encoding: "utf8", timeout: 60_000 });
  const m = /RESULT (.*)/.exec(r.stdout);
  if (!m) throw new Error(`python client ${script} failed: ${r.stderr}`);
  return JSON.parse(m[1]!) as BenchResult;
}
