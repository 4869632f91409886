#!/usr/bin/env node
// The main job: the seed's split client/server example over real Pyro, in two
// processes, as examples/pyro-client-server/README.md runs it: the server is
// `remoting run server.xml` (the CLI), the client is `tsx client.ts`, which
// reads client.xml and calls service.get_data("Hello") through a
// PYROLOC://127.0.0.1:7000/ServiceName proxy. Both run in the example's
// folder, with debug logging (REMOTING_LOG_LEVEL overrides the server's).
// Prints the client's line:
//   CLIENT: You got remote data => Hello
import { spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const example = join(root, "examples/pyro-client-server");
const env = { ...process.env, REMOTING_LOG_LEVEL: process.env.REMOTING_LOG_LEVEL ?? "debug" };

function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

if (await portOpen(7000)) {
  console.error("demo: port 7000 is already in use; stop whatever listens there and retry");
  process.exit(1);
}

console.log("$ remoting run server.xml &");
const server = spawn(process.execPath, [join(root, "bin/remoting.js"), "run", "server.xml"], { cwd: example, env, stdio: ["ignore", "inherit", "inherit"] });
let serverExit;
server.on("exit", (code) => (serverExit = code));

const deadline = Date.now() + 30_000;
while (!(await portOpen(7000))) {
  if (serverExit !== undefined || Date.now() > deadline) {
    console.error("demo: the server did not start");
    server.kill("SIGKILL");
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}

console.log("\n$ tsx client.ts");
const client = spawnSync(process.execPath, ["--import", "tsx", "client.ts"], { cwd: example, env, encoding: "utf8" });
process.stderr.write(client.stderr);
process.stdout.write(client.stdout);

server.kill("SIGTERM");
const code = await new Promise((resolve) => (serverExit !== undefined ? resolve(serverExit) : server.once("exit", resolve)));
const ok = client.status === 0 && /CLIENT: You got remote data => Hello/.test(client.stdout) && code === 0;
console.log(ok ? "\ndemo: OK (client and server in two processes over Pyro4)" : "\ndemo: FAILED");
process.exit(ok ? 0 : 1);
