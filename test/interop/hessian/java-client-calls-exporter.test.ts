/**
 * Caucho's Java HessianProxyFactory (4.0.38, JDK 17) calls our
 * HessianServiceExporter: default Hessian 1.0 calls asking for 2.0 replies,
 * Hessian 2 calls, pure 1.0 calls and overload-enabled (mangled) calls. The
 * Java program runs every check in one JVM and prints one JSON line per check.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { requirePeers } from "../../helpers/peers.js";
import { callContext } from "../../../src/index.js";
import { ClassRegistry, HessianDouble, HessianServiceExporter, hessian } from "../../../src/protocols/hessian/index.js";
import { compileJava, javaArgs } from "./java-support.js";

class Person {
  firstName = "";
  lastName = "";
  attributes: string[] = [];
}

class Sample {
  count = 0;
  big: number | bigint = 0;
  ratio = 0;
  flag = false;
  text = "";
  when: Date | null = null;
  data: Buffer | null = null;
  tags: string[] = [];
  scores: Record<string, number> = {};
  owner: Person | null = null;
}

const isDouble = (v: unknown): boolean => v instanceof HessianDouble || (typeof v === "number" && !Number.isInteger(v));

/** The TypeScript implementation of interop.TestApi (without notImplemented). */
class TestApiService {
  echoString(s: string): string {
    return s;
  }
  echoInt(v: number): number {
    return v;
  }
  echoLong(v: unknown): unknown {
    return v;
  }
  echoDouble(v: unknown): unknown {
    return v;
  }
  echoBool(v: boolean): boolean {
    return v;
  }
  echoBytes(v: Buffer): Buffer {
    return v;
  }
  echoDate(v: Date): Date {
    return v;
  }
  echoList(v: unknown[]): unknown[] {
    return v;
  }
  echoMap(v: unknown): unknown {
    return v;
  }
  echo(v: unknown): unknown {
    return v;
  }
  echoSample(s: Sample): Sample {
    return s;
  }
  makeSample(): Sample {
    return Object.assign(new Sample(), {
      count: 42,
      big: 9007199254740993n,
      ratio: 0.25,
      flag: true,
      text: "caf\u00e9 \ud83d\ude00",
      when: new Date(1700000000123),
      data: Buffer.from([1, 2, 3]),
      tags: ["x", "y"],
      scores: { a: 1 },
      owner: this.transform("Ann Lee q"),
    });
  }
  transform(s: string): Person {
    const [first = "", last = "", rest = ""] = s.split(" ");
    return Object.assign(new Person(), { firstName: first, lastName: last, attributes: rest.split(",") });
  }
  fail(message: string): never {
    throw Object.assign(new Error(message), { javaClass: "java.lang.IllegalStateException" });
  }
  add(a: unknown, b: unknown): unknown {
    const sum = Number(a) + Number(b);
    return isDouble(a) || isDouble(b) ? hessian.double(sum) : sum;
  }
  /** For interop.Extras: what the service sees of its caller. */
  whoCalls(): string {
    const c = callContext();
    return `${c?.protocol} ${c?.serializer} ${c?.service} ${c?.method}`;
  }
}

const EXPECTED_CHECKS = [
  "short string",
  "add",
  "string over 32k units with emoji",
  "int boundaries",
  "long boundaries and beyond 2^53",
  "boxed types survive an Object slot",
  "doubles",
  "booleans",
  "byte array over 64 KiB",
  "dates",
  "list",
  "map with int and string keys",
  "typed bean round trip",
  "typed bean made by the service",
  "transform returns a Person bean",
  "service exception is rethrown as IllegalStateException",
  "unknown method is reported as NoSuchMethodException",
  "wrong argument count is rethrown as IllegalArgumentException",
  "the service sees the call context",
];

interface CheckLine {
  name: string;
  ok: boolean;
  detail: string;
}

test("Caucho's Java client calls our exporter: every check passes", { timeout: 90_000 }, async (t) => {
  if (!requirePeers(t, "hessian")) return;
  const java = compileJava();
  const registry = new ClassRegistry()
    .register("interop.Person", Person, { fields: ["firstName", "lastName", "attributes"] })
    .register("interop.Sample", Sample, { fields: ["count", "big", "ratio", "flag", "text", "when", "data", "tags", "scores", "owner"] });
  const exporter = new HessianServiceExporter({
    service: new TestApiService(),
    serviceHost: "127.0.0.1",
    servicePort: 0,
    path: "/test",
    registry,
    decodeOptions: { preserveTypes: true },
  });
  await exporter.afterPropertiesSet();
  t.after(async () => {
    await exporter.destroy();
    java.cleanup();
  });

  const child = spawn("java", javaArgs(java.classpath, "interop.JavaClient", exporter.url!), { stdio: ["ignore", "pipe", "pipe"] });
  const killer = setTimeout(() => child.kill("SIGKILL"), 80_000);
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(killer);
  assert.equal(code, 0, `java client exited with ${code}: ${err.slice(0, 2000)}`);

  const lines = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as CheckLine);
  assert.equal(lines.at(-1)?.name, "done", "the Java client ran to the end");
  const failed = lines.filter((l) => !l.ok);
  assert.deepEqual(failed, [], `failed checks:\n${failed.map((f) => `${f.name}: ${f.detail}`).join("\n")}`);
  const names = new Set(lines.map((l) => l.name));
  for (const prefix of ["c2 ", "h2 "]) for (const n of EXPECTED_CHECKS) assert.ok(names.has(prefix + n), `missing check ${prefix}${n}`);
  for (const n of ["c1 short string", "c1 add", "overloaded add(int,int)", "overloaded add(double,double)", "overload-enabled echoString"]) {
    assert.ok(names.has(n), `missing check ${n}`);
  }
});
