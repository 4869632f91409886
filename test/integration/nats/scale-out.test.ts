/**
 * Scaling out over NATS: exporters in separate processes share a service's
 * calls through the queue group; exporters join and leave during a bounded
 * load without a failed call (leaving ones drain); the HA factory with
 * discovery="nats://..." lists the running instances and its calls reach
 * each of them.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HighAvailabilityProxyFactory } from "../../../src/index.js";
import { NatsProxyFactory, NatsServiceExporter } from "../../../src/protocols/nats/index.js";
import { natsMissing, startNatsServer, type NatsServerHandle } from "../../helpers/nats-server.js";

const SCRIPT = join(import.meta.dirname, "exporter-process.ts");

interface ExporterProcess {
  readonly label: string;
  readonly instanceId: string;
  readonly child: ChildProcess;
  /** SIGTERM (the exporter drains), then waits for exit code 0. */
  stop(): Promise<number | null>;
}

async function spawnExporter(servers: string, service: string, label: string): Promise<ExporterProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, servers, service, label], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const instanceId = await new Promise<string>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`exporter ${label} did not start: ${err}`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`exporter ${label} exited with ${code}: ${err}`)));
  });
  return {
    label,
    instanceId,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      const k = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(k);
      return code;
    },
  };
}

/** Runs `call` with `inFlight` loops until `until()` says stop, at most `maxMs` and `maxCalls`; returns every outcome. */
async function load<T>(call: (i: number) => Promise<T>, o: { inFlight: number; maxMs: number; maxCalls: number; until?: () => boolean }): Promise<{ ok: T[]; failed: unknown[] }> {
  const ok: T[] = [];
  const failed: unknown[] = [];
  const end = Date.now() + o.maxMs;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end && n < o.maxCalls && !(o.until?.() ?? false)) {
      const i = n++;
      try {
        ok.push(await call(i));
      } catch (err) {
        failed.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: o.inFlight }, worker));
  return { ok, failed };
}

describe("NATS: scale-out", { skip: natsMissing() }, () => {
  let server: NatsServerHandle;
  before(async () => {
    server = await startNatsServer();
  });
  after(() => server?.stop());

  it("two exporter processes share the calls of one service (both take calls)", async () => {
    const a = await spawnExporter(server.hostPort, "Shared", "A");
    const b = await spawnExporter(server.hostPort, "Shared", "B");
    const f = new NatsProxyFactory(`nats://${server.hostPort}/remoting.Shared`, { timeoutMs: "5s" });
    try {
      const r = await load((i) => f.work(i, 2) as Promise<{ by: string }>, { inFlight: 8, maxMs: 10_000, maxCalls: 400 });
      assert.deepEqual(r.failed, []);
      assert.equal(r.ok.length, 400);
      const by = { A: r.ok.filter((x) => x.by === "A").length, B: r.ok.filter((x) => x.by === "B").length };
      assert.equal(by.A + by.B, 400);
      assert.ok(by.A >= 40 && by.B >= 40, `calls by process: ${JSON.stringify(by)}`);
    } finally {
      await f.close();
      assert.equal(await a.stop(), 0);
      assert.equal(await b.stop(), 0);
    }
  });

  it("exporters join and leave during a bounded load: no call fails, leaving ones drain, the newcomers take calls", async () => {
    const first = await spawnExporter(server.hostPort, "Churn", "P1");
    const f = new NatsProxyFactory(`nats://${server.hostPort}/remoting.Churn`, { timeoutMs: "10s" });
    let done = false;
    const stops: number[] = [];
    try {
      const running = load((i) => f.work(i, 5) as Promise<{ by: string }>, { inFlight: 16, maxMs: 30_000, maxCalls: 40_000, until: () => done });
      // the membership changes while calls flow; one exporter at least is always there
      const steps = async (): Promise<void> => {
        const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 600));
        await pause();
        const second = await spawnExporter(server.hostPort, "Churn", "P2");
        await pause();
        stops.push((await first.stop())!);
        await pause();
        const third = new NatsServiceExporter({ service: new (class {
          async work(x: number, ms: number): Promise<{ by: string; x: number }> {
            await new Promise((r) => setTimeout(r, ms));
            return { by: "P3", x };
          }
        })(), serviceName: "Churn", servers: server.hostPort });
        await third.afterPropertiesSet();
        await pause();
        stops.push((await second.stop())!);
        await pause();
        const fourth = await spawnExporter(server.hostPort, "Churn", "P4");
        await pause();
        await third.destroy();
        await pause();
        done = true;
        await running;
        stops.push((await fourth.stop())!);
      };
      await steps();
      const r = await running;
      assert.deepEqual(r.failed.map(String), [], "calls failed during the changes");
      assert.ok(r.ok.length > 200, `only ${r.ok.length} calls in the run`);
      const by = new Set(r.ok.map((x) => x.by));
      assert.deepEqual([...by].sort(), ["P1", "P2", "P3", "P4"]);
      assert.deepEqual(stops, [0, 0, 0]);
    } finally {
      done = true;
      await f.close();
      await first.stop();
    }
  });

  it("HighAvailabilityProxyFactory with discovery nats://.../<subject> lists the running instances; calls reach each; one that leaves is dropped", async () => {
    const svc = (label: string): object => ({ who: () => label });
    const exporters = ["X", "Y", "Z"].map((l) => new NatsServiceExporter({ service: svc(l), serviceName: "Pool", servers: server.hostPort }));
    for (const e of exporters) await e.afterPropertiesSet();
    // another service on the same server is not a member
    const other = new NatsServiceExporter({ service: svc("other"), serviceName: "Other", servers: server.hostPort });
    await other.afterPropertiesSet();
    const ha = new HighAvailabilityProxyFactory({ discovery: `nats://${server.hostPort}/remoting.Pool` });
    (ha as unknown as Record<string, unknown>)["refreshMs"] = "none";
    try {
      const seen: string[] = [];
      for (let i = 0; i < 9; i++) seen.push((await ha.who()) as string);
      const ids = ha.memberStats().map((m) => m.id).sort();
    const gone = exporters[0]!.instanceUrl!;
      assert.deepEqual(ids, exporters.map((e) => e.instanceUrl!).sort());
      assert.deepEqual([...new Set(seen)].sort(), ["X", "Y", "Z"]);
      assert.equal(seen.filter((s) => s === "X").length, 3, `round-robin over instances: ${seen.join(",")}`);
      await exporters[0]!.destroy();
      // before the pool re-reads the source: the gone instance answers "no responders" (it cannot have run), the call fails over
      for (let i = 0; i < 3; i++) assert.match((await ha.who()) as string, /^[YZ]$/);
      assert.equal(ha.memberStats().find((m) => m.id === gone)?.state, "ejected");
      await ha.refreshMembers();
      assert.deepEqual(ha.memberStats().map((m) => m.id).sort(), exporters.slice(1).map((e) => e.instanceUrl!).sort());
      const after = new Set<string>();
      for (let i = 0; i < 4; i++) after.add((await ha.who()) as string);
      assert.deepEqual([...after].sort(), ["Y", "Z"]);
    } finally {
      await (ha as unknown as { [k: symbol]: () => Promise<void> })[Symbol.for("remoting.proxyFactory.release")]!();
      for (const e of [...exporters, other]) await e.destroy();
    }
  });
});
