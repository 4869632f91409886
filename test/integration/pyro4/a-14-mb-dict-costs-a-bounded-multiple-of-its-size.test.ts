/**
 * A 14 MB dict sent to a Pyro4 daemon method that only counts its argument
 * took 1.1 GB and 10 s before the serializers had a decoded-size budget and
 * an item limit. Now every shape of such a request is either decoded within
 * the stated bound (32 times its size plus 1 MiB, measured here as the peak
 * resident memory of this process, which also holds the client's copy) or
 * refused with a SerializeError, in seconds, and the daemon goes on serving.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { encodeMessage, FLAGS_EXCEPTION, MSG_INVOKE } from "../../../src/protocols/pyro4/message.js";
import { DECODE_ALLOWANCE, DEFAULT_LIMITS } from "../../../src/codecs/python/common.js";
import { handshaken, serpent, timed } from "./hostile-support.js";
import { gc } from "../../helpers/heap.js";

const MiB = 1024 * 1024;
const SIZE = 14 * MiB;

/** `('svc','count',({entry(0),entry(1),...},),{})` in serpent, about `size` bytes, written straight into one buffer. */
function countCall(size: number, entry: (k: number) => string): Buffer {
  const out = Buffer.alloc(size + 256);
  let at = out.write("# serpent utf-8 python3.2\n('svc','count',({", 0, "latin1");
  for (let k = 0; at < size; k++) {
    if (k > 0) at += out.write(",", at, "latin1");
    at += out.write(entry(k), at, "latin1");
  }
  at += out.write("},),{})", at, "latin1");
  return out.subarray(0, at);
}

/** Resident memory now (after garbage collection), in bytes. */
function rssNow(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}

/** The highest resident memory of this process so far, in bytes. */
function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

test("a 14 MB dict costs at most 32 times its size plus 1 MiB, or is refused, in seconds; the daemon goes on", { timeout: 120_000 }, async (t) => {
  const d = new PyroDaemon({ host: "127.0.0.1" });
  await d.listen();
  d.register(
    {
      count: (x: unknown): number => (x instanceof Map ? x.size : x !== null && typeof x === "object" ? Object.keys(x).length : -1),
      ping: (): string => "pong",
    },
    "svc",
  );
  const c = await handshaken(d.port!);
  const other = new PyroProxy(d.uriFor("svc"), { timeoutMs: 30_000 });
  t.after(async () => {
    c.s.destroy();
    await other.close();
    await d.close();
  });
  const shapes: Array<[string, (k: number) => string]> = [
    ["string keys", (k) => `'k${k}':${k}`],
    ["int keys", (k) => `${k}:${k}`],
    ["one-entry dicts", (k) => `${k}:{0:0}`],
    ["pairs", (k) => `${k}:(1,2)`],
    ["empty sets", (k) => `${k}:set()`],
  ];
  const report: string[] = [];
  let seq = 0;
  for (const [name, entry] of shapes) {
    let payload: Buffer | undefined = countCall(SIZE, entry);
    const frame = encodeMessage(MSG_INVOKE, payload, { seq: ++seq, serializerId: 1 });
    const size = payload.length;
    payload = undefined;
    const bound = DEFAULT_LIMITS.maxExpansion * size + DECODE_ALLOWANCE;
    const before = rssNow();
    const { value: reply, ms } = await timed(async () => {
      c.s.write(frame);
      return c.next(60_000);
    });
    const grew = peakRss() - before;
    const refused = (reply.flags & FLAGS_EXCEPTION) !== 0;
    const answer = serpent.loads(reply.data) as Record<string, unknown> | number;
    report.push(`${name}: ${size} bytes, ${refused ? "refused" : `counted ${String(answer)}`} in ${ms.toFixed(0)} ms, peak RSS +${(grew / MiB).toFixed(0)} MiB`);
    assert.equal(reply.seq, seq);
    if (refused) {
      const ex = answer as Record<string, unknown>;
      assert.equal(ex["__class__"], "Pyro4.errors.SerializeError", report.join("\n"));
      assert.match(String((ex["args"] as unknown[])[0]), /items|decodes to more than/);
    } else {
      assert.equal(typeof answer, "number");
      assert.ok((answer as number) > 500_000, report.join("\n"));
    }
    // before: 1.1 GB and 10 s for one such dict
    assert.ok(grew <= bound, `${report.join("\n")}\n(bound ${(bound / MiB).toFixed(0)} MiB)`);
    assert.ok(ms < 15_000, report.join("\n"));
    assert.equal(await other.invoke("ping", []), "pong");
  }
  if (process.env["REMOTING_TEST_VERBOSE"]) console.log(report.join("\n"));
});
