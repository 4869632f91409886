/**
 * One exporter process: serves PrimeService over NATS on the subject
 * remoting.PrimeService, in the queue group PrimeService. Run several, on
 * several machines: they share the calls. Stops gracefully (drains) on
 * SIGTERM or Ctrl-C.
 *
 *   NATS_SERVERS=127.0.0.1:4222 WORKER=w1 npx tsx exporter.ts
 */
import { NatsServiceExporter } from "remoting";
import { PrimeService } from "./service.js";

async function main(): Promise<void> {
  const exporter = new NatsServiceExporter({
    service: new PrimeService(process.env["WORKER"]),
    serviceName: "PrimeService",
    servers: process.env["NATS_SERVERS"] ?? "127.0.0.1:4222",
  });
  await exporter.afterPropertiesSet();
  console.log(`EXPORTER ${process.env["WORKER"] ?? process.pid} serving ${exporter.url} as instance ${exporter.instanceId}`);
  const stop = (): void => {
    void exporter.destroy().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
