/**
 * Runs the exporter and the client in one process on a free port, then
 * stops: `node --import tsx examples/hessian/demo.ts`.
 */
import { ClassRegistry, HessianServiceExporter } from "./deps.js";
import { runClient } from "./client.js";
import { Person, PersonService } from "./person-service.js";

const exporter = new HessianServiceExporter({
  service: new PersonService(),
  serviceHost: "127.0.0.1",
  servicePort: 0,
  path: "/PersonService",
  registry: new ClassRegistry().register("com.example.Person", Person),
});
await exporter.afterPropertiesSet();
try {
  await runClient(exporter.url!);
} finally {
  await exporter.destroy();
}
