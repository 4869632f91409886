/**
 * OpenTelemetry across two processes: a client process and a server process,
 * each with the SDK's in-memory exporter. Every call gives a CLIENT span in
 * the client and a SERVER span in the server, in the same trace, the server
 * span a child of the client span: the W3C trace context travelled in Pyro
 * annotations, HTTP headers and NATS headers.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { requirePeers } from "../../helpers/peers.js";
import { startNatsServer } from "../../helpers/nats-server.js";

const PEER = join(import.meta.dirname, "otel-peer.ts");

interface SpanLine {
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  system: string | null;
}

it("a client span per call and a server span that continues it, for Pyro4, Hessian, XML-RPC and NATS", async (t) => {
  if (!requirePeers(t, "nats-server")) return;
  const nats = await startNatsServer();
  t.after(() => nats.stop());
  const server = spawn(process.execPath, ["--import", "tsx", PEER, "server"], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, NATS_SERVERS: nats.hostPort } });
  let out = "";
  server.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const line = async (n: number): Promise<string> => {
    const until = Date.now() + 30_000;
    while (out.split("\n").filter(Boolean).length < n && Date.now() < until && server.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    return out.split("\n").filter(Boolean)[n - 1] ?? "";
  };
  try {
    const urls = JSON.parse(await line(1)) as { pyro4: string; hessian: string; xmlrpc: string; nats: string };
    const client = spawnSync(process.execPath, ["--import", "tsx", PEER, "client", urls.pyro4, urls.hessian, urls.xmlrpc, urls.nats], { encoding: "utf8", timeout: 60_000 });
    assert.equal(client.status, 0, client.stderr);
    const clientSpans = JSON.parse(client.stdout.trim().split("\n").pop()!) as SpanLine[];
    server.stdin!.write("dump\n");
    const serverSpans = JSON.parse(await line(2)) as SpanLine[];
    const parent = clientSpans.find((s) => s.name === "parent")!;
    assert.ok(parent);
    for (const system of ["pyro4", "hessian", "xmlrpc", "nats"]) {
      const c = clientSpans.find((s) => s.kind === "client" && s.system === system);
      assert.ok(c, `no client span for ${system}: ${JSON.stringify(clientSpans)}`);
      assert.match(c.name, /\/greet$/);
      assert.equal(c.traceId, parent.traceId);
      assert.equal(c.parentSpanId, parent.spanId);
      const s = serverSpans.find((x) => x.kind === "server" && x.system === system);
      assert.ok(s, `no server span for ${system}: ${JSON.stringify(serverSpans)}`);
      assert.equal(s.traceId, c.traceId, `${system}: the server span is in the client's trace`);
      assert.equal(s.parentSpanId, c.spanId, `${system}: the server span is a child of the client span`);
      assert.match(s.name, /greet$/);
    }
  } finally {
    server.stdin!.write("quit\n");
    await new Promise((r) => (server.exitCode !== null ? r(null) : server.once("exit", r)));
  }
});
