# Benchmark peer: the raw TCP ping-pong of bench/cases/floor-tcp.ts with
# Python's blocking sockets (the I/O model of Pyro4's proxy and of its
# thread-pool daemon): length-prefixed frames echoed one at a time.
# Usage: tcp_pingpong.py server            -> prints "PORT <n>", echoes frames
#        tcp_pingpong.py client <port> <seconds> <payload bytes> -> prints "RESULT {json}"
import json
import socket
import struct
import sys
import threading
import time


def read_exactly(sock, n):
    chunks = []
    while n > 0:
        chunk = sock.recv(n if n < 65536 else 65536)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def echo(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        while True:
            head = read_exactly(conn, 4)
            if head is None:
                return
            body = read_exactly(conn, struct.unpack(">I", head)[0])
            if body is None:
                return
            conn.sendall(head + body)


def server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print("PORT %d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def client(port, seconds, size):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    frame = struct.pack(">I", size) + b"a" * size

    def once():
        sock.sendall(frame)
        head = read_exactly(sock, 4)
        read_exactly(sock, struct.unpack(">I", head)[0])

    warm = time.time() + 0.3
    while time.time() < warm:
        once()
    ops = 0
    start = time.perf_counter()
    end = time.time() + seconds
    while time.time() < end:
        once()
        ops += 1
    elapsed = time.perf_counter() - start
    sock.close()
    print("RESULT " + json.dumps({"ops": ops, "seconds": elapsed}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server()
    else:
        client(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
