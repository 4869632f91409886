/**
 * Python's xmlrpc.client.ServerProxy (with an ssl context) calling our SSLServer.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { PYTHON, requirePeers } from "../../helpers/peers.js";
import { SSLServer, XmlRpcServer, type SSLServerOptions } from "../../../src/protocols/xmlrpc/index.js";
import { captureLogs, makeTestPki, type LogCapture, type TestPki } from "../../integration/xmlrpc/fixtures.js";

const SCRIPT = join(import.meta.dirname, "py", "xmlrpc_client.py");

interface Job {
  url: string;
  cafile: string;
  certfile?: string;
  keyfile?: string;
  mode: "call" | "types" | "multicall";
  method?: string;
  params?: unknown[];
  /** The encoding Python declares and writes the request in. */
  encoding?: string;
}

function runPython(job: Job): Promise<Array<Record<string, any>>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, JSON.stringify(job)], { timeout: 20_000, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`python failed: ${err.message}\n${stderr}`));
      try {
        resolve(stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>));
      } catch (e) {
        reject(new Error(`bad output from python: ${stdout}\n${stderr}\n${String(e)}`));
      }
    });
  });
}

function jsType(v: unknown): string {
  if (v === null) return "null";
  if (Buffer.isBuffer(v)) return "Buffer";
  if (v instanceof Date) return "Date";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "struct" : typeof v;
}

class MySSLServer extends SSLServer {
  override registerFunctions(): void {
    this.registerFunction(() => "All good", "test_server");
    this.registerFunction(Math.pow, "pow");
    this.registerFunction((v: unknown) => v, "echo");
    this.registerFunction((...args: unknown[]) => args.map(jsType), "js_types");
    this.registerFunction((msg: string) => {
      throw new RangeError(msg);
    }, "fail");
  }
}

const FIELDS = { commonName: "My Client", countryName: "US", organizationalUnitName: "My Unit", organizationName: "My Company", stateOrProvinceName: "My State" };

describe("Python client -> our SSLServer", () => {
  let pki: TestPki;
  let logs: LogCapture;
  before(async () => {
    pki = await makeTestPki();
    logs = captureLogs("warn");
  });
  after(async () => {
    logs.restore();
    await pki.cleanup();
  });

  async function serve(t: TestContext, opts: SSLServerOptions): Promise<string | undefined> {
    if (!requirePeers(t, "python")) return undefined;
    const server = new MySSLServer({ host: "127.0.0.1", port: 0, keyFile: pki.main.serverKey, certFile: pki.main.serverChain, caCerts: pki.main.caChain, logRequests: false, allowNone: true, ...opts });
    await server.listen();
    t.after(() => server.close());
    return `https://localhost:${server.port}/RPC2`;
  }

  const good = () => ({ certfile: pki.main.clientCert, keyfile: pki.main.clientKey });

  async function expectRefused(url: string, cert: { certfile?: string; keyfile?: string }, reason: RegExp): Promise<void> {
    const before = logs.of("MySSLServer", "ERROR").length;
    const [r] = await runPython({ url, cafile: pki.main.caChain, mode: "call", method: "test_server", ...cert });
    assert.ok(r, "python printed nothing");
    assert.equal(r["ok"], false);
    assert.equal(r["connection_error"], true, `${r["error"]}: ${r["message"]}`);
    assert.equal(r["fault"], false);
    assert.equal(r["http_response"], false, "no HTTP response may be sent");
    const lines = logs.of("MySSLServer", "ERROR").slice(before);
    assert.ok(lines.some((l) => reason.test(l)), `server log should match ${reason}:\n${lines.join("")}`);
  }

  it("a request Python writes in ISO-8859-1 is read in ISO-8859-1 (it was read as UTF-8 and corrupted)", async (t) => {
    const url = await serve(t, {});
    if (!url) return;
    const text = "caf\u00e9 \u00e0 la cr\u00e8me, \u00bd \u00ff";
    const [latin1] = await runPython({ url, cafile: pki.main.caChain, mode: "call", method: "echo", params: [text], encoding: "iso-8859-1" });
    assert.deepEqual(latin1, { ok: true, result: text });
    // characters Latin-1 cannot hold travel as character references, which come back as the characters
    const [refs] = await runPython({ url, cafile: pki.main.caChain, mode: "call", method: "echo", params: ["\u263a \u65e5"], encoding: "iso-8859-1" });
    assert.deepEqual(refs, { ok: true, result: "\u263a \u65e5" });
  });

  it("encrypts only: Python trusts our server and calls pow", async (t) => {
    const url = await serve(t, { caCerts: undefined });
    if (!url) return;
    const [r] = await runPython({ url, cafile: pki.main.caChain, mode: "call", method: "pow", params: [41, 3] });
    assert.deepEqual(r, { ok: true, result: 68921 });
  });

  it("requires a client certificate: Python's is accepted, and a fault reaches Python as Fault 1", async (t) => {
    const url = await serve(t, { certRequirement: "CERT_REQUIRED" });
    if (!url) return;
    assert.deepEqual((await runPython({ url, cafile: pki.main.caChain, mode: "call", method: "test_server", ...good() }))[0], { ok: true, result: "All good" });
    const [f] = await runPython({ url, cafile: pki.main.caChain, mode: "call", method: "fail", params: ["bad"], ...good() });
    assert.equal(f!["error"], "Fault");
    assert.match(f!["message"], /<Fault 1: "<class 'RangeError'>:bad">/);
  });

  it("requires a client certificate: Python without one gets a connection error, and the server logs why", async (t) => {
    const url = await serve(t, { certRequirement: "CERT_REQUIRED" });
    if (!url) return;
    await expectRefused(url, {}, /Peer didn't send a certificate/);
  });

  it("verifyFields: the right subject passes", async (t) => {
    const url = await serve(t, { certRequirement: "CERT_REQUIRED", verifyFields: FIELDS });
    if (!url) return;
    assert.deepEqual((await runPython({ url, cafile: pki.main.caChain, mode: "call", method: "test_server", ...good() }))[0], { ok: true, result: "All good" });
  });

  it("verifyFields: a trusted certificate with other fields is dropped", async (t) => {
    const url = await serve(t, { certRequirement: "CERT_REQUIRED", verifyFields: FIELDS });
    if (!url) return;
    await expectRefused(url, { certfile: pki.stranger.cert, keyfile: pki.stranger.key }, /Expected the subject field '\w+' to have value '[^']+' instead of/);
  });

  it("verifyFields: a certificate from another CA with the same subject is dropped", async (t) => {
    const url = await serve(t, { certRequirement: "CERT_REQUIRED", verifyFields: FIELDS });
    if (!url) return;
    await expectRefused(url, { certfile: pki.other.clientCert, keyfile: pki.other.clientKey }, /not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
  });

  it("verifyFields with CERT_OPTIONAL: Python without a certificate is dropped", async (t) => {
    const url = await serve(t, { certRequirement: "CERT_OPTIONAL", verifyFields: { commonName: "My Client" } });
    if (!url) return;
    await expectRefused(url, {}, /Couldn't verify fields, peer didn't send the certificate/);
  });

  it("verifyFields: a missing field (FOO) drops even the right client", async (t) => {
    const url = await serve(t, { certRequirement: "CERT_REQUIRED", verifyFields: { ...FIELDS, FOO: "BAR" } });
    if (!url) return;
    await expectRefused(url, good(), /Peer didn't send the 'FOO' field/);
  });

  it("every type makes the round trip from Python and back", async (t) => {
    const url = await serve(t, { certRequirement: "CERT_REQUIRED" });
    if (!url) return;
    const lines = await runPython({ url, cafile: pki.main.caChain, mode: "types", ...good() });
    const byName = new Map(lines.map((l) => [l["name"] as string, l]));
    for (const name of ["int", "negative int", "float", "float exponent", "inf", "-inf", "nan", "true", "false", "str", "empty str", "bytes", "datetime", "old datetime", "list", "dict", "none"]) {
      const l = byName.get(name);
      assert.ok(l, `no line for ${name}`);
      assert.equal(l["ok"], true, `${name}: ${JSON.stringify(l)}`);
      assert.equal(l["same"], true, `${name} came back as ${l["got"]} ${JSON.stringify(l["value"])}`);
    }
    assert.deepEqual(byName.get("js types")!["value"], [
      "number",
      "number",
      "number",
      "number",
      "number",
      "number",
      "number",
      "boolean",
      "boolean",
      "string",
      "string",
      "Buffer",
      "Date",
      "Date",
      "array",
      "struct",
      "null",
    ]);
    assert.equal(byName.get("int32 max")!["same"], true);
  });

  it("Python's MultiCall and introspection work against our plain-HTTP XmlRpcServer", async (t) => {
    if (!requirePeers(t, "python")) return;
    const server = new XmlRpcServer({ host: "127.0.0.1", port: 0, logRequests: false });
    server.registerFunction(Math.pow, "pow", { help: "pow(x, y): x to the power y" });
    server.registerFunction(() => "All good", "test_server");
    server.registerFunction((msg: string) => {
      throw new TypeError(msg);
    }, "fail");
    await server.listen();
    t.after(() => server.close());
    const lines = await runPython({ url: `http://127.0.0.1:${server.port}/RPC2`, cafile: "", mode: "multicall" });
    const byName = new Map(lines.map((l) => [l["name"] as string, l["value"]]));
    assert.deepEqual(byName.get("listMethods"), ["fail", "pow", "system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall", "test_server"]);
    assert.equal(byName.get("methodHelp"), "pow(x, y): x to the power y");
    assert.deepEqual(byName.get("multicall"), [
      { ok: true, value: 512 },
      { ok: false, code: 1, string: "<class 'TypeError'>:inside multicall" },
      { ok: true, value: "All good" },
    ]);
  });
});
