/**
 * XML-RPC `preserveTypes`: with it a whole `<double>` is read as an
 * XmlRpcDouble (a core Float), which is written back as `<double>`; without
 * it (the default) it is the number, which goes back as `<int>`. Both parser
 * paths agree; the option is a declared boolean on the server, the exporter
 * and the client.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../../src/core/errors.js";
import { Float } from "../../../src/core/values.js";
import { encodeResponse, encodeValueXml, parseMethodCall, parseMethodResponse, XmlRpcDouble, XmlRpcProxyFactory, XmlRpcServer, XmlRpcServiceExporter, XmlRpcTransport } from "../../../src/protocols/xmlrpc/index.js";

const call = (values: string): string => `<?xml version="1.0"?>\n<methodCall><methodName>echo</methodName><params>${values}</params></methodCall>\n`;
const param = (v: string): string => `<param><value>${v}</value></param>`;

/** Whole doubles in every spelling the parsers take: the fast path's `<double>`, a `<float>`, a namespaced tag (saxes only). */
const DOC = call(param("<double>2.0</double>") + param("<float>-3</float>") + param("<double>2.5</double>") + param("<double>-0.0</double>") + param("<int>4</int>") + param("<array><data><value><double>1e3</double></value></data></array>"));
const SAX_DOC = DOC.replace("<double>2.0</double>", "<ex:double xmlns:ex='x'>2.0</ex:double>");

describe("XML-RPC preserveTypes", () => {
  for (const fastPath of [true, false]) {
    it(`off (the default): a whole double is the number, written back as <int> (${fastPath ? "fast path" : "saxes"})`, () => {
      const { params } = parseMethodCall(DOC, { fastPath });
      assert.deepEqual(params, [2, -3, 2.5, -0, 4, [1000]]);
      assert.equal(encodeValueXml(params[0]), "<value><int>2</int></value>");
    });

    it(`on: a whole double is an XmlRpcDouble, written back as <double>; fractions, -0.0 and ints stay as they were (${fastPath ? "fast path" : "saxes"})`, () => {
      for (const doc of fastPath ? [DOC] : [DOC, SAX_DOC]) {
        const { params } = parseMethodCall(doc, { fastPath, preserveTypes: true });
        assert.ok(params[0] instanceof XmlRpcDouble && params[0] instanceof Float);
        assert.equal((params[0] as Float).value, 2);
        assert.ok(params[1] instanceof XmlRpcDouble);
        assert.equal(params[2], 2.5);
        assert.ok(Object.is(params[3], -0));
        assert.equal(params[4], 4);
        assert.ok((params[5] as unknown[])[0] instanceof XmlRpcDouble);
        assert.equal(encodeValueXml(params[0]), "<value><double>2.0</double></value>");
        assert.equal(encodeValueXml(params[5]), "<value><array><data><value><double>1000.0</double></value></data></array></value>");
      }
    });
  }

  it("reads replies the same way", () => {
    const reply = encodeResponse(new Float(7));
    assert.match(reply, /<double>7\.0<\/double>/);
    assert.equal(parseMethodResponse(reply).value, 7);
    const r = parseMethodResponse(reply, { preserveTypes: true });
    assert.ok(r.value instanceof XmlRpcDouble);
  });

  it("writes any Float (a Pyro4 or Hessian one too) as <double>", () => {
    assert.equal(encodeValueXml(new Float(3)), "<value><double>3.0</double></value>");
    assert.equal(encodeValueXml(new XmlRpcDouble(3)), "<value><double>3.0</double></value>");
  });

  it("is a declared boolean, off by default, on the server, the exporter and the client; a value that is no boolean is a ConfigError", () => {
    const server = new XmlRpcServer({ host: "127.0.0.1", port: 0 });
    assert.equal(server.preserveTypes, false);
    assert.equal(new XmlRpcServer({ preserveTypes: "yes" }).preserveTypes, true);
    assert.throws(() => new XmlRpcServer({ preserveTypes: "ture" }), ConfigError);

    const exporter = new XmlRpcServiceExporter();
    assert.equal(exporter.preserveTypes, false);
    (exporter as unknown as Record<string, unknown>)["preserve_types"] = "true";
    assert.equal(exporter.preserveTypes, true);
    assert.throws(() => ((exporter as unknown as Record<string, unknown>)["preserveTypes"] = "maybe"), ConfigError);

    const factory = new XmlRpcProxyFactory();
    assert.equal(factory.preserveTypes, false);
    (factory as unknown as Record<string, unknown>)["preserveTypes"] = "on";
    assert.equal(factory.preserveTypes, true);
    assert.throws(() => ((factory as unknown as Record<string, unknown>)["preserveTypes"] = "2"), ConfigError);
    const t = new XmlRpcTransport("http://127.0.0.1:1/RPC2", factory);
    void t.close();
    assert.equal((t as unknown as { parseOptions: { preserveTypes: boolean } }).parseOptions.preserveTypes, true);
  });
});
