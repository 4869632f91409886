// A plain service class. The only remoting it knows of is callContext(),
// which tells a served method who called it and how.
import { callContext } from "remoting";

export class Inventory {
  private readonly stock = new Map<string, number>([
    ["apple", 3],
    ["pear", 0],
    ["plum", 7],
  ]);

  count(item: string): number {
    return this.stock.get(item) ?? 0;
  }

  /** A generator: a remote caller gets an AsyncIterable that pulls one item at a time. */
  *items(): Generator<string> {
    for (const [item, n] of this.stock) yield `${item}: ${n}`;
  }

  /** Slow on purpose: takes `ms` milliseconds. */
  async restock(item: string, n: number, ms: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.stock.set(item, this.count(item) + n);
    return this.count(item);
  }

  whoami(): string {
    const ctx = callContext();
    if (!ctx) return "not called remotely";
    const secondsLeft = Math.round((ctx.deadline - Date.now()) / 1000);
    return `a ${ctx.protocol} call of ${ctx.service}.${ctx.method} from ${ctx.clientAddress}, ${secondsLeft} s before the caller gives up`;
  }
}
