import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");
const EXAMPLE = join(ROOT, "examples/pyro-client-server");

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

it("the seed's split example: `remoting run server.xml` in one process, client.xml in another, over Pyro4", async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "remoting-seed-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  for (const f of ["server.ts", "client.ts"]) copyFileSync(join(EXAMPLE, f), join(dir, f));
  for (const f of ["server.xml", "client.xml"]) writeFileSync(join(dir, f), readFileSync(join(EXAMPLE, f), "utf8").replaceAll("7000", String(port)));
  // The example imports the library from the source tree; point it there from the copy.
  for (const f of ["server.ts", "client.ts"]) {
    writeFileSync(join(dir, f), readFileSync(join(dir, f), "utf8").replaceAll("../../src/index.js", join(ROOT, "src/index.js")));
  }
  const server = spawn(process.execPath, [join(ROOT, "bin/remoting.js"), "--log-level", "debug", "run", join(dir, "server.xml")], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  server.stderr.on("data", (d: Buffer) => (log += d.toString()));
  try {
    const deadline = Date.now() + 20_000;
    while (!log.includes("context started") && Date.now() < deadline && server.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    assert.match(log, new RegExp(`Exporting ServiceName as a Pyro service at 127\\.0\\.0\\.1:${port}`));
    const client = spawnSync(process.execPath, ["--import", "tsx", join(dir, "client.ts")], { encoding: "utf8", timeout: 30_000, env: { ...process.env, REMOTING_LOG_LEVEL: "warn" } });
    assert.equal(client.status, 0, client.stderr);
    assert.match(client.stdout, /^CLIENT: You got remote data => Hello$/m);
  } finally {
    server.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => (server.exitCode !== null ? resolve(server.exitCode) : server.once("exit", resolve)));
    assert.equal(code, 0, log);
  }
  assert.match(log, /Deregistering ServiceName/);
});
