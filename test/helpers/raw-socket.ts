/**
 * A raw TCP connection for the hostile-peer tests of the HTTP servers: what
 * the server sends back, and how long after connecting it closed.
 */
import net from "node:net";

export interface Raw {
  socket: net.Socket;
  /** Everything received so far, as Latin-1 text. */
  received: () => string;
  /** Resolves with the milliseconds from connecting to the close. */
  closed: Promise<number>;
}

/** Connects to 127.0.0.1:port (from `localAddress`), writes `first` if given, and resolves once connected. */
export function raw(port: number, first?: string | Buffer, localAddress = "127.0.0.1"): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress });
    let got = "";
    const t0 = Date.now();
    const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now() - t0)));
    socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
    socket.on("error", () => undefined);
    socket.once("connect", () => {
      if (first !== undefined) socket.write(first);
      resolve({ socket, received: () => got, closed });
    });
    socket.once("error", reject);
  });
}
