import { test } from "node:test";
import assert from "node:assert/strict";
import { requirePeers } from "../../helpers/peers.js";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { TestService } from "../../integration/pyro4/support.js";
import { runPython } from "./helpers.js";

const EXPECTED = [
  "get_data",
  "echo:int",
  "echo:bigint",
  "echo:float",
  "echo:float_integral",
  "echo:str",
  "echo:list",
  "echo:dict",
  "echo:none",
  "echo:inf",
  "echo:nan",
  "compression",
  "raises:ValueError",
  "raises:TypeError",
  "raises:AttributeError",
  "oneway",
  "batch",
  "stream:generator",
  "stream:async_generator",
  "stream:error",
  "stream:close",
  "attributes",
  "attributes:private",
  "kwargs",
  "daemon:metadata",
  "unknown_object",
  "done",
];

for (const serializer of ["serpent", "json"] as const) {
  for (const hmac of [undefined, "interop-key"]) {
    test(`Python Pyro4 proxy -> TypeScript daemon (${serializer}${hmac ? ", HMAC" : ""})`, async (t) => {
      if (!requirePeers(t, "pyro4")) return;
      // with HMAC the daemon also compresses large replies: the MAC covers the compressed bytes
      const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0, hmacKey: hmac, compressThreshold: hmac ? 1000 : undefined });
      await daemon.listen();
      daemon.register(new TestService(), "test.service", { oneway: ["increment"] });
      t.after(() => daemon.close());
      const { lines, stderr } = await runPython("client.py", [daemon.uriFor("test.service"), serializer, ...(hmac ? [hmac] : [])]);
      const names = lines.map((l) => l.name);
      for (const n of EXPECTED) assert.ok(names.includes(n), `missing result ${n}; stderr: ${stderr}`);
      if (serializer === "serpent") for (const n of ["echo:tuple", "echo:set", "echo:complex", "echo:intkeys", "echo:bytes", "echo:decimal", "echo:datetime"]) assert.ok(names.includes(n), n);
      const failed = lines.filter((l) => !l.ok);
      assert.deepEqual(failed, [], `failed checks: ${JSON.stringify(failed, null, 1)}`);
    });
  }
}

test("a Python proxy with the wrong HMAC key is refused by the TypeScript daemon", async (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0, hmacKey: "right" });
  await daemon.listen();
  daemon.register(new TestService(), "test.service");
  t.after(() => daemon.close());
  const { lines } = await runPython("client.py", [daemon.uriFor("test.service"), "serpent", "wrong"]);
  const first = lines.find((l) => l.name === "get_data");
  assert.ok(first);
  assert.equal(first.ok, false);
  assert.match(first.detail, /hmac/i);
});
