"""Two Pyro4 proxies (two connections) against classes served by a TypeScript daemon.

Usage: instance_client.py LOCATION SERIALIZER
The daemon at LOCATION (host:port) serves the same counter class as
"counter.session", "counter.single", "counter.percall" and "counter.broken"
(whose instance creator fails).
Prints one JSON line per check: {"name": ..., "ok": bool, "detail": ...}.
"""
import sys

import Pyro4
import Pyro4.errors

from checks import check, out


def main():
    location, serializer = sys.argv[1], sys.argv[2]
    Pyro4.config.SERIALIZER = serializer
    Pyro4.config.COMMTIMEOUT = 10.0

    def proxy(name):
        return Pyro4.Proxy("PYRO:%s@%s" % (name, location))

    a, b = proxy("counter.session"), proxy("counter.session")

    def session_state():
        got = [a.increment(), a.increment(), b.increment(), a.increment()]
        return got == [1, 2, 1, 3] and a.whoami() != b.whoami(), got
    check("session:separate", session_state)

    def session_metadata():
        return ("increment" in a._pyroMethods and "notify" in a._pyroOneway and not a._pyroAttrs,
                (sorted(a._pyroMethods), sorted(a._pyroOneway), sorted(a._pyroAttrs)))
    check("session:metadata", session_metadata)

    def session_oneway():
        b.notify()  # announced oneway: runs on b's own instance
        v = b.increment()
        return v == 102, v
    check("session:oneway", session_oneway)

    def session_dropped():
        a._pyroRelease()  # closes a's connection; the next call opens a new session
        v = a.increment()
        return v == 1 and b.increment() == 103, v
    check("session:new_connection", session_dropped)

    s1, s2 = proxy("counter.single"), proxy("counter.single")

    def single_state():
        got = [s1.increment(), s2.increment(), s1.increment()]
        return got == [1, 2, 3] and s1.whoami() == s2.whoami(), got
    check("single:shared", single_state)

    p = proxy("counter.percall")

    def percall():
        got = [p.increment(), p.increment(), p.increment()]
        return got == [1, 1, 1], got
    check("percall:fresh", percall)

    def creator_error():
        broken = proxy("counter.broken")
        try:
            broken.increment()
            return False, "no error"
        except ValueError as e:
            return "no capacity" in str(e), str(e)
    check("creator:error", creator_error)

    for px in (a, b, s1, s2, p):
        px._pyroRelease()
    out("done", True)


if __name__ == "__main__":
    main()
