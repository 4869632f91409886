/**
 * Runs the whole example on this machine: a nats-server on 127.0.0.1 (a
 * free port), two exporter processes, the client; then stops everything.
 * Run from this folder:
 *
 *   npx tsx main.ts
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const children: ChildProcess[] = [];

function start(cmd: string, args: string[], env: Record<string, string> = {}, quiet = false): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", quiet ? "ignore" : "inherit"], env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

/** Resolves when the child prints a line matching `re` (echoing what it prints). */
function waitFor(child: ChildProcess, re: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`${what} did not start`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      process.stdout.write(d);
      out += d.toString();
      if (re.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** Starts a nats-server on a free port of 127.0.0.1; resolves with "host:port". */
async function natsServer(dir: string): Promise<string> {
  const nats = start("nats-server", ["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", dir], {}, true);
  nats.stdout!.resume();
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const f = existsSync(dir) ? readdirSync(dir).find((x) => x.endsWith(".ports")) : undefined;
    const port = f ? /:(\d+)"/.exec(readFileSync(join(dir, f), "utf8"))?.[1] : undefined;
    if (port) return `127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("nats-server did not start (apt-get install nats-server)");
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "nats-scale-out-"));
  try {
    const servers = await natsServer(dir);
    console.log(`nats-server on ${servers}`);
    for (const worker of ["worker-1", "worker-2"]) {
      // node with tsx's loader, not `npx tsx`: a direct child, which stops when it is told to
      await waitFor(start(process.execPath, ["--import", "tsx", "exporter.ts"], { NATS_SERVERS: servers, WORKER: worker }), /EXPORTER \S+ serving/, worker);
    }
    const client = start(process.execPath, ["--import", "tsx", "client.ts"], { NATS_SERVERS: servers });
    client.stdout!.pipe(process.stdout);
    return await new Promise<number>((resolve) => client.once("exit", (code) => resolve(code ?? 1)));
  } finally {
    // exporters drain on SIGTERM; the NATS server goes last
    for (const c of children.slice(1).reverse()) c.kill("SIGTERM");
    await Promise.all(children.slice(1).map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
    children[0]?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
