/**
 * The client's HTTP/1.1 transport for http: URLs, against raw TCP servers that
 * answer in every shape a Hessian server may use: Content-Length, chunked,
 * read-until-close, an interim 100 reply, and bad or oversized replies.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { deflateRawSync } from "node:zlib";
import { ErrorCodes } from "../../../src/core/errors.js";
import { HessianClient, encodeReply } from "../../../src/protocols/hessian/index.js";

/** A TCP server answering each request (head + Content-Length body) with `answer(n)`, where n counts requests on the server. */
async function rawServer(answer: (n: number, sock: net.Socket) => void): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  let conns = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    conns++;
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const m = /content-length: *(\d+)/i.exec(buf.subarray(0, end).toString("latin1"));
        const len = m ? Number(m[1]) : 0;
        if (buf.length < end + 4 + len) return;
        buf = buf.subarray(end + 4 + len);
        answer(++n, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => conns,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const OK = encodeReply("pong");

test("reads Content-Length, chunked, deflated and read-until-close replies, and skips a 100 Continue", async (t) => {
  const srv = await rawServer((n, sock) => {
    if (n === 1) sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${OK.length}\r\n\r\n`), OK]));
    else if (n === 2) {
      // Chunked, split across writes, with a chunk extension and a trailer.
      sock.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      sock.write(`3;x=1\r\n${OK.subarray(0, 3).toString("latin1")}\r\n`, "latin1");
      setTimeout(() => sock.write(Buffer.concat([Buffer.from(`${(OK.length - 3).toString(16)}\r\n`), OK.subarray(3), Buffer.from("\r\n0\r\nX-Trailer: 1\r\n\r\n")])), 10);
    } else if (n === 3) {
      const z = deflateRawSync(OK);
      sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: ${z.length}\r\n\r\n`), z]));
    } else {
      sock.end(Buffer.concat([Buffer.from("HTTP/1.0 200 OK\r\n\r\n"), OK]));
    }
  });
  const client = new HessianClient(`http://127.0.0.1:${srv.port}/x`);
  t.after(async () => {
    await client.close();
    await srv.close();
  });
  for (let i = 0; i < 4; i++) assert.equal(await client.invoke("ping", []), "pong", `reply ${i + 1}`);
  assert.equal(srv.connections(), 1, "one kept-alive connection served them all");
  assert.equal(await client.invoke("ping", []), "pong", "a new connection after the server closed it");
  assert.equal(srv.connections(), 2);
});

test("rejects oversized, malformed and cut-short replies with stable codes", async (t) => {
  const srv = await rawServer((n, sock) => {
    if (n === 1) sock.write("HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n");
    else if (n === 2) sock.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2000\r\n");
    else if (n === 3) sock.end("SMTP ready\r\n\r\n");
    else if (n === 4) sock.end("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort");
    else if (n === 5) sock.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc");
    else sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${OK.length}\r\n\r\n`), OK]));
  });
  const client = new HessianClient(`http://127.0.0.1:${srv.port}/`, { maxReplySize: 1024, timeoutMs: 5000 });
  t.after(async () => {
    await client.close();
    await srv.close();
  });
  const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;
  await assert.rejects(client.invoke("a", []), code(ErrorCodes.ERR_MESSAGE_TOO_LARGE), "declared length over the limit");
  await assert.rejects(client.invoke("a", []), code(ErrorCodes.ERR_MESSAGE_TOO_LARGE), "chunk over the limit");
  await assert.rejects(client.invoke("a", []), code(ErrorCodes.ERR_PROTOCOL), "not HTTP");
  await assert.rejects(client.invoke("a", []), code(ErrorCodes.ERR_CONNECTION_CLOSED), "cut short");
  await assert.rejects(client.invoke("a", []), code(ErrorCodes.ERR_PROTOCOL), "conflicting lengths");
  assert.equal(await client.invoke("a", []), "pong", "the client still works");
});

test("queues calls beyond maxSockets and serves them all", async (t) => {
  const srv = await rawServer((_n, sock) => {
    setTimeout(() => sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${OK.length}\r\n\r\n`), OK])), 5);
  });
  const client = new HessianClient(`http://127.0.0.1:${srv.port}/`, { maxSockets: 2 });
  t.after(async () => {
    await client.close();
    await srv.close();
  });
  const all = await Promise.all(Array.from({ length: 10 }, () => client.invoke("ping", [])));
  assert.deepEqual(all, Array(10).fill("pong"));
  assert.ok(srv.connections() <= 2, `at most 2 connections (got ${srv.connections()})`);
});

test("rejects header values that would split the request head", () => {
  assert.throws(() => new HessianClient("http://127.0.0.1:1/", { headers: { "X-Bad": "a\r\nInjected: 1" } }), (err: unknown) => (err as { code?: string }).code === ErrorCodes.ERR_CONFIG_INVALID_VALUE);
});
