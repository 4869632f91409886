/**
 * A client may change serializers after its handshake (Pyro4 sends the
 * serializer id in every frame). The daemon's hot path for plain calls
 * serves serpent and json: it must still refuse a serializer the daemon does
 * not accept, exactly as the general path does, and serve one it accepts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { fastPathCounts } from "../../../src/core/fast-paths.js";
import { encodeMessage, FLAGS_EXCEPTION, MSG_INVOKE, MSG_RESULT } from "../../../src/protocols/pyro4/message.js";
import { PyroDaemon } from "../../../src/protocols/pyro4/index.js";
import { handshaken } from "./hostile-support.js";

const json = getSerializer("json");

async function jsonCallOn(accepted: Array<"serpent" | "json" | "marshal">): Promise<{ ok: boolean; text: string; served: number }> {
  const daemon = new PyroDaemon({ host: "127.0.0.1", port: 0, serializersAccepted: accepted });
  daemon.register({ echo: (v: unknown) => v }, "svc");
  await daemon.listen();
  try {
    const c = await handshaken(daemon.port!);
    const before = fastPathCounts()["pyro4.daemon.serveFrame"];
    c.s.write(encodeMessage(MSG_INVOKE, json.dumpsCall("svc", "echo", ["hello"], {}), { seq: 7, serializerId: 2 }));
    const reply = await c.next();
    const served = fastPathCounts()["pyro4.daemon.serveFrame"] - before;
    c.s.destroy();
    assert.equal(reply.type, MSG_RESULT);
    assert.equal(reply.seq, 7);
    return { ok: (reply.flags & FLAGS_EXCEPTION) === 0, text: reply.data.toString("utf8"), served };
  } finally {
    await daemon.close();
  }
}

test("a json call to a daemon that accepts only serpent is refused, not served by the hot path", async () => {
  const r = await jsonCallOn(["serpent"]);
  assert.equal(r.ok, false);
  assert.match(r.text, /not accepted/);
  assert.equal(r.served, 0);
});

test("a json call to a daemon that accepts json is served by the hot path", async () => {
  const r = await jsonCallOn(["serpent", "json"]);
  assert.equal(r.ok, true, r.text);
  assert.equal(r.text, '"hello"');
  assert.equal(r.served, 1);
});
