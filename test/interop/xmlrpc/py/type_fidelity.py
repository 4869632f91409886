"""Python's xmlrpc.client and SimpleXMLRPCServer for the type-fidelity tests.

Usage:
  type_fidelity.py client URL   calls echo(x) for values of several Python types and
                                prints one JSON line per value: the type and repr of
                                what came back
  type_fidelity.py server       serves echo(x) and echo_repr(x) (the type name and repr
                                of what arrived); prints {"url": ...} once listening and
                                serves until stdin closes
"""
import json
import sys
import threading
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCServer

VALUES = [
    ("float", 2.0),
    ("negative_float", -3.0),
    ("fraction", 2.5),
    ("int", 7),
    ("bytes", b"\x00\x01<&\xfe"),
    ("tuple", (1, 2.0)),
    ("set", {1, 2}),
    ("nested", {"k": [2.0, 3]}),
]


def describe(v):
    if isinstance(v, (list, tuple)):
        return [type(v).__name__, [describe(x) for x in v]]
    if isinstance(v, dict):
        return ["dict", sorted([k, describe(x)] for k, x in v.items())]
    return [type(v).__name__, repr(v)]


def client(url):
    p = xmlrpc.client.ServerProxy(url, use_builtin_types=True)
    for name, v in VALUES:
        try:
            r = p.echo(v)
            out = {"name": name, "ok": True, "detail": json.dumps(describe(r)), "type": type(r).__name__, "same": r == v and type(r) is type(v)}
        except Exception as e:  # a value XML-RPC cannot carry
            out = {"name": name, "ok": False, "detail": "%s: %s" % (type(e).__name__, e), "type": "error", "same": False}
        print(json.dumps(out), flush=True)


def server():
    srv = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, use_builtin_types=True)
    srv.register_function(lambda x: x, "echo")
    srv.register_function(lambda x: [type(x).__name__, repr(x)], "echo_repr")
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    print(json.dumps({"url": "http://127.0.0.1:%d/RPC2" % srv.server_address[1]}), flush=True)
    sys.stdin.read()
    srv.shutdown()


if __name__ == "__main__":
    if sys.argv[1] == "client":
        client(sys.argv[2])
    else:
        server()
