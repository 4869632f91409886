/**
 * The endpoint registry: a URL's scheme picks the protocol; schemes shared by
 * several protocols need the protocol named; unknown schemes are a
 * configuration error that lists what is known.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../../src/index.js";
import { endpointFor, registerEndpoint, schemeOf } from "../../../src/core/endpoints.js";

describe("endpoint registry", () => {
  it("knows the built-in schemes", () => {
    assert.equal(endpointFor("PYRO:obj@localhost:7766").protocol, "pyro4");
    assert.equal(endpointFor("PYROLOC://localhost:7000/Name").protocol, "pyro4");
    assert.equal(endpointFor("PYRONAME:service").protocol, "pyro4");
    assert.equal(endpointFor("PYROMETA:tag").protocol, "pyro4");
    assert.equal(endpointFor("https://h/x", "hessian").protocol, "hessian");
    assert.equal(endpointFor("http://h/RPC2", "XMLRPC").protocol, "xmlrpc");
  });

  it("asks for the protocol where a scheme is shared, and refuses unknown schemes and mismatches", () => {
    assert.throws(() => endpointFor("http://h/"), (e: unknown) => e instanceof ConfigError && /hessian and xmlrpc: name the protocol/.test(e.message));
    assert.throws(() => endpointFor("gopher://h/"), (e: unknown) => e instanceof ConfigError && /no protocol takes gopher/.test(e.message));
    assert.throws(() => endpointFor("PYRO:x@h:1", "hessian"), /does not take pyro/);
    assert.throws(() => endpointFor("no-scheme"), /no scheme/);
    assert.equal(schemeOf(" PYRONAME:x"), "pyroname");
  });

  it("a protocol registered later is found by its scheme", async () => {
    registerEndpoint({ protocol: "loop", schemes: ["loop"], load: () => () => ({}) as never });
    assert.equal(endpointFor("loop://x").protocol, "loop");
  });
});
