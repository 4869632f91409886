import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, NamingError, RemoteInvocationError, SerializationError, TimeoutError } from "../../../src/core/errors.js";
import { MethodNotFoundError } from "../../../src/core/server/exposure.js";
import { errorToPyro, getSerializer, isExceptionDict, pyroToError, pythonExceptionName } from "../../../src/codecs/python/index.js";

describe("errorToPyro encodes JS errors as Pyro4 exception dicts", () => {
  test("the dict shape, args and traceback lines", () => {
    const d = errorToPyro(new RangeError("bad value"));
    assert.deepStrictEqual(Object.keys(d), ["__class__", "__exception__", "args", "attributes"]);
    assert.equal(d["__class__"], "builtins.ValueError");
    assert.equal(d["__exception__"], true);
    assert.deepStrictEqual(d["args"], ["bad value"]);
    const tb = (d["attributes"] as Record<string, unknown>)["_pyroTraceback"] as string[];
    assert.ok(tb.length > 1);
    assert.equal(tb[0], "RangeError: bad value\n");
    assert.ok(tb.every((l) => l.endsWith("\n")));
    assert.deepStrictEqual((errorToPyro(new Error("x"), ["line one", "line two\n"])["attributes"] as Record<string, unknown>)["_pyroTraceback"], ["line one\n", "line two\n"]);
    assert.deepStrictEqual((errorToPyro(new Error("x"), [])["attributes"] as Record<string, unknown>)["_pyroTraceback"], []);
  });

  test("class names Python can rebuild", () => {
    const cls = (e: unknown) => errorToPyro(e)["__class__"];
    assert.equal(cls(new Error("x")), "builtins.Exception");
    assert.equal(cls(new TypeError("x")), "builtins.TypeError");
    assert.equal(cls(new RangeError("x")), "builtins.ValueError");
    assert.equal(cls(new SyntaxError("x")), "builtins.SyntaxError");
    assert.equal(cls(new ReferenceError("x")), "builtins.NameError");
    assert.equal(cls(new MethodNotFoundError("nope")), "builtins.AttributeError");
    assert.equal(cls(new NamingError("x")), "Pyro4.errors.NamingError");
    assert.equal(cls(new TimeoutError("x")), "builtins.TimeoutError");
    assert.equal(cls(new SerializationError("x")), "Pyro4.errors.SerializeError");
    assert.equal(cls(new ConfigError("x")), "builtins.Exception");
    assert.equal(cls(Object.assign(new Error("x"), { code: "ENOENT", errno: -2, syscall: "open" })), "builtins.FileNotFoundError");
    assert.equal(cls(Object.assign(new Error("x"), { code: "EWHATEVER", errno: -99, syscall: "open" })), "builtins.OSError");
    assert.equal(cls(Object.assign(new Error("x"), { pythonType: "KeyError" })), "builtins.KeyError");
    assert.equal(cls(Object.assign(new Error("x"), { pythonType: "Pyro4.errors.DaemonError" })), "Pyro4.errors.DaemonError");
    assert.equal(cls(Object.assign(new Error("x"), { pythonType: "sqlite3.OperationalError" })), "sqlite3.OperationalError");
    assert.equal(cls(new RemoteInvocationError({ remoteType: "ZeroDivisionError", remoteMessage: "division by zero" })), "builtins.ZeroDivisionError");
    class KeyError extends Error {}
    assert.equal(cls(new KeyError("k")), "builtins.KeyError");
    // never names a Python client cannot (or must not) rebuild
    for (const t of ["__main__.MyError", "SystemExit", "KeyboardInterrupt", "GeneratorExit", "UnicodeDecodeError", "os.system", "java.lang.IllegalStateException", "builtins.__import__"]) {
      assert.equal(cls(Object.assign(new Error("x"), { pythonType: t })), "builtins.Exception", t);
    }
    assert.equal(cls("a string was thrown"), "builtins.Exception");
    assert.deepStrictEqual(errorToPyro("a string was thrown")["args"], ["a string was thrown"]);
  });

  test("empty messages give empty args (as Python's StopIteration()), pythonArgs overrides", () => {
    assert.deepStrictEqual(errorToPyro(Object.assign(new Error(""), { pythonType: "StopIteration" }))["args"], []);
    assert.deepStrictEqual(errorToPyro(Object.assign(new Error("x"), { pythonArgs: ["custom", 42] }))["args"], ["custom", 42]);
  });

  test("primitive own fields become attributes", () => {
    const e = Object.assign(new Error("x"), { code: "E_APP", retry: 3, obj: { no: 1 }, _private: 1, "bad name": 2 });
    const attrs = errorToPyro(e, [])["attributes"];
    assert.deepStrictEqual(attrs, { _pyroTraceback: [], code: "E_APP", retry: 3 });
  });

  test("pythonExceptionName", () => {
    assert.equal(pythonExceptionName("ValueError"), "builtins.ValueError");
    assert.equal(pythonExceptionName("exceptions.ValueError"), "builtins.ValueError");
    assert.equal(pythonExceptionName("Pyro4.errors.SecurityError"), "Pyro4.errors.SecurityError");
    assert.equal(pythonExceptionName("Pyro4.errors.Nope"), undefined);
    assert.equal(pythonExceptionName("MyError"), undefined);
  });
});

describe("pyroToError describes a Pyro4 exception dict", () => {
  test("builtin, Pyro and custom classes", () => {
    const e = pyroToError({ __class__: "builtins.ValueError", __exception__: true, args: ["boom"], attributes: { _pyroTraceback: ["Traceback (most recent call last):\n", "ValueError: boom\n"], extra: 1 } });
    assert.ok(e instanceof RemoteInvocationError);
    assert.equal(e.code, "ERR_REMOTE");
    assert.equal(e.remoteType, "ValueError");
    assert.equal(e.remoteMessage, "boom");
    assert.equal(e.message, "ValueError: boom");
    assert.deepStrictEqual(e.remoteTraceback, ["Traceback (most recent call last):\n", "ValueError: boom\n"]);
    assert.deepStrictEqual(e.detail, { className: "builtins.ValueError", args: ["boom"], attributes: { extra: 1 } });
    assert.equal(pyroToError({ __class__: "Pyro4.errors.NamingError", args: ["unknown name: x"] }).remoteType, "Pyro4.errors.NamingError");
    assert.equal(pyroToError({ __class__: "builtins.StopIteration", __exception__: true, args: [], attributes: {} }).remoteMessage, "");
    assert.equal(pyroToError({ __class__: "x.Y", args: ["a", 1, null, 1.5, true] }).remoteMessage, "('a', 1, None, 1.5, True)");
    assert.deepStrictEqual(pyroToError({ __class__: "x.Y", args: [], attributes: { _pyroTraceback: "a\nb\n" } }).remoteTraceback, ["a\n", "b\n"]);
    assert.deepStrictEqual(pyroToError({ __class__: "x.Y", args: [], attributes: { _pyroTraceback: null } }).remoteTraceback, []);
  });

  test("isExceptionDict recognises decoded exception dicts only", () => {
    const s = getSerializer("serpent");
    assert.equal(isExceptionDict(s.loads(s.dumps(errorToPyro(new Error("x"))))), true);
    assert.equal(isExceptionDict(s.loads(Buffer.from("{'__class__':'Pyro4.futures._ExceptionWrapper','exception':{}}"))), false);
    for (const v of [null, {}, { __class__: "x" }, { __exception__: true }, [1], new Map<string, unknown>([["__class__", "x"], ["__exception__", true]])] as unknown[]) assert.equal(isExceptionDict(v), false);
  });

  test("malformed exception data still gives a RemoteInvocationError", () => {
    for (const bad of [null, 5, "text", [1, 2], {}]) {
      const e = pyroToError(bad as Record<string, unknown>);
      assert.ok(e instanceof RemoteInvocationError);
      assert.equal(e.remoteType, bad && typeof bad === "object" && !Array.isArray(bad) ? "Exception" : "Exception");
    }
  });

  test("round trip through every serializer", () => {
    for (const name of ["serpent", "json", "marshal"]) {
      const s = getSerializer(name);
      const back = pyroToError(s.loads(s.dumps(errorToPyro(new TypeError("wrong type"), ["tb line\n"]))) as Record<string, unknown>);
      assert.equal(back.remoteType, "TypeError", name);
      assert.equal(back.remoteMessage, "wrong type");
      assert.deepStrictEqual(back.remoteTraceback, ["tb line\n"]);
      // and forwarding it again keeps the class
      assert.equal(errorToPyro(back)["__class__"], "builtins.TypeError");
    }
  });
});
