/**
 * The Hessian server side dispatches through the core's ServiceTable:
 * arity faults (nothing runs), oneway methods answered at once, the call
 * context, server interceptors, the client's deadline, the Java class of
 * thrown errors, classes served per session, and a handler mounted in plain
 * node:http around a table of the application's own.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { RemoteInvocationError, ServiceTable, callContext, type Interceptor, type ServerInterceptor } from "../../../src/index.js";
import { HESSIAN_CLASS, HessianProxyFactory, HessianServiceExporter, createHessianHandler, decodeReply, encodeCall, hessianClassOf } from "../../../src/protocols/hessian/index.js";

class Service {
  calls = 0;
  marked: unknown = undefined;
  add(a: number, b: number): number {
    this.calls++;
    return a + b;
  }
  echo(v: unknown): unknown {
    return v;
  }
  async slowMark(ms: number, v: unknown): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    this.marked = v;
  }
  failJava(): never {
    throw Object.assign(new Error("no such account"), { javaClass: "com.example.AccountException" });
  }
  failPlain(): never {
    throw new Error("plain");
  }
  failHessianClass(): never {
    const err = new Error("bad state");
    Object.defineProperty(err, HESSIAN_CLASS, { value: "java.lang.IllegalStateException" });
    throw err;
  }
  async context(): Promise<Record<string, unknown>> {
    await new Promise((r) => setTimeout(r, 1));
    const c = callContext();
    return {
      protocol: c?.protocol ?? null,
      service: c?.service ?? null,
      method: c?.method ?? null,
      serializer: c?.serializer ?? null,
      tenant: c?.metadata.get("x-tenant") ?? null,
      correlationId: c?.correlationId ?? null,
      deadlineLeft: c && Number.isFinite(c.deadline) ? c.deadline - Date.now() : null,
      oneway: c?.oneway ?? null,
    };
  }
}

function post(port: number, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: "POST", agent: false, headers: { "Content-Length": String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("HessianServiceExporter dispatches through a ServiceTable", () => {
  const service = new Service();
  const seen: string[] = [];
  const audit: ServerInterceptor = (next) => (call) => {
    seen.push(`${call.service}.${call.method}(${call.args.length})`);
    if (call.method === "echo" && call.args[0] === "forbidden") throw Object.assign(new Error("refused by policy"), { javaClass: "java.lang.SecurityException" });
    return next(call);
  };
  const exporter = new HessianServiceExporter({ service, serviceName: "Accounts", serviceHost: "127.0.0.1", servicePort: "0", path: "/accounts", onewayMethods: "slowMark" });
  exporter.interceptors = [audit];
  const factories: HessianProxyFactory[] = [];
  const factory = (opts: Record<string, unknown> = {}): HessianProxyFactory => {
    const f = new HessianProxyFactory(exporter.url, opts);
    factories.push(f);
    return f;
  };
  before(() => exporter.afterPropertiesSet());
  after(async () => {
    for (const f of factories) await f.close();
    await exporter.destroy();
  });

  it("a wrong number of arguments is a NoSuchMethod fault whose detail is java.lang.IllegalArgumentException, and nothing runs", async () => {
    const before = service.calls;
    for (const args of [[1], [1, 2, 3]]) {
      await assert.rejects(factory().callRemote("add", args), (err: unknown) => {
        assert.ok(err instanceof RemoteInvocationError, String(err));
        assert.equal(err.remoteCode, "NoSuchMethod");
        assert.equal(err.remoteType, "java.lang.IllegalArgumentException");
        assert.match(err.remoteMessage, /^add\(\) (missing 1 required positional argument: 'b'|takes 2 positional arguments but 3 were given)$/);
        return true;
      });
    }
    // name__N with the wrong N is an unknown name, as in Caucho's skeleton
    await assert.rejects(factory().callRemote("add__3", [1, 2]), (err: unknown) => err instanceof RemoteInvocationError && err.remoteCode === "NoSuchMethodException");
    assert.equal(service.calls, before);
    assert.equal(await factory().add(1, 2), 3);
  });

  it("a oneway method is answered at once with null, then runs", async () => {
    service.marked = undefined;
    const t0 = Date.now();
    assert.equal(await factory().slowMark(500, "ran"), null);
    assert.ok(Date.now() - t0 < 300, `the oneway method was waited for (${Date.now() - t0} ms)`);
    assert.equal(service.marked, undefined);
    const until = Date.now() + 3000;
    while (service.marked !== "ran" && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(service.marked, "ran");
  });

  it("the method sees the call context: protocol, service name, method, serializer per version, headers, correlation id, deadline", async () => {
    const tag: Interceptor = (next) => (inv) => {
      inv.metadata = { ...inv.metadata, "X-Tenant": "blue", "remoting-correlation-id": "c-42" };
      return next(inv);
    };
    const c2 = (await factory({ interceptors: [tag], timeoutMs: "3s" }).context()) as Record<string, unknown>;
    assert.deepEqual({ ...c2, deadlineLeft: undefined }, {
      protocol: "hessian",
      service: "Accounts",
      method: "context",
      serializer: "hessian2",
      tenant: "blue",
      correlationId: "c-42",
      deadlineLeft: undefined,
      oneway: false,
    });
    assert.ok((c2["deadlineLeft"] as number) > 1500 && (c2["deadlineLeft"] as number) <= 3000);
    const c1 = (await factory({ hessianVersion: 1, timeoutMs: "none" }).context()) as Record<string, unknown>;
    assert.equal(c1["serializer"], "hessian1");
    assert.equal(c1["deadlineLeft"], null);
  });

  it("server interceptors see every call and may refuse one; the refusal reaches the client with its Java class", async () => {
    seen.length = 0;
    assert.equal(await factory().echo("ok"), "ok");
    await assert.rejects(factory().echo("forbidden"), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "java.lang.SecurityException" && err.remoteMessage === "refused by policy");
    assert.deepEqual(seen, ["Accounts.echo(1)", "Accounts.echo(1)"]);
  });

  it("a call whose client deadline passed before it could run is refused (a TimeoutException detail) and does not run", async () => {
    const before = service.calls;
    const res = await post(exporter.port!, "/accounts", encodeCall("add", [1, 2]), { "remoting-timeout": "0" });
    const reply = decodeReply(res.body);
    assert.ok(reply.fault);
    assert.equal(reply.code, "ServiceException");
    assert.match(reply.message, /deadline/);
    assert.equal(hessianClassOf(reply.detail), "java.util.concurrent.TimeoutException");
    assert.equal(service.calls, before, "the refused call ran");
    assert.equal(await factory().add(1, 2), 3);
  });

  it("thrown errors reach the client with the Java class they name (javaClass or HESSIAN_CLASS), else java.lang.RuntimeException", async () => {
    await assert.rejects(factory().failJava(), (err: unknown) => err instanceof RemoteInvocationError && err.remoteCode === "ServiceException" && err.remoteType === "com.example.AccountException");
    await assert.rejects(factory().failHessianClass(), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "java.lang.IllegalStateException");
    await assert.rejects(factory().failPlain(), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "java.lang.RuntimeException" && err.remoteMessage === "plain");
  });
});

describe("createHessianHandler with a table of the application's own, mounted in node:http", () => {
  class Counter {
    n = 0;
    next(): number {
      return ++this.n;
    }
  }

  it("serves a class per keep-alive connection (session mode) and runs the table's interceptors", async (t) => {
    const table = new ServiceTable({ tracing: false });
    table.register("Counter", Counter, { instanceMode: "session" });
    const calls: string[] = [];
    table.use((next) => (call) => {
      calls.push(call.method);
      return next(call);
    });
    const handler = createHessianHandler(table);
    assert.equal(handler.serviceName, "Counter");
    assert.deepEqual([...handler.methods], ["next"]);
    const server = http.createServer((req, res) => (req.url === "/counter" ? handler(req, res) : res.end("other")));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/counter`;
    const a = new HessianProxyFactory(url, { maxSockets: 1 });
    const b = new HessianProxyFactory(url, { maxSockets: 1 });
    t.after(async () => {
      await a.close();
      await b.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    assert.equal(await a.next(), 1);
    assert.equal(await a.next(), 2);
    assert.equal(await b.next(), 1, "another connection, another instance");
    assert.deepEqual(calls, ["next", "next", "next"]);
  });

  it("needs serviceName to pick an entry of a table serving several", () => {
    const table = new ServiceTable();
    table.register("A", new Service());
    table.register("B", new Service());
    assert.throws(() => createHessianHandler(table), /serviceName/);
    assert.equal(createHessianHandler(table, { serviceName: "B" }).serviceName, "B");
  });
});

describe("tracing", () => {
  it("is on by default (a no-op without an SDK: calls are served); tracing is parsed strictly", async (t) => {
    assert.equal(new HessianServiceExporter().tracing, true);
    assert.equal(new HessianProxyFactory().tracing, true);
    const exporter = new HessianServiceExporter({ service: new Service(), serviceHost: "127.0.0.1", servicePort: 0, tracing: "off" });
    assert.equal(exporter.tracing, false);
    assert.throws(() => {
      exporter.tracing = "sometimes" as unknown as boolean;
    }, /tracing/);
    await exporter.afterPropertiesSet();
    const f = new HessianProxyFactory(exporter.url);
    t.after(async () => {
      await f.close();
      await exporter.destroy();
    });
    assert.equal(await f.add(2, 2), 4);
  });
});
