import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ApplicationContext, CodeConfig, object, XMLConfig } from "../../../src/index.js";
import { MovieLister, StringHolder, Lifecycle, journal } from "../../fixtures/context/support.js";

let made = 0;

class AppConfig extends CodeConfig {
  @object()
  holder(): StringHolder {
    made++;
    return new StringHolder("shared");
  }

  @object({ scope: "prototype" })
  async lister(): Promise<MovieLister> {
    const l = new MovieLister();
    l.description = await this.holder();
    return l;
  }

  @object({ lazyInit: true })
  async fromXml(): Promise<unknown> {
    return { fromXml: await this.getObject("MyString") };
  }

  @object({ id: "renamed" })
  something(): Lifecycle {
    return Object.assign(new Lifecycle(), { name: "renamed" });
  }
}

describe("CodeConfig", () => {
  it("makes one definition per decorated method; calls between them go through the container", async () => {
    made = 0;
    const ctx = await ApplicationContext.create(new AppConfig());
    const a = await ctx.getObject<MovieLister>("lister");
    const b = await ctx.getObject<MovieLister>("lister");
    assert.notEqual(a, b, "prototype");
    assert.equal(a.description, b.description, "the singleton is shared");
    assert.equal(a.description, await ctx.getObject("holder"));
    assert.equal(made, 1);
    assert.ok(ctx.objectIds.includes("renamed"));
    await ctx.close();
  });

  it("mixes with XML configs in one context, both ways", async () => {
    const ctx = await ApplicationContext.create([
      new AppConfig(),
      new XMLConfig(join(import.meta.dirname, "../../fixtures/context/types.xml")),
    ]);
    assert.deepEqual(await ctx.getObject("fromXml"), { fromXml: "My string" });
    await ctx.close();
  });

  it("runs the lifecycle on code-made objects", async () => {
    journal.length = 0;
    const ctx = await ApplicationContext.create(new AppConfig());
    assert.deepEqual(journal, ["aware:renamed", "init:renamed"]);
    await ctx.close();
    assert.deepEqual(journal.slice(2), ["destroy:renamed"]);
  });

  it("rejects an unknown scope when the class is defined", () => {
    assert.throws(() => {
      class Bad extends CodeConfig {
        @object({ scope: "session" as never })
        x(): number {
          return 1;
        }
      }
      return Bad;
    }, { code: "ERR_CONFIG_INVALID_SCOPE" });
  });

  it("define() declares objects without decorators", async () => {
    class Plain extends CodeConfig {}
    const cfg = new Plain()
      .define("a", () => new StringHolder("A"))
      .define("b", async (get) => new StringHolder(`${(await get<StringHolder>("a")).str}B`), { lazyInit: true });
    const ctx = await ApplicationContext.create(cfg);
    assert.equal((await ctx.getObject<StringHolder>("b")).str, "AB");
    await ctx.close();
  });
});
