/**
 * Differential tests against the real Python serpent/Pyro4 serializers:
 * for random values, our loads and Python's loads of the same bytes must
 * agree — both for bytes Python wrote and for bytes we wrote.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { Complex, FrozenSet, tuple } from "../../../src/core/values.js";
import { getSerializer, PyroURIValue } from "../../../src/codecs/python/index.js";
import { PYTHON, requirePeers } from "../../helpers/peers.js";
import { assertSame, SERS, valueArb, type Ser } from "../../unit/pyro4-serializers/arbitraries.js";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "pyro4_peer.py");

function runPython(args: string[], input?: string): unknown {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { input, encoding: "utf8", timeout: 25_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `python ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

type Desc = { t: string; v?: unknown; re?: string; im?: string };

function float64(hex: string): number {
  return Buffer.from(hex, "hex").readDoubleBE(0);
}

/** The JS value our mapping gives for a Python value (described by the Python script). */
function fromDesc(d: Desc): unknown {
  switch (d.t) {
    case "none":
      return null;
    case "bool":
      return d.v as boolean;
    case "int": {
      const b = BigInt(d.v as string);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    case "float":
      return float64(d.v as string);
    case "complex":
      return new Complex(float64(d.re!), float64(d.im!));
    case "str":
      return (d.v as number[]).map((c) => String.fromCodePoint(c)).join("");
    case "bytes":
      return Buffer.from(d.v as string, "base64");
    case "list":
      return (d.v as Desc[]).map(fromDesc);
    case "tuple":
      return tuple((d.v as Desc[]).map(fromDesc));
    case "set":
      return new Set((d.v as Desc[]).map(fromDesc));
    case "frozenset":
      return new FrozenSet((d.v as Desc[]).map(fromDesc));
    case "dict": {
      const entries = (d.v as Array<[Desc, Desc]>).map(([k, v]) => [fromDesc(k), fromDesc(v)] as [unknown, unknown]);
      if (entries.every(([k]) => typeof k === "string")) {
        const o: Record<string, unknown> = {};
        for (const [k, v] of entries) Object.defineProperty(o, k as string, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }
      return new Map(entries);
    }
    case "uri": {
      const [p, o, s, h, port] = d.v as [string, string, string | null, string | null, number | null];
      return new PyroURIValue(p, o, s, h, port);
    }
    default:
      throw new Error(`the Python side produced an unexpected value: ${JSON.stringify(d)}`);
  }
}

test("for random Python values, our loads agrees with Python's loads of the same bytes", (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const items = runPython(["fuzz-corpus", "20261125", "400"]) as Array<{ ser: Ser; data: string; desc: Desc }>;
  const counts: Record<string, number> = {};
  const failures: string[] = [];
  for (const item of items) {
    const data = Buffer.from(item.data, "base64");
    try {
      const ours = getSerializer(item.ser).loads(data);
      assertSame(ours, fromDesc(item.desc));
      counts[item.ser] = (counts[item.ser] ?? 0) + 1;
    } catch (e) {
      if (failures.length < 5) failures.push(`${item.ser} ${data.toString("utf8").slice(0, 300)}: ${(e as Error).message.slice(0, 800)}`);
      else failures.push("...");
    }
  }
  assert.deepStrictEqual(failures, []);
  // json cannot carry bytes, complex numbers, tuple keys or lone surrogates, so fewer values reach it
  for (const ser of SERS) assert.ok((counts[ser] ?? 0) > (ser === "json" ? 50 : 150), `${ser}: only ${counts[ser] ?? 0} values compared`);
});

test("for random JS values, Python's loads of our dumps agrees with our own loads", (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const items: Array<{ ser: Ser; data: string }> = [];
  for (const ser of SERS) {
    for (const v of fc.sample(valueArb(ser), { numRuns: 250, seed: 4242 })) items.push({ ser, data: getSerializer(ser).dumps(v).toString("base64") });
  }
  const answers = runPython(["describe"], JSON.stringify({ items })) as Array<{ desc?: Desc; error?: string }>;
  assert.equal(answers.length, items.length);
  const failures: string[] = [];
  items.forEach((item, i) => {
    const data = Buffer.from(item.data, "base64");
    const answer = answers[i]!;
    // Python refuses a dict with an unknown __class__ (our class instances, URIs are fine): none are generated here
    if (answer.error) {
      failures.push(`${item.ser}: Python could not read ${data.toString("utf8").slice(0, 300)}: ${answer.error}`);
      return;
    }
    try {
      assertSame(getSerializer(item.ser).loads(data), fromDesc(answer.desc!));
    } catch (e) {
      failures.push(`${item.ser} ${data.toString("utf8").slice(0, 300)}: ${(e as Error).message.slice(0, 800)}`);
    }
  });
  assert.deepStrictEqual(failures.slice(0, 5), []);
});
