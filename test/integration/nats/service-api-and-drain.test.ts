/**
 * The NATS service API ("micro") as standard tooling sees it, asked with
 * the bare NATS client: $SRV.PING / INFO / STATS (and their .<name> and
 * .<name>.<id> forms), the response types, endpoints with subject and queue
 * group, per-endpoint counters, and handler errors with the
 * Nats-Service-Error headers. Then draining: destroy() lets the calls in
 * flight finish and answer, takes no new ones, and only then closes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { CommunicationError, RemoteInvocationError } from "../../../src/index.js";
import { NatsProxyFactory, NatsServiceExporter } from "../../../src/protocols/nats/index.js";
import { natsMissing, startNatsServer, type NatsServerHandle } from "../../helpers/nats-server.js";

class Counter {
  n = 0;
  finished = 0;
  inc(): number {
    return ++this.n;
  }
  boom(): never {
    throw Object.assign(new Error("it broke\r\nbadly"), { name: "KeyError" });
  }
  async slow(ms: number): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
    this.finished++;
    return ms;
  }
}

async function collect(nc: NatsConnection, subject: string, ms = 400): Promise<Array<Record<string, unknown>>> {
  const inbox = `_INBOX.test${Math.random().toString(36).slice(2)}`;
  const out: Array<Record<string, unknown>> = [];
  const sub = nc.subscribe(inbox, {
    callback: (_e, m) => {
      out.push(m.json<Record<string, unknown>>());
    },
  });
  nc.publish(subject, "", { reply: inbox });
  await new Promise((r) => setTimeout(r, ms));
  sub.unsubscribe();
  return out;
}

describe("NATS: the service API ($SRV) and draining", { skip: natsMissing() }, () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  const a = new NatsServiceExporter({ service: new Counter(), serviceName: "Counter", serviceVersion: "2.1.0", description: "counts", metadata: { team: "core" } });
  const b = new NatsServiceExporter({ service: new Counter(), serviceName: "Counter", serviceVersion: "2.1.0" });

  before(async () => {
    server = await startNatsServer();
    for (const e of [a, b]) {
      e.servers = [server.hostPort];
      await e.afterPropertiesSet();
    }
    nc = await connect({ servers: server.hostPort });
  });
  after(async () => {
    await nc?.close();
    await a.destroy();
    await b.destroy();
    await server?.stop();
  });

  it("$SRV.PING, $SRV.PING.<name> and $SRV.PING.<name>.<id> are answered by every instance, by name, by id", async () => {
    const all = await collect(nc, "$SRV.PING");
    const ours = all.filter((r) => r["name"] === "Counter");
    assert.equal(ours.length, 2);
    for (const r of ours) {
      assert.equal(r["type"], "io.nats.micro.v1.ping_response");
      assert.equal(r["version"], "2.1.0");
      assert.match(String(r["id"]), /^[A-Za-z0-9]+$/);
    }
    assert.deepEqual(new Set(ours.map((r) => r["id"])), new Set([a.instanceId, b.instanceId]));
    assert.equal((await collect(nc, "$SRV.PING.Counter")).length, 2);
    const one = await collect(nc, `$SRV.PING.Counter.${a.instanceId!}`);
    assert.equal(one.length, 1);
    assert.equal(one[0]!["id"], a.instanceId);
  });

  it("$SRV.INFO: name, id, version, description, metadata, endpoints with subject and queue group", async () => {
    const [info] = await collect(nc, `$SRV.INFO.Counter.${a.instanceId!}`);
    assert.ok(info);
    assert.equal(info["type"], "io.nats.micro.v1.info_response");
    assert.equal(info["name"], "Counter");
    assert.equal(info["description"], "counts");
    const md = info["metadata"] as Record<string, string>;
    assert.equal(md["team"], "core");
    assert.equal(md["remoting.subject"], "remoting.Counter");
    assert.equal(md["remoting.instance_subject"], `remoting.Counter.${a.instanceId!}`);
    assert.deepEqual(
      (info["endpoints"] as Array<Record<string, unknown>>).map((e) => [e["name"], e["subject"], e["queue_group"]]),
      [
        ["call", "remoting.Counter", "Counter"],
        ["instance", `remoting.Counter.${a.instanceId!}`, ""],
      ],
    );
  });

  it("$SRV.STATS counts requests, errors, the last error and processing time per endpoint; errors carry Nats-Service-Error headers", async () => {
    const f = new NatsProxyFactory(a.instanceUrl!);
    try {
      assert.equal(await f.inc(), 1);
      assert.equal(await f.inc(), 2);
      await assert.rejects(f.boom(), (err: unknown) => err instanceof RemoteInvocationError && err.remoteType === "KeyError");
    } finally {
      await f.close();
    }
    // a bare NATS request sees the service error as micro clients do
    const m = await nc.request(`remoting.Counter.${a.instanceId!}`, JSON.stringify({ object: "x", method: "boom", params: [], kwargs: {} }), { timeout: 2000 });
    assert.equal(m.headers?.get("Nats-Service-Error"), "it broke badly");
    assert.equal(m.headers?.get("Nats-Service-Error-Code"), "500");
    assert.equal(m.headers?.get("remoting-error-type"), "builtins.KeyError");
    const [stats] = await collect(nc, `$SRV.STATS.Counter.${a.instanceId!}`);
    assert.ok(stats);
    assert.equal(stats["type"], "io.nats.micro.v1.stats_response");
    assert.ok(!Number.isNaN(Date.parse(String(stats["started"]))));
    const inst = (stats["endpoints"] as Array<Record<string, unknown>>).find((e) => e["name"] === "instance")!;
    assert.equal(inst["num_requests"], 4);
    assert.equal(inst["num_errors"], 2);
    assert.equal(inst["last_error"], "500:it broke\r\nbadly");
    assert.ok((inst["processing_time"] as number) > 0);
    assert.equal(inst["average_processing_time"], Math.round((inst["processing_time"] as number) / 4));
    const call = (stats["endpoints"] as Array<Record<string, unknown>>).find((e) => e["name"] === "call")!;
    assert.equal(call["num_requests"], 0);
  });

  it("destroy() drains: calls in flight finish and answer, new calls go to the other instance, then the connection closes", async () => {
    const svc = new Counter();
    const leaving = new NatsServiceExporter({ service: svc, serviceName: "Drainer", servers: server.hostPort });
    const staying = new NatsServiceExporter({ service: new Counter(), serviceName: "Drainer", servers: server.hostPort });
    await leaving.afterPropertiesSet();
    const f = new NatsProxyFactory(leaving.instanceUrl!);
    const g = new NatsProxyFactory(leaving.url!);
    try {
      const inFlight = [f.slow(400), f.slow(500)];
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(leaving.callsInFlight, 2);
      await staying.afterPropertiesSet();
      const t0 = Date.now();
      const stopping = leaving.destroy();
      // while it drains, the queue group's calls go to the one that stays
      assert.equal(await g.inc(), 1);
      assert.deepEqual(await Promise.all(inFlight), [400, 500]);
      await stopping;
      assert.ok(Date.now() - t0 >= 300, "destroy() returned before its calls finished");
      assert.equal(svc.finished, 2);
      // gone: its instance subject has no responder any more
      await assert.rejects(f.inc(), (err: unknown) => err instanceof CommunicationError && err.phase === "connect" && /no responders/.test(err.message));
    } finally {
      await f.close();
      await g.close();
      await leaving.destroy();
      await staying.destroy();
    }
  });

  it("an exporter whose NATS server is gone closes at once instead of waiting to drain", async () => {
    const lonely = await startNatsServer();
    const e = new NatsServiceExporter({ service: new Counter(), serviceName: "Lonely", servers: lonely.hostPort, drainTimeoutMs: "20s" });
    await e.afterPropertiesSet();
    await lonely.kill();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await e.destroy();
    assert.ok(Date.now() - t0 < 2000, `destroy took ${Date.now() - t0} ms`);
    assert.equal(e.url, undefined);
  });

  it("drainTimeoutMs bounds the wait for calls that do not finish", async () => {
    const e = new NatsServiceExporter({ service: new Counter(), serviceName: "Stuck", servers: server.hostPort, drainTimeoutMs: "300ms" });
    await e.afterPropertiesSet();
    const f = new NatsProxyFactory(e.url!, { timeoutMs: "1500ms" });
    try {
      const call = f.slow(3000).catch((err: unknown) => err);
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      await e.destroy();
      const took = Date.now() - t0;
      assert.ok(took >= 250 && took < 2000, `destroy took ${took} ms`);
      // the reply can no longer come: the caller's deadline decides
      assert.ok((await call) instanceof CommunicationError);
    } finally {
      await f.close();
    }
  });
});
