import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");
const BIN = join(ROOT, "bin/remoting.js");
const FIX = join(ROOT, "test/fixtures/context");

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000, env: { ...process.env, REMOTING_LOG_LEVEL: undefined } });
}

describe("the remoting CLI (built bin, plain node, TypeScript services loaded without a build step)", () => {
  it("--version and --help", () => {
    const v = cli("--version");
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
    const h = cli("--help");
    assert.equal(h.status, 0);
    assert.match(h.stdout, /check-config/);
    assert.match(h.stdout, /--log-level/);
  });

  it("check-config prints resolved definitions without creating objects", () => {
    const r = cli("check-config", join(FIX, "app-context.xml"));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^MovieLister {2}\(prototype, lazy\)$/m);
    assert.match(r.stdout, /property finder: ref\(MovieFinder\)/);
    assert.match(r.stdout, /MovieLister3\.finder\.named/);
    assert.match(r.stdout, /12 definitions/);
    const j = cli("check-config", "--json", join(FIX, "types.xml"));
    const { definitions: defs, problems } = JSON.parse(j.stdout) as { definitions: Array<{ id: string; class: string }>; problems: unknown[] };
    assert.equal(defs.length, 10);
    assert.equal(defs[0]!.id, "MyString");
    assert.deepEqual(problems, []);
  });

  it("check-config fails with a clear message and a non-zero code on a bad configuration", () => {
    const r = cli("check-config", join(FIX, "does-not-exist.xml"));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /ERR_CONFIG_FILE_NOT_FOUND/);
  });

  it("run exits non-zero with the error's location on a bad configuration", () => {
    const r = cli("run", join(FIX, "resolution.xml"));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /resolution\.xml:8:5: .*'registered'.*ERR_CONFIG_MODULE_NOT_FOUND|ERR_CONFIG_MODULE_NOT_FOUND.*resolution\.xml:8:5/);
  });

  it("run serves until SIGTERM, then closes the context and exits 0; --log-level debug shows the container's chatter", async () => {
    const child = spawn(process.execPath, [BIN, "--log-level", "debug", "run", join(FIX, "lifecycle.xml")], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!stderr.includes("context started") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    assert.match(stderr, /context started/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(child.exitCode, null, "still running");
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    assert.equal(code, 0);
    assert.match(stderr, /SIGTERM received, closing the context/);
    assert.match(stderr, /remoting\.context - DEBUG - Creating an instance of id=first/);
    assert.match(stderr, /Successfully destroyed object 'second'/);
  });

  it("pki writes a sample PKI whose client certificate carries the seed's subject, with a warning", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "remoting-pki-")), "pki");
    const r = cli("pki", dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /SAMPLES ONLY/);
    const client = new X509Certificate(readFileSync(join(dir, "client-cert.pem")));
    assert.match(client.subject, /CN=My Client/);
    assert.match(client.subject, /O=My Company/);
    assert.match(client.subject, /ST=My State/);
    const signing = new X509Certificate(readFileSync(join(dir, "ca-signing-cert.pem")));
    assert.ok(client.verify(signing.publicKey), "the client certificate is signed by the signing CA");
    const server = new X509Certificate(readFileSync(join(dir, "server-cert.pem")));
    assert.ok(server.checkHost("localhost"));
    assert.ok(server.checkIP("127.0.0.1"));
  });

  it("ns is a command (a Pyro name server)", () => {
    const h = cli("ns", "--help");
    assert.equal(h.status, 0);
    assert.match(h.stdout, /name server/);
  });
});
