/**
 * One exporter in a process of its own, for the scale-out tests:
 * `exporter-process.ts <servers> <serviceName> <label>`. Serves `Worker`
 * (whose answers name this process by its label), prints
 * `READY <instanceId>`, and on SIGTERM drains (destroy()) and exits 0.
 */
import { NatsServiceExporter } from "../../../src/protocols/nats/index.js";

const [servers, serviceName, label] = process.argv.slice(2) as [string, string, string];

class Worker {
  calls = 0;
  async work(x: number, ms = 0): Promise<{ by: string; x: number }> {
    this.calls++;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    return { by: label, x };
  }
  who(): string {
    return label;
  }
}

const exporter = new NatsServiceExporter({ service: new Worker(), serviceName, servers, reconnectTimeWaitMs: "100ms", drainTimeoutMs: "10s" });
await exporter.afterPropertiesSet();
process.stdout.write(`READY ${exporter.instanceId!}\n`);
process.once("SIGTERM", () => {
  void exporter.destroy().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
