/**
 * XmlRpcServer and SSLServer dispatch through the core's ServiceTable:
 * arity faults in Python's words before anything runs, the call context
 * (with the caller's certificate), server interceptors, oneway methods, the
 * client's deadline; the Python-style API (registerFunction with `this` =
 * the server, registerInstance, dispatch() override, multicall) on top.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { RemoteInvocationError } from "../../../src/core/errors.js";
import { callContext, type CallContext } from "../../../src/core/server/call-context.js";
import type { ServerInterceptor } from "../../../src/core/server/service-table.js";
import { SSLClient, SSLServer, XmlRpcClient, XmlRpcServer, XmlRpcServiceExporter, parseMethodResponse } from "../../../src/protocols/xmlrpc/index.js";
import { captureLogs, makeTestPki, type LogCapture, type TestPki } from "./fixtures.js";

function contextOf(c: CallContext | undefined): Record<string, unknown> {
  return {
    protocol: c?.protocol,
    service: c?.service,
    method: c?.method,
    serializer: c?.serializer,
    clientAddress: c?.clientAddress,
    clientPort: typeof c?.clientPort,
    userAgent: c?.metadata.get("user-agent"),
    commonName: c?.clientCertificate?.subject["commonName"] ?? "",
    oneway: c?.oneway,
  };
}

class Calls extends XmlRpcServer {
  runs = 0;
  onewayDone = 0;
  override registerFunctions(): void {
    this.registerFunction((a: number, b: number) => {
      this.runs++;
      return a + b;
    }, "add");
    this.registerFunction(function (this: Calls) {
      return this instanceof Calls && this.runs >= 0;
    }, "isServer");
    this.registerFunction(() => contextOf(callContext()), "context");
    this.registerFunction(
      async (ms: number) => {
        await new Promise((r) => setTimeout(r, ms));
        this.onewayDone++;
        return "late";
      },
      "fireAndForget",
      { oneway: true },
    );
  }
}

function post(port: number, body: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/RPC2", agent: false, headers: { "Content-Type": "text/xml", "Content-Length": Buffer.byteLength(body), ...headers } }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (data += d));
      res.on("end", () => resolve(data));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("XmlRpcServer dispatches through the service table", () => {
  let server: Calls;
  let client: XmlRpcClient;
  before(async () => {
    server = new Calls({ host: "127.0.0.1", port: 0, logRequests: false });
    await server.listen();
    client = new XmlRpcClient(`http://127.0.0.1:${server.port}/RPC2`);
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it("refuses too few or too many arguments with Python's TypeError fault, before the function runs", async () => {
    const before = server.runs;
    await assert.rejects(client.add(1), (err: unknown) => {
      assert.ok(err instanceof RemoteInvocationError);
      assert.equal(err.remoteCode, 1);
      assert.equal(err.remoteType, "TypeError");
      assert.equal(err.remoteMessage, "<class 'TypeError'>:add() missing 1 required positional argument: 'b'");
      return true;
    });
    await assert.rejects(client.add(1, 2, 3), { remoteMessage: "<class 'TypeError'>:add() takes 2 positional arguments but 3 were given" });
    assert.equal(server.runs, before);
    assert.equal(await client.add(2, 3), 5);
  });

  it("calls a registered function with this = the server, like a Python bound method", async () => {
    assert.equal(await client.isServer(), true);
  });

  it("gives the function its call context: protocol, service, method, serializer, client address, request headers", async () => {
    assert.deepEqual(await client.context(), {
      protocol: "xmlrpc",
      service: "RPC2",
      method: "context",
      serializer: "xml",
      clientAddress: "127.0.0.1",
      clientPort: "number",
      userAgent: "remoting XML-RPC client",
      commonName: "",
      oneway: false,
    });
  });

  it("answers a oneway function at once and runs it after", async () => {
    const before = server.onewayDone;
    const t0 = Date.now();
    assert.equal(await client.fireAndForget(300), null);
    assert.ok(Date.now() - t0 < 250, `answered after ${Date.now() - t0} ms`);
    assert.equal(server.onewayDone, before);
    const until = Date.now() + 3000;
    while (server.onewayDone === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.onewayDone, before + 1);
  });

  it("does not run a call whose client deadline (remoting-timeout) has already passed", async () => {
    const before = server.runs;
    const xml = `<?xml version="1.0"?><methodCall><methodName>add</methodName><params><param><value><int>1</int></value></param><param><value><int>2</int></value></param></params></methodCall>`;
    const r = parseMethodResponse(await post(server.port, xml, { "remoting-timeout": "0" }));
    assert.ok(r.fault);
    assert.match(r.fault ? r.faultString : "", /^<class 'TimeoutError'>:/);
    assert.equal(server.runs, before);
    assert.equal(parseMethodResponse(await post(server.port, xml, { "remoting-timeout": "5000" })).value, 3);
  });

  it("refuses a nested system.multicall and runs each multicall entry through the table", async () => {
    const results = await client.multicall().add("add", 1, 2).add("add", 1).add("system.multicall", []).run();
    assert.deepEqual(results[0], { ok: true, value: 3 });
    assert.equal(!results[1]!.ok && results[1]!.error.remoteMessage, "<class 'TypeError'>:add() missing 1 required positional argument: 'b'");
    assert.equal(!results[2]!.ok && results[2]!.error.remoteMessage, "<class 'Exception'>:system.multicall cannot be nested");
  });
});

describe("XmlRpcServer interceptors, registerInstance options and the dispatch() override", () => {
  it("runs server interceptors around every call (given as an option or with use()), which may refuse a call", async () => {
    const seen: string[] = [];
    const audit: ServerInterceptor = (next) => (call) => {
      seen.push(`${call.service}.${call.method}`);
      return next(call);
    };
    const guard: ServerInterceptor = (next) => (call) => {
      if (call.method === "forbidden") throw new Error("not for you");
      return next(call);
    };
    const s = new XmlRpcServer({ host: "127.0.0.1", port: 0, logRequests: false, interceptors: [audit] });
    s.use(guard);
    s.registerFunction(() => "ok", "allowed");
    s.registerFunction(() => "never", "forbidden");
    await s.listen();
    const c = new XmlRpcClient(`http://127.0.0.1:${s.port}/RPC2`);
    try {
      assert.equal(await c.allowed(), "ok");
      await assert.rejects(c.forbidden(), { remoteMessage: "<class 'Error'>:not for you" });
      assert.deepEqual(await c.callRemote("system.listMethods"), ["allowed", "forbidden", "system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall"]);
      assert.deepEqual(seen, ["RPC2.allowed", "RPC2.forbidden", "system.listMethods"]);
    } finally {
      await c.close();
      await s.close();
    }
  });

  it("serves an instance's methods on the instance, with oneway and allow-list options", async () => {
    class Counter {
      n = 0;
      bump(): number {
        return ++this.n;
      }
      async later(): Promise<void> {
        await new Promise((r) => setTimeout(r, 200));
        this.n += 100;
      }
      hidden(): string {
        return "no";
      }
    }
    const counter = new Counter();
    const s = new XmlRpcServer({ host: "127.0.0.1", port: 0, logRequests: false });
    s.registerInstance(counter, "counter.", { oneway: ["later"], allow: ["bump", "later"] });
    await s.listen();
    const c = new XmlRpcClient(`http://127.0.0.1:${s.port}/RPC2`);
    try {
      assert.equal(await c.callRemote("counter.bump"), 1);
      const t0 = Date.now();
      assert.equal(await c.callRemote("counter.later"), null);
      assert.ok(Date.now() - t0 < 150);
      await new Promise((r) => setTimeout(r, 350));
      assert.equal(counter.n, 101);
      await assert.rejects(c.callRemote("counter.hidden"), { remoteMessage: `<class 'Exception'>:method "counter.hidden" is not supported` });
    } finally {
      await c.close();
      await s.close();
    }
  });

  it("honours an overridden dispatch() (Python's _dispatch); super.dispatch() keeps the table's rules and the call context", async () => {
    const calls: string[] = [];
    class Audited extends XmlRpcServer {
      override registerFunctions(): void {
        this.registerFunction((a: number, b: number) => a * b, "mul");
        this.registerFunction(() => callContext()?.clientAddress ?? "none", "where");
      }
      protected override async dispatch(method: string, params: unknown[], depth: number): Promise<unknown> {
        calls.push(`${method}@${depth}`);
        if (method === "secret") return "from dispatch";
        return super.dispatch(method, params, depth);
      }
    }
    const s = new Audited({ host: "127.0.0.1", port: 0, logRequests: false });
    await s.listen();
    const c = new XmlRpcClient(`http://127.0.0.1:${s.port}/RPC2`);
    try {
      assert.equal(await c.mul(6, 7), 42);
      assert.equal(await c.secret(), "from dispatch");
      assert.equal(await c.where(), "127.0.0.1");
      await assert.rejects(c.mul(1), { remoteMessage: /^<class 'TypeError'>:mul\(\) missing 1 required positional argument/ });
      assert.deepEqual(await c.multicall().add("mul", 2, 3).values(), [6]);
      assert.deepEqual(calls, ["mul@0", "secret@0", "where@0", "mul@0", "system.multicall@0", "mul@1"]);
    } finally {
      await c.close();
      await s.close();
    }
  });

  it("refuses to register a name that is never served", () => {
    const s = new XmlRpcServer({ host: "127.0.0.1", port: 0 });
    assert.throws(() => s.registerFunction(() => 1, "_private"), { code: "ERR_INVALID_ARGUMENT" });
    assert.throws(() => s.registerFunction(() => 1, "constructor"), { code: "ERR_INVALID_ARGUMENT" });
  });
});

describe("SSLServer gives the function its caller's certificate", () => {
  let pki: TestPki;
  let logs: LogCapture;
  before(async () => {
    pki = await makeTestPki();
    logs = captureLogs("error");
  });
  after(async () => {
    logs.restore();
    await pki.cleanup();
  });

  it("callContext().clientCertificate holds the subject of a client certificate, and nothing without one", async () => {
    class Who extends SSLServer {
      override registerFunctions(): void {
        this.registerFunction(() => contextOf(callContext()), "context");
      }
    }
    for (const [req, withCert, cn] of [
      ["required", true, "My Client"],
      ["optional", false, ""],
    ] as const) {
      const s = new Who({ host: "127.0.0.1", port: 0, keyFile: pki.main.serverKey, certFile: pki.main.serverChain, caCerts: pki.main.caChain, certRequirement: req, logRequests: false });
      await s.listen();
      const c = withCert
        ? new SSLClient(`https://localhost:${s.port}/RPC2`, pki.main.caChain, pki.main.clientKey, pki.main.clientCert)
        : new SSLClient(`https://localhost:${s.port}/RPC2`, pki.main.caChain);
      try {
        const ctx = (await c.context()) as Record<string, unknown>;
        assert.equal(ctx["commonName"], cn, req);
        assert.equal(ctx["service"], "RPC2");
        assert.equal(ctx["userAgent"], "SSL XML-RPC Client (remoting)");
      } finally {
        await c.close();
        await s.close();
      }
    }
  });

  it("the exporter serves under its serviceName and its onewayMethods are answered at once", async () => {
    class Svc {
      done = 0;
      name(): string {
        return callContext()?.service ?? "";
      }
      async work(): Promise<void> {
        await new Promise((r) => setTimeout(r, 300));
        this.done++;
      }
    }
    const svc = new Svc();
    const e = new XmlRpcServiceExporter();
    const p = e as unknown as Record<string, unknown>;
    Object.assign(p, { service: svc, serviceName: "Greeter", serviceHost: "127.0.0.1", servicePort: "0", onewayMethods: "work" });
    await e.afterPropertiesSet();
    assert.match(e.url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/RPC2$/);
    const c = new XmlRpcClient(e.url!);
    try {
      assert.equal(await c.name(), "Greeter");
      const t0 = Date.now();
      assert.equal(await c.work(), null);
      assert.ok(Date.now() - t0 < 250);
      assert.equal(svc.done, 0);
      await new Promise((r) => setTimeout(r, 450));
      assert.equal(svc.done, 1);
    } finally {
      await c.close();
      await e.destroy();
    }
  });
});
