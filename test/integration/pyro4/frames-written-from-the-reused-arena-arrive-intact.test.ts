// Plain frames are written from one reused Buffer (the frame arena), lent to
// one frame at a time and given back when its socket is done with it. Calls
// one after the other, 32 in flight (frames joined, or corked past 64 KiB),
// TLS and a daemon serving several clients all get back exactly what they
// sent: no frame is overwritten while a socket still holds it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { fastPathCounts } from "../../../src/core/fast-paths.js";
import { makePki } from "./pki.js";

/** A distinct value per call, of about `size` characters, non-ASCII (so it takes the general writers). */
function valueFor(i: number, size: number): unknown {
  const text = `${i}: Grüße 東京 🚀 `.repeat(Math.ceil(size / 16)).slice(0, size);
  return i % 3 === 0 ? text : i % 3 === 1 ? { i, text, list: [i, i + 1, `${i}`] } : [text, i];
}

for (const serializer of ["serpent", "json", "marshal"] as const) {
  test(`${serializer}: sequential and 32-in-flight calls with distinct large payloads get each their own payload back`, async (t) => {
    const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0 });
    daemon.register({ echo: (v: unknown) => v, later: async (v: unknown) => new Promise((r) => setTimeout(() => r(v), 1)) }, "svc");
    await daemon.listen();
    const proxy = new PyroProxy(daemon.uriFor("svc"), { serializer, timeoutMs: 10_000 });
    const other = new PyroProxy(daemon.uriFor("svc"), { serializer, timeoutMs: 10_000 });
    t.after(async () => {
      await proxy.close();
      await other.close();
      await daemon.close();
    });
    const before = fastPathCounts()["frame.arena.lent"];
    for (let i = 0; i < 40; i++) {
      const v = valueFor(i, 3000 + 97 * i);
      assert.deepEqual(await proxy.invoke("echo", [v]), v, `call ${i}`);
    }
    // both sides wrote from the arena: at least one request and one reply per call
    assert.ok(fastPathCounts()["frame.arena.lent"] - before >= 80, "the arena was lent");
    for (const size of [1500, 5000]) {
      // 32 in flight on two connections, some replies held back by an async method: joined and corked writes
      const vs = Array.from({ length: 64 }, (_, i) => valueFor(1000 + i, size + i));
      const got = await Promise.all(vs.map((v, i) => (i % 2 === 0 ? proxy : other).invoke(i % 4 < 2 ? "echo" : "later", [v])));
      for (let i = 0; i < vs.length; i++) assert.deepEqual(got[i], vs[i], `in flight ${i} (${size})`);
    }
  });
}

test("TLS: 32 calls in flight with distinct large payloads get each their own payload back", async (t) => {
  const pki = await makePki();
  const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0, tlsKey: pki.serverKey, tlsCert: pki.serverCert });
  daemon.register({ echo: (v: unknown) => v }, "svc");
  await daemon.listen();
  const proxy = new PyroProxy(daemon.uriFor("svc"), { tlsCa: pki.ca, timeoutMs: 10_000 });
  t.after(async () => {
    await proxy.close();
    await daemon.close();
  });
  const vs = Array.from({ length: 32 }, (_, i) => valueFor(2000 + i, 4000 + 13 * i));
  const got = await Promise.all(vs.map((v) => proxy.invoke("echo", [v])));
  for (let i = 0; i < vs.length; i++) assert.deepEqual(got[i], vs[i], `in flight ${i}`);
  for (let i = 0; i < 10; i++) {
    const v = valueFor(3000 + i, 6000);
    assert.deepEqual(await proxy.invoke("echo", [v]), v);
  }
});
