/**
 * `remoting run` prints what it serves (one line per exporter with its URL,
 * ports chosen by the system included; `--json` for scripts), and
 * `remoting call` reaches each of those services from the shell, with the
 * documented exit codes. `run` exits after SIGTERM within its grace period
 * whatever a service holds.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

const BIN = join(import.meta.dirname, "../../../bin/remoting.js");
const dir = mkdtempSync(join(tmpdir(), "remoting-run-"));
writeFileSync(
  join(dir, "svc.ts"),
  `export class Service {
  get_data(param: string): string { return "You got remote data => " + param; }
  add(a: number, b: number): number { return a + b; }
  kw(a: unknown, opts: unknown): unknown { return [a, opts]; }
  fail(): never { const e = new Error("no good"); e.name = "ValueError"; throw e; }
  slow(ms: number): Promise<number> { return new Promise((r) => setTimeout(() => r(ms), ms)); }
}
export class Sticky {
  timer = setInterval(() => undefined, 1000);
  destroy(): Promise<void> { return new Promise(() => undefined); }
}
`,
);
const exporters = `
  <object id="service" class="svc.Service"/>
  <object id="pyro" class="springpython.remoting.pyro.PyroServiceExporter">
    <property name="service" ref="service"/><property name="service_name" value="ServiceName"/>
    <property name="service_host" value="127.0.0.1"/><property name="service_port" value="0"/>
  </object>
  <object id="hessian" class="springpython.remoting.hessian.HessianServiceExporter">
    <property name="service" ref="service"/><property name="service_host" value="127.0.0.1"/><property name="service_port" value="0"/>
    <property name="path" value="/svc"/>
  </object>
  <object id="xmlrpc" class="remoting.xmlrpc.XmlRpcServiceExporter">
    <property name="service" ref="service"/><property name="service_host" value="127.0.0.1"/><property name="service_port" value="0"/>
  </object>`;
const file = (name: string, body: string): string => {
  const f = join(dir, name);
  writeFileSync(f, `<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">${body}\n</objects>\n`);
  return f;
};
const SERVER = file("server.xml", exporters);

function call(...args: string[]) {
  return spawnSync(process.execPath, [BIN, "call", ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, REMOTING_LOG_LEVEL: "warn" } });
}

async function waitFor(get: () => string, re: RegExp, child: ChildProcess, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!re.test(get()) && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

describe("remoting run and remoting call", () => {
  let server: ChildProcess;
  let out = "";
  let err = "";
  let urls: Record<string, string> = {};
  before(async () => {
    server = spawn(process.execPath, [BIN, "run", "--json", SERVER], { env: { ...process.env, REMOTING_LOG_LEVEL: "warn" } });
    server.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    server.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    await waitFor(() => out, /"event":"started"/, server);
    const line = out.split("\n").find((l) => l.includes('"started"'));
    assert.ok(line, `no start line; stderr: ${err}`);
    const started = JSON.parse(line) as { serving: Array<{ id: string; class: string; url: string }> };
    urls = Object.fromEntries(started.serving.map((s) => [s.id, s.url]));
  });
  after(async () => {
    server.kill("SIGTERM");
    await new Promise((r) => (server.exitCode !== null ? r(null) : server.once("exit", r)));
  });

  it("--json prints one line with every exporter's URL, the ports chosen by the system included", () => {
    assert.match(urls["pyro"]!, /^PYRO:ServiceName@127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(urls["pyro"]!, /:0$/);
    assert.match(urls["hessian"]!, /^http:\/\/127\.0\.0\.1:\d+\/svc$/);
    assert.match(urls["xmlrpc"]!, /^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it("without --json, one line per exporter on stderr", async () => {
    const one = file(
      "one.xml",
      `<object id="service" class="svc.Service"/>
  <object id="pyro" class="springpython.remoting.pyro.PyroServiceExporter">
    <property name="service" ref="service"/><property name="service_name" value="S2"/>
    <property name="service_host" value="127.0.0.1"/><property name="service_port" value="0"/>
  </object>`,
    );
    const child = spawn(process.execPath, [BIN, "run", one]);
    let e = "";
    child.stderr!.on("data", (d: Buffer) => (e += d.toString()));
    await waitFor(() => e, /context started/, child);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    assert.match(e, /remoting: serving pyro \(PyroServiceExporter\) at PYRO:S2@127\.0\.0\.1:\d+/);
  });

  it("call reaches the Pyro, Hessian and XML-RPC services; arguments are JSON or plain text", () => {
    for (const [url, extra] of [[urls["pyro"]!, []], [urls["hessian"]!, ["--protocol", "hessian"]], [urls["xmlrpc"]!, ["--protocol", "xmlrpc"]]] as const) {
      const r = call(url, "get_data", "Hello", ...extra);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout), "You got remote data => Hello");
      const s = call(url, "add", "2", "40", ...extra);
      assert.equal(JSON.parse(s.stdout), 42);
    }
    const pyroloc = urls["pyro"]!.replace(/^PYRO:ServiceName@(.*)$/, "PYROLOC://$1/ServiceName");
    assert.equal(JSON.parse(call(pyroloc, "get_data", '"x"').stdout), "You got remote data => x");
  });

  it("keyword arguments reach a Pyro service; Hessian refuses them with a usage exit code", () => {
    const r = call(urls["pyro"]!, "kw", "1", "--kwarg", "b=2");
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [1, { b: 2 }]);
    const h = call(urls["hessian"]!, "kw", "1", "--kwargs", '{"b":2}', "--protocol", "hessian");
    assert.equal(h.status, 2);
    assert.match(h.stderr, /ERR_NOT_SUPPORTED/);
  });

  it("exit codes: 1 for a remote error, 2 for usage, 3 for connection failures and time-outs", async () => {
    const remote = call(urls["pyro"]!, "fail");
    assert.equal(remote.status, 1);
    assert.match(remote.stderr, /remote error: .*ValueError: no good/);
    const noProtocol = call(urls["hessian"]!, "add", "1", "2");
    assert.equal(noProtocol.status, 2);
    assert.match(noProtocol.stderr, /name the protocol/);
    assert.equal(call().status, 2);
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const refused = call(`PYRO:X@127.0.0.1:${port}`, "x");
    assert.equal(refused.status, 3);
    assert.match(refused.stderr, /ERR_CONNECTION_REFUSED/);
    const slow = call(urls["xmlrpc"]!, "slow", "3000", "--protocol", "xmlrpc", "--timeout", "200ms");
    assert.equal(slow.status, 3);
    assert.match(slow.stderr, /ERR_TIMEOUT/);
  });

  it("run exits after SIGTERM within its grace period even when a service holds a timer and never finishes destroy()", async () => {
    const f = file("sticky.xml", `<object id="sticky" class="svc.Sticky"/>`);
    const child = spawn(process.execPath, [BIN, "run", "--grace", "300", f]);
    let e = "";
    child.stderr!.on("data", (d: Buffer) => (e += d.toString()));
    await waitFor(() => e, /context started/, child);
    const t0 = Date.now();
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    assert.equal(code, 1);
    assert.match(e, /closing took longer than 300 ms/);
  });
});
