// The same client again; it runs once with each context file: the exporter's
// host and port set as properties (setter injection), then as constructor
// arguments. Neither the service nor the client changed.
import { ApplicationContext, type Remote } from "remoting";
import type { Service } from "./service.js";

async function callThrough(file: string): Promise<void> {
  const appContext = await ApplicationContext.create(file);
  try {
    const service = await appContext.getObject<Remote<Service>>("service");
    console.log(`${file}: CLIENT: ${await service.get_data("Hello")}`);
  } finally {
    await appContext.close();
  }
}

async function main(): Promise<void> {
  await callThrough("applicationContext.xml");
  await callThrough("constructorInjection.xml");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
