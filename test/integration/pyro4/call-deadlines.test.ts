import { test } from "node:test";
import assert from "node:assert/strict";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { TimeoutError } from "../../../src/core/errors.js";
import { TestService } from "./support.js";

async function setup(t: { after: (fn: () => Promise<void>) => void }, timeoutMs?: number) {
  const d = new PyroDaemon({ host: "127.0.0.1", port: 0 });
  await d.listen();
  d.register(new TestService(), "svc");
  const p = new PyroProxy(d.uriFor("svc"), timeoutMs === undefined ? {} : { timeoutMs });
  t.after(async () => {
    await p.close();
    await d.close();
  });
  return { d, p };
}

test("a short deadline behind a long one on the same connection fires on time; the long call still gets its reply", async (t) => {
  const { p } = await setup(t);
  await p.bind();
  const long = p.invoke("slow", [500, "long"], { timeoutMs: 5000 });
  const started = Date.now();
  await assert.rejects(p.invoke("slow", [3000, "short"], { timeoutMs: 100 }), (e: unknown) => e instanceof TimeoutError && /100 ms/.test(e.message));
  const waited = Date.now() - started;
  assert.ok(waited >= 90 && waited < 450, `timed out after ${waited} ms`);
  assert.equal(await long, "long");
  // the retired connection is replaced for new calls
  assert.equal(await p.invoke("echo", ["after"]), "after");
});

test("calls that finish in time never time out, also long after the first deadline would have passed", async (t) => {
  // a deadline well above a loaded machine's call time, and calls going on for several deadlines' length
  const { p } = await setup(t, 1000);
  const until = Date.now() + 3500;
  let n = 0;
  while (Date.now() < until) {
    assert.equal(await p.invoke("echo", [n]), n);
    n++;
  }
  assert.equal(await p.invoke("slow", [300, "ok"]), "ok");
  assert.ok(n > 10);
});

test("calls queued in one tick go out together and each gets its own reply", async (t) => {
  const { p, d } = await setup(t);
  await p.bind();
  const values = Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? `s${i}` : i % 3 === 1 ? i : { k: [i, "x".repeat(i * 50)] }));
  const results = await Promise.all(values.map((v) => p.invoke("echo", [v])));
  assert.deepEqual(results, values);
  assert.equal(d.connectionCount, 1);
});
