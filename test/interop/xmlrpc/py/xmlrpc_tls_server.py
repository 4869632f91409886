"""A Python standard-library XML-RPC server over TLS that requires a client certificate.

Usage: xmlrpc_tls_server.py <certfile(chain)> <keyfile> <cafile>
Prints {"port": N} on stdout once listening, then serves until killed.
"""
import datetime
import json
import socketserver
import ssl
import sys
from xmlrpc.server import SimpleXMLRPCServer


class Server(socketserver.ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True


def main():
    certfile, keyfile, cafile = sys.argv[1:4]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=cafile)
    ctx.load_cert_chain(certfile, keyfile)
    ctx.verify_mode = ssl.CERT_REQUIRED
    server = Server(("127.0.0.1", 0), logRequests=False, allow_none=True, use_builtin_types=True)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)

    def echo(value):
        return value

    def types(*args):
        return [type(a).__name__ for a in args]

    def make():
        return {
            "int": 42,
            "float": 1.5,
            "whole float": 3.0,
            "inf": float("inf"),
            "nan": float("nan"),
            "true": True,
            "str": "h\u00e9llo <&>\r\n",
            "bytes": b"\x00\x01\xff",
            "datetime": datetime.datetime(2024, 2, 29, 23, 59, 58),
            "list": [1, "a", [2.5]],
            "dict": {"k": {"n": None}},
            "none": None,
        }

    def fail(message):
        raise ValueError(message)

    for f in (echo, types, make, fail):
        server.register_function(f)
    server.register_introspection_functions()
    server.register_multicall_functions()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
