import { test } from "node:test";
import assert from "node:assert/strict";
import { requirePeers } from "../../helpers/peers.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { Complex, tuple } from "../../../src/core/values.js";
import { ErrorCodes, RemoteInvocationError } from "../../../src/core/errors.js";
import { startPython } from "./helpers.js";

const isRemote = (type: RegExp, message?: string) => (e: unknown) =>
  e instanceof RemoteInvocationError && type.test(e.remoteType) && (message === undefined || e.remoteMessage === message);

for (const serializer of ["serpent", "json"] as const) {
  for (const hmac of [undefined, "interop-key"]) {
    test(`TypeScript proxy -> Python Pyro4 daemon (${serializer}${hmac ? ", HMAC" : ""})`, async (t) => {
      if (!requirePeers(t, "pyro4")) return;
      const server = await startPython("server.py", hmac ? ["--hmac", hmac] : []);
      const p = new PyroProxy(String(server.first["uri"]), { serializer, hmacKey: hmac, timeoutMs: 10_000 });
      t.after(async () => {
        await p.close();
        await server.stop();
      });

      assert.equal(await p.invoke("get_data", ["Hello"]), "You got remote data => Hello");
      assert.ok(p.metadata?.methods.has("echo"));
      assert.ok(p.metadata?.oneway.has("increment"));
      assert.ok(p.metadata?.attrs.has("value"));

      // values
      for (const v of [0, -17, 2 ** 53 - 1, 1.5, -0.25, "", "h\u00e9llo \u2713 \u{1F600} ' \" \\ \n", [1, "two", [3, null]], { a: 1, b: [true, false] }, null, true, 12345678901234567890n]) {
        assert.deepEqual(await p.invoke("echo", [v]), v);
      }
      assert.ok(Number.isNaN(await p.invoke("echo", [NaN])));
      assert.equal(await p.invoke("echo", [Infinity]), Infinity);
      assert.deepEqual(await p.invoke("echo_repr", [1.5]), ["float", "1.5"]);
      assert.deepEqual(await p.invoke("echo_repr", [7]), ["int", "7"]);
      assert.deepEqual(await p.invoke("echo_repr", [12345678901234567890n]), ["int", "12345678901234567890"]);
      assert.deepEqual(await p.invoke("echo_repr", ["x"]), ["str", "'x'"]);
      assert.deepEqual(await p.invoke("bigints", []), [2n ** 70n, -(2n ** 64n), 2n ** 53n + 1n]);
      const floats = (await p.invoke("floats", [])) as number[];
      assert.deepEqual(floats.slice(0, 4), [1, 0.1, -0, 1e16]);
      assert.equal(floats[4], Infinity);
      assert.equal(floats[5], -Infinity);
      if (serializer === "serpent") {
        assert.deepEqual(await p.invoke("echo_repr", [tuple([1, 2])]), ["tuple", "(1, 2)"]);
        assert.deepEqual(await p.invoke("echo_repr", [new Set([3])]), ["set", "{3}"]);
        assert.deepEqual(await p.invoke("echo_repr", [new Map([[1, "one"]])]), ["dict", "{1: 'one'}"]);
        assert.deepEqual(await p.invoke("echo_repr", [new Complex(1, -2)]), ["complex", "(1-2j)"]);
        const sp = (await p.invoke("special", [])) as Record<string, unknown>;
        assert.ok(Object.isFrozen(sp["tuple"]));
        assert.deepEqual([...(sp["tuple"] as number[])], [1, 2]);
        assert.ok(sp["set"] instanceof Set);
        assert.equal(sp["none"], null);
        const c = (await p.invoke("echo", [new Complex(0.5, 2)])) as Complex;
        assert.equal(c.imag, 2);
      } else {
        const sp = (await p.invoke("echo", [{ t: tuple([1, 2]) }])) as Record<string, unknown>;
        assert.deepEqual(sp, { t: [1, 2] });
      }

      // errors
      await assert.rejects(p.invoke("raise_value_error", ["boom"]), (e: unknown) => {
        assert.ok(isRemote(/^ValueError$/, "boom")(e));
        const tb = (e as RemoteInvocationError).remoteTraceback.join("");
        assert.match(tb, /Traceback \(most recent call last\)/);
        assert.match(tb, /raise ValueError\(message\)/);
        return true;
      });
      await assert.rejects(p.invoke("raise_key_error", ["k"]), isRemote(/KeyError/));
      await assert.rejects(p.invoke("no_such_method", []), isRemote(/AttributeError/));
      assert.equal(await p.invoke("echo", ["usable after errors"]), "usable after errors");

      // oneway (by metadata and explicit)
      const before = (await p.invoke("get_counter", [])) as number;
      assert.equal(await p.invoke("increment", []), null);
      await p.oneway("increment");
      const deadline = Date.now() + 3000;
      while (((await p.invoke("get_counter", [])) as number) < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await p.invoke("get_counter", []), before + 2);

      // batch
      assert.deepEqual(await p.batch().call("echo", 1).call("add", 2, 3).execute(), [1, 5]);
      await assert.rejects(p.batch().call("echo", 1).call("add", 2, 3).call("raise_value_error", "inbatch").call("echo", 4).execute(), (e: unknown) => {
        assert.ok(isRemote(/ValueError/, "inbatch")(e));
        assert.deepEqual((e as unknown as { completedResults: unknown[] }).completedResults, [1, 5]);
        return true;
      });

      // streams
      const items: unknown[] = [];
      for await (const x of (await p.invoke("count", [5])) as AsyncIterable<unknown>) items.push(x);
      assert.deepEqual(items, [0, 1, 2, 3, 4]);
      const partial: unknown[] = [];
      await assert.rejects(
        (async () => {
          for await (const x of (await p.invoke("failing_gen", [])) as AsyncIterable<unknown>) partial.push(x);
        })(),
        isRemote(/ValueError/, "generator failed"),
      );
      assert.deepEqual(partial, [0, 1]);
      for await (const x of (await p.invoke("count", [1000])) as AsyncIterable<number>) if (x === 1) break;
      assert.equal(await p.invoke("echo", ["after early close"]), "after early close");

      // attributes (Python properties)
      assert.equal(await p.getAttr("value"), 42);
      await p.setAttr("value", 7);
      assert.equal(await p.getAttr("value"), 7);
      assert.equal(await p.getAttr("readonly"), "ro");
      await assert.rejects(p.setAttr("readonly", 1), isRemote(/AttributeError/));

      // keyword arguments
      assert.deepEqual(await p.callKw("kw", [1], { b: 2, c: 3 }), { a: 1, b: 2, rest: { c: 3 } });

      // pipelined calls from many callers: the Python daemon answers them in order
      const many = await Promise.all(Array.from({ length: 32 }, (_, i) => p.invoke("echo", [i])));
      assert.deepEqual(many, Array.from({ length: 32 }, (_, i) => i));
      await p.ping();

      // compressed requests are accepted by Python
      const z = new PyroProxy(String(server.first["uri"]), { serializer, hmacKey: hmac, compressThreshold: 200 });
      t.after(() => z.close());
      const big = "y".repeat(50_000);
      assert.equal(await z.invoke("echo", [big]), big);
    });
  }
}

test("TypeScript proxy -> Python multiplex daemon, and a wrong HMAC key is a security error", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const server = await startPython("server.py", ["--servertype", "multiplex", "--hmac", "right"]);
  const p = new PyroProxy(String(server.first["uri"]), { hmacKey: "right", timeoutMs: 10_000 });
  const bad = new PyroProxy(String(server.first["uri"]), { hmacKey: "wrong", timeoutMs: 10_000 });
  const none = new PyroProxy(String(server.first["uri"]), { timeoutMs: 10_000 });
  t.after(async () => {
    await p.close();
    await bad.close();
    await none.close();
    await server.stop();
  });
  assert.deepEqual(await Promise.all([p.invoke("slow", [0.1, "a"]), p.invoke("echo", ["b"])]), ["a", "b"]);
  await assert.rejects(bad.invoke("echo", [1]), (e: unknown) => (e as { code?: string }).code === ErrorCodes.ERR_SECURITY);
  await assert.rejects(none.invoke("echo", [1]), (e: unknown) => (e as { code?: string }).code === ErrorCodes.ERR_SECURITY);
  assert.equal(await p.invoke("echo", ["still"]), "still");
});

test("a timed-out call against Python retires the connection; the next call works", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const server = await startPython("server.py", []);
  const p = new PyroProxy(String(server.first["uri"]), { timeoutMs: 200 });
  t.after(async () => {
    await p.close();
    await server.stop();
  });
  await assert.rejects(p.invoke("slow", [1.0, "late"]), (e: unknown) => (e as { code?: string }).code === ErrorCodes.ERR_TIMEOUT);
  assert.equal(await p.invoke("echo", ["fresh"]), "fresh");
});

test("Pyro4ProxyFactory (as configured from XML) calls a Python Pyro4 daemon", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const { Pyro4ProxyFactory } = await import("../../../src/protocols/pyro4/proxy-factory.js");
  const server = await startPython("server.py", ["--hmac", "xml-key"]);
  const f = new Pyro4ProxyFactory();
  f.service_url = String(server.first["uri"]);
  f.hmac_key = "xml-key";
  (f as unknown as { timeoutMs: string }).timeoutMs = "10s";
  t.after(async () => {
    await f.release();
    await server.stop();
  });
  assert.equal(await f.get_data("Hello"), "You got remote data => Hello");
  await assert.rejects(f.raise_value_error("x"), isRemote(/ValueError/, "x"));
});
