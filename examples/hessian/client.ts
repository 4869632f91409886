/**
 * Calls the Hessian service at SERVICE_URL (default
 * http://127.0.0.1:8080/PersonService) through a typed proxy.
 */
import { ClassRegistry, HessianProxyFactory, RemoteInvocationError, hessian } from "./deps.js";
import { Person, type PersonService } from "./person-service.js";

export async function runClient(url: string): Promise<void> {
  const registry = new ClassRegistry().register("com.example.Person", Person);
  const factory = new HessianProxyFactory(url, { registry, timeoutMs: 5000 });
  const service = factory.as<PersonService>();
  try {
    const person = await service.transform("Greg Turnquist a,b,c,x,y,z");
    console.log("transform ->", person instanceof Person, person);
    console.log("greet ->", await service.greet("Hessian"));
    // Send a whole number as a Java double (otherwise it would be an int).
    console.log("explicit double ->", hessian.double(3));
    try {
      await factory.callRemote("noSuchMethod", []);
    } catch (err) {
      if (err instanceof RemoteInvocationError) console.log("fault ->", err.remoteCode, err.remoteMessage);
      else throw err;
    }
  } finally {
    await factory.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runClient(process.env["SERVICE_URL"] ?? "http://127.0.0.1:8080/PersonService");
}
