import { test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { installPyroCommands } from "../../../src/protocols/pyro4/cli.js";
import { locateNS } from "../../../src/protocols/pyro4/naming.js";

test("`remoting ns` serves a name server until SIGTERM", async () => {
  const out: string[] = [];
  const program = new Command().exitOverride();
  installPyroCommands(program, { out: (s) => out.push(s), err: (s) => out.push(s) });
  const running = program.parseAsync(["node", "remoting", "ns", "-n", "127.0.0.1", "-p", "0", "-k", "cli-key"]);
  const deadline = Date.now() + 5000;
  while (!out.some((l) => l.startsWith("URI = ")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const uri = out.find((l) => l.startsWith("URI = "))!.slice(6);
  const m = /^PYRO:Pyro\.NameServer@127\.0\.0\.1:(\d+)$/.exec(uri);
  assert.ok(m, uri);
  const ns = await locateNS("127.0.0.1", Number(m[1]), { hmacKey: "cli-key" });
  assert.equal(await ns.count(), 1);
  await ns.close();
  process.emit("SIGTERM");
  await running;
});
