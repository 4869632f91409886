// Benchmark server: our NatsServiceExporter serving Bench.echo on the NATS
// server at 127.0.0.1:<port> (subject remoting.Bench). Prints "PORT <port>"
// once subscribed. Usage: nats-exporter.ts <natsPort>
import { NatsServiceExporter } from "../../src/protocols/nats/index.js";

class Bench {
  echo(value: unknown): unknown {
    return value;
  }
}

const port = Number(process.argv[2]);
const exporter = new NatsServiceExporter({ service: new Bench(), serviceName: "Bench", servers: `127.0.0.1:${port}` });
await exporter.afterPropertiesSet();
process.stdout.write(`PORT ${port}\n`);
process.on("SIGTERM", () => {
  void exporter.destroy().then(() => process.exit(0));
});
