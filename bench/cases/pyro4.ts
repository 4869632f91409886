// Pyro4 rows: our proxy and daemon, Python Pyro4 (client and thread-pool
// daemon, serpent) measured in the same run, the two mixes, and the memory of
// a daemon holding 1,000 idle connections. Servers run in their own process.
import { join } from "node:path";
import { PyroProxy } from "../../src/protocols/pyro4/index.js";
import { measure, startServer, type BenchCase, type BenchResult } from "../lib.js";
import { needPython, PY, pyScript, pythonResult } from "../python.js";

const DAEMON = join(import.meta.dirname, "../servers/pyro4-daemon.ts");
const PY_DAEMON = pyScript("pyro4_server.py");
const PY_CLIENT = pyScript("pyro4_client.py");
const SECONDS = 1.5;

async function tsProxy(server: { port: number }, inFlight: number): Promise<BenchResult> {
  const proxy = new PyroProxy(`PYRO:bench@127.0.0.1:${server.port}`, { serializer: "serpent" });
  try {
    return await measure(() => proxy.invoke("echo", ["hello world"]), { inFlight, durationMs: SECONDS * 1000 });
  } finally {
    await proxy.close();
  }
}

async function withTsDaemon<T>(fn: (s: { port: number }) => Promise<T>): Promise<T> {
  const server = await startServer(DAEMON);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

async function withPyDaemon<T>(fn: (s: { port: number }) => Promise<T>): Promise<T> {
  needPython();
  const server = await startServer(PY_DAEMON, ["serpent"], [PY, "-u"]);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

function pyClient(port: number): BenchResult {
  return pythonResult(PY_CLIENT, [String(port), String(SECONDS), "serpent"]);
}

const SEQ = "pyro4: TS proxy -> TS daemon, sequential (serpent)";
const PY_PY = "pyro4: Python proxy -> Python daemon, sequential (serpent, thread pool)";

const cases: BenchCase[] = [
  {
    name: SEQ,
    group: "tcp-1",
    targets: [
      { against: "floor: raw TCP ping-pong, 1 in flight", atLeast: 0.8 },
      { against: PY_PY, atLeast: 2 },
    ],
    run: () => withTsDaemon((s) => tsProxy(s, 1)),
  },
  {
    name: "pyro4: TS proxy -> TS daemon, 32 in flight on one proxy (serpent)",
    group: "tcp-32",
    targets: [{ against: SEQ, atLeast: 5 }],
    run: () => withTsDaemon((s) => tsProxy(s, 32)),
  },
  { name: PY_PY, group: "tcp-1", run: () => withPyDaemon(async (s) => pyClient(s.port)) },
  { name: "pyro4: TS proxy -> Python daemon, sequential (serpent)", group: "tcp-1", run: () => withPyDaemon((s) => tsProxy(s, 1)) },
  {
    name: "pyro4: Python proxy -> TS daemon, sequential (serpent)",
    group: "tcp-1",
    run: async () => {
      needPython();
      return withTsDaemon(async (s) => pyClient(s.port));
    },
  },
  {
    name: "pyro4: TS daemon resident memory with 1,000 idle connections",
    group: "memory",
    unit: "MB",
    atMost: 150,
    run: () =>
      withTsDaemon(async (s) => {
        const proxies: PyroProxy[] = [];
        try {
          for (let i = 0; i < 1000; i++) {
            const p = new PyroProxy(`PYRO:bench@127.0.0.1:${s.port}`, { serializer: "serpent", metadata: false });
            await p.invoke("echo", [i]);
            proxies.push(p);
          }
          await new Promise((r) => setTimeout(r, 500));
          const rss = (await proxies[0]!.invoke("rss", [])) as number;
          return { ops: 1, seconds: 1, value: rss / (1024 * 1024) };
        } finally {
          await Promise.all(proxies.map((p) => p.close()));
        }
      }),
  },
];
export default cases;
