"""A Pyro4 client checking what a TypeScript daemon's core call path does for it:
wrong argument counts are TypeErrors worded as Python's, errors named like a
builtin arrive as that class, and the service sees the call's context
(serializer, correlation id, annotations, client port).

Usage: call_path_client.py URI SERIALIZER
Prints one JSON line per check: {"name": ..., "ok": bool, "detail": ...}.
"""
import sys
import uuid

import Pyro4
import Pyro4.errors

from checks import check


def main():
    uri, serializer = sys.argv[1], sys.argv[2]
    Pyro4.config.SERIALIZER = serializer
    Pyro4.config.COMMTIMEOUT = 10.0
    p = Pyro4.Proxy(uri)

    check("plain call", lambda: (p.get_data("Hello") == "You got remote data => Hello", None))

    def arity(args, expected):
        def run():
            try:
                p.get_data(*args)
            except TypeError as e:
                return str(e) == expected, str(e)
            except Exception as e:  # noqa
                return False, "%s: %s" % (type(e).__name__, e)
            return False, "no exception"
        return run
    check("arity:missing", arity((), "get_data() missing 1 required positional argument: 'param'"))
    check("arity:extra", arity((1, 2), "get_data() takes 1 positional argument but 2 were given"))

    def named(method, cls):
        def run():
            try:
                getattr(p, method)("bad value")
            except cls as e:
                return type(e) is cls and e.args == ("bad value",), "%s: %s" % (type(e).__name__, e)
            except Exception as e:  # noqa
                return False, "%s: %s" % (type(e).__name__, e)
            return False, "no exception"
        return run
    check("raises:name=ValueError", named("fail_named", ValueError))
    check("raises:pythonType=KeyError", named("fail_typed", KeyError))

    def context():
        cid = uuid.uuid4()
        Pyro4.current_context.correlation_id = cid
        Pyro4.current_context.annotations = {"XTRA": b"from python"}
        try:
            c = p.context()
        finally:
            Pyro4.current_context.correlation_id = None
        port = p._pyroConnection.sock.getsockname()[1]
        ok = (
            c["protocol"] == "pyro4"
            and c["method"] == "context"
            and c["serializer"] == serializer
            and c["correlationId"] == str(cid)
            and "XTRA" in c["annotations"]
            and c["xtra"] == "from python"
            and c["clientAddress"] == "127.0.0.1"
            and c["clientPort"] == port
            and c["deadlineLeft"] is None
            and c["oneway"] is False
        )
        return ok, c
    check("context", context)
    check("still fine", lambda: (p.add(2, 3) == 5, None))
    p._pyroRelease()
    check("done", lambda: (True, None))


if __name__ == "__main__":
    main()
