/**
 * HessianProxyFactory against HessianServiceExporter (and the bare handler)
 * over loopback HTTP and HTTPS.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSamplePki, type SamplePki } from "../../../src/pki/index.js";
import { ApplicationContext, ErrorCodes, RemoteInvocationError, SecurityError, TimeoutError, XMLConfig } from "../../../src/index.js";
import {
  ClassRegistry,
  HessianProxyFactory,
  HessianServiceExporter,
  createHessianHandler,
  encodeCall,
  hessian,
  hessianClassOf,
} from "../../../src/protocols/hessian/index.js";

class Person {
  firstName = "";
  lastName = "";
  attributes: string[] = [];
}

class TestService {
  calls = 0;
  echo(v: unknown): unknown {
    return v;
  }
  add(a: number, b: number): number {
    return a + b;
  }
  get_data(p: string): string {
    return `You got remote data => ${p}`;
  }
  transform(s: string): Person {
    const [first = "", last = "", rest = ""] = s.split(" ");
    return Object.assign(new Person(), { firstName: first, lastName: last, attributes: rest.split(",") });
  }
  fail(msg: string): never {
    throw new Error(msg);
  }
  failTyped(msg: string): never {
    throw Object.assign(new Error(msg), { javaClass: "java.lang.IllegalStateException" });
  }
  async slow(ms: number): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    return "late";
  }
  badResult(): unknown {
    return () => 1;
  }
  _hidden(): string {
    return "secret";
  }
}

type Api = TestService;

const registry = new ClassRegistry().register("com.example.Person", Person, { fields: ["firstName", "lastName", "attributes"] });

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function rawPost(port: number, path: string, body: Buffer, method = "POST", headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, headers: { "Content-Length": String(body.length), ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("HessianProxyFactory <-> HessianServiceExporter over HTTP", () => {
  const service = new TestService();
  const exporter = new HessianServiceExporter({ service, serviceHost: "127.0.0.1", servicePort: 0, path: "/svc", registry });
  let url = "";
  let connections = 0;
  const proxies: HessianProxyFactory[] = [];
  const proxy = (opts: ConstructorParameters<typeof HessianProxyFactory>[1] = {}): HessianProxyFactory => {
    const p = new HessianProxyFactory(url, { registry, ...opts });
    proxies.push(p);
    return p;
  };

  before(async () => {
    await exporter.afterPropertiesSet();
    url = exporter.url!;
    (exporter as unknown as { server: http.Server }).server.on("connection", () => connections++);
  });
  after(async () => {
    for (const p of proxies) await p.close();
    await exporter.destroy();
  });

  it("serves the public methods only, at the configured path", () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/svc$/);
    assert.ok(exporter.methods.includes("echo"));
    assert.ok(!exporter.methods.includes("_hidden"));
  });

  it("round-trips every value type through a typed proxy", async () => {
    const p = proxy().as<Api>();
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -2147483648,
      2147483647,
      2 ** 40,
      9007199254740993n,
      -9223372036854775808n,
      12.25,
      Math.PI,
      "",
      "h\u00e9llo \ud83d\ude00".repeat(5000),
      Buffer.alloc(70000, 3),
      new Date(1700000000123),
      [1, "two", [3]],
      { a: 1, b: { c: [true] } },
      new Map<unknown, unknown>([[1, "one"], [2, "two"]]),
    ];
    for (const v of values) assert.deepEqual(await p.echo(v), v);
    assert.equal(await p.add(2, 3), 5);
    assert.equal(await p.get_data("x"), "You got remote data => x");
  });

  it("keeps Java types: wrappers, typed objects, registered classes", async () => {
    const p = proxy({ decode: { preserveTypes: true } });
    // By default the service sees plain numbers: a whole double arrives as 3 and goes back as an int.
    assert.equal(await proxy().echo(hessian.double(3)), 3);
    const obj = (await p.echo(hessian.object("com.example.Other", { x: 1 }))) as object;
    assert.equal(hessianClassOf(obj), "com.example.Other");
    const person = (await proxy().transform("Greg Turnquist a,b,c,x,y,z")) as Person;
    assert.ok(person instanceof Person);
    assert.deepEqual({ ...person }, { firstName: "Greg", lastName: "Turnquist", attributes: ["a", "b", "c", "x", "y", "z"] });
  });

  it("reaches overloaded names: name__N and mangled names", async () => {
    const p = proxy();
    assert.equal(await p.callRemote("add__2", [1, 2]), 3);
    assert.equal(await p.callRemote("add_int_int", [4, 5]), 9);
    assert.equal(await p.callRemote("get_data_string", ["y"]), "You got remote data => y");
  });

  it("speaks Hessian 1.0 when asked", async () => {
    const p = proxy({ hessianVersion: 1 });
    assert.equal(await p.add(20, 22), 42);
    assert.deepEqual(await p.echo({ k: [1, "x"] }), { k: [1, "x"] });
    await assert.rejects(p.fail("v1 boom"), (err: unknown) => err instanceof RemoteInvocationError && err.remoteMessage === "v1 boom");
  });

  it("rethrows faults as RemoteInvocationError with code, message and detail", async () => {
    const p = proxy();
    await assert.rejects(p.fail("a<b & c"), (err: unknown) => {
      assert.ok(err instanceof RemoteInvocationError);
      assert.equal(err.code, ErrorCodes.ERR_REMOTE);
      assert.equal(err.remoteCode, "ServiceException");
      assert.equal(err.remoteType, "java.lang.RuntimeException");
      assert.equal(err.remoteMessage, "a<b & c");
      assert.equal(hessianClassOf(err.detail), "java.lang.RuntimeException");
      return true;
    });
    await assert.rejects(p.failTyped("x"), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "java.lang.IllegalStateException");
    await assert.rejects(p.noSuchMethod(), (err: unknown) => {
      assert.ok(err instanceof RemoteInvocationError);
      assert.equal(err.remoteCode, "NoSuchMethodException");
      assert.equal(err.remoteMessage, "The service has no method named: noSuchMethod");
      return true;
    });
    await assert.rejects(p._hidden(), (err: unknown) => err instanceof RemoteInvocationError && err.remoteCode === "NoSuchMethodException");
    await assert.rejects(p.badResult(), (err: unknown) => err instanceof RemoteInvocationError && /cannot encode/.test(err.remoteMessage));
  });

  it("times out with TimeoutError and keeps serving", async () => {
    const p = proxy({ timeoutMs: 100 });
    const t0 = Date.now();
    await assert.rejects(p.slow(2000), (err: unknown) => err instanceof TimeoutError && err.code === ErrorCodes.ERR_TIMEOUT);
    assert.ok(Date.now() - t0 < 1500);
    assert.equal(await p.add(1, 1), 2);
    assert.equal(await p.callRemote("slow", [300], { timeoutMs: 5000 }), "late");
  });

  it("reuses one keep-alive connection for sequential calls", async () => {
    const p = proxy();
    const before = connections;
    for (let i = 0; i < 5; i++) await p.add(i, i);
    assert.equal(connections - before, 1);
  });

  it("answers non-POST with 405, oversized bodies with 413, garbage with 400, bad arguments with a ProtocolException fault", async () => {
    const port = exporter.port!;
    const get = await rawPost(port, "/svc", Buffer.alloc(0), "GET");
    assert.equal(get.status, 405);
    assert.equal(get.headers["allow"], "POST");
    const other = await rawPost(port, "/elsewhere", encodeCall("add", [1, 2]));
    assert.equal(other.status, 404);
    const garbage = await rawPost(port, "/svc", Buffer.from("hello"));
    assert.equal(garbage.status, 400);
    const bad = await rawPost(port, "/svc", Buffer.from("480200430361646492", "hex"));
    assert.equal(bad.status, 200);
    assert.equal(bad.headers["content-type"], "x-application/hessian");
    assert.match(bad.body.toString("latin1"), /ProtocolException/);
    const ok = await rawPost(port, "/svc", encodeCall("add", [1, 2]));
    assert.equal(ok.body.toString("hex"), "4802005293");
  });

  it("refuses requests over maxRequestSize with 413 and keeps serving", async () => {
    const small = new HessianServiceExporter({ service, serviceHost: "127.0.0.1", servicePort: "0", maxRequestSize: "1000" });
    await small.afterPropertiesSet();
    try {
      const big = await rawPost(small.port!, "/", encodeCall("echo", ["x".repeat(5000)]));
      assert.equal(big.status, 413);
      // Without Content-Length (chunked): counted while reading.
      const chunked = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port: small.port!, path: "/", method: "POST", agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        for (let i = 0; i < 10; i++) req.write(Buffer.alloc(500, 0x61));
        req.end();
      });
      assert.equal(chunked, 413);
      const p = proxy();
      p.serviceUrl = small.url;
      await assert.rejects(p.echo("y".repeat(5000)), (err: unknown) => (err as { code?: string }).code === ErrorCodes.ERR_PROTOCOL || (err as { code?: string }).code === ErrorCodes.ERR_CONNECTION_CLOSED);
      assert.equal(await p.add(1, 2), 3);
    } finally {
      await small.destroy();
    }
  });

  it("reports a refused connection with ERR_CONNECTION_REFUSED", async () => {
    const port = await freePort();
    const p = proxy();
    p.serviceUrl = `http://127.0.0.1:${port}/`;
    await assert.rejects(p.add(1, 2), (err: unknown) => (err as { code?: string }).code === ErrorCodes.ERR_CONNECTION_REFUSED);
  });

  it("fails clearly without a service_url", async () => {
    const p = new HessianProxyFactory();
    await assert.rejects(p.add(1, 2), /service_url must NOT be None/);
  });
});

describe("createHessianHandler mounted in a node:http server", () => {
  it("serves Hessian on one route next to other routes", async (t) => {
    const hessianHandler = createHessianHandler(new TestService(), { registry });
    const server = http.createServer((req, res) => {
      if (req.url === "/hessian") return hessianHandler(req, res);
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("other");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const p = new HessianProxyFactory(`http://127.0.0.1:${port}/hessian`);
    t.after(async () => {
      await p.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    assert.equal(await p.add(40, 2), 42);
    // With preserveTypes on both sides, Java types survive an echo through an untyped slot.
    const typed = createHessianHandler(new TestService(), { decode: { preserveTypes: true } });
    const s2 = http.createServer(typed);
    await new Promise<void>((r) => s2.listen(0, "127.0.0.1", r));
    const p2 = new HessianProxyFactory(`http://127.0.0.1:${(s2.address() as net.AddressInfo).port}/`, { decode: { preserveTypes: true } });
    try {
      assert.deepEqual(await p2.echo(hessian.double(3)), hessian.double(3));
      assert.deepEqual(await p2.echo(hessian.long(7)), hessian.long(7));
      assert.deepEqual(await p2.echo([hessian.long(1), 2]), [hessian.long(1), 2]);
    } finally {
      await p2.close();
      s2.closeAllConnections();
      await new Promise((r) => s2.close(r));
    }
    const other = await rawPost(port, "/", Buffer.alloc(0), "GET");
    assert.equal(other.body.toString(), "other");
  });
});

describe("createHessianHandler details", () => {
  it("uses a body already read by a framework, sends Basic auth from the URL, honours abort signals and oneway", async (t) => {
    const seen: Array<string | undefined> = [];
    const handler = createHessianHandler(new TestService());
    const server = http.createServer((req, res) => {
      seen.push(req.headers["authorization"]);
      // Read the body first, as express.raw() does, then hand over.
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        (req as unknown as { body: Buffer }).body = Buffer.concat(chunks);
        handler(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const p = new HessianProxyFactory(`http://user:s%40cret@127.0.0.1:${port}/`);
    t.after(async () => {
      await p.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    assert.equal(await p.add(1, 2), 3);
    assert.equal(seen[0], `Basic ${Buffer.from("user:s@cret").toString("base64")}`);
    const ac = new AbortController();
    const pending = p.callRemote("slow", [2000], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(pending, (err: unknown) => (err as { code?: string }).code === ErrorCodes.ERR_ABORTED);
    assert.equal(await p.callRemote("slow", [10], { oneway: true }), undefined);
    assert.deepEqual([...handler.methods].sort(), exposedSorted());
  });
});

function exposedSorted(): string[] {
  return ["add", "badResult", "echo", "fail", "failTyped", "get_data", "slow", "transform"];
}

describe("keep-alive sockets closed by the server", () => {
  // The old client re-sent such a call silently on a new socket; the shared transport never does
  // (the server may have read and run it): the call fails with phase "send", and only the retry
  // policy re-sends it, and only for an idempotent method.
  async function dropSecondRequest(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; service: TestService; requests: () => number }> {
    const service = new TestService();
    const handler = createHessianHandler(service);
    const perSocket = new Map<unknown, number>();
    let requests = 0;
    let dropped = 0;
    const server = http.createServer((req, res) => {
      requests++;
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n === 2 && dropped === 0) {
        dropped++;
        req.socket.destroy();
        return;
      }
      handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    t.after(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, service, requests: () => requests };
  }

  it("a call on a reused socket that the server dropped is not re-sent silently: it fails with phase send", async (t) => {
    const s = await dropSecondRequest(t);
    const p = new HessianProxyFactory(s.url);
    t.after(() => p.close());
    assert.equal(await p.add(1, 1), 2);
    await assert.rejects(p.add(2, 2), (err: unknown) => {
      assert.equal((err as { code?: string }).code, ErrorCodes.ERR_CONNECTION_CLOSED);
      assert.equal((err as { phase?: string }).phase, "send");
      return true;
    });
    assert.equal(s.requests(), 2, "the dropped call was sent once");
    assert.equal(await p.add(3, 3), 6, "the next call opens a new connection");
  });

  it("with retries on, only a method marked idempotent is re-sent after such a drop", async (t) => {
    const s = await dropSecondRequest(t);
    const p = new HessianProxyFactory(s.url, { retryAttempts: 3, retryInitialBackoffMs: 5 });
    t.after(() => p.close());
    assert.equal(await p.add(1, 1), 2);
    await assert.rejects(p.add(2, 2), (err: unknown) => (err as { code?: string }).code === ErrorCodes.ERR_CONNECTION_CLOSED);
    const s2 = await dropSecondRequest(t);
    const q = new HessianProxyFactory(s2.url, { retryAttempts: 3, retryInitialBackoffMs: 5, idempotentMethods: "add" });
    t.after(() => q.close());
    assert.equal(await q.add(1, 1), 2);
    assert.equal(await q.add(2, 2), 4, "re-sent by the retry policy");
    assert.equal(s2.requests(), 3);
  });
});

describe("HTTPS", () => {
  let dir = "";
  let pki: SamplePki;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hessian-tls-"));
    pki = await createSamplePki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serves over TLS with key/cert files and verifies the server with ca", async (t) => {
    const exporter = new HessianServiceExporter({
      service: new TestService(),
      serviceHost: "127.0.0.1",
      servicePort: 0,
      tlsKey: pki.serverKey,
      tlsCert: readFileSync(pki.serverChain, "utf8"),
    });
    await exporter.afterPropertiesSet();
    const good = new HessianProxyFactory(exporter.url, { ca: pki.caChain });
    const untrusted = new HessianProxyFactory(exporter.url);
    const insecure = new HessianProxyFactory(exporter.url, { rejectUnauthorized: false });
    t.after(async () => {
      for (const p of [good, untrusted, insecure]) await p.close();
      await exporter.destroy();
    });
    assert.match(exporter.url!, /^https:/);
    assert.equal(await good.add(1, 2), 3);
    await assert.rejects(untrusted.add(1, 2), (err: unknown) => err instanceof SecurityError);
    assert.equal(await insecure.add(2, 2), 4);
  });

  it("requires a client certificate signed by tlsCa when requestClientCert is set", async (t) => {
    const exporter = new HessianServiceExporter({
      service: new TestService(),
      serviceHost: "127.0.0.1",
      servicePort: 0,
      tlsKey: pki.serverKey,
      tlsCert: pki.serverChain,
      tlsCa: pki.caChain,
      requestClientCert: "true",
    });
    await exporter.afterPropertiesSet();
    const withCert = new HessianProxyFactory(exporter.url, { ca: pki.caChain, cert: pki.clientCert, key: pki.clientKey });
    const without = new HessianProxyFactory(exporter.url, { ca: pki.caChain });
    t.after(async () => {
      await withCert.close();
      await without.close();
      await exporter.destroy();
    });
    assert.equal(await withCert.add(3, 4), 7);
    await assert.rejects(without.add(3, 4), (err: unknown) => err instanceof SecurityError || (err as { code?: string }).code === ErrorCodes.ERR_CONNECTION_CLOSED);
  });
});

describe("XML configuration", () => {
  it("builds an exporter and a proxy factory from Spring Python XML with string values", async (t) => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "hessian-xml-"));
    const file = join(dir, "ctx.xml");
    writeFileSync(
      file,
      `<?xml version="1.0" encoding="UTF-8"?>
<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">
  <object id="service" class="TestService"/>
  <object id="exporter" class="springpython.remoting.hessian.HessianServiceExporter">
    <property name="service" ref="service"/>
    <property name="service_host" value="127.0.0.1"/>
    <property name="service_port"><value>${port}</value></property>
    <property name="path" value="/PersonService"/>
    <property name="max_request_size" value="100000"/>
  </object>
  <object id="personService" class="springpython.remoting.hessian.HessianProxyFactory">
    <property name="service_url"><value>http://127.0.0.1:${port}/PersonService</value></property>
    <property name="timeout_ms" value="5000"/>
  </object>
</objects>`,
    );
    const ctx = await ApplicationContext.create(new XMLConfig(file), { classes: { TestService } });
    t.after(async () => {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const client = await ctx.getObject<HessianProxyFactory>("personService");
    const exporter = await ctx.getObject<HessianServiceExporter>("exporter");
    assert.ok(exporter.started);
    assert.equal(client.serviceUrl, `http://127.0.0.1:${port}/PersonService`);
    const person = (await client.transform("Greg Turnquist a,b,c,x,y,z")) as Record<string, unknown>;
    assert.equal(person["firstName"], "Greg");
    assert.equal(person["lastName"], "Turnquist");
    assert.deepEqual(person["attributes"], ["a", "b", "c", "x", "y", "z"]);
  });
});
