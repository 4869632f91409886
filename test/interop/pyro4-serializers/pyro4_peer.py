"""Python side of the Pyro4 serializer interop tests.

  pyro4_peer.py corpus   -> prints JSON: {"values": {name: {"serpent": b64, "json": b64|null, "marshal": b64|null}},
                                          "calls": {...}, "exceptions": {...}, "reprs": {...}}
  pyro4_peer.py check    <- reads JSON {"items": [{"name", "ser", "data"(b64), "kind"}]} from stdin,
                            prints JSON {name/ser: {"ok": bool, "got": repr, "identical": bool|null}}

It uses the real serpent and Pyro4 serializers (SerializerBase.serializeData / deserializeData).
"""
import array
import base64
import collections
import datetime
import decimal
import enum
import json
import math
import struct
import sys
import traceback
import unicodedata
import uuid

import Pyro4
import Pyro4.core
import Pyro4.util
import serpent

SERIALIZERS = {
    "serpent": Pyro4.util.SerpentSerializer(),
    "json": Pyro4.util.JsonSerializer(),
    "marshal": Pyro4.util.MarshalSerializer(),
}


class Foo(object):
    def __init__(self):
        self.a = 1
        self.name = "foo"


class Color(enum.Enum):
    RED = 1


Point = collections.namedtuple("Point", "x y")


def deep(n):
    v = "bottom"
    for _ in range(n):
        v = [v]
    return v


def python_corpus():
    return {
        "none": None,
        "true": True,
        "false": False,
        "int_small": 42,
        "int_neg": -7,
        "int_2_53": 2 ** 53,
        "int_big": 2 ** 70,
        "int_negbig": -(2 ** 70),
        "int_huge": 7 ** 2000,
        "float_simple": 1.5,
        "float_tenth": 0.1,
        "float_negzero": -0.0,
        "float_int": 2.0,
        "float_big": 1e300,
        "float_small": 1e-300,
        "float_inf": float("inf"),
        "float_ninf": float("-inf"),
        "float_nan": float("nan"),
        "complex": complex(1.5, -2),
        "complex_imag": 1j,
        "str_ascii": "hello",
        "str_empty": "",
        "str_quotes": "it's \"quoted\"",
        "str_single": "it's",
        "str_backslash": "a\\b\\\\c",
        "str_unicode": "h\xe9llo w\xf6rld \u2713 \U0001F600 \u4e2d\u6587",
        "str_controls": "\x00\x01\n\t\r\x7f\x80\xa0\xad\u2028\u200b\ufeff",
        "str_surrogate": "\ud800x\udfff",
        "str_long": "xyz" * 40000,
        "bytes": b"\x00\x01\xfe\xff",
        "bytes_empty": b"",
        "list": [1, "a", None],
        "list_empty": [],
        "list_nested": [[1, [2, [3]]]],
        "tuple": (1, "a"),
        "tuple1": (1,),
        "tuple0": (),
        "set": {1, 2, 3},
        "set_empty": set(),
        "frozenset": frozenset({"a"}),
        "dict": {"a": 1, "b": [1, 2]},
        "dict_empty": {},
        "dict_intkeys": {1: "a", 2: "b"},
        "dict_tuplekey": {(1, 2): "x"},
        "dict_proto": {"__proto__": 1, "x": 2},
        "decimal": decimal.Decimal("3.14159265358979323846264338327950288"),
        "datetime": datetime.datetime(2021, 12, 25, 13, 30, 15, 123456),
        "date": datetime.date(2021, 1, 2),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "uri": Pyro4.core.URI("PYRO:test.service@127.0.0.1:47001"),
        "uri_ipv6": Pyro4.core.URI("PYRO:obj@[::1]:5000"),
        "uri_unix": Pyro4.core.URI("PYRO:obj@./u:pyro.sock"),
        "nested_mix": {"k": [(1, "two"), {"z": None, "f": 0.5}], "t": (True, False)},
        "ordereddict": collections.OrderedDict([("a", 1)]),
        "instance": Foo(),
        "deep": deep(150),
        "deque": collections.deque([1, 2]),
        "array_i": array.array("i", [1, 2]),
        "array_u": array.array("u", "hi"),
        "enum": Color.RED,
        "namedtuple": Point(1, 2),
        "timedelta": datetime.timedelta(seconds=3.5),
        "time": datetime.time(13, 30, 15),
        "keys_view": {"a": 1}.keys(),
        "bytearray": bytearray(b"ab"),
        "memoryview": memoryview(b"ab"),
        "datetime_aware": datetime.datetime(2021, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    }


def same(a, b):
    """Equality that also compares types, float signs and NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        if len(a) != len(b) or list(a.keys()) != list(b.keys()):
            return False
        return all(same(a[k], b[k]) for k in a)
    if isinstance(a, BaseException):
        return type(a) is type(b) and same(a.args, b.args)
    if isinstance(a, Pyro4.core.URI):
        return str(a) == str(b)
    return a == b


def b64(data):
    return base64.b64encode(data).decode("ascii")


def try_dumps(ser, value):
    try:
        data, _ = SERIALIZERS[ser].serializeData(value)
        return b64(data)
    except Exception:
        return None


def make_exception():
    try:
        raise ValueError("boom")
    except ValueError as x:
        # what the Pyro4 daemon does before it sends an exception back
        x._pyroTraceback = Pyro4.util.formatTraceback(*sys.exc_info())
        return x


class CustomError(Exception):
    pass


def corpus():
    out = {"values": {}, "calls": {}, "exceptions": {}, "reprs": {}}
    for name, value in python_corpus().items():
        out["values"][name] = {ser: try_dumps(ser, value) for ser in SERIALIZERS}
    # serpent's bytes_repr option (used by Pyro5 and other ports) writes real bytes literals
    raw = bytes(range(256)) + b"'\"\\"
    out["values"]["bytes_repr"] = {"serpent": b64(serpent.dumps([raw, bytearray(b"x")], bytes_repr=True)), "json": None, "marshal": None}
    for ser, s in SERIALIZERS.items():
        data, _ = s.serializeCall("test.service", "echo", (1, "x", [2.5, None]), {"k": 3, "u": "\xe9"})
        out["calls"][ser] = b64(data)
    exc = make_exception()
    exc2 = Pyro4.errors.NamingError("unknown name: x")
    exc2._pyroTraceback = ["Traceback (most recent call last):\n", "Pyro4.errors.NamingError: unknown name: x\n"]
    exc3 = CustomError("custom", 42)
    exc3._pyroTraceback = []
    for ser, s in SERIALIZERS.items():
        out["exceptions"][ser] = {
            "value_error": b64(s.serializeData(exc)[0]),
            "naming_error": b64(s.serializeData(exc2)[0]),
            "custom_error": b64(s.serializeData(exc3)[0]),
        }
    out["exception_traceback"] = exc._pyroTraceback
    return out


# What the JS side sends in "check" mode, by name: the Python value Pyro4 must read.
EXPECTED_FROM_JS = {
    "none": None,
    "true": True,
    "int": 42,
    "int_neg": -7,
    "int_big": 2 ** 70,
    "int_negbig": -(2 ** 70),
    "float": 1.5,
    "float_tenth": 0.1,
    "float_int": 2.0,
    "float_negzero": -0.0,
    "float_big": 1e300,
    "float_1e16": 1e16,
    "float_small": 1e-05,
    "float_tiny": 5e-324,
    "float_inf": float("inf"),
    "float_ninf": float("-inf"),
    "float_nan": float("nan"),
    "complex": complex(1.5, -2),
    "str": "hello",
    "str_quotes": "it's \"quoted\"",
    "str_single": "it's",
    "str_unicode": "h\xe9llo \u2713 \U0001F600 \u4e2d",
    "str_controls": "\x00\x01\n\t\r\x7f\x80\xa0\xad\u2028\u200b\ufeff",
    "str_surrogate": "\ud800x\udfff",
    # long text (over 64 characters: repr's scan of long text), plain, with escapes and with both quotes
    "str_long_text": "Gr\xfc\xdfe aus K\xf6ln \u2014 \u6771\u4eac\u306e\u591c\u666f \U0001F680 na\xefve caf\xe9 " * 111,
    "str_long_ascii_quote": "a" * 200 + "'" + "b" * 100,
    "str_long_mixed": "\xe9" * 100 + "'" + "x\u200by" + "\U0001F600" * 50 + "\"" + "z" * 100 + "\x7f\U000E0001",
    "list": [1, "a", None],
    "list_empty": [],
    "tuple": (1, "a"),
    "tuple1": (1,),
    "tuple0": (),
    "set": {1, 2, 3},
    "dict": {"a": 1, "b": [1, 2]},
    "dict_intkeys": {1: "a", 2: "b"},
    "dict_proto": {"__proto__": 1, "x": 2},
    "decimal": "3.14159265358979323846264338327950288",
    "date": "2021-12-25T13:30:15.123000+00:00",
    "uri": Pyro4.core.URI("PYRO:test.service@127.0.0.1:47001"),
    "nested": {"k": [(1, "two"), {"z": None, "f": 0.5}]},
    "deep": deep(150),
    "exception": ValueError("bad value"),
    "exception_key": KeyError("missing"),
    "exception_pyro": Pyro4.errors.NamingError("unknown name: y"),
}

# json/marshal turn some Python types into others (as Pyro4's own json does).
JSON_OVERRIDES = {
    "tuple": [1, "a"],
    "tuple1": [1],
    "tuple0": [],
    "set": [1, 2, 3],
    "dict_intkeys": {"1": "a", "2": "b"},
    "nested": {"k": [[1, "two"], {"z": None, "f": 0.5}]},
}

# Values for which our serpent text must be byte-identical to serpent's own output.
IDENTICAL_SERPENT = {"none", "true", "int", "int_neg", "int_big", "int_negbig", "float", "float_tenth", "float_int",
                     "float_negzero", "float_big", "float_1e16", "float_small", "float_tiny", "float_inf", "float_ninf",
                     "float_nan", "complex", "str", "str_quotes", "str_single", "str_unicode", "str_controls",
                     "str_long_text", "str_long_ascii_quote", "str_long_mixed",
                     "str_surrogate", "list", "list_empty", "tuple", "tuple1", "tuple0", "dict", "dict_intkeys",
                     "dict_proto", "decimal", "nested", "deep"}


def check(request):
    results = {}
    for item in request["items"]:
        name, ser, kind = item["name"], item["ser"], item.get("kind", "value")
        key = name + "/" + ser
        data = base64.b64decode(item["data"])
        try:
            s = SERIALIZERS[ser]
            if kind == "call":
                got = s.deserializeCall(data)
                expected = ("test.service", "echo", [1, "x", [2.5, None]], {"k": 3, "u": "\xe9"})
                got = (got[0], got[1], list(got[2]), got[3])
                results[key] = {"ok": same(got, expected) or same(got, (expected[0], expected[1], tuple(expected[2]), expected[3])),
                                "got": repr(got)}
                continue
            if kind == "floats":
                got = s.deserializeData(data)
                expected = [float(x) for x in item["expected"]]
                # our text must be the one Python's own writer makes (Pyro4's json serializer: ensure_ascii=False)
                texts = (serpent.dumps(expected).decode("utf-8") if ser == "serpent"
                         else json.dumps(expected, ensure_ascii=False) if ser == "json" else None)
                results[key] = {"ok": same(got, expected), "got": repr(got)[:300],
                                "identical": (texts == data.decode("utf-8")) if texts is not None else None}
                continue
            got = s.deserializeData(data)
            expected = EXPECTED_FROM_JS[name]
            if ser == "json" and name in JSON_OVERRIDES:
                expected = JSON_OVERRIDES[name]
            entry = {"ok": same(got, expected), "got": repr(got)[:300]}
            if isinstance(got, BaseException):
                tb = getattr(got, "_pyroTraceback", None)
                entry["traceback_ok"] = isinstance(tb, list) and all(isinstance(x, str) and x.endswith("\n") for x in tb) and len(tb) > 0
                entry["remote_traceback"] = "".join(Pyro4.util.getPyroTraceback(type(got), got, None))[:2000]
            if ser == "serpent" and name in IDENTICAL_SERPENT:
                entry["identical"] = serpent.dumps(expected, module_in_classname=True) == data
                entry["python_text"] = serpent.dumps(expected, module_in_classname=True).decode("utf-8", "replace")[:300]
            results[key] = entry
        except Exception as x:
            results[key] = {"ok": False, "got": "EXCEPTION " + type(x).__name__ + ": " + str(x)[:300],
                            "trace": traceback.format_exc()[-1000:]}
    return results


# ---------------------------------------------------------------- differential fuzzing

def describe(v):
    """A JSON description of a Python value that keeps every detail (types, float bits, code points)."""
    t = type(v)
    if v is None:
        return {"t": "none"}
    if t is bool:
        return {"t": "bool", "v": v}
    if t is int:
        return {"t": "int", "v": str(v)}
    if t is float:
        return {"t": "float", "v": struct.pack(">d", v).hex()}
    if t is complex:
        return {"t": "complex", "re": struct.pack(">d", v.real).hex(), "im": struct.pack(">d", v.imag).hex()}
    if t is str:
        return {"t": "str", "v": [ord(c) for c in v]}
    if t in (bytes, bytearray):
        return {"t": "bytes", "v": b64(bytes(v))}
    if t in (list, tuple, set, frozenset):
        return {"t": t.__name__, "v": [describe(x) for x in v]}
    if t is dict:
        return {"t": "dict", "v": [[describe(k), describe(x)] for k, x in v.items()]}
    if isinstance(v, Pyro4.core.URI):
        return {"t": "uri", "v": [v.protocol, v.object, v.sockname, v.host, v.port]}
    return {"t": "other", "v": repr(v)}


def random_value(rnd, depth=0):
    kinds = ["none", "bool", "int", "bigint", "float", "floatbits", "str", "bytes", "complex"]
    if depth < 4:
        kinds += ["list", "tuple", "set", "dict", "intdict", "tupledict"] * 2
    k = rnd.choice(kinds)
    if k == "none":
        return None
    if k == "bool":
        return rnd.random() < 0.5
    if k == "int":
        return rnd.randint(-2 ** 31, 2 ** 31)
    if k == "bigint":
        return rnd.randint(-2 ** 300, 2 ** 300)
    if k == "float":
        return rnd.choice([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e16, 1e-5, 0.1, 1.5e300, 5e-324,
                           rnd.uniform(-1e6, 1e6), rnd.random() * 10 ** rnd.randint(-30, 30)])
    if k == "floatbits":
        return struct.unpack(">d", rnd.getrandbits(64).to_bytes(8, "big"))[0]
    if k == "str":
        return random_str(rnd)
    if k == "bytes":
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 12)))
    if k == "complex":
        return complex(rnd.choice([0.0, -0.0, 1.5, -2.25, float("inf"), rnd.uniform(-1e9, 1e9)]),
                       rnd.choice([0.0, -0.0, 1.0, -3.5, float("-inf"), rnd.uniform(-1e9, 1e9)]))
    n = rnd.randint(0, 5)
    if k == "list":
        return [random_value(rnd, depth + 1) for _ in range(n)]
    if k == "tuple":
        return tuple(random_value(rnd, depth + 1) for _ in range(n))
    if k == "set":
        return {random_hashable(rnd) for _ in range(n)}
    if k == "dict":
        return {random_str(rnd): random_value(rnd, depth + 1) for _ in range(n)}
    if k == "intdict":
        return {rnd.randint(-1000, 1000): random_value(rnd, depth + 1) for _ in range(n)}
    return {(rnd.randint(0, 9), random_str(rnd)): random_value(rnd, depth + 1) for _ in range(n)}


def random_hashable(rnd):
    return rnd.choice([lambda: rnd.randint(-10 ** 20, 10 ** 20), lambda: random_str(rnd), lambda: rnd.uniform(-5, 5),
                       lambda: (rnd.randint(0, 3), random_str(rnd))])()


def random_str(rnd):
    pools = [
        lambda: chr(rnd.randint(32, 126)),
        lambda: rnd.choice("'\"\\\n\r\t\x00\x7f\xa0\xad\u2028\u200b\ufeff"),
        lambda: chr(rnd.randint(0, 0xd7ff)),
        lambda: chr(rnd.randint(0xd800, 0xdfff)),
        lambda: chr(rnd.randint(0xe000, 0x10ffff)),
    ]
    return "".join(rnd.choice(pools)() for _ in range(rnd.randint(0, 10)))


def fuzz_corpus(seed, count):
    import random
    rnd = random.Random(seed)
    out = []
    while len(out) < count:
        value = random_value(rnd)
        for ser, s in SERIALIZERS.items():
            try:
                data = s.serializeData(value)[0]
                loaded = s.deserializeData(data)
            except Exception:
                continue  # Python cannot write (or read back) this value with this serializer
            out.append({"ser": ser, "data": b64(data), "desc": describe(loaded)})
    return out


def describe_items(request):
    out = []
    for item in request["items"]:
        try:
            out.append({"desc": describe(SERIALIZERS[item["ser"]].deserializeData(base64.b64decode(item["data"])))})
        except Exception as x:
            out.append({"error": type(x).__name__ + ": " + str(x)[:300]})
    return out


def main():
    mode = sys.argv[1]
    if mode == "corpus":
        json.dump(corpus(), sys.stdout)
    elif mode == "fuzz-corpus":
        json.dump(fuzz_corpus(int(sys.argv[2]), int(sys.argv[3])), sys.stdout)
    elif mode == "describe":
        json.dump(describe_items(json.load(sys.stdin)), sys.stdout)
    elif mode == "serpent-dumps":
        # serpent's text of each string (the strings as JSON; lone surrogates arrive as \udxxx escapes), and the
        # characters of it this Python's Unicode tables call not printable
        json.dump({"unicode": unicodedata.unidata_version,
                   "items": [{"data": b64(serpent.dumps(t)), "nonPrintable": sorted({ord(c) for c in t if not c.isprintable()})}
                             for t in json.load(sys.stdin)]}, sys.stdout)
    elif mode == "check":
        request = json.load(sys.stdin)
        json.dump(check(request), sys.stdout)
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
