/**
 * Our SSLClient calling Python's SimpleXMLRPCServer whose socket is wrapped by
 * an ssl context that requires a client certificate.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { RemoteInvocationError, SecurityError } from "../../../src/core/errors.js";
import { peerMissing, PYTHON, requirePeers } from "../../helpers/peers.js";
import { SSLClient, XmlRpcDouble } from "../../../src/protocols/xmlrpc/index.js";
import { makeTestPki, type TestPki } from "../../integration/xmlrpc/fixtures.js";

const SCRIPT = join(import.meta.dirname, "py", "xmlrpc_tls_server.py");

describe("our SSLClient -> Python TLS XML-RPC server requiring a client certificate", () => {
  let pki: TestPki;
  let proc: ChildProcess | undefined;
  let url = "";
  before(async () => {
    pki = await makeTestPki();
    if (peerMissing("python")) return;
    proc = spawn(PYTHON, [SCRIPT, pki.main.serverChain, pki.main.serverKey, pki.main.caChain], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python server did not start: ${stderr}`)), 15_000);
      createInterface({ input: proc!.stdout! }).once("line", (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      });
      proc!.once("exit", (code) => reject(new Error(`python server exited with ${code}: ${stderr}`)));
    });
    url = `https://localhost:${port}/RPC2`;
  });
  after(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once("exit", r));
      proc.kill();
      await exited;
    }
    await pki.cleanup();
  });

  const client = (withCert = true, extra: Record<string, unknown> = {}) =>
    new SSLClient(url, { caCerts: pki.main.caChain, keyFile: withCert ? pki.main.clientKey : undefined, certFile: withCert ? pki.main.clientCert : undefined, allowNone: true, timeoutMs: 10_000, ...extra });

  it("calls with a client certificate, sending every type and reading Python's types back", async (t) => {
    if (!requirePeers(t, "python")) return;
    const c = client();
    try {
      const values = [
        42,
        2 ** 40,
        1.5,
        new XmlRpcDouble(3),
        Infinity,
        NaN,
        true,
        "h\u00e9llo <&>\r\n\t",
        Buffer.from([0, 1, 255]),
        new Date(Date.UTC(2024, 1, 29, 23, 59, 58)),
        [1, ["a"]],
        { k: { n: null } },
        null,
        2n ** 70n,
      ];
      assert.deepEqual(await c.types(...values), ["int", "int", "float", "float", "float", "float", "bool", "str", "bytes", "datetime", "list", "dict", "NoneType", "int"]);
      for (const v of values) {
        if (v === 2 ** 40 || v === 2n ** 70n) {
          // Python reads <i8>/<biginteger> but cannot send an int beyond int32 back
          await assert.rejects(c.echo(v), { remoteMessage: "<class 'OverflowError'>:int exceeds XML-RPC limits" });
          continue;
        }
        const back = await c.echo(v);
        if (v instanceof XmlRpcDouble) assert.equal(back, 3);
        else if (typeof v === "number" && Number.isNaN(v)) assert.ok(Number.isNaN(back as number));
        // we send CR as &#13;; Python sends it back raw, and XML end-of-line handling makes CR LF a LF
        else if (typeof v === "string") assert.equal(back, v.replace(/\r\n/g, "\n"));
        else assert.deepEqual(back, v);
      }
    } finally {
      await c.close();
    }
  });

  it("reads every type Python sends", async (t) => {
    if (!requirePeers(t, "python")) return;
    const c = client();
    try {
      const v = (await c.make()) as Record<string, unknown>;
      assert.equal(v["int"], 42);
      assert.equal(v["float"], 1.5);
      assert.equal(v["whole float"], 3);
      assert.equal(v["inf"], Infinity);
      assert.ok(Number.isNaN(v["nan"]));
      assert.equal(v["true"], true);
      assert.equal(v["str"], "h\u00e9llo <&>\n", "Python does not escape CR, so XML end-of-line handling turns CR LF into LF");
      assert.deepEqual(v["bytes"], Buffer.from([0, 1, 255]));
      assert.deepEqual(v["datetime"], new Date(Date.UTC(2024, 1, 29, 23, 59, 58)));
      assert.deepEqual(v["list"], [1, "a", [2.5]]);
      assert.deepEqual(v["dict"], { k: { n: null } });
      assert.equal(v["none"], null);
    } finally {
      await c.close();
    }
  });

  it("turns a Python exception into RemoteInvocationError with Python's fault code and string", async (t) => {
    if (!requirePeers(t, "python")) return;
    const c = client();
    try {
      await assert.rejects(c.fail("bad value"), (err: Error) => {
        assert.ok(err instanceof RemoteInvocationError);
        assert.equal(err.remoteCode, 1);
        assert.equal(err.remoteMessage, "<class 'ValueError'>:bad value");
        assert.equal(err.remoteType, "ValueError");
        return true;
      });
      const results = await c.multicall().add("echo", 1).add("fail", "x").run();
      assert.deepEqual(results[0], { ok: true, value: 1 });
      assert.equal(results[1]!.ok ? undefined : results[1]!.error.remoteMessage, "<class 'ValueError'>:x");
      assert.ok(((await c.callRemote("system.listMethods")) as string[]).includes("echo"));
    } finally {
      await c.close();
    }
  });

  it("is refused with a SecurityError without a client certificate, or with one from another CA", async (t) => {
    if (!requirePeers(t, "python")) return;
    const none = client(false);
    const foreign = new SSLClient(url, { caCerts: pki.main.caChain, keyFile: pki.other.clientKey, certFile: pki.other.clientCert });
    try {
      await assert.rejects(none.echo(1), SecurityError);
      await assert.rejects(foreign.echo(1), SecurityError);
    } finally {
      await none.close();
      await foreign.close();
    }
  });

  it("refuses the Python server when it does not trust its CA", async (t) => {
    if (!requirePeers(t, "python")) return;
    const c = new SSLClient(url, { caCerts: pki.other.caChain, keyFile: pki.main.clientKey, certFile: pki.main.clientCert });
    try {
      await assert.rejects(c.echo(1), SecurityError);
    } finally {
      await c.close();
    }
  });
});
