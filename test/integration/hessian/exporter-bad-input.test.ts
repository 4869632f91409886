/**
 * Random and mutated request bodies sent to a running exporter: every request
 * gets an answer in bounded time, the process does not crash, and the
 * exporter keeps serving good calls (including calls made at the same time).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fc from "fast-check";
import { HessianProxyFactory, HessianServiceExporter, encodeCall } from "../../../src/protocols/hessian/index.js";
import { loadVectors } from "../../unit/hessian/support.js";

function post(agent: http.Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/", method: "POST", agent, headers: { "Content-Length": String(body.length) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(5000, () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", reject);
    req.end(body);
  });
}

test("the exporter survives random and mutated requests and keeps serving", { timeout: 60_000 }, async (t) => {
  const service = {
    add: (a: number, b: number): number => a + b,
    echo: (v: unknown): unknown => v,
  };
  const exporter = new HessianServiceExporter({ service, serviceHost: "127.0.0.1", servicePort: 0, maxRequestSize: 64 * 1024 });
  await exporter.afterPropertiesSet();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const client = new HessianProxyFactory(exporter.url, { timeoutMs: 5000 });
  t.after(async () => {
    agent.destroy();
    await client.close();
    await exporter.destroy();
  });
  const port = exporter.port!;
  const V = loadVectors();
  const seeds = [
    ...V.envelopes.map((e) => Buffer.from(e.requestHex, "hex")),
    encodeCall("echo", [{ a: [1, "x", new Date(0)], b: Buffer.alloc(10) }]),
    encodeCall("echo", [{ a: 1 }], 1),
  ];
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([s, at, byte, cut]) => {
      const b = Buffer.from(s);
      const i = at % b.length;
      b[i] = byte;
      return cut ? b.subarray(0, Math.max(1, i)) : b;
    }),
  );
  const samples = fc.sample(bodies, { numRuns: 300, seed: 42 });
  const statuses = new Set<number>();
  const t0 = Date.now();
  for (let i = 0; i < samples.length; i += 4) {
    const batch = samples.slice(i, i + 4);
    const good = client.add(i, 1);
    const got = await Promise.all(batch.map((b) => post(agent, port, b)));
    for (const s of got) statuses.add(s);
    assert.equal(await good, i + 1, "a good call made at the same time is answered");
  }
  assert.ok(Date.now() - t0 < 45_000);
  for (const s of statuses) assert.ok([200, 400, 413].includes(s), `unexpected HTTP status ${s}`);
  assert.ok(statuses.has(200) && statuses.has(400));
  assert.equal(await client.add(20, 22), 42);
  assert.deepEqual(await client.echo({ still: ["serving"] }), { still: ["serving"] });
});
