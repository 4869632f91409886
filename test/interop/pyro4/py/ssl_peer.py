"""Pyro4 over TLS, either side.

  ssl_peer.py server CERT KEY CA REQUIRE_CLIENT(0|1)   -> prints {"uri": ...}, serves until stdin closes
  ssl_peer.py client URI CA [CLIENTCERT CLIENTKEY]      -> prints one JSON line per check
"""
import json
import sys
import threading

import Pyro4


@Pyro4.expose
class Echo(object):
    def echo(self, x):
        return x

    def get_data(self, param):
        return "You got remote data => %s" % param


def out(name, ok, detail=None):
    print(json.dumps({"name": name, "ok": bool(ok), "detail": repr(detail)}), flush=True)


def main():
    role = sys.argv[1]
    Pyro4.config.SSL = True
    Pyro4.config.COMMTIMEOUT = 10.0
    if role == "server":
        cert, key, ca, require = sys.argv[2:6]
        Pyro4.config.SSL_SERVERCERT = cert
        Pyro4.config.SSL_SERVERKEY = key
        Pyro4.config.SSL_CACERTS = ca
        Pyro4.config.SSL_REQUIRECLIENTCERT = require == "1"
        daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
        uri = daemon.register(Echo(), "tls.echo")
        threading.Thread(target=daemon.requestLoop, daemon=True).start()
        print(json.dumps({"uri": str(uri)}), flush=True)
        sys.stdin.read()
        daemon.shutdown()
    else:
        uri, ca = sys.argv[2:4]
        Pyro4.config.SSL_CACERTS = ca
        if len(sys.argv) > 5:
            Pyro4.config.SSL_CLIENTCERT = sys.argv[4]
            Pyro4.config.SSL_CLIENTKEY = sys.argv[5]
        try:
            p = Pyro4.Proxy(uri)
            r = p.get_data("tls")
            out("call", r == "You got remote data => tls", r)
            out("echo", p.echo([1, "x"]) == [1, "x"], None)
            p._pyroRelease()
        except Exception as e:  # noqa
            out("call", False, "%s: %s" % (type(e).__name__, e))


if __name__ == "__main__":
    main()
