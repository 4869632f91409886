import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { PYTHON, requirePeers } from "../../helpers/peers.js";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { startNameServer } from "../../../src/protocols/pyro4/nameserver.js";
import { locateNS } from "../../../src/protocols/pyro4/naming.js";
import { NamingError } from "../../../src/core/errors.js";
import { TestService } from "../../integration/pyro4/support.js";
import { runPython } from "./helpers.js";

/** Starts `python3 -m Pyro4.naming` on an ephemeral port; resolves with its port. */
async function pythonNameServer(hmac?: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(PYTHON, ["-u", "-m", "Pyro4.naming", "-n", "127.0.0.1", "-p", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...(hmac ? { PYRO_HMAC_KEY: hmac } : {}) },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`name server did not start: ${stderr}`)), 15_000);
    createInterface({ input: child.stdout }).on("line", (l) => {
      const m = /^URI = PYRO:Pyro\.NameServer@127\.0\.0\.1:(\d+)/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`name server exited with ${code}: ${stderr}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(t);
  };
  return { port, stop };
}

for (const serializer of ["serpent", "json"] as const) {
  for (const hmac of [undefined, "ns-key"]) {
    test(`TypeScript client and proxies with Python's name server (${serializer}${hmac ? ", HMAC" : ""})`, async (t) => {
      if (!requirePeers(t, "pyro4")) return;
      const ns = await pythonNameServer(hmac);
      const daemon = new PyroDaemon({ host: "127.0.0.1", hmacKey: hmac });
      await daemon.listen();
      daemon.register(new TestService(), "svc");
      const opts = { serializer, hmacKey: hmac, timeoutMs: 10_000 };
      const client = await locateNS("127.0.0.1", ns.port, opts);
      const byName = new PyroProxy(`PYRONAME:ts.service@127.0.0.1:${ns.port}`, opts);
      const byMeta = new PyroProxy(`PYROMETA:ts,blue@127.0.0.1:${ns.port}`, opts);
      t.after(async () => {
        await byName.close();
        await byMeta.close();
        await client.close();
        await daemon.close();
        await ns.stop();
      });
      await client.register("ts.service", daemon.uriFor("svc"), { metadata: ["ts", "blue"] });
      assert.equal(await client.lookup("ts.service"), daemon.uriFor("svc"));
      assert.deepEqual((await client.lookupWithMetadata("ts.service")).metadata.sort(), ["blue", "ts"]);
      assert.ok(Object.keys(await client.list()).includes("Pyro.NameServer"));
      assert.deepEqual(Object.keys(await client.list({ metadataAll: ["ts", "blue"] })), ["ts.service"]);
      assert.deepEqual(Object.keys(await client.list({ regex: "ts\\..*" })), ["ts.service"]);
      await assert.rejects(client.lookup("nope"), (e: unknown) => e instanceof NamingError && /unknown name/.test(e.message));
      assert.equal(await byName.invoke("get_data", ["named"]), "You got remote data => named");
      assert.equal(await byMeta.invoke("get_data", ["meta"]), "You got remote data => meta");
      assert.equal(await client.remove({ name: "ts.service" }), 1);
      assert.equal(await client.count(), 1);
    });
  }
}

for (const serializer of ["serpent", "json"] as const) {
  test(`Python Pyro4 clients with our name server (${serializer})`, async (t) => {
    if (!requirePeers(t, "pyro4")) return;
    const ns = await startNameServer({ host: "127.0.0.1", port: 0 });
    const daemon = new PyroDaemon({ host: "127.0.0.1" });
    await daemon.listen();
    daemon.register(new TestService(), "svc");
    ns.nameserver.register("ts.service", daemon.uriFor("svc"), false, new Set(["ts", "blue"]));
    t.after(async () => {
      await daemon.close();
      await ns.close();
    });
    const { lines, stderr } = await runPython("ns_client.py", ["127.0.0.1", String(ns.daemon.port), serializer]);
    const names = lines.map((l) => l.name);
    for (const n of ["ping", "lookup", "lookup_meta", "lookup_unknown", "register_list", "register_safe", "pyroname_call", "pyrometa_call", "remove", "count", "done"]) {
      assert.ok(names.includes(n), `missing ${n}; stderr: ${stderr}`);
    }
    assert.deepEqual(lines.filter((l) => !l.ok), []);
  });
}

test("Python clients with our name server under HMAC", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, hmacKey: "ns-key" });
  const daemon = new PyroDaemon({ host: "127.0.0.1", hmacKey: "ns-key" });
  await daemon.listen();
  daemon.register(new TestService(), "svc");
  ns.nameserver.register("ts.service", daemon.uriFor("svc"), false, new Set(["ts", "blue"]));
  t.after(async () => {
    await daemon.close();
    await ns.close();
  });
  const { lines, stderr } = await runPython("ns_client.py", ["127.0.0.1", String(ns.daemon.port), "serpent", "ns-key"]);
  assert.ok(lines.some((l) => l.name === "done"), stderr);
  assert.deepEqual(lines.filter((l) => !l.ok), []);
});
