/**
 * A client that pipelines frames answered at once (requests that fail to
 * decode, pings, calls of plain methods) gets them handled a bounded number
 * per turn of the event loop: it cannot hold the daemon for the time its
 * whole read takes, so other clients keep being served while it floods.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { encodeMessage, MSG_INVOKE, MSG_PING } from "../../../src/protocols/pyro4/message.js";
import { handshaken, serpent, until } from "./hostile-support.js";

class Service {
  echo(x: unknown): unknown {
    return x;
  }
}

const FLOODERS = 4;
const FRAMES = 40_000;

test("a flood of pipelined frames answered at once is served a bounded number per turn; another client is answered meanwhile", async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1" });
  await d.listen();
  d.register(new Service(), "svc");
  const proxy = new PyroProxy(d.uriFor("svc"), { timeoutMs: 30_000 });
  const flooders = await Promise.all(Array.from({ length: FLOODERS }, () => handshaken(d.port!)));
  t.after(async () => {
    for (const c of flooders) c.s.destroy();
    await proxy.close();
    await d.close();
  });
  await proxy.invoke("echo", ["warm"]);
  // three kinds of frame a daemon answers without waiting: a payload that does not decode, a ping, a plain method
  const bad = encodeMessage(MSG_INVOKE, Buffer.from("x"), { seq: 1, serializerId: 1 });
  const ping = encodeMessage(MSG_PING, Buffer.from("ping"), { seq: 2, serializerId: 1 });
  const call = encodeMessage(MSG_INVOKE, serpent.dumpsCall("svc", "echo", [1], {}), { seq: 3, serializerId: 1 });
  const flood = Buffer.concat(Array.from({ length: FRAMES }, (_, k) => (k % 3 === 0 ? bad : k % 3 === 1 ? ping : call)));
  let answered = 0;
  for (const c of flooders) c.s.on("data", (chunk: Buffer) => (answered += chunk.length));
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  for (const c of flooders) c.s.write(flood);
  // calls of another client while the flood is served
  const latencies: number[] = [];
  const floodEnd = Date.now() + 60_000;
  while (answered < FLOODERS * flood.length * 0.5 && Date.now() < floodEnd && latencies.length < 1000) {
    const t0 = performance.now();
    assert.equal(await proxy.invoke("echo", [latencies.length]), latencies.length);
    latencies.push(performance.now() - t0);
  }
  delay.disable();
  assert.ok(await until(() => flooders.every((c) => !c.isClosed()), 100), "the flooders are answered, not dropped");
  const maxDelayMs = delay.max / 1e6;
  latencies.sort((a, b) => a - b);
  const worst = latencies[latencies.length - 1] ?? Infinity;
  t.diagnostic(`${latencies.length} calls during the flood, worst ${worst.toFixed(1)} ms; event loop held at most ${maxDelayMs.toFixed(1)} ms`);
  assert.ok(latencies.length >= 5, `only ${latencies.length} calls were answered while the flood was served`);
  assert.ok(maxDelayMs < 250, `the event loop was held ${maxDelayMs.toFixed(0)} ms at once`);
});
