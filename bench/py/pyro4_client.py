# Benchmark peer: a Python Pyro4 client calling echo(payload) sequentially.
# Usage: pyro4_client.py <port> <seconds> [serpent|json] [shape]; prints "RESULT {json}".
# The payload is "hello world", or a shape of payloads.py.
import json
import os
import sys
import time
import Pyro4

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payloads import shape  # noqa: E402

port = int(sys.argv[1])
seconds = float(sys.argv[2])
Pyro4.config.SERIALIZER = sys.argv[3] if len(sys.argv) > 3 else "serpent"
payload = shape(sys.argv[4] if len(sys.argv) > 4 else "short")
proxy = Pyro4.Proxy("PYRO:bench@127.0.0.1:%d" % port)
warm = time.time() + 0.3
while time.time() < warm:
    proxy.echo(payload)
ops = 0
start = time.perf_counter()
end = time.time() + seconds
while time.time() < end:
    proxy.echo(payload)
    ops += 1
elapsed = time.perf_counter() - start
proxy._pyroRelease()
print("RESULT " + json.dumps({"ops": ops, "seconds": elapsed}), flush=True)
