/**
 * The protocol-neutral server guards of core/server/connections, on a plain
 * node:http server, and the shared client against a server that sends its
 * reply head in pieces:
 * - at most maxConnections, at most maxConnectionsPerPeer from one address
 *   (other addresses still get in); an idle connection (nothing in flight
 *   for a second) makes room, a busy one never does; a refusal is immediate
 *   and says 503 over plain HTTP;
 * - 408 for a request that did not arrive in time, and the connection
 *   closed even when the peer never reads or closes (no half-open sockets);
 * - the memory budget per client address;
 * - a reply head in any number of pieces is read whole, in linear time.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { ConnectionGuard, PeerBudget, answerHttpClientError, httpTimeOptions } from "../../../src/core/server/connections.js";
import { getLogger } from "../../../src/core/logging.js";
import { HttpClient } from "../../../src/http/client.js";
import { raw } from "../../helpers/raw-socket.js";

const log = getLogger("test.guards");
const FULL = Buffer.from("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", "latin1");

async function guarded(limits: { maxConnections?: number; maxConnectionsPerPeer?: number }, requestTimeoutMs = 30_000): Promise<{ server: http.Server; guard: ConnectionGuard; port: number }> {
  const server = http.createServer(httpTimeOptions({ requestTimeoutMs }), (req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  const guard = new ConnectionGuard(server, log, { ...limits, refusal: FULL });
  guard.trackHttp(server);
  server.on("clientError", (err, socket) => answerHttpClientError(err, socket, log));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, guard, port: (server.address() as net.AddressInfo).port };
}

const busyRequest = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab";

describe("server connection guards", () => {
  it("one address cannot take every connection: over maxConnectionsPerPeer it is refused, others still get in", async (t) => {
    const { server, guard, port } = await guarded({ maxConnections: 100, maxConnectionsPerPeer: 3 });
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const mine = await Promise.all([1, 2, 3].map(() => raw(port, busyRequest)));
    await new Promise((r) => setTimeout(r, 50));
    const fourth = await raw(port, busyRequest);
    await fourth.closed;
    assert.match(fourth.received(), /^HTTP\/1\.1 503/);
    const other = await raw(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "127.0.0.2");
    await other.closed;
    assert.match(other.received(), /^HTTP\/1\.1 200/, "another address is served");
    assert.equal(guard.connectionsOf("127.0.0.1"), 3);
    assert.ok(guard.refused >= 1);
    for (const m of mine) m.socket.destroy();
  });

  it("a full server closes the connection idle the longest to make room, never a busy one, and refuses when none is idle", async (t) => {
    const { server, guard, port } = await guarded({ maxConnections: 3 });
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const busy = await raw(port, busyRequest);
    const idle1 = await raw(port);
    await new Promise((r) => setTimeout(r, 100));
    const idle2 = await raw(port);
    // nobody has been idle for a second yet: refused
    const early = await raw(port);
    await early.closed;
    assert.match(early.received(), /^HTTP\/1\.1 503/);
    await new Promise((r) => setTimeout(r, 1000));
    const late = await raw(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    await idle1.closed;
    assert.equal(guard.evicted, 1, "the longest-idle connection made room");
    await new Promise((r) => setTimeout(r, 50));
    assert.match(late.received(), /^HTTP\/1\.1 200/);
    assert.equal(busy.socket.destroyed, false, "the busy one stays");
    assert.equal(idle2.socket.destroyed, false);
    for (const c of [busy, idle2, late]) c.socket.destroy();
  });

  it("a request that does not arrive in time gets 408 and its connection closes, even when the peer never reads", async (t) => {
    const { server, guard, port } = await guarded({}, 500);
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const reader = await raw(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
    const ms = await reader.closed;
    assert.ok(ms >= 400 && ms < 3000, `closed after ${ms} ms`);
    assert.match(reader.received(), /^HTTP\/1\.1 408/);
    // a peer that never reads nor closes: the server's side goes anyway
    const deaf = await raw(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
    deaf.socket.pause();
    const t0 = Date.now();
    while (guard.size > 0 && Date.now() - t0 < 4000) await new Promise((r) => setTimeout(r, 25));
    assert.equal(guard.size, 0, "the server holds no connection");
    assert.ok(Date.now() - t0 < 3000, `the server closed it after ${Date.now() - t0} ms`);
    deaf.socket.destroy();
  });

  it("the memory budget per client address reserves, refuses beyond, and releases", () => {
    const b = new PeerBudget(1000);
    assert.equal(b.reserve("a", 600), true);
    assert.equal(b.reserve("a", 500), false);
    assert.equal(b.heldBy("a"), 600);
    assert.equal(b.reserve("b", 1000), true, "another address has its own budget");
    assert.equal(b.available("a"), 400);
    b.release("a", 600);
    assert.equal(b.heldBy("a"), 0);
    assert.equal(b.heldTotal, 1000);
    assert.equal(b.reserve("a", 1000), true);
  });
});

describe("the shared HTTP client reads a reply head sent in pieces", () => {
  it("split anywhere, even inside the blank line, and one byte at a time", async (t) => {
    const reply = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Long: " + "y".repeat(20_000) + "\r\n\r\nhello";
    const end = reply.indexOf("\r\n\r\n");
    // where to cut: around the blank line, and then every byte
    const plans: number[][] = [[end - 1], [end], [end + 1], [end + 2], [end + 3], [end + 1, end + 2, end + 3], [10, end + 2]];
    let plan = 0;
    const server = net.createServer((s) => {
      s.setNoDelay(true);
      s.once("data", async () => {
        const cuts = plans[plan++] ?? Array.from({ length: reply.length - 1 }, (_, i) => i + 1);
        let from = 0;
        for (const c of [...cuts, reply.length]) {
          s.write(reply.slice(from, c));
          from = c;
          if (cuts.length < 100) await new Promise((r) => setTimeout(r, 15));
          else if (from % 2000 === 0) await new Promise((r) => setImmediate(r));
        }
        s.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    t.after(() => void server.close());
    const client = new HttpClient({ url: new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`), maxBodyBytes: 1000, keepAlive: false });
    t.after(() => client.close());
    for (let i = 0; i <= plans.length; i++) {
      const t0 = performance.now();
      const res = await client.request({ path: "/", body: "x", deadline: Date.now() + 20_000 });
      assert.equal(res.status, 200, `plan ${i}`);
      assert.equal(res.body.toString(), "hello", `plan ${i}`);
      assert.equal(res.rawHeaders[3]!.length, 20_000);
      assert.ok(performance.now() - t0 < 15_000);
    }
  });
});
