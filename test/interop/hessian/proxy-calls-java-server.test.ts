/**
 * Our HessianProxyFactory calls a Java server: Caucho's HessianSkeleton (4.0.38,
 * JDK 17) on the JDK's built-in HTTP server. One JVM for the whole file.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { RemoteInvocationError } from "../../../src/core/errors.js";
import { peerMissing, requirePeers } from "../../helpers/peers.js";
import { ClassRegistry, HessianProxyFactory, hessian, hessianClassOf } from "../../../src/protocols/hessian/index.js";
import { compileJava, javaArgs, type CompiledJava } from "./java-support.js";

class Person {
  firstName = "";
  lastName = "";
  attributes: string[] = [];
}

interface TestApi {
  echoString(s: string): string;
  echoInt(v: number): number;
  echoLong(v: number | bigint): number | bigint;
  echoDouble(v: number): number;
  echoBool(v: boolean): boolean;
  echoBytes(v: Buffer): Buffer;
  echoDate(v: Date): Date;
  echoList(v: unknown[]): unknown[];
  echoMap(v: unknown): unknown;
  echo(v: unknown): unknown;
  typeOf(v: unknown): string;
  echoSample(s: object): Record<string, unknown>;
  makeSample(): Record<string, unknown>;
  transform(s: string): Record<string, unknown>;
  fail(message: string): string;
  add(a: number, b: number): number;
}

const missing = peerMissing("hessian");
let java: CompiledJava | undefined;
let server: ChildProcess | undefined;
let baseUrl = "";
const proxies: HessianProxyFactory[] = [];

function proxy(opts: ConstructorParameters<typeof HessianProxyFactory>[1] = {}): HessianProxyFactory {
  const p = new HessianProxyFactory(baseUrl, { timeoutMs: 20_000, ...opts });
  proxies.push(p);
  return p;
}

function bigString(): string {
  let s = "";
  while (s.length < 33000) s += "h\u00e9llo \ud83d\ude00 \u65e5\u672c ";
  return s;
}

describe("our proxy calls Caucho's Java HessianSkeleton", { timeout: 90_000 }, () => {
  before(async () => {
    if (missing) return;
    java = compileJava();
    const child = spawn("java", javaArgs(java.classpath, "interop.JavaServer"), { stdio: ["pipe", "pipe", "pipe"] });
    server = child;
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`the Java server did not start: ${err}`)), 30_000);
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /PORT (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the Java server exited with ${code}: ${err}`));
      });
    });
    baseUrl = `http://127.0.0.1:${port}/test`;
  });

  after(async () => {
    for (const p of proxies) await p.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once("exit", r));
      server.stdin!.end();
      const kill = setTimeout(() => server!.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(kill);
    }
    java?.cleanup();
  });

  it("strings over 32k units with emoji, in both Hessian versions", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    const s = bigString();
    assert.equal(await proxy().as<TestApi>().echoString(s), s);
    assert.equal(await proxy({ hessianVersion: 1 }).as<TestApi>().echoString(s), s);
    assert.equal(await proxy().as<TestApi>().echoString(""), "");
  });

  it("int and long boundaries, longs beyond 2^53", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    const p = proxy().as<TestApi>();
    for (const v of [0, -16, 47, -2048, 2047, -262144, 262143, -2147483648, 2147483647]) assert.equal(await p.echoInt(v), v);
    for (const v of [0, -8, 15, 2047, 262143, 2147483648, 9007199254740991]) assert.equal(await p.echoLong(v), v);
    for (const v of [9007199254740993n, -9223372036854775808n, 9223372036854775807n]) assert.equal(await p.echoLong(v), v);
  });

  it("Java receives the boxed type it expects in an Object slot", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    const p = proxy().as<TestApi>();
    const cases: Array<[unknown, string]> = [
      [7, "java.lang.Integer"],
      [hessian.long(7), "java.lang.Long"],
      [2 ** 40, "java.lang.Long"],
      [9007199254740993n, "java.lang.Long"],
      [3, "java.lang.Integer"],
      [hessian.double(3), "java.lang.Double"],
      [0.5, "java.lang.Double"],
      [hessian.int(3), "java.lang.Integer"],
      ["x", "java.lang.String"],
      [true, "java.lang.Boolean"],
      [null, "null"],
      [new Date(0), "java.util.Date"],
      [Buffer.from([1]), "[B"],
      [[1, 2], "java.util.ArrayList"],
      [{ a: 1 }, "java.util.HashMap"],
      [hessian.list("[int", [1, 2]), "[I"],
    ];
    for (const [v, want] of cases) assert.equal(await p.typeOf(v), want, `typeOf(${String(v)})`);
    const vp = proxy({ hessianVersion: 1 }).as<TestApi>();
    assert.equal(await vp.typeOf(hessian.long(7)), "java.lang.Long");
    assert.equal(await vp.typeOf(hessian.double(3)), "java.lang.Double");
  });

  it("doubles, booleans, null, byte arrays over 64 KiB, dates", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    const p = proxy().as<TestApi>();
    for (const v of [0, 1, -128, 32767, 12.25, 0.1, 2147483.648, Math.PI, 1e300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity]) {
      assert.equal(await p.echoDouble(v), v);
    }
    assert.ok(Number.isNaN(await p.echoDouble(NaN)));
    assert.equal(await p.echoBool(true), true);
    assert.equal(await p.echoBool(false), false);
    assert.equal(await p.echo(null), null);
    const bytes = Buffer.alloc(70000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
    assert.deepEqual(await p.echoBytes(bytes), bytes);
    assert.deepEqual(await proxy({ hessianVersion: 1 }).as<TestApi>().echoBytes(bytes), bytes);
    for (const ms of [1700000000123, 1700000040000, 0, -1]) assert.deepEqual(await p.echoDate(new Date(ms)), new Date(ms));
  });

  it("lists and maps", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    const p = proxy().as<TestApi>();
    const list = [1, "two", 3.5, null, 9007199254740993n, ["n"], { k: "v" }];
    assert.deepEqual(await p.echoList(list), list);
    const m = new Map<unknown, unknown>([[1, "one"], ["k", [1, 2]]]);
    assert.deepEqual(await p.echoMap(m), m);
    assert.deepEqual(await p.echoMap({ a: 1, b: "x" }), { a: 1, b: "x" });
    const shared = { s: 1 };
    const withRefs = (await p.echoList([shared, shared])) as unknown[];
    assert.equal(withRefs[0], withRefs[1], "Java sends the shared map back as a reference");
  });

  it("a typed Java bean, both ways", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    const p = proxy().as<TestApi>();
    const made = await p.makeSample();
    assert.equal(hessianClassOf(made), "interop.Sample");
    assert.equal(made["count"], 42);
    assert.equal(made["big"], 9007199254740993n);
    assert.equal(made["ratio"], 0.25);
    assert.equal(made["flag"], true);
    assert.equal(made["text"], "caf\u00e9 \ud83d\ude00");
    assert.deepEqual(made["when"], new Date(1700000000123));
    assert.deepEqual(made["data"], Buffer.from([1, 2, 3]));
    assert.deepEqual(made["tags"], ["x", "y"]);
    assert.deepEqual(made["scores"], { a: 1 });
    assert.equal(hessianClassOf(made["owner"]), "interop.Person");
    // Send it back: Java rebuilds an interop.Sample (field types come from the Java class).
    const back = await p.echoSample(made);
    assert.deepEqual(back, made);
    assert.equal(hessianClassOf(back), "interop.Sample");
    const built = hessian.object("interop.Sample", { count: 1, big: hessian.long(2), ratio: hessian.double(3), flag: false, text: "t" });
    const echoed = await p.echoSample(built);
    assert.equal(echoed["count"], 1);
    assert.equal(echoed["big"], 2);
    assert.equal(echoed["ratio"], 3);
    assert.equal(echoed["text"], "t");
    assert.equal(echoed["tags"], null);
  });

  it("the original's black-box test: transform returns a Person bean", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    const plain = await proxy().as<TestApi>().transform("Greg Turnquist a,b,c,x,y,z");
    assert.equal(plain["firstName"], "Greg");
    assert.equal(plain["lastName"], "Turnquist");
    assert.deepEqual(plain["attributes"], ["a", "b", "c", "x", "y", "z"]);
    const registry = new ClassRegistry().register("interop.Person", Person);
    const typed = (await proxy({ registry }).transform("Greg Turnquist a,b,c,x,y,z")) as Person;
    assert.ok(typed instanceof Person);
    assert.deepEqual(typed.attributes, ["a", "b", "c", "x", "y", "z"]);
    const v1 = await proxy({ hessianVersion: 1 }).as<TestApi>().transform("Greg Turnquist a,b");
    assert.deepEqual({ ...v1 }, { firstName: "Greg", lastName: "Turnquist", attributes: ["a", "b"] });
  });

  it("Java exceptions come back as RemoteInvocationError with code, message and detail", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    for (const p of [proxy(), proxy({ hessianVersion: 1 })]) {
      await assert.rejects(p.fail("boom <&>"), (err: unknown) => {
        assert.ok(err instanceof RemoteInvocationError);
        assert.equal(err.remoteCode, "ServiceException");
        assert.equal(err.remoteType, "java.lang.IllegalStateException");
        assert.equal(err.remoteMessage, "boom <&>", "the unescaped detailMessage wins over the HTML-escaped message");
        assert.ok(err.remoteTraceback.some((l) => l.includes("interop.JavaServer$Impl.fail")));
        assert.equal(hessianClassOf(err.detail), "java.lang.IllegalStateException");
        return true;
      });
      await assert.rejects(p.noSuchMethod(), (err: unknown) => {
        assert.ok(err instanceof RemoteInvocationError);
        assert.equal(err.remoteCode, "NoSuchMethodException");
        assert.match(err.remoteMessage, /no method named: noSuchMethod/);
        return true;
      });
    }
    await assert.rejects(proxy().callRemote("echoString", ["a", "b"]), (err: unknown) => err instanceof RemoteInvocationError && err.remoteCode === "NoSuchMethod");
  });

  it("overloaded Java methods are reachable by mangled names", async (t) => {
    if (!requirePeers(t, "hessian")) return;
    const p = proxy();
    assert.equal(await p.callRemote("add_int_int", [2, 3]), 5);
    assert.equal(await p.callRemote("add_double_double", [1.5, 2.25]), 3.75);
    assert.equal(Number(await p.callRemote("add__2", [2, 3])), 5);
  });
});
