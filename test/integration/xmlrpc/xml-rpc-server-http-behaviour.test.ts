import assert from "node:assert/strict";
import { request, type IncomingMessage, type Server as HttpServer, type ServerOptions, type ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { RemoteInvocationError } from "../../../src/core/errors.js";
import { XmlRpcClient, XmlRpcFault, XmlRpcServer, parseMethodResponse } from "../../../src/protocols/xmlrpc/index.js";

class CountingServer extends XmlRpcServer {
  connections = 0;
  protected override createListener(options: ServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): HttpServer {
    const l = super.createListener(options, handler);
    l.on("connection", () => this.connections++);
    return l;
  }
  override registerFunctions(): void {
    this.registerFunction((a: number, b: number) => a + b, "add", { help: "Adds two numbers.", signature: [["int", "int", "int"]] });
    this.registerFunction((v: unknown) => v, "echo");
    this.registerFunction(() => undefined, "nothing");
    this.registerFunction((x: number) => 1 / x === Infinity ? (() => { throw new RangeError("division by zero"); })() : 1 / x, "invert");
    this.registerFunction(() => {
      throw new XmlRpcFault(4, "Too many parameters.");
    }, "fault4");
  }
}

function post(port: number, body: string | Buffer, opts: { path?: string; method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const buf = typeof body === "string" ? Buffer.from(body) : body;
    const req = request(
      { host: "127.0.0.1", port, method: opts.method ?? "POST", path: opts.path ?? "/RPC2", agent: false, headers: { "Content-Type": "text/xml", "Content-Length": buf.length, ...opts.headers } },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (data += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(opts.method === "GET" ? undefined : buf);
  });
}

const callXml = (method: string, params = "") => `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params}</params></methodCall>`;

describe("XmlRpcServer over HTTP", () => {
  let server: CountingServer;
  let client: XmlRpcClient;
  before(async () => {
    server = new CountingServer({ host: "127.0.0.1", port: 0, logRequests: false, maxBodyBytes: 64 * 1024 });
    await server.listen();
    client = new XmlRpcClient(`http://127.0.0.1:${server.port}/RPC2`);
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it("answers calls on / and /RPC2, 404 elsewhere, 501 for GET", async () => {
    assert.equal(parseMethodResponse((await post(server.port, callXml("add", "<param><value><int>1</int></value></param><param><value><int>2</int></value></param>"), { path: "/" })).body).value, 3);
    const r404 = await post(server.port, callXml("add"), { path: "/other" });
    assert.equal(r404.status, 404);
    assert.equal(r404.body, "No such page");
    const r501 = await post(server.port, "", { method: "GET" });
    assert.equal(r501.status, 501);
  });

  it("gives a typed Remote<T> view of the client", async () => {
    interface Calculator {
      add(a: number, b: number): number;
      echo<T>(v: T): T;
    }
    const calc = client.as<Calculator>();
    const sum: number = await calc.add(40, 2);
    assert.equal(sum, 42);
    assert.deepEqual(await calc.echo({ list: [1, "two", 3.5] }), { list: [1, "two", 3.5] });
  });

  it("keeps the connection alive across calls", async () => {
    const before = server.connections;
    for (let i = 0; i < 5; i++) assert.equal(await client.add(i, 1), i + 1);
    assert.ok(server.connections - before <= 1, `opened ${server.connections - before} connections`);
  });

  it("sends faults as Python does: code 1 and '<class ...>:message', or the code of an XmlRpcFault", async () => {
    await assert.rejects(client.invert(0), (err: RemoteInvocationError) => {
      assert.ok(err instanceof RemoteInvocationError);
      assert.equal(err.remoteCode, 1);
      assert.equal(err.remoteMessage, "<class 'RangeError'>:division by zero");
      assert.equal(err.remoteType, "RangeError");
      return true;
    });
    await assert.rejects(client.fault4(), { remoteCode: 4, remoteMessage: "Too many parameters." });
    await assert.rejects(client.nosuch(), { remoteCode: 1, remoteMessage: `<class 'Exception'>:method "nosuch" is not supported` });
    await assert.rejects(client.nothing(), { remoteCode: 1, remoteMessage: /cannot marshal None unless allowNone is enabled/ });
  });

  it("offers introspection and multicall", async () => {
    assert.deepEqual(await client.callRemote("system.listMethods"), [
      "add",
      "echo",
      "fault4",
      "invert",
      "nothing",
      "system.listMethods",
      "system.methodHelp",
      "system.methodSignature",
      "system.multicall",
    ]);
    assert.equal(await client.namespace("system").methodHelp!("add"), "Adds two numbers.");
    assert.deepEqual(await client.callRemote("system.methodSignature", ["add"]), [["int", "int", "int"]]);
    assert.equal(await client.callRemote("system.methodSignature", ["echo"]), "signatures not supported");
    const results = await client.multicall().add("add", 2, 3).add("fault4").add("echo", "x").run();
    assert.equal(results.length, 3);
    assert.deepEqual(results[0], { ok: true, value: 5 });
    assert.equal(results[1]!.ok, false);
    assert.equal(!results[1]!.ok && results[1]!.error.remoteCode, 4);
    assert.deepEqual(results[2], { ok: true, value: "x" });
    await assert.rejects(client.multicall().add("echo", 1).add("fault4").values(), { remoteCode: 4 });
  });

  it("answers bad input with a fault or a 4xx and keeps serving", async () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><methodCall><methodName>&b;</methodName></methodCall>`;
    const external = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]><methodCall><methodName>echo</methodName><params><param><value>&e;</value></param></params></methodCall>`;
    const deep = callXml("echo", `<param>${"<value><array><data>".repeat(100)}${"</data></array></value>".repeat(100)}</param>`);
    const cases: Array<[string, string | Buffer, number]> = [
      ["malformed", "<methodCall><methodName>x</methodCall", -32700],
      ["billion laughs", laughs, -32700],
      ["external entity", external, -32700],
      ["deep nesting", deep, -32600],
      ["not xml-rpc", "<foo/>", -32600],
    ];
    for (const [what, body, code] of cases) {
      const r = await post(server.port, body);
      assert.equal(r.status, 200, what);
      const f = parseMethodResponse(r.body);
      assert.ok(f.fault, what);
      assert.equal(f.fault && f.faultCode, code, what);
    }
    const huge = await post(server.port, Buffer.alloc(200 * 1024, 0x20));
    assert.equal(huge.status, 413);
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    const gz = await post(server.port, bomb, { headers: { "Content-Encoding": "gzip" } });
    assert.equal(gz.status, 413);
    const badEnc = await post(server.port, "x", { headers: { "Content-Encoding": "br" } });
    assert.equal(badEnc.status, 501);
    assert.equal(await client.add(20, 22), 42);
  });

  it("inflates gzip requests and returns nil only with allowNone", async () => {
    const r = await post(server.port, gzipSync(callXml("add", "<param><value><int>1</int></value></param><param><value><int>1</int></value></param>")), {
      headers: { "Content-Encoding": "gzip" },
    });
    assert.equal(parseMethodResponse(r.body).value, 2);
    const s = new CountingServer({ host: "127.0.0.1", port: 0, logRequests: false, allowNone: true });
    await s.listen();
    const c = new XmlRpcClient(`http://127.0.0.1:${s.port}`, { allowNone: true });
    try {
      assert.equal(await c.nothing(), null);
      assert.equal(await c.echo(null), null);
    } finally {
      await c.close();
      await s.close();
    }
  });

  it("registers an object's public methods with registerInstance", async () => {
    class Calc {
      factor = 10;
      times(x: number): number {
        return x * this.factor;
      }
      _secret(): string {
        return "no";
      }
    }
    const s = new XmlRpcServer({ host: "127.0.0.1", port: 0, logRequests: false, introspection: false });
    s.registerInstance(new Calc(), "calc.");
    await s.listen();
    const c = new XmlRpcClient(`http://127.0.0.1:${s.port}/RPC2`);
    try {
      assert.equal(await c.namespace("calc").times!(4), 40);
      await assert.rejects(c.callRemote("calc._secret"), { remoteMessage: /not supported/ });
      await assert.rejects(c.callRemote("system.listMethods"), { remoteMessage: /not supported/ });
    } finally {
      await c.close();
      await s.close();
    }
  });

  it("writes Python-style request log lines when logRequests is on", async () => {
    const lines: string[] = [];
    class Logged extends CountingServer {
      protected override logRequest(line: string): void {
        lines.push(line);
      }
    }
    const s = new Logged({ host: "127.0.0.1", port: 0 });
    await s.listen();
    const c = new XmlRpcClient(`http://127.0.0.1:${s.port}/RPC2`);
    try {
      await c.add(1, 2);
    } finally {
      await c.close();
      await s.close();
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4} \d\d:\d\d:\d\d\] "POST \/RPC2 HTTP\/1\.1" 200 -$/);
  });
});
