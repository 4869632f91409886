"""Calls echo(x) on a Pyro4 object for values of several Python types and
prints, per value, the type and repr of what came back (one JSON line each).

Usage: type_fidelity_client.py URI SERIALIZER
"""
import json
import sys

import Pyro4

VALUES = [
    ("float", 2.0),
    ("negative_float", -3.0),
    ("fraction", 2.5),
    ("int", 7),
    ("tuple", (1, 2.0)),
    ("set", {1, 2}),
    ("frozenset", frozenset({3})),
    ("bytes", b"\x00\x01'\\\xfe"),
    ("nested", {"k": [2.0, (4.0,)]}),
    ("float_key", {2.0: "two"}),
]


def describe(v):
    if isinstance(v, (list, tuple)):
        return [type(v).__name__, [describe(x) for x in v]]
    if isinstance(v, dict):
        return ["dict", sorted([describe(k), describe(x)] for k, x in v.items())]
    if isinstance(v, (set, frozenset)):
        return [type(v).__name__, sorted(describe(x) for x in v)]
    return [type(v).__name__, repr(v)]


def main():
    uri, serializer = sys.argv[1], sys.argv[2]
    Pyro4.config.SERIALIZER = serializer
    with Pyro4.Proxy(uri) as p:
        for name, v in VALUES:
            try:
                r = p.echo(v)
                out = {"name": name, "ok": True, "detail": json.dumps(describe(r)), "type": type(r).__name__, "same": r == v and type(r) is type(v)}
            except Exception as e:  # a value this serializer cannot carry
                out = {"name": name, "ok": False, "detail": "%s: %s" % (type(e).__name__, e), "type": "error", "same": False}
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
