/**
 * Type fidelity against Python Pyro4 4.82, both ways:
 *
 * - a Python proxy calls echo(x) on our exporter: with `preserveTypes` a
 *   Python float (2.0) comes back a float, and tuples, sets and bytes come
 *   back as what they were wherever the serializer can carry them; without
 *   it the documented default holds (2.0 comes back as the int 2; serpent's
 *   bytes come back as Pyro4's base64 dict, as from a Python daemon);
 * - our proxy with `preserveTypes` calls a Python daemon: a Float arrives as
 *   a Python float, a Buffer (serpent) as bytes, and what Python echoes comes
 *   back as the same Float and Buffer.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { requirePeers } from "../../helpers/peers.js";
import { Float, FrozenSet, tuple } from "../../../src/core/values.js";
import { PyroServiceExporter } from "../../../src/protocols/pyro4/exporter.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { runPython, startPython } from "./helpers.js";

class Echo {
  echo(x: unknown): unknown {
    return x;
  }
}

type Serializer = "serpent" | "json" | "marshal";
interface Line {
  name: string;
  ok: boolean;
  detail: string;
  type: string;
  same: boolean;
}

/** The type of what Python gets back from echo(x), by serializer and option; `same`: equal and of the same type as what it sent. */
const EXPECTED: Record<Serializer, Record<"on" | "off", Record<string, string>>> = {
  serpent: {
    on: { float: "float", negative_float: "float", fraction: "float", int: "int", tuple: "tuple", set: "set", frozenset: "set", bytes: "bytes", nested: "dict", float_key: "dict" },
    off: { float: "int", negative_float: "int", fraction: "float", int: "int", tuple: "tuple", set: "set", frozenset: "set", bytes: "dict", nested: "dict", float_key: "dict" },
  },
  json: {
    on: { float: "float", negative_float: "float", fraction: "float", int: "int", tuple: "list", set: "list", nested: "dict" },
    off: { float: "int", negative_float: "int", fraction: "float", int: "int", tuple: "list", set: "list", nested: "dict" },
  },
  marshal: {
    on: { float: "float", negative_float: "float", fraction: "float", int: "int", tuple: "tuple", set: "set", frozenset: "frozenset", bytes: "bytes", nested: "dict", float_key: "dict" },
    off: { float: "int", negative_float: "int", fraction: "float", int: "int", tuple: "tuple", set: "set", frozenset: "frozenset", bytes: "bytes", nested: "dict", float_key: "dict" },
  },
};

/** What comes back whole (equal, same type, floats inside included) with the option on; every serializer's own limits aside. */
const SAME_WHEN_ON: Record<Serializer, string[]> = {
  serpent: ["float", "negative_float", "fraction", "int", "tuple", "set", "bytes", "nested", "float_key"],
  json: ["float", "negative_float", "fraction", "int"],
  marshal: ["float", "negative_float", "fraction", "int", "tuple", "set", "frozenset", "bytes", "nested", "float_key"],
};

for (const serializer of ["serpent", "json", "marshal"] as const) {
  for (const mode of ["on", "off"] as const) {
    test(`Python proxy echoes through our exporter, ${serializer}, preserveTypes ${mode}`, async (t) => {
      if (!requirePeers(t, "pyro4")) return;
      const exporter = new PyroServiceExporter(new Echo(), "echo", "127.0.0.1", 0);
      if (mode === "on") (exporter as unknown as Record<string, unknown>)["preserveTypes"] = "true";
      await exporter.afterPropertiesSet();
      t.after(() => exporter.destroy());
      const { lines, stderr } = await runPython("type_fidelity_client.py", [exporter.uri!, serializer]);
      const byName = new Map((lines as unknown as Line[]).map((l) => [l.name, l]));
      assert.equal(byName.size, 10, `stderr: ${stderr}`);
      for (const [name, type] of Object.entries(EXPECTED[serializer][mode])) {
        const l = byName.get(name);
        assert.ok(l, name);
        assert.equal(l.type, type, `${name}: ${l.detail}`);
      }
      for (const name of SAME_WHEN_ON[serializer]) {
        const l = byName.get(name)!;
        // off: a whole float comes back an int (== but not the same type); serpent's bytes come back as Pyro4's dict
        const changedWhenOff = name === "float" || name === "negative_float" || (serializer === "serpent" && name === "bytes");
        assert.equal(l.same, mode === "on" || !changedWhenOff, `${name}: ${l.detail}`);
      }
      if (serializer !== "json") {
        const key = JSON.parse(byName.get("float_key")!.detail) as [string, Array<[[string, string], unknown]>];
        assert.deepEqual(key[1][0]![0], mode === "on" ? ["float", "2.0"] : ["int", "2"]);
      }
      const nested = JSON.parse(byName.get("nested")!.detail) as unknown;
      const inner = mode === "on" ? "float" : "int";
      const inTuple = serializer === "json" ? "list" : "tuple";
      assert.deepEqual(nested, ["dict", [[["str", "'k'"], ["list", [[inner, mode === "on" ? "2.0" : "2"], [inTuple, [[inner, mode === "on" ? "4.0" : "4"]]]]]]]]);
      if (serializer === "json") {
        // Python's json serializer cannot send bytes at all
        assert.equal(byName.get("bytes")!.ok, false);
      }
    });
  }
}

for (const serializer of ["serpent", "json", "marshal"] as const) {
  test(`our proxy with preserveTypes calls a Python daemon (${serializer}): Floats arrive as floats and come back as Floats`, async (t) => {
    if (!requirePeers(t, "pyro4")) return;
    const server = await startPython("server.py", []);
    const on = new PyroProxy(String(server.first["uri"]), { serializer, preserveTypes: true, timeoutMs: 10_000 });
    const off = new PyroProxy(String(server.first["uri"]), { serializer, timeoutMs: 10_000 });
    t.after(async () => {
      await on.close();
      await off.close();
      await server.stop();
    });

    // what Python receives
    assert.deepEqual(await on.invoke("echo_repr", [new Float(2)]), ["float", "2.0"]);
    assert.deepEqual(await off.invoke("echo_repr", [new Float(2)]), ["float", "2.0"], "a Float is a float whatever the option");
    assert.deepEqual(await off.invoke("echo_repr", [2]), ["int", "2"], "a plain whole number is an int");

    // what comes back
    const back = await on.invoke("echo", [new Float(2)]);
    assert.ok(back instanceof Float, String(back));
    assert.equal(back.value, 2);
    assert.equal(await off.invoke("echo", [new Float(2)]), 2, "off: the number");
    const list = (await on.invoke("echo", [[new Float(-1), 1.5, 3]])) as unknown[];
    assert.ok(list[0] instanceof Float);
    assert.deepEqual(list.slice(1), [1.5, 3]);

    if (serializer === "json") return;
    assert.deepEqual(await on.invoke("echo_repr", [tuple([new Float(1), 2])]), ["tuple", "(1.0, 2)"]);
    assert.deepEqual(await on.invoke("echo_repr", [new Set([new Float(1)])]), ["set", "{1.0}"]);
    const t2 = (await on.invoke("echo", [tuple([new Float(1)])])) as unknown[];
    assert.ok(Object.isFrozen(t2) && t2[0] instanceof Float);

    // bytes: serpent sends them as bytes literals with the option (Pyro4's base64 dict without it); marshal always as bytes
    const bytes = Buffer.from([0, 1, 0x27, 0x5c, 0xfe]);
    assert.deepEqual(await on.invoke("echo_repr", [bytes]), ["bytes", "b\"\\x00\\x01'\\\\\\xfe\""]);
    const echoed = await on.invoke("echo", [bytes]);
    assert.ok(Buffer.isBuffer(echoed));
    assert.deepEqual(echoed, bytes);
    if (serializer === "serpent") {
      assert.equal(((await off.invoke("echo_repr", [bytes])) as string[])[0], "dict");
      assert.deepEqual(await off.invoke("echo", [bytes]), { data: bytes.toString("base64"), encoding: "base64" });
    } else {
      assert.equal(((await off.invoke("echo_repr", [bytes])) as string[])[0], "bytes");
      assert.ok((await on.invoke("echo", [new FrozenSet([1])])) instanceof FrozenSet);
    }
  });
}
