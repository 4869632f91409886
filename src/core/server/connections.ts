/**
 * What every server does with a peer that connects and leaves without
 * sending a byte (a port scanner, a health check, a load balancer's probe):
 * no error, one debug line with its address and port. Works for plain and
 * TLS servers (on a TLS server the raw connection is watched, so a probe
 * that never starts a handshake is caught too; `isSilentDisconnect` tells
 * the server's tlsClientError handler to stay quiet about it).
 */
import type { Server, Socket } from "node:net";
import type { Logger } from "../logging.js";

export function logSilentDisconnects(server: Server, log: Logger): void {
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    socket.once("close", () => {
      if (socket.bytesRead === 0) log.debug("connection from %s:%s closed before sending anything", address, port);
    });
  });
}
