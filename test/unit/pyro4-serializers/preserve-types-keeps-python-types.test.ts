/**
 * The serializers' `preserveTypes` option: values read with it are written
 * back as the Python types they had (a whole float as a float, serpent's
 * bytes dict as bytes); without it the documented defaults hold (2.0 is the
 * number 2 and goes back as the int 2). Tuples and sets keep their type
 * either way where the format has them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Float, FrozenSet, tuple } from "../../../src/core/values.js";
import { HessianDouble } from "../../../src/protocols/hessian/index.js";
import { XmlRpcDouble } from "../../../src/protocols/xmlrpc/index.js";
import { getSerializer, SERPENT_HEADER } from "../../../src/codecs/python/index.js";

const NAMES = ["serpent", "json", "marshal"] as const;
const on = Object.fromEntries(NAMES.map((n) => [n, getSerializer(n, { preserveTypes: true })])) as Record<(typeof NAMES)[number], ReturnType<typeof getSerializer>>;
const off = Object.fromEntries(NAMES.map((n) => [n, getSerializer(n)])) as typeof on;

const serpentText = (v: unknown, s = off.serpent): string => s.dumps(v).toString("utf8").slice(SERPENT_HEADER.length);
const serpentLoad = (body: string, s = on.serpent): unknown => s.loads(Buffer.from(SERPENT_HEADER + body, "utf8"));

/** What Python's marshal.dumps writes: 2.0; [2.0, -3.0, 10.0, 2.0] (the last a back-reference); 2.0 in version 1 (the 'f' text form). */
const MARSHAL_2_0 = Buffer.from("e70000000000000040", "hex");
const MARSHAL_LIST = Buffer.from("5b04000000e70000000000000040e700000000000008c0e700000000000024407200000000", "hex");
const MARSHAL_V1_2_0 = Buffer.from("660132", "hex");

describe("Float: a number that travels as a float", () => {
  test("behaves as its number where JS converts, and says so in JSON", () => {
    const f = new Float(2);
    assert.equal(f.value, 2);
    assert.equal(+f, 2);
    assert.equal(f.valueOf(), 2);
    assert.equal(Number(f), 2);
    assert.equal(`${f}`, "2");
    assert.equal(String(f), "2");
    assert.equal(f.toString(), "2");
    assert.equal((f as unknown as number) + 1, 3);
    assert.equal((f as unknown as number) * 2, 4);
    assert.ok((f as unknown as number) < 3);
    assert.equal(JSON.stringify({ x: f }), '{"x":2}');
    assert.throws(() => new Float("2" as unknown as number), TypeError);
  });

  test("XmlRpcDouble and HessianDouble are Floats", () => {
    assert.ok(new XmlRpcDouble(3) instanceof Float);
    assert.ok(new HessianDouble(3) instanceof Float);
  });
});

describe("writing a Float gives a Python float in every serializer", () => {
  test("serpent, json and marshal write 2.0, also inside containers and as dict keys", () => {
    assert.equal(serpentText(new Float(2)), "2.0");
    assert.equal(serpentText([new Float(-4), tuple([new Float(0)])]), "[-4.0,(0.0,)]");
    assert.equal(serpentText(new Map([[new Float(2), "x"]])), "{2.0:'x'}");
    assert.equal(serpentText(new Float(NaN)), "{'__class__':'float','value':'nan'}");
    assert.equal(serpentText(new Float(Infinity)), "1e30000");
    assert.equal(off.json.dumps([new Float(2), new Float(1e16), new Float(-Infinity)]).toString(), "[2.0, 1e+16, -Infinity]");
    assert.equal(off.json.dumps(new Map([[new Float(2), 1]])).toString(), '{"2.0": 1}');
    assert.deepEqual(off.marshal.dumps(new Float(2)), Buffer.from("670000000000000040", "hex"));
  });

  test("XmlRpcDouble and HessianDouble values are written as floats too", () => {
    assert.equal(serpentText([new XmlRpcDouble(3), new HessianDouble(4)]), "[3.0,4.0]");
    assert.equal(off.json.dumps(new HessianDouble(4)).toString(), "4.0");
  });

  test("a plain whole number still goes as an int (the documented default)", () => {
    assert.equal(serpentText(2), "2");
    assert.equal(off.json.dumps(2).toString(), "2");
    assert.deepEqual(off.marshal.dumps(2), Buffer.from("6902000000", "hex"));
  });
});

describe("reading with preserveTypes off: the documented defaults", () => {
  test("2.0 is the number 2 and is written back as an int", () => {
    for (const n of NAMES) {
      const data = n === "marshal" ? MARSHAL_2_0 : n === "json" ? Buffer.from("2.0") : Buffer.from(SERPENT_HEADER + "2.0");
      const v = off[n].loads(data);
      assert.equal(v, 2, n);
      assert.equal(off[n].loads(off[n].dumps(v)), 2, n);
    }
    assert.equal(serpentText(off.serpent.loads(Buffer.from(SERPENT_HEADER + "2.0"))), "2");
  });

  test("serpent's bytes dict stays a dict", () => {
    assert.deepEqual(serpentLoad("{'data': 'AAE=', 'encoding': 'base64'}", off.serpent), { data: "AAE=", encoding: "base64" });
  });
});

describe("reading with preserveTypes on", () => {
  test("a whole float is a Float in each serializer, and is written back as a float", () => {
    const data = { serpent: Buffer.from(SERPENT_HEADER + "[2.0,-3.0,1_0.0,2e0]"), json: Buffer.from("[2.0, -3.0, 10.0, 2e0]"), marshal: MARSHAL_LIST };
    for (const n of NAMES) {
      const v = on[n].loads(data[n]) as unknown[];
      assert.equal(v.length, 4, n);
      for (const x of v) assert.ok(x instanceof Float, `${n}: ${String(x)}`);
      assert.deepEqual(v.map(Number), [2, -3, 10, 2], n);
      const again = on[n].loads(on[n].dumps(v)) as unknown[];
      assert.ok(again.every((x) => x instanceof Float), n);
    }
    assert.ok(on.marshal.loads(MARSHAL_V1_2_0) instanceof Float, "marshal's text float");
    assert.equal(serpentText(on.serpent.loads(Buffer.from(SERPENT_HEADER + "[2.0,-3.0]")), on.serpent), "[2.0,-3.0]");
    assert.equal(on.json.dumps(on.json.loads(Buffer.from("[2.0, -3.0]"))).toString(), "[2.0, -3.0]");
  });

  test("only floats that would change type are wrapped: fractions, -0.0, huge values, inf and nan stay numbers", () => {
    const v = serpentLoad("[2.5,-0.0,1e+16,1e30000,{'__class__':'float','value':'nan'},7]") as unknown[];
    assert.equal(v[0], 2.5);
    assert.ok(Object.is(v[1], -0));
    assert.equal(v[2], 1e16);
    assert.equal(v[3], Infinity);
    assert.ok(Number.isNaN(v[4]));
    assert.equal(v[5], 7, "an int stays an int");
    assert.equal(serpentText(v, on.serpent), "[2.5,-0.0,1e+16,1e30000,{'__class__':'float','value':'nan'},7]");
    const j = on.json.loads(Buffer.from("[2.5, -0.0, NaN, Infinity, 7]")) as unknown[];
    assert.ok(!j.some((x) => x instanceof Float));
  });

  test("whole floats as dict keys and set elements are Floats too, and go back as floats", () => {
    const d = serpentLoad("{2.0:'a',3:'b'}") as Map<unknown, unknown>;
    assert.ok(d instanceof Map);
    const keys = [...d.keys()];
    assert.ok(keys[0] instanceof Float);
    assert.equal(keys[1], 3);
    assert.equal(serpentText(d, on.serpent), "{2.0:'a',3:'b'}");
    const s = serpentLoad("{1.0,2}") as Set<unknown>;
    assert.ok(s instanceof Set);
    assert.equal(serpentText(s, on.serpent), "{1.0,2}");
  });

  test("tuples, sets and frozensets keep their type with the option on and off", () => {
    for (const s of [on, off]) {
      const t = s.serpent.loads(Buffer.from(SERPENT_HEADER + "((1,2),{3,4})")) as unknown[];
      assert.ok(Object.isFrozen(t[0]) && Array.isArray(t[0]));
      assert.ok(t[1] instanceof Set);
      assert.equal(serpentText(t, s.serpent), "((1,2),{3,4})");
      const m = s.marshal.loads(s.marshal.dumps([tuple([1]), new Set([2]), new FrozenSet([3])])) as unknown[];
      assert.ok(Object.isFrozen(m[0]));
      assert.ok(m[1] instanceof Set && !(m[1] instanceof FrozenSet));
      assert.ok(m[2] instanceof FrozenSet);
    }
  });

  test("serpent: the bytes dict is a Buffer, and Buffers are written as bytes literals Python reads as bytes", () => {
    const b = serpentLoad("{'data': 'AAE=', 'encoding': 'base64'}");
    assert.ok(Buffer.isBuffer(b));
    assert.deepEqual([...b], [0, 1]);
    assert.equal(serpentText(Buffer.from([0, 0x27, 0x5c, 0x41, 9, 10, 13, 0x7f, 0xff]), on.serpent), "b'\\x00\\'\\\\A\\t\\n\\r\\x7f\\xff'");
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(on.serpent.loads(on.serpent.dumps(all)), all);
    assert.deepEqual(off.serpent.loads(on.serpent.dumps(all)), all, "our reader reads the literal whatever the option");
    assert.equal(serpentText(Buffer.from("hi")), "{'data':'aGk=','encoding':'base64'}", "off: Pyro4's dict");
  });

  test("the bytes dict is only taken for bytes in serpent: json and marshal keep a dict a dict", () => {
    const d = on.json.loads(Buffer.from('{"data": "AAE=", "encoding": "base64"}'));
    assert.deepEqual(d, { data: "AAE=", encoding: "base64" });
    const m = on.marshal.loads(off.marshal.dumps({ data: "AAE=", encoding: "base64" }));
    assert.deepEqual(m, { data: "AAE=", encoding: "base64" });
  });

  test("the calls a daemon reads carry the Floats to the service", () => {
    for (const n of NAMES) {
      const call = on[n].loadsCall(off[n].dumpsCall("obj", "echo", [new Float(2), 2], {}));
      assert.ok(call.vargs[0] instanceof Float, n);
      assert.equal(call.vargs[1], 2, n);
      const plain = off[n].loadsCall(off[n].dumpsCall("obj", "echo", [new Float(2)], {}));
      assert.equal(plain.vargs[0], 2, n);
    }
  });

  test("a Float counts against the decoded-size budget", () => {
    const tiny = getSerializer("serpent", { preserveTypes: true, maxExpansion: 1 });
    const body = `[${Array.from({ length: 30_000 }, () => "2.0").join(",")}]`;
    assert.doesNotThrow(() => getSerializer("serpent", { maxExpansion: 1 }).loads(Buffer.from(SERPENT_HEADER + body)));
    assert.throws(() => tiny.loads(Buffer.from(SERPENT_HEADER + body)), /decoded-size budget/);
  });
});
