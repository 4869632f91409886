/**
 * Interop with the real Python serpent 1.41 / Pyro4 4.82 serializers:
 * Python writes a corpus that we read, and Python reads what we write.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { NamingError } from "../../../src/core/errors.js";
import { Complex, Decimal, FrozenSet, tuple } from "../../../src/core/values.js";
import { errorToPyro, getSerializer, pyroToError, PyroURIValue } from "../../../src/codecs/python/index.js";
import { PYTHON, requirePeers } from "../../helpers/peers.js";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "pyro4_peer.py");
const SERS = ["serpent", "json", "marshal"] as const;
type Ser = (typeof SERS)[number];

function runPython(mode: string, input?: string): unknown {
  const r = spawnSync(PYTHON, [SCRIPT, mode], { input, encoding: "utf8", timeout: 25_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `python ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Arrays expected to be tuples must come back frozen, lists not. */
function assertShape(actual: unknown, expected: unknown, path = "$"): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: array expected`);
    assert.equal(Object.isFrozen(actual), Object.isFrozen(expected), `${path}: tuple/list mismatch`);
    expected.forEach((e, i) => assertShape((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (expected && typeof expected === "object" && Object.getPrototypeOf(expected) === Object.prototype) {
    for (const k of Object.keys(expected)) assertShape((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
  }
}

function protoDict(): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  Object.defineProperty(o, "__proto__", { value: 1, enumerable: true, writable: true, configurable: true });
  o["x"] = 2;
  return o;
}

function deep(n: number): unknown {
  let v: unknown = "bottom";
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

const SKIP = Symbol("skip");
type Expect = unknown | { [K in Ser]?: unknown };
const per = (m: { [K in Ser]?: unknown }, dflt?: unknown) => ({ __per: true, m, dflt });

/** Python value name -> what our loads must give (per serializer where they differ). */
const FROM_PYTHON: Record<string, Expect> = {
  none: null,
  true: true,
  false: false,
  int_small: 42,
  int_neg: -7,
  int_2_53: 2n ** 53n,
  int_big: 2n ** 70n,
  int_negbig: -(2n ** 70n),
  int_huge: 7n ** 2000n,
  float_simple: 1.5,
  float_tenth: 0.1,
  float_negzero: -0,
  float_int: 2,
  float_big: 1e300,
  float_small: 1e-300,
  float_inf: Infinity,
  float_ninf: -Infinity,
  float_nan: NaN,
  complex: per({ serpent: new Complex(1.5, -2), marshal: new Complex(1.5, -2) }),
  complex_imag: per({ serpent: new Complex(0, 1), marshal: new Complex(0, 1) }),
  str_ascii: "hello",
  str_empty: "",
  str_quotes: "it's \"quoted\"",
  str_single: "it's",
  str_backslash: "a\\b\\\\c",
  str_unicode: "h\xe9llo w\xf6rld \u2713 \u{1F600} \u4e2d\u6587",
  str_controls: "\x00\x01\n\t\r\x7f\x80\xa0\xad\u2028\u200b\ufeff",
  str_surrogate: per({ serpent: "\ud800x\udfff", marshal: "\ud800x\udfff" }),
  str_long: "xyz".repeat(40000),
  bytes: per({ serpent: { data: "AAH+/w==", encoding: "base64" }, marshal: Buffer.from([0, 1, 0xfe, 0xff]) }),
  bytes_empty: per({ serpent: { data: "", encoding: "base64" }, marshal: Buffer.alloc(0) }),
  list: [1, "a", null],
  list_empty: [],
  list_nested: [[1, [2, [3]]]],
  tuple: per({ json: [1, "a"] }, tuple([1, "a"])),
  tuple1: per({ json: [1] }, tuple([1])),
  tuple0: per({ json: [] }, tuple([])),
  set: per({ json: [1, 2, 3] }, new Set([1, 2, 3])),
  set_empty: per({ serpent: tuple([]), json: [], marshal: new Set() }),
  frozenset: per({ serpent: new Set(["a"]), marshal: new FrozenSet(["a"]) }),
  dict: { a: 1, b: [1, 2] },
  dict_empty: {},
  dict_intkeys: per({ json: { "1": "a", "2": "b" } }, new Map([[1, "a"], [2, "b"]])),
  dict_tuplekey: per({ serpent: new Map([[tuple([1, 2]), "x"]]), marshal: new Map([[tuple([1, 2]), "x"]]) }),
  dict_proto: protoDict(),
  decimal: per({ serpent: "3.14159265358979323846264338327950288", json: "3.14159265358979323846264338327950288" }),
  datetime: per({ serpent: "2021-12-25T13:30:15.123456", json: "2021-12-25T13:30:15.123456" }),
  date: per({ serpent: "2021-01-02", json: "2021-01-02" }),
  uuid: "12345678-1234-5678-1234-567812345678",
  uri: new PyroURIValue("PYRO", "test.service", null, "127.0.0.1", 47001),
  uri_ipv6: new PyroURIValue("PYRO", "obj", null, "::1", 5000),
  uri_unix: new PyroURIValue("PYRO", "obj", "pyro.sock", null, null),
  nested_mix: per(
    { json: { k: [[1, "two"], { z: null, f: 0.5 }], t: [true, false] } },
    { k: [tuple([1, "two"]), { z: null, f: 0.5 }], t: tuple([true, false]) },
  ),
  ordereddict: per({ serpent: { __class__: "collections.OrderedDict", items: [tuple(["a", 1])] }, json: { a: 1 } }),
  instance: per({ serpent: { a: 1, name: "foo", __class__: "__main__.Foo" }, json: { a: 1, name: "foo" }, marshal: { a: 1, name: "foo" } }),
  deep: deep(150),
  bytes_repr: per({ serpent: [Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from("'\"\\")]), Buffer.from("x")] }),
  deque: per({ serpent: [1, 2] }),
  array_i: [1, 2],
  array_u: "hi",
  enum: per({ serpent: 1 }),
  namedtuple: per({ serpent: tuple([1, 2]), json: [1, 2] }),
  timedelta: per({ serpent: 3.5 }),
  time: per({ serpent: "13:30:15" }),
  keys_view: per({ serpent: ["a"] }),
  bytearray: per({ serpent: { data: "YWI=", encoding: "base64" }, marshal: Buffer.from("ab") }),
  memoryview: per({ serpent: { data: "YWI=", encoding: "base64" } }),
  datetime_aware: per({ serpent: "2021-01-02T03:04:05+00:00", json: "2021-01-02T03:04:05+00:00" }),
};

function expectedFor(name: string, ser: Ser): unknown {
  const e = FROM_PYTHON[name];
  if (e && typeof e === "object" && (e as { __per?: boolean }).__per) {
    const { m, dflt } = e as unknown as { m: Record<string, unknown>; dflt: unknown };
    if (ser in m) return m[ser];
    return dflt === undefined ? SKIP : dflt;
  }
  return e;
}

interface Corpus {
  values: Record<string, Record<Ser, string | null>>;
  calls: Record<Ser, string>;
  exceptions: Record<Ser, Record<string, string>>;
  exception_traceback: string[];
}

let corpusCache: Corpus | undefined;
function corpus(): Corpus {
  corpusCache ??= runPython("corpus") as Corpus;
  return corpusCache;
}

test("our loads reads every value Python's serpent, json and marshal serializers write", (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const c = corpus();
  let checked = 0;
  const failures: string[] = [];
  for (const [name, bySer] of Object.entries(c.values)) {
    assert.ok(name in FROM_PYTHON, `no expectation for ${name}`);
    for (const ser of SERS) {
      const b64 = bySer[ser];
      const expected = expectedFor(name, ser);
      if (expected === SKIP) {
        if (b64 !== null) failures.push(`${name}/${ser}: Python wrote it, add an expectation`);
        continue;
      }
      if (b64 === null) {
        failures.push(`${name}/${ser}: Python could not serialize it`);
        continue;
      }
      try {
        const got = getSerializer(ser).loads(Buffer.from(b64, "base64"));
        assert.deepStrictEqual(got, expected, `${name}/${ser}`);
        assertShape(got, expected, `${name}/${ser}`);
        checked++;
      } catch (e) {
        failures.push(`${name}/${ser}: ${(e as Error).message.slice(0, 600)}`);
      }
    }
  }
  assert.deepStrictEqual(failures, []);
  assert.ok(checked > 120, `only ${checked} values checked`);
});

test("serpent bytes dicts from Python become Buffers with bytesAsBuffer", (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const data = corpus().values["bytes"]!.serpent!;
  assert.deepStrictEqual(getSerializer("serpent", { bytesAsBuffer: true }).loads(Buffer.from(data, "base64")), Buffer.from([0, 1, 0xfe, 0xff]));
});

test("our loadsCall reads Python's serializeCall for every serializer", (t) => {
  if (!requirePeers(t, "pyro4")) return;
  for (const ser of SERS) {
    const call = getSerializer(ser).loadsCall(Buffer.from(corpus().calls[ser], "base64"));
    assert.deepStrictEqual(call, { objectId: "test.service", method: "echo", vargs: [1, "x", [2.5, null]], kwargs: { k: 3, u: "\xe9" } }, ser);
  }
});

test("Python's serialized exceptions become RemoteInvocationErrors without instantiating anything", (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const c = corpus();
  for (const ser of SERS) {
    const s = getSerializer(ser);
    const load = (k: string) => s.loads(Buffer.from(c.exceptions[ser][k]!, "base64")) as Record<string, unknown>;
    const ve = pyroToError(load("value_error"));
    assert.equal(ve.remoteType, "ValueError", ser);
    assert.equal(ve.remoteMessage, "boom");
    assert.equal(ve.message, "ValueError: boom");
    assert.deepStrictEqual([...ve.remoteTraceback], c.exception_traceback);
    assert.match(ve.remoteTraceback.at(-1)!, /^ValueError: boom\n$/);
    const ne = pyroToError(load("naming_error"));
    assert.equal(ne.remoteType, "Pyro4.errors.NamingError");
    assert.equal(ne.remoteMessage, "unknown name: x");
    const ce = pyroToError(load("custom_error"));
    assert.equal(ce.remoteType, "__main__.CustomError");
    assert.equal(ce.remoteMessage, "('custom', 42)");
    assert.deepStrictEqual((ce.detail as { args: unknown[] }).args, ["custom", 42]);
  }
});

/** JS values we write, by the name the Python script knows. */
function jsValues(): Record<string, unknown> {
  const keyErr = Object.assign(new Error("missing"), { pythonType: "KeyError" });
  return {
    none: null,
    true: true,
    int: 42,
    int_neg: -7,
    int_big: 2n ** 70n,
    int_negbig: -(2n ** 70n),
    float: 1.5,
    float_tenth: 0.1,
    float_int: Symbol.for("float 2.0"), // marker: written as an explicit float below
    float_negzero: -0,
    float_big: 1e300,
    float_1e16: 1e16,
    float_small: 1e-5,
    float_tiny: 5e-324,
    float_inf: Infinity,
    float_ninf: -Infinity,
    float_nan: NaN,
    complex: new Complex(1.5, -2),
    str: "hello",
    str_quotes: "it's \"quoted\"",
    str_single: "it's",
    str_unicode: "h\xe9llo \u2713 \u{1F600} \u4e2d",
    str_controls: "\x00\x01\n\t\r\x7f\x80\xa0\xad\u2028\u200b\ufeff",
    str_surrogate: "\ud800x\udfff",
    // long text (over 64 characters: repr's scan of long text), plain, with escapes and with both quotes
    str_long_text: "Gr\xfc\xdfe aus K\xf6ln \u2014 \u6771\u4eac\u306e\u591c\u666f \u{1F680} na\xefve caf\xe9 ".repeat(111),
    str_long_ascii_quote: "a".repeat(200) + "'" + "b".repeat(100),
    str_long_mixed: "\xe9".repeat(100) + "'" + "x\u200by" + "\u{1F600}".repeat(50) + '"' + "z".repeat(100) + "\x7f\u{E0001}",
    list: [1, "a", null],
    list_empty: [],
    tuple: tuple([1, "a"]),
    tuple1: tuple([1]),
    tuple0: tuple([]),
    set: new Set([1, 2, 3]),
    dict: { a: 1, b: [1, 2] },
    dict_intkeys: new Map([[1, "a"], [2, "b"]]),
    dict_proto: protoDict(),
    decimal: new Decimal("3.14159265358979323846264338327950288"),
    date: new Date(Date.UTC(2021, 11, 25, 13, 30, 15, 123)),
    uri: new PyroURIValue("PYRO", "test.service", null, "127.0.0.1", 47001),
    nested: { k: [tuple([1, "two"]), { z: null, f: 0.5 }] },
    deep: deep(150),
    exception: errorToPyro(new RangeError("bad value")),
    exception_key: errorToPyro(keyErr),
    exception_pyro: errorToPyro(new NamingError("unknown name: y")),
  };
}

function randomFloats(n: number): number[] {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const buf = new DataView(new ArrayBuffer(8));
  const out: number[] = [];
  while (out.length < n) {
    const mode = out.length % 3;
    let x: number;
    if (mode === 0) x = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
    else if (mode === 1) {
      buf.setUint32(0, Math.floor(rnd() * 2 ** 32));
      buf.setUint32(4, Math.floor(rnd() * 2 ** 32));
      x = buf.getFloat64(0);
    } else x = Math.round(rnd() * 1e6) / 1000;
    if (Number.isFinite(x) && !Number.isSafeInteger(x)) out.push(x);
  }
  return out;
}

test("Python's Pyro4 serializers read what our dumps and dumpsCall write", (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const items: Array<Record<string, unknown>> = [];
  const values = jsValues();
  for (const ser of SERS) {
    const s = getSerializer(ser);
    for (const [name, v] of Object.entries(values)) {
      if (ser === "json" && name === "complex") continue;
      let data: Buffer;
      if (typeof v === "symbol") {
        // 2.0 as a float: JS has no such value, so write the text serpent/json would write
        if (ser === "serpent") data = Buffer.from("# serpent utf-8 python3.2\n2.0");
        else if (ser === "json") data = Buffer.from("2.0");
        else {
          data = Buffer.alloc(9);
          data[0] = 0x67; // marshal 'g': binary float
          data.writeDoubleLE(2.0, 1);
        }
      } else data = s.dumps(v);
      items.push({ name, ser, data: data.toString("base64") });
    }
    items.push({ name: "call", ser, kind: "call", data: s.dumpsCall("test.service", "echo", [1, "x", [2.5, null]], { k: 3, u: "\xe9" }).toString("base64") });
    const floats = randomFloats(600);
    items.push({ name: "floats", ser, kind: "floats", data: s.dumps(floats).toString("base64"), expected: floats.map((f) => f.toString()) });
    // only floats JS and Python write alike (json writes such lists digit by digit: json.dumps.numberLists)
    const positional = floats.filter((f) => Math.abs(f) >= 1e-4 && Math.abs(f) < 1e16);
    items.push({ name: "floats_positional", ser, kind: "floats", data: s.dumps(positional).toString("base64"), expected: positional.map((f) => f.toString()) });
  }
  const results = runPython("check", JSON.stringify({ items })) as Record<string, { ok: boolean; got: string; identical?: boolean | null; python_text?: string; traceback_ok?: boolean; trace?: string }>;
  const failures: string[] = [];
  for (const item of items) {
    const key = `${item["name"] as string}/${item["ser"] as string}`;
    const r = results[key];
    if (!r) failures.push(`${key}: no result`);
    else {
      if (!r.ok) failures.push(`${key}: Python read ${r.got} ${r.trace ?? ""}`);
      if (r.identical === false) failures.push(`${key}: text differs from Python's own: ${r.python_text ?? ""}`);
      if (r.traceback_ok === false) failures.push(`${key}: bad _pyroTraceback`);
    }
  }
  assert.deepStrictEqual(failures, []);
  // byte-identical output was really compared
  assert.equal(results["floats/serpent"]!.identical, true);
  assert.equal(results["floats/json"]!.identical, true);
  assert.equal(results["floats_positional/json"]!.identical, true);
  assert.equal(results["str_controls/serpent"]!.identical, true);
  assert.equal(results["str_long_mixed/serpent"]!.identical, true);
  assert.equal(results["str_long_text/serpent"]!.identical, true);
  assert.equal(results["exception/serpent"]!.traceback_ok, true);
});
