/**
 * Hostile peers, name server: regex queries that backtrack, names and
 * metadata without size, an overwritten `Pyro.NameServer`. Each test
 * reproduces an attack that succeeded before the name server bounded it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startNameServer, type NameServerHandle } from "../../../src/protocols/pyro4/nameserver.js";
import { locateNS, NAMESERVER_OBJECT_ID } from "../../../src/protocols/pyro4/naming.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { NamingError, RemoteInvocationError } from "../../../src/core/errors.js";
import { timed } from "./hostile-support.js";

async function ns(options: Parameters<typeof startNameServer>[0] = {}): Promise<NameServerHandle> {
  return startNameServer({ host: "127.0.0.1", port: 0, broadcast: false, ...options });
}

function namingRefusal(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof NamingError || err instanceof RemoteInvocationError, String(err));
    const text = err instanceof RemoteInvocationError ? `${err.remoteType}: ${err.remoteMessage}` : err.message;
    if (err instanceof RemoteInvocationError) assert.equal(err.remoteType, "Pyro4.errors.NamingError");
    assert.match(text, pattern);
    return true;
  };
}

test("list(regex='(a+)+$') against a long name of a's answers at once (no backtracking), and the name server goes on", async (t) => {
  const h = await ns();
  const client = await locateNS("127.0.0.1", h.daemon.port!);
  t.after(async () => {
    await client.close();
    await h.close();
  });
  const evil = `${"a".repeat(28)}b`; // before: 0.9 s with 28 a's, doubling with each more
  await client.register(evil, "PYRO:x@127.0.0.1:1");
  await client.register("a".repeat(28), "PYRO:y@127.0.0.1:1");
  const { value, ms } = await timed(() => client.list({ regex: "(a+)+$" }));
  assert.deepEqual(Object.keys(value).sort(), ["a".repeat(28)]);
  assert.ok(ms < 300, `took ${ms.toFixed(0)} ms`);
  // 200 names of 500 characters: bounded too
  for (let k = 0; k < 200; k++) await client.register(`${"a".repeat(490)}${k}`, "PYRO:z@127.0.0.1:1");
  const { ms: ms2 } = await timed(() => client.list({ regex: "(a|aa)+(b|c)+$" }));
  assert.ok(ms2 < 500, `took ${ms2.toFixed(0)} ms`);
  assert.equal(await client.count(), 203);
});

test("regex queries keep Python's re.match meaning; what cannot be matched in linear time is refused by name", async (t) => {
  const h = await ns();
  const client = await locateNS("127.0.0.1", h.daemon.port!);
  t.after(async () => {
    await client.close();
    await h.close();
  });
  for (const n of ["test.service", "test.other", "prod.service", "Test.upper"]) await client.register(n, "PYRO:o@127.0.0.1:1");
  assert.deepEqual(Object.keys(await client.list({ regex: "test\\..*" })).sort(), ["test.other", "test.service"]);
  assert.deepEqual(Object.keys(await client.list({ regex: ".*service$" })).sort(), ["prod.service", "test.service"]);
  assert.deepEqual(Object.keys(await client.list({ regex: "(?i)test" })).sort(), ["Test.upper", "test.other", "test.service"]);
  assert.deepEqual(Object.keys(await client.list({ regex: "prod" })), ["prod.service"]); // a prefix match, as re.match
  assert.deepEqual(Object.keys(await client.list({ regex: "service" })), []);
  assert.equal(await client.remove({ regex: "test\\.o.*" }), 1);
  await assert.rejects(client.list({ regex: "(a)\\1" }), namingRefusal(/back-reference/));
  await assert.rejects(client.list({ regex: "(?=a)a" }), namingRefusal(/look-around/));
  await assert.rejects(client.list({ regex: "(unclosed" }), namingRefusal(/invalid regex/));
  await assert.rejects(client.list({ regex: "(a{1000}){1000}" }), namingRefusal(/too complex/));
});

test("names, URIs and metadata have size limits, and the number of names is bounded", async (t) => {
  const h = await ns({ maxEntries: 5 });
  const client = await locateNS("127.0.0.1", h.daemon.port!);
  t.after(async () => {
    await client.close();
    await h.close();
  });
  await assert.rejects(client.register("n".repeat(10_000), "PYRO:o@127.0.0.1:1"), namingRefusal(/name longer than 512 characters/));
  await assert.rejects(client.register("ok", `PYRO:${"o".repeat(5000)}@127.0.0.1:1`), namingRefusal(/uri longer than 1024 characters/));
  await assert.rejects(
    client.register("ok", "PYRO:o@127.0.0.1:1", { metadata: Array.from({ length: 1000 }, (_, k) => `tag${k}`) }),
    namingRefusal(/metadata of more than 64 strings/),
  );
  await assert.rejects(client.register("ok", "PYRO:o@127.0.0.1:1", { metadata: ["m".repeat(5000)] }), namingRefusal(/metadata longer than 4096 characters/));
  await client.register("ok", "PYRO:o@127.0.0.1:1", { metadata: ["a", "b"] });
  await assert.rejects(client.setMetadata("ok", Array.from({ length: 100 }, (_, k) => `t${k}`)), namingRefusal(/more than 64 strings/));
  for (let k = 0; k < 3; k++) await client.register(`n${k}`, "PYRO:o@127.0.0.1:1");
  assert.equal(await client.count(), 5); // Pyro.NameServer counts
  await assert.rejects(client.register("one.too.many", "PYRO:o@127.0.0.1:1"), namingRefusal(/holds 5 names, its limit/));
  await client.register("n0", "PYRO:other@127.0.0.1:2"); // replacing a name is no new one
  await assert.rejects(client.lookup("x".repeat(100_000)), namingRefusal(/name longer than 512/));
});

test("the name server's own entry cannot be registered over or given other metadata", async (t) => {
  const h = await ns();
  const client = await locateNS("127.0.0.1", h.daemon.port!);
  t.after(async () => {
    await client.close();
    await h.close();
  });
  await assert.rejects(client.register(NAMESERVER_OBJECT_ID, "PYRO:evil@10.0.0.1:9090"), namingRefusal(/own entry/));
  await assert.rejects(client.register(NAMESERVER_OBJECT_ID, "PYRO:evil@10.0.0.1:9090", { safe: false }), namingRefusal(/own entry/));
  await assert.rejects(client.setMetadata(NAMESERVER_OBJECT_ID, ["class:evil"]), namingRefusal(/own entry/));
  assert.equal(await client.remove({ name: NAMESERVER_OBJECT_ID }), 0);
  assert.equal(String(await client.lookup(NAMESERVER_OBJECT_ID)), h.uri);
  // and PYRONAME still reaches the real one
  const p = new PyroProxy(`PYRONAME:${NAMESERVER_OBJECT_ID}@127.0.0.1:${h.daemon.port!}`, { timeoutMs: 5000 });
  t.after(() => p.close());
  assert.equal(await p.invoke("ping", []), null);
});
