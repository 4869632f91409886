import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveMethod } from "../../../src/protocols/hessian/handler.js";
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
