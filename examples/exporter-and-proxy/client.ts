// The client of "Decoupling a simple service", unchanged: it asks the
// container for "service". This time "service" is a Pyro proxy, and the
// object it reaches is served by an exporter in the same context.
import { ApplicationContext, type Remote } from "remoting";
import type { Service } from "./service.js";

async function main(): Promise<void> {
  const appContext = await ApplicationContext.create("applicationContext.xml");
  try {
    const service = await appContext.getObject<Remote<Service>>("service");
    console.log(`CLIENT: ${await service.get_data("Hello")}`);
  } finally {
    await appContext.close(); // releases the proxy, stops the exporter and frees the port
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
