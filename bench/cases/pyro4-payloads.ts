// Pyro4 rows for every payload shape (bench/payloads.ts), serpent and json:
// our proxy -> our daemon against Python Pyro4's proxy -> Python's daemon,
// sequential, echoing the payload, measured in the same run. Goal: at least
// 2x Python for every shape (a fast path that helps only one argument would
// show here as a shape that lags).
import { join } from "node:path";
import { getSerializer } from "../../src/codecs/python/index.js";
import { PyroProxy } from "../../src/protocols/pyro4/index.js";
import { pingPong } from "./floor-tcp.js";
import { measure, startServer, type BenchCase, type BenchResult } from "../lib.js";
import { needPython, PY, pyScript, pythonResult } from "../python.js";
import { SHAPES, shape, type Shape } from "../payloads.js";

const DAEMON = join(import.meta.dirname, "../servers/pyro4-daemon.ts");
const PY_DAEMON = pyScript("pyro4_server.py");
const PY_CLIENT = pyScript("pyro4_client.py");
const SECONDS = 1.5;

async function ours(serializer: "serpent" | "json", s: Shape): Promise<BenchResult> {
  const server = await startServer(DAEMON);
  const proxy = new PyroProxy(`PYRO:bench@127.0.0.1:${server.port}`, { serializer });
  const payload = shape(s);
  try {
    return await measure(() => proxy.invoke("echo", [payload]), { durationMs: SECONDS * 1000 });
  } finally {
    await proxy.close();
    await server.stop();
  }
}

async function python(serializer: "serpent" | "json", s: Shape): Promise<BenchResult> {
  needPython();
  const server = await startServer(PY_DAEMON, [serializer], [PY, "-u"]);
  try {
    return pythonResult(PY_CLIENT, [String(server.port), String(SECONDS), serializer, s]);
  } finally {
    await server.stop();
  }
}

/**
 * The raw TCP ping-pong of as many bytes each way as the call's serialized
 * payload plus Pyro4's 24-byte header: what the socket alone allows for this
 * shape on this machine, with no codec and no protocol work.
 */
async function rawSameBytes(serializer: "serpent" | "json", s: Shape): Promise<BenchResult> {
  const bytes = getSerializer(serializer).dumpsCall("bench", "echo", [shape(s)], {}).length + 24;
  return pingPong(1, true, Buffer.alloc(bytes, 0x61));
}

const cases: BenchCase[] = [];
for (const serializer of ["serpent", "json"] as const) {
  for (const s of SHAPES) {
    if (s === "short" && serializer === "serpent") continue; // the tcp-1 group has this one
    if (s === "bytes" && serializer === "json") continue; // Pyro4's json serializer cannot send bytes: no peer to compare with
    const group = `pyro4-payload-${s}-${serializer}`;
    const py = `pyro4 payload ${s} (${serializer}): Python proxy -> Python daemon`;
    cases.push({ name: py, group, floor: true, note: "Python Pyro4 4.82, the peer", run: () => python(serializer, s) });
    cases.push({ name: `pyro4 payload ${s} (${serializer}): TS proxy -> TS daemon`, group, targets: [{ against: py, atLeast: 2 }], run: () => ours(serializer, s) });
    cases.push({
      name: `pyro4 payload ${s} (${serializer}): raw TCP ping-pong of the same bytes`,
      group,
      note: "the socket alone: a Node client and echo server exchanging frames of the call's size, no codec",
      run: () => rawSameBytes(serializer, s),
    });
  }
}
export default cases;
