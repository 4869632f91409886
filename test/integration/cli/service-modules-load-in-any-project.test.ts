/**
 * A service module loads wherever a user puts it: `.ts`, `.mts`, `.cts`,
 * `.js`, `.mjs`, `.cjs`, next to the XML or named by a package, in a folder
 * with no package.json, with "type": "commonjs" (what `npm init -y` writes)
 * and with "type": "module". Each combination is a project folder outside
 * this repository, with the packed package installed, used through the CLI
 * (`remoting check-config`, `remoting run`) and through the API
 * (`ApplicationContext.create` from a plain-node client of that project).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MODULE_TYPES, userBin, userProject, type ModuleType } from "../../helpers/user-project.js";

const EXTENSIONS = ["ts", "mts", "cts", "js", "mjs", "cjs"] as const;
type Ext = (typeof EXTENSIONS)[number];

const TS_SOURCE = "export class Service {\n  get_data(param: string): string {\n    return `You got remote data => ${param}`;\n  }\n}\n";
const ESM_SOURCE = "export class Service {\n  get_data(param) {\n    return `You got remote data => ${param}`;\n  }\n}\n";
const CJS_SOURCE = "class Service {\n  get_data(param) {\n    return `You got remote data => ${param}`;\n  }\n}\nmodule.exports = { Service };\n";

/** What a user writes in a file of that extension, in a project of that type. */
function serviceSource(ext: Ext, type: ModuleType): string {
  if (ext === "ts" || ext === "mts" || ext === "cts") return TS_SOURCE;
  if (ext === "mjs") return ESM_SOURCE;
  if (ext === "cjs") return CJS_SOURCE;
  return type === "module" ? ESM_SOURCE : CJS_SOURCE;
}

const CONTEXT = (cls: string, extra = ""): string => `<?xml version="1.0" encoding="UTF-8"?>
<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">
    <object id="service" class="${cls}"/>${extra}
</objects>
`;

/** A plain-node client in the project's own flavour: `require` in CommonJS projects, `import` in ES module ones. */
function writeClient(dir: string, type: ModuleType, contextFile = "ctx.xml"): string {
  const body = (open: string) => `${open}
(async () => {
  const ctx = await ApplicationContext.create(${JSON.stringify(contextFile)});
  try {
    const service = await ctx.getObject("service");
    console.log("CLIENT: " + (await service.get_data("Hello")));
  } finally {
    await ctx.close();
  }
})().catch((err) => { console.error(err); process.exit(1); });
`;
  if (type === "module") {
    writeFileSync(join(dir, "client.js"), body(`import { ApplicationContext } from "remoting";`));
    return "client.js";
  }
  writeFileSync(join(dir, "client.js"), body(`const { ApplicationContext } = require("remoting");`));
  return "client.js";
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, REMOTING_LOG_LEVEL: "warn" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs `jobs` with at most `width` at a time. */
async function pool<T>(jobs: Array<() => Promise<T>>, width = 3): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("service modules load in any project", () => {
  it("every extension next to the XML, in projects with no package.json, commonjs and module: check-config and the API", async () => {
    const combos = MODULE_TYPES.flatMap((type) => EXTENSIONS.map((ext) => ({ type, ext })));
    const results = await pool(
      combos.map(({ type, ext }) => async () => {
        const dir = userProject(type, `svc-${type}-${ext}`);
        writeFileSync(join(dir, `svc.${ext}`), serviceSource(ext, type));
        writeFileSync(join(dir, "ctx.xml"), CONTEXT("svc.Service"));
        const check = await run(userBin(), ["check-config", "ctx.xml"], dir);
        const client = writeClient(dir, type);
        const api = await run(process.execPath, [client], dir);
        return { type, ext, check, api };
      }),
    );
    const failures: string[] = [];
    for (const { type, ext, check, api } of results) {
      if (check.status !== 0 || !/^service {2}\(/m.test(check.stdout)) failures.push(`${type}/.${ext} check-config exit ${check.status}: ${check.stderr.trim()}`);
      if (api.status !== 0 || !/^CLIENT: You got remote data => Hello$/m.test(api.stdout)) failures.push(`${type}/.${ext} API exit ${api.status}: ${api.stderr.trim()}`);
    }
    assert.deepEqual(failures, []);
  });

  it("services named by a package (ES module and CommonJS packages, dotted and module#Export forms)", async () => {
    const results = await pool(
      MODULE_TYPES.map((type) => async () => {
        const dir = userProject(type, `pkg-${type}`);
        const esm = join(dir, "node_modules/svc-esm");
        const cjs = join(dir, "node_modules/svccjs");
        mkdirSync(esm, { recursive: true });
        mkdirSync(cjs, { recursive: true });
        writeFileSync(join(esm, "package.json"), JSON.stringify({ name: "svc-esm", type: "module", exports: "./index.js" }));
        writeFileSync(join(esm, "index.js"), ESM_SOURCE);
        writeFileSync(join(cjs, "package.json"), JSON.stringify({ name: "svccjs", main: "lib.js" }));
        writeFileSync(join(cjs, "lib.js"), CJS_SOURCE);
        writeFileSync(join(dir, "ctx.xml"), CONTEXT("svc-esm#Service", `\n    <object id="other" class="svccjs.Service"/>`));
        const check = await run(userBin(), ["check-config", "ctx.xml"], dir);
        const api = await run(process.execPath, [writeClient(dir, type)], dir);
        return { type, check, api };
      }),
    );
    for (const { type, check, api } of results) {
      assert.equal(check.status, 0, `${type}: ${check.stderr}`);
      assert.match(check.stdout, /class: svccjs\.Service/);
      assert.equal(api.status, 0, `${type}: ${api.stderr}`);
      assert.match(api.stdout, /^CLIENT: You got remote data => Hello$/m);
    }
  });

  it("`remoting run` serves a TypeScript service over Pyro in each project type; a client in that project calls it", async () => {
    const results = await pool(
      MODULE_TYPES.map((type) => async () => {
        const port = await freePort();
        const dir = userProject(type, `run-${type}`);
        writeFileSync(join(dir, "server.ts"), TS_SOURCE);
        writeFileSync(
          join(dir, "server.xml"),
          CONTEXT(
            "server.Service",
            `
    <object id="service_exporter" class="springpython.remoting.pyro.PyroServiceExporter">
        <property name="service_name" value="ServiceName"/>
        <property name="service" ref="service"/>
        <property name="service_host" value="127.0.0.1"/>
        <property name="service_port" value="${port}"/>
    </object>`,
          ),
        );
        writeFileSync(
          join(dir, "client.xml"),
          `<?xml version="1.0" encoding="UTF-8"?>
<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">
    <object id="service" class="springpython.remoting.pyro.PyroProxyFactory">
        <property name="service_url" value="PYROLOC://127.0.0.1:${port}/ServiceName"/>
    </object>
</objects>
`,
        );
        const server = spawn(userBin(), ["run", "server.xml"], { cwd: dir, env: { ...process.env, REMOTING_LOG_LEVEL: "warn" } });
        let log = "";
        server.stderr.on("data", (d: Buffer) => (log += d.toString()));
        try {
          const deadline = Date.now() + 20_000;
          while (!log.includes("context started") && server.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          const client = await run(process.execPath, [writeClient(dir, type, "client.xml")], dir);
          return { type, log, client };
        } finally {
          server.kill("SIGTERM");
          await new Promise((r) => (server.exitCode !== null ? r(null) : server.once("exit", r)));
        }
      }),
    );
    for (const { type, log, client } of results) {
      assert.match(log, /context started/, `${type}: ${log}`);
      assert.equal(client.status, 0, `${type}: ${client.stderr}`);
      assert.match(client.stdout, /^CLIENT: You got remote data => Hello$/m);
    }
  });

  it("ES module syntax in a .js file of a commonjs project is refused with the file named and a configuration exit code", async () => {
    const dir = userProject("commonjs", "wrong-syntax");
    writeFileSync(join(dir, "svc.js"), ESM_SOURCE);
    writeFileSync(join(dir, "ctx.xml"), CONTEXT("svc.Service"));
    const r = await run(userBin(), ["check-config", "ctx.xml"], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /ERR_CONFIG_MODULE_NOT_FOUND/);
    assert.match(r.stderr, /svc\.js/);
  });
});
