import { test } from "node:test";
import assert from "node:assert/strict";
import { mangleType, mangledName, resolveMethod } from "../../../src/protocols/hessian/handler.js";
import { faultToError } from "../../../src/protocols/hessian/client.js";
import { javaExceptionDetail } from "../../../src/protocols/hessian/envelope.js";
import { hessianClassOf } from "../../../src/protocols/hessian/types.js";

const exposed = new Set(["add", "get_data", "echoPerson", "ping"]);

test("plain, name__N and mangled names resolve as Caucho's skeleton does", () => {
  assert.equal(resolveMethod("add", 2, exposed), "add");
  assert.equal(resolveMethod("add__2", 2, exposed), "add");
  assert.equal(resolveMethod("add__3", 2, exposed), undefined, "the arity must match");
  assert.equal(resolveMethod("add_int_int", 2, exposed), "add");
  assert.equal(resolveMethod("add_double_double", 2, exposed), "add");
  assert.equal(resolveMethod("get_data", 1, exposed), "get_data", "underscores in real names are not mangling");
  assert.equal(resolveMethod("get_data_string", 1, exposed), "get_data");
  assert.equal(resolveMethod("echoPerson_Person", 1, exposed), "echoPerson");
  assert.equal(resolveMethod("echoIntArray_[int", 1, exposed), undefined);
  assert.equal(resolveMethod("ping", 0, exposed), "ping");
  assert.equal(resolveMethod("ping_int", 0, exposed), undefined);
  assert.equal(resolveMethod("constructor", 0, exposed), undefined);
});

test("a fault becomes a RemoteInvocationError with the Java class, unescaped message and trace", () => {
  const detail = javaExceptionDetail("java.lang.IllegalStateException", "a<b");
  (detail as Record<string, unknown>)["stackTrace"] = [{ declaringClass: "x.Y", methodName: "run", fileName: "Y.java", lineNumber: 12 }];
  const err = faultToError({ code: "ServiceException", message: "a&lt;b", detail });
  assert.equal(err.code, "ERR_REMOTE");
  assert.equal(err.remoteType, "java.lang.IllegalStateException");
  assert.equal(err.remoteMessage, "a<b");
  assert.equal(err.remoteCode, "ServiceException");
  assert.deepEqual(err.remoteTraceback, ["at x.Y.run(Y.java:12)"]);
  assert.equal(hessianClassOf(err.detail), "java.lang.IllegalStateException");
  const bare = faultToError({ code: "NoSuchMethodException", message: "The service has no method named: x" });
  assert.equal(bare.remoteType, "NoSuchMethodException");
  assert.equal(bare.remoteMessage, "The service has no method named: x");
});

test("a mangled name outside Caucho's vocabulary is no method (Caucho refuses add_x too)", () => {
  assert.equal(resolveMethod("add_x", 1, new Set(["add"])), undefined);
  assert.equal(resolveMethod("add_x_y", 2, exposed), undefined);
  assert.equal(resolveMethod("add_int_x", 2, exposed), undefined);
  assert.equal(resolveMethod("add_", 1, new Set(["add"])), undefined);
  // the vocabulary: mangled primitives, string, date, binary, xml, arrays of them, simple class names
  for (const t of ["int", "long", "double", "boolean", "string", "date", "binary", "xml", "[int", "[[double", "[string", "Person", "Object", "Map", "[Person"]) {
    assert.equal(resolveMethod(`echoPerson_${t}`, 1, exposed), "echoPerson", t);
  }
});

test("with declared parameter types, only the method's own mangled name is served", () => {
  const sigs = new Map<string, readonly string[]>([
    ["add", ["int", "int"]],
    ["echoPerson", ["com.example.Person"]],
    ["get_data", ["java.lang.String"]],
  ]);
  assert.equal(resolveMethod("add_int_int", 2, exposed, sigs), "add");
  // a client built against add(String, String) would get "12" for ("1", "2"): refused instead
  assert.equal(resolveMethod("add_string_string", 2, exposed, sigs), undefined);
  assert.equal(resolveMethod("add_double_double", 2, exposed, sigs), undefined);
  assert.equal(resolveMethod("echoPerson_Person", 1, exposed, sigs), "echoPerson");
  assert.equal(resolveMethod("echoPerson_Order", 1, exposed, sigs), undefined);
  assert.equal(resolveMethod("get_data_string", 1, exposed, sigs), "get_data");
  assert.equal(resolveMethod("get_data_int", 1, exposed, sigs), undefined);
  // the plain name and name__N still resolve (Caucho registers both); name__N must match the declared count
  assert.equal(resolveMethod("add", 2, exposed, sigs), "add");
  assert.equal(resolveMethod("add__2", 2, exposed, sigs), "add");
  assert.equal(resolveMethod("add__1", 1, exposed, sigs), undefined);
  // methods without a declaration keep the vocabulary rule
  assert.equal(resolveMethod("ping", 0, exposed, sigs), "ping");
});

test("Java types mangle as Caucho's AbstractSkeleton.mangleClass does", () => {
  const cases: Array<[string, string]> = [
    ["int", "int"],
    ["java.lang.Integer", "int"],
    ["short", "int"],
    ["java.lang.Byte", "int"],
    ["long", "long"],
    ["Long", "long"],
    ["float", "double"],
    ["java.lang.Double", "double"],
    ["boolean", "boolean"],
    ["java.lang.String", "string"],
    ["char", "string"],
    ["java.util.Date", "date"],
    ["byte[]", "binary"],
    ["[B", "binary"],
    ["java.io.InputStream", "binary"],
    ["int[]", "[int"],
    ["[I", "[int"],
    ["java.lang.String[]", "[string"],
    ["[Ljava.lang.String;", "[string"],
    ["com.example.Person", "Person"],
    ["com.example.Person[][]", "[[Person"],
    ["java.util.Map", "Map"],
    ["org.w3c.dom.Node", "xml"],
    ["string", "string"],
  ];
  for (const [java, mangled] of cases) assert.equal(mangleType(java), mangled, java);
  assert.equal(mangledName("add", ["int", "java.lang.Integer"]), "add_int_int");
  assert.equal(mangledName("ping", []), "ping");
});
