/**
 * The example folder examples/nats-scale-out runs with the one command its
 * README gives: a nats-server, two exporter processes and a client, the
 * calls shared by both exporters, both instances discovered. The example
 * imports the library as `remoting` (tsconfig maps it to the sources).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { requirePeers } from "../../helpers/peers.js";

const ROOT = join(import.meta.dirname, "../../..");

it("examples/nats-scale-out: `node --import tsx examples/nats-scale-out/run.ts` shares the calls between two exporter processes", (t) => {
  if (!requirePeers(t, "nats-server")) return;
  const r = spawnSync(process.execPath, ["--import", "tsx", "examples/nats-scale-out/run.ts"], { cwd: ROOT, encoding: "utf8", timeout: 90_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const calls = [...r.stdout.matchAll(/^CALLS (worker-\d) (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
  assert.deepEqual(calls.map(([w]) => w), ["worker-1", "worker-2"], r.stdout);
  assert.equal(calls.reduce((s, [, n]) => s + n, 0), 40);
  for (const [w, n] of calls) assert.ok(n > 0, `${w} took no call`);
  assert.match(r.stdout, /^primes between 1000000 and 1000039: 1000003, 1000033, 1000037, 1000039$/m);
  assert.match(r.stdout, /^INSTANCES 2: worker-1, worker-2$/m);
});
