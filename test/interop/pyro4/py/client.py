"""A Pyro4 client exercising a daemon written in TypeScript.

Usage: client.py URI SERIALIZER [HMACKEY]
Prints one JSON line per check: {"name": ..., "ok": bool, "detail": ...}.
"""
import datetime
import decimal
import json
import sys
import time

import Pyro4
import Pyro4.errors
import Pyro4.util
import serpent

from checks import check, out


def main():
    uri, serializer = sys.argv[1], sys.argv[2]
    hmac = sys.argv[3].encode("utf-8") if len(sys.argv) > 3 else None
    Pyro4.config.SERIALIZER = serializer
    Pyro4.config.COMMTIMEOUT = 10.0
    p = Pyro4.Proxy(uri)
    if hmac:
        p._pyroHmacKey = hmac

    check("get_data", lambda: (p.get_data("Hello") == "You got remote data => Hello", p.get_data("Hello")))

    values = {
        "int": 17,
        "negint": -5,
        "bigint": 2 ** 70,
        "float": 1.5,
        "float_integral": 2.0,
        "str": "h\u00e9llo \u2713 \U0001F600 'q' \"d\" \\ \n",
        "empty_str": "",
        "list": [1, "two", [3, None]],
        "dict": {"a": 1, "b": [True, False]},
        "none": None,
        "true": True,
        "inf": float("inf"),
    }
    if serializer == "serpent":
        values["tuple"] = (1, 2, "x")
        values["set"] = {1, 2, 3}
        values["complex"] = complex(1, -2)
        values["intkeys"] = {1: "one", 2: "two"}
    for name, v in values.items():
        # JS has one number type: an integral float comes back as an int of the same value
        same_type = name != "float_integral"
        check("echo:" + name, lambda v=v, st=same_type: (p.echo(v) == v and (not st or type(p.echo(v)) is type(v)), p.echo(v)))
    if serializer == "serpent":
        check("echo:bytes", lambda: (serpent.tobytes(p.echo(b"\x00\x01\xfe")) == b"\x00\x01\xfe", p.echo(b"\x00\x01\xfe")))
        check("echo:decimal", lambda: (p.echo(decimal.Decimal("3.14")) == "3.14", None))
        check("echo:datetime", lambda: (p.echo(datetime.datetime(2021, 12, 25, 13, 30, 15)).startswith("2021-12-25T13:30:15"), None))
    check("echo:nan", lambda: (p.echo(float("nan")) != p.echo(float("nan")), None))
    check("add", lambda: (p.add(2, 3) == 5, None))

    def compressed():
        Pyro4.config.COMPRESSION = True
        try:
            big = "x" * 50000
            return p.echo(big) == big, None
        finally:
            Pyro4.config.COMPRESSION = False
    check("compression", compressed)

    def value_error():
        try:
            p.raise_value_error("boom")
        except ValueError as e:
            tb = "".join(Pyro4.util.getPyroTraceback())
            return str(e) == "boom" and "ValueError: boom" in tb and "Remote traceback" in tb, tb
        return False, "no exception"
    check("raises:ValueError", value_error)

    def type_error():
        try:
            p.raise_type_error()
        except TypeError as e:
            return str(e) == "wrong type", e
        return False, "no exception"
    check("raises:TypeError", type_error)

    def unknown_method():
        try:
            p._pyroInvoke("no_such_method", (), {})
        except AttributeError as e:
            return "no_such_method" in str(e), e
        return False, "no exception"
    check("raises:AttributeError", unknown_method)

    def oneway():
        before = p.get_counter()
        t0 = time.time()
        p.increment()  # marked oneway in the metadata
        p.increment()
        quick = time.time() - t0 < 1.0
        deadline = time.time() + 3
        while p.get_counter() < before + 2 and time.time() < deadline:
            time.sleep(0.02)
        return quick and p.get_counter() == before + 2 and "increment" in p._pyroOneway, p.get_counter()
    check("oneway", oneway)

    def batch():
        b = Pyro4.batch(p)
        b.echo(1)
        b.add(2, 3)
        b.raise_value_error("inbatch")
        b.echo(4)
        results = b()
        got = [next(results), next(results)]
        try:
            next(results)
        except ValueError as e:
            return got == [1, 5] and str(e) == "inbatch", got
        return False, got
    check("batch", batch)

    check("stream:generator", lambda: (list(p.count(5)) == [0, 1, 2, 3, 4], list(p.count(5))))
    check("stream:async_generator", lambda: (list(p.acount(3)) == ["item0", "item1", "item2"], None))

    def failing_stream():
        got = []
        try:
            for x in p.failing_gen():
                got.append(x)
        except ValueError as e:
            return got == [0, 1] and str(e) == "generator failed", got
        return False, got
    check("stream:error", failing_stream)

    def early_close():
        it = p.count(1000)
        first = next(it)
        it.close()
        return first == 0 and p.echo("after") == "after", first
    check("stream:close", early_close)

    def attributes():
        v0 = p.value
        p.value = "changed"
        v1 = p.value
        p.value = 42
        return v0 == 42 and v1 == "changed" and "value" in p._pyroAttrs and "label" in p._pyroAttrs, (v0, v1)
    check("attributes", attributes)

    def private_attr():
        try:
            p._pyroInvoke("__getattr__", ("_secret",), None)
        except AttributeError as e:
            return True, e
        return False, "read a private attribute"
    check("attributes:private", private_attr)

    def kwargs():
        return p.kw(1, x=2) == [1, {"x": 2}], p.kw(1, x=2)
    check("kwargs", kwargs)

    def metadata():
        d = Pyro4.Proxy("PYRO:Pyro.Daemon@" + uri.split("@", 1)[1])
        if hmac:
            d._pyroHmacKey = hmac
        meta = d.get_metadata("test.service")
        reg = d.registered()
        d._pyroRelease()
        return "echo" in meta["methods"] and "test.service" in reg and d.ping() is None, meta
    check("daemon:metadata", metadata)

    def unknown_object():
        q = Pyro4.Proxy(uri.replace("test.service", "nope", 1))
        if hmac:
            q._pyroHmacKey = hmac
        try:
            q.echo(1)
        except Pyro4.errors.CommunicationError as e:
            return "unknown object" in str(e), e
        return False, "connected"
    check("unknown_object", unknown_object)

    p._pyroRelease()
    print(json.dumps({"name": "done", "ok": True, "detail": ""}), flush=True)


if __name__ == "__main__":
    main()
