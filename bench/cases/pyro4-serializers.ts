// Micro-benchmarks of the Pyro4 serializers (no sockets): one operation is a
// dumps followed by a loads of the same payload. The floor of each group is
// Node's native JSON.stringify + JSON.parse of the same data.
import { measureSync, type BenchCase } from "../lib.js";
import { getSerializer } from "../../src/codecs/python/index.js";

const CALL_ARGS = ["hello world"];
const RESULT = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 1.25, tags: ["a", "b"], ok: i % 2 === 0 }));

function callCase(ser: "serpent" | "json" | "marshal"): BenchCase {
  return {
    name: `${ser} dumps+loads small call`,
    group: "pyro4-serializers",
    note: "dumpsCall + loadsCall of ('test.service', 'echo', ('hello world',), {})",
    run: async () => {
      const s = getSerializer(ser);
      return measureSync(() => s.loadsCall(s.dumpsCall("test.service", "echo", CALL_ARGS, {})));
    },
  };
}

const LARGE_FLOOR = "floor: JSON.stringify+parse 1000-dict result";

function resultCase(ser: "serpent" | "json" | "marshal"): BenchCase {
  return {
    name: `${ser} dumps+loads 1000-dict result`,
    group: "pyro4-serializers-large",
    note: "a list of 1000 small dicts (about 60 KB of text)",
    // goals: serpent and json at least 0.6x the native floor of the same run, marshal (a binary format written byte by byte) 0.4x
    targets: [{ against: LARGE_FLOOR, atLeast: ser === "marshal" ? 0.4 : 0.6 }],
    run: async () => {
      const s = getSerializer(ser);
      return measureSync(() => s.loads(s.dumps(RESULT)));
    },
  };
}

const cases: BenchCase[] = [
  {
    name: "floor: JSON.stringify+parse small call",
    group: "pyro4-serializers",
    floor: true,
    run: async () =>
      measureSync(() => JSON.parse(JSON.stringify({ object: "test.service", method: "echo", params: CALL_ARGS, kwargs: {} })) as unknown),
  },
  callCase("serpent"),
  callCase("json"),
  callCase("marshal"),
  {
    name: LARGE_FLOOR,
    group: "pyro4-serializers-large",
    floor: true,
    run: async () => measureSync(() => JSON.parse(JSON.stringify(RESULT)) as unknown),
  },
  resultCase("serpent"),
  resultCase("json"),
  resultCase("marshal"),
];
export default cases;
