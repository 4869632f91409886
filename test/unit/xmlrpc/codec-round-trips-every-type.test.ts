import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Decimal } from "../../../src/core/values.js";
import {
  XmlRpcDouble,
  encodeCall,
  encodeFault,
  encodeResponse,
  encodeValueXml,
  parseMethodCall,
  parseMethodResponse,
} from "../../../src/protocols/xmlrpc/codec.js";

const call = (valueXml: string) => `<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n<param>\n${valueXml}\n</param>\n</params>\n</methodCall>\n`;
const one = (valueXml: string) => parseMethodCall(call(valueXml)).params[0];

describe("XML-RPC encoder", () => {
  it("writes each scalar with the tag Python reads", () => {
    assert.equal(encodeValueXml(42), "<value><int>42</int></value>");
    assert.equal(encodeValueXml(-2147483648), "<value><int>-2147483648</int></value>");
    assert.equal(encodeValueXml(2147483648), "<value><i8>2147483648</i8></value>");
    assert.equal(encodeValueXml(1.5), "<value><double>1.5</double></value>");
    assert.equal(encodeValueXml(new XmlRpcDouble(3)), "<value><double>3.0</double></value>");
    assert.equal(encodeValueXml(Infinity), "<value><double>inf</double></value>");
    assert.equal(encodeValueXml(-Infinity), "<value><double>-inf</double></value>");
    assert.equal(encodeValueXml(NaN), "<value><double>nan</double></value>");
    assert.equal(encodeValueXml(-0), "<value><double>-0.0</double></value>");
    assert.equal(encodeValueXml(1e100), "<value><double>1e+100</double></value>");
    assert.equal(encodeValueXml(true), "<value><boolean>1</boolean></value>");
    assert.equal(encodeValueXml(false), "<value><boolean>0</boolean></value>");
    assert.equal(encodeValueXml(5n), "<value><int>5</int></value>");
    assert.equal(encodeValueXml(2n ** 40n), "<value><i8>1099511627776</i8></value>");
    assert.equal(encodeValueXml(2n ** 70n), "<value><biginteger>1180591620717411303424</biginteger></value>");
    assert.equal(encodeValueXml(new Date(Date.UTC(900, 0, 2, 3, 4, 5))), "<value><dateTime.iso8601>09000102T03:04:05</dateTime.iso8601></value>");
    assert.equal(encodeValueXml(Buffer.from("hello")), "<value><base64>aGVsbG8=</base64></value>");
    assert.equal(encodeValueXml(new Decimal("12.30")), "<value><bigdecimal>12.30</bigdecimal></value>");
  });

  it("escapes &, < and > like Python, and CR as &#13; so that it survives", () => {
    assert.equal(encodeValueXml("a&b<c>d\re\nf\tg"), "<value><string>a&amp;b&lt;c&gt;d&#13;e\nf\tg</string></value>");
    assert.equal(one(encodeValueXml("a\rb\r\nc")), "a\rb\r\nc");
  });

  it("refuses characters XML 1.0 cannot carry instead of writing invalid XML", () => {
    assert.throws(() => encodeValueXml("a\u0001b"), { code: "ERR_SERIALIZATION" });
    assert.throws(() => encodeValueXml("\ud800"), { code: "ERR_SERIALIZATION" });
    assert.equal(encodeValueXml("😀"), "<value><string>😀</string></value>");
  });

  it("sends null only with allowNone, as Python's allow_none", () => {
    assert.throws(() => encodeValueXml(null), /cannot marshal None unless allowNone is enabled/);
    assert.equal(encodeValueXml(null, { allowNone: true }), "<value><nil/></value>");
    assert.equal(encodeValueXml(undefined, { allowNone: true }), "<value><nil/></value>");
  });

  it("writes structs from objects and Maps, arrays from arrays and Sets, and refuses cycles and non-string keys", () => {
    assert.equal(encodeValueXml({ a: 1, skip: undefined }), "<value><struct><member><name>a</name><value><int>1</int></value></member></struct></value>");
    assert.equal(encodeValueXml(new Map([["k<", "v"]])), "<value><struct><member><name>k&lt;</name><value><string>v</string></value></member></struct></value>");
    assert.equal(encodeValueXml(new Set([1])), "<value><array><data><value><int>1</int></value></data></array></value>");
    const cyc: unknown[] = [];
    cyc.push(cyc);
    assert.throws(() => encodeValueXml(cyc), /recursive/);
    assert.throws(() => encodeValueXml(new Map([[1, 2]])), /struct keys must be strings/);
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    assert.throws(() => encodeValueXml(deep), { code: "ERR_LIMIT_EXCEEDED" });
  });

  it("writes a fault struct with an int code and a string", () => {
    const r = parseMethodResponse(encodeFault(4, "Too many parameters."));
    assert.deepEqual(r, { fault: true, faultCode: 4, faultString: "Too many parameters.", value: { faultCode: 4, faultString: "Too many parameters." } });
  });
});

describe("XML-RPC parser", () => {
  it("reads every integer tag, with or without a namespace prefix", () => {
    for (const tag of ["int", "i4", "i1", "i2", "i8", "biginteger", "ex:i8", "ex:i1"]) assert.equal(one(`<value><${tag}> 7 </${tag}></value>`), 7, tag);
    assert.equal(one("<value><i8>9007199254740993</i8></value>"), 9007199254740993n);
    assert.equal(one("<value><int>-9007199254740991</int></value>"), -9007199254740991);
  });

  it("reads doubles as Python writes them, including inf, -inf and nan", () => {
    assert.equal(one("<value><double>1e+100</double></value>"), 1e100);
    assert.equal(one("<value><double>1e-07</double></value>"), 1e-7);
    assert.equal(one("<value><double>inf</double></value>"), Infinity);
    assert.equal(one("<value><double>-inf</double></value>"), -Infinity);
    assert.ok(Number.isNaN(one("<value><double>nan</double></value>")));
    assert.equal(one("<value><ex:float>2.5</ex:float></value>"), 2.5);
    assert.throws(() => one("<value><double>1,5</double></value>"), /bad double/);
  });

  it("reads strings typed and untyped, keeping whitespace exactly", () => {
    assert.equal(one("<value><string>  a b  </string></value>"), "  a b  ");
    assert.equal(one("<value>  bare text </value>"), "  bare text ");
    assert.equal(one("<value></value>"), "");
    assert.equal(one("<value><string/></value>"), "");
    assert.equal(one("<value><string>&lt;&amp;&gt;&#13;&#x263A;</string></value>"), "<&>\r☺");
    assert.equal(one("<value><string><![CDATA[<x>]]></string></value>"), "<x>");
  });

  it("reads booleans strictly, nil in both spellings, base64 with line breaks, bigdecimal", () => {
    assert.equal(one("<value><boolean>1</boolean></value>"), true);
    assert.equal(one("<value><boolean>0</boolean></value>"), false);
    assert.throws(() => one("<value><boolean>true</boolean></value>"), /bad boolean value/);
    assert.equal(one("<value><nil/></value>"), null);
    assert.equal(one("<value><ex:nil/></value>"), null);
    const b = one("<value><base64>\naGVs\nbG8=\n</base64></value>") as Buffer;
    assert.ok(Buffer.isBuffer(b));
    assert.equal(b.toString(), "hello");
    assert.equal((one("<value><base64></base64></value>") as Buffer).length, 0);
    assert.throws(() => one("<value><base64>a*b=</base64></value>"), /bad base64/);
    assert.deepEqual(one("<value><bigdecimal>1.10</bigdecimal></value>"), new Decimal("1.10"));
  });

  it("reads dateTime.iso8601 as UTC, in the basic and extended forms", () => {
    assert.equal((one("<value><dateTime.iso8601>19980717T14:08:55</dateTime.iso8601></value>") as Date).toISOString(), "1998-07-17T14:08:55.000Z");
    assert.equal((one("<value><dateTime.iso8601>2024-02-29T23:59:58Z</dateTime.iso8601></value>") as Date).toISOString(), "2024-02-29T23:59:58.000Z");
    assert.equal((one("<value><dateTime.iso8601>20240229T23:59:58+01:00</dateTime.iso8601></value>") as Date).toISOString(), "2024-02-29T22:59:58.000Z");
    assert.equal((one("<value><dateTime.iso8601>09000102T03:04:05</dateTime.iso8601></value>") as Date).getUTCFullYear(), 900);
    assert.throws(() => one("<value><dateTime.iso8601>20230229T00:00:00</dateTime.iso8601></value>"), /bad dateTime/);
  });

  it("reads structs and arrays, nested, with duplicate member names keeping the last and __proto__ as data", () => {
    const v = one(
      "<value><struct><member><name>a</name><value><array><data><value><int>1</int></value><value>x</value></data></array></value></member>" +
        "<member><name>a</name><value><int>2</int></value></member>" +
        "<member><name>__proto__</name><value><string>p</string></value></member></struct></value>",
    ) as Record<string, unknown>;
    assert.equal(v["a"], 2);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(v, "__proto__")?.value, "p");
  });

  it("accepts a methodCall without <params> and round-trips a call with every type", () => {
    assert.deepEqual(parseMethodCall("<methodCall><methodName>system.listMethods</methodName></methodCall>"), { methodName: "system.listMethods", params: [] });
    const values = [1, -5, 2 ** 40, 1.25, "s<&>", true, false, new Date(Date.UTC(2020, 4, 6, 7, 8, 9)), Buffer.from([0, 1, 255]), [1, ["x"]], { k: { n: null } }, null];
    const back = parseMethodCall(encodeCall("echo", values, { allowNone: true }));
    assert.equal(back.methodName, "echo");
    assert.deepEqual(back.params, values);
  });

  it("reads a response value and rejects a response with two params", () => {
    assert.deepEqual(parseMethodResponse(encodeResponse({ ok: [1, 2] })), { fault: false, value: { ok: [1, 2] } });
    assert.throws(
      () => parseMethodResponse("<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>"),
      /exactly one/,
    );
  });
});
