/**
 * Follows a markdown page as a new user would: writes the files it shows
 * (a code block right after a line "File `name`:"), runs its shell commands
 * (```sh blocks, one command a line), and checks that each output it shows
 * (a block with no language right after a command block) was printed by the
 * command before it. Used for docs/getting-started.md and every example's
 * README, in user projects outside the repository.
 *
 * Conventions: `npm install remoting` installs the packed tarball; fixed
 * ports the page uses are replaced by free ones (in files, commands and
 * expected outputs); `npx remoting run ...` starts in the background and is
 * waited for ("context started"), then stopped at the end with its process
 * group; `mkdir x && cd x` moves into a new folder.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { REPO_ROOT, userRoot } from "./user-project.js";

export interface Step {
  kind: "file" | "sh" | "output";
  name?: string;
  text: string;
}

/** The page's code blocks in order. */
export function docSteps(md: string): Step[] {
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

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** The packed package (made once per test process). */
export function packedTarball(): string {
  const dir = join(userRoot(), "tarball");
  mkdirSync(dir, { recursive: true });
  if (!readdirSync(dir).some((f) => f.endsWith(".tgz"))) spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: REPO_ROOT, stdio: "ignore" });
  return join(dir, readdirSync(dir).find((f) => f.endsWith(".tgz"))!);
}

export interface FollowOptions {
  /** The folder the page's commands start in. */
  cwd: string;
  /** Fixed ports the page uses, each replaced by a free port. */
  ports?: readonly number[];
  /** After `npm init`, set this module type in package.json. */
  moduleType?: "commonjs" | "module";
  /** Time limit of one command (default 120 s). */
  commandTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface FollowResult {
  /** Everything the commands printed, in order. */
  transcript: string;
  /** The folder the commands ended in. */
  cwd: string;
}

export async function followDoc(md: string, o: FollowOptions): Promise<FollowResult> {
  const mapping = new Map<string, string>();
  for (const p of o.ports ?? []) mapping.set(String(p), String(await freePort()));
  const sub = (s: string): string => {
    let out = s;
    for (const [a, b] of mapping) out = out.replace(new RegExp(`(?<![0-9])${a}(?![0-9])`, "g"), b);
    return out;
  };
  let cwd = o.cwd;
  const env = { ...process.env, REMOTING_LOG_LEVEL: "warn", npm_config_loglevel: "error", npm_config_fund: "false", npm_config_audit: "false", ...o.env };
  const background: ChildProcess[] = [];
  let lastOutput = "";
  let transcript = "";
  try {
    for (const step of docSteps(md)) {
      if (step.kind === "file") {
        writeFileSync(join(cwd, step.name!), sub(step.text) + "\n");
        continue;
      }
      if (step.kind === "output") {
        for (const line of step.text.split("\n")) {
          if (line.trim() === "" || line.trim() === "...") continue;
          assert.ok(lastOutput.includes(sub(line)), `expected ${JSON.stringify(sub(line))} in the output of the command before it:\n${lastOutput}`);
        }
        continue;
      }
      for (const raw of step.text.split("\n")) {
        const cmd = raw.replace(/\s+#.*$/, "").trim();
        if (!cmd || cmd.startsWith("#")) continue;
        if (cmd.startsWith("mkdir ") && cmd.includes("&& cd ")) {
          cwd = join(cwd, cmd.split("&& cd ")[1]!.trim());
          mkdirSync(cwd, { recursive: true });
          continue;
        }
        let argv = sub(cmd).split(/\s+/);
        if (argv[0] === "npm" && argv[1] === "install" && argv[2] === "remoting") argv = ["npm", "install", "--prefer-offline", packedTarball()];
        if (argv[0] === "npx" && argv[1] === "remoting" && argv[2] === "run") {
          // a process group of its own: npx runs the command as its child, and both must stop at the end
          const child = spawn("npx", argv.slice(1), { cwd, env, detached: true });
          background.push(child);
          let err = "";
          child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
          child.stdout!.on("data", (d: Buffer) => (err += d.toString()));
          const until = Date.now() + 60_000;
          while (!err.includes("context started") && !err.includes('"started"') && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
          assert.match(err, /context started|"started"/, `${cmd}: ${err}`);
          lastOutput = err;
          transcript += err;
          continue;
        }
        const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: "utf8", timeout: o.commandTimeoutMs ?? 120_000 });
        lastOutput = r.stdout + r.stderr;
        transcript += lastOutput;
        assert.equal(r.status, 0, `${cmd} exited ${r.status}:\n${lastOutput}`);
        if (argv[0] === "npm" && argv[1] === "init" && o.moduleType === "module") {
          const { readFileSync } = await import("node:fs");
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
    await Promise.all(background.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once("exit", r)))));
  }
  return { transcript, cwd };
}
