/**
 * `remoting ns list|lookup|register|remove|ping`, like Pyro4's nsc, against
 * our name server (started by `remoting ns` in a process of its own), with
 * the documented exit codes.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../helpers/follow-doc.js";

const BIN = join(import.meta.dirname, "../../../bin/remoting.js");

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, REMOTING_LOG_LEVEL: "warn", PYRO_HMAC_KEY: "" } });
}

describe("remoting ns client commands against our name server", () => {
  let server: ChildProcess;
  let port: number;
  before(async () => {
    port = await freePort();
    server = spawn(process.execPath, [BIN, "ns", "-n", "127.0.0.1", "-p", String(port), "-x"], { env: { ...process.env, PYRO_HMAC_KEY: "" } });
    let out = "";
    server.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const until = Date.now() + 20_000;
    while (!out.includes("URI = ") && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /URI = PYRO:Pyro\.NameServer@127\.0\.0\.1:\d+/);
  });
  after(async () => {
    server.kill("SIGTERM");
    await new Promise((r) => (server.exitCode !== null ? r(null) : server.once("exit", r)));
  });

  const ns = (...args: string[]) => cli("ns", "-n", "127.0.0.1", "-p", String(port), ...args);

  it("ping, register, lookup, list (all, by prefix, by metadata), remove", () => {
    assert.match(ns("ping").stdout, /Name server ping ok/);
    assert.equal(ns("register", "example.greeting", "PYRO:obj_1@127.0.0.1:5555", "--meta", "class:greeting,fast").status, 0);
    assert.equal(ns("register", "example.other", "PYRO:obj_2@127.0.0.1:5556").status, 0);
    assert.equal(ns("register", "unrelated", "PYRO:obj_3@127.0.0.1:5557").status, 0);
    assert.equal(ns("lookup", "example.greeting").stdout.trim(), "PYRO:obj_1@127.0.0.1:5555");
    assert.deepEqual(JSON.parse(ns("lookup", "example.greeting", "--json").stdout), { uri: "PYRO:obj_1@127.0.0.1:5555", metadata: ["class:greeting", "fast"] });
    const all = ns("list");
    assert.match(all.stdout, /^--------START LIST$/m);
    assert.match(all.stdout, /^Pyro\.NameServer --> PYRO:Pyro\.NameServer@127\.0\.0\.1:\d+$/m);
    assert.match(all.stdout, /^unrelated --> PYRO:obj_3@127\.0\.0\.1:5557$/m);
    assert.deepEqual(Object.keys(JSON.parse(ns("list", "example.", "--json").stdout) as object).sort(), ["example.greeting", "example.other"]);
    assert.deepEqual(Object.keys(JSON.parse(ns("list", "--meta-all", "fast", "--json").stdout) as object), ["example.greeting"]);
    assert.match(ns("remove", "example.", "--prefix").stdout, /Removed 2 registrations/);
    assert.match(ns("remove", "unrelated").stdout, /Removed 1 registration$/m);
  });

  it("an unknown name exits 3 with a naming error; a usage error exits 2; no name server exits 3", async () => {
    const missing = ns("lookup", "no.such.name");
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /ERR_NAMING/);
    assert.equal(ns("register", "only-a-name").status, 2);
    const nothing = cli("ns", "-n", "127.0.0.1", "-p", String(await freePort()), "ping");
    assert.equal(nothing.status, 3);
    assert.match(nothing.stderr, /Failed to locate the nameserver/);
  });
});
