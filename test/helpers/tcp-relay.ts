/**
 * A loopback TCP relay between a client and a server, for tests of what a
 * client does when the network fails: `cut()` drops every connection through
 * it at once (both sides see a reset), as a dead link or a killed server
 * would, without either side's code knowing. TLS passes through untouched.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface Relay {
  readonly port: number;
  /** Connections relayed so far. */
  readonly connections: number;
  /** Drops every open connection (a reset on both sides). */
  cut(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number, targetHost = "127.0.0.1"): Promise<Relay> {
  const pairs = new Set<[Socket, Socket]>();
  let count = 0;
  const server: Server = createServer((client) => {
    count++;
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const cut = (): void => {
    for (const [a, b] of pairs) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    pairs.clear();
  };
  return {
    port,
    get connections() {
      return count;
    },
    cut,
    close() {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
