import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ApplicationContext } from "../../../src/index.js";

const SERVICE = resolve("examples/pyro-client-server/server.ts");
const HEADER = `<?xml version="1.0" encoding="UTF-8"?>
<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("the split client/server XML of the seed works through the container, and close frees the port", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pyro-xml-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  writeFileSync(
    join(dir, "server.xml"),
    `${HEADER}
    <object id="remoteService" class="${SERVICE}#Service"/>
    <object id="service_exporter" class="springpython.remoting.pyro.PyroServiceExporter">
        <property name="service_name" value="ServiceName"/>
        <property name="service" ref="remoteService"/>
        <property name="service_host" value="127.0.0.1"/>
        <property name="service_port" value="${port}"/>
    </object>
</objects>`,
  );
  writeFileSync(
    join(dir, "client.xml"),
    `${HEADER}
    <object id="service" class="springpython.remoting.pyro.PyroProxyFactory">
        <property name="service_url" value="PYROLOC://127.0.0.1:${port}/ServiceName"/>
    </object>
    <object id="service4" class="springpython.remoting.pyro.Pyro4ProxyFactory">
        <property name="service_url" value="PYRO:ServiceName@127.0.0.1:${port}"/>
    </object>
</objects>`,
  );
  const server = await ApplicationContext.create([join(dir, "server.xml")]);
  let serverOpen = true;
  t.after(async () => {
    if (serverOpen) await server.close();
  });
  const client = await ApplicationContext.create([join(dir, "client.xml")]);
  t.after(() => client.close());
  const service = await client.getObject<{ get_data(p: string): Promise<string> }>("service");
  assert.equal(await service.get_data("Hello"), "You got remote data => Hello");
  const service4 = await client.getObject<{ get_data(p: string): Promise<string> }>("service4");
  assert.equal(await service4.get_data("World"), "You got remote data => World");
  await server.close();
  serverOpen = false;
  // the port is free again: a new listener can bind it
  const again = createServer();
  await new Promise<void>((r, j) => {
    again.once("error", j);
    again.listen(port, "127.0.0.1", () => r());
  });
  await new Promise<void>((r) => again.close(() => r()));
});

test("the positional constructor of the original exporter works from XML", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pyro-xml-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  writeFileSync(
    join(dir, "ctx.xml"),
    `${HEADER}
    <object id="svc" class="${SERVICE}#Service"/>
    <object id="exporter" class="springpython.remoting.pyro.Pyro4ServiceExporter">
        <constructor-arg><ref object="svc"/></constructor-arg>
        <constructor-arg><value>service</value></constructor-arg>
        <constructor-arg><value>localhost</value></constructor-arg>
        <constructor-arg><value>${port}</value></constructor-arg>
    </object>
    <object id="client" class="springpython.remoting.pyro.Pyro4ProxyFactory">
        <property name="service_url" value="PYRO:service@localhost:${port}"/>
    </object>
</objects>`,
  );
  const ctx = await ApplicationContext.create([join(dir, "ctx.xml")]);
  t.after(() => ctx.close());
  const client = await ctx.getObject<{ get_data(p: string): Promise<string> }>("client");
  assert.equal(await client.get_data("positional"), "You got remote data => positional");
});
