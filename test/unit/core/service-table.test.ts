/**
 * The server-side service table every protocol dispatches through:
 * registration, exposure, arity (Python's TypeError wording, nothing runs),
 * keyword arguments, attributes, instance modes, server interceptors, the
 * call context (also after awaits), deadlines, and prepared handles for
 * fast paths that keep the same rules.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCodes, PARAMS, RemotingError, ServiceError, ServiceTable, callContext, type ServerCall } from "../../../src/index.js";
import { newCallContext } from "../../../src/core/server/call-context.js";

class Calc {
  runs = 0;
  label = "calc";
  _secret = 1;
  add(a: number, b: number): number {
    this.runs++;
    return a + b;
  }
  greet(name: string, greeting = "hello"): string {
    return `${greeting} ${name}`;
  }
  sum(...xs: number[]): number {
    return xs.reduce((x, y) => x + y, 0);
  }
  async whoCalls(): Promise<string> {
    await new Promise((r) => setTimeout(r, 5));
    const c = callContext();
    return `${c?.protocol}:${c?.method}:${c?.clientAddress}`;
  }
  _private(): void {}
}

const ctx = (method: string, extra: object = {}) => newCallContext({ protocol: "test", service: "calc", method, clientAddress: "10.0.0.1", ...extra });
const call = (method: string, args: unknown[], extra: Partial<ServerCall> = {}): ServerCall => ({ service: "calc", method, args, context: ctx(method), ...extra });

function refused(reason: string, code: string, message?: RegExp) {
  return (e: unknown) => e instanceof ServiceError && e.reason === reason && e.code === code && (!message || message.test(e.message));
}

describe("ServiceTable", () => {
  it("serves public methods; refuses private, unexposed and unknown names and unknown services", async () => {
    const t = new ServiceTable({ tracing: false });
    const calc = new Calc();
    t.register("calc", calc, { allow: ["add", "greet", "whoCalls"] });
    assert.equal(await t.invoke(call("add", [2, 3])), 5);
    assert.throws(() => t.invoke(call("_private", [])), refused("private", ErrorCodes.ERR_METHOD_NOT_FOUND, /private attribute '_private'/));
    assert.throws(() => t.invoke(call("sum", [])), refused("unexposed", ErrorCodes.ERR_METHOD_NOT_FOUND, /unexposed attribute 'sum'/));
    assert.throws(() => t.invoke(call("nope", [])), refused("no-method", ErrorCodes.ERR_METHOD_NOT_FOUND, /'Calc' object has no attribute 'nope'/));
    assert.throws(() => t.invoke(call("constructor", [])), (e: unknown) => e instanceof ServiceError);
    assert.throws(() => t.invoke({ ...call("add", [1, 2]), service: "other" }), refused("unknown-service", ErrorCodes.ERR_SERVICE_NOT_FOUND));
    assert.throws(() => t.register("calc", {}), (e: unknown) => e instanceof RemotingError && e.code === ErrorCodes.ERR_DUPLICATE_NAME);
  });

  it("refuses a wrong argument count before the method runs, in Python's words", () => {
    const t = new ServiceTable({ tracing: false });
    const calc = new Calc();
    t.register("calc", calc);
    assert.throws(() => t.invoke(call("add", [1])), refused("arity", ErrorCodes.ERR_ARITY, /^add\(\) missing 1 required positional argument: 'b'$/));
    assert.throws(() => t.invoke(call("add", [])), refused("arity", ErrorCodes.ERR_ARITY, /missing 2 required positional arguments: 'a' and 'b'/));
    assert.throws(() => t.invoke(call("add", [1, 2, 3])), refused("arity", ErrorCodes.ERR_ARITY, /add\(\) takes 2 positional arguments but 3 were given/));
    assert.throws(() => t.invoke(call("greet", [1, 2, 3])), refused("arity", ErrorCodes.ERR_ARITY, /takes from 1 to 2 positional arguments but 3 were given/));
    assert.equal(calc.runs, 0);
    assert.equal(t.invoke(call("greet", ["bob"])), "hello bob");
    assert.equal(t.invoke(call("sum", [1, 2, 3, 4])), 10);
    assert.equal((new ServiceError("arity", "x")).pythonType, "builtins.TypeError");
  });

  it("places keyword arguments by declared parameter names, else passes them as one object", () => {
    const t = new ServiceTable({ tracing: false });
    const svc = {
      kw(a: unknown, b: unknown) {
        return [a, b];
      },
      raw(...xs: unknown[]) {
        return xs;
      },
    };
    (svc.kw as unknown as Record<symbol, unknown>)[PARAMS] = ["a", "b"];
    t.register("s", svc);
    const c = (m: string, args: unknown[], kwargs: Record<string, unknown>) => t.invoke({ service: "s", method: m, args, kwargs, context: ctx(m) });
    assert.deepEqual(c("kw", [1], { b: 2 }), [1, 2]);
    assert.throws(() => c("kw", [1], { a: 2 }), refused("keyword", ErrorCodes.ERR_ARITY, /multiple values for argument 'a'/));
    assert.throws(() => c("kw", [], { zz: 1 }), refused("keyword", ErrorCodes.ERR_ARITY, /unexpected keyword argument 'zz'/));
    assert.deepEqual(c("raw", [1], { x: 2 }), [1, { x: 2 }]);
  });

  it("reads and sets public data attributes only", () => {
    const t = new ServiceTable({ tracing: false });
    const calc = new Calc();
    t.register("calc", calc);
    assert.equal(t.getAttribute("calc", "label"), "calc");
    t.setAttribute("calc", "label", "x");
    assert.equal(calc.label, "x");
    for (const bad of ["_secret", "add", "nothing", 5]) assert.throws(() => t.getAttribute("calc", bad), (e: unknown) => e instanceof ServiceError);
    assert.deepEqual(t.attributes("calc"), ["label", "runs"]);
  });

  it("runs server interceptors around each call, and the method sees its call context after awaits", async () => {
    const t = new ServiceTable({ tracing: false });
    t.register("calc", new Calc());
    const seen: string[] = [];
    t.use((next) => (c) => {
      seen.push(`in ${c.method} from ${c.context.clientAddress}`);
      return next(c);
    });
    assert.equal(await t.invoke(call("whoCalls", [])), "test:whoCalls:10.0.0.1");
    assert.deepEqual(seen, ["in whoCalls from 10.0.0.1"]);
    assert.equal(callContext(), undefined);
  });

  it("does not run a call whose client deadline has passed", () => {
    const t = new ServiceTable({ tracing: false });
    const calc = new Calc();
    t.register("calc", calc);
    assert.throws(() => t.invoke({ ...call("add", [1, 2]), context: ctx("add", { deadline: Date.now() - 1 }) }), refused("deadline", ErrorCodes.ERR_TIMEOUT));
    assert.equal(calc.runs, 0);
  });

  it("serves a class per instance mode: one per session, one for all, one per call", async () => {
    class Counter {
      n = 0;
      inc(): number {
        return ++this.n;
      }
    }
    const t = new ServiceTable({ tracing: false });
    t.register("session", Counter);
    t.register("single", Counter, { instanceMode: "single" });
    t.register("percall", Counter, { instanceMode: "percall" });
    const s1 = { closed: false };
    const s2 = { closed: false };
    const inc = (service: string, session: object) => t.invoke({ service, method: "inc", args: [], context: ctx("inc"), session: session as { closed: boolean } });
    assert.deepEqual([await inc("session", s1), await inc("session", s1), await inc("session", s2)], [1, 2, 1]);
    assert.deepEqual([await inc("single", s1), await inc("single", s2)], [1, 2]);
    assert.deepEqual([await inc("percall", s1), await inc("percall", s1)], [1, 1]);
    t.endSession(s1);
    assert.equal(await inc("session", s1), 1);
  });

  it("a prepared handle keeps the rules (arity, context) for fast paths, and is refused for classes", () => {
    const t = new ServiceTable({ tracing: false });
    const calc = new Calc();
    t.register("calc", calc);
    t.register("cls", Calc);
    const h = t.prepared("calc", "add")!;
    assert.equal(h.call([1, 2], ctx("add")), 3);
    assert.throws(() => h.call([1], ctx("add")), refused("arity", ErrorCodes.ERR_ARITY));
    assert.equal(t.prepared("cls", "add"), undefined);
    assert.equal(t.prepared("calc", "_private"), undefined);
    assert.equal(t.prepared("calc", "nope"), undefined);
  });
});
