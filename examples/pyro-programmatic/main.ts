// The seed's "Do I have to use XML?": the same wiring as the XML example,
// done by hand. Run: npx tsx examples/pyro-programmatic/main.ts
import { PyroProxyFactory, PyroServiceExporter, releaseProxy } from "../../src/index.js";

class Service {
  get_data(param: string): string {
    return `You got remote data => ${param}`;
  }
}

// Create the service
const remoteService = new Service();

// Export it via Pyro using the exporter class
const service_exporter = new PyroServiceExporter();
service_exporter.service_name = "ServiceName";
service_exporter.service = remoteService;
service_exporter.service_host = "127.0.0.1"; // or perhaps the machine's actual hostname
service_exporter.service_port = 7000;
await service_exporter.afterPropertiesSet(); // don't forget: this starts serving

// Get a handle on a client-side proxy that will remotely call the service.
const service = new PyroProxyFactory();
service.service_url = "PYROLOC://127.0.0.1:7000/ServiceName";

// Call the service just as you did in the original, simplified version.
console.log(await service.get_data("Hello"));

// What a container would do on close: release the proxy, stop the exporter.
await releaseProxy(service);
await service_exporter.destroy();
