/**
 * `Remote<T>` at compile time: this file is type-checked by `npm test`
 * (tsc over test/), and every `@ts-expect-error` must be an error, so misuse
 * that would compile makes the test command fail. The runtime part only
 * checks that a proxy factory typed this way calls through.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApplicationContext, ProxyFactory, type Invocation, type Invoker, type Remote } from "../../../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

interface Record {
  id: number;
  name: string;
}

class Service {
  count = 0;
  get_data(param: string): string {
    return `You got remote data => ${param}`;
  }
  async add(a: number, b: number): Promise<number> {
    return a + b;
  }
  records(): Record[] {
    return [];
  }
  *numbers(limit: number): Generator<number> {
    for (let i = 0; i < limit; i++) yield i;
  }
  async *events(): AsyncGenerator<string> {
    yield "x";
  }
  tags(): Set<string> {
    return new Set();
  }
  nothing(): void {}
  _private(): number {
    return 1;
  }
}

type R = Remote<Service>;

// methods return promises of their awaited results
expectType<Equal<R["get_data"], (param: string) => Promise<string>>>();
expectType<Equal<R["add"], (a: number, b: number) => Promise<number>>>();
expectType<Equal<R["records"], () => Promise<Record[]>>>();
expectType<Equal<R["tags"], () => Promise<Set<string>>>>();
expectType<Equal<R["nothing"], () => Promise<void>>>();
// iterators and async iterators become AsyncIterable
expectType<Equal<R["numbers"], (limit: number) => Promise<AsyncIterable<number>>>>();
expectType<Equal<R["events"], () => Promise<AsyncIterable<string>>>>();
// data members and _private members are not remote
expectType<Equal<keyof R, "get_data" | "add" | "records" | "numbers" | "events" | "tags" | "nothing">>();

async function misuse(r: R): Promise<void> {
  // @ts-expect-error a remote call returns a Promise, not the value
  const s: string = r.get_data("x");
  // @ts-expect-error arguments keep their types
  await r.add("1", 2);
  // @ts-expect-error and their count
  await r.get_data();
  // @ts-expect-error data members are not remote
  void r.count;
  // @ts-expect-error _private members are not remote
  await r._private();
  // @ts-expect-error an iterator's items come asynchronously: not a synchronous iterable
  for (const n of await r.numbers(3)) void n;
  for await (const n of await r.numbers(3)) {
    const k: number = n;
    void k;
  }
  void s;
}
void misuse;

class Echo extends ProxyFactory {
  protected get protocolName(): string {
    return "echo";
  }
  protected createInvoker(): Invoker {
    return {
      dispatch: async (inv: Invocation) => `${inv.method}:${inv.args.join(",")}`,
      close: async () => undefined,
    };
  }
}

describe("Remote<T> (checked at compile time)", () => {
  it("a factory typed as Remote<Service> calls through", async () => {
    const r = new Echo().as<Service>();
    const v: string = await r.get_data("x");
    assert.equal(v, "get_data:x");
  });

  it("getObject<Remote<Service>> gives the async view of a context's proxy", async () => {
    const ctx = await ApplicationContext.create([], {});
    const typed = async (): Promise<void> => {
      const service = await ctx.getObject<Remote<Service>>("service");
      const n: number = await service.add(1, 2);
      // @ts-expect-error getObject<Remote<T>> keeps the async types
      const wrong: number = service.add(1, 2);
      void n;
      void wrong;
    };
    void typed;
    await ctx.close();
  });
});
