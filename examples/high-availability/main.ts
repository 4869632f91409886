// The seed's "High-Availability/Clustering Solutions", with the
// HighAvailabilityProxyFactory of client.xml in place of the hand-written
// HighAvailabilityService: ten copies of the service on one daemon
// (server.xml), calls spread over them round-robin, a copy going away without
// a failed call, and what happens when none is left.
import { ApplicationContext, ErrorCodes, type HighAvailabilityProxyFactory, type NoMemberAvailableError, type PyroServiceExporter } from "remoting";
import type { Service } from "./service.js";

async function main(): Promise<void> {
  const server = await ApplicationContext.create("server.xml");
  const client = await ApplicationContext.create("client.xml");
  try {
    const pool = await client.getObject<HighAvailabilityProxyFactory>("service");
    const service = pool.as<Service>();

    console.log("round-robin over the ten copies:");
    for (let i = 0; i < 10; i++) console.log(`  ${await service.get_data(i % 2 ? "World" : "Hello")}`);

    console.log("copy 3 goes away (its exporter stops); ten more calls:");
    const exporter3 = await server.getObject<PyroServiceExporter>("service_exporter3");
    await exporter3.destroy();
    let failed = 0;
    const answeredBy = new Set<string>();
    for (let i = 0; i < 10; i++) {
      try {
        answeredBy.add(/\(from (.*)\)/.exec(await service.get_data("Hello"))![1]!);
      } catch (err) {
        failed++;
        console.log(`  failed: ${(err as Error).message}`);
      }
    }
    console.log(`  failed calls: ${failed}; answered by: ${[...answeredBy].sort().join(", ")}`);
    const member3 = pool.memberStats().find((m) => m.id.endsWith("/ServiceName3"))!;
    console.log(`  ${member3.id}: ${member3.state}`);

    console.log("every copy goes away (the server's context closes):");
    await server.close();
    const started = Date.now();
    try {
      await service.get_data("Hello");
    } catch (err) {
      const e = err as NoMemberAvailableError;
      if (e.code !== ErrorCodes.ERR_NO_MEMBER_AVAILABLE) throw err;
      console.log(`  the call failed ${Date.now() - started < 1000 ? "at once" : "after a while"}: ${e.code}`);
      for (const m of e.members) console.log(`  ${m.id}: ${m.state}, last failure: ${m.lastFailure}`);
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
