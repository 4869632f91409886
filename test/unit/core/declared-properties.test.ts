/**
 * Declared properties: parsed where they are set, aliases share one value,
 * a change of a connection property is reported, and check-config can
 * validate a name and a value against the class without creating it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, ErrorCodes } from "../../../src/index.js";
import { boolean, checkProperty, declaredProperties, defineProperties, duration, findProperty, kPropertyChanged, size } from "../../../src/core/config/properties.js";

class Base {
  declare timeoutMs: number;
}
defineProperties(Base, { timeoutMs: duration("time limit", 30_000, { aliases: ["timeout"], connection: true }) });

class Thing extends Base {
  declare verbose: boolean;
  declare maxBodyBytes: number;
  declare max_body_bytes: number;
  changed: string[] = [];
  constructor() {
    super();
    Object.defineProperty(this, kPropertyChanged, { value: (n: string) => this.changed.push(n) });
  }
}
defineProperties(Thing, {
  verbose: boolean("print traffic", false),
  maxBodyBytes: size("largest body", 10 * 1024 * 1024, { aliases: ["max_body_bytes"], connection: true }),
});

describe("declared properties", () => {
  it("parse when set, give defaults before, and accept their aliases", () => {
    const t = new Thing();
    assert.equal(t.timeoutMs, 30_000);
    assert.equal(t.maxBodyBytes, 10 * 1024 * 1024);
    t.max_body_bytes = "1kB" as unknown as number;
    assert.equal(t.maxBodyBytes, 1000);
    (t as unknown as { timeout: string }).timeout = "2s";
    assert.equal(t.timeoutMs, 2000);
    t.verbose = "yes" as unknown as boolean;
    assert.equal(t.verbose, true);
    t.verbose = undefined as unknown as boolean;
    assert.equal(t.verbose, false);
  });

  it("refuse a bad value where it is set, naming the property", () => {
    const t = new Thing();
    assert.throws(() => (t.maxBodyBytes = "1 lot" as unknown as number), (e: unknown) => e instanceof ConfigError && /maxBodyBytes must be a size/.test(e.message));
    assert.equal(t.maxBodyBytes, 10 * 1024 * 1024, "a refused value leaves the old one");
  });

  it("report a change of a connection property, not of others, nor a set to the same value", () => {
    const t = new Thing();
    t.verbose = true;
    t.timeoutMs = 30_000;
    t.timeoutMs = 5;
    t.maxBodyBytes = 5;
    t.maxBodyBytes = 5;
    assert.deepEqual(t.changed, ["timeoutMs", "maxBodyBytes"]);
  });

  it("are listed with their owner, and found by name, alias or snake_case", () => {
    const names = declaredProperties(Thing).map((d) => `${d.owner}.${d.name}`);
    assert.deepEqual(names, ["Thing.verbose", "Thing.maxBodyBytes", "Base.timeoutMs"]);
    assert.equal(findProperty(Thing, "max_body_bytes")?.name, "maxBodyBytes");
    assert.equal(findProperty(Thing, "timeout")?.name, "timeoutMs");
    assert.equal(findProperty(Thing, "timeout_ms")?.name, "timeoutMs");
  });

  it("check a name and a value without creating the object, with a suggestion for a typo", () => {
    assert.equal(checkProperty(Thing, "maxBodyBytes", "64kB", true).name, "maxBodyBytes");
    assert.throws(() => checkProperty(Thing, "maxBodyByte", "1", true), (e: unknown) => e instanceof ConfigError && e.code === ErrorCodes.ERR_CONFIG_UNKNOWN_PROPERTY && /did you mean 'maxBodyBytes'/.test(e.message));
    assert.throws(() => checkProperty(Thing, "verbose", "perhaps", true), (e: unknown) => e instanceof ConfigError && e.code === ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    // a reference's value is only known when the context runs: the name is still checked
    assert.equal(checkProperty(Thing, "verbose", undefined, false).name, "verbose");
  });
});
