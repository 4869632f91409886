/**
 * The XML-RPC client on the core call path: behaviour that drifted when it
 * had a transport of its own (each test failed on that code).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { ConnectionClosedError, ErrorCodes, RemotingError, TimeoutError, requestMayHaveRun } from "../../../src/core/errors.js";
import { setMetadata, type Interceptor, type InvocationKind } from "../../../src/core/invocation.js";
import { callContext } from "../../../src/core/server/call-context.js";
import { XmlRpcClient, XmlRpcProxyFactory, XmlRpcServer, encodeResponse, parseMethodCall } from "../../../src/protocols/xmlrpc/index.js";

class Recorder extends XmlRpcServer {
  runs = 0;
  marked: string | undefined = undefined;
  override registerFunctions(): void {
    this.registerFunction((v: unknown) => v, "echo");
    this.registerFunction(() => ++this.runs, "count");
    this.registerFunction(
      (ms: number, mark: string) =>
        new Promise<string>((resolve) =>
          setTimeout(() => {
            this.marked = mark;
            resolve(mark);
          }, ms),
        ),
      "slowMark",
    );
    this.registerFunction(() => {
      const c = callContext();
      return { requestId: c?.metadata.get("x-request-id") ?? "", timeout: c?.metadata.get("remoting-timeout") ?? "", deadlineSet: Number.isFinite(c?.deadline ?? Infinity) };
    }, "seenHeaders");
  }
}

describe("XmlRpcClient on the core call path", () => {
  let server: Recorder;
  let url: string;
  before(async () => {
    server = new Recorder({ host: "127.0.0.1", port: 0, logRequests: false, allowNone: true });
    await server.listen();
    url = `http://127.0.0.1:${server.port}/RPC2`;
  });
  after(() => server.close());

  it("honours oneway: the call resolves once sent, the function still runs", async () => {
    const c = new XmlRpcClient(url);
    try {
      assert.equal(await c.echo("warm"), "warm");
      const t0 = Date.now();
      assert.equal(await c.callRemote("slowMark", [500, "oneway ran"], { oneway: true }), undefined);
      assert.ok(Date.now() - t0 < 300, `waited ${Date.now() - t0} ms`);
      assert.notEqual(server.marked, "oneway ran");
      const until = Date.now() + 3000;
      while (server.marked !== "oneway ran" && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.equal(server.marked, "oneway ran");
    } finally {
      await c.close();
    }
  });

  it("refuses keyword arguments with ERR_NOT_SUPPORTED before sending anything", async () => {
    const c = new XmlRpcClient(url);
    try {
      const before = server.runs;
      await assert.rejects(c.callRemote("count", [], { kwargs: { n: 1 } }), (err: unknown) => {
        assert.ok(err instanceof RemotingError);
        assert.equal(err.code, ErrorCodes.ERR_NOT_SUPPORTED);
        assert.equal(requestMayHaveRun(err), false);
        return true;
      });
      assert.equal(server.runs, before);
    } finally {
      await c.close();
    }
  });

  for (const timeoutMs of [3e9, 2 ** 31, Infinity]) {
    it(`timeoutMs ${timeoutMs} means no time limit, and no timer spins while a call waits`, async () => {
      const c = new XmlRpcClient(url, { timeoutMs });
      try {
        assert.equal(await c.echo(1), 1);
        const cpu0 = process.cpuUsage();
        const t0 = Date.now();
        assert.equal(await c.slowMark(400, "slow"), "slow");
        const wall = Date.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        assert.ok((cpu.user + cpu.system) / 1000 < wall * 0.5, `cpu ${(cpu.user + cpu.system) / 1000} ms in a ${wall} ms wait`);
        assert.equal(await c.callRemote("slowMark", [50, "per call"], { timeoutMs: 3e9 }), "per call");
      } finally {
        await c.close();
      }
    });
  }

  it("an abort rejects at once with ERR_ABORTED and the signal's reason as cause; the client stays usable", async () => {
    const c = new XmlRpcClient(url);
    try {
      const ac = new AbortController();
      const reason = new Error("user gave up");
      const t0 = Date.now();
      const call = c.callRemote("slowMark", [2000, "aborted"], { signal: ac.signal });
      setTimeout(() => ac.abort(reason), 50);
      await assert.rejects(call, (err: unknown) => {
        assert.ok(err instanceof RemotingError);
        assert.equal(err.code, ErrorCodes.ERR_ABORTED);
        assert.equal(err.cause, reason);
        return true;
      });
      assert.ok(Date.now() - t0 < 1000);
      assert.equal(await c.echo("after"), "after");
    } finally {
      await c.close();
    }
  });

  it("sends the invocation's metadata and the time left as HTTP headers; the server's deadline follows", async () => {
    const tag: Interceptor = (next) => (inv) => {
      setMetadata(inv, "x-request-id", "req-42");
      return next(inv);
    };
    const c = new XmlRpcClient(url, { timeoutMs: "5s", interceptors: [tag] });
    try {
      const seen = (await c.seenHeaders()) as { requestId: string; timeout: string; deadlineSet: boolean };
      assert.equal(seen.requestId, "req-42");
      const left = Number(seen.timeout);
      assert.ok(left > 4000 && left <= 5000, `remoting-timeout ${seen.timeout}`);
      assert.equal(seen.deadlineSet, true);
      const none = new XmlRpcClient(url, { timeoutMs: "none" });
      try {
        assert.deepEqual(await none.seenHeaders(), { requestId: "", timeout: "", deadlineSet: false });
      } finally {
        await none.close();
      }
    } finally {
      await c.close();
    }
  });

  it("sends a multicall through the same stack, as one batch invocation", async () => {
    const seen: Array<[InvocationKind, string]> = [];
    const spy: Interceptor = (next) => (inv) => {
      seen.push([inv.kind, inv.method]);
      return next(inv);
    };
    const c = new XmlRpcClient(url, { interceptors: spy });
    try {
      assert.deepEqual(await c.multicall().add("echo", 1).add("echo", "two").values(), [1, "two"]);
      assert.deepEqual(seen, [["batch", "system.multicall"]]);
      // and its deadline applies: a multicall that takes too long times out
      await assert.rejects(c.multicall().add("slowMark", 2000, "x").run({ timeoutMs: 100 }), TimeoutError);
    } finally {
      await c.close();
    }
  });

  it("a proxy factory whose serviceUrl changed calls the new server", async () => {
    const other = new Recorder({ host: "127.0.0.1", port: 0, logRequests: false });
    await other.listen();
    const f = new XmlRpcProxyFactory();
    f.serviceUrl = url;
    try {
      const a = server.runs;
      await f.count();
      assert.equal(server.runs, a + 1);
      f.serviceUrl = `http://127.0.0.1:${other.port}/RPC2`;
      await f.count();
      await f.count();
      assert.equal(server.runs, a + 1, "the old server was called after serviceUrl changed");
      assert.equal(other.runs, 2);
    } finally {
      await f.close();
      await other.close();
    }
  });
});

describe("XmlRpcClient and a connection that drops while the server runs a call", () => {
  // A plain HTTP server: `echo` answers, `drop` counts its run and closes the connection without answering.
  let http: Server;
  let port: number;
  let drops = 0;
  before(async () => {
    http = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => (body += d));
      req.on("end", () => {
        const call = parseMethodCall(body);
        if (call.methodName === "drop") {
          drops++;
          setTimeout(() => req.socket.destroy(), 50);
          return;
        }
        const answer = encodeResponse(call.params[0]);
        res.writeHead(200, { "Content-Type": "text/xml", "Content-Length": Buffer.byteLength(answer) });
        res.end(answer);
      });
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    port = (http.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => http.close(() => r())));

  it("is never re-sent silently on a kept-alive connection: the call ran once and fails saying it may have run", async () => {
    const c = new XmlRpcClient(`http://127.0.0.1:${port}/RPC2`);
    try {
      assert.equal(await c.echo("keep-alive"), "keep-alive");
      const before = drops;
      await assert.rejects(c.drop(), (err: unknown) => {
        assert.ok(err instanceof ConnectionClosedError, String(err));
        assert.ok(err.phase === "send" || err.phase === "reply", String(err.phase));
        assert.equal(requestMayHaveRun(err), true);
        return true;
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(drops, before + 1, "the call was sent twice");
    } finally {
      await c.close();
    }
  });

  it("is re-sent by the retry policy only when its method is idempotent", async () => {
    const plain = new XmlRpcClient(`http://127.0.0.1:${port}/RPC2`, { retryAttempts: "3", retryInitialBackoffMs: "10ms" });
    const idem = new XmlRpcClient(`http://127.0.0.1:${port}/RPC2`, { retryAttempts: "3", retryInitialBackoffMs: "10ms", idempotentMethods: "drop" });
    try {
      let before = drops;
      await assert.rejects(plain.drop(), ConnectionClosedError);
      assert.equal(drops, before + 1);
      before = drops;
      await assert.rejects(idem.drop(), ConnectionClosedError);
      assert.equal(drops, before + 3, "an idempotent method is tried retryAttempts times");
    } finally {
      await plain.close();
      await idem.close();
    }
  });
});
