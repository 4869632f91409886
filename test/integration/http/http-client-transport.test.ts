/**
 * The shared HTTP/1.1 client transport of Hessian and XML-RPC (src/http):
 * keep-alive reuse, chunked and gzip/deflate replies within the body limit,
 * deadlines and abort with the right phase, the stale-connection rule (no
 * silent re-send), TLS through the core settings.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { createServer as createHttpsServer } from "node:https";
import { gzipSync, deflateSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { ConnectionClosedError, ErrorCodes, MessageTooLargeError, RemotingError, SecurityError, TimeoutError } from "../../../src/index.js";
import { HttpClient } from "../../../src/http/client.js";
import { readTlsSettings, serverTlsOptions } from "../../../src/core/tls.js";
import { testPki } from "../conformance/protocols.js";

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (s += c));
    req.on("end", () => resolve(s));
  });
}

describe("HttpClient (shared HTTP/1.1 transport)", () => {
  let server: Server;
  let port: number;
  let handled = 0;
  const sockets = new Set<Socket>();
  before(async () => {
    server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      handled++;
      const body = await readBody(req);
      const url = req.url ?? "/";
      if (url === "/echo") {
        res.writeHead(200, { "Content-Type": "text/plain", "X-Got": req.headers["x-meta"] ?? "" });
        res.end(body);
      } else if (url === "/chunked") {
        res.writeHead(200);
        res.write("part1-");
        res.end("part2");
      } else if (url === "/gzip") {
        const z = gzipSync(Buffer.from(body.repeat(10)));
        res.writeHead(200, { "Content-Encoding": "gzip", "Content-Length": z.length });
        res.end(z);
      } else if (url === "/deflate") {
        const z = deflateSync(Buffer.from(body));
        res.writeHead(200, { "Content-Encoding": "deflate", "Content-Length": z.length });
        res.end(z);
      } else if (url === "/slow") {
        setTimeout(() => res.end("late"), 1500);
      } else if (url === "/drop") {
        req.socket.destroy();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    server.on("connection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    port = await listen(server);
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const client = (o: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) => new HttpClient({ url: new URL(`http://127.0.0.1:${port}/`), maxBodyBytes: 1_000_000, ...o });

  it("posts, reads Content-Length and chunked replies, and reuses one keep-alive connection", async () => {
    const c = client();
    const r1 = await c.request({ path: "/echo", body: "héllo", deadline: Infinity, headers: [["X-Meta", "m1"]] });
    assert.equal(r1.status, 200);
    assert.equal(r1.body.toString("utf8"), "héllo");
    assert.equal(r1.rawHeaders[r1.rawHeaders.findIndex((h) => h.toLowerCase() === "x-got") + 1], "m1");
    const r2 = await c.request({ path: "/chunked", body: Buffer.from("x"), deadline: Infinity });
    assert.equal(r2.body.toString(), "part1-part2");
    assert.equal(c.connectionCount, 1);
    c.close();
  });

  it("inflates gzip and deflate replies, and refuses one that inflates past the body limit", async () => {
    const c = client({ maxBodyBytes: 1000 });
    assert.equal((await c.request({ path: "/gzip", body: "ab", deadline: Infinity })).body.toString(), "ab".repeat(10));
    assert.equal((await c.request({ path: "/deflate", body: "xyz", deadline: Infinity })).body.toString(), "xyz");
    await assert.rejects(c.request({ path: "/gzip", body: "z".repeat(500), deadline: Infinity }), MessageTooLargeError);
    c.close();
  });

  it("a request past its deadline fails with TimeoutError phase reply; a new request works", async () => {
    const c = client();
    const t0 = Date.now();
    await assert.rejects(c.request({ path: "/slow", body: "", deadline: Date.now() + 200, timeoutMs: 200 }), (err: unknown) => err instanceof TimeoutError && err.phase === "reply");
    assert.ok(Date.now() - t0 < 1000);
    assert.equal((await c.request({ path: "/echo", body: "ok", deadline: Date.now() + 2000 })).body.toString(), "ok");
    c.close();
  });

  it("an abort gives ERR_ABORTED with the reason as cause", async () => {
    const c = client();
    const ac = new AbortController();
    const p = c.request({ path: "/slow", body: "", deadline: Infinity, signal: ac.signal });
    setTimeout(() => ac.abort("stop"), 100);
    await assert.rejects(p, (err: unknown) => err instanceof RemotingError && err.code === ErrorCodes.ERR_ABORTED && err.cause === "stop" && (err as { phase?: string }).phase === "reply");
    c.close();
  });

  it("a connection dropped while the server handles the request is not re-sent: phase send, handled once", async () => {
    const c = client();
    await c.request({ path: "/echo", body: "warm", deadline: Infinity });
    const before = handled;
    await assert.rejects(c.request({ path: "/drop", body: "x", deadline: Infinity }), (err: unknown) => err instanceof ConnectionClosedError && (err.phase === "send" || err.phase === "reply"));
    assert.equal(handled, before + 1);
    c.close();
  });

  it("an idle connection the server closed leaves the pool at once: the next request opens a new one", async () => {
    const c = client();
    await c.request({ path: "/echo", body: "1", deadline: Infinity });
    for (const s of sockets) s.end();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.connectionCount, 0);
    assert.equal((await c.request({ path: "/echo", body: "2", deadline: Infinity })).body.toString(), "2");
    c.close();
  });

  it("a refused connection fails with phase connect", async () => {
    const s = createServer();
    const p = await listen(s);
    await new Promise<void>((r) => s.close(() => r()));
    const c = new HttpClient({ url: new URL(`http://127.0.0.1:${p}/`), maxBodyBytes: 1000 });
    await assert.rejects(c.request({ path: "/", body: "", deadline: Infinity }), (err: unknown) => (err as RemotingError).code === ErrorCodes.ERR_CONNECTION_REFUSED && (err as { phase?: string }).phase === "connect");
    c.close();
  });

  it("oneway resolves once the request is written", async () => {
    const c = client();
    const t0 = Date.now();
    const r = await c.request({ path: "/slow", body: "", deadline: Infinity, oneway: true });
    assert.equal(r.status, 0);
    assert.ok(Date.now() - t0 < 500);
    c.close();
  });

  it("https with the core TLS settings: a trusted server is reached, an untrusted one refused with SecurityError", async () => {
    const pki = await testPki();
    const settings = readTlsSettings({ tlsKey: pki.serverKey, tlsCert: pki.serverCert }, "server")!;
    const tlsServer = createHttpsServer(serverTlsOptions(settings), (req, res) => void readBody(req).then((b) => res.end(b)));
    const tp = await listen(tlsServer as unknown as Server);
    try {
      const ok = new HttpClient({ url: new URL(`https://127.0.0.1:${tp}/`), maxBodyBytes: 1000, tls: readTlsSettings({ tlsCa: pki.ca }, "client") });
      assert.equal((await ok.request({ path: "/", body: "secret", deadline: Infinity })).body.toString(), "secret");
      ok.close();
      const bad = new HttpClient({ url: new URL(`https://127.0.0.1:${tp}/`), maxBodyBytes: 1000, tls: readTlsSettings({}, "client") });
      await assert.rejects(bad.request({ path: "/", body: "x", deadline: Infinity }), (err: unknown) => err instanceof SecurityError && err.phase === "connect");
      bad.close();
    } finally {
      await new Promise<void>((r) => tlsServer.close(() => r()));
    }
  });
});

describe("HTTP statuses, the same for every HTTP protocol", () => {
  it("404 and 503 did not run (phase connect; 404 is ERR_SERVICE_NOT_FOUND); other statuses may have (phase reply)", async () => {
    const { statusError } = await import("../../../src/http/client.js");
    const res = (status: number, body = "") => ({ status, statusText: "x", httpVersion: "1.1", rawHeaders: [], body: Buffer.from(body) });
    const nf = statusError(res(404, "no such path"), "http://h/svc");
    assert.equal(nf.code, ErrorCodes.ERR_SERVICE_NOT_FOUND);
    assert.equal(nf.phase, "connect");
    assert.match(nf.message, /HTTP 404 x: no such path/);
    assert.equal(statusError(res(503), "h").phase, "connect");
    const other = statusError(res(500, "boom"), "h");
    assert.equal(other.code, ErrorCodes.ERR_PROTOCOL);
    assert.equal(other.phase, "reply");
  });
});
