// The soak, short: 50 concurrent clients making mixed calls (echoes of
// strings, long non-ASCII text, nested records, lists, bytes and 64-bit and
// larger numbers; positional calls; calls that raise; oneway calls; bursts of
// calls in flight on one connection) over Pyro4 (serpent and json), Hessian
// and XML-RPC, all over TLS with client certificates, against a server in a
// process of its own, for 12 s. Every reply is checked against its request
// (test/helpers/soak.ts); `npm run soak` is the long version (120 s, RSS growth
// under 10%, figures in docs/benchmarks.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatSoakReport, runSoak } from "../../helpers/soak.js";

// In 12 s the warm-up is short (5 s) and the baseline and end windows are 3 s
// each: the server's RSS is still settling (allocator arenas, TLS and socket
// buffers of 50 connections reaching their working sizes), so the bound here
// only catches a leak of the fast kind (tens of MB in seconds); the long run
// holds the 10% bound.
const SHORT_RUN_MAX_RSS_GROWTH = 30;

test("50 clients over Pyro4, Hessian and XML-RPC (TLS) for 12 s: no call lost, duplicated or mismatched, server memory bounded", { timeout: 120_000 }, async () => {
  const report = await runSoak({ seconds: 12, clients: 50, warmupSeconds: 5, maxRssGrowthPercent: SHORT_RUN_MAX_RSS_GROWTH });
  const figures = formatSoakReport(report);
  assert.equal(report.total.lost, 0, figures);
  assert.equal(report.total.duplicated, 0, figures);
  assert.equal(report.total.mismatched, 0, figures);
  for (const p of report.protocols) {
    assert.ok(p.ok > 0 && p.oneway > 0 && p.expectedErrors > 0, `every kind of call made over ${p.protocol}\n${figures}`);
    assert.equal(p.ok, p.sent, `every call of ${p.protocol} answered\n${figures}`);
  }
  assert.ok(report.memory.samples >= 8, `the server's memory sampled every second\n${figures}`);
  assert.ok(report.memory.growthPercent < SHORT_RUN_MAX_RSS_GROWTH, figures);
  assert.ok(report.passed, figures);
});
