"""Python Pyro4 as a client of a name server written in TypeScript.

Usage: ns_client.py NSHOST NSPORT SERIALIZER [HMACKEY]
The TypeScript side has registered 'ts.service' (metadata 'ts', 'blue').
Prints one JSON line per check.
"""
import json
import sys

import Pyro4
import Pyro4.errors

from checks import check, out


def main():
    host, port, serializer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    hmac = sys.argv[4].encode("utf-8") if len(sys.argv) > 4 else None
    Pyro4.config.SERIALIZER = serializer
    Pyro4.config.COMMTIMEOUT = 10.0
    ns = Pyro4.locateNS(host, port, hmac_key=hmac)

    check("ping", lambda: (ns.ping() is None, None))
    check("lookup", lambda: (isinstance(ns.lookup("ts.service"), Pyro4.core.URI) and ns.lookup("ts.service").object == "svc", ns.lookup("ts.service")))
    check("lookup_meta", lambda: (set(ns.lookup("ts.service", return_metadata=True)[1]) == {"ts", "blue"}, ns.lookup("ts.service", return_metadata=True)))

    def unknown():
        try:
            ns.lookup("nope")
        except Pyro4.errors.NamingError as e:
            return "unknown name: nope" in str(e), e
        return False, "found"
    check("lookup_unknown", unknown)

    def register_and_list():
        ns.register("py.thing", "PYRO:thing@127.0.0.1:1234", metadata={"py", "blue"})
        names = ns.list(prefix="py.")
        meta_all = ns.list(metadata_all={"blue"})
        meta_any = ns.list(metadata_any={"py", "zzz"}, return_metadata=True)
        regex = ns.list(regex=r"ts\..*")
        ok = (names == {"py.thing": "PYRO:thing@127.0.0.1:1234"}
              and set(meta_all) == {"ts.service", "py.thing"}
              and set(meta_any) == {"py.thing"} and set(meta_any["py.thing"][1]) == {"py", "blue"}
              and set(regex) == {"ts.service"})
        return ok, (names, meta_all, meta_any, regex)
    check("register_list", register_and_list)

    def safe():
        try:
            ns.register("py.thing", "PYRO:x@127.0.0.1:1", safe=True)
        except Pyro4.errors.NamingError as e:
            return "already registered" in str(e), e
        return False, "overwrote"
    check("register_safe", safe)

    def pyroname():
        p = Pyro4.Proxy("PYRONAME:ts.service@%s:%d" % (host, port))
        if hmac:
            p._pyroHmacKey = hmac
        r = p.get_data("named")
        p._pyroRelease()
        return r == "You got remote data => named", r
    check("pyroname_call", pyroname)

    def pyrometa():
        p = Pyro4.Proxy("PYROMETA:ts,blue@%s:%d" % (host, port))
        if hmac:
            p._pyroHmacKey = hmac
        r = p.get_data("meta")
        p._pyroRelease()
        return r == "You got remote data => meta", r
    check("pyrometa_call", pyrometa)

    check("remove", lambda: (ns.remove("py.thing") == 1 and ns.remove(prefix="Pyro.") == 0, ns.count()))
    check("count", lambda: (ns.count() == 2, ns.count()))
    ns._pyroRelease()
    print(json.dumps({"name": "done", "ok": True, "detail": ""}), flush=True)


if __name__ == "__main__":
    main()
