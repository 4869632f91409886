// The client half of the seed's split example: reads client.xml, fetches the
// proxy named "service" and calls the service served by `npx remoting run
// server.xml` in another process.
import { ApplicationContext, setLogLevel, type Remote } from "remoting";
import type { Service } from "./server.js";

async function main(): Promise<void> {
  // Turn on some logging in order to see what is happening behind the scenes...
  setLogLevel("debug");

  const appContext = await ApplicationContext.create("client.xml");
  try {
    const service = await appContext.getObject<Remote<Service>>("service");
    console.log(`CLIENT: ${await service.get_data("Hello")}`);
  } finally {
    await appContext.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
