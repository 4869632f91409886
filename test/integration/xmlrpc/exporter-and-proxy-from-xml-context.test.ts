import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ApplicationContext } from "../../../src/index.js";
import { XmlRpcServiceExporter, type XmlRpcProxyFactory } from "../../../src/protocols/xmlrpc/index.js";
import { captureLogs, makeTestPki, type LogCapture, type TestPki } from "./fixtures.js";

class Service {
  get_data(param: string): string {
    return `You got remote data => ${param}`;
  }
  _private(): string {
    return "hidden";
  }
}

describe("XmlRpcServiceExporter and XmlRpcProxyFactory in an XML context", () => {
  let pki: TestPki;
  let logs: LogCapture;
  before(async () => {
    pki = await makeTestPki();
    logs = captureLogs("error");
  });
  after(async () => {
    logs.restore();
    await pki.cleanup();
  });

  it("serves a service over HTTPS with a client certificate and verifyFields, all given as XML strings", async () => {
    const probe = new XmlRpcServiceExporter();
    probe.service = new Service();
    probe.serviceHost = "127.0.0.1";
    probe.servicePort = 0;
    await probe.afterPropertiesSet();
    const port = probe.boundPort!;
    await probe.destroy();

    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">
  <object id="service" class="Service"/>
  <object id="exporter" class="springpython.remoting.xmlrpc.XmlRpcServiceExporter">
    <property name="service" ref="service"/>
    <property name="service_host"><value>127.0.0.1</value></property>
    <property name="service_port"><value>${port}</value></property>
    <property name="keyfile"><value>${pki.main.serverKey}</value></property>
    <property name="certfile"><value>${pki.main.serverChain}</value></property>
    <property name="ca_certs"><value>${pki.main.caChain}</value></property>
    <property name="cert_reqs"><value>CERT_REQUIRED</value></property>
    <property name="verify_fields"><dict>
      <entry><key><value>commonName</value></key><value>My Client</value></entry>
      <entry><key><value>organizationName</value></key><value>My Company</value></entry>
    </dict></property>
  </object>
  <object id="client" class="springpython.remoting.xmlrpc.XmlRpcProxyFactory">
    <property name="service_url"><value>https://localhost:${port}/RPC2</value></property>
    <property name="ca_certs"><value>${pki.main.caChain}</value></property>
    <property name="keyfile"><value>${pki.main.clientKey}</value></property>
    <property name="certfile"><value>${pki.main.clientCert}</value></property>
    <property name="timeout_ms"><value>5000</value></property>
  </object>
  <object id="stranger" class="springpython.remoting.xmlrpc.XmlRpcProxyFactory">
    <property name="service_url"><value>https://localhost:${port}/RPC2</value></property>
    <property name="ca_certs"><value>${pki.main.caChain}</value></property>
    <property name="keyfile"><value>${pki.stranger.key}</value></property>
    <property name="certfile"><value>${pki.stranger.cert}</value></property>
  </object>
</objects>`;
    const file = join(pki.dir, "context.xml");
    await writeFile(file, xml);
    const ctx = await ApplicationContext.create(file, { classes: { Service } });
    try {
      const client = await ctx.getObject<XmlRpcProxyFactory>("client");
      assert.equal(await client.get_data("Hello"), "You got remote data => Hello");
      await assert.rejects(client._private(), { remoteCode: 1, remoteMessage: /method "_private" is not supported/ });
      const stranger = await ctx.getObject<XmlRpcProxyFactory>("stranger");
      await assert.rejects(stranger.get_data("x"), { code: "ERR_SECURITY" });
      assert.ok(logs.of("remoting.xmlrpc.exporter", "ERROR").some((l) => /Expected the subject field 'commonName' to have value 'My Client' instead of 'Someone Else'/.test(l)));
    } finally {
      await ctx.close();
    }
  });

  it("serves plain HTTP when no key and certificate are set, and frees the port on destroy", async () => {
    const e = new XmlRpcServiceExporter();
    e.service = new Service();
    e.serviceHost = "127.0.0.1";
    (e as unknown as Record<string, unknown>).servicePort = "0";
    await e.afterPropertiesSet();
    assert.equal(e.secure, false);
    const port = e.boundPort!;
    await e.destroy();
    const again = new XmlRpcServiceExporter();
    again.service = new Service();
    again.serviceHost = "127.0.0.1";
    again.servicePort = port;
    await again.afterPropertiesSet();
    await again.destroy();
  });

  it("refuses to start without a service", async () => {
    const e = new XmlRpcServiceExporter();
    await assert.rejects(e.afterPropertiesSet(), { code: "ERR_CONFIG_MISSING_ATTRIBUTE" });
  });
});
