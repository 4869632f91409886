/**
 * NATS remoting against a real nats-server: calls in both codecs, remote
 * errors with their types, oneway, keyword arguments, deadlines (the
 * client's and the one the exporter derives from remoting-timeout), abort,
 * no responders failing at once, metadata and W3C trace context in headers
 * reaching callContext(), request limits.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { CommunicationError, ErrorCodes, RemoteInvocationError, RemotingError, TimeoutError, callContext, clientOf, createClient } from "../../../src/index.js";
import { NatsProxyFactory, NatsServiceExporter, type NatsClient } from "../../../src/protocols/nats/index.js";
import { natsMissing, startNatsServer, type NatsServerHandle } from "../../helpers/nats-server.js";

const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

class InsufficientFunds extends Error {
  override name = "InsufficientFunds";
  balance = 5;
}

class Bank {
  runs = 0;
  marked: unknown = undefined;
  echo(x: unknown): unknown {
    return x;
  }
  add(a: number, b: number): number {
    return a + b;
  }
  greet(name: string, greeting = "hello"): string {
    return `${greeting} ${name}`;
  }
  async slow(ms: number): Promise<number> {
    this.runs++;
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  }
  withdraw(amount: number): never {
    const e = new InsufficientFunds(`cannot withdraw ${amount}`);
    throw e;
  }
  pyFail(): never {
    throw Object.assign(new Error("from python's point of view"), { pythonType: "myapp.errors.Refused" });
  }
  valueError(): never {
    throw Object.assign(new Error("bad value"), { name: "ValueError" });
  }
  async mark(ms: number, v: unknown): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    this.marked = v;
  }
  seen(): Record<string, unknown> {
    const c = callContext();
    return {
      protocol: c?.protocol,
      service: c?.service,
      method: c?.method,
      serializer: c?.serializer,
      correlationId: c?.correlationId ?? null,
      clientAddress: c?.clientAddress ?? null,
      deadlineLeft: c && Number.isFinite(c.deadline) ? c.deadline - Date.now() : null,
      oneway: c?.oneway,
      metadata: Object.fromEntries(c?.metadata ?? []),
    };
  }
}
(Bank.prototype.greet as unknown as Record<symbol, unknown>)[Symbol.for("remoting.pyro.params")] = ["name", "greeting"];

describe("NATS: calls through NatsProxyFactory and NatsServiceExporter", { skip: natsMissing() }, () => {
  let server: NatsServerHandle;
  let exporter: NatsServiceExporter;
  const bank = new Bank();
  const factories: NatsProxyFactory[] = [];
  const factory = (props: Record<string, unknown> = {}, url = exporter.url!): NatsProxyFactory => {
    const f = new NatsProxyFactory(url, props);
    factories.push(f);
    return f;
  };

  before(async () => {
    server = await startNatsServer({ maxPayload: 256 * 1024 });
    exporter = new NatsServiceExporter({ service: bank, serviceName: "Bank", servers: server.hostPort, onewayMethods: "mark" });
    await exporter.afterPropertiesSet();
  });
  after(async () => {
    for (const f of factories) await f.close();
    await exporter?.destroy();
    await server?.stop();
  });

  it("the exporter's URL names the servers and the default subject remoting.<serviceName>", () => {
    assert.equal(exporter.url, `nats://${server.hostPort}/remoting.Bank`);
    assert.match(exporter.instanceUrl!, new RegExp(`^nats://${server.hostPort}/remoting\\.Bank\\?instance=[A-Za-z0-9]+$`));
  });

  for (const codec of ["json", "serpent"]) {
    it(`calls return values in the ${codec} codec (nested values, unicode, keyword arguments by name)`, async () => {
      const f = factory({ codec });
      assert.equal(await f.add(2, 3), 5);
      const v = { name: "Zoë", list: [1, 2.5, "三"], nested: { ok: true, none: null } };
      assert.deepEqual(await f.echo(v), v);
      assert.equal(await f.callRemote("greet", ["Ann"], { kwargs: { greeting: "hi" } }), "hi Ann");
      assert.equal(await f.callRemote("greet", [], { kwargs: { name: "Bob" } }), "hello Bob");
      assert.equal(((await f.seen()) as Record<string, unknown>)["serializer"], codec);
    });
  }

  it("an error keeps its type: name, pythonType, Python's builtins; with the micro status code", async () => {
    const f = factory();
    await assert.rejects(f.withdraw(10), (err: unknown) => {
      assert.ok(err instanceof RemoteInvocationError, String(err));
      assert.equal(err.remoteType, "InsufficientFunds");
      assert.equal(err.remoteMessage, "cannot withdraw 10");
      assert.equal(err.remoteCode, 500);
      assert.equal((err.detail as { attributes: Record<string, unknown> }).attributes["balance"], 5);
      return true;
    });
    await assert.rejects(f.pyFail(), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "myapp.errors.Refused");
    await assert.rejects(f.valueError(), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "ValueError" && err.remoteMessage === "bad value");
    await assert.rejects(f.noSuch(), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "AttributeError" && err.remoteCode === 404);
    await assert.rejects(f.add(1), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "TypeError" && err.remoteCode === 400 && /add\(\) missing 1 required/.test(err.remoteMessage));
  });

  it("a oneway call returns at once and the method runs; a oneway method answers at once even to a waiting caller", async () => {
    const f = factory();
    const t0 = Date.now();
    assert.equal(await f.callRemote("mark", [300, "first"], { oneway: true }), undefined);
    assert.ok(Date.now() - t0 < 200);
    const t1 = Date.now();
    assert.equal(await f.mark(300, "second"), null);
    assert.ok(Date.now() - t1 < 200, "a oneway method made its caller wait");
    const until = Date.now() + 3000;
    while (bank.marked !== "second" && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(bank.marked, "second");
  });

  it("a call past its deadline fails with TimeoutError (phase reply); the exporter knew the deadline from remoting-timeout", async () => {
    const f = factory({ timeoutMs: "300ms" });
    const t0 = Date.now();
    await assert.rejects(f.slow(2000), (err: unknown) => err instanceof TimeoutError && err.phase === "reply");
    assert.ok(Date.now() - t0 < 1500);
    const g = factory({ timeoutMs: "4s" });
    const seen = (await g.seen()) as { deadlineLeft: number };
    assert.ok(seen.deadlineLeft > 3000 && seen.deadlineLeft <= 4000, `deadline ${seen.deadlineLeft} ms away`);
    const none = factory({ timeoutMs: "none" });
    assert.equal(((await none.seen()) as { deadlineLeft: unknown }).deadlineLeft, null);
  });

  it("a call whose deadline passed before it could run is refused by the exporter, not run", async () => {
    const nc = await connect({ servers: server.hostPort });
    try {
      const runs = bank.runs;
      const h = natsHeaders();
      h.set("remoting-timeout", "0");
      const m = await nc.request("remoting.Bank", JSON.stringify({ object: "x", method: "slow", params: [10], kwargs: {} }), { timeout: 2000, headers: h });
      assert.equal(m.headers?.get("Nats-Service-Error-Code"), "408");
      assert.equal(bank.runs, runs);
    } finally {
      await nc.close();
    }
  });

  it("abort: ERR_ABORTED with the reason at once; the proxy stays usable", async () => {
    const f = factory();
    const ac = new AbortController();
    const reason = new Error("enough");
    const call = f.callRemote("slow", [2000], { signal: ac.signal });
    setTimeout(() => ac.abort(reason), 50);
    const t0 = Date.now();
    await assert.rejects(call, (err: unknown) => err instanceof RemotingError && err.code === ErrorCodes.ERR_ABORTED && err.cause === reason);
    assert.ok(Date.now() - t0 < 500);
    assert.equal(await f.add(1, 1), 2);
  });

  it("no responders fails at once (well under the time limit), phase connect: nothing ran", async () => {
    const f = factory({ timeoutMs: "20s" }, `nats://${server.hostPort}/remoting.Nobody`);
    const t0 = Date.now();
    await assert.rejects(f.echo(1), (err: unknown) => {
      assert.ok(err instanceof CommunicationError, String(err));
      assert.equal(err.phase, "connect");
      assert.equal(err.code, ErrorCodes.ERR_CONNECTION_REFUSED);
      assert.match(err.message, /no responders/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  });

  it("metadata, the correlation id and W3C trace context travel as headers into callContext()", async () => {
    const f = factory();
    const tracer = trace.getTracer("test");
    const seen = (await tracer.startActiveSpan("parent", async (span) => {
      try {
        return await f.callRemote("seen", [], { metadata: { "x-tenant": "acme" } });
      } finally {
        span.end();
      }
    })) as Record<string, unknown> & { metadata: Record<string, string> };
    assert.equal(seen["protocol"], "nats");
    assert.equal(seen["service"], "Bank");
    assert.equal(seen["method"], "seen");
    assert.equal(seen["clientAddress"], null);
    assert.equal(seen["oneway"], false);
    assert.equal(seen.metadata["x-tenant"], "acme");
    assert.match(String(seen["correlationId"]), /^[A-Za-z0-9]+\.[0-9a-z]+$/);
    assert.equal(seen.metadata["remoting-correlation-id"], seen["correlationId"]);
    const parent = spans.getFinishedSpans().find((s) => s.name === "parent")!;
    assert.match(seen.metadata["traceparent"] ?? "", new RegExp(`^00-${parent.spanContext().traceId}-[0-9a-f]{16}-01$`));
    // the server span continues the client's trace
    const server = spans.getFinishedSpans().filter((s) => s.name === "Bank/seen" && s.kind === 1 && s.spanContext().traceId === parent.spanContext().traceId);
    assert.equal(server.length, 1);
  });

  it("a request above maxRequestSize is refused (413) before decoding; above the server's max_payload it is never sent", async () => {
    const small = new NatsServiceExporter({ service: new Bank(), serviceName: "Small", servers: server.hostPort, maxRequestSize: "1kB" });
    await small.afterPropertiesSet();
    try {
      const f = factory({}, small.url!);
      assert.equal(await f.echo("x".repeat(100)), "x".repeat(100));
      await assert.rejects(f.echo("x".repeat(5000)), (err: unknown) => err instanceof RemoteInvocationError && err.remoteCode === 413);
      await assert.rejects(f.echo("x".repeat(300_000)), (err: unknown) => (err as RemotingError).code === ErrorCodes.ERR_MESSAGE_TOO_LARGE && (err as { phase?: string }).phase === "connect");
    } finally {
      await small.destroy();
    }
  });

  it("the endpoint registry builds a NATS client from a nats:// URL with factory settings", async () => {
    const c = await createClient(exporter.url!, { settings: { codec: "serpent" }, timeoutMs: 5000 });
    try {
      assert.equal(await c.invoke("add", [20, 22]), 42);
      assert.equal(((await c.invoke("seen", [])) as Record<string, unknown>)["serializer"], "serpent");
    } finally {
      await c.close();
    }
  });

  it("a health ping (an HA pool's) is answered without calling the service; a ping of nothing fails at once", async () => {
    const f = factory({}, exporter.instanceUrl!);
    const client = clientOf(f) as NatsClient;
    const runs = bank.runs;
    await client.ping(2000);
    assert.equal(bank.runs, runs);
    const nobody = clientOf(factory({}, `nats://${server.hostPort}/remoting.Bank?instance=NOSUCH`)) as NatsClient;
    await assert.rejects(nobody.ping(5000), (err: unknown) => err instanceof CommunicationError && err.phase === "connect");
  });

  it("a call to one instance's URL reaches that instance", async () => {
    const f = factory({}, exporter.instanceUrl!);
    assert.equal(await f.add(40, 2), 42);
  });
});
