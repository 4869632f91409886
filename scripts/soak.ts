// The soak: `npm run soak [-- --seconds 120 --clients 50 --json]`.
// Concurrent clients make mixed calls over Pyro4, Hessian and XML-RPC (all
// over TLS with client certificates) against a server in a process of its
// own, for a bounded time; every reply is checked against its request and the
// server's resident memory is sampled every second. Prints the figures, and
// exits 0 when nothing was lost, duplicated or mismatched and the server's RSS
// grew less than the limit after the warm-up, 1 otherwise.
// What is measured and how: test/helpers/soak.ts and docs/benchmarks.md.
import { parseArgs } from "node:util";
import { formatSoakReport, runSoak } from "../test/helpers/soak.js";

const USAGE = `usage: npm run soak -- [--seconds 120] [--clients 50] [--warmup <seconds>] [--max-growth 10] [--timeout-ms 20000] [--seed <n>] [--json]`;

function num(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name} must be a number of at least ${min}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      seconds: { type: "string" },
      clients: { type: "string" },
      warmup: { type: "string" },
      "max-growth": { type: "string" },
      "timeout-ms": { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}

const report = await runSoak({
  seconds: num(parsed.seconds, "seconds", 1),
  clients: num(parsed.clients, "clients", 1),
  warmupSeconds: num(parsed.warmup, "warmup", 0),
  maxRssGrowthPercent: num(parsed["max-growth"], "max-growth", 0),
  callTimeoutMs: num(parsed["timeout-ms"], "timeout-ms", 1),
  seed: num(parsed.seed, "seed", 0),
  onProgress: parsed.json ? undefined : (line) => console.error(line),
});
console.log(parsed.json ? JSON.stringify(report, null, 2) : formatSoakReport(report));
process.exitCode = report.passed ? 0 : 1;
