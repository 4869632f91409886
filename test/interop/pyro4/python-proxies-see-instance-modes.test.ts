import { test } from "node:test";
import assert from "node:assert/strict";
import { requirePeers } from "../../helpers/peers.js";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { runPython } from "./helpers.js";
import { Counter } from "../../integration/pyro4/support.js";

/** A Python-style ValueError raised by an instance creator. */
class ValueError extends Error {
  override name = "ValueError";
}

const EXPECTED = ["session:separate", "session:metadata", "session:oneway", "session:new_connection", "single:shared", "percall:fresh", "creator:error", "done"];

for (const serializer of ["serpent", "json"] as const) {
  test(`two Python Pyro4 proxies see separate session state and shared single state on the TypeScript daemon (${serializer})`, async (t) => {
    if (!requirePeers(t, "pyro4")) return;
    Counter.made = 0;
    const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0 });
    await daemon.listen();
    t.after(() => daemon.close());
    daemon.register(Counter, "counter.session", { oneway: ["notify"] });
    daemon.register(Counter, "counter.single", { instanceMode: "single" });
    daemon.register(Counter, "counter.percall", { instanceMode: "percall" });
    daemon.register(Counter, "counter.broken", {
      instanceCreator: () => {
        throw new ValueError("no capacity");
      },
    });
    const { lines, stderr } = await runPython("instance_client.py", [daemon.location, serializer]);
    const names = lines.map((l) => l.name);
    for (const n of EXPECTED) assert.ok(names.includes(n), `missing result ${n}; stderr: ${stderr}`);
    const failed = lines.filter((l) => !l.ok);
    assert.deepEqual(failed, [], `failed checks: ${JSON.stringify(failed, null, 1)}`);
    // 2 session instances + 1 after a's reconnect, 1 single, 3 percall
    assert.equal(Counter.made, 7);
  });
}
