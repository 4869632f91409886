/**
 * Reads the golden vectors (test/fixtures/hessian/hessian-java-4.0.38.json)
 * and turns their value descriptions into the JS values our decoder returns
 * with `preserveTypes: true`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { HessianDouble, HessianLong, typedObject } from "../../../src/protocols/hessian/types.js";

export interface ValueDesc {
  type: string;
  [k: string]: unknown;
}

export interface Vectors {
  hessian2: Array<{ id: string; value: ValueDesc; hex: string; note?: string }>;
  hessian2Streams: Array<{ id: string; hex: string; values?: ValueDesc[] }>;
  hessian2DecodeOnly: Array<{ id: string; hex: string; javaDecoded: string; javaClass: string }>;
  hessian1: Array<{ id: string; value?: ValueDesc; hex: string }>;
  envelopes: Array<{ id: string; requestKind: "h2" | "c2" | "c1"; method: string; args: ValueDesc[]; requestHex: string; replyHex: string; note?: string }>;
}

export const VECTORS_PATH = fileURLToPath(new URL("../../fixtures/hessian/hessian-java-4.0.38.json", import.meta.url));

export function loadVectors(): Vectors {
  return JSON.parse(readFileSync(VECTORS_PATH, "utf8")) as Vectors;
}

export function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

const MIXED_UNITS = ["abc", "\u00e9\u00fc", "\u65e5\u672c", "\ud83d\ude00", "\u20ac", "xyz0123456789"];

export function generate(gen: string): string | Buffer {
  let m = /^repeat\("(.*)",(\d+)\)$/.exec(gen);
  if (m) return m[1]!.repeat(Number(m[2]));
  m = /^pattern\((\d+)\)$/.exec(gen);
  if (m) return pattern(Number(m[1]));
  m = /^pairAt\((\d+)\)$/.exec(gen);
  if (m) return "a".repeat(Number(m[1])) + "\ud83d\ude00" + "t".repeat(100);
  m = /^mixed\((\d+)\)$/.exec(gen);
  if (m) {
    const n = Number(m[1]);
    let s = "";
    for (let i = 0; s.length < n; i++) s += MIXED_UNITS[i % MIXED_UNITS.length];
    return s;
  }
  throw new Error(`unknown generator ${gen}`);
}

function doubleOf(d: ValueDesc): number {
  const v = d["value"];
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (v === "-0.0") return -0;
  throw new Error(`bad double ${String(v)}`);
}

/**
 * Builds the expected decoded value. `containers` collects lists, maps and
 * objects in the order they start, so `ref` entries resolve to the same object.
 */
export function expected(d: ValueDesc, containers: unknown[] = []): unknown {
  switch (d.type) {
    case "null":
      return null;
    case "boolean":
      return d["value"];
    case "int":
      if (d["javaType"] === "java.lang.Short" || d["javaType"] === "java.lang.Byte") {
        const o = typedObject(`com.caucho.hessian.io.${d["javaType"] === "java.lang.Short" ? "Short" : "Byte"}Handle`, { _value: d["value"] });
        containers.push(o);
        return o;
      }
      return d["value"];
    case "long":
      return new HessianLong(BigInt(d["value"] as string));
    case "double": {
      const v = doubleOf(d);
      if (d["javaType"] === "java.lang.Float") {
        const o = typedObject("com.caucho.hessian.io.FloatHandle", { _value: Number.isInteger(v) ? new HessianDouble(v) : v });
        containers.push(o);
        return o;
      }
      // Java writes -0.0 as 0.0.
      if (Object.is(v, -0)) return new HessianDouble(0);
      return Number.isInteger(v) ? new HessianDouble(v) : v;
    }
    case "string":
      return typeof d["value"] === "string" ? d["value"] : generate(d["generator"] as string);
    case "binary":
      return typeof d["hex"] === "string" ? Buffer.from(d["hex"], "hex") : generate(d["generator"] as string);
    case "date":
      return new Date(d["millis"] as number);
    case "list": {
      const arr: unknown[] = [];
      containers.push(arr);
      for (const it of d["items"] as ValueDesc[]) arr.push(expected(it, containers));
      return arr;
    }
    case "map": {
      const entries = d["entries"] as Array<[ValueDesc, ValueDesc]>;
      const stringKeys = entries.every(([k]) => k.type === "string");
      if (stringKeys) {
        const o: Record<string, unknown> = {};
        containers.push(o);
        for (const [k, v] of entries) o[expected(k, containers) as string] = expected(v, containers);
        return o;
      }
      const m = new Map<unknown, unknown>();
      containers.push(m);
      for (const [k, v] of entries) m.set(expected(k, containers), expected(v, containers));
      return m;
    }
    case "object": {
      const o: Record<string, unknown> = {};
      containers.push(o);
      for (const [k, v] of Object.entries(d["fields"] as Record<string, ValueDesc>)) o[k] = expected(v, containers);
      return typedObject(d["class"] as string, o);
    }
    case "ref":
      return containers[d["ref"] as number];
    default:
      throw new Error(`unknown value type ${d.type}`);
  }
}
