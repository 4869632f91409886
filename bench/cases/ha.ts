// High-availability row: a HighAvailabilityProxyFactory over three Pyro
// members (three objects of one daemon process, round-robin), sequential,
// against the direct proxy's sequential row of the same run.
import { join } from "node:path";
import { HighAvailabilityProxyFactory, releaseProxy } from "../../src/index.js";
import { measure, startServer, type BenchCase } from "../lib.js";

const DAEMON = join(import.meta.dirname, "../servers/pyro4-daemon.ts");

const cases: BenchCase[] = [
  {
    name: "ha: HighAvailabilityProxyFactory over 3 Pyro members, sequential (serpent)",
    group: "tcp-1",
    targets: [{ against: "pyro4: TS proxy -> TS daemon, sequential (serpent)", atLeast: 0.95 }],
    run: async () => {
      const server = await startServer(DAEMON);
      const pool = new HighAvailabilityProxyFactory([0, 1, 2].map((i) => `PYRO:bench${i}@127.0.0.1:${server.port}`));
      try {
        return await measure(() => pool.echo("hello world") as Promise<unknown>, { durationMs: 1500 });
      } finally {
        await releaseProxy(pool);
        await server.stop();
      }
    },
  },
];
export default cases;
