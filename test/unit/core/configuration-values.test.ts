/**
 * The configuration vocabulary: every value is parsed strictly, the same way
 * for every class; anything unknown is a ConfigError naming the property.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, ErrorCodes } from "../../../src/index.js";
import { closest, parseBoolean, parseDuration, parseEnum, parseInteger, parseList, parsePort, parseSize, parseStringMap } from "../../../src/core/config/values.js";

const invalid = (what: RegExp) => (e: unknown) => e instanceof ConfigError && e.code === ErrorCodes.ERR_CONFIG_INVALID_VALUE && what.test(e.message);

describe("configuration values", () => {
  it("booleans: true/false in any case, yes/no, on/off, 1/0; nothing else", () => {
    for (const t of [true, "true", "TRUE", "True", " yes ", "Yes", "on", "1", 1]) assert.equal(parseBoolean(t, "flag"), true, String(t));
    for (const f of [false, "false", "FALSE", "no", "NO", "off", "0", 0]) assert.equal(parseBoolean(f, "flag"), false, String(f));
    for (const bad of ["", "y", "maybe", "2", 2, null, {}]) assert.throws(() => parseBoolean(bad, "sslRequireClientCert"), invalid(/sslRequireClientCert must be true or false/));
  });

  it("sizes: bytes, or a number with kB/KiB/MB/MiB/GB/GiB in any case", () => {
    assert.equal(parseSize(65536, "max"), 65536);
    assert.equal(parseSize("65536", "max"), 65536);
    assert.equal(parseSize("64kB", "max"), 64_000);
    assert.equal(parseSize("64KiB", "max"), 65_536);
    assert.equal(parseSize("1kb", "max"), 1000);
    assert.equal(parseSize("16MiB", "max"), 16 * 1024 * 1024);
    assert.equal(parseSize("1.5 MB", "max"), 1_500_000);
    assert.equal(parseSize("2GiB", "max"), 2 * 1024 ** 3);
    for (const bad of ["1kX", "lots", "", "-5", "12 34", NaN, Infinity]) assert.throws(() => parseSize(bad, "maxBodyBytes"), invalid(/maxBodyBytes must be a size/));
    assert.throws(() => parseSize("0", "maxBodyBytes", { min: 1 }), invalid(/at least 1/));
  });

  it("durations: ms, or with ms/s/m/h; 0 and none mean no limit where allowed", () => {
    assert.equal(parseDuration(250, "t"), 250);
    assert.equal(parseDuration("250", "t"), 250);
    assert.equal(parseDuration("500ms", "t"), 500);
    assert.equal(parseDuration("30s", "t"), 30_000);
    assert.equal(parseDuration("1.5s", "t"), 1500);
    assert.equal(parseDuration("2m", "t"), 120_000);
    assert.equal(parseDuration("1h", "t"), 3_600_000);
    assert.equal(parseDuration("3e9", "t"), 3e9);
    for (const none of ["0", 0, "none", "never", "Infinity", Infinity]) assert.equal(parseDuration(none, "t"), Infinity, String(none));
    assert.throws(() => parseDuration("none", "retryInitialBackoffMs", { allowNone: false }), invalid(/retryInitialBackoffMs/));
    for (const bad of ["soon", "-1", "10 parsecs", "", null]) assert.throws(() => parseDuration(bad, "timeoutMs"), invalid(/timeoutMs must be a duration/));
  });

  it("ports, integers, enums, lists and maps", () => {
    assert.equal(parsePort("8080", "servicePort"), 8080);
    for (const bad of ["80a", "70000", "-1", "8.5"]) assert.throws(() => parsePort(bad, "servicePort"), invalid(/servicePort must be an integer from 0 to 65535/));
    assert.equal(parseInteger("3", "n", { min: 1 }), 3);
    assert.equal(parseEnum("SERPENT", "serializer", ["serpent", "json"]), "serpent");
    assert.equal(parseEnum("ssl.CERT_REQUIRED", "c", ["none", "required"], { "ssl.cert_required": "required" }), "required");
    assert.throws(() => parseEnum("xml", "serializer", ["serpent", "json"]), invalid(/serializer must be one of serpent, json/));
    assert.deepEqual(parseList("a, b  c", "l"), ["a", "b", "c"]);
    assert.deepEqual(parseList(new Set(["x"]), "l"), ["x"]);
    assert.deepEqual(parseStringMap('{"commonName":"My Client"}', "f"), { commonName: "My Client" });
    assert.deepEqual(parseStringMap(new Map([["a", 1]]), "f"), { a: "1" });
    assert.throws(() => parseStringMap("[1]", "verifyFields"), invalid(/verifyFields/));
  });

  it("suggests the closest name for a typo", () => {
    assert.equal(closest("servce_url", ["serviceUrl", "timeoutMs"]), "serviceUrl");
    assert.equal(closest("timeoutMS", ["serviceUrl", "timeoutMs"]), "timeoutMs");
    assert.equal(closest("completelyDifferent", ["serviceUrl", "timeoutMs"]), undefined);
  });
});
