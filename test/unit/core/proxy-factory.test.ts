import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exposedMethods, isProxyFactory, ProxyFactory, type Invocation, type Invoker, type Remote } from "../../../src/index.js";

class Recorder extends ProxyFactory {
  created = 0;
  calls: Array<[string, readonly unknown[]]> = [];
  protected get protocolName(): string {
    return "test";
  }
  protected createInvoker(): Invoker {
    this.created++;
    return {
      dispatch: async (inv: Invocation) => {
        this.calls.push([inv.method, inv.args]);
        return `${inv.method}(${inv.args.join(",")})`;
      },
      close: async () => undefined,
    };
  }
}

interface Service {
  get_data(p: string): string;
  sum(a: number, b: number): Promise<number>;
  count: number;
  _hidden(): void;
}

describe("ProxyFactory: the factory is the proxy", () => {
  it("turns unknown members into remote calls, created lazily on the first call", async () => {
    const f = new Recorder();
    f.serviceUrl = "x://y";
    assert.equal(f.created, 0);
    assert.equal(await f.get_data("Hello"), "get_data(Hello)");
    assert.equal(await f.sum(1, 2), "sum(1,2)");
    assert.equal(f.created, 1);
    assert.deepEqual(f.calls.map((c) => c[0]), ["get_data", "sum"]);
    assert.equal(f.serviceUrl, "x://y");
    assert.ok(isProxyFactory(f));
  });

  it("is not thenable and hides lifecycle names, so await and the container never call remotely", async () => {
    const f = new Recorder();
    const same = await Promise.resolve(f);
    assert.equal(same, f);
    for (const n of ["then", "afterPropertiesSet", "after_properties_set", "destroy", "setAppContext", "set_app_context", "postProcessBeforeInitialization", "post_process_after_initialization", "toJSON"]) {
      assert.equal((f as Record<string, unknown>)[n], undefined, n);
      assert.equal(n in f, false, n);
    }
    assert.equal(f.created, 0);
  });

  it("types as Remote<T>: every method returns a Promise, data members and _private ones are gone", async () => {
    const f = new Recorder().as<Service>();
    const r: Remote<Service> = f;
    const p: Promise<string> = r.get_data("x");
    const q: Promise<number> = r.sum(1, 2);
    // @ts-expect-error data members are not part of Remote<T>
    void r.count;
    // @ts-expect-error members starting with _ are not remote
    void r._hidden;
    assert.equal(await p, "get_data(x)");
    assert.equal(await q, "sum(1,2)");
  });
});

describe("exposedMethods", () => {
  it("exposes public methods of the object and its prototype chain, never constructor, _private or lifecycle hooks", () => {
    class Base {
      inherited(): void {}
      afterPropertiesSet(): void {}
    }
    class Svc extends Base {
      field = 1;
      get_data(): void {}
      _secret(): void {}
      get accessor(): number {
        return 1;
      }
    }
    assert.deepEqual(exposedMethods(new Svc()), ["get_data", "inherited"]);
    assert.deepEqual(exposedMethods(new Svc(), { allow: ["get_data", "constructor"] }), ["get_data"]);
  });
});
