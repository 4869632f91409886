// The floor: a raw TCP request/response ping-pong with length-prefixed frames
// (client here, server in its own process). Remote-call rows are compared to it.
import { connect } from "node:net";
import { join } from "node:path";
import { measure, startServer, type BenchCase, type BenchResult } from "../lib.js";
import { needPython, PY, pyScript, pythonResult } from "../python.js";

const PAYLOAD = Buffer.from("x".repeat(64));

/** A raw ping-pong of `payload` (64 bytes unless given) each way, `inFlight` at a time. */
export async function pingPong(inFlight: number, onread = false, payload: Buffer = PAYLOAD) {
  const server = await startServer(join(import.meta.dirname, "../servers/tcp-echo.ts"));
  try {
    // onread: the client reads into one reused buffer (no stream event, no Buffer per read), as the Pyro4 proxy does
    const readInto = Buffer.allocUnsafe(64 * 1024);
    const sock = onread
      ? connect({ port: server.port, host: "127.0.0.1", onread: { buffer: readInto, callback: (n: number) => (onRead(n), true) } })
      : connect(server.port, "127.0.0.1");
    sock.setNoDelay(true);
    await new Promise<void>((r, j) => sock.once("connect", () => r()).once("error", j));
    const waiters: Array<() => void> = [];
    let buf: Buffer = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      let off = 0;
      while (buf.length - off >= 4) {
        const len = buf.readUInt32BE(off);
        if (buf.length - off < 4 + len) break;
        off += 4 + len;
        waiters.shift()?.();
      }
      buf = buf.subarray(off);
    };
    // bytes kept for the next read are copied out of the reused buffer
    const onRead = (n: number): void => {
      onData(readInto.subarray(0, n));
      if (buf.length > 0 && buf.buffer === readInto.buffer) buf = Buffer.from(buf);
    };
    if (!onread) sock.on("data", onData);
    const frame = Buffer.alloc(4 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    payload.copy(frame, 4);
    const res = await measure(
      () =>
        new Promise<void>((resolve) => {
          waiters.push(resolve);
          sock.write(frame);
        }),
      { inFlight },
    );
    sock.destroy();
    return res;
  } finally {
    await server.stop();
  }
}

/**
 * The same ping-pong between two Python processes with blocking sockets, the
 * I/O model of Python Pyro4's proxy and thread-pool daemon: each side sleeps
 * in recv() and is woken by the kernel, with no event loop in between.
 */
async function pythonPingPong(payloadBytes = PAYLOAD.length): Promise<BenchResult> {
  needPython("socket");
  const script = pyScript("tcp_pingpong.py");
  const server = await startServer(script, ["server"], [PY, "-u"]);
  try {
    return pythonResult(script, ["client", String(server.port), "1.5", String(payloadBytes)]);
  } finally {
    await server.stop();
  }
}

const cases: BenchCase[] = [
  { name: "floor: raw TCP ping-pong, 1 in flight", group: "tcp-1", floor: true, run: () => pingPong(1) },
  {
    name: "raw TCP ping-pong, 1 in flight, client reading with onread",
    group: "tcp-1",
    note: "the floor's client with the proxy's read path",
    run: () => pingPong(1, true),
  },
  {
    name: "raw TCP ping-pong, 1 in flight, Python blocking sockets",
    group: "tcp-1",
    note: "the floor's exchange between two Python processes (blocking recv, as Pyro4 does)",
    run: () => pythonPingPong(),
  },
  { name: "floor: raw TCP ping-pong, 32 in flight", group: "tcp-32", floor: true, run: () => pingPong(32) },
];
export default cases;
