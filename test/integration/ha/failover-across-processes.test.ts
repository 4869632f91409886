/**
 * HighAvailabilityProxyFactory against real servers in processes of their
 * own: three Pyro daemons found through a name server, a bounded load of
 * idempotent calls while one daemon is killed with SIGKILL (no call fails,
 * the survivors share the load), every daemon killed (the error comes at
 * once and names each member), one restarted (re-admitted), a fourth
 * registered under the pool's prefix (it takes calls within the refresh
 * period); then the same pool built from Hessian and from XML-RPC URLs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HighAvailabilityProxyFactory, NoMemberAvailableError, releaseProxy } from "../../../src/index.js";
import { NameServerClient, startNameServer } from "../../../src/protocols/pyro4/index.js";
import { startRun, type RunningContext } from "../../helpers/remoting-run.js";

const dir = mkdtempSync(join(tmpdir(), "remoting-ha-"));
writeFileSync(
  join(dir, "svc.ts"),
  `export class Service {
  whoami(): number { return process.pid; }
  async slow(ms: number): Promise<number> { await new Promise((r) => setTimeout(r, ms)); return process.pid; }
}
`,
);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function contextFile(name: string, exporter: string): string {
  const f = join(dir, `${name}.xml`);
  writeFileSync(f, `<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">\n  <object id="service" class="svc.Service"/>\n${exporter}\n</objects>\n`);
  return f;
}

const pyroDaemon = (name: string, port: number) =>
  contextFile(
    name,
    `  <object id="exporter" class="springpython.remoting.pyro.PyroServiceExporter">
    <property name="service" ref="service"/><property name="service_name" value="Service"/>
    <property name="service_host" value="127.0.0.1"/><property name="service_port" value="${port}"/>
  </object>`,
  );

/** Calls `whoami` from `workers` loops until `ms` have passed (and at most `max` calls); returns every pid seen, in order, and the failures. */
async function load(f: HighAvailabilityProxyFactory, ms: number, workers = 4, max = 5000): Promise<{ pids: Array<{ at: number; pid: number }>; failures: unknown[] }> {
  const pids: Array<{ at: number; pid: number }> = [];
  const failures: unknown[] = [];
  const until = Date.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until && n++ < max) {
        try {
          pids.push({ at: Date.now(), pid: (await f.whoami()) as number });
        } catch (err) {
          failures.push(err);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    }),
  );
  return { pids, failures };
}

describe("high availability over Pyro daemons found in a name server", () => {
  let ns: Awaited<ReturnType<typeof startNameServer>>;
  let nsClient: NameServerClient;
  const ports: number[] = [];
  const daemons: RunningContext[] = [];
  let pool: HighAvailabilityProxyFactory;

  before(async () => {
    ns = await startNameServer({ host: "127.0.0.1", port: 0, broadcast: false });
    nsClient = new NameServerClient(ns.uri);
    for (let i = 0; i < 3; i++) {
      ports.push(await freePort());
      daemons.push(await startRun(pyroDaemon(`pyro${i}`, ports[i]!)));
      await nsClient.register(`pool.member${i}`, daemons[i]!.urls["exporter"]!);
    }
    pool = new HighAvailabilityProxyFactory();
    Object.assign(pool, {
      discovery: `PYRONAME:pool.*@127.0.0.1:${ns.daemon.port}`,
      refreshMs: "300ms",
      idempotentMethods: "whoami",
      ejectBaseMs: "200ms",
      ejectMaxMs: "2s",
      timeoutMs: "5s",
    });
  });

  after(async () => {
    await releaseProxy(pool);
    await Promise.all(daemons.map((d) => d.stop("SIGKILL")));
    await nsClient.proxy.close();
    await ns.close();
  });

  it("spreads calls over the three daemons", async () => {
    const { pids, failures } = await load(pool, 500, 3, 300);
    assert.deepEqual(failures, []);
    assert.equal(new Set(pids.map((p) => p.pid)).size, 3);
  });

  it("a daemon killed with SIGKILL during a load of idempotent calls: no call fails, the survivors share the load", async () => {
    const victim = daemons[0]!;
    const running = load(pool, 2500, 4);
    await new Promise((r) => setTimeout(r, 700));
    const killedAt = Date.now();
    await victim.stop("SIGKILL");
    const { pids, failures } = await running;
    assert.deepEqual(failures.map(String), []);
    const after = pids.filter((p) => p.at > killedAt + 100).map((p) => p.pid);
    assert.ok(!after.includes(victim.pid), "the dead daemon answered");
    assert.ok(after.includes(daemons[1]!.pid) && after.includes(daemons[2]!.pid), "both survivors take calls");
    const stats = pool.memberStats();
    assert.equal(stats.filter((s) => s.state === "ejected").length, 1);
  });

  it("with every daemon dead, a call fails within a second, naming each member and its last failure", async () => {
    await daemons[1]!.stop("SIGKILL");
    await daemons[2]!.stop("SIGKILL");
    const t0 = Date.now();
    await assert.rejects(pool.whoami(), (err: unknown) => {
      assert.ok(err instanceof NoMemberAvailableError, String(err));
      for (let i = 0; i < 3; i++) assert.match(err.message, new RegExp(`pool\\.member${i} PYRO:Service@127\\.0\\.0\\.1:${ports[i]}`));
      return true;
    });
    assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
  });

  it("a daemon restarted on its port is re-admitted within 30 s", async () => {
    daemons[1] = await startRun(pyroDaemon("pyro1", ports[1]!));
    const t0 = Date.now();
    let pid: number | undefined;
    while (Date.now() - t0 < 30_000) {
      try {
        pid = (await pool.whoami()) as number;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal(pid, daemons[1]!.pid);
    assert.equal(pool.memberStats().find((s) => s.id.startsWith("pool.member1 "))!.state, "healthy");
  });

  it("a fourth daemon registered under the pool's prefix takes calls within the refresh period", async () => {
    daemons.push(await startRun(pyroDaemon("pyro3", await freePort())));
    await nsClient.register("pool.member3", daemons[3]!.urls["exporter"]!);
    await new Promise((r) => setTimeout(r, 700));
    const { pids, failures } = await load(pool, 400, 2, 200);
    assert.deepEqual(failures, []);
    assert.ok(pids.some((p) => p.pid === daemons[3]!.pid), "the new member takes calls");
    // and one removed from the name server leaves the pool
    await nsClient.remove({ name: "pool.member3" });
    await new Promise((r) => setTimeout(r, 700));
    assert.ok(!pool.memberStats().some((s) => s.id.startsWith("pool.member3 ")));
  });
});

for (const protocol of ["hessian", "xmlrpc"] as const) {
  describe(`high availability over ${protocol} URLs`, () => {
    const procs: RunningContext[] = [];
    let pool: HighAvailabilityProxyFactory;
    before(async () => {
      for (let i = 0; i < 3; i++) {
        const exporter =
          protocol === "hessian"
            ? `  <object id="exporter" class="springpython.remoting.hessian.HessianServiceExporter">
    <property name="service" ref="service"/><property name="service_host" value="127.0.0.1"/><property name="service_port" value="0"/><property name="path" value="/svc"/>
  </object>`
            : `  <object id="exporter" class="remoting.xmlrpc.XmlRpcServiceExporter">
    <property name="service" ref="service"/><property name="service_host" value="127.0.0.1"/><property name="service_port" value="0"/>
  </object>`;
        procs.push(await startRun(contextFile(`${protocol}${i}`, exporter)));
      }
      pool = new HighAvailabilityProxyFactory(procs.map((p) => p.urls["exporter"]!));
      Object.assign(pool, { protocol, idempotentMethods: "whoami", timeoutMs: "5s" });
    });
    after(async () => {
      await releaseProxy(pool);
      await Promise.all(procs.map((p) => p.stop("SIGKILL")));
    });

    it("spreads calls, survives a SIGKILL during a load of idempotent calls, and fails at once when all are dead", async () => {
      const first = await load(pool, 300, 3, 150);
      assert.deepEqual(first.failures, []);
      assert.equal(new Set(first.pids.map((p) => p.pid)).size, 3);
      const running = load(pool, 2000, 4);
      await new Promise((r) => setTimeout(r, 500));
      const killedAt = Date.now();
      await procs[0]!.stop("SIGKILL");
      const { pids, failures } = await running;
      assert.deepEqual(failures.map(String), []);
      const after = pids.filter((p) => p.at > killedAt + 100).map((p) => p.pid);
      assert.ok(after.includes(procs[1]!.pid) && after.includes(procs[2]!.pid));
      await procs[1]!.stop("SIGKILL");
      await procs[2]!.stop("SIGKILL");
      const t0 = Date.now();
      await assert.rejects(pool.whoami(), (err: unknown) => err instanceof NoMemberAvailableError && procs.every((p) => err.message.includes(p.urls["exporter"]!)));
      assert.ok(Date.now() - t0 < 1000);
    });
  });
}
