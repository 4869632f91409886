import { test } from "node:test";
import assert from "node:assert/strict";
import { requirePeers } from "../../helpers/peers.js";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy, type PyroProxyOptions } from "../../../src/protocols/pyro4/proxy.js";
import { startNameServer } from "../../../src/protocols/pyro4/nameserver.js";
import { locateNS, type LocateNSOptions } from "../../../src/protocols/pyro4/naming.js";
import { formatUri } from "../../../src/protocols/pyro4/uri.js";
import { closedTcpPort, TestService } from "../../integration/pyro4/support.js";
import { runPython, startPython } from "./helpers.js";

// "0.0.0.0" is the part of Pyro4's default BROADCAST_ADDRS ("<broadcast>, 0.0.0.0") that reaches this host's
// loopback-bound sockets; "<broadcast>" (255.255.255.255) only reaches sockets bound to all interfaces.
for (const addrs of ["127.0.0.1", "0.0.0.0"]) {
  test(`Python's Pyro4.locateNS() finds our name server by broadcast (BROADCAST_ADDRS=${addrs})`, async (t) => {
    if (!requirePeers(t, "pyro4")) return;
    const ns = await startNameServer({ host: "127.0.0.1", port: 0, bcPort: 0 });
    const daemon = new PyroDaemon({ host: "127.0.0.1" });
    await daemon.listen();
    daemon.register(new TestService(), "svc");
    ns.nameserver.register("ts.service", daemon.uriFor("svc"), false, new Set(["ts"]));
    t.after(async () => {
      await daemon.close();
      await ns.close();
    });
    const { lines, stderr } = await runPython("ns_broadcast.py", ["locate", String(ns.broadcastPort), String(await closedTcpPort()), addrs]);
    const located = lines.find((l) => l.name === "located");
    assert.ok(located, `not located; stderr: ${stderr}`);
    assert.equal(located.detail, `'${ns.uri}'`);
    for (const n of ["ping", "lookup", "pyroname_call", "done"]) assert.ok(lines.some((l) => l.name === n), `missing ${n}; stderr: ${stderr}`);
    assert.deepEqual(lines.filter((l) => !l.ok), []);
    assert.ok(ns.broadcast!.answered >= 2, "one answer for locateNS, one for the PYRONAME resolution");
  });
}

test("our locateNS() and PYRONAME find Python's name server through its BroadcastServer", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const py = await startPython("ns_broadcast.py", ["serve"]);
  t.after(() => py.stop());
  const pyUri = String(py.first["uri"]);
  const bcPort = Number(py.first["bcport"]);
  assert.match(pyUri, /^PYRO:Pyro\.NameServer@127\.0\.0\.1:\d+$/);
  assert.ok(bcPort > 0);
  const daemon = new PyroDaemon({ host: "127.0.0.1" });
  await daemon.listen();
  daemon.register(new TestService(), "svc");
  t.after(() => daemon.close());
  const nsPort = await closedTcpPort();
  for (const broadcastAddrs of [["127.0.0.1"], "0.0.0.0"]) {
    const opts: LocateNSOptions = { nsHost: "127.0.0.1", nsPort, bcPort, broadcastAddrs, broadcastTimeoutMs: 500 };
    const client = await locateNS(undefined, undefined, opts);
    try {
      assert.equal(formatUri(client.proxy.uri), pyUri);
      assert.equal(await client.lookup("py.service"), "PYRO:py.svc@127.0.0.1:1234");
      await client.register("ts.service", daemon.uriFor("svc"));
      assert.equal(await client.count(), 3);
    } finally {
      await client.close();
    }
    const proxyOptions: PyroProxyOptions = opts;
    const byName = new PyroProxy("PYRONAME:ts.service", proxyOptions);
    try {
      assert.equal(await byName.invoke("get_data", ["via Python's NS"]), "You got remote data => via Python's NS");
    } finally {
      await byName.close();
    }
  }
});
