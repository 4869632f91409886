import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy, RemoteIterator } from "../../../src/protocols/pyro4/proxy.js";
import { Complex, Decimal, FrozenSet, tuple } from "../../../src/core/values.js";
import { toBytes } from "../../../src/codecs/python/index.js";
import { CommunicationError, ErrorCodes, RemoteInvocationError } from "../../../src/core/errors.js";
import { TestService } from "./support.js";

async function setup(t: TestContext, serializer: "serpent" | "json", hmacKey?: string) {
  const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0, hmacKey });
  await daemon.listen();
  const svc = new TestService();
  daemon.register(svc, "test.service", { oneway: ["increment"] });
  const proxy = new PyroProxy(daemon.uriFor("test.service"), { serializer, hmacKey, timeoutMs: 5000 });
  t.after(async () => {
    await proxy.close();
    await daemon.close();
  });
  return { daemon, svc, proxy };
}

for (const serializer of ["serpent", "json"] as const) {
  test(`${serializer}: values round-trip through echo`, async (t) => {
    const { proxy } = await setup(t, serializer);
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -17,
      2 ** 53 - 1,
      12345678901234567890n,
      1.5,
      -0.25,
      "",
      "héllo wörld ✓ \u{1F600}",
      "quote ' and \" and \\ and \n",
      [1, "two", [3, null]],
      { a: 1, b: [true, { c: "d" }] },
      {},
      [],
    ];
    for (const v of values) assert.deepEqual(await proxy.invoke("echo", [v]), v, `value ${String(v)}`);
    assert.ok(Number.isNaN(await proxy.invoke("echo", [NaN])));
    assert.equal(await proxy.invoke("echo", [Infinity]), Infinity);
    assert.equal(await proxy.invoke("echo", [-Infinity]), -Infinity);
    if (serializer === "serpent") {
      const tup = (await proxy.invoke("echo", [tuple([1, 2])])) as unknown[];
      assert.deepEqual([...tup], [1, 2]);
      assert.ok(Object.isFrozen(tup), "tuple stays a tuple");
      const s = (await proxy.invoke("echo", [new Set([1, 2, 3])])) as Set<number>;
      assert.deepEqual([...s].sort(), [1, 2, 3]);
      const m = (await proxy.invoke("echo", [new Map<unknown, unknown>([[1, "one"], ["x", 2]])])) as Map<unknown, unknown>;
      assert.equal(m.get(1), "one");
      assert.equal(m.get("x"), 2);
      const c = (await proxy.invoke("echo", [new Complex(1, -2)])) as Complex;
      assert.equal(c.real, 1);
      assert.equal(c.imag, -2);
      assert.ok(await proxy.invoke("echo", [new FrozenSet([5])]) instanceof Set);
    }
    // bytes travel as serpent's base64 dict (what Pyro4 itself sends); toBytes() turns it back
    assert.deepEqual(toBytes(await proxy.invoke("echo", [Buffer.from([0, 1, 254, 255])])), Buffer.from([0, 1, 254, 255]));
    assert.equal(await proxy.invoke("echo", [new Date(Date.UTC(2021, 11, 25, 13, 30, 15))]), "2021-12-25T13:30:15+00:00");
    assert.equal(await proxy.invoke("echo", [undefined]), null);
    const d = await proxy.invoke("echo", [new Decimal("3.14")]);
    assert.equal(String(d), "3.14");
    assert.equal(await proxy.invoke("get_data", ["Hello"]), "You got remote data => Hello");
    assert.equal(await proxy.invoke("add", [2, 3]), 5);
  });

  test(`${serializer}: remote errors carry class, message and traceback; the connection stays usable`, async (t) => {
    const { proxy } = await setup(t, serializer);
    await assert.rejects(proxy.invoke("raise_value_error", ["boom"]), (e: unknown) => {
      assert.ok(e instanceof RemoteInvocationError);
      assert.equal(e.code, ErrorCodes.ERR_REMOTE);
      assert.match(e.remoteType, /ValueError/);
      assert.equal(e.remoteMessage, "boom");
      assert.ok(e.remoteTraceback.length >= 2);
      assert.match(e.remoteTraceback.at(-1)!, /ValueError: boom/);
      return true;
    });
    await assert.rejects(proxy.invoke("raise_type_error", []), (e: unknown) => e instanceof RemoteInvocationError && /TypeError/.test(e.remoteType));
    await assert.rejects(proxy.invoke("no_such_method", []), (e: unknown) => e instanceof RemoteInvocationError && /AttributeError/.test(e.remoteType) && /no attribute 'no_such_method'/.test(e.remoteMessage));
    await assert.rejects(proxy.invoke("_hidden", []), (e: unknown) => e instanceof RemoteInvocationError && /private attribute/.test(e.remoteMessage));
    await assert.rejects(proxy.invoke("constructor", []), (e: unknown) => e instanceof RemoteInvocationError && /AttributeError/.test(e.remoteType));
    // an object the daemon does not serve: like a 404, the call cannot have run (phase connect), its DaemonError as cause
    await assert.rejects(proxy.callObject("nope", "echo", [1]), (e: unknown) => e instanceof CommunicationError && e.code === ErrorCodes.ERR_SERVICE_NOT_FOUND && e.phase === "connect" && /DaemonError/.test((e.cause as RemoteInvocationError).remoteType));
    assert.equal(await proxy.invoke("echo", ["still fine"]), "still fine");
  });

  test(`${serializer}: oneway calls return at once and run on the server`, async (t) => {
    const { proxy, svc } = await setup(t, serializer);
    assert.equal(await proxy.invoke("increment", []), null); // oneway by metadata
    await proxy.oneway("increment");
    assert.equal(await proxy.invoke("slow", [200, "x"], { oneway: true }), null);
    const deadline = Date.now() + 2000;
    while (svc.counter < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(svc.counter, 2);
    assert.ok(proxy.metadata?.oneway.has("increment"));
    assert.ok(proxy.metadata?.methods.has("echo"));
    assert.ok(proxy.metadata?.attrs.has("value"));
    assert.ok(!proxy.metadata?.attrs.has("_secret"));
  });

  test(`${serializer}: batch calls return results in order and stop at the first error`, async (t) => {
    const { proxy, svc } = await setup(t, serializer);
    const results = await proxy.batch().call("echo", 1).call("add", 2, 3).call("get_data", "b").execute();
    assert.deepEqual(results, [1, 5, "You got remote data => b"]);
    await assert.rejects(proxy.batch().call("echo", 1).call("raise_value_error", "inbatch").call("echo", 3).execute(), (e: unknown) => {
      assert.ok(e instanceof RemoteInvocationError);
      assert.match(e.remoteType, /ValueError/);
      assert.equal(e.remoteMessage, "inbatch");
      assert.deepEqual((e as unknown as { completedResults: unknown[] }).completedResults, [1]);
      return true;
    });
    assert.deepEqual(await proxy.batch().call("increment").call("increment").execute({ oneway: true }), []);
    const deadline = Date.now() + 2000;
    while (svc.counter < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(svc.counter, 2);
  });

  test(`${serializer}: generators and async generators stream item by item`, async (t) => {
    const { proxy, daemon } = await setup(t, serializer);
    const it = await proxy.invoke("count", [5]);
    assert.ok(it instanceof RemoteIterator);
    const got: unknown[] = [];
    for await (const x of it as AsyncIterable<unknown>) got.push(x);
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    const agot: unknown[] = [];
    for await (const x of (await proxy.invoke("acount", [3])) as AsyncIterable<unknown>) agot.push(x);
    assert.deepEqual(agot, ["item0", "item1", "item2"]);
    // an error inside the generator ends the stream with that error
    const fails: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const x of (await proxy.invoke("failing_gen", [])) as AsyncIterable<unknown>) fails.push(x);
      })(),
      (e: unknown) => e instanceof RemoteInvocationError && /ValueError/.test(e.remoteType) && e.remoteMessage === "generator failed",
    );
    assert.deepEqual(fails, [0, 1]);
    // leaving a loop early closes the stream on the daemon
    for await (const x of (await proxy.invoke("count", [1000])) as AsyncIterable<number>) if (x === 2) break;
    const deadline = Date.now() + 2000;
    while (daemon.streamCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(daemon.streamCount, 0);
    await assert.rejects(proxy.callObject("Pyro.Daemon", "get_next_stream_item", ["no-such-stream"]), (e: unknown) => e instanceof RemoteInvocationError && /item stream terminated/.test(e.remoteMessage));
  });

  test(`${serializer}: public data attributes can be read and written; others cannot`, async (t) => {
    const { proxy, svc } = await setup(t, serializer);
    assert.equal(await proxy.getAttr("value"), 42);
    await proxy.setAttr("value", "changed");
    assert.equal(svc.value, "changed");
    assert.equal(await proxy.getAttr("value"), "changed");
    await assert.rejects(proxy.getAttr("_secret"), (e: unknown) => e instanceof RemoteInvocationError && /AttributeError/.test(e.remoteType));
    await assert.rejects(proxy.getAttr("echo"), (e: unknown) => e instanceof RemoteInvocationError && /AttributeError/.test(e.remoteType));
    await assert.rejects(proxy.setAttr("nonexistent", 1), (e: unknown) => e instanceof RemoteInvocationError && /unknown remote attribute/.test(e.remoteMessage));
    assert.equal(svc._secret, "hidden");
  });

  test(`${serializer}: Pyro.Daemon answers ping, registered, get_metadata, info; PING frames get pong`, async (t) => {
    const { proxy } = await setup(t, serializer);
    assert.equal(await proxy.callObject("Pyro.Daemon", "ping", []), null);
    const reg = (await proxy.callObject("Pyro.Daemon", "registered", [])) as string[];
    assert.deepEqual([...reg].sort(), ["Pyro.Daemon", "test.service"]);
    const meta = await proxy.callObject("Pyro.Daemon", "get_metadata", ["test.service", true]);
    assert.ok((meta as { methods: string[] }).methods.includes("get_data"));
    assert.match(String(await proxy.callObject("Pyro.Daemon", "info", [])), /^Pyro\.Daemon bound on 127\.0\.0\.1:\d+/);
    await proxy.ping();
  });

  test(`${serializer}: keyword arguments arrive as a trailing object`, async (t) => {
    const { proxy } = await setup(t, serializer);
    assert.deepEqual(await proxy.callKw("kw", [1], { x: 2 }), [1, { x: 2 }]);
  });
}

test("HMAC: matching keys work; a missing or wrong key is refused", async (t) => {
  const { proxy, daemon } = await setup(t, "serpent", "s3cret");
  assert.equal(await proxy.invoke("echo", ["signed"]), "signed");
  const noKey = new PyroProxy(daemon.uriFor("test.service"), { timeoutMs: 3000 });
  const wrongKey = new PyroProxy(daemon.uriFor("test.service"), { hmacKey: "other", timeoutMs: 3000 });
  t.after(() => Promise.all([noKey.close(), wrongKey.close()]));
  await assert.rejects(noKey.invoke("echo", [1]), (e: unknown) => (e as { code?: string }).code === ErrorCodes.ERR_SECURITY);
  await assert.rejects(wrongKey.invoke("echo", [1]), (e: unknown) => (e as { code?: string }).code === ErrorCodes.ERR_SECURITY);
  assert.equal(await proxy.invoke("echo", ["still"]), "still");
});

test("an unknown object is refused at connect time with CONNECTFAIL 'unknown object'", async (t) => {
  const { daemon } = await setup(t, "serpent");
  const p = new PyroProxy(daemon.uriFor("missing"), { timeoutMs: 3000 });
  t.after(() => p.close());
  await assert.rejects(p.invoke("echo", [1]), (e: unknown) => (e as Error).message.includes("rejected: unknown object"));
});

test("compressed requests and replies work", async (t) => {
  const daemon = new PyroDaemon({ host: "127.0.0.1", compressThreshold: 200 });
  await daemon.listen();
  daemon.register(new TestService(), "svc");
  const proxy = new PyroProxy(daemon.uriFor("svc"), { compressThreshold: 200 });
  t.after(async () => {
    await proxy.close();
    await daemon.close();
  });
  const big = "x".repeat(100_000);
  assert.equal(await proxy.invoke("echo", [big]), big);
});

test("large replies split over many reads arrive whole, on several proxies at once", async (t) => {
  const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0 });
  await daemon.listen();
  daemon.register(new TestService(), "svc");
  const proxies = [0, 1, 2].map(() => new PyroProxy(daemon.uriFor("svc"), { timeoutMs: 20_000 }));
  t.after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await daemon.close();
  });
  // text that does not repeat, so each reply is ~300 kB on the wire (several 64 kB reads)
  const text = (seed: number): string => Array.from({ length: 30_000 }, (_, i) => ((i * 7919 + seed) % 1_000_003).toString(36)).join(",");
  const calls: Array<Promise<void>> = [];
  for (let round = 0; round < 4; round++) {
    proxies.forEach((p, k) => {
      const big = text(round * 10 + k);
      calls.push(p.invoke("echo", [big]).then((r) => assert.equal(r, big)));
      calls.push(p.invoke("echo", [`small ${round}/${k}`]).then((r) => assert.equal(r, `small ${round}/${k}`)));
    });
  }
  await Promise.all(calls);
});
