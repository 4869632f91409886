"""Pyro4 name-server discovery by UDP broadcast, both directions.

Usage:
  ns_broadcast.py locate BCPORT NSPORT [BROADCAST_ADDRS]
      Pyro4.locateNS() with no host, NS_BCPORT=BCPORT and NS_PORT=NSPORT (a
      closed port, so the direct localhost try fails and the broadcast is
      what finds the name server). The TypeScript side has registered
      'ts.service'. Prints one JSON line per check.
  ns_broadcast.py serve
      Python's name server on 127.0.0.1 (ephemeral port) with its
      BroadcastServer bound to 127.0.0.1 (ephemeral port) in a thread of
      its own, as startNSloop() runs it. Python's startNS() starts no broadcast server for a loopback name
      server, so the two are put together here with Pyro4's own classes.
      Prints {"uri": ..., "bcport": ...} when ready; serves until stdin closes.
"""
import json
import sys
import threading

import Pyro4
import Pyro4.naming
import Pyro4.errors

from checks import check, out


def locate(bcport, nsport, addrs):
    Pyro4.config.NS_BCPORT = bcport
    Pyro4.config.NS_PORT = nsport
    Pyro4.config.COMMTIMEOUT = 10.0
    if addrs is not None:
        Pyro4.config.BROADCAST_ADDRS = addrs
    ns = Pyro4.locateNS()
    out("located", True, str(ns._pyroUri))
    check("ping", lambda: (ns.ping() is None, None))
    check("lookup", lambda: (ns.lookup("ts.service").object == "svc", ns.lookup("ts.service")))

    def by_name():
        # PYRONAME without a host goes through the same discovery
        with Pyro4.Proxy("PYRONAME:ts.service") as p:
            r = p.get_data("found by broadcast")
        return r == "You got remote data => found by broadcast", r
    check("pyroname_call", by_name)
    out("done", True)


def serve():
    daemon = Pyro4.naming.NameServerDaemon("127.0.0.1", 0)
    uri = daemon.uriFor(daemon.nameserver)
    bcserver = Pyro4.naming.BroadcastServer(uri, bchost="127.0.0.1", bcport=0)
    bcserver.runInThread()
    daemon.nameserver.register("py.service", "PYRO:py.svc@127.0.0.1:1234", metadata={"py"})
    stop = threading.Event()
    thread = threading.Thread(target=daemon.requestLoop, kwargs={"loopCondition": lambda: not stop.is_set()})
    thread.daemon = True
    thread.start()
    print(json.dumps({"uri": str(uri), "bcport": bcserver.getPort()}), flush=True)
    sys.stdin.read()
    stop.set()
    bcserver.close()
    daemon.shutdown()
    thread.join(5)


def main():
    if sys.argv[1] == "locate":
        locate(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        serve()


if __name__ == "__main__":
    main()
