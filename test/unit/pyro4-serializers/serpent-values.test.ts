import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Complex, Decimal, FrozenSet, tuple } from "../../../src/core/values.js";
import { getSerializer, PyroURIValue, SERPENT_HEADER } from "../../../src/codecs/python/index.js";

const serpent = getSerializer("serpent");
const text = (v: unknown) => {
  const s = serpent.dumps(v).toString("utf8");
  assert.ok(s.startsWith(SERPENT_HEADER));
  return s.slice(SERPENT_HEADER.length);
};
const load = (body: string, header = true) => serpent.loads(Buffer.from(header ? SERPENT_HEADER + body : body, "utf8"));

describe("serpent writes what Python's serpent writes", () => {
  test("header, None, bools, ints", () => {
    assert.equal(serpent.dumps(null).toString(), "# serpent utf-8 python3.2\nNone");
    assert.equal(text(undefined), "None");
    assert.equal(text(true), "True");
    assert.equal(text(false), "False");
    assert.equal(text(0), "0");
    assert.equal(text(-5), "-5");
    assert.equal(text(Number.MAX_SAFE_INTEGER), "9007199254740991");
    assert.equal(text(2n ** 70n), "1180591620717411303424");
    assert.equal(text(-(2n ** 70n)), "-1180591620717411303424");
  });

  test("floats use Python's repr, specials as serpent writes them", () => {
    assert.equal(text(1.5), "1.5");
    assert.equal(text(0.1), "0.1");
    assert.equal(text(-0), "-0.0");
    assert.equal(text(1e16), "1e+16");
    assert.equal(text(1e-5), "1e-05");
    assert.equal(text(0.0001), "0.0001");
    assert.equal(text(1.5e300), "1.5e+300");
    assert.equal(text(123456789.125), "123456789.125");
    assert.equal(text(5e-324), "5e-324");
    assert.equal(text(2 ** 60), "1.152921504606847e+18"); // beyond the safe range: a float
    assert.equal(text(Infinity), "1e30000");
    assert.equal(text(-Infinity), "-1e30000");
    assert.equal(text(NaN), "{'__class__':'float','value':'nan'}");
  });

  test("strings use Python's repr quoting and escapes", () => {
    assert.equal(text("abc"), "'abc'");
    assert.equal(text("it's"), `"it's"`);
    assert.equal(text('x"y'), `'x"y'`);
    assert.equal(text(`both'"`), `'both\\'"'`);
    assert.equal(text("a\\b"), "'a\\\\b'");
    assert.equal(text("h\xe9\n\t\r\x00\x7f\xa0\u2028\u200b\u{1F600}"), "'h\xe9\\n\\t\\r\\x00\\x7f\\xa0\\u2028\\u200b\u{1F600}'");
    assert.equal(text("\ud800 x \udfff"), "'\\ud800 x \\udfff'");
    assert.equal(text("\u{E0001}"), "'\\U000e0001'"); // a format character outside the BMP
  });

  test("containers", () => {
    assert.equal(text([1, [2]]), "[1,[2]]");
    assert.equal(text([]), "[]");
    assert.equal(text(tuple([])), "()");
    assert.equal(text(tuple([1])), "(1,)");
    assert.equal(text(tuple([1, 2])), "(1,2)");
    assert.equal(text(new Set([1, 2])), "{1,2}");
    assert.equal(text(new Set()), "()");
    assert.equal(text(new FrozenSet(["a"])), "{'a'}");
    assert.equal(text({ a: 1, b: [1, 2] }), "{'a':1,'b':[1,2]}");
    assert.equal(text({}), "{}");
    assert.equal(text(new Map<unknown, unknown>([[1, "a"], [tuple([1, 2]), "b"], [true, 3]])), "{1:'a',(1,2):'b',True:3}");
    assert.equal(text(new Float64Array([1.5, 2])), "[1.5,2]");
  });

  test("other values", () => {
    assert.equal(text(Buffer.from([0, 1, 2])), "{'data':'AAEC','encoding':'base64'}");
    assert.equal(text(new Uint8Array([255])), "{'data':'/w==','encoding':'base64'}");
    assert.equal(text(new Complex(1, -2)), "(1.0-2.0j)");
    assert.equal(text(new Complex(0, Infinity)), "(0.0+1e30000j)");
    assert.equal(text(new Decimal("3.14159265358979323846")), "'3.14159265358979323846'");
    assert.equal(text(new Date(Date.UTC(2021, 11, 25, 13, 30, 15, 123))), "'2021-12-25T13:30:15.123000+00:00'");
    assert.equal(text(new Date(Date.UTC(2021, 0, 2))), "'2021-01-02T00:00:00+00:00'");
    assert.equal(
      text(new PyroURIValue("PYRO", "test.service", null, "127.0.0.1", 47001)),
      "{'__class__':'Pyro4.core.URI','state':('PYRO','test.service',None,'127.0.0.1',47001)}",
    );
    class Point {
      x = 1;
      _hidden = 2;
      label = "p";
      fn = () => 0;
    }
    assert.equal(text(new Point()), "{'x':1,'label':'p','__class__':'Point'}");
    assert.equal(text(new Error("boom")), "{'__class__':'builtins.Exception','__exception__':True,'args':('boom',),'attributes':{}}");
  });

  test("a call is the tuple (object, method, vargs, kwargs)", () => {
    assert.equal(
      serpent.dumpsCall("test.service", "get_data", ["x"], {}).toString(),
      "# serpent utf-8 python3.2\n('test.service','get_data',('x',),{})",
    );
    assert.equal(
      serpent.dumpsCall("Pyro.NameServer", "list", [], { metadata_all: ["tag1"], return_metadata: true }).toString(),
      "# serpent utf-8 python3.2\n('Pyro.NameServer','list',(),{'metadata_all':['tag1'],'return_metadata':True})",
    );
  });

  test("values Python cannot use as keys or cannot represent are refused", () => {
    for (const bad of [new Map([[[1], 1]]), new Set([{}]), new Set([[1]]), new Map([[Buffer.from("k"), 1]]), new Complex(NaN, 1), () => 1, Symbol("s"), new Date(NaN)]) {
      assert.throws(() => serpent.dumps(bad), { name: "SerializationError", code: "ERR_SERIALIZATION" });
    }
  });
});

describe("serpent reads the Python literal subset", () => {
  test("scalars", () => {
    assert.equal(load("None"), null);
    assert.equal(load("True"), true);
    assert.equal(load("False"), false);
    assert.equal(load("42"), 42);
    assert.equal(load("-7"), -7);
    assert.ok(Object.is(load("-0"), 0), "int -0 is 0");
    assert.ok(Object.is(load("-0.0"), -0));
    assert.equal(load("9007199254740991"), 9007199254740991);
    assert.equal(load("9007199254740992"), 9007199254740992n);
    assert.equal(load("-1180591620717411303424"), -(2n ** 70n));
    assert.equal(load("1e30000"), Infinity);
    assert.equal(load("-1e30000"), -Infinity);
    assert.ok(Number.isNaN(load("{'__class__':'float','value':'nan'}") as number));
    assert.equal(load("{'__class__':'float','value':'inf'}"), Infinity);
    assert.equal(load("1_000_000"), 1000000);
    assert.equal(load("0x_ff"), 255);
    assert.equal(load("0o17"), 15);
    assert.equal(load("0B101"), 5);
    assert.equal(load("0xffffffffffffffffffff"), 0xffffffffffffffffffffn);
    assert.equal(load("00"), 0);
    assert.equal(load("1."), 1);
    assert.equal(load(".5"), 0.5);
    assert.equal(load("1E+3"), 1000);
    assert.equal(load("+5"), 5);
    assert.equal(load("- 5"), -5);
    assert.equal(load("-(5)"), -5);
  });

  test("complex literals in every form serpent and Python write", () => {
    assert.deepStrictEqual(load("(1.0-2.0j)"), new Complex(1, -2));
    assert.deepStrictEqual(load("(0.0+1.0j)"), new Complex(0, 1));
    assert.deepStrictEqual(load("1j"), new Complex(0, 1));
    assert.deepStrictEqual(load("-2.5J"), new Complex(-0, -2.5));
    assert.deepStrictEqual(load("3+4j"), new Complex(3, 4));
    assert.deepStrictEqual(load("(-0.0+-0.0j)"), new Complex(-0, -0));
    assert.deepStrictEqual(load("(1e30000-1e30000j)"), new Complex(Infinity, -Infinity));
    assert.deepStrictEqual(load("[1-1j, 2]"), [new Complex(1, -1), 2]);
    assert.throws(() => load("1+2"), { name: "SerializationError" });
    assert.throws(() => load("'a'+'b'"), { name: "SerializationError" });
  });

  test("strings: quotes, prefixes, escapes, concatenation", () => {
    assert.equal(load(`'it\\'s'`), "it's");
    assert.equal(load(`"it's"`), "it's");
    assert.equal(load(`'''tri'ple\nline'''`), "tri'ple\nline");
    assert.equal(load(`"""a""b"""`), 'a""b');
    assert.equal(load(`u'x'`), "x");
    assert.equal(load(`r'\\n\\''`), "\\n\\'");
    assert.equal(load(`'a' "b" \n 'c'`), "abc");
    assert.equal(load(`'\\a\\b\\f\\n\\r\\t\\v\\0\\101\\x41\\u00e9\\U0001F600'`), "\x07\b\f\n\r\t\v\0AA\xe9\u{1F600}");
    assert.equal(load(`'\\ud83d\\ude00'`), "\ud83d\ude00");
    assert.equal(load(`'line\\\ncont'`), "linecont");
    assert.equal(load(`'\\q\\8'`), "\\q\\8"); // unknown escapes are kept
    assert.equal(load("'hé 😀 \u2028'"), "hé 😀 \u2028");
    assert.equal(load("''"), "");
    assert.equal(load("'''a\r\nb\rc'''"), "a\nb\nc"); // universal newlines, as Python reads source
    assert.equal(load("'a\\\r\nb'"), "ab");
  });

  test("bytes literals become Buffers", () => {
    assert.deepStrictEqual(load(`b'\\x00\\x01ab\\n'`), Buffer.from([0, 1, 0x61, 0x62, 10]));
    assert.deepStrictEqual(load(`B"x" b'y'`), Buffer.from("xy"));
    assert.deepStrictEqual(load(`rb'\\x00'`), Buffer.from("\\x00"));
    assert.deepStrictEqual(load(`b'\\u1234'`), Buffer.from("\\u1234"));
    assert.throws(() => load(`b'x' 'y'`), { name: "SerializationError" });
    assert.throws(() => load(`b'é'`), { name: "SerializationError" });
  });

  test("containers: tuples, lists, dicts, sets, trailing commas, comments, whitespace", () => {
    const t1 = load("(1,)") as unknown[];
    assert.deepStrictEqual(t1, [1]);
    assert.ok(Object.isFrozen(t1));
    assert.ok(Object.isFrozen(load("()")));
    assert.equal(load("(1)"), 1);
    assert.deepStrictEqual(load("(1, 2,)"), [1, 2]);
    const l = load("[1, [2, 3],]") as unknown[];
    assert.deepStrictEqual(l, [1, [2, 3]]);
    assert.ok(!Object.isFrozen(l));
    assert.deepStrictEqual(load("{'a': 1, 'b': [1, 2],}"), { a: 1, b: [1, 2] });
    assert.deepStrictEqual(load("{}"), {});
    assert.deepStrictEqual(load("{1, 2, 2,}"), new Set([1, 2]));
    assert.deepStrictEqual(load("set()"), new Set());
    assert.deepStrictEqual(load("{1: 'a', (1, 2): 'b', None: 0}"), new Map<unknown, unknown>([[1, "a"], [tuple([1, 2]), "b"], [null, 0]]));
    assert.deepStrictEqual(load("# a comment\n[ # another\n 1 , \n\t2 ]  # end", false), [1, 2]);
    assert.deepStrictEqual(load("{\n  'a': [\n    1,\n    (\n      2,\n      3\n    )\n  ]\n}"), { a: [1, tuple([2, 3])] });
    assert.deepStrictEqual(load("1", false), 1);
  });

  test("dicts with a __proto__ key stay plain data", () => {
    const d = load("{'__proto__': {'polluted': True}, 'x': 1}") as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(d), Object.prototype);
    assert.deepStrictEqual(Object.keys(d), ["__proto__", "x"]);
    assert.deepStrictEqual(d["__proto__"], { polluted: true });
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  test("class dicts: URIs and the float dict are mapped, everything else stays a dict", () => {
    assert.deepStrictEqual(
      load("{'__class__':'Pyro4.core.URI','state':('PYRO','obj',None,'127.0.0.1',9090)}"),
      new PyroURIValue("PYRO", "obj", null, "127.0.0.1", 9090),
    );
    assert.equal(String(load("{'__class__':'Pyro4.core.URI','state':('PYRO','obj',None,'::1',9090)}")), "PYRO:obj@[::1]:9090");
    assert.equal(String(load("{'__class__':'Pyro4.core.URI','state':('PYROMETA',{'a','b'},None,'h',1)}")), "PYROMETA:a,b@h:1");
    assert.deepStrictEqual(load("{'__class__':'os.system','args':('rm',)}"), { __class__: "os.system", args: ["rm"] });
    assert.throws(() => load("{'__class__':'Pyro4.core.URI','state':('PYRO',)}"), { name: "SerializationError" });
    for (const word of ["constructor", "__proto__", "toString"]) {
      assert.deepStrictEqual(load(`{'__class__':'float','value':'${word}'}`), { __class__: "float", value: word });
    }
    assert.equal(load("{'__class__':'float','value':'-Infinity'}"), -Infinity);
    assert.equal(load("{'__class__':'float','value':'1.5'}"), 1.5);
  });

  test("the serpent bytes dict stays a dict unless bytesAsBuffer is set", () => {
    const body = "{'data': 'AAEC', 'encoding': 'base64'}";
    assert.deepStrictEqual(load(body), { data: "AAEC", encoding: "base64" });
    assert.deepStrictEqual(getSerializer(1, { bytesAsBuffer: true }).loads(Buffer.from(body)), Buffer.from([0, 1, 2]));
  });

  test("loadsCall accepts tuple or list vargs and None kwargs", () => {
    assert.deepStrictEqual(serpent.loadsCall(Buffer.from(SERPENT_HEADER + "('Pyro.Daemon','get_next_stream_item',['id1'],{})")), {
      objectId: "Pyro.Daemon",
      method: "get_next_stream_item",
      vargs: ["id1"],
      kwargs: {},
    });
    const batch = serpent.loadsCall(Buffer.from("('test.service','<batch>',[('echo',(1,),{})],None)"));
    assert.deepStrictEqual(batch.kwargs, {});
    assert.deepStrictEqual(batch.vargs, [tuple(["echo", tuple([1]), {}])]);
    assert.ok(!Object.isFrozen(batch.vargs));
    for (const kw of [new Map([["k", 1]]), [1], "x"]) {
      assert.throws(() => serpent.dumpsCall("o", "m", [], kw as unknown as Record<string, unknown>), { name: "SerializationError" });
    }
    for (const bad of ["('a','b',(),{},5)", "('a',1,(),{})", "('a','b',5,{})", "('a','b',(),[1])", "('a','b',(),{1:2})", "[1]"]) {
      assert.throws(() => serpent.loadsCall(Buffer.from(bad)), { name: "SerializationError" }, bad);
    }
  });
});

describe("serpent round trips", () => {
  test("every supported type comes back as documented", () => {
    const cases: Array<[unknown, unknown]> = [
      [null, null],
      [undefined, null],
      [true, true],
      [12345, 12345],
      [-0, -0],
      [0.1, 0.1],
      [Infinity, Infinity],
      [2n ** 80n, 2n ** 80n],
      [5n, 5],
      ["a'b\"c\\d\u{1F600}\ud800", "a'b\"c\\d\u{1F600}\ud800"],
      [[1, [2, null]], [1, [2, null]]],
      [tuple([1, "x"]), tuple([1, "x"])],
      [new Set(["a", 1]), new Set(["a", 1])],
      [new Set(), tuple([])],
      [new FrozenSet([3]), new Set([3])],
      [{ a: { b: [1] } }, { a: { b: [1] } }],
      [new Map([["k", 1]]), { k: 1 }],
      [new Map([[1, "k"]]), new Map([[1, "k"]])],
      [new Complex(-1.5, 0), new Complex(-1.5, 0)],
      [new Complex(-0, -0), new Complex(-0, 0)], // read as Python computes -0.0-0.0j
      [new Complex(-0, 2), new Complex(0, 2)], // and -0.0+2.0j
      [new Decimal("1.10"), "1.10"],
      [Buffer.from("hi"), { data: "aGk=", encoding: "base64" }],
      [new PyroURIValue("PYRO", "o", "sock", null, null), new PyroURIValue("PYRO", "o", "sock", null, null)],
      [new Int16Array([1, -2]), [1, -2]],
      [Object(5), 5],
    ];
    for (const [input, expected] of cases) {
      assert.deepStrictEqual(serpent.loads(serpent.dumps(input)), expected, String(input));
    }
    assert.ok(Number.isNaN(serpent.loads(serpent.dumps(NaN)) as number));
    const call = serpent.loadsCall(serpent.dumpsCall("o", "m", [1, tuple([2])], { "__proto__": 1 } as Record<string, unknown>));
    assert.deepStrictEqual(call.vargs, [1, tuple([2])]);
  });
});
