import { test } from "node:test";
import assert from "node:assert/strict";
import { formatUri, parseUri } from "../../../src/protocols/pyro4/uri.js";
import { ErrorCodes, RemotingError } from "../../../src/core/errors.js";

test("PYRO URIs with host:port, IPv6 and Unix sockets", () => {
  assert.deepEqual(parseUri("PYRO:RemoteService1@localhost:7766"), { protocol: "PYRO", object: "RemoteService1", host: "localhost", port: 7766, sockname: null });
  assert.deepEqual(parseUri("pyro:obj.with.dots@[::1]:5000"), { protocol: "PYRO", object: "obj.with.dots", host: "::1", port: 5000, sockname: null });
  assert.deepEqual(parseUri("PYRO:x@./u:/tmp/some.sock"), { protocol: "PYRO", object: "x", host: null, port: null, sockname: "/tmp/some.sock" });
  assert.equal(formatUri(parseUri("pyro:obj@[::1]:5000")), "PYRO:obj@[::1]:5000");
  assert.equal(formatUri(parseUri("PYRO:x@./u:/tmp/s")), "PYRO:x@./u:/tmp/s");
});

test("PYROLOC URLs map to PYRO with port 7766 when absent or 0", () => {
  assert.deepEqual(parseUri("PYROLOC://127.0.0.1:7000/ServiceName"), { protocol: "PYRO", object: "ServiceName", host: "127.0.0.1", port: 7000, sockname: null, ssl: false });
  assert.equal(parseUri("PYROLOC://localhost/ServiceName").port, 7766);
  assert.equal(parseUri("PYROLOC://localhost:0/ServiceName").port, 7766);
  assert.equal(parseUri("pyrolocssl://host:1/N").ssl, true);
  assert.equal(formatUri(parseUri("PYROLOC://localhost:7766/ServiceName0")), "PYRO:ServiceName0@localhost:7766");
});

test("PYRONAME and PYROMETA with and without a name server location", () => {
  assert.deepEqual(parseUri("PYRONAME:my.service"), { protocol: "PYRONAME", object: "my.service", host: null, port: null, sockname: null });
  assert.deepEqual(parseUri("PYRONAME:my.service@nshost:9999"), { protocol: "PYRONAME", object: "my.service", host: "nshost", port: 9999, sockname: null });
  assert.deepEqual(parseUri("PYRONAME:my.service@nshost"), { protocol: "PYRONAME", object: "my.service", host: "nshost", port: null, sockname: null });
  assert.deepEqual(parseUri("PYROMETA:tag1,tag2@127.0.0.1:9090"), { protocol: "PYROMETA", object: "tag1,tag2", host: "127.0.0.1", port: 9090, sockname: null });
});

test("malformed URIs are ERR_INVALID_ARGUMENT errors", () => {
  for (const bad of ["", "http://x/y", "PYRO:obj", "PYRO:obj@host", "PYRO:obj@host:99999", "PYRO:obj@host:abc", "PYROX:obj@h:1", "PYROLOC://host:x/N", "PYRO:@h:1"]) {
    assert.throws(() => parseUri(bad), (e: unknown) => e instanceof RemotingError && e.code === ErrorCodes.ERR_INVALID_ARGUMENT, bad);
  }
});

test("URI values as they travel in serialized data are accepted", () => {
  assert.deepEqual(parseUri({ protocol: "PYRO", object: "o", host: "127.0.0.1", port: 1, sockname: null }), { protocol: "PYRO", object: "o", host: "127.0.0.1", port: 1, sockname: null });
});
