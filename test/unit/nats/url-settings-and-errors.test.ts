/**
 * NATS without a server: the URL form (parsed strictly), the declared
 * properties of the exporter and the factory (strict parsers, docs,
 * defaults, secrets), the connection options they make, the service API's
 * answers, and how errors are written for the wire.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, ErrorCodes, ServiceError, declaredProperties } from "../../../src/index.js";
import { NatsProxyFactory, NatsServiceExporter, formatNatsUrl, parseNatsUrl } from "../../../src/protocols/nats/index.js";
import { errorDict, remoteErrorOf, statusOf } from "../../../src/protocols/nats/errors.js";
import { EndpointStats, controlSubjects, microResponse } from "../../../src/protocols/nats/micro.js";
import { connectionSettings, natsConnectOptions, type NatsConnectionSettings } from "../../../src/protocols/nats/settings.js";
import { clientSettings } from "../../../src/protocols/nats/proxy-factory.js";
import { microNameOf } from "../../../src/protocols/nats/exporter.js";

const invalid = (err: unknown): boolean => err instanceof ConfigError && err.code === ErrorCodes.ERR_CONFIG_INVALID_VALUE;

describe("NATS service URLs", () => {
  it("parses one server, a cluster list, default ports, IPv6 and an instance", () => {
    assert.deepEqual(parseNatsUrl("nats://127.0.0.1:4222/remoting.Calc"), { servers: ["127.0.0.1:4222"], subject: "remoting.Calc", instance: undefined });
    assert.deepEqual(parseNatsUrl("NATS://h1,h2:4223,[::1]:5000/a.b.c?instance=ABC123"), { servers: ["h1:4222", "h2:4223", "[::1]:5000"], subject: "a.b.c", instance: "ABC123" });
    assert.equal(parseNatsUrl("nats://h/x%2Dy").subject, "x-y");
  });

  it("formats what it parses", () => {
    for (const u of ["nats://127.0.0.1:4222/remoting.Calc", "nats://h1:4222,h2:4223/a.b?instance=XYZ"]) {
      const p = parseNatsUrl(u);
      assert.equal(formatNatsUrl(p.servers, p.subject, p.instance), u);
    }
  });

  for (const [url, why] of [
    ["nats://127.0.0.1:4222", /no subject/],
    ["nats://127.0.0.1:4222/", /no subject/],
    ["nats://127.0.0.1:4222/a.*", /wildcards/],
    ["nats://127.0.0.1:4222/a.>", /wildcards/],
    ["nats://127.0.0.1:4222/a..b", /wildcards or white space/],
    ["nats://127.0.0.1:4222/a%20b", /white space/],
    ["nats://user:pw@127.0.0.1:4222/a", /credentials do not go in the URL/],
    ["nats://127.0.0.1:4222/a?queue=x", /unknown parameter 'queue'/],
    ["nats://127.0.0.1:4222/a?instance=a.b", /not an exporter instance id/],
    ["nats://127.0.0.1:99999/a", /port/],
    ["nats://h1,,h2/a", /empty server/],
    ["tls://127.0.0.1:4222/a", /scheme must be nats:/],
    ["nats:///a", /no server/],
  ] as const) {
    it(`refuses ${url}`, () => {
      assert.throws(() => parseNatsUrl(url), (err: unknown) => invalid(err) && why.test((err as Error).message));
    });
  }

  it("a factory refuses a bad URL when it is set (also under its snake_case name)", () => {
    assert.throws(() => new NatsProxyFactory("nats://127.0.0.1:4222/a.*"), invalid);
    const f = new NatsProxyFactory();
    assert.throws(() => {
      (f as unknown as Record<string, unknown>)["service_url"] = "http://127.0.0.1/x";
    }, (err: unknown) => invalid(err) && /^service_url: .*scheme must be nats:/.test((err as Error).message));
    f.serviceUrl = " nats://127.0.0.1:4222/ok ";
    assert.equal(f.serviceUrl, "nats://127.0.0.1:4222/ok");
  });
});

describe("NATS declared properties", () => {
  it("every property of the exporter and the factory has a doc line; secrets are secret", () => {
    for (const cls of [NatsServiceExporter, NatsProxyFactory]) {
      const props = declaredProperties(cls);
      for (const d of props) assert.ok(d.doc.length > 10, `${cls.name}.${d.name} has no doc`);
      const names = props.map((d) => d.name);
      for (const n of ["user", "password", "token", "nkeySeed", "credsFile", "tlsCa", "tlsCert", "tlsKey", "tlsVerifyServer", "connectTimeoutMs", "randomizeServers"]) assert.ok(names.includes(n), `${cls.name} lacks ${n}`);
      for (const n of ["password", "token", "nkeySeed", "credsFile", "tlsKey"]) assert.equal(props.find((d) => d.name === n)?.secret, true, `${cls.name}.${n}`);
    }
    const ex = declaredProperties(NatsServiceExporter).map((d) => d.name);
    for (const n of ["servers", "subject", "queueGroup", "codecs", "maxRequestSize", "drainTimeoutMs", "serviceVersion", "microName", "metadata", "reconnectTimeWaitMs", "maxReconnectAttempts"]) assert.ok(ex.includes(n), n);
    const pf = declaredProperties(NatsProxyFactory).map((d) => d.name);
    for (const n of ["codec", "attemptTimeoutMs", "serviceUrl", "timeoutMs", "retryAttempts"]) assert.ok(pf.includes(n), n);
  });

  it("defaults", () => {
    const e = new NatsServiceExporter();
    assert.deepEqual(e.servers, ["127.0.0.1:4222"]);
    assert.deepEqual(e.codecs, ["json", "serpent"]);
    assert.equal(e.maxRequestSize, 64 * 1024 * 1024);
    assert.equal(e.drainTimeoutMs, 30_000);
    assert.equal(e.serviceVersion, "1.0.0");
    assert.equal(e.maxReconnectAttempts, -1);
    assert.equal(e.subject, undefined);
    const f = new NatsProxyFactory();
    assert.equal(f.codec, "json");
    assert.equal(f.attemptTimeoutMs, Infinity);
    assert.equal(f.randomizeServers, true);
  });

  it("values are parsed strictly and a bad one names its property", () => {
    const e = new NatsServiceExporter();
    const f = new NatsProxyFactory();
    for (const [target, prop, bad] of [
      [f, "codec", "xml"],
      [f, "attemptTimeoutMs", "soon"],
      [f, "randomizeServers", "perhaps"],
      [e, "servers", "h1:70000"],
      [e, "servers", ""],
      [e, "subject", "a.*"],
      [e, "codecs", "json,pickle"],
      [e, "serviceVersion", "1.0"],
      [e, "microName", "has.dot"],
      [e, "maxRequestSize", "lots"],
      [e, "drainTimeoutMs", "-1"],
      [e, "maxReconnectAttempts", "-2"],
      [e, "tlsMinVersion", "TLSv1.1"],
    ] as const) {
      assert.throws(
        () => {
          (target as unknown as Record<string, unknown>)[prop] = bad;
        },
        (err: unknown) => invalid(err) && (err as Error).message.includes(prop),
        `${prop}=${bad}`,
      );
    }
    e.servers = "nats://a:1, b" as unknown as string[];
    assert.deepEqual(e.servers, ["a:1", "b:4222"]);
    f.attemptTimeoutMs = "2s" as unknown as number;
    assert.equal(f.attemptTimeoutMs, 2000);
  });

  it("an exporter without service or serviceName is refused at start", async () => {
    await assert.rejects(new NatsServiceExporter({ service: {} }).afterPropertiesSet(), (err: unknown) => err instanceof ConfigError && /serviceName/.test((err as Error).message));
  });

  it("the micro name of a service keeps letters, digits, - and _", () => {
    assert.equal(microNameOf("example.service v2"), "example_service_v2");
  });
});

describe("NATS connection options", () => {
  // a factory's settings are read through clientSettings(): any other name on a factory is a remote method
  const base = (): NatsConnectionSettings => clientSettings(new NatsProxyFactory());

  it("a client does not reconnect (a lost connection ends the link); an exporter reconnects for ever by default", () => {
    assert.equal(natsConnectOptions(base(), ["a:1"], "c").reconnect, false);
    const e = new NatsServiceExporter();
    const o = natsConnectOptions(connectionSettings(e, ["reconnectTimeWaitMs", "maxReconnectAttempts"]), ["a:1"], "e");
    assert.notEqual(o.reconnect, false);
    assert.equal(o.maxReconnectAttempts, -1);
    assert.equal(o.reconnectTimeWait, 2000);
  });

  it("TLS is asked for by any TLS setting (or tlsRequired), with the core's options", () => {
    assert.equal(natsConnectOptions(base(), ["a:1"], "c").tls, undefined);
    const f = new NatsProxyFactory(undefined, { tlsRequired: "yes", tlsMinVersion: "TLSv1.3" });
    const tls = natsConnectOptions(clientSettings(f), ["a:1"], "c").tls as Record<string, unknown>;
    assert.equal(tls["minVersion"], "TLSv1.3");
    assert.equal(tls["rejectUnauthorized"], true);
  });

  it("one kind of credentials; a password needs a user", () => {
    const two = new NatsProxyFactory(undefined, { token: "t", nkeySeed: "SUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    assert.throws(() => natsConnectOptions(clientSettings(two), ["a:1"], "c"), (err: unknown) => invalid(err) && /token and nkeySeed/.test((err as Error).message));
    const pw = new NatsProxyFactory(undefined, { password: "p" });
    assert.throws(() => natsConnectOptions(clientSettings(pw), ["a:1"], "c"), /password needs user/);
    const up = new NatsProxyFactory(undefined, { user: "u", password: "p" });
    const o = natsConnectOptions(clientSettings(up), ["a:1"], "c");
    assert.equal(o.user, "u");
    assert.equal(o.pass, "p");
  });
});

describe("NATS service API answers and errors", () => {
  it("ping, info and stats have the micro types and fields", () => {
    const e = new EndpointStats("call", "remoting.S", "S");
    e.record(1000);
    e.record(3000, "500:boom");
    const id = { name: "S", id: "ID1", version: "1.2.3", description: "d", metadata: { k: "v" }, started: new Date(0), endpoints: [e] };
    assert.deepEqual(microResponse("PING", id), { type: "io.nats.micro.v1.ping_response", name: "S", id: "ID1", version: "1.2.3", metadata: { k: "v" } });
    const info = microResponse("INFO", id);
    assert.equal(info["type"], "io.nats.micro.v1.info_response");
    assert.deepEqual(info["endpoints"], [{ name: "call", subject: "remoting.S", queue_group: "S", metadata: null }]);
    const stats = microResponse("STATS", id);
    assert.equal(stats["started"], "1970-01-01T00:00:00.000Z");
    assert.deepEqual(stats["endpoints"], [
      { name: "call", subject: "remoting.S", queue_group: "S", num_requests: 2, num_errors: 1, last_error: "500:boom", processing_time: 4000, average_processing_time: 2000 },
    ]);
    assert.deepEqual(controlSubjects("INFO", "S", "ID1"), ["$SRV.INFO", "$SRV.INFO.S", "$SRV.INFO.S.ID1"]);
  });

  it("an error's type travels: Python builtins, pythonType, the error's own name; refusals get 4xx codes", () => {
    assert.equal(errorDict(Object.assign(new Error("x"), { name: "ValueError" }))["__class__"], "builtins.ValueError");
    assert.equal(errorDict(Object.assign(new Error("x"), { pythonType: "app.Refused" }))["__class__"], "app.Refused");
    class Overdrawn extends Error {
      override name = "Overdrawn";
    }
    assert.equal(errorDict(new Overdrawn("x"))["__class__"], "Overdrawn");
    assert.equal(errorDict(new Error("x"))["__class__"], "builtins.Exception");
    assert.equal(errorDict(new ServiceError("arity", "f() takes 1"))["__class__"], "builtins.TypeError");
    assert.equal(statusOf(new ServiceError("arity", "")), 400);
    assert.equal(statusOf(new ServiceError("no-method", "")), 404);
    assert.equal(statusOf(new ServiceError("deadline", "")), 408);
    assert.equal(statusOf(new Error("x")), 500);
    const headers = new Map([
      ["Nats-Service-Error", "went wrong"],
      ["Nats-Service-Error-Code", "503"],
    ]);
    const fromHeaders = remoteErrorOf(undefined, { get: (k) => headers.get(k) ?? "" });
    assert.equal(fromHeaders.remoteType, "NatsServiceError");
    assert.equal(fromHeaders.remoteMessage, "went wrong");
    assert.equal(fromHeaders.remoteCode, 503);
  });
});
