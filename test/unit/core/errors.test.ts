import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CommunicationError,
  ConfigError,
  ErrorCodes,
  MessageTooLargeError,
  ConnectionClosedError,
  SecurityError,
  ProtocolError,
  RemoteInvocationError,
  RemotingError,
  SerializationError,
  TimeoutError,
} from "../../../src/index.js";
import { networkError } from "../../../src/core/errors.js";

const DOC = readFileSync(join(import.meta.dirname, "../../../docs/errors.md"), "utf8");

describe("error codes", () => {
  it("every exported code is documented in docs/errors.md, and every documented code exists", () => {
    const documented = new Set([...DOC.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
    const exported = new Set(Object.values(ErrorCodes));
    for (const c of exported) assert.ok(documented.has(c), `${c} is not documented`);
    for (const c of documented) assert.ok(exported.has(c as never), `${c} is documented but not exported`);
  });

  it("keeps the hierarchy, codes and cause", () => {
    const cause = new Error("low level");
    const e = new SerializationError("bad bytes", { cause });
    assert.ok(e instanceof ProtocolError && e instanceof CommunicationError && e instanceof RemotingError && e instanceof Error);
    assert.equal(e.code, "ERR_SERIALIZATION");
    assert.equal(e.cause, cause);
    assert.equal(e.name, "SerializationError");
    const big = new MessageTooLargeError(10, 5);
    assert.equal(big.code, "ERR_MESSAGE_TOO_LARGE");
    assert.ok(!(big instanceof TimeoutError));
    const r = new RemoteInvocationError({ remoteType: "ValueError", remoteMessage: "bad", remoteTraceback: ["line"] });
    assert.equal(r.message, "ValueError: bad");
    assert.deepEqual(r.remoteTraceback, ["line"]);
  });

  it("instanceof works across copies of the package (Symbol.for brands)", () => {
    const foreign = Object.create({ [Symbol.for("remoting.error.RemotingError")]: true, [Symbol.for("remoting.error.ConfigError")]: true });
    assert.ok(foreign instanceof RemotingError);
    assert.ok(foreign instanceof ConfigError);
    assert.ok(!(foreign instanceof TimeoutError));
  });

  it("formats configuration errors with location, object and path", () => {
    const e = new ConfigError("boom", ErrorCodes.ERR_CONFIG_CYCLE, { location: { file: "a.xml", line: 3, column: 5 }, objectId: "x", path: ["a", "x"] });
    assert.equal(e.message, "a.xml:3:5: object 'x': boom (resolving a -> x)");
  });
});

describe("networkError", () => {
  const e = (code: string | undefined, message: string): Error => Object.assign(new Error(message), code ? { code } : {});
  it("maps socket and TLS failures of every client transport to one hierarchy", () => {
    const refused = networkError(e("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1"), "PYRO:x@h:1");
    assert.ok(refused instanceof CommunicationError && refused.code === ErrorCodes.ERR_CONNECTION_REFUSED);
    const tls = networkError(e("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"), "https://h");
    assert.ok(tls instanceof SecurityError && /UNABLE_TO_VERIFY_LEAF_SIGNATURE/.test(tls.message));
    assert.ok(networkError(e("ECONNRESET", "Client network socket disconnected before secure TLS connection was established"), "h") instanceof SecurityError);
    for (const [code, message] of [["ECONNRESET", "read ECONNRESET"], ["EPIPE", "write EPIPE"], [undefined, "socket hang up"], [undefined, "premature close"]] as const) {
      assert.ok(networkError(e(code, message), "h") instanceof ConnectionClosedError, message);
    }
    const other = networkError(e("EHOSTUNREACH", "no route"), "h");
    assert.ok(other instanceof CommunicationError && !(other instanceof ConnectionClosedError) && other.code === ErrorCodes.ERR_COMMUNICATION);
    assert.equal((other as Error & { cause?: unknown }).cause instanceof Error, true);
    const already = new ProtocolError("bad frame");
    assert.equal(networkError(already, "h"), already);
  });
});
