/**
 * A bounded fuzzing run against a running XML-RPC server, with the heap
 * measured before and after: mutated calls, random bodies, other encodings,
 * gzip bodies (some bombs), expanding documents up to 2 MB, truncated and
 * oversized ones, four at a time beside a good call. Every request gets an
 * answer in bounded time, a good call made at the same time is answered, and
 * what the run leaves behind is bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { XmlRpcClient, XmlRpcServer } from "../../../src/protocols/xmlrpc/index.js";
import { encodeCall } from "../../../src/protocols/xmlrpc/codec.js";
import { captureLogs } from "./fixtures.js";
import { heapNow } from "../../helpers/heap.js";

const RUN_MS = 10_000;

function post(agent: http.Agent, port: number, body: Buffer, gzip: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "Content-Type": "text/xml", "Content-Length": String(body.length) };
    if (gzip) headers["Content-Encoding"] = "gzip";
    const req = http.request({ host: "127.0.0.1", port, path: "/RPC2", method: "POST", agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" || err.code === "EPIPE" ? resolve(-1) : reject(err)));
    req.end(body);
  });
}

class Service extends XmlRpcServer {
  override registerFunctions(): void {
    this.registerFunction((a: number, b: number) => a + b, "add");
    this.registerFunction((v: unknown) => v, "echo");
  }
}

test("a bounded fuzzing run against the XML-RPC server: answered, still serving, nothing left behind", { timeout: 90_000 }, async (t) => {
  const server = new Service({ host: "127.0.0.1", port: 0, logRequests: false, maxBodyBytes: "1MiB", allowNone: true });
  await server.listen();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const client = new XmlRpcClient(`http://127.0.0.1:${server.port}/RPC2`, { timeoutMs: 10_000 });
  const logs = captureLogs("fatal");
  t.after(async () => {
    logs.restore();
    agent.destroy();
    await client.close();
    await server.close();
  });
  const seeds = [
    encodeCall("echo", [1, "two", 3.5, true, new Date(0), Buffer.from("xyz"), [1, [2]], { a: { b: "c" } }]),
    encodeCall("add", [1, 2]),
    `<?xml version="1.0" encoding="ISO-8859-1"?><methodCall><methodName>echo</methodName><params><param><value>caf\xe9</value></param></params></methodCall>`,
  ].map((s) => Buffer.from(s, "latin1"));
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((a) => ({ body: Buffer.from(a), gzip: false })),
    fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.boolean()).map(([s, edits, gzip]) => {
      const b = Buffer.from(s);
      for (const [at, byte] of edits) b[at % b.length] = byte;
      return { body: gzip ? gzipSync(b) : b, gzip };
    }),
    fc.tuple(fc.constantFrom("<value><array><data></data></array></value>", "<value><struct></struct></value>", "<value/>", "<value><i8>77</i8></value>"), fc.integer({ min: 1, max: 60_000 }), fc.boolean()).map(([unit, n, gzip]) => {
      const b = Buffer.from(`<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value><array><data>${unit.repeat(n)}</data></array></value></param></params></methodCall>`);
      return { body: gzip ? gzipSync(b) : b, gzip };
    }),
    // a gzip bomb: 20 MB of spaces in a few kB
    fc.constant({ body: gzipSync(Buffer.alloc(20 * 2 ** 20, 0x20)), gzip: true }),
  );
  for (const s of seeds) await post(agent, server.port, s, false);
  assert.equal(await client.callRemote("add", [1, 1]), 2);
  const before = heapNow();
  const statuses = new Map<number, number>();
  const end = Date.now() + RUN_MS;
  let sent = 0;
  for (let i = 0; i < 4000 && Date.now() < end; i += 4) {
    const batch = fc.sample(bodies, { numRuns: 4, seed: 77 + i });
    const good = client.callRemote("add", [i, 1]);
    const got = await Promise.all(batch.map((b) => post(agent, server.port, b.body, b.gzip)));
    for (const s of got) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    assert.equal(await good, i + 1, "a good call made at the same time is answered");
    sent += batch.length;
  }
  await new Promise((r) => setTimeout(r, 200));
  const grew = heapNow() - before;
  assert.ok(sent >= 200, `only ${sent} requests in ${RUN_MS} ms`);
  for (const s of statuses.keys()) assert.ok([200, 400, 413, -1].includes(s), `unexpected HTTP status ${s}`);
  assert.ok((statuses.get(200) ?? 0) > 0 && (statuses.get(413) ?? 0) > 0);
  assert.ok(grew < 24 * 2 ** 20, `the heap grew by ${(grew / 2 ** 20).toFixed(1)} MiB over ${sent} requests`);
  assert.equal(await client.callRemote("add", [20, 22]), 42);
  assert.ok(server.connectionCount <= 5, `${server.connectionCount} connections left open`);
});
