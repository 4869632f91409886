/**
 * docs/getting-started.md, followed as a new user would, from an empty
 * folder outside the repository: its files written as shown, its commands
 * run as shown (the package installed from the packed tarball instead of the
 * registry, the port replaced by a free one), each printed output compared
 * with what the page says. Once as `npm init -y` leaves the project
 * (CommonJS), once with "type": "module".
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT, userRoot } from "../../helpers/user-project.js";

const PAGE = readFileSync(join(REPO_ROOT, "docs/getting-started.md"), "utf8");

interface Step {
  kind: "file" | "sh" | "output";
  name?: string;
  text: string;
}

/** The page's code blocks in order: files (a block after "File `x`:"), shell commands, and outputs (blocks with no language). */
function steps(md: string): Step[] {
  const out: Step[] = [];
  const lines = md.split("\n");
  let before = "";
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```([a-z]*)$/.exec(lines[i]!);
    if (!fence) {
      if (lines[i]!.trim() !== "") before = lines[i]!.trim();
      continue;
    }
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]!);
    const text = body.join("\n");
    const file = /^File `([^`]+)`:$/.exec(before);
    if (file) out.push({ kind: "file", name: file[1]!, text });
    else if (fence[1] === "sh") out.push({ kind: "sh", text });
    else if (fence[1] === "") out.push({ kind: "output", text });
    before = "";
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function tarball(): string {
  const dir = join(userRoot(), "tarball");
  mkdirSync(dir, { recursive: true });
  if (!readdirSync(dir).some((f) => f.endsWith(".tgz"))) spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: REPO_ROOT, stdio: "ignore" });
  return join(dir, readdirSync(dir).find((f) => f.endsWith(".tgz"))!);
}

async function follow(moduleType: "commonjs" | "module"): Promise<void> {
  const port = String(await freePort());
  const base = join(userRoot(), `getting-started-${moduleType}-${process.pid}`);
  mkdirSync(base, { recursive: true });
  let cwd = base;
  const env = { ...process.env, REMOTING_LOG_LEVEL: "warn", npm_config_loglevel: "error", npm_config_fund: "false", npm_config_audit: "false" };
  const background: ChildProcess[] = [];
  let lastOutput = "";
  try {
    for (const step of steps(PAGE)) {
      if (step.kind === "file") {
        writeFileSync(join(cwd, step.name!), step.text.replaceAll("7000", port) + "\n");
        continue;
      }
      if (step.kind === "output") {
        // what the page says the previous command printed: each line must be there (ports aside)
        for (const line of step.text.split("\n")) assert.ok(lastOutput.includes(line.replaceAll("7000", port)), `expected ${JSON.stringify(line)} in ${JSON.stringify(lastOutput)}`);
        continue;
      }
      for (const raw of step.text.split("\n")) {
        const cmd = raw.replace(/\s+#.*$/, "").trim();
        if (!cmd) continue;
        if (cmd.startsWith("mkdir ") && cmd.includes("&& cd ")) {
          cwd = join(base, cmd.split("&& cd ")[1]!.trim());
          mkdirSync(cwd, { recursive: true });
          continue;
        }
        let argv = cmd.replaceAll("7000", port).split(/\s+/);
        if (argv[0] === "npm" && argv[1] === "install" && argv[2] === "remoting") argv = ["npm", "install", "--prefer-offline", tarball()];
        if (argv[0] === "npx" && argv[1] === "remoting" && argv[2] === "run") {
          // a process group of its own: npx runs the command as its child, and both must stop at the end
          const child = spawn("npx", argv.slice(1), { cwd, env, detached: true });
          background.push(child);
          let err = "";
          child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
          const until = Date.now() + 60_000;
          while (!err.includes("context started") && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
          assert.match(err, /context started/, err);
          lastOutput = err;
          continue;
        }
        const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: "utf8", timeout: 120_000 });
        assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
        lastOutput = r.stdout + r.stderr;
        if (argv[0] === "npm" && argv[1] === "init" && moduleType === "module") {
          const pkg = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")) as Record<string, unknown>;
          writeFileSync(join(cwd, "package.json"), JSON.stringify({ ...pkg, type: "module" }, null, 2));
        }
      }
    }
  } finally {
    for (const c of background) {
      try {
        process.kill(-c.pid!, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
    await Promise.all(background.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
  }
  const pkg = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")) as { type?: string };
  assert.equal(pkg.type ?? "commonjs", moduleType);
}

describe("the getting-started page works as written", () => {
  it("has files, commands and outputs to follow", () => {
    const s = steps(PAGE);
    assert.ok(s.filter((x) => x.kind === "file").length >= 4);
    assert.ok(s.filter((x) => x.kind === "sh").length >= 4);
  });
  it("in the CommonJS project npm init -y makes", () => follow("commonjs"));
  it("in a project with \"type\": \"module\"", () => follow("module"));
});
