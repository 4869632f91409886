"""A Pyro4 daemon serving a test object, for the TypeScript proxy to call.

Usage: server.py [--hmac KEY] [--servertype thread|multiplex]
Prints one JSON line {"uri": ...} when ready; serves until stdin closes.
"""
import json
import sys
import threading
import time

import Pyro4


@Pyro4.expose
class TestService(object):
    def __init__(self):
        self._value = 42
        self.counter = 0

    def echo(self, x):
        return x

    def echo_repr(self, x):
        return [type(x).__name__, repr(x)]

    def get_data(self, param):
        return "You got remote data => %s" % param

    def add(self, a, b):
        return a + b

    def kw(self, a, b=0, **rest):
        return {"a": a, "b": b, "rest": rest}

    def slow(self, seconds, value):
        time.sleep(seconds)
        return value

    def raise_value_error(self, message):
        raise ValueError(message)

    def raise_key_error(self, key):
        raise KeyError(key)

    @Pyro4.oneway
    def increment(self):
        time.sleep(0.05)
        self.counter += 1

    def get_counter(self):
        return self.counter

    def count(self, n):
        for i in range(n):
            yield i

    def failing_gen(self):
        yield 0
        yield 1
        raise ValueError("generator failed")

    def bigints(self):
        return [2 ** 70, -(2 ** 64), 2 ** 53 + 1]

    def floats(self):
        return [1.0, 0.1, -0.0, 1e16, float("inf"), float("-inf")]

    def special(self):
        return {"tuple": (1, 2), "set": {1, 2}, "bytes": b"\x00\x01\xff", "none": None, "nested": {"l": [1, [2, (3,)]]}}

    def annotations(self):
        """The annotations of this request as Pyro4 received them (values as text)."""
        ann = Pyro4.current_context.annotations or {}
        return {k: bytes(v).decode("utf-8", "replace") for k, v in ann.items()}

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, v):
        self._value = v

    @property
    def readonly(self):
        return "ro"


def main():
    args = sys.argv[1:]
    hmac = None
    servertype = "thread"
    while args:
        a = args.pop(0)
        if a == "--hmac":
            hmac = args.pop(0).encode("utf-8")
        elif a == "--servertype":
            servertype = args.pop(0)
    Pyro4.config.SERVERTYPE = servertype
    daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    if hmac:
        daemon._pyroHmacKey = hmac
    uri = daemon.register(TestService(), "test.service")
    t = threading.Thread(target=daemon.requestLoop, daemon=True)
    t.start()
    print(json.dumps({"uri": str(uri)}), flush=True)
    sys.stdin.read()
    daemon.shutdown()


if __name__ == "__main__":
    main()
