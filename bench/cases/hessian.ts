// Hessian 2.0 codec: encode + decode of one realistic typed object (12 fields:
// strings, ints, doubles, a boolean, a date, a non-ASCII string, a list of 20
// doubles and a nested object), by our codec and by the npm hessian.js package
// (the floor) on the same data. No network.
import { createRequire } from "node:module";
import { measureSync, type BenchCase } from "../lib.js";
import { decode, encode, hessian } from "../../src/protocols/hessian/index.js";

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

const cases: BenchCase[] = [
  {
    name: "hessian.js 2.11 encode+decode (12-field typed object)",
    group: "hessian-codec",
    floor: true,
    run: async () => {
      const hjs = require("hessian.js") as HessianJs;
      check(hjs.decode(hjs.encode(theirs, "2.0"), "2.0"));
      return measureSync(() => hjs.decode(hjs.encode(theirs, "2.0"), "2.0"), { durationMs: 1000, warmupMs: 300 });
    },
  },
  {
    name: "remoting Hessian codec encode+decode (same object)",
    group: "hessian-codec",
    note: "vs hessian.js on the same data",
    targets: [{ against: "hessian.js 2.11 encode+decode (12-field typed object)", atLeast: 1 }],
    run: async () => {
      check(decode(encode(ours)));
      return measureSync(() => decode(encode(ours)), { durationMs: 1000, warmupMs: 300 });
    },
  },
];
export default cases;
