// TypeScript first: a typed client for a plain class, through a context.
// The server (server.xml) and the client (client.xml) run in this one
// process here; split them as in ../pyro-client-server and nothing changes.
import { ApplicationContext, requestMayHaveRun, type PyroProxyFactory, type Remote, type RemotingError } from "remoting";
import type { Inventory } from "./inventory.js";

async function main(): Promise<void> {
  const server = await ApplicationContext.create("server.xml");
  const client = await ApplicationContext.create("client.xml");
  try {
    // Remote<Inventory>: every method returns a Promise, a generator becomes
    // an AsyncIterable, data members (the private `stock`) are gone.
    const inventory = await client.getObject<Remote<Inventory>>("inventory");
    const apples: number = await inventory.count("apple");
    console.log(`apples: ${apples}`);

    // A remote generator, pulled item by item.
    for await (const line of await inventory.items()) console.log(`item ${line}`);

    // The service reads its call context: protocol, caller, deadline.
    console.log(await inventory.whoami());

    // The factory itself, for per-call options; as<T>() is the same object, typed.
    const factory = await client.getObject<PyroProxyFactory>("inventory");
    const typed: Remote<Inventory> = factory.as<Inventory>();
    console.log(`plums: ${await typed.count("plum")}`);

    // A time limit for one call (the factory's is 10 s).
    try {
      await factory.callRemote("restock", ["pear", 5, 1000], { timeoutMs: 100 });
    } catch (err) {
      const e = err as RemotingError;
      console.log(`restock with timeoutMs 100: ${e.code} (may have run: ${requestMayHaveRun(e)})`);
    }

    // Cancelling a call with an AbortSignal.
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("the user gave up")), 100);
    try {
      await factory.callRemote("restock", ["pear", 5, 1000], { signal: controller.signal });
    } catch (err) {
      const e = err as RemotingError;
      console.log(`restock, aborted: ${e.code} (${(e.cause as Error).message})`);
    }
  } finally {
    await client.close();
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
