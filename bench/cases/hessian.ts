// Hessian rows.
//
// "hessian-codec": encode+decode of one realistic typed object (12 fields:
// strings, ints, doubles, a boolean, a date, a non-ASCII string, a list of 20
// doubles and a nested object), by our codec and by the npm hessian.js package
// (the floor) on the same data. No network.
//
// "hessian-http-1": sequential calls over HTTP keep-alive. The floor is plain
// node:http (a keep-alive Agent posting a body the size of our call to a
// node:http server answering a body the size of our reply); our row is
// HessianProxyFactory calling echo("hello world") on HessianServiceExporter.
// Both servers run in their own process.
import http from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { measure, measureSync, startServer, type BenchCase } from "../lib.js";
import { HessianProxyFactory, decode, encode, encodeCall, encodeReply, hessian } from "../../src/protocols/hessian/index.js";

interface HessianJs {
  encode(value: unknown, version: "2.0"): Buffer;
  decode(buf: Buffer, version: "2.0"): unknown;
}

const require = createRequire(import.meta.url);

const samples = Array.from({ length: 20 }, (_, i) => i * 1.37 + 0.5);
const created = new Date(1700000000123);

function fields(): Record<string, unknown> {
  return {
    id: 1234567,
    customer: "ACME Corporation",
    email: "orders@acme.example.com",
    note: "Leave the parcel at the back door, please.",
    quantity: 17,
    price: 1299.95,
    discount: 0.075,
    paid: true,
    created,
    title: "Commande n\u00b0 42 \u2014 \u00e9t\u00e9 \u65e5\u672c",
    samples,
  };
}

const address = { street: "1 Main Street", city: "Springfield", zip: "12345", country: "US" };

const ours = hessian.object("com.example.bench.Order", { ...fields(), address: hessian.object("com.example.bench.Address", { ...address }) });
const theirs = { $class: "com.example.bench.Order", $: { ...fields(), address: { $class: "com.example.bench.Address", $: { ...address } } } };

function check(decoded: unknown): void {
  const d = decoded as Record<string, unknown>;
  if (d["quantity"] !== 17 || (d["samples"] as unknown[]).length !== 20) throw new Error("the codec returned a wrong value");
}

// Both codec rows warm up alike (JIT) before measuring.
const CODEC_MS = 1500;
const CODEC_WARMUP_MS = 1000;
const HJS = "hessian.js 2.11 encode+decode (12-field typed object)";
const HTTP_FLOOR = "floor: node:http keep-alive POST, sequential (call-sized body)";
const HTTP_SECONDS = 2;
// Both rows warm up alike (client and server JIT) before measuring.
const HTTP_WARMUP_MS = 1000;

const ECHO_ARG = "hello world";
const CALL_SIZE = encodeCall("echo", [ECHO_ARG]).length;
const REPLY_SIZE = encodeReply(ECHO_ARG).length;

async function httpFloor(): Promise<{ ops: number; seconds: number }> {
  const server = await startServer(join(import.meta.dirname, "../servers/http-floor.ts"), [String(REPLY_SIZE)]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const body = Buffer.alloc(CALL_SIZE, 0x78);
  const post = (): Promise<Buffer> =>
    new Promise<Buffer>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: server.port,
          path: "/bench",
          method: "POST",
          agent,
          headers: { "Content-Type": "application/octet-stream", "Content-Length": body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const b = Buffer.concat(chunks);
            if (res.statusCode !== 200 || b.length !== REPLY_SIZE) reject(new Error(`bad floor reply ${res.statusCode}`));
            else resolve(b);
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  try {
    return await measure(post, { inFlight: 1, durationMs: HTTP_SECONDS * 1000, warmupMs: HTTP_WARMUP_MS });
  } finally {
    agent.destroy();
    await server.stop();
  }
}

async function hessianHttp(): Promise<{ ops: number; seconds: number }> {
  const server = await startServer(join(import.meta.dirname, "../servers/hessian-exporter.ts"));
  const factory = new HessianProxyFactory(`http://127.0.0.1:${server.port}/bench`);
  const proxy = factory.as<{ echo(s: string): string }>();
  try {
    if ((await proxy.echo(ECHO_ARG)) !== ECHO_ARG) throw new Error("echo returned a wrong value");
    return await measure(() => proxy.echo(ECHO_ARG), { inFlight: 1, durationMs: HTTP_SECONDS * 1000, warmupMs: HTTP_WARMUP_MS });
  } finally {
    await factory.close();
    await server.stop();
  }
}

const cases: BenchCase[] = [
  {
    name: HJS,
    group: "hessian-codec",
    floor: true,
    run: async () => {
      const hjs = require("hessian.js") as HessianJs;
      check(hjs.decode(hjs.encode(theirs, "2.0"), "2.0"));
      return measureSync(() => hjs.decode(hjs.encode(theirs, "2.0"), "2.0"), { durationMs: CODEC_MS, warmupMs: CODEC_WARMUP_MS });
    },
  },
  {
    name: "remoting Hessian codec encode+decode (same object)",
    group: "hessian-codec",
    note: "vs hessian.js on the same data",
    targets: [{ against: HJS, atLeast: 3 }],
    run: async () => {
      check(decode(encode(ours)));
      return measureSync(() => decode(encode(ours)), { durationMs: CODEC_MS, warmupMs: CODEC_WARMUP_MS });
    },
  },
  { name: HTTP_FLOOR, group: "hessian-http-1", floor: true, run: httpFloor },
  {
    name: "hessian: HessianProxyFactory -> HessianServiceExporter, echo, sequential",
    group: "hessian-http-1",
    note: "vs plain node:http keep-alive",
    targets: [{ against: HTTP_FLOOR, atLeast: 1 }],
    run: hessianHttp,
  },
];
export default cases;
