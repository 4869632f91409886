import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { PyroServiceExporter, Pyro4ServiceExporter, PyroDaemonHolder } from "../../../src/protocols/pyro4/exporter.js";
import { PyroProxyFactory, Pyro4ProxyFactory } from "../../../src/protocols/pyro4/proxy-factory.js";
import { ConfigError, ErrorCodes, RemoteInvocationError } from "../../../src/core/errors.js";
import { TestService } from "./support.js";

/** A free TCP port on 127.0.0.1 (exporters share daemons by port, so tests pick real ports). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("programmatic use as in 'Do I have to use XML?'", async (t) => {
  const port = await freePort();
  const remoteService = new TestService();
  const exporter = new PyroServiceExporter();
  exporter.service_name = "ServiceName";
  exporter.service = remoteService;
  exporter.service_host = "127.0.0.1";
  (exporter as unknown as { service_port: string }).service_port = String(port); // XML values arrive as strings
  await exporter.after_properties_set();
  const service = new PyroProxyFactory();
  service.service_url = `PYROLOC://127.0.0.1:${port}/ServiceName`;
  t.after(async () => {
    await service.release();
    await exporter.destroy();
  });
  assert.equal(await service.get_data("Hello"), "You got remote data => Hello");
  assert.equal(exporter.uri, `PYRO:ServiceName@127.0.0.1:${port}`);
  const typed = service.as<TestService>();
  assert.equal(await typed.add(1, 2), 3);
  assert.equal(await service.pyroProxy.getAttr("label"), "initial");
  const viaProxy = service.pyroProxy.as<TestService>();
  assert.equal(await viaProxy.get_data("typed"), "You got remote data => typed");
});

test("changing service_url after calls switches to the new service", async (t) => {
  const port = await freePort();
  const a = new TestService();
  a.label = "A";
  const b = new TestService();
  b.label = "B";
  const ea = new PyroServiceExporter(a, "A", "127.0.0.1", port);
  const eb = new PyroServiceExporter(b, "B", "127.0.0.1", port);
  await ea.afterPropertiesSet();
  await eb.afterPropertiesSet();
  const f = new PyroProxyFactory(`PYRO:A@127.0.0.1:${port}`);
  t.after(async () => {
    await f.release();
    await eb.destroy();
    await ea.destroy();
  });
  assert.equal(await f.pyroProxy.getAttr("label"), "A");
  f.service_url = `PYRO:B@127.0.0.1:${port}`;
  assert.equal(await f.pyroProxy.getAttr("label"), "B");
});

test("missing properties give the original's messages", async () => {
  const e = new PyroServiceExporter();
  await assert.rejects(e.afterPropertiesSet(), (err: unknown) => err instanceof ConfigError && err.message === "service must NOT be None");
  e.service = new TestService();
  await assert.rejects(e.afterPropertiesSet(), (err: unknown) => err instanceof ConfigError && err.message === "serviceName must NOT be None");
  const f = new PyroProxyFactory();
  await assert.rejects(f.get_data("x"), (err: unknown) => err instanceof ConfigError && /service_url must NOT be None/.test(err.message));
  // a bad value fails where it is set, naming the property
  assert.throws(() => new PyroServiceExporter(new TestService(), "x", "127.0.0.1", "not-a-port"), (err: unknown) => err instanceof ConfigError && err.code === ErrorCodes.ERR_CONFIG_INVALID_VALUE && /servicePort/.test(err.message));
});

test("ten exporters with distinct names share one daemon; round-robin clients reach each", async (t) => {
  const port = await freePort();
  const pool: PyroServiceExporter[] = [];
  const services: PyroProxyFactory[] = [];
  t.after(async () => {
    for (const s of services) await s.release();
    for (const e of pool) await e.destroy();
  });
  for (let i = 0; i < 10; i++) {
    const svc = new TestService();
    svc.label = `copy${i}`;
    const e = new PyroServiceExporter(svc, `ServiceName${i}`, "localhost", port);
    await e.afterPropertiesSet();
    pool.push(e);
  }
  const daemon = await PyroDaemonHolder.daemonAt("localhost", port);
  assert.ok(daemon);
  assert.equal(daemon.objectCount, 10);
  for (let i = 0; i < 10; i++) services.push(new PyroProxyFactory({ service_url: `PYROLOC://localhost:${port}/ServiceName${i}` }));
  for (let i = 0; i < 10; i++) assert.equal(await services[i]!.pyroProxy.getAttr("label"), `copy${i}`);
  // destroying all but one keeps the daemon; destroying the last closes it
  for (const e of pool.slice(0, 9)) await e.destroy();
  assert.equal(daemon.listening, true);
  assert.equal(await services[9]!.get_data("x"), "You got remote data => x");
  await pool[9]!.destroy();
  assert.equal(daemon.listening, false);
  assert.equal(await PyroDaemonHolder.daemonAt("localhost", port), undefined);
});

test("localhost and 127.0.0.1 share a daemon; a duplicate name there is ERR_DUPLICATE_NAME", async (t) => {
  const port = await freePort();
  const a = new Pyro4ServiceExporter(new TestService(), "A", "localhost", port);
  const b = new Pyro4ServiceExporter(new TestService(), "B", "127.0.0.1", String(port));
  const dup = new Pyro4ServiceExporter(new TestService(), "A", "127.0.0.1", port);
  t.after(async () => {
    await dup.destroy();
    await b.destroy();
    await a.destroy();
  });
  await a.afterPropertiesSet();
  await b.afterPropertiesSet();
  const da = await PyroDaemonHolder.daemonAt("localhost", port);
  const db = await PyroDaemonHolder.daemonAt("127.0.0.1", port);
  assert.ok(da && da === db);
  await assert.rejects(dup.afterPropertiesSet(), (e: unknown) => (e as { code?: string }).code === ErrorCodes.ERR_DUPLICATE_NAME);
  assert.equal(dup.started, false);
  // the first A is still served
  const f = new Pyro4ProxyFactory(`PYRO:A@127.0.0.1:${port}`);
  t.after(() => f.release());
  assert.equal(await f.echo("a"), "a");
});

test("an exporter can be restarted on the same port after destroy", async (t) => {
  const port = await freePort();
  const e1 = new PyroServiceExporter(new TestService(), "S", "127.0.0.1", port);
  await e1.afterPropertiesSet();
  await e1.destroy();
  const e2 = new PyroServiceExporter(new TestService(), "S", "127.0.0.1", port);
  await e2.afterPropertiesSet();
  const f = new PyroProxyFactory(`PYROLOC://127.0.0.1:${port}/S`);
  t.after(async () => {
    await f.release();
    await e2.destroy();
  });
  assert.equal(await f.echo(1), 1);
});

test("exporter options: allow-list, oneway, HMAC and json on the factory", async (t) => {
  const port = await freePort();
  const svc = new TestService();
  const e = new PyroServiceExporter(svc, "Limited", "127.0.0.1", port);
  (e as unknown as { exposedMethods: string }).exposedMethods = "echo, increment";
  e.onewayMethods = ["increment"];
  e.hmac_key = "k3y";
  await e.afterPropertiesSet();
  const f = new PyroProxyFactory(`PYRO:Limited@127.0.0.1:${port}`);
  f.hmac_key = "k3y";
  f.serializer = "json";
  t.after(async () => {
    await f.release();
    await e.destroy();
  });
  assert.equal(await f.echo("j"), "j");
  await assert.rejects(f.get_data("x"), (err: unknown) => err instanceof RemoteInvocationError && /unexposed/.test(err.remoteMessage));
  assert.equal(await f.increment(), null);
  assert.ok(f.pyroProxy.metadata?.oneway.has("increment"));
  const other = new PyroServiceExporter(new TestService(), "Other", "127.0.0.1", port);
  await assert.rejects(other.afterPropertiesSet(), (err: unknown) => err instanceof ConfigError && /HMAC/.test(err.message));
});
