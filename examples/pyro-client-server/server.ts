/**
 * The server half of the split client/server example: the service class
 * (named in server.xml as `server.Service`) and, when run directly, a context
 * that exports it at 127.0.0.1:7000 until Ctrl-C.
 *
 *   npx tsx server.ts          (or: remoting run server.xml)
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { ApplicationContext, setLogLevel } from "../../src/index.js";

export class Service {
  get_data(param: string): string {
    return `You got remote data => ${param}`;
  }
}

async function main(): Promise<void> {
  // Turn on some logging in order to see what is happening behind the scenes...
  setLogLevel("debug");
  const here = dirname(fileURLToPath(import.meta.url));
  const appContext = await ApplicationContext.create([join(here, "server.xml")]);
  console.log("SERVER: serving ServiceName at 127.0.0.1:7000; press Ctrl-C to stop");
  const stop = (): void => {
    appContext.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
