# Benchmark peer: a Python Pyro4 client calling echo("hello world") sequentially.
# Usage: pyro4_client.py <port> <seconds> [serpent|json]; prints "RESULT {json}".
import json
import sys
import time
import Pyro4

port = int(sys.argv[1])
seconds = float(sys.argv[2])
Pyro4.config.SERIALIZER = sys.argv[3] if len(sys.argv) > 3 else "serpent"
proxy = Pyro4.Proxy("PYRO:bench@127.0.0.1:%d" % port)
warm = time.time() + 0.3
while time.time() < warm:
    proxy.echo("hello world")
ops = 0
start = time.perf_counter()
end = time.time() + seconds
while time.time() < end:
    proxy.echo("hello world")
    ops += 1
elapsed = time.perf_counter() - start
proxy._pyroRelease()
print("RESULT " + json.dumps({"ops": ops, "seconds": elapsed}), flush=True)
