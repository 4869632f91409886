// The counterpart of Spring Python's PythonConfig: object definitions in
// TypeScript, mixed with an XML config in one context.
// Run: npx tsx examples/code-config/main.ts
import { ApplicationContext, CodeConfig, object, PyroServiceExporter } from "../../src/index.js";

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
  async serviceExporter(): Promise<PyroServiceExporter> {
    const exporter = new PyroServiceExporter();
    exporter.serviceName = "ServiceName";
    exporter.service = await this.remoteService(); // through the container: the shared singleton
    exporter.serviceHost = "127.0.0.1";
    exporter.servicePort = 7001;
    return exporter; // the container calls afterPropertiesSet(), which starts serving
  }
}

// client.xml defines "service" as a PyroProxyFactory for PYROLOC://127.0.0.1:7001/ServiceName
const ctx = await ApplicationContext.create([new ServerConfig(), new URL("./client.xml", import.meta.url).pathname]);
const service = await ctx.getObject<{ get_data(p: string): Promise<string> }>("service");
console.log(`CLIENT: ${await service.get_data("Hello")}`);
await ctx.close(); // closes the proxy and the exporter's socket
