/**
 * Python Pyro4 4.82 against the core call path: a Python proxy gets Python's
 * TypeError for a wrong argument count and the exception class an error
 * names, and its call is served with a call context (correlation id,
 * annotations, client port); a Python daemon takes the RMTD annotation in
 * which our proxy sends its metadata and time limit, and ignores it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { requirePeers } from "../../helpers/peers.js";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { callContext, type CallContext } from "../../../src/core/server/call-context.js";
import { TestService } from "../../integration/pyro4/support.js";
import { runPython, startPython } from "./helpers.js";

class CallPathService extends TestService {
  fail_named(message: string): never {
    throw Object.assign(new Error(message), { name: "ValueError" });
  }
  fail_typed(message: string): never {
    throw Object.assign(new Error(message), { pythonType: "builtins.KeyError" });
  }
  context(): Record<string, unknown> {
    const c = callContext() as CallContext;
    const ann = c.annotations ?? new Map<string, Uint8Array>();
    return {
      protocol: c.protocol,
      method: c.method,
      serializer: c.serializer ?? null,
      correlationId: c.correlationId ?? null,
      annotations: [...ann.keys()].sort(),
      xtra: ann.get("XTRA") ? Buffer.from(ann.get("XTRA")!).toString("utf8") : null,
      clientAddress: c.clientAddress ?? null,
      clientPort: c.clientPort ?? null,
      deadlineLeft: Number.isFinite(c.deadline) ? c.deadline - Date.now() : null,
      oneway: c.oneway,
    };
  }
}

const EXPECTED = ["plain call", "arity:missing", "arity:extra", "raises:name=ValueError", "raises:pythonType=KeyError", "context", "still fine", "done"];

for (const serializer of ["serpent", "json"] as const) {
  test(`a Python proxy (${serializer}) gets Python's TypeError for a wrong argument count, the class an error names, and a call context`, async (t) => {
    if (!requirePeers(t, "pyro4")) return;
    const daemon = new PyroDaemon({ host: "127.0.0.1" });
    await daemon.listen();
    const svc = new CallPathService();
    daemon.register(svc, "call.path");
    t.after(() => daemon.close());
    const { lines, stderr } = await runPython("call_path_client.py", [daemon.uriFor("call.path"), serializer]);
    assert.deepEqual(
      lines.map((l) => l.name),
      EXPECTED,
      stderr,
    );
    const failed = lines.filter((l) => !l.ok);
    assert.deepEqual(failed, [], `failed checks: ${JSON.stringify(failed, null, 1)}`);
  });
}

test("a Python daemon takes the RMTD annotation our proxy sends (metadata and time limit) and serves the call as usual", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const server = await startPython("server.py", []);
  t.after(() => server.stop());
  const uri = String(server.first["uri"]);
  const timed = new PyroProxy(uri, { timeoutMs: "10s" });
  const bare = new PyroProxy(uri, { timeoutMs: "none" });
  t.after(async () => {
    await timed.close();
    await bare.close();
  });
  const seen = (await timed.invoke("annotations", [], { metadata: { "x-tenant": "blue" } })) as Record<string, string>;
  assert.ok("RMTD" in seen, JSON.stringify(seen));
  const meta = JSON.parse(seen["RMTD"]!) as Record<string, string>;
  assert.equal(meta["x-tenant"], "blue");
  const left = Number(meta["remoting-timeout"]);
  assert.ok(left > 9000 && left <= 10_000, `time limit ${left} ms`);
  assert.equal(await timed.invoke("get_data", ["x"]), "You got remote data => x");
  // a call with neither metadata nor a time limit sends no annotation
  assert.deepEqual(await bare.invoke("annotations"), {});
  assert.equal(await bare.invoke("add", [2, 3]), 5);
});
