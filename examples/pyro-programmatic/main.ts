// "Do I have to use XML?" No: the seed's programmatic version, step by step.
// This is what the container does for you when you use XML.
import { PyroProxyFactory, PyroServiceExporter, releaseProxy, type Remote } from "remoting";

class Service {
  get_data(param: string): string {
    return `You got remote data => ${param}`;
  }
}

async function main(): Promise<void> {
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
  const factory = new PyroProxyFactory();
  factory.service_url = "PYROLOC://127.0.0.1:7000/ServiceName";
  const service: Remote<Service> = factory.as<Service>();

  try {
    // Call the service just as you did in the original, simplified version.
    console.log(await service.get_data("Hello"));
  } finally {
    // What a context does on close: release the proxy, stop the exporter.
    await releaseProxy(factory);
    await service_exporter.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
