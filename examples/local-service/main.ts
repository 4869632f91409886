// "Decoupling a simple service": the service created and called locally, then
// the same service fetched from an application context. The client code of
// the second half does not know where the service comes from: only
// applicationContext.xml says (and later, a proxy under the same id).
import { ApplicationContext } from "remoting";
import { Service } from "./service.js";

async function main(): Promise<void> {
  // Created locally, then called.
  const local = new Service();
  console.log(`created locally: ${local.get_data("Hello")}`);

  // Through Inversion of Control: the container creates "service".
  const appContext = await ApplicationContext.create("applicationContext.xml");
  try {
    const service = await appContext.getObject<Service>("service");
    console.log(`from the context: ${await service.get_data("Hello")}`);
  } finally {
    await appContext.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
