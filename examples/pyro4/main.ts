// "New support for Pyro 4": the exporter and proxy factories' Pyro4 names,
// PYRO: URLs, and PYRONAME: URLs resolved through a Pyro4 name server.
// Everything runs in this one process, on 127.0.0.1.
import { ApplicationContext, locateNS, startNameServer, type Pyro4ServiceExporter, type Remote } from "remoting";
import type { Service } from "./service.js";

const NS_HOST = "127.0.0.1";
const NS_PORT = 9090;

async function main(): Promise<void> {
  // A name server, as `npx remoting ns` (or Python's `python -m Pyro4.naming`) runs one.
  const nameServer = await startNameServer({ host: NS_HOST, port: NS_PORT });
  const server = await ApplicationContext.create("server.xml");
  const client = await ApplicationContext.create("client.xml");
  try {
    const exporter = await server.getObject<Pyro4ServiceExporter>("service_exporter");
    console.log(`served at ${exporter.url}`);

    // Register the exporter's URL under a name, as a Pyro4 server does with ns.register().
    const ns = await locateNS(NS_HOST, NS_PORT);
    await ns.register("example.ServiceName", exporter.url!);
    console.log(`name server: ${JSON.stringify(await ns.list({ prefix: "example." }))}`);
    await ns.close();

    for (const id of ["service", "serviceByName", "serviceByPyroloc"]) {
      const service = await client.getObject<Remote<Service>>(id);
      console.log(`${id}: ${await service.get_data("Hello")}`);
    }
  } finally {
    await client.close();
    await server.close();
    await nameServer.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
