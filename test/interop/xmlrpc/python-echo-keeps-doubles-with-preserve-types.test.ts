/**
 * Type fidelity against Python's xmlrpc (stdlib), both ways:
 *
 * - xmlrpc.client calls echo(x) on our exporter: with `preserveTypes` a
 *   Python float (2.0) comes back a float; without it (the default) it comes
 *   back as the int 2. bytes come back as bytes either way (`<base64>`);
 *   XML-RPC has no tuple (Python sends a list) and no set (Python refuses).
 * - our client with `preserveTypes` calls SimpleXMLRPCServer: a Float
 *   arrives as a float, and what Python echoes comes back as a Float.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { PYTHON, requirePeers } from "../../helpers/peers.js";
import { Float } from "../../../src/core/values.js";
import { XmlRpcClient, XmlRpcDouble, XmlRpcServiceExporter } from "../../../src/protocols/xmlrpc/index.js";

const SCRIPT = join(import.meta.dirname, "py", "type_fidelity.py");

interface Line {
  name: string;
  ok: boolean;
  detail: string;
  type: string;
  same: boolean;
}

function runClient(url: string): Promise<Map<string, Line>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, "client", url], { timeout: 20_000, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`python failed: ${err.message}\n${stderr}`));
      const lines = stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);
      resolve(new Map(lines.map((l) => [l.name, l])));
    });
  });
}

async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(PYTHON, [SCRIPT, "server"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<{ url: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`python server did not start: ${stderr}`)), 15_000);
    createInterface({ input: child.stdout }).once("line", (l) => {
      clearTimeout(timer);
      resolve(JSON.parse(l) as { url: string });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`python server exited with ${code}: ${stderr}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.stdin.end();
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  return { url: first.url, stop };
}

class Echo {
  echo(x: unknown): unknown {
    return x;
  }
}

for (const mode of ["on", "off"] as const) {
  test(`Python xmlrpc.client echoes through our exporter, preserveTypes ${mode}`, async (t) => {
    if (!requirePeers(t, "python")) return;
    const exporter = new XmlRpcServiceExporter();
    exporter.service = new Echo();
    exporter.serviceHost = "127.0.0.1";
    exporter.servicePort = 0;
    if (mode === "on") (exporter as unknown as Record<string, unknown>)["preserve_types"] = "true";
    await exporter.afterPropertiesSet();
    t.after(() => exporter.destroy());
    const r = await runClient(exporter.url!);

    assert.equal(r.get("float")!.type, mode === "on" ? "float" : "int", r.get("float")!.detail);
    assert.equal(r.get("negative_float")!.type, mode === "on" ? "float" : "int");
    assert.equal(r.get("float")!.same, mode === "on");
    for (const name of ["fraction", "int", "bytes"]) assert.ok(r.get(name)!.same, `${name}: ${r.get(name)!.detail}`);
    // what XML-RPC cannot carry: a tuple travels as an array (a list in Python), a set cannot be sent at all
    assert.equal(r.get("tuple")!.type, "list");
    assert.deepEqual(JSON.parse(r.get("tuple")!.detail), ["list", [["int", "1"], mode === "on" ? ["float", "2.0"] : ["int", "2"]]]);
    assert.equal(r.get("set")!.ok, false);
    assert.match(r.get("set")!.detail, /cannot marshal/);
    assert.deepEqual(JSON.parse(r.get("nested")!.detail), ["dict", [["k", ["list", [mode === "on" ? ["float", "2.0"] : ["int", "2"], ["int", "3"]]]]]]);
  });
}

test("our client with preserveTypes calls Python's SimpleXMLRPCServer: Floats arrive as floats and come back as Floats", async (t) => {
  if (!requirePeers(t, "python")) return;
  const server = await startServer();
  const on = new XmlRpcClient(server.url, { preserveTypes: "true" });
  const off = new XmlRpcClient(server.url);
  t.after(async () => {
    await on.close();
    await off.close();
    await server.stop();
  });
  const call = (c: XmlRpcClient, method: string, ...args: unknown[]): Promise<unknown> => (c as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);

  assert.deepEqual(await call(on, "echo_repr", new Float(2)), ["float", "2.0"]);
  assert.deepEqual(await call(off, "echo_repr", new Float(2)), ["float", "2.0"], "a Float is a <double> whatever the option");
  assert.deepEqual(await call(off, "echo_repr", 2), ["int", "2"], "a plain whole number is an <int>");

  const back = await call(on, "echo", new Float(2));
  assert.ok(back instanceof XmlRpcDouble && back instanceof Float, String(back));
  assert.equal(back.value, 2);
  assert.equal(await call(off, "echo", new Float(2)), 2, "off: the number");
  const list = (await call(on, "echo", [new Float(-1), 1.5, 3])) as unknown[];
  assert.ok(list[0] instanceof Float);
  assert.deepEqual(list.slice(1), [1.5, 3]);

  const bytes = Buffer.from([0, 1, 0x3c, 0xfe]);
  assert.deepEqual(await call(on, "echo_repr", bytes), ["bytes", "b'\\x00\\x01<\\xfe'"]);
  assert.deepEqual(await call(on, "echo", bytes), bytes);
});
