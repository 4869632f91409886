#!/usr/bin/env node
// Runs the test tiers with node's test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [unit|integration|interop ...] [--only-file substring]
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const TIERS = ["unit", "integration", "interop"];
const args = process.argv.slice(2);
const filterIdx = args.indexOf("--only-file");
const fileFilter = filterIdx >= 0 ? args[filterIdx + 1] : undefined;
const tiers = args.filter((a, i) => TIERS.includes(a) && (filterIdx < 0 || i !== filterIdx + 1));
const selected = tiers.length ? tiers : TIERS;

function walk(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (/\.test\.(ts|mts|js|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

const files = selected.flatMap((t) => walk(join("test", t))).filter((f) => !fileFilter || f.includes(fileFilter));
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
// Tests that act as a user install the packed package into a folder outside
// the repository; do it once for the whole run (test/helpers/user-project.ts).
let userRoot = process.env.REMOTING_USER_ROOT;
if (!userRoot) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", 'const m = await import("./test/helpers/user-project.ts"); console.log(m.installPackedPackage());'],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (r.status !== 0) {
    console.error("could not pack and install the package for the user-project tests");
    process.exit(1);
  }
  userRoot = r.stdout.trim();
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
// No single test may hold the run: past this it fails, named, and the run goes on.
const timeoutMs = process.env.TEST_TIMEOUT_MS ?? "300000";
const res = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, "--test-reporter=spec", ...files],
  { stdio: "inherit", env: { ...process.env, REMOTING_TEST: "1", REMOTING_USER_ROOT: userRoot } },
);
if (!process.env.REMOTING_USER_ROOT) rmSync(userRoot, { recursive: true, force: true });
process.exit(res.status ?? 1);
