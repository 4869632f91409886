import { test } from "node:test";
import assert from "node:assert/strict";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { startNameServer } from "../../../src/protocols/pyro4/nameserver.js";
import { locateNS } from "../../../src/protocols/pyro4/naming.js";
import { ErrorCodes, NamingError, RemoteInvocationError } from "../../../src/core/errors.js";
import { TestService } from "./support.js";

test("our name server: register, lookup, list filters, remove, count; PYRONAME and PYROMETA resolve through it", async (t) => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0 });
  const daemon = new PyroDaemon({ host: "127.0.0.1" });
  await daemon.listen();
  daemon.register(new TestService(), "svc.one");
  const client = await locateNS("127.0.0.1", ns.daemon.port!);
  const byName = new PyroProxy(`PYRONAME:app.one@127.0.0.1:${ns.daemon.port}`);
  const byMeta = new PyroProxy(`PYROMETA:blue,fast@127.0.0.1:${ns.daemon.port}`, { serializer: "json" });
  t.after(async () => {
    await byName.close();
    await byMeta.close();
    await client.close();
    await daemon.close();
    await ns.close();
  });
  assert.equal(await client.count(), 1, "the name server registers itself");
  assert.equal(await client.lookup("Pyro.NameServer"), ns.uri);
  await client.register("app.one", daemon.uriFor("svc.one"), { metadata: ["blue", "fast"] });
  await client.register("app.two", daemon.uriFor("svc.one"), { metadata: ["blue"] });
  await client.register("other", daemon.uriFor("svc.one"));
  assert.equal(await client.lookup("app.one"), daemon.uriFor("svc.one"));
  assert.deepEqual((await client.lookupWithMetadata("app.one")).metadata.sort(), ["blue", "fast"]);
  assert.deepEqual(Object.keys(await client.list({ prefix: "app." })).sort(), ["app.one", "app.two"]);
  assert.deepEqual(Object.keys(await client.list({ regex: "app\\.t.*" })), ["app.two"]);
  assert.deepEqual(Object.keys(await client.list({ metadataAll: ["blue", "fast"] })), ["app.one"]);
  assert.deepEqual(Object.keys(await client.list({ metadataAny: ["blue"] })).sort(), ["app.one", "app.two"]);
  await assert.rejects(client.register("app.one", daemon.uriFor("svc.one"), { safe: true }), (e: unknown) => e instanceof NamingError && /already registered/.test(e.message));
  await assert.rejects(client.lookup("missing"), (e: unknown) => e instanceof NamingError && e.code === ErrorCodes.ERR_NAMING && /unknown name: missing/.test(e.message));
  await assert.rejects(client.list({ regex: "(" }), NamingError);
  await assert.rejects(client.proxy.callKw("list", [], { prefix: "a", regex: "b" }), (e: unknown) => e instanceof RemoteInvocationError && /ValueError/.test(e.remoteType));

  assert.equal(await byName.invoke("get_data", ["via name"]), "You got remote data => via name");
  assert.equal(await byMeta.invoke("get_data", ["via meta"]), "You got remote data => via meta");
  const none = new PyroProxy(`PYROMETA:purple@127.0.0.1:${ns.daemon.port}`);
  t.after(() => none.close());
  await assert.rejects(none.invoke("echo", [1]), (e: unknown) => e instanceof NamingError && /no registrations available/.test(e.message));

  await client.setMetadata("other", ["x"]);
  assert.deepEqual(Object.keys(await client.list({ metadataAll: ["x"] })), ["other"]);
  assert.equal(await client.remove({ prefix: "app." }), 2);
  assert.equal(await client.remove({ name: "Pyro.NameServer" }), 0);
  assert.equal(await client.count(), 2);
  await assert.rejects(locateNS("127.0.0.1", 1), (e: unknown) => e instanceof NamingError && /Failed to locate the nameserver/.test(e.message));
});
