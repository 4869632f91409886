/**
 * `npm run bench`: runs every case in bench/cases/*.ts, each run in a fresh
 * process (servers in processes of their own), several times, and prints
 * median / min / max operations per second with each row's ratio to its
 * group's floor measured in the same run. Writes JSON to
 * bench/results/latest.json (or --json <file>).
 *
 * Options: --runs <n> (default 5), --filter <text>, --json <file>, --list.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { cpus } from "node:os";
import type { BenchCase, BenchResult } from "./lib.js";
import { chartSvg } from "./chart.js";

const args = process.argv.slice(2);
function opt(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
const runs = Number(opt("--runs") ?? process.env["BENCH_RUNS"] ?? 5);
const filter = opt("--filter");
const jsonOut = opt("--json") ?? join(import.meta.dirname, "results/latest.json");

interface Row {
  file: string;
  name: string;
  group: string;
  floor: boolean;
  note?: string | undefined;
  targets: Array<{ against: string; atLeast: number }>;
  unit?: string | undefined;
  atMost?: number | undefined;
  samples: number[];
  /** The round each sample was taken in (for pairing a row's runs with its reference's). */
  rounds: number[];
  skipped?: string;
  error?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

const dir = join(import.meta.dirname, "cases");
const files = readdirSync(dir).filter((f) => f.endsWith(".ts")).sort();
const rows: Row[] = [];
for (const f of files) {
  const file = join(dir, f);
  const mod = (await import(pathToFileURL(file).href)) as { default: BenchCase[] };
  for (const c of mod.default) {
    if (filter && !c.name.includes(filter) && !c.group.includes(filter)) continue;
    rows.push({ file, name: c.name, group: c.group, floor: !!c.floor, note: c.note, targets: c.targets ?? [], unit: c.unit, atMost: c.atMost, samples: [], rounds: [] });
  }
}
if (args.includes("--list")) {
  for (const r of rows) console.log(`${r.group}\t${r.name}${r.floor ? "\t(floor)" : ""}`);
  process.exit(0);
}

console.error(`running ${rows.length} rows x ${runs} runs on ${cpus().length} cores (node ${process.version})`);
// Interleave runs (run 1 of every row, then run 2, ...) so drift on a noisy machine hits every row alike.
// Within a round the rows of one group run back to back, the floor first in even rounds and last in odd
// ones, so that each run of a row is seconds away from the run of its floor it is paired with.
const groups = [...new Set(rows.map((r) => r.group))];
const byGroup = groups.map((g) => {
  const members = rows.filter((r) => r.group === g);
  return [...members.filter((r) => r.floor), ...members.filter((r) => !r.floor)];
});
for (let i = 0; i < runs; i++) {
  for (const r of byGroup.flatMap((members) => (i % 2 === 0 ? members : [...members].reverse()))) {
    if (r.skipped || r.error) continue;
    const res = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "run-case.ts"), r.file, r.name], {
      encoding: "utf8",
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const m = /RESULT (.*)/.exec(res.stdout ?? "");
    if (m) {
      const out = JSON.parse(m[1]!) as BenchResult;
      r.samples.push(r.unit ? (out.value ?? NaN) : out.ops / out.seconds);
      r.rounds.push(i);
      process.stderr.write(".");
    } else {
      const err = `${res.stderr ?? ""}`.trim().split("\n").slice(-3).join(" | ");
      if (/SkipBench/.test(res.stderr ?? "")) r.skipped = err.replace(/.*SkipBench:?/, "").trim() || "peer missing";
      else r.error = err || `exit ${res.status}`;
      process.stderr.write("x");
    }
  }
}
process.stderr.write("\n");

const byName = new Map(rows.map((r) => [r.name, r]));
const floorOf = new Map<string, number>();
for (const r of rows) if (r.floor && r.samples.length) floorOf.set(r.group, median(r.samples));

const table: string[][] = [["group", "benchmark", "median", "min", "max", "x floor", "runs"]];
const show = (r: Row, n: number): string => (r.unit ? `${n.toFixed(1)} ${r.unit}` : `${fmt(n)}/s`);
const results = rows.map((r) => {
  const med = r.samples.length ? median(r.samples) : NaN;
  const floor = floorOf.get(r.group);
  const ratio = floor && !r.floor ? med / floor : r.floor ? 1 : NaN;
  table.push([
    r.group,
    r.name + (r.floor ? " [floor]" : ""),
    r.skipped ? "skipped" : r.error ? "error" : show(r, med),
    r.samples.length ? show(r, Math.min(...r.samples)) : "-",
    r.samples.length ? show(r, Math.max(...r.samples)) : "-",
    Number.isFinite(ratio) && !r.unit ? ratio.toFixed(2) : "-",
    String(r.samples.length),
  ]);
  const targets = r.targets.map((t) => {
    const other = byName.get(t.against);
    const otherMed = other?.samples.length ? median(other.samples) : NaN;
    const ofMedians = med / otherMed;
    // the goal is judged on the ratio of the medians; the median of the per-round ratios (each run against
    // its reference's run of the same round) is shown beside it
    const paired: number[] = [];
    if (other) r.rounds.forEach((round, k) => {
      const j = other.rounds.indexOf(round);
      if (j >= 0) paired.push(r.samples[k]! / other.samples[j]!);
    });
    const pairedMedian = paired.length ? median(paired) : NaN;
    return {
      against: t.against,
      atLeast: t.atLeast,
      ratio: Number.isFinite(ofMedians) ? ofMedians : null,
      pairedRatios: paired,
      pairedMedian: Number.isFinite(pairedMedian) ? pairedMedian : null,
      met: Number.isFinite(ofMedians) ? ofMedians >= t.atLeast : null,
    };
  });
  if (r.atMost !== undefined) targets.push({ against: `at most ${r.atMost} ${r.unit ?? ""}`.trim(), atLeast: NaN, ratio: med, pairedRatios: [], pairedMedian: null, met: Number.isFinite(med) ? med <= r.atMost : null });
  return { group: r.group, name: r.name, floor: r.floor, note: r.note, unit: r.unit ?? "ops/s", median: med, medianOpsPerSec: r.unit ? null : med, minOpsPerSec: r.samples.length ? Math.min(...r.samples) : null, maxOpsPerSec: r.samples.length ? Math.max(...r.samples) : null, ratioToFloor: Number.isFinite(ratio) ? ratio : null, samples: r.samples, targets, skipped: r.skipped ?? null, error: r.error ?? null };
});

const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
for (const [i, row] of table.entries()) {
  console.log(row.map((c, j) => (j >= 2 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join("  "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
const checks = results.flatMap((r) => r.targets.map((t) => ({ row: r.name, ...t })));
if (checks.length) {
  console.log("\ngoals (ratio of the medians; then the median and range of the per-round ratios, each run against its reference's run of the same round):");
  for (const c of checks) {
    const mark = c.met === null ? "?" : c.met ? "ok  " : "MISS";
    if (Number.isNaN(c.atLeast)) console.log(`  ${mark} ${c.row} ${c.against}: ${c.ratio === null ? "n/a" : c.ratio.toFixed(1)}`);
    else {
      const paired = c.pairedMedian === null ? "" : ` (per round: median ${c.pairedMedian.toFixed(2)}x, ${Math.min(...c.pairedRatios).toFixed(2)}..${Math.max(...c.pairedRatios).toFixed(2)})`;
      console.log(`  ${mark} ${c.row} >= ${c.atLeast}x ${c.against}: ${c.ratio === null ? "n/a" : c.ratio.toFixed(2) + "x"}${paired}`);
    }
  }
}
for (const r of results) if (r.error) console.log(`error in ${r.name}: ${r.error}`);
for (const r of results) if (r.skipped) console.log(`skipped ${r.name}: ${r.skipped}`);

mkdirSync(dirname(jsonOut), { recursive: true });
const date = new Date().toISOString();
writeFileSync(jsonOut, JSON.stringify({ date, node: process.version, cores: cpus().length, runs, results }, null, 2));
console.error(`JSON written to ${jsonOut}`);
const svgOut = jsonOut.replace(/\.json$/, "") + ".svg";
writeFileSync(svgOut, chartSvg(results, `remoting: calls per second, median of ${runs} runs (${date.slice(0, 16)} UTC, node ${process.version}, ${cpus().length} cores)`));
console.error(`chart written to ${svgOut}`);
