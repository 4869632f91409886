/**
 * Runs the whole example on this machine: a nats-server on 127.0.0.1 (a
 * free port), two exporter processes, the client; then stops everything.
 *
 *   node --import tsx examples/nats-scale-out/run.ts
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const here = import.meta.dirname;
const children: ChildProcess[] = [];

function start(cmd: string, args: string[], env: Record<string, string> = {}, quiet = false): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", quiet ? "ignore" : "inherit"], env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

/** Resolves with the first line of the child's output matching `re` (echoing everything). */
function waitFor(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`${what} did not start`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      process.stdout.write(d);
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    });
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

const dir = mkdtempSync(join(tmpdir(), "nats-scale-out-"));
let status = 1;
try {
  // 1. a NATS server on a free port of 127.0.0.1
  const nats = start("nats-server", ["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", dir], {}, true);
  nats.stdout!.resume();
  const until = Date.now() + 10_000;
  let port: number | undefined;
  while (port === undefined && Date.now() < until) {
    const f = existsSync(dir) ? readdirSync(dir).find((x) => x.endsWith(".ports")) : undefined;
    if (f) port = Number(/:(\d+)"/.exec(readFileSync(join(dir, f), "utf8"))?.[1]);
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (port === undefined) throw new Error("nats-server did not start (apt-get install nats-server)");
  const servers = `127.0.0.1:${port}`;
  console.log(`nats-server on ${servers}`);

  // 2. two exporter processes
  for (const worker of ["worker-1", "worker-2"]) {
    const e = start(process.execPath, ["--import", "tsx", join(here, "exporter.ts")], { NATS_SERVERS: servers, WORKER: worker });
    await waitFor(e, /EXPORTER \S+ serving/, worker);
  }

  // 3. the client
  const client = start(process.execPath, ["--import", "tsx", join(here, "client.ts")], { NATS_SERVERS: servers });
  client.stdout!.pipe(process.stdout);
  status = await new Promise<number>((resolve) => client.once("exit", (code) => resolve(code ?? 1)));
} finally {
  // exporters drain on SIGTERM; the server goes last
  for (const c of children.slice(1).reverse()) c.kill("SIGTERM");
  await Promise.all(children.slice(1).map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
  children[0]?.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
