/** A service used by the Pyro4 integration and interop tests. */
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export class PyValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValueError";
  }
}

export class TestService {
  value: unknown = 42;
  label = "initial";
  counter = 0;
  _secret = "hidden";

  echo(x: unknown): unknown {
    return x;
  }
  get_data(param: unknown): string {
    return `You got remote data => ${String(param)}`;
  }
  add(a: number, b: number): number {
    return a + b;
  }
  async slow(ms: number, v: unknown): Promise<unknown> {
    await sleep(ms);
    return v;
  }
  raise_value_error(message: string): never {
    throw new PyValueError(message);
  }
  raise_type_error(): never {
    throw new TypeError("wrong type");
  }
  increment(): void {
    this.counter++;
  }
  get_counter(): number {
    return this.counter;
  }
  kw(a: unknown, opts?: Record<string, unknown>): unknown {
    return [a, opts ?? null];
  }
  *count(n: number): Generator<number> {
    for (let i = 0; i < n; i++) yield i;
  }
  async *acount(n: number): AsyncGenerator<string> {
    for (let i = 0; i < n; i++) {
      await sleep(1);
      yield `item${i}`;
    }
  }
  *failing_gen(): Generator<number> {
    yield 0;
    yield 1;
    throw new PyValueError("generator failed");
  }
  _hidden(): string {
    return "no";
  }
}

export function service(): TestService {
  return new TestService();
}

/** A TCP port nobody listens on (bound, then released). */
export async function closedTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Counts how often its constructor runs; keeps a per-instance counter. */
export class Counter {
  static made = 0;
  readonly serial: number;
  count = 0;
  constructor() {
    Counter.made++;
    this.serial = Counter.made;
  }
  increment(): number {
    return ++this.count;
  }
  whoami(): number {
    return this.serial;
  }
  notify(): void {
    this.count += 100;
  }
  async slowIncrement(ms: number): Promise<number> {
    await sleep(ms);
    return ++this.count;
  }
  _private(): string {
    return "no";
  }
}
