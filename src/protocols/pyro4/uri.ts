/**
 * Pyro URIs:
 *
 *   PYRO:objectId@host:port          direct
 *   PYRO:objectId@[::1]:port         IPv6
 *   PYRO:objectId@./u:/path/to.sock  Unix domain socket
 *   PYROLOC://host[:port]/objectId   Pyro 3 style, as Spring Python wrote them
 *                                    (port 7766 when absent or 0), served over Pyro4
 *   PYRONAME:name[@nshost[:nsport]]  looked up in a name server (default localhost:9090)
 *   PYROMETA:tag1,tag2[@nshost[:nsport]]  any registration with all those metadata tags
 */
import { ErrorCodes, RemotingError } from "../../core/errors.js";

export const DEFAULT_PYROLOC_PORT = 7766;
export const DEFAULT_NS_PORT = 9090;
export const DEFAULT_NS_HOST = "localhost";

export type PyroProtocol = "PYRO" | "PYRONAME" | "PYROMETA";

export interface PyroURI {
  protocol: PyroProtocol;
  /** Object id (PYRO), logical name (PYRONAME) or comma-separated tags (PYROMETA). */
  object: string;
  host: string | null;
  port: number | null;
  /** Unix socket path. */
  sockname: string | null;
  /** True when given as `PYROLOCSSL://` (TLS). */
  ssl?: boolean;
}

function invalid(text: string, why: string): RemotingError {
  return new RemotingError(`invalid Pyro URI '${text}': ${why}`, ErrorCodes.ERR_INVALID_ARGUMENT);
}

function parsePort(text: string, p: string): number {
  if (!/^\d{1,5}$/.test(p)) throw invalid(text, "port must be a number");
  const n = Number(p);
  if (n > 65535) throw invalid(text, "port out of range");
  return n;
}

/** Splits `host:port`, `[v6]:port`, `host` into parts. */
function parseHostPort(text: string, loc: string, needPort: boolean): { host: string; port: number | null } {
  let host: string;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(loc);
  if (v6) {
    host = v6[1]!;
    port = v6[2];
  } else {
    const i = loc.lastIndexOf(":");
    if (i >= 0) {
      host = loc.slice(0, i);
      port = loc.slice(i + 1);
    } else host = loc;
  }
  if (!host || /\s/.test(host)) throw invalid(text, "missing host");
  if (port === undefined || port === "") {
    if (needPort) throw invalid(text, "a port is required");
    return { host, port: null };
  }
  return { host, port: parsePort(text, port) };
}

/** Parses any supported URI form. PYROLOC URLs become PYRO URIs. */
export function parseUri(input: string | { protocol: string; object: string; host: string | null; port: number | null; sockname: string | null }): PyroURI {
  if (typeof input !== "string") {
    const p = input.protocol.toUpperCase();
    if (p !== "PYRO" && p !== "PYRONAME" && p !== "PYROMETA") throw invalid(String(input), `unknown protocol ${input.protocol}`);
    return { protocol: p, object: input.object, host: input.host, port: input.port, sockname: input.sockname };
  }
  const text = input.trim();
  const loc = /^PYROLOC(SSL)?:\/\/(\[[^\]]+\]|[^\s:/]+)(?::(\d*))?\/(\S+)$/i.exec(text);
  if (loc) {
    const portText = loc[3];
    let port = portText ? parsePort(text, portText) : 0;
    if (port === 0) port = DEFAULT_PYROLOC_PORT;
    const host = loc[2]!.replace(/^\[(.*)\]$/, "$1");
    return { protocol: "PYRO", object: loc[4]!, host, port, sockname: null, ssl: loc[1] !== undefined };
  }
  const m = /^([Pp][Yy][Rr][Oo][a-zA-Z]*):(\S+?)(@(.+))?$/.exec(text);
  if (!m) throw invalid(text, "expected PYRO:, PYRONAME:, PYROMETA: or PYROLOC://");
  const protocol = m[1]!.toUpperCase();
  const object = m[2]!;
  const location = m[4];
  if (protocol === "PYRO") {
    if (!location) throw invalid(text, "PYRO URIs need a location (@host:port or @./u:path)");
    if (location.startsWith("./u:")) {
      const sock = location.slice(4);
      if (!sock) throw invalid(text, "empty socket path");
      return { protocol: "PYRO", object, host: null, port: null, sockname: sock };
    }
    const hp = parseHostPort(text, location, true);
    return { protocol: "PYRO", object, host: hp.host, port: hp.port, sockname: null };
  }
  if (protocol === "PYRONAME" || protocol === "PYROMETA") {
    if (!location) return { protocol, object, host: null, port: null, sockname: null };
    if (location.startsWith("./u:")) return { protocol, object, host: null, port: null, sockname: location.slice(4) };
    const hp = parseHostPort(text, location, false);
    return { protocol, object, host: hp.host, port: hp.port, sockname: null };
  }
  throw invalid(text, `unknown protocol ${protocol}`);
}

/** The URI as Python's `str(uri)` writes it. */
export function formatUri(u: PyroURI): string {
  let s = `${u.protocol}:${u.object}`;
  if (u.sockname) s += `@./u:${u.sockname}`;
  else if (u.host) {
    const h = u.host.includes(":") ? `[${u.host}]` : u.host;
    s += u.port !== null ? `@${h}:${u.port}` : `@${h}`;
  }
  return s;
}

/** Where a PYRO URI connects to, for messages. */
export function locationOf(u: PyroURI): string {
  if (u.sockname) return `./u:${u.sockname}`;
  const h = u.host && u.host.includes(":") ? `[${u.host}]` : (u.host ?? "?");
  return `${h}:${u.port ?? "?"}`;
}
