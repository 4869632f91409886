// Benchmark server: our Pyro4 daemon serving Bench.echo (and rss()) on 127.0.0.1, as `bench` and `bench0`..`bench2`.
// Prints "PORT <n>". Usage: pyro4-daemon.ts [maxConnections]
import { PyroDaemon } from "../../src/protocols/pyro4/index.js";

class Bench {
  echo(value: unknown): unknown {
    return value;
  }
  rss(): number {
    return process.memoryUsage().rss;
  }
}

const maxConnections = Number(process.argv[2] ?? 2048);
const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0, maxConnections, idleTimeoutMs: 0 });
daemon.register(new Bench(), "bench");
// three more names for the high-availability row (a pool of three members)
for (let i = 0; i < 3; i++) daemon.register(new Bench(), `bench${i}`);
await daemon.listen();
process.stdout.write(`PORT ${daemon.port}\n`);
process.on("SIGTERM", () => {
  void daemon.close().then(() => process.exit(0));
});
