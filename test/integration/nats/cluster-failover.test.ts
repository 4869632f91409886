/**
 * A 3-node NATS cluster (three nats-server processes with cluster routes)
 * loses one node (SIGKILL) during a bounded load: no call fails.
 *
 * Why idempotent calls and the retry policy: when a node dies, the calls
 * in flight through it are lost with it. A client connected to the dead
 * node sees its connection drop (ConnectionClosedError, phase reply); a
 * request that was on its way to, or being answered by, an exporter
 * connected to the dead node simply never gets a reply (the attempt limit,
 * attemptTimeoutMs, turns that into a CommunicationError of phase reply).
 * Either way the request may have run, so only a call marked idempotent
 * may be sent again; the retry policy then re-sends it through a live node
 * (clients connect anew to another server of the URL's list, exporters
 * reconnect and subscribe again). A non-idempotent call would fail instead:
 * that is the retry safety rule of the core, not a NATS limitation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NatsProxyFactory, NatsServiceExporter } from "../../../src/protocols/nats/index.js";
import { requirePeers } from "../../helpers/peers.js";
import { startNatsCluster } from "../../helpers/nats-server.js";

class Square {
  constructor(readonly label: string) {}
  async square(x: number): Promise<{ by: string; y: number }> {
    await new Promise((r) => setTimeout(r, 2));
    return { by: this.label, y: x * x };
  }
}

describe("NATS: a 3-node cluster loses a node", () => {
  it("during a bounded load no call fails (idempotent calls, retry policy, attemptTimeoutMs)", async (t) => {
    if (!requirePeers(t, "nats-server")) return;
    const cluster = await startNatsCluster(3);
    const all = cluster.hostPorts;
    // node i first in each list, in that order: exporter i and client i start on node i
    const order = (i: number): string[] => [all[i]!, ...all.filter((_, j) => j !== i)];
    const exporters = [0, 1, 2].map(
      (i) => new NatsServiceExporter({ service: new Square(`E${i}`), serviceName: "Square", servers: order(i), randomizeServers: "false", reconnectTimeWaitMs: "100ms" }),
    );
    const clients = [0, 1, 2].map(
      (i) =>
        new NatsProxyFactory(`nats://${order(i).join(",")}/remoting.Square`, {
          randomizeServers: "false",
          timeoutMs: "20s",
          attemptTimeoutMs: "1500ms",
          retryAttempts: "12",
          retryInitialBackoffMs: "50ms",
          retryMaxBackoffMs: "500ms",
          idempotentMethods: "square",
        }),
    );
    try {
      for (const e of exporters) await e.afterPropertiesSet();
      // the queue group's interest reaches every node through the routes
      for (const c of clients) {
        const until = Date.now() + 10_000;
        const seen = new Set<string>();
        while (seen.size < 3 && Date.now() < until) seen.add(((await c.square(2)) as { by: string }).by);
      }
      const results: Array<{ by: string; y: number }> = [];
      const failures: unknown[] = [];
      const stopAt = Date.now() + 6000;
      let n = 0;
      let killedAt = 0;
      const worker = async (c: NatsProxyFactory): Promise<void> => {
        while (Date.now() < stopAt && n < 30_000) {
          const x = n++;
          try {
            const r = (await c.square(x)) as { by: string; y: number };
            assert.equal(r.y, x * x);
            results.push(r);
          } catch (err) {
            failures.push(err);
          }
        }
      };
      const killer = (async (): Promise<void> => {
        await new Promise((r) => setTimeout(r, 1500));
        killedAt = results.length;
        await cluster.nodes[0]!.kill();
      })();
      await Promise.all([...clients.flatMap((c) => Array.from({ length: 6 }, () => worker(c))), killer]);
      assert.deepEqual(failures.map(String), [], "calls failed while a node died");
      assert.ok(killedAt > 50, `only ${killedAt} calls before the kill`);
      const after = results.slice(killedAt);
      assert.ok(after.length > 100, `only ${after.length} calls after the kill`);
      // the exporter whose node died reconnected to another node and took calls again
      assert.ok(after.slice(-Math.floor(after.length / 2)).some((r) => r.by === "E0"), "E0 took no calls after reconnecting");
    } finally {
      for (const c of clients) await c.close();
      for (const e of exporters) await e.destroy();
      await cluster.stop();
    }
  });
});
