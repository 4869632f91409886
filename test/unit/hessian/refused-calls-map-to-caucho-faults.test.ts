/**
 * A call the service table refuses becomes the fault Caucho's skeleton would
 * send, with a detail a Java client rethrows: a wrong argument count is
 * Caucho's `NoSuchMethod` with a java.lang.IllegalArgumentException; an
 * unknown, private or unexposed method is `NoSuchMethodException`; a call
 * past the client's deadline is a ServiceException with a TimeoutException.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MethodNotFoundError, ServiceError } from "../../../src/core/server/exposure.js";
import { decodeReply, encodeFault, faultToError, serviceErrorFault } from "../../../src/protocols/hessian/index.js";
import { parseDecodeSettings } from "../../../src/protocols/hessian/settings.js";

function roundTrip(err: ServiceError, sent: string, version: 1 | 2) {
  const reply = decodeReply(encodeFault(serviceErrorFault(err, sent), version));
  assert.ok(reply.fault);
  return faultToError(reply);
}

test("an arity refusal is Caucho's NoSuchMethod fault with an IllegalArgumentException detail, in both versions", () => {
  for (const v of [1, 2] as const) {
    const e = roundTrip(new ServiceError("arity", "add() missing 1 required positional argument: 'b'"), "add", v);
    assert.equal(e.remoteCode, "NoSuchMethod");
    assert.equal(e.remoteType, "java.lang.IllegalArgumentException");
    assert.equal(e.remoteMessage, "add() missing 1 required positional argument: 'b'");
  }
});

test("unknown, private and unexposed methods are NoSuchMethodException naming the method as sent", () => {
  for (const reason of ["no-method", "private", "unexposed"] as const) {
    const e = roundTrip(new MethodNotFoundError("x", undefined, reason), "x__2", 2);
    assert.equal(e.remoteCode, "NoSuchMethodException");
    assert.equal(e.remoteType, "NoSuchMethodException");
    assert.equal(e.remoteMessage, "The service has no method named: x__2");
  }
});

test("a call past the client's deadline is a ServiceException with a java.util.concurrent.TimeoutException detail", () => {
  const e = roundTrip(new ServiceError("deadline", "the client's deadline for 'add' passed before it could run"), "add", 2);
  assert.equal(e.remoteCode, "ServiceException");
  assert.equal(e.remoteType, "java.util.concurrent.TimeoutException");
});

test("decoder settings are parsed strictly from objects, Maps and JSON text", () => {
  assert.deepEqual(parseDecodeSettings('{"maxDepth": "12", "preserveTypes": "yes", "mapsAs": "MAP"}', "decodeOptions"), { maxDepth: 12, preserveTypes: true, mapsAs: "map" });
  assert.deepEqual(parseDecodeSettings(new Map([["maxFields", 8]]), "decodeOptions"), { maxFields: 8 });
  assert.throws(() => parseDecodeSettings({ maxDepth: 0 }, "decodeOptions"), /decodeOptions\.maxDepth/);
  assert.throws(() => parseDecodeSettings({ preserveTypes: "perhaps" }, "decodeOptions"), /decodeOptions\.preserveTypes/);
  assert.throws(() => parseDecodeSettings({ mapsAs: "list" }, "decodeOptions"), /decodeOptions\.mapsAs/);
  assert.throws(() => parseDecodeSettings("maxDepth=3", "decodeOptions"), /decodeOptions/);
  assert.throws(() => parseDecodeSettings({ maxStringLenght: 3 }, "decodeOptions"), /did you mean 'maxStringLength'/);
});
