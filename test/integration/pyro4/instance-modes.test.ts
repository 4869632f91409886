import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { PyroServiceExporter } from "../../../src/protocols/pyro4/exporter.js";
import type { PyroBehavior } from "../../../src/core/server/instances.js";
import { CommunicationError, ErrorCodes, RemoteInvocationError, RemotingError } from "../../../src/core/errors.js";
import { Counter } from "./support.js";
import { gc } from "../../helpers/heap.js";


async function daemonFor(t: TestContext): Promise<PyroDaemon> {
  const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0 });
  await daemon.listen();
  t.after(() => daemon.close());
  return daemon;
}

function proxyFor(t: TestContext, daemon: PyroDaemon, id: string): PyroProxy {
  const p = new PyroProxy(daemon.uriFor(id), { timeoutMs: 5000 });
  t.after(() => p.close());
  return p;
}

/** Waits (bounded in time) until the daemon has exactly `n` open connections. */
async function untilConnections(daemon: PyroDaemon, n: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (daemon.connectionCount !== n) {
    if (Date.now() > deadline) throw new Error(`daemon still has ${daemon.connectionCount} connections`);
    await sleep(5);
  }
}

function remoteError(type: RegExp, message: RegExp) {
  return (e: unknown): boolean => e instanceof RemoteInvocationError && type.test(e.remoteType) && message.test(e.remoteMessage);
}

test("a class registered without a mode gets one instance per connection (session)", async (t) => {
  Counter.made = 0;
  const daemon = await daemonFor(t);
  daemon.register(Counter, "counter");
  assert.equal(Counter.made, 0, "nothing is created at registration");
  const a = proxyFor(t, daemon, "counter");
  const b = proxyFor(t, daemon, "counter");
  await a.bind();
  await b.bind();
  assert.equal(Counter.made, 0, "nor by the handshake");
  assert.equal(await a.invoke("increment"), 1);
  assert.equal(await a.invoke("increment"), 2);
  assert.equal(await b.invoke("increment"), 1, "b has its own instance");
  assert.equal(await a.invoke("increment"), 3);
  assert.equal(Counter.made, 2);
  assert.notEqual(await a.invoke("whoami"), await b.invoke("whoami"));
  // pipelined calls of one connection share its instance
  const many = await Promise.all(Array.from({ length: 10 }, () => b.invoke("increment")));
  assert.deepEqual([...(many as number[])].sort((x, y) => x - y), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(Counter.made, 2);
});

/** Full garbage collection, to see that the daemon keeps no reference to a dropped instance. */
function collectGarbage(): void {
  gc();
}

test("a session instance is dropped when its connection closes", async (t) => {
  Counter.made = 0;
  const made: Array<WeakRef<Counter>> = [];
  const daemon = await daemonFor(t);
  daemon.register(Counter, "counter", {
    instanceMode: "session",
    instanceCreator: (cls) => {
      const c = new cls();
      made.push(new WeakRef(c));
      return c;
    },
  });
  const a = proxyFor(t, daemon, "counter");
  const other = proxyFor(t, daemon, "counter");
  assert.equal(await a.invoke("increment"), 1);
  assert.equal(await a.invoke("increment"), 2);
  assert.equal(await other.invoke("increment"), 1);
  await a.close();
  await untilConnections(daemon, 1);
  for (let i = 0; i < 5 && made[0]!.deref() !== undefined; i++) {
    await sleep(10);
    collectGarbage();
  }
  assert.equal(made[0]!.deref(), undefined, "nothing keeps the closed session's instance");
  assert.ok(made[1]!.deref() instanceof Counter, "the open session's instance is kept");
  await other.close();
  await untilConnections(daemon, 0);
  // the same proxy reconnects: a new connection, so a new session and a fresh instance
  assert.equal(await a.invoke("increment"), 1);
  assert.equal(Counter.made, 3);
  const b = proxyFor(t, daemon, "counter");
  assert.equal(await b.invoke("increment"), 1);
  assert.equal(Counter.made, 4);
});

test("single mode: one instance for every client, made on first use", async (t) => {
  Counter.made = 0;
  const daemon = await daemonFor(t);
  daemon.register(Counter, "counter", { instanceMode: "single" });
  const a = proxyFor(t, daemon, "counter");
  const b = proxyFor(t, daemon, "counter");
  await a.bind();
  assert.equal(Counter.made, 0);
  assert.equal(await a.invoke("increment"), 1);
  assert.equal(await b.invoke("increment"), 2);
  assert.equal(await a.invoke("increment"), 3);
  await a.close();
  await untilConnections(daemon, 1);
  assert.equal(await b.invoke("increment"), 4, "the single instance outlives connections");
  assert.equal(Counter.made, 1);
});

test("percall mode: a new instance for every call", async (t) => {
  Counter.made = 0;
  const daemon = await daemonFor(t);
  daemon.register(Counter, "counter", { instanceMode: "percall" });
  const a = proxyFor(t, daemon, "counter");
  for (let i = 0; i < 5; i++) assert.equal(await a.invoke("increment"), 1);
  assert.equal(Counter.made, 5);
  const serials = await Promise.all([a.invoke("whoami"), a.invoke("whoami"), a.invoke("whoami")]);
  assert.equal(new Set(serials).size, 3);
  assert.equal(Counter.made, 8);
  // a batch is one request: one instance serves all of its calls, as in Pyro4
  const results = await a.batch().call("increment").call("increment").call("increment").execute();
  assert.deepEqual(results, [1, 2, 3]);
  assert.equal(Counter.made, 9);
});

test("a static pyroBehavior sets the class's defaults; register() options win", async (t) => {
  class Shared extends Counter {
    static pyroBehavior: PyroBehavior<typeof Shared> = { instanceMode: "single" };
  }
  Counter.made = 0;
  const daemon = await daemonFor(t);
  daemon.register(Shared, "shared");
  daemon.register(Shared, "percall", { instanceMode: "percall" });
  const a = proxyFor(t, daemon, "shared");
  const b = proxyFor(t, daemon, "shared");
  assert.equal(await a.invoke("increment"), 1);
  assert.equal(await b.invoke("increment"), 2);
  const c = proxyFor(t, daemon, "percall");
  assert.equal(await c.invoke("increment"), 1);
  assert.equal(await c.invoke("increment"), 1);
});

test("an async instance creator: one creation per session even with pipelined calls", async (t) => {
  Counter.made = 0;
  let created = 0;
  const daemon = await daemonFor(t);
  daemon.register(Counter, "counter", {
    instanceCreator: async (cls) => {
      created++;
      await sleep(20);
      const c = new cls();
      c.count = 10;
      return c;
    },
  });
  daemon.register(Counter, "single", {
    instanceMode: "single",
    instanceCreator: async (cls) => {
      await sleep(10);
      return new cls();
    },
  });
  const a = proxyFor(t, daemon, "counter");
  const first = await Promise.all([a.invoke("increment"), a.invoke("increment"), a.invoke("slowIncrement", [5])]);
  assert.deepEqual(first, [11, 12, 13], "replies in request order, one instance");
  assert.equal(created, 1);
  assert.equal(await a.invoke("increment"), 14);
  const b = proxyFor(t, daemon, "counter");
  assert.equal(await b.invoke("increment"), 11);
  assert.equal(created, 2);
  const s1 = proxyFor(t, daemon, "single");
  const s2 = proxyFor(t, daemon, "single");
  const both = await Promise.all([s1.invoke("whoami"), s2.invoke("whoami")]);
  assert.equal(both[0], both[1], "concurrent first calls share the one instance being made");
});

test("an instance creator that throws, rejects or returns something else gives the client an error reply", async (t) => {
  const daemon = await daemonFor(t);
  let failures = 1;
  daemon.register(Counter, "throws", {
    instanceCreator: (cls) => {
      if (failures-- > 0) throw new RangeError("no capacity");
      return new cls();
    },
  });
  daemon.register(Counter, "rejects", { instanceMode: "single", instanceCreator: () => Promise.reject(new Error("backend down")) });
  daemon.register(Counter, "wrong", { instanceMode: "percall", instanceCreator: () => ({ increment: () => 1 }) as unknown as Counter });
  class Broken {
    constructor() {
      throw new Error("constructor failed");
    }
    run(): number {
      return 1;
    }
  }
  daemon.register(Broken, "broken", { oneway: ["run"] });
  const p = proxyFor(t, daemon, "throws");
  await assert.rejects(p.invoke("increment"), remoteError(/ValueError/, /no capacity/));
  assert.equal(await p.invoke("increment"), 1, "a failed creation is not remembered: the next call retries");
  const r = proxyFor(t, daemon, "rejects");
  await assert.rejects(r.invoke("increment"), remoteError(/Exception/, /backend down/));
  await assert.rejects(r.invoke("whoami"), remoteError(/Exception/, /backend down/));
  const w = proxyFor(t, daemon, "wrong");
  await assert.rejects(w.invoke("increment"), remoteError(/TypeError/, /instance creator returned object of different type/));
  const b = proxyFor(t, daemon, "broken");
  await b.oneway("run"); // a oneway call whose instance cannot be made is dropped quietly
  await assert.rejects(b.batch().call("run").execute(), remoteError(/Exception/, /constructor failed/));
  // the daemon and the connections are fine
  assert.equal(await p.invoke("increment"), 2);
  assert.equal(daemon.connectionCount, 4);
});

test("lookups are checked before an instance is made", async (t) => {
  Counter.made = 0;
  const daemon = await daemonFor(t);
  daemon.register(Counter, "counter", { instanceMode: "percall", allow: ["increment"] });
  const p = proxyFor(t, daemon, "counter");
  await assert.rejects(p.invoke("nope"), remoteError(/AttributeError/, /'Counter' object has no attribute 'nope'/));
  await assert.rejects(p.invoke("whoami"), remoteError(/AttributeError/, /unexposed attribute 'whoami'/));
  await assert.rejects(p.invoke("_private"), remoteError(/AttributeError/, /private attribute/));
  await assert.rejects(p.getAttr("count"), remoteError(/AttributeError/, /unexposed or unknown remote attribute 'count'/));
  await assert.rejects(p.setAttr("count", 5), remoteError(/AttributeError/, /unexposed or unknown remote attribute 'count'/));
  assert.equal(Counter.made, 0);
  assert.equal(await p.invoke("increment"), 1);
  assert.equal(Counter.made, 1);
});

test("the metadata of a class comes from its prototype, before any instance exists", async (t) => {
  Counter.made = 0;
  const daemon = await daemonFor(t);
  daemon.register(Counter, "counter", { oneway: ["notify"] });
  const p = proxyFor(t, daemon, "counter");
  await p.bind();
  const meta = p.metadata;
  assert.ok(meta);
  assert.deepEqual([...meta.methods].sort(), ["increment", "notify", "slowIncrement", "whoami"]);
  assert.deepEqual([...meta.oneway], ["notify"]);
  assert.deepEqual([...meta.attrs], [], "instance attributes are not known for a class");
  const viaDaemon = (await p.callObject("Pyro.Daemon", "get_metadata", ["counter", true])) as Record<string, unknown>;
  assert.deepEqual(viaDaemon["methods"], ["increment", "notify", "slowIncrement", "whoami"]);
  assert.deepEqual(viaDaemon["attrs"], []);
  assert.equal(Counter.made, 0);
  // the oneway method runs on the session instance
  await p.oneway("notify");
  assert.equal(await p.invoke("increment"), 101);
});

test("unregister drops a class's instances; registration errors", async (t) => {
  Counter.made = 0;
  const daemon = await daemonFor(t);
  daemon.register(Counter, "counter", { instanceMode: "single" });
  const p = proxyFor(t, daemon, "counter");
  assert.equal(await p.invoke("increment"), 1);
  assert.equal(daemon.unregister("counter"), true);
  // nothing is served under that id any more: like a 404, it cannot have run (the daemon's DaemonError "unknown object")
  await assert.rejects(p.invoke("increment"), (e: unknown) => e instanceof CommunicationError && e.code === ErrorCodes.ERR_SERVICE_NOT_FOUND && e.phase === "connect" && /serves no object 'counter'/.test(e.message) && (e.cause as RemoteInvocationError).remoteMessage === "unknown object");
  daemon.register(Counter, "counter", { instanceMode: "single" });
  assert.equal(await p.invoke("increment"), 1, "a new registration starts afresh");
  assert.equal(Counter.made, 2);

  const isInvalid = (e: unknown): boolean => e instanceof RemotingError && e.code === ErrorCodes.ERR_INVALID_ARGUMENT;
  assert.throws(() => daemon.register(Counter, "bad", { instanceMode: "perclient" as "single" }), isInvalid);
  assert.throws(() => daemon.register(Counter, "bad", { instanceCreator: 5 as unknown as () => Counter }), isInvalid);
  assert.throws(() => daemon.register(new Counter(), "bad", { instanceMode: "single" } as object), isInvalid);
  assert.equal(daemon.has("bad"), false);
  // functions that are not classes are still served as plain objects
  const fn = Object.assign(() => 1, { ping: () => "pong" });
  daemon.register(fn, "fn");
  const f = proxyFor(t, daemon, "fn");
  assert.equal(await f.invoke("ping"), "pong");
});

test("an exporter given a class serves it per session (or per its static pyroBehavior)", async (t) => {
  class Single extends Counter {
    static pyroBehavior: PyroBehavior = { instanceMode: "single" };
  }
  Counter.made = 0;
  const perSession = new PyroServiceExporter(Counter, "cart", "127.0.0.1", 0);
  await perSession.afterPropertiesSet();
  t.after(() => perSession.destroy());
  const single = new PyroServiceExporter(Single, "catalog", "127.0.0.1", 0);
  await single.afterPropertiesSet();
  t.after(() => single.destroy());
  const p = (uri: string | undefined): PyroProxy => {
    assert.ok(uri);
    const proxy = new PyroProxy(uri, { timeoutMs: 5000 });
    t.after(() => proxy.close());
    return proxy;
  };
  const [a, b] = [p(perSession.uri), p(perSession.uri)];
  assert.equal(await a.invoke("increment"), 1);
  assert.equal(await b.invoke("increment"), 1);
  const [c, d] = [p(single.uri), p(single.uri)];
  assert.equal(await c.invoke("increment"), 1);
  assert.equal(await d.invoke("increment"), 2);
  assert.equal(Counter.made, 3);
});
