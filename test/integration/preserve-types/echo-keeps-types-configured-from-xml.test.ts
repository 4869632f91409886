/**
 * `preserveTypes` set in an XML context on Pyro4 and XML-RPC exporters and
 * proxy factories: an echo keeps a whole float a float (a Float both ways),
 * while the defaults give the number back; a value that is not a boolean
 * stops the context with a ConfigError naming the property.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ApplicationContext, ConfigError, Float } from "../../../src/index.js";
import type { PyroServiceExporter } from "../../../src/protocols/pyro4/exporter.js";
import type { XmlRpcServiceExporter } from "../../../src/protocols/xmlrpc/index.js";

const HEADER = `<?xml version="1.0" encoding="UTF-8"?>
<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">`;

class Echo {
  seen: string[] = [];
  echo(x: unknown): unknown {
    this.seen.push(typeof x === "object" && x !== null ? `${(x as object).constructor.name}${x instanceof Float ? " (a Float)" : ""}` : typeof x);
    return x;
  }
}

type EchoProxy = { echo(x: unknown): Promise<unknown> };

function exporters(preserve: string | undefined, suffix: string): string {
  const prop = preserve === undefined ? "" : `<property name="preserveTypes" value="${preserve}"/>`;
  return `
    <object id="echo${suffix}" class="Echo"/>
    <object id="pyro${suffix}" class="springpython.remoting.pyro.PyroServiceExporter">
      <property name="service" ref="echo${suffix}"/>
      <property name="service_name" value="echo"/>
      <property name="service_host" value="127.0.0.1"/>
      <property name="service_port" value="0"/>
      ${prop}
    </object>
    <object id="xmlrpc${suffix}" class="springpython.remoting.xmlrpc.XmlRpcServiceExporter">
      <property name="service" ref="echo${suffix}"/>
      <property name="service_host" value="127.0.0.1"/>
      <property name="service_port" value="0"/>
      ${prop.replace("preserveTypes", "preserve_types")}
    </object>`;
}

function factories(preserve: string | undefined, pyroUrl: string, xmlrpcUrl: string): string {
  const prop = preserve === undefined ? "" : `<property name="preserveTypes" value="${preserve}"/>`;
  return `${HEADER}
    <object id="pyro" class="springpython.remoting.pyro.PyroProxyFactory">
      <property name="service_url" value="${pyroUrl}"/>
      ${prop}
    </object>
    <object id="xmlrpc" class="springpython.remoting.xmlrpc.XmlRpcProxyFactory">
      <property name="service_url" value="${xmlrpcUrl}"/>
      ${prop}
    </object>
</objects>`;
}

test("preserveTypes from XML: an echo keeps 2.0 a float on, gives the number off", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "preserve-types-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "server.xml"), `${HEADER}${exporters("true", "On")}${exporters(undefined, "Off")}\n</objects>`);
  const server = await ApplicationContext.create(join(dir, "server.xml"), { classes: { Echo } });
  t.after(() => server.close());
  const url = async (id: string): Promise<string> => (await server.getObject<PyroServiceExporter | XmlRpcServiceExporter>(id)).url!;

  for (const [mode, clientPreserve] of [
    ["On", "yes"],
    ["Off", undefined],
  ] as const) {
    const file = join(dir, `client${mode}.xml`);
    writeFileSync(file, factories(clientPreserve, await url(`pyro${mode}`), await url(`xmlrpc${mode}`)));
    const client = await ApplicationContext.create(file);
    try {
      const service = await server.getObject<Echo>(`echo${mode}`);
      for (const id of ["pyro", "xmlrpc"]) {
        const proxy = await client.getObject<EchoProxy>(id);
        const back = await proxy.echo(new Float(2));
        if (mode === "On") {
          assert.ok(back instanceof Float, `${id}: ${String(back)}`);
          assert.equal(back.value, 2);
        } else assert.equal(back, 2, id);
        assert.equal(await proxy.echo(2.5), 2.5);
      }
      assert.deepEqual(service.seen, mode === "On" ? ["Float (a Float)", "number", "XmlRpcDouble (a Float)", "number"] : ["number", "number", "number", "number"]);
    } finally {
      await client.close();
    }
  }
});

test("a preserveTypes value that is not a boolean is a ConfigError naming it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "preserve-types-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const cls of ["springpython.remoting.pyro.PyroServiceExporter", "springpython.remoting.xmlrpc.XmlRpcProxyFactory", "springpython.remoting.pyro.Pyro4ProxyFactory"]) {
    const file = join(dir, "bad.xml");
    writeFileSync(file, `${HEADER}<object id="x" class="${cls}"><property name="preserveTypes" value="ture"/></object></objects>`);
    await assert.rejects(
      (async () => {
        const ctx = await ApplicationContext.create(file);
        try {
          await ctx.getObject("x");
        } finally {
          await ctx.close();
        }
      })(),
      (e: unknown) => {
        const err = e instanceof ConfigError ? e : (e as { cause?: unknown }).cause;
        return err instanceof ConfigError && /preserveTypes/.test(err.message);
      },
      cls,
    );
  }
});
