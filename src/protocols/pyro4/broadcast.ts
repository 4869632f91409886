/**
 * Pyro4 name-server discovery by UDP broadcast.
 *
 * The exchange (as in Pyro4 4.82): a client sends the 9 ASCII bytes
 * `GET_NSURI` to the broadcast port (default 9091) of each broadcast address
 * (default `<broadcast>` = 255.255.255.255 and `0.0.0.0`, which the local
 * host receives), waits up to 0.7 s for a reply, and tries 3 times. A name
 * server's responder answers with the text of its own PYRO URI
 * (`PYRO:Pyro.NameServer@host:port`, ISO-8859-1), sent back to the
 * requester's address and port. A name server bound to 0.0.0.0 answers with
 * the address of the interface that reaches the requester instead.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { ErrorCodes, CommunicationError, RemotingError, errorMessage } from "../../core/errors.js";
import { getLogger } from "../../core/logging.js";
import { formatUri, parseUri } from "./uri.js";

const log = getLogger("remoting.pyro.naming");

/** UDP port of the name server's broadcast responder (Pyro4's NS_BCPORT). */
export const DEFAULT_NS_BCPORT = 9091;
/** Where discovery requests are sent (Pyro4's BROADCAST_ADDRS). */
export const DEFAULT_BROADCAST_ADDRS: readonly string[] = Object.freeze(["<broadcast>", "0.0.0.0"]);
/** How long one discovery try waits for a reply, in ms (Pyro4: 0.7 s). */
export const DEFAULT_BROADCAST_TIMEOUT_MS = 700;
/** How many discovery tries are made (Pyro4: 3). */
export const DEFAULT_BROADCAST_RETRIES = 3;
/** The request datagram. */
export const NS_DISCOVERY_REQUEST = "GET_NSURI";
/** Largest datagram either side looks at; longer ones are ignored (Pyro4 reads 100 bytes). */
export const MAX_BROADCAST_DATAGRAM = 100;
/** Replies the responder sends per second at most; requests above it are dropped. */
export const DEFAULT_BROADCAST_MAX_REPLIES_PER_SECOND = 100;

const REQUEST = Buffer.from(NS_DISCOVERY_REQUEST, "latin1");

/**
 * Parses a broadcast-address list: an array, or a comma-separated string
 * like Pyro4's BROADCAST_ADDRS. `<broadcast>` means 255.255.255.255 and an
 * empty entry 0.0.0.0, as in Python's socket module.
 */
export function parseBroadcastAddrs(addrs: string | readonly string[]): string[] {
  const list = typeof addrs === "string" ? addrs.split(",") : [...addrs];
  const out: string[] = [];
  for (const raw of list) {
    const a = raw.trim();
    const ip = a === "<broadcast>" ? "255.255.255.255" : a === "" ? "0.0.0.0" : a;
    if (!out.includes(ip)) out.push(ip);
  }
  return out;
}

function coerceBcPort(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RemotingError(`${what} must be an integer from 0 to 65535, not ${String(value)}`, ErrorCodes.ERR_INVALID_ARGUMENT);
  }
  return value;
}

function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface BroadcastResponderOptions {
  /** Address to bind (default 0.0.0.0; `""` also means 0.0.0.0). IPv6 addresses bind an IPv6 socket. */
  host?: string | undefined;
  /** UDP port (default 9091; 0 = any free port, see `port` after start). */
  port?: number | undefined;
  /** SO_REUSEADDR, as Pyro4's SOCK_REUSE (default true). */
  reuseAddr?: boolean | undefined;
  /** Rate limit of replies (default 100 per second); excess requests are dropped. */
  maxRepliesPerSecond?: number | undefined;
}

/**
 * The name server's UDP responder: answers `GET_NSURI` with the name
 * server's PYRO URI. Other datagrams (wrong content, over 100 bytes) are
 * ignored and logged at debug level; socket errors are logged, never thrown.
 */
export class BroadcastResponder {
  /** Requests answered so far. */
  answered = 0;
  /** Datagrams ignored so far (not a request, too long, over the rate limit, send failures). */
  ignored = 0;

  private readonly socket: Socket;
  private readonly nsUri: string;
  private readonly maxPerSecond: number;
  private windowStart = 0;
  private windowCount = 0;
  private closed: Promise<void> | undefined;
  private boundHost = "";
  private boundPort = 0;

  private constructor(socket: Socket, nsUri: string, maxPerSecond: number) {
    this.socket = socket;
    this.nsUri = nsUri;
    this.maxPerSecond = maxPerSecond;
  }

  /** Binds the responder for the name server at `nsUri` (a PYRO URI). */
  static async start(nsUri: string, options: BroadcastResponderOptions = {}): Promise<BroadcastResponder> {
    const parsed = parseUri(nsUri);
    if (parsed.protocol !== "PYRO" || parsed.host === null || parsed.port === null) {
      throw new RemotingError(`broadcast responder needs a PYRO URI with host and port, not ${nsUri}`, ErrorCodes.ERR_INVALID_ARGUMENT);
    }
    const host = options.host === undefined || options.host === "" ? "0.0.0.0" : options.host.replace(/^\[(.*)\]$/, "$1");
    const port = coerceBcPort(options.port ?? DEFAULT_NS_BCPORT, "broadcast port");
    const v6 = isIP(host) === 6;
    const socket = createSocket({ type: v6 ? "udp6" : "udp4", reuseAddr: options.reuseAddr ?? true });
    const responder = new BroadcastResponder(socket, formatUri(parsed), options.maxRepliesPerSecond ?? DEFAULT_BROADCAST_MAX_REPLIES_PER_SECOND);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(port, host, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      const code = (err as { code?: string }).code;
      const where = formatHostPort(host, port);
      if (code === "EADDRINUSE") throw new CommunicationError(`broadcast port already in use: ${where}`, ErrorCodes.ERR_ADDRESS_IN_USE, { cause: err });
      throw new CommunicationError(`cannot bind the broadcast responder on ${where}: ${errorMessage(err)}`, ErrorCodes.ERR_COMMUNICATION, { cause: err });
    }
    if (!v6) socket.setBroadcast(true);
    const addr = socket.address();
    responder.boundHost = addr.address;
    responder.boundPort = addr.port;
    socket.on("error", (err) => log.debug("broadcast responder socket error: %s", err.message));
    socket.on("message", (msg, rinfo) => responder.onMessage(msg, rinfo));
    log.info("ns broadcast server created on %s", responder.location);
    return responder;
  }

  /** The bound address. */
  get host(): string {
    return this.boundHost;
  }

  /** The bound UDP port. */
  get port(): number {
    return this.boundPort;
  }

  /** `host:port` (`[v6]:port`) of the bound socket. */
  get location(): string {
    return formatHostPort(this.boundHost, this.boundPort);
  }

  /** The URI text sent in replies (before a 0.0.0.0 host is replaced). */
  get uri(): string {
    return this.nsUri;
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.closed;
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    if (msg.length > MAX_BROADCAST_DATAGRAM || !msg.equals(REQUEST)) {
      this.ignored++;
      log.debug("ignoring a %d-byte datagram from %s:%d that is not a name server request", msg.length, rinfo.address, rinfo.port);
      return;
    }
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount > this.maxPerSecond) {
      this.ignored++;
      log.debug("dropping a name server request from %s:%d: over %d replies per second", rinfo.address, rinfo.port, this.maxPerSecond);
      return;
    }
    void this.reply(rinfo).catch((err: unknown) => {
      this.ignored++;
      log.debug("cannot answer the name server request from %s:%d: %s", rinfo.address, rinfo.port, errorMessage(err));
    });
  }

  private async reply(rinfo: RemoteInfo): Promise<void> {
    const uri = parseUri(this.nsUri);
    if (uri.host === "0.0.0.0" || uri.host === "::") {
      // a wildcard address is useless to the client: use the interface that reaches it
      const iface = await interfaceAddressFor(rinfo.address);
      if (iface !== undefined) uri.host = iface;
    }
    const text = formatUri(uri);
    log.debug("responding to broadcast request from %s: interface %s", rinfo.address, uri.host);
    await new Promise<void>((resolve, reject) => {
      if (this.closed) {
        resolve();
        return;
      }
      this.socket.send(Buffer.from(text, "latin1"), rinfo.port, rinfo.address, (err) => (err ? reject(err) : resolve()));
    });
    this.answered++;
  }
}

/** The local address the OS would use to reach `ip` (a connected UDP socket sends nothing). */
async function interfaceAddressFor(ip: string): Promise<string | undefined> {
  const s = createSocket(isIP(ip) === 6 ? "udp6" : "udp4");
  try {
    return await new Promise<string | undefined>((resolve) => {
      s.once("error", () => resolve(undefined));
      s.connect(53, ip, () => {
        try {
          resolve(s.address().address);
        } catch {
          resolve(undefined);
        }
      });
    });
  } finally {
    s.close();
  }
}

export interface DiscoverOptions {
  /** UDP port the requests go to (default 9091). */
  port?: number | undefined;
  /** Addresses the requests go to, array or comma-separated (default `<broadcast>, 0.0.0.0`). */
  addrs?: string | readonly string[] | undefined;
  /** Wait for a reply per try, in ms (default 700). */
  timeoutMs?: number | undefined;
  /** Number of tries (default 3). */
  retries?: number | undefined;
  /** Stops discovery early (resolves with null). */
  signal?: AbortSignal | undefined;
}

/**
 * Broadcasts `GET_NSURI` and returns the first valid PYRO URI text a name
 * server answers with, or null when none answered in `retries` tries.
 * Replies that are not a PYRO URI with a location are ignored.
 */
export async function discoverNameServer(options: DiscoverOptions = {}): Promise<string | null> {
  const port = coerceBcPort(options.port ?? DEFAULT_NS_BCPORT, "broadcast port");
  const addrs = parseBroadcastAddrs(options.addrs ?? DEFAULT_BROADCAST_ADDRS);
  const timeoutMs = Math.max(1, options.timeoutMs ?? DEFAULT_BROADCAST_TIMEOUT_MS);
  const retries = Math.max(1, Math.floor(options.retries ?? DEFAULT_BROADCAST_RETRIES));
  if (port === 0 || addrs.length === 0 || options.signal?.aborted) return null;
  // one socket: IPv6 only when every address is an IPv6 literal (IPv6 has no broadcast; unicast still works)
  const v6 = addrs.every((a) => isIP(a) === 6);
  const socket = createSocket(v6 ? "udp6" : "udp4");
  let found: ((uri: string) => void) | undefined;
  socket.on("error", (err) => log.debug("name server discovery socket error: %s", err.message));
  socket.on("message", (msg, rinfo) => {
    if (msg.length > MAX_BROADCAST_DATAGRAM) {
      log.debug("ignoring a %d-byte reply from %s:%d", msg.length, rinfo.address, rinfo.port);
      return;
    }
    const text = msg.toString("latin1");
    try {
      const uri = parseUri(text);
      if (uri.protocol !== "PYRO" || ((uri.host === null || uri.port === null) && uri.sockname === null)) throw new Error("not a PYRO URI with a location");
      found?.(formatUri(uri));
    } catch (err) {
      log.debug("ignoring a reply from %s:%d that is not a name server URI: %s", rinfo.address, rinfo.port, errorMessage(err));
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    if (!v6) socket.setBroadcast(true);
    for (let attempt = 1; attempt <= retries; attempt++) {
      if (options.signal?.aborted) return null;
      const reply = new Promise<string | null>((resolve) => {
        const done = (v: string | null): void => {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
          found = undefined;
          resolve(v);
        };
        const onAbort = (): void => done(null);
        const timer = setTimeout(() => done(null), timeoutMs);
        options.signal?.addEventListener("abort", onAbort, { once: true });
        found = (uri) => done(uri);
      });
      for (const addr of addrs) {
        const family = isIP(addr);
        if (family !== 0 && (family === 6) !== v6) {
          log.debug("skipping broadcast address %s", addr);
          continue;
        }
        socket.send(REQUEST, port, addr, (err) => {
          // some addresses are not usable on every host (no route, no broadcast): skip them, as Pyro4 does
          if (err) log.debug("cannot send the name server request to %s:%d: %s", addr, port, err.message);
        });
      }
      log.debug("broadcast locate, try %d of %d", attempt, retries);
      const uri = await reply;
      if (uri !== null) {
        log.debug("located NS: %s", uri);
        return uri;
      }
    }
    return null;
  } finally {
    found = undefined;
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
