/**
 * Pyro4 `preserveTypes` is a declared boolean of the daemon, the exporter,
 * the proxy and the factory: off by default, XML strings accepted, any
 * other value a ConfigError where it is set; the exporter and the factory
 * pass it on to the daemon and the proxy.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../../src/core/errors.js";
import { PyroDaemon } from "../../../src/protocols/pyro4/daemon.js";
import { PyroProxy } from "../../../src/protocols/pyro4/proxy.js";
import { Pyro4ProxyFactory, PyroProxyFactory } from "../../../src/protocols/pyro4/proxy-factory.js";
import { Pyro4ServiceExporter, PyroServiceExporter } from "../../../src/protocols/pyro4/exporter.js";
import { createEndpointClient } from "../../../src/protocols/pyro4/endpoint.js";

const set = (o: object, k: string, v: unknown): void => {
  (o as Record<string, unknown>)[k] = v;
};

describe("Pyro4 preserveTypes option", () => {
  it("is off by default and takes XML's spellings on the exporter and the factory", () => {
    for (const e of [new PyroServiceExporter(), new Pyro4ServiceExporter()]) {
      assert.equal(e.preserveTypes, false);
      set(e, "preserveTypes", "true");
      assert.equal(e.preserveTypes, true);
      set(e, "preserve_types", "no");
      assert.equal(e.preserveTypes, false);
    }
    for (const f of [new PyroProxyFactory("PYRO:x@127.0.0.1:1"), new Pyro4ProxyFactory("PYRO:x@127.0.0.1:1")]) {
      assert.equal(f.preserveTypes, false);
      assert.equal(f.proxySettings().preserveTypes, undefined, "not passed on when not set");
      set(f, "preserveTypes", "yes");
      assert.equal(f.proxySettings().preserveTypes, true);
    }
  });

  it("refuses a value that is no boolean where it is set", () => {
    assert.throws(() => set(new PyroServiceExporter(), "preserveTypes", "ture"), (e: unknown) => e instanceof ConfigError && /preserveTypes/.test(e.message));
    assert.throws(() => set(new PyroProxyFactory(), "preserveTypes", "maybe"), ConfigError);
    assert.throws(() => new PyroDaemon({ preserveTypes: "sometimes" }), ConfigError);
    assert.throws(() => new PyroProxy("PYRO:x@127.0.0.1:1", { preserveTypes: "2" }), ConfigError);
    assert.throws(() => createEndpointClient("PYRO:x@127.0.0.1:1", { settings: { preserveTypes: "x" } }), ConfigError);
  });

  it("reaches the serializers of the proxy", () => {
    const on = new PyroProxy("PYRO:x@127.0.0.1:1", { preserveTypes: "on" });
    const off = new PyroProxy("PYRO:x@127.0.0.1:1");
    const data = Buffer.from("# serpent utf-8 python3.2\n2.0");
    assert.equal(off.serializerFor(1).loads(data), 2);
    assert.equal((on.serializerFor(1).loads(data) as { value: number }).value, 2);
    assert.notEqual(on.serializerFor(1).loads(data), 2);
    assert.notEqual(on.serializerFor(2).loads(Buffer.from("2.0")), 2);
  });
});
