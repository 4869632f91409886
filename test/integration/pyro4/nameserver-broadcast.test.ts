import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { setTimeout as sleep } from "node:timers/promises";
import { Command } from "commander";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy, type PyroProxyOptions } from "../../../src/protocols/pyro4/proxy.js";
import { startNameServer } from "../../../src/protocols/pyro4/nameserver.js";
import { locateNS, type LocateNSOptions } from "../../../src/protocols/pyro4/naming.js";
import { BroadcastResponder, discoverNameServer, parseBroadcastAddrs } from "../../../src/protocols/pyro4/broadcast.js";
import { installPyroCommands } from "../../../src/protocols/pyro4/cli.js";
import { formatUri } from "../../../src/protocols/pyro4/uri.js";
import { ErrorCodes, NamingError, RemotingError } from "../../../src/core/errors.js";
import { closedTcpPort, TestService } from "./support.js";

async function udpSocket(t: { after: (fn: () => Promise<void>) => void }, port = 0, reuseAddr = false): Promise<Socket> {
  const s = createSocket({ type: "udp4", reuseAddr });
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.bind(port, "127.0.0.1", () => resolve());
  });
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

/** Sends one datagram and collects replies for `waitMs`. */
async function ask(client: Socket, port: number, data: Buffer | string, waitMs: number): Promise<string[]> {
  const got: string[] = [];
  const onMessage = (m: Buffer): void => {
    got.push(m.toString("latin1"));
  };
  client.on("message", onMessage);
  client.send(data, port, "127.0.0.1");
  await sleep(waitMs);
  client.off("message", onMessage);
  return got;
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(5);
}

test("the name server's responder answers GET_NSURI with the PYRO URI of the name server, exactly", async (t) => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, bcPort: 0 });
  t.after(() => ns.close());
  assert.ok(ns.broadcast);
  assert.equal(ns.broadcastPort, ns.broadcast.port);
  assert.notEqual(ns.broadcastPort, 0, "an ephemeral port is reported");
  assert.equal(ns.broadcast.host, "127.0.0.1", "bound to the name server's address");
  assert.equal(ns.broadcast.location, `127.0.0.1:${ns.broadcastPort}`);
  const client = await udpSocket(t);
  const replies = await ask(client, ns.broadcastPort!, "GET_NSURI", 150);
  assert.deepEqual(replies, [`PYRO:Pyro.NameServer@127.0.0.1:${ns.daemon.port}`]);
  assert.equal(replies[0], ns.uri);
  assert.equal(ns.broadcast.answered, 1);
});

test("bad datagrams get no answer, are counted, and do not stop the responder", async (t) => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, bcPort: 0 });
  t.after(() => ns.close());
  const bc = ns.broadcast!;
  const client = await udpSocket(t);
  const bad = [Buffer.from("get_nsuri"), Buffer.from("GET_NSURI\n"), Buffer.from("GET_NSUR"), Buffer.concat([Buffer.from("GET_NSURI"), Buffer.alloc(200, 0x41)]), Buffer.alloc(0), Buffer.alloc(8000, 0xff)];
  for (const b of bad) assert.deepEqual(await ask(client, bc.port, b, 20), [], `no reply to ${JSON.stringify(b.subarray(0, 12).toString("latin1"))}`);
  await waitFor(() => bc.ignored === bad.length);
  assert.equal(bc.ignored, bad.length);
  assert.equal(bc.answered, 0);
  assert.deepEqual(await ask(client, bc.port, "GET_NSURI", 150), [ns.uri], "still answering");
});

test("the responder limits its replies per second", async (t) => {
  const daemon = new PyroDaemon({ host: "127.0.0.1" });
  await daemon.listen();
  t.after(() => daemon.close());
  const bc = await BroadcastResponder.start(daemon.uriFor("Pyro.NameServer"), { host: "127.0.0.1", port: 0, maxRepliesPerSecond: 2 });
  t.after(() => bc.close());
  const client = await udpSocket(t);
  const got: string[] = [];
  client.on("message", (m) => got.push(m.toString()));
  for (let i = 0; i < 5; i++) client.send("GET_NSURI", bc.port, "127.0.0.1");
  await waitFor(() => bc.answered + bc.ignored === 5);
  await sleep(50);
  assert.equal(bc.answered, 2);
  assert.equal(bc.ignored, 3);
  assert.equal(got.length, 2);
});

test("broadcast: false starts no responder; closing the name server closes the responder", async (t) => {
  const off = await startNameServer({ host: "127.0.0.1", port: 0, broadcast: false });
  t.after(() => off.close());
  assert.equal(off.broadcast, null);
  assert.equal(off.broadcastPort, null);
  // as in Pyro4, a loopback name server starts none unless a bcPort or bcHost is given
  const loop = await startNameServer({ host: "127.0.0.1", port: 0 });
  t.after(() => loop.close());
  assert.equal(loop.broadcast, null);

  const ns = await startNameServer({ host: "127.0.0.1", port: 0, bcPort: 0 });
  const port = ns.broadcastPort!;
  const client = await udpSocket(t);
  assert.equal((await ask(client, port, "GET_NSURI", 150)).length, 1);
  await ns.close();
  assert.deepEqual(await ask(client, port, "GET_NSURI", 100), [], "no answer after close");
  // the port is free again: bind it without SO_REUSEADDR
  await udpSocket(t, port, false);
});

test("an explicit broadcast port that is taken is an error and leaves no TCP listener behind", async (t) => {
  const taken = await udpSocket(t, 0, false);
  const bcPort = taken.address().port;
  const tcpPort = await closedTcpPort();
  await assert.rejects(startNameServer({ host: "127.0.0.1", port: tcpPort, bcPort }), (e: unknown) => e instanceof RemotingError && e.code === ErrorCodes.ERR_ADDRESS_IN_USE && /broadcast port/.test(e.message));
  const again = await startNameServer({ host: "127.0.0.1", port: tcpPort, broadcast: false });
  await again.close();
});

test("locateNS() without a host finds a name server by broadcast (unicast 127.0.0.1 and 0.0.0.0 addresses)", async (t) => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, bcPort: 0 });
  t.after(() => ns.close());
  const closed = await closedTcpPort();
  for (const broadcastAddrs of [["127.0.0.1"], "0.0.0.0", "<broadcast>, 0.0.0.0"]) {
    const opts: LocateNSOptions = { nsHost: "127.0.0.1", nsPort: closed, bcPort: ns.broadcastPort!, broadcastAddrs, broadcastTimeoutMs: 300 };
    const client = await locateNS(undefined, undefined, opts);
    try {
      assert.equal(formatUri(client.proxy.uri), ns.uri, JSON.stringify(broadcastAddrs));
      assert.equal(await client.count(), 1);
    } finally {
      await client.close();
    }
  }
  // the `port` argument is the broadcast port when no bcPort is given, as in Pyro4
  const byPortArg = await locateNS(null, ns.broadcastPort, { nsHost: "127.0.0.1", broadcastAddrs: ["127.0.0.1"], broadcastTimeoutMs: 300 });
  assert.equal(formatUri(byPortArg.proxy.uri), ns.uri);
  await byPortArg.close();
});

test("locateNS() tries a loopback nsHost directly before broadcasting", async (t) => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, broadcast: false });
  t.after(() => ns.close());
  // a UDP socket that counts requests and never answers
  const silent = await udpSocket(t);
  let requests = 0;
  silent.on("message", () => requests++);
  const started = Date.now();
  const client = await locateNS(undefined, undefined, { nsHost: "127.0.0.1", nsPort: ns.daemon.port!, bcPort: silent.address().port, broadcastAddrs: ["127.0.0.1"] });
  await client.close();
  assert.equal(formatUri(client.proxy.uri), ns.uri);
  assert.ok(Date.now() - started < 600, "found without waiting for a broadcast reply");
  await sleep(30);
  assert.equal(requests, 0, "no broadcast was sent");
});

test("nothing answering: NamingError after `broadcastRetries` tries of `broadcastTimeoutMs`, naming every place tried", async (t) => {
  const silent = await udpSocket(t);
  let requests = 0;
  silent.on("message", (m) => {
    assert.equal(m.toString("latin1"), "GET_NSURI");
    requests++;
  });
  const closed = await closedTcpPort();
  const started = Date.now();
  await assert.rejects(
    locateNS(undefined, undefined, { nsHost: "127.0.0.1", nsPort: closed, bcPort: silent.address().port, broadcastAddrs: "127.0.0.1", broadcastTimeoutMs: 100, broadcastRetries: 2 }),
    (e: unknown) => {
      assert.ok(e instanceof NamingError, String(e));
      assert.equal(e.code, ErrorCodes.ERR_NAMING);
      assert.match(e.message, /^Failed to locate the nameserver: tried /);
      assert.ok(e.message.includes(`127.0.0.1:${closed} (`), e.message);
      assert.ok(e.message.includes(`broadcast to 127.0.0.1 port ${silent.address().port} (no reply in 2 tries)`), e.message);
      return true;
    },
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 2000, `elapsed ${elapsed} ms`);
  assert.equal(requests, 2, "one request per try and address");

  // broadcast off: only the direct connection is tried
  const t0 = Date.now();
  await assert.rejects(locateNS(undefined, undefined, { nsHost: "127.0.0.1", nsPort: closed, broadcast: false }), (e: unknown) => e instanceof NamingError && !/broadcast/.test(e.message));
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(requests, 2);
});

test("discovery ignores replies that are not a name server URI and takes the first good one", async (t) => {
  const fake = await udpSocket(t);
  let replies = ["not a uri", "PYRONAME:foo", "PYRO:Pyro.NameServer", "x".repeat(150), "PYRO:Pyro.NameServer@127.0.0.1:1234"];
  fake.on("message", (_m, r) => {
    for (const text of replies) fake.send(text, r.port, r.address);
  });
  const found = await discoverNameServer({ port: fake.address().port, addrs: ["127.0.0.1"], timeoutMs: 300, retries: 1 });
  assert.equal(found, "PYRO:Pyro.NameServer@127.0.0.1:1234");
  replies = ["garbage only"];
  assert.equal(await discoverNameServer({ port: fake.address().port, addrs: ["127.0.0.1"], timeoutMs: 80, retries: 2 }), null);
  assert.equal(await discoverNameServer({ port: 0 }), null, "port 0 is never asked");
});

test("broadcast address lists parse like Pyro4's BROADCAST_ADDRS", () => {
  assert.deepEqual(parseBroadcastAddrs("<broadcast>, 0.0.0.0"), ["255.255.255.255", "0.0.0.0"]);
  assert.deepEqual(parseBroadcastAddrs(" 127.0.0.1 ,, 127.0.0.1"), ["127.0.0.1", "0.0.0.0"]);
  assert.deepEqual(parseBroadcastAddrs(["192.168.1.255"]), ["192.168.1.255"]);
});

test("PYRONAME: and PYROMETA: URIs without a host resolve through a name server found by broadcast", async (t) => {
  const ns = await startNameServer({ host: "127.0.0.1", port: 0, bcPort: 0 });
  const daemon = new PyroDaemon({ host: "127.0.0.1" });
  await daemon.listen();
  daemon.register(new TestService(), "svc");
  ns.nameserver.register("bc.service", daemon.uriFor("svc"), false, new Set(["bc-tag"]));
  const opts: LocateNSOptions = { nsHost: "127.0.0.1", nsPort: await closedTcpPort(), bcPort: ns.broadcastPort!, broadcastAddrs: ["127.0.0.1"], broadcastTimeoutMs: 300 };
  const proxyOptions: PyroProxyOptions = opts;
  const byName = new PyroProxy("PYRONAME:bc.service", proxyOptions);
  const byMeta = new PyroProxy("PYROMETA:bc-tag", proxyOptions);
  const missing = new PyroProxy("PYRONAME:bc.none", proxyOptions);
  t.after(async () => {
    await byName.close();
    await byMeta.close();
    await missing.close();
    await daemon.close();
    await ns.close();
  });
  assert.equal(await byName.invoke("get_data", ["by broadcast"]), "You got remote data => by broadcast");
  assert.equal(await byMeta.invoke("add", [2, 3]), 5);
  await assert.rejects(missing.invoke("echo", [1]), (e: unknown) => e instanceof NamingError && /unknown name/.test(e.message));
});

test("`remoting ns --bcport 0` prints the bound broadcast port and answers discovery; -x turns it off", async () => {
  for (const extra of [["--bcport", "0"], ["-x"]]) {
    const out: string[] = [];
    const program = new Command().exitOverride();
    installPyroCommands(program, { out: (s) => out.push(s), err: (s) => out.push(s) });
    const running = program.parseAsync(["node", "remoting", "ns", "-n", "127.0.0.1", "-p", "0", ...extra]);
    try {
      await waitFor(() => out.some((l) => l.startsWith("URI = ")), 5000);
      const nsLine = out.find((l) => l.startsWith("NS running on "));
      assert.ok(nsLine, out.join("\n"));
      if (extra[0] === "-x") {
        assert.match(nsLine, /^NS running on 127\.0\.0\.1:\d+ \(no broadcast server\)$/);
        assert.ok(!out.some((l) => l.startsWith("Broadcast server running")));
        continue;
      }
      const m = /^NS running on 127\.0\.0\.1:\d+ \(broadcast port (\d+)\)$/.exec(nsLine);
      assert.ok(m, nsLine);
      const bcPort = Number(m[1]);
      assert.ok(bcPort > 0);
      assert.ok(out.includes(`Broadcast server running on 127.0.0.1:${bcPort}`), out.join("\n"));
      const uri = out.find((l) => l.startsWith("URI = "))!.slice(6);
      const client = await locateNS(undefined, undefined, { nsHost: "127.0.0.1", nsPort: await closedTcpPort(), bcPort, broadcastAddrs: ["127.0.0.1"], broadcastTimeoutMs: 300 });
      assert.equal(formatUri(client.proxy.uri), uri);
      await client.close();
    } finally {
      process.emit("SIGTERM");
      await running;
    }
  }
});

test("a name server URI on 0.0.0.0 is answered with the interface address that reaches the requester", async (t) => {
  const bc = await BroadcastResponder.start("PYRO:Pyro.NameServer@0.0.0.0:4321", { host: "127.0.0.1", port: 0 });
  t.after(() => bc.close());
  const client = await udpSocket(t);
  assert.deepEqual(await ask(client, bc.port, "GET_NSURI", 150), ["PYRO:Pyro.NameServer@127.0.0.1:4321"]);
  await assert.rejects(BroadcastResponder.start("PYRONAME:x", { port: 0 }), (e: unknown) => e instanceof RemotingError && e.code === ErrorCodes.ERR_INVALID_ARGUMENT);
  await assert.rejects(startNameServer({ host: "127.0.0.1", port: 0, bcPort: 70000 }), (e: unknown) => e instanceof RemotingError && e.code === ErrorCodes.ERR_INVALID_ARGUMENT);
});

test("discovery stops early when its signal aborts", async () => {
  const ac = new AbortController();
  const started = Date.now();
  setTimeout(() => ac.abort(), 50);
  assert.equal(await discoverNameServer({ port: await closedTcpPort(), addrs: ["127.0.0.1"], timeoutMs: 5000, retries: 3, signal: ac.signal }), null);
  assert.ok(Date.now() - started < 1000);
});

test("no responder for a name server on IPv6 unless bcHost is given", async (t) => {
  let ns;
  try {
    ns = await startNameServer({ host: "::1", port: 0, bcPort: 0 });
  } catch {
    t.skip("no IPv6 loopback here");
    return;
  }
  t.after(() => ns.close());
  assert.equal(ns.broadcast, null);
  const withHost = await startNameServer({ host: "::1", port: 0, bcPort: 0, bcHost: "127.0.0.1" });
  t.after(() => withHost.close());
  const client = await udpSocket(t);
  assert.deepEqual(await ask(client, withHost.broadcastPort!, "GET_NSURI", 150), [`PYRO:Pyro.NameServer@[::1]:${withHost.daemon.port}`]);
});
