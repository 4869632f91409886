# Benchmark peer: a Python Pyro4 daemon (thread-pool server) serving Bench.echo.
# Prints "PORT <n>" once listening. Usage: pyro4_server.py [serpent|json]
import sys
import Pyro4

ser = sys.argv[1] if len(sys.argv) > 1 else "serpent"
Pyro4.config.SERVERTYPE = "thread"
Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal"}
Pyro4.config.SERIALIZER = ser


@Pyro4.expose
class Bench(object):
    def echo(self, value):
        return value


daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
daemon.register(Bench(), "bench")
print("PORT %d" % daemon.sock.getsockname()[1], flush=True)
daemon.requestLoop()
