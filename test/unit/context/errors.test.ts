import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ApplicationContext, ConfigError, RemotingError } from "../../../src/index.js";

const FIX = join(import.meta.dirname, "../../fixtures/context");
const dir = mkdtempSync(join(tmpdir(), "remoting-ctx-errors-"));
copyFileSync(join(FIX, "support.ts"), join(dir, "support.ts"));
copyFileSync(join(FIX, "movies.txt"), join(dir, "movies.txt"));
let n = 0;

function xml(body: string, ns = "http://www.springframework.org/springpython/schema/objects/1.1"): string {
  const file = join(dir, `ctx${n++}.xml`);
  writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n<objects xmlns="${ns}">\n${body}\n</objects>\n`);
  return file;
}

async function failure(file: string): Promise<ConfigError> {
  try {
    const ctx = await ApplicationContext.create(file);
    await ctx.close();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.ok(err instanceof RemotingError);
    return err;
  }
  assert.fail("expected the context to fail");
}

describe("configuration errors carry a stable code, the file, line and column", () => {
  it("malformed XML", async () => {
    const file = xml(`  <object id="a" class="support.StringHolder">\n  </objet>`);
    const err = await failure(file);
    assert.equal(err.code, "ERR_CONFIG_XML_MALFORMED");
    assert.equal(err.location?.file, file);
    assert.equal(err.location?.line, 4);
    assert.ok(err.message.startsWith(`${file}:4:`), err.message);
  });

  it("a DOCTYPE (entity expansion) is refused as malformed", async () => {
    const file = join(dir, "doctype.xml");
    writeFileSync(file, `<?xml version="1.0"?>\n<!DOCTYPE objects [<!ENTITY a "aaaa">]>\n<objects><str id="x">&a;</str></objects>`);
    const err = await failure(file);
    assert.equal(err.code, "ERR_CONFIG_XML_MALFORMED");
  });

  it("a missing file", async () => {
    const err = await failure(join(dir, "nope.xml"));
    assert.equal(err.code, "ERR_CONFIG_FILE_NOT_FOUND");
  });

  it("an unknown element, with its position", async () => {
    const file = xml(`  <object id="a" class="support.StringHolder">\n    <proprety name="str" value="x"/>\n  </object>`);
    const err = await failure(file);
    assert.equal(err.code, "ERR_CONFIG_UNKNOWN_ELEMENT");
    assert.equal(err.location?.line, 4);
    assert.equal(err.location?.column, 5);
    assert.equal(err.objectId, "a");
    assert.match(err.message, /proprety/);
  });

  it("an unknown root child", async () => {
    const err = await failure(xml(`<bean id="a"/>`));
    assert.equal(err.code, "ERR_CONFIG_UNKNOWN_ELEMENT");
  });

  it("elements and attributes of other namespaces are ignored", async () => {
    const file = xml(
      `<x:extra xmlns:x="urn:other"/><object id="a" class="support.StringHolder" xmlns:y="urn:y" y:note="n"><x:hint xmlns:x="urn:other"/></object>`,
    );
    const ctx = await ApplicationContext.create(file);
    assert.ok(await ctx.getObject("a"));
    await ctx.close();
  });

  it("an unknown attribute", async () => {
    const err = await failure(xml(`<object id="a" class="support.StringHolder" lazy="true"/>`));
    assert.equal(err.code, "ERR_CONFIG_UNKNOWN_ATTRIBUTE");
    assert.match(err.message, /'lazy'/);
  });

  it("an invalid boolean attribute value", async () => {
    const err = await failure(xml(`<object id="a" class="support.StringHolder" lazy-init="yes"/>`));
    assert.equal(err.code, "ERR_CONFIG_INVALID_VALUE");
  });

  it("a missing module", async () => {
    const err = await failure(xml(`<object id="a" class="nomodule.Thing"/>`));
    assert.equal(err.code, "ERR_CONFIG_MODULE_NOT_FOUND");
    assert.equal(err.objectId, "a");
    assert.equal(err.location?.line, 3);
  });

  it("a missing export", async () => {
    const err = await failure(xml(`<object id="a" class="support.NoSuchClass"/>`));
    assert.equal(err.code, "ERR_CONFIG_EXPORT_NOT_FOUND");
    assert.match(err.message, /NoSuchClass/);
  });

  it("a class without a module names the ways to fix it", async () => {
    const err = await failure(xml(`<object id="service" class="Service"/>`));
    assert.equal(err.code, "ERR_CONFIG_MODULE_NOT_FOUND");
    assert.match(err.message, /classes/);
  });

  it("a missing ref", async () => {
    const file = xml(`<object id="a" class="support.Node">\n  <property name="next" ref="ghost"/>\n</object>`);
    const err = await failure(file);
    assert.equal(err.code, "ERR_CONFIG_MISSING_REF");
    assert.equal(err.location?.line, 4);
    assert.match(err.message, /ghost/);
  });

  it("a cycle through constructor args is detected with its path, never a stack overflow", async () => {
    const err = await failure(
      xml(`<object id="a" class="support.Node"><constructor-arg ref="b"/></object>
<object id="b" class="support.Node"><constructor-arg ref="c"/></object>
<object id="c" class="support.Node"><constructor-arg ref="a"/></object>`),
    );
    assert.equal(err.code, "ERR_CONFIG_CYCLE");
    assert.deepEqual(err.path, ["a", "b", "c", "a"]);
    assert.match(err.message, /a -> b -> c -> a/);
  });

  it("a cycle through properties is detected too", async () => {
    const err = await failure(
      xml(`<object id="a" class="support.Node"><property name="next" ref="b"/></object>
<object id="b" class="support.Node"><property name="next"><list><ref object="a"/></list></property></object>`),
    );
    assert.equal(err.code, "ERR_CONFIG_CYCLE");
  });

  it("a parent cycle", async () => {
    const err = await failure(xml(`<object id="a" parent="b" abstract="true"/><object id="b" parent="a" abstract="true"/>`));
    assert.equal(err.code, "ERR_CONFIG_CYCLE");
  });

  it("a missing parent", async () => {
    const err = await failure(xml(`<object id="a" parent="nobody"/>`));
    assert.equal(err.code, "ERR_CONFIG_BAD_PARENT");
  });

  it("an unknown scope", async () => {
    const err = await failure(xml(`<object id="a" class="support.StringHolder" scope="session"/>`));
    assert.equal(err.code, "ERR_CONFIG_INVALID_SCOPE");
  });

  it("a request for an abstract object", async () => {
    const ctx = await ApplicationContext.create(xml(`<object id="a" class="support.StringHolder" abstract="True"/>`));
    await assert.rejects(ctx.getObject("a"), (err: ConfigError) => err.code === "ERR_CONFIG_ABSTRACT_OBJECT" && err.location?.line === 3);
    await ctx.close();
  });

  it("a request for an unknown id", async () => {
    const ctx = await ApplicationContext.create(xml(``));
    await assert.rejects(ctx.getObject("nothing"), { code: "ERR_CONFIG_NO_SUCH_OBJECT" });
    await ctx.close();
  });

  it("a property the object cannot take: unknown, read-only, or a method", async () => {
    let err = await failure(xml(`<object id="a" class="support.CamelCased">\n<property name="colour" value="red"/></object>`));
    assert.equal(err.code, "ERR_CONFIG_UNKNOWN_PROPERTY");
    assert.equal(err.location?.line, 4);
    assert.match(err.message, /colour/);
    err = await failure(xml(`<object id="a" class="support.CamelCased"><property name="read_only" value="x"/></object>`));
    assert.equal(err.code, "ERR_CONFIG_UNKNOWN_PROPERTY");
    assert.match(err.message, /read-only/);
    err = await failure(xml(`<object id="a" class="support.CamelCased"><property name="doSomething" value="x"/></object>`));
    assert.equal(err.code, "ERR_CONFIG_UNKNOWN_PROPERTY");
  });

  it("an unknown named constructor-arg", async () => {
    const err = await failure(xml(`<object id="a" class="support.MultiValueHolder"><constructor-arg name="zz" value="1"/></object>`));
    assert.equal(err.code, "ERR_CONFIG_UNKNOWN_ARGUMENT");
    assert.match(err.message, /a, b, c/);
  });

  it("a constructor that throws, with the resolution path of the object that needed it", async () => {
    const err = await failure(
      xml(`<object id="top" class="support.Node"><constructor-arg ref="mid"/></object>
<object id="mid" class="support.Node"><property name="next" ref="bad"/></object>
<object id="bad" class="support.Failing" lazy-init="true"/>`),
    );
    assert.equal(err.code, "ERR_CONFIG_CREATION_FAILED");
    assert.deepEqual(err.path, ["top", "mid", "bad"]);
    assert.match(err.message, /boom in constructor/);
    assert.match(err.message, /top -> mid -> bad/);
    assert.ok(err.cause instanceof Error);
  });

  it("an afterPropertiesSet that throws", async () => {
    const err = await failure(xml(`<object id="a" class="support.FailingInit"/>`));
    assert.equal(err.code, "ERR_CONFIG_INIT_FAILED");
    assert.match(err.message, /boom in init/);
  });

  it("a value that does not parse as its type", async () => {
    let err = await failure(xml(`<int id="i">ten</int>`));
    assert.equal(err.code, "ERR_CONFIG_INVALID_VALUE");
    err = await failure(xml(`<bool id="b">maybe</bool>`));
    assert.equal(err.code, "ERR_CONFIG_INVALID_VALUE");
    err = await failure(xml(`<int id="i">100000000000000000000000</int>`));
    assert.equal(err.code, "ERR_CONFIG_INVALID_VALUE");
  });

  it("an object without id or class", async () => {
    let err = await failure(xml(`<object class="support.StringHolder"/>`));
    assert.equal(err.code, "ERR_CONFIG_MISSING_ATTRIBUTE");
    err = await failure(xml(`<object id="a"/>`));
    assert.equal(err.code, "ERR_CONFIG_MISSING_ATTRIBUTE");
  });

  it("a property with two values", async () => {
    const err = await failure(xml(`<object id="a" class="support.StringHolder"><property name="str" value="x"><value>y</value></property></object>`));
    assert.equal(err.code, "ERR_CONFIG_INVALID_VALUE");
  });
});
