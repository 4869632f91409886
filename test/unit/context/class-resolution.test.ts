import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ApplicationContext } from "../../../src/index.js";

const FILE = join(import.meta.dirname, "../../fixtures/context/resolution.xml");

class RegisteredService {
  get_data(p: string): string {
    return `registered ${p}`;
  }
}

describe("class resolution", () => {
  it("resolves dotted module paths relative to the XML file, explicit module#export forms, registered names and packages", async () => {
    const ctx = await ApplicationContext.create(FILE, { classes: { Service: RegisteredService } });
    for (const id of ["dotted", "nested", "explicit", "explicitNoExt"]) {
      const svc = await ctx.getObject<{ get_data(p: string): string }>(id);
      assert.equal(svc.get_data("Hello"), "You got remote data => Hello", id);
    }
    assert.equal((await ctx.getObject<{ kind: string }>("defaultExport")).kind, "default");
    assert.ok((await ctx.getObject("registered")) instanceof RegisteredService);
    assert.deepEqual(await ctx.getObject("factoryFunction"), { greeting: "hello world" });
    assert.ok((await ctx.getObject("fromPackage")) instanceof EventEmitter);
    await ctx.close();
  });

  it("check-style loading resolves classes without creating objects", async () => {
    const defs = await ApplicationContext.load(FILE, { classes: { Service: RegisteredService } });
    assert.equal(defs.length, 8);
    assert.equal(defs.find((d) => d.id === "nested")?.factory?.describe(), "ReflectiveObjectFactory(pkg.server.Service)");
  });
});
