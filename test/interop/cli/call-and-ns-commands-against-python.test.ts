/**
 * `remoting call` and `remoting ns ...` against Python's Pyro4 4.82: its name
 * server (list, lookup, register, ping) and a Python daemon reached through
 * a PYRONAME: URL, with keyword arguments and a Python exception.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { requirePeers } from "../../helpers/peers.js";
import { startPython } from "../pyro4/helpers.js";

const BIN = join(import.meta.dirname, "../../../bin/remoting.js");

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, REMOTING_LOG_LEVEL: "warn", PYRO_HMAC_KEY: "" } });
}

describe("remoting call and remoting ns against Python's Pyro4", () => {
  let py: Awaited<ReturnType<typeof startPython>> | undefined;
  let nsPort = 0;
  before(async () => {
    if (process.env["CI"] === undefined && spawnSync("/usr/bin/python3", ["-c", "import Pyro4"]).status !== 0) return;
    py = await startPython("ns_and_service.py", []);
    nsPort = Number(py.first["ns_port"]);
  });
  after(() => py?.stop());

  it("ns list, lookup, register and ping work against Python's name server", (t) => {
    if (!requirePeers(t, "pyro4")) return;
    const ns = (...args: string[]) => cli("ns", "-n", "127.0.0.1", "-p", String(nsPort), ...args);
    assert.match(ns("ping").stdout, /ping ok/);
    const list = JSON.parse(ns("list", "--json").stdout) as Record<string, string>;
    assert.equal(list["py.example.service"], String(py!.first["uri"]));
    assert.deepEqual(Object.keys(JSON.parse(ns("list", "--meta-all", "example", "--json").stdout) as object), ["py.example.service"]);
    assert.equal(ns("register", "ts.thing", "PYRO:obj_9@127.0.0.1:5999", "--meta", "ts").status, 0);
    assert.deepEqual(JSON.parse(ns("lookup", "ts.thing", "--json").stdout), { uri: "PYRO:obj_9@127.0.0.1:5999", metadata: ["ts"] });
    assert.match(ns("remove", "ts.thing").stdout, /Removed 1 registration/);
  });

  it("call reaches a Python daemon through PYRONAME:, with keyword arguments, and reports a Python exception with exit 1", (t) => {
    if (!requirePeers(t, "pyro4")) return;
    const url = `PYRONAME:py.example.service@127.0.0.1:${nsPort}`;
    const r = cli("call", url, "get_data", "Hello");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout), "You got remote data => Hello");
    const kw = cli("call", url, "kw", "1", "--kwarg", "b=2", "--kwarg", 'c="x"');
    assert.equal(kw.status, 0, kw.stderr);
    assert.deepEqual(JSON.parse(kw.stdout), { a: 1, b: 2, rest: { c: "x" } });
    const err = cli("call", url, "raise_value_error", "oops");
    assert.equal(err.status, 1);
    assert.match(err.stderr, /remote error: (builtins\.)?ValueError: oops/);
    const meta = cli("call", `PYROMETA:example@127.0.0.1:${nsPort}`, "get_data", "meta");
    assert.equal(JSON.parse(meta.stdout), "You got remote data => meta");
  });
});
