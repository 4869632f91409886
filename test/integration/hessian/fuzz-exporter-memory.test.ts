/**
 * A bounded fuzzing run against a running Hessian exporter, with the heap
 * measured before and after: mutated calls, random bodies, expanding ones
 * (long runs of one code, up to 2 MB), truncated and oversized bodies, four
 * at a time beside a good call. Every request gets an answer in bounded
 * time, a good call made at the same time is answered, and what the run
 * leaves behind is bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fc from "fast-check";
import { HessianProxyFactory, HessianServiceExporter, encodeCall } from "../../../src/protocols/hessian/index.js";
import { setLogSink } from "../../../src/core/logging.js";
import { loadVectors } from "../../unit/hessian/support.js";
import { heapNow } from "../../helpers/heap.js";

const RUN_MS = 10_000;

function post(agent: http.Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/", method: "POST", agent, headers: { "Content-Length": String(body.length) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" || err.code === "EPIPE" ? resolve(-1) : reject(err)));
    req.end(body);
  });
}

test("a bounded fuzzing run against the exporter: answered, still serving, nothing left behind", { timeout: 90_000 }, async (t) => {
  const exporter = new HessianServiceExporter({
    service: { add: (a: number, b: number) => a + b, echo: (v: unknown) => v, count: (l: unknown[]) => (Array.isArray(l) ? l.length : -1) },
    serviceHost: "127.0.0.1",
    servicePort: 0,
    maxRequestSize: "1MiB",
  });
  await exporter.afterPropertiesSet();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const client = new HessianProxyFactory(exporter.url, { timeoutMs: 10_000 });
  const lines: string[] = [];
  const previous = setLogSink({ write: (l: string) => void lines.push(l) });
  t.after(async () => {
    setLogSink(previous);
    agent.destroy();
    await client.close();
    await exporter.destroy();
  });
  const port = exporter.port!;
  const V = loadVectors();
  const seeds = [...V.envelopes.map((e) => Buffer.from(e.requestHex, "hex")), encodeCall("echo", [{ a: [1, "x", new Date(0)], b: Buffer.alloc(10) }]), encodeCall("echo", [{ a: 1 }], 1)];
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.boolean()).map(([s, edits, cut]) => {
      const b = Buffer.from(s);
      for (const [at, byte] of edits) b[at % b.length] = byte;
      return cut ? b.subarray(0, Math.max(1, edits[0]![0] % b.length)) : b;
    }),
    fc.tuple(fc.constantFrom(0x78, 0x48, 0x60, 0x4b, 0x5f, 0x20, 0x00, 0x91, 0x57), fc.integer({ min: 1, max: 2_000_000 })).map(([code, n]) =>
      Buffer.concat([Buffer.from([0x48, 0x02, 0x00, 0x43, 0x05, ...Buffer.from("count"), 0x91, 0x57]), code === 0x60 ? Buffer.from([0x43, 0x01, 0x50, 0x90]) : Buffer.alloc(0), Buffer.alloc(n, code), Buffer.from([0x5a])]),
    ),
  );
  // warm up, then measure
  for (const s of seeds) await post(agent, port, s);
  assert.equal(await client.callRemote("add", [1, 1]), 2);
  const before = heapNow();
  const statuses = new Map<number, number>();
  const end = Date.now() + RUN_MS;
  let sent = 0;
  for (let i = 0; i < 4000 && Date.now() < end; i += 4) {
    // made batch by batch (bodies of up to 2 MB are not all held at once)
    const batch = fc.sample(bodies, { numRuns: 4, seed: 2026 + i });
    const good = client.callRemote("add", [i, 1]);
    const got = await Promise.all(batch.map((b) => post(agent, port, b)));
    for (const s of got) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    assert.equal(await good, i + 1, "a good call made at the same time is answered");
    sent += batch.length;
  }
  await new Promise((r) => setTimeout(r, 200));
  const grew = heapNow() - before;
  assert.ok(sent >= 200, `only ${sent} requests in ${RUN_MS} ms`);
  for (const s of statuses.keys()) assert.ok([200, 400, 413, -1].includes(s), `unexpected HTTP status ${s}`);
  assert.ok((statuses.get(200) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0);
  assert.ok(grew < 24 * 2 ** 20, `the heap grew by ${(grew / 2 ** 20).toFixed(1)} MiB over ${sent} requests`);
  assert.equal(await client.callRemote("count", [[1, 2, 3]]), 3);
  assert.equal(exporter.connectionCount <= 5, true, `${exporter.connectionCount} connections left open`);
});
