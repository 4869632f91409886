// NATS rows: request/reply through our NatsProxyFactory and
// NatsServiceExporter (echo("hello world"), json codec), sequential and 32
// in flight, each beside its floor: the bare NATS client (nc.request with a
// prebuilt payload the size of our call) answered by a bare NATS responder
// (a prebuilt reply the size of ours), through the same nats-server
// (Debian's) in the same run. Each run starts its own nats-server on
// 127.0.0.1; the responders run in their own process.
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { measure, SkipBench, startServer, type BenchCase, type BenchResult } from "../lib.js";
import { NatsProxyFactory } from "../../src/protocols/nats/index.js";
import { getSerializer } from "../../src/codecs/python/index.js";
import { peerMissing } from "../../test/helpers/peers.js";
import { startNatsServer, type NatsServerHandle } from "../../test/helpers/nats-server.js";

const SECONDS = 2;
const WARMUP_MS = 1000;
const ECHO_ARG = "hello world";
const json = getSerializer("json");
const CALL_SIZE = json.dumpsCall("remoting.Bench", "echo", [ECHO_ARG], {}).length;
const REPLY_SIZE = json.dumps(ECHO_ARG).length;

async function withNats<T>(fn: (s: NatsServerHandle) => Promise<T>): Promise<T> {
  const missing = peerMissing("nats-server");
  if (missing) throw new SkipBench(missing);
  const s = await startNatsServer();
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

function floor(inFlight: number): () => Promise<BenchResult> {
  return () =>
    withNats(async (s) => {
      const responder = await startServer(join(import.meta.dirname, "../servers/nats-floor.ts"), [String(s.port), String(REPLY_SIZE)]);
      const nc = await connect({ servers: s.hostPort });
      const payload = new Uint8Array(CALL_SIZE).fill(0x78);
      try {
        const op = async (): Promise<void> => {
          const m = await nc.request("floor.echo", payload, { timeout: 5000 });
          if (m.data.length !== REPLY_SIZE) throw new Error("bad floor reply");
        };
        return await measure(op, { inFlight, durationMs: SECONDS * 1000, warmupMs: WARMUP_MS });
      } finally {
        await nc.close();
        await responder.stop();
      }
    });
}

function ours(inFlight: number): () => Promise<BenchResult> {
  return () =>
    withNats(async (s) => {
      const exporter = await startServer(join(import.meta.dirname, "../servers/nats-exporter.ts"), [String(s.port)]);
      const factory = new NatsProxyFactory(`nats://${s.hostPort}/remoting.Bench`);
      const proxy = factory.as<{ echo(x: string): string }>();
      try {
        if ((await proxy.echo(ECHO_ARG)) !== ECHO_ARG) throw new Error("echo returned a wrong value");
        return await measure(() => proxy.echo(ECHO_ARG), { inFlight, durationMs: SECONDS * 1000, warmupMs: WARMUP_MS });
      } finally {
        await factory.close();
        await exporter.stop();
      }
    });
}

const FLOOR_1 = "floor: bare NATS client request/reply, sequential (prebuilt call-sized payload)";
const FLOOR_32 = "floor: bare NATS client request/reply, 32 in flight (prebuilt call-sized payload)";

const cases: BenchCase[] = [
  { name: FLOOR_1, group: "nats-1", floor: true, run: floor(1) },
  {
    name: "nats: NatsProxyFactory -> NatsServiceExporter, echo, sequential (json)",
    group: "nats-1",
    note: "vs the bare NATS client on the same server",
    targets: [{ against: FLOOR_1, atLeast: 0.8 }],
    run: ours(1),
  },
  { name: FLOOR_32, group: "nats-32", floor: true, run: floor(32) },
  {
    name: "nats: NatsProxyFactory -> NatsServiceExporter, echo, 32 in flight (json)",
    group: "nats-32",
    note: "vs the bare NATS client on the same server",
    targets: [{ against: FLOOR_32, atLeast: 0.8 }],
    run: ours(32),
  },
];
export default cases;
