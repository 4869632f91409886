/**
 * Conformance: configuration is parsed strictly and the same way for every
 * protocol (core/config). A value that does not parse is a ConfigError
 * naming the property (and, through a context, the object); security
 * settings never fail open; sizes take units; changing the URL reaches the
 * new service.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ApplicationContext, ConfigError, ErrorCodes, RemoteInvocationError, RemotingError } from "../../../src/index.js";
import { ConformanceService, PROTOCOLS, type Served } from "./protocols.js";

for (const p of PROTOCOLS) {
  describe(`${p.name}: strict configuration`, () => {
    const service = new ConformanceService();
    let served: Served;
    before(async () => {
      served = await p.serve(service);
    });
    after(() => served.stop());

    for (const [prop, bad] of [
      ["timeoutMs", "soon"],
      ["timeoutMs", "-1"],
      ["retryAttempts", "three"],
      ["logCalls", "maybe"],
      ["tlsVerifyServer", "perhaps"],
      ["tlsMinVersion", "TLSv1"],
      ["tlsMinVersion", "TLSv1.1"],
    ] as const) {
      it(`factory ${prop}="${bad}" is a ConfigError naming ${prop}`, () => {
        const f = p.factory(served.url);
        assert.throws(
          () => {
            (f as unknown as Record<string, unknown>)[prop] = bad;
          },
          (err: unknown) => err instanceof ConfigError && err.code === ErrorCodes.ERR_CONFIG_INVALID_VALUE && err.message.includes(prop),
        );
      });
    }

    for (const [prop, bad] of [
      ["tlsClientCert", "yes please"],
      ["tlsMinVersion", "SSLv3"],
      ["servicePort", "80a"],
      ["servicePort", "70000"],
      [p.requireClientCertProperty, "sometimes"],
      [p.requestLimitProperty, "lots"],
    ] as const) {
      const skip = prop === "servicePort" ? p.skip?.serverPort : prop === "tlsClientCert" || prop === p.requireClientCertProperty ? p.skip?.serverClientCertificates : undefined;
      it(`exporter ${prop}="${bad}" is a ConfigError naming ${prop}`, { skip }, async () => {
        await assert.rejects(p.serve(new ConformanceService(), { props: { [prop]: bad } }), (err: unknown) => err instanceof ConfigError && err.message.includes(prop));
      });
    }

    it(`${p.requireClientCertProperty}="yes" requires client certificates (never fails open): without TLS keys it is refused`, { skip: p.skip?.serverClientCertificates }, async () => {
      await assert.rejects(p.serve(new ConformanceService(), { props: { [p.requireClientCertProperty]: p.requireClientCertProperty === "cert_reqs" ? "CERT_REQUIRED" : "yes" } }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        return true;
      });
      await assert.rejects(p.serve(new ConformanceService(), { props: { [p.requireClientCertProperty]: "TRUE" } }), ConfigError);
    });

    it(`${p.requestLimitProperty}="1kB" limits requests to 1000 bytes (units are parsed, never ignored)`, async () => {
      const svc = new ConformanceService();
      const small = await p.serve(svc, { name: "Small", props: { [p.requestLimitProperty]: "1kB" } });
      try {
        const f = p.factory(small.url);
        assert.equal(await f.echo("x".repeat(100)), "x".repeat(100));
        await assert.rejects(f.echo("x".repeat(200_000)), (err: unknown) => err instanceof RemotingError);
        assert.equal(svc.calls, 0);
      } finally {
        await small.stop();
      }
    });

    it("changing serviceUrl after calls reaches the new service", async () => {
      const a = new ConformanceService();
      const b = new ConformanceService();
      const sa = await p.serve(a, { name: "A" });
      const sb = await p.serve(b, { name: "B" });
      try {
        const f = p.factory(sa.url);
        assert.equal(await f.count(), 1);
        f.serviceUrl = sb.url;
        assert.equal(await f.count(), 1);
        assert.equal(await f.count(), 2);
        assert.equal(a.calls, 1);
        assert.equal(b.calls, 2);
      } finally {
        await sa.stop();
        await sb.stop();
      }
    });

    it("changing any other declared property after calls also takes effect on the next call", async () => {
      const f = p.factory(served.url);
      assert.equal(await f.callRemote("slow", [10]), 10);
      (f as unknown as Record<string, unknown>).timeoutMs = "100";
      await assert.rejects(f.slow(2000), (err: unknown) => (err as RemotingError).code === ErrorCodes.ERR_TIMEOUT);
    });

    it("through an XML context, a bad value names the object and the property", async () => {
      const dir = mkdtempSync(join(tmpdir(), "remoting-strict-"));
      const cls = { pyro4: "springpython.remoting.pyro.PyroProxyFactory", hessian: "springpython.remoting.hessian.HessianProxyFactory", xmlrpc: "remoting.xmlrpc.XmlRpcProxyFactory", nats: "remoting.nats.NatsProxyFactory" }[p.name] ?? "";
      writeFileSync(
        join(dir, "ctx.xml"),
        `<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">
  <object id="client" class="${cls}">
    <property name="service_url" value="${served.url}"/>
    <property name="timeoutMs" value="3 fortnights"/>
  </object>
</objects>`,
      );
      await assert.rejects(ApplicationContext.create(join(dir, "ctx.xml")), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, /ctx\.xml:\d+:\d+/);
        assert.match(err.message, /'client'/);
        assert.match(err.message, /timeoutMs/);
        return true;
      });
    });

    it("a remote error does not change the proxy's settings", async () => {
      const f = p.factory(served.url, { timeoutMs: "2s" });
      await assert.rejects(f.fail("x"), RemoteInvocationError);
      assert.equal((f as unknown as { timeoutMs: number }).timeoutMs, 2000);
    });
  });
}
