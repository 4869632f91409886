"""Python's Pyro4 name server and a daemon serving a test object registered in it.

Usage: ns_and_service.py
Prints one JSON line {"ns_port": ..., "uri": ...} when ready; serves until stdin closes.
"""
import json
import sys
import threading

import Pyro4
import Pyro4.naming


@Pyro4.expose
class Example(object):
    def get_data(self, param):
        return "You got remote data => %s" % param

    def kw(self, a, b=0, **rest):
        return {"a": a, "b": b, "rest": rest}

    def raise_value_error(self, message):
        raise ValueError(message)


def main():
    ns_uri, ns_daemon, _bc = Pyro4.naming.startNS(host="127.0.0.1", port=0, enableBroadcast=False)
    threading.Thread(target=ns_daemon.requestLoop, daemon=True).start()
    daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    uri = daemon.register(Example(), "py.example")
    ns = Pyro4.Proxy(ns_uri)
    ns.register("py.example.service", uri, metadata={"example"})
    threading.Thread(target=daemon.requestLoop, daemon=True).start()
    print(json.dumps({"ns_port": ns_uri.port, "uri": str(uri)}), flush=True)
    sys.stdin.read()
    daemon.shutdown()
    ns_daemon.shutdown()


if __name__ == "__main__":
    main()
