// "Do I have to use XML?" No: the container without XML. Object definitions
// are methods of a CodeConfig (Spring Python's PythonConfig), one per object.
// A call from one decorated method to another goes through the container, so
// `await this.remoteService()` is the shared singleton, and every object gets
// its lifecycle (the exporter's afterPropertiesSet starts serving).
import { ApplicationContext, CodeConfig, object, PyroProxyFactory, PyroServiceExporter, type Remote } from "remoting";

class Service {
  get_data(param: string): string {
    return `You got remote data => ${param}`;
  }
}

class ServerConfig extends CodeConfig {
  @object()
  remoteService(): Service {
    return new Service();
  }

  @object()
  async service_exporter(): Promise<PyroServiceExporter> {
    const exporter = new PyroServiceExporter();
    exporter.serviceName = "ServiceName";
    exporter.service = await this.remoteService();
    exporter.serviceHost = "127.0.0.1";
    exporter.servicePort = 7000;
    return exporter;
  }
}

class ClientConfig extends CodeConfig {
  @object()
  service(): PyroProxyFactory {
    const factory = new PyroProxyFactory();
    factory.serviceUrl = "PYROLOC://127.0.0.1:7000/ServiceName";
    return factory;
  }
}

async function main(): Promise<void> {
  // Two configs in one context, as the seed's single applicationContext.xml;
  // an XML file name can sit in the same list: [new ServerConfig(), "client.xml"].
  const appContext = await ApplicationContext.create([new ServerConfig(), new ClientConfig()]);
  try {
    const service = await appContext.getObject<Remote<Service>>("service");
    console.log(`CLIENT: ${await service.get_data("Hello")}`);
    console.log(`objects: ${appContext.objectIds.join(", ")}`);
  } finally {
    await appContext.close(); // releases the proxy, stops the exporter
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
