/**
 * Serves PersonService over Hessian at http://127.0.0.1:8080/PersonService
 * (PORT overrides the port). A Java client (Caucho HessianProxyFactory) or
 * client.ts can call it. Stops on Ctrl-C.
 */
import { ClassRegistry, HessianServiceExporter } from "./deps.js";
import { Person, PersonService } from "./person-service.js";

// Person objects are written as the Java class com.example.Person.
const registry = new ClassRegistry().register("com.example.Person", Person);

const exporter = new HessianServiceExporter({
  service: new PersonService(),
  serviceName: "PersonService",
  serviceHost: "127.0.0.1",
  servicePort: process.env["PORT"] ?? 8080,
  path: "/PersonService",
  registry,
});
await exporter.afterPropertiesSet();
console.log(`serving ${exporter.methods.join(", ")} at ${exporter.url}`);

process.once("SIGINT", () => {
  void exporter.destroy().then(() => process.exit(0));
});
