// Benchmark server: our HessianServiceExporter serving Bench.echo on
// 127.0.0.1 (ephemeral port), path /bench. Prints "PORT <n>".
import { HessianServiceExporter } from "../../src/protocols/hessian/index.js";

class Bench {
  echo(value: unknown): unknown {
    return value;
  }
}

const exporter = new HessianServiceExporter({ service: new Bench(), serviceHost: "127.0.0.1", servicePort: 0, path: "/bench" });
await exporter.afterPropertiesSet();
process.stdout.write(`PORT ${exporter.port ?? 0}\n`);
process.on("SIGTERM", () => {
  void exporter.destroy().then(() => process.exit(0));
});
