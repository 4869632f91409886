import assert from "node:assert/strict";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";
import { ApplicationContext, ProxyFactory, type Invoker } from "../../../src/index.js";
import type { CamelCased, Person, PythonStyle } from "../../fixtures/context/support.js";
import { journal, Lifecycle } from "../../fixtures/context/support.js";

const FILE = join(import.meta.dirname, "../../fixtures/context/lifecycle.xml");

describe("lifecycle", () => {
  beforeEach(() => {
    journal.length = 0;
  });

  it("creates non-lazy singletons at start-up, in document order, with awareness before init", async () => {
    const ctx = await ApplicationContext.create(FILE);
    assert.deepEqual(journal, ["aware:first", "init:first", "aware:second", "init:second"]);
    const first = await ctx.getObject<Lifecycle>("first");
    assert.equal(first.appContext, ctx);
    assert.equal((await ctx.getObject<Lifecycle>("second")).dep, first);
    await ctx.close();
  });

  it("creates lazy singletons on first request, once, and runs their lifecycle then", async () => {
    const ctx = await ApplicationContext.create(FILE);
    journal.length = 0;
    const [a, b] = await Promise.all([ctx.getObject("lazy"), ctx.getObject("lazy")]);
    assert.equal(a, b);
    assert.deepEqual(journal, ["aware:lazy", "init:lazy"]);
    await ctx.close();
  });

  it("creates a new prototype on every request, each with its lifecycle", async () => {
    const ctx = await ApplicationContext.create(FILE);
    journal.length = 0;
    const a = await ctx.getObject("proto");
    const b = await ctx.getObject("proto");
    assert.notEqual(a, b);
    assert.deepEqual(journal, ["aware:proto", "init:proto", "aware:proto", "init:proto"]);
    await ctx.close();
    assert.ok(!journal.includes("destroy:proto"), "prototypes are not destroyed by the context");
  });

  it("destroys singletons in reverse creation order on close, awaiting async destroy", async () => {
    const ctx = await ApplicationContext.create(FILE);
    await ctx.getObject("lazy");
    journal.length = 0;
    await ctx.close();
    assert.deepEqual(journal, ["destroy:lazy", "destroy:second", "destroy:first"]);
    await assert.rejects(ctx.getObject("first"), { code: "ERR_CONTEXT_CLOSED" });
    await ctx.close(); // a second close is a no-op
  });

  it("runs post-processors on every other object, not on themselves", async () => {
    const ctx = await ApplicationContext.create(FILE);
    const person = await ctx.getObject<Person>("person");
    assert.equal(person.processedBefore, true);
    assert.equal(person.processedAfter, true);
    const bp = await ctx.getObject<object>("beforeProcessor");
    assert.ok(!("processedBefore" in bp));
    await ctx.close();
  });

  it("calls after_properties_set on objects written in the original's style, and maps service_name", async () => {
    const ctx = await ApplicationContext.create(FILE);
    const ps = await ctx.getObject<PythonStyle>("pythonStyle");
    assert.equal(ps.initialized, true);
    assert.equal(ps.service_name, "ServiceName");
    const camel = await ctx.getObject<CamelCased>("camel");
    assert.equal(camel.serviceName, "ServiceName");
    assert.equal(camel.port, 7000);
    await ctx.close();
  });

  it("finds objects by type", async () => {
    const ctx = await ApplicationContext.create(FILE);
    const found = ctx.getObjectsByType(Lifecycle);
    assert.deepEqual([...found.keys()].sort(), ["first", "second"]);
    assert.equal(ctx.getObjectsByType(Object).size >= 6, true);
    await ctx.close();
  });

  it("never runs a lifecycle callback on a proxy factory, and never makes a remote call for one", async () => {
    const calls: string[] = [];
    let released = 0;
    class FakeFactory extends ProxyFactory {
      protected get protocolName(): string {
        return "fake";
      }
      protected createInvoker(): Invoker {
        return {
          dispatch: async ({ method }) => {
            calls.push(method);
            return `remote ${method}`;
          },
          close: async () => {
            released++;
          },
        };
      }
    }
    const { CodeConfig } = await import("../../../src/index.js");
    class Cfg extends CodeConfig {}
    const cfg = new Cfg().define("proxy", () => {
      const f = new FakeFactory();
      f.serviceUrl = "fake://x";
      return f;
    });
    const ctx = await ApplicationContext.create(cfg);
    const proxy = await ctx.getObject<FakeFactory>("proxy");
    assert.deepEqual(calls, [], "no call during start-up (afterPropertiesSet, setAppContext, then ...)");
    assert.equal(proxy.serviceUrl, "fake://x");
    assert.equal(await proxy.get_data("x"), "remote get_data");
    assert.deepEqual(calls, ["get_data"]);
    await ctx.close();
    assert.equal(released, 1);
  });

  it("destroys what was created when start-up fails", async () => {
    const { CodeConfig } = await import("../../../src/index.js");
    class Cfg extends CodeConfig {}
    const cfg = new Cfg()
      .define("ok", () => Object.assign(new Lifecycle(), { name: "ok" }))
      .define("bad", () => {
        throw new Error("no");
      });
    await assert.rejects(ApplicationContext.create(cfg), { code: "ERR_CONFIG_CREATION_FAILED" });
    assert.ok(journal.includes("destroy:ok"));
  });
});
