import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FaultCodes, XmlRpcParser, parseMethodCall } from "../../../src/protocols/xmlrpc/codec.js";

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<methodCall><methodName>&lol3;</methodName></methodCall>`;

const EXTERNAL = `<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<methodCall><methodName>echo</methodName><params><param><value>&xxe;</value></param></params></methodCall>`;

describe("XML-RPC parser safety", () => {
  it("refuses any DOCTYPE, so no entity is ever expanded (billion laughs, external entities)", () => {
    for (const doc of [BILLION_LAUGHS, EXTERNAL, "<!DOCTYPE methodCall><methodCall><methodName>x</methodName></methodCall>"]) {
      assert.throws(() => parseMethodCall(doc), (err: { code?: string; faultCode?: number; message: string }) => {
        assert.equal(err.code, "ERR_SERIALIZATION");
        assert.equal(err.faultCode, FaultCodes.PARSE_ERROR);
        assert.match(err.message, /DOCTYPE/);
        return true;
      });
    }
  });

  it("refuses entity references that are not predefined", () => {
    assert.throws(() => parseMethodCall("<methodCall><methodName>&foo;</methodName></methodCall>"), /undefined entity/);
  });

  it("refuses malformed XML with a parse-error fault code", () => {
    for (const doc of ["<methodCall><methodName>x</methodName>", "<methodCall><methodName>x</wrong></methodCall>", "not xml", ""]) {
      assert.throws(() => parseMethodCall(doc), (err: { faultCode?: number }) => err.faultCode === FaultCodes.PARSE_ERROR, doc);
    }
  });

  it("refuses XML that is not XML-RPC with the invalid-request fault code", () => {
    for (const doc of [
      "<foo/>",
      "<methodCall><methodName>x</methodName><params><param><value><object/></value></param></params></methodCall>",
      "<methodCall><methodName>x</methodName><params><value>1</value></params></methodCall>",
      "<methodCall><methodName>x</methodName><params><param><value><int>1</int><int>2</int></value></param></params></methodCall>",
      "<methodCall><methodName>x</methodName><params><param><value><int>one</int></value></param></params></methodCall>",
      "<methodCall><methodName>x</methodName><params><param><value><struct><member><value>1</value></member></struct></value></param></params></methodCall>",
    ]) {
      assert.throws(() => parseMethodCall(doc), (err: { faultCode?: number }) => err.faultCode === FaultCodes.INVALID_XMLRPC, doc);
    }
  });

  it("stops at the nesting limit, before building the structure", () => {
    const depth = 65;
    const doc = `<methodCall><methodName>x</methodName><params><param>${"<value><array><data>".repeat(depth)}${"</data></array></value>".repeat(depth)}</param></params></methodCall>`;
    assert.throws(() => parseMethodCall(doc), { code: "ERR_LIMIT_EXCEEDED" });
    assert.doesNotThrow(() => parseMethodCall(doc, { maxDepth: 70 }));
    const elements = `<methodCall><methodName>x</methodName><params><param>${"<value>".repeat(1000)}`;
    assert.throws(() => parseMethodCall(elements), (err: { faultCode?: number }) => err.faultCode === FaultCodes.INVALID_XMLRPC);
  });

  it("stops feeding once the size limit is passed", () => {
    const p = new XmlRpcParser({ maxChars: 100 });
    p.write("<methodCall><methodName>");
    assert.throws(() => p.write("x".repeat(200)), { code: "ERR_MESSAGE_TOO_LARGE" });
  });

  it("parses a document fed in arbitrary chunks", () => {
    const doc = "<methodCall><methodName>echo</methodName><params><param><value><string>héllo &amp; world</string></value></param></params></methodCall>";
    for (const size of [1, 3, 7]) {
      const p = new XmlRpcParser();
      for (let i = 0; i < doc.length; i += size) p.write(doc.slice(i, i + size));
      const r = p.finish();
      assert.equal(r.root, "methodCall");
      if (r.root === "methodCall") assert.deepEqual(r.call.params, ["héllo & world"]);
    }
  });
});
