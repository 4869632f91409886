/**
 * The client half: reads client.xml, fetches the proxy and calls the remote
 * service started by server.ts.
 *
 *   npx tsx client.ts
 */
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { ApplicationContext, setLogLevel } from "../../src/index.js";

// Turn on some logging in order to see what is happening behind the scenes...
setLogLevel(process.env["REMOTING_LOG_LEVEL"] ?? "debug");
const here = dirname(fileURLToPath(import.meta.url));
const appContext = await ApplicationContext.create([join(here, "client.xml")]);
try {
  const service = await appContext.getObject<{ get_data(p: string): Promise<string> }>("service");
  console.log(`CLIENT: ${await service.get_data("Hello")}`);
} finally {
  await appContext.close();
}
