/**
 * The Hessian HTTP client: one POST per call, keep-alive connections, a finite
 * timeout, TLS options. Faults come back as RemoteInvocationError.
 */
import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import {
  CommunicationError,
  ConfigError,
  ConnectionClosedError,
  ErrorCodes,
  MessageTooLargeError,
  ProtocolError,
  RemoteInvocationError,
  RemotingError,
  SecurityError,
  TimeoutError,
  errorMessage,
} from "../../core/errors.js";
import { DEFAULT_CALL_TIMEOUT_MS, type CallOptions, type Invoker } from "../../core/invocation.js";
import { getLogger } from "../../core/logging.js";
import { decodeReply, detailClass, encodeCall, type HessianFault } from "./envelope.js";
import type { ClassRegistry, DecodeLimits } from "./types.js";

const log = getLogger("remoting.hessian.client");

/** Content type of Hessian requests and replies. */
export const HESSIAN_CONTENT_TYPE = "x-application/hessian";
/** Default limit of a reply body: 64 MiB. */
export const DEFAULT_MAX_REPLY_SIZE = 64 * 1024 * 1024;

export type PemInput = string | Buffer;

export interface HessianClientOptions {
  /** Timeout of one call in ms (connect + send + reply). Default DEFAULT_CALL_TIMEOUT_MS (30 s). */
  timeoutMs?: number | undefined;
  /** 2 (default): `H 02 00 C` calls. 1: pure Hessian 1.0 calls (`c 01 00`). */
  hessianVersion?: 1 | 2 | undefined;
  /** Trusted CA certificates (PEM text, Buffer, or a file path). Default: Node's CA store. */
  ca?: PemInput | undefined;
  /** Client certificate and key for mutual TLS (PEM text, Buffer, or a file path). */
  cert?: PemInput | undefined;
  key?: PemInput | undefined;
  /** Verify the server certificate (chain and host name). Default true. */
  rejectUnauthorized?: boolean | undefined;
  /** Reuse connections (HTTP keep-alive). Default true. */
  keepAlive?: boolean | undefined;
  /** Maximum sockets per host. Default 16. */
  maxSockets?: number | undefined;
  /** Largest reply body accepted, in bytes. Default 64 MiB. */
  maxReplySize?: number | undefined;
  /** Classes the reply may instantiate. Default: none. */
  registry?: ClassRegistry | undefined;
  /** Decoder limits and options for replies. */
  decode?: (DecodeLimits & { mapsAs?: "object" | "map"; preserveTypes?: boolean }) | undefined;
  /** Extra HTTP headers sent with every call. */
  headers?: Record<string, string> | undefined;
}

/** Accepts PEM text, a Buffer, or a file path (as XML configuration gives it). */
export function readPem(v: PemInput | undefined, what: string): PemInput | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v !== "string") throw new ConfigError(`${what} must be PEM text or a file path`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  if (v.includes("-----BEGIN")) return v;
  try {
    return readFileSync(v);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} file '${v}': ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, { cause: err });
  }
}

const TLS_ERROR = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|HOSTNAME_MISMATCH)/;

function mapNetworkError(err: unknown, url: string): RemotingError {
  if (err instanceof RemotingError) return err;
  const code = (err as { code?: string }).code ?? "";
  const msg = `${url}: ${errorMessage(err)}`;
  if (code === "ECONNREFUSED") return new CommunicationError(msg, ErrorCodes.ERR_CONNECTION_REFUSED, { cause: err });
  if (code === "ECONNRESET" || code === "EPIPE" || /socket hang up/.test(errorMessage(err))) return new ConnectionClosedError(msg, { cause: err });
  if (TLS_ERROR.test(code) || /certificate|ssl|tls/i.test(errorMessage(err))) return new SecurityError(msg, { cause: err });
  return new CommunicationError(msg, ErrorCodes.ERR_COMMUNICATION, { cause: err });
}

/** Turns a Hessian fault into the RemoteInvocationError thrown to the caller. */
export function faultToError(fault: HessianFault): RemoteInvocationError {
  const detail = fault.detail;
  const cls = detailClass(detail);
  const rec = typeof detail === "object" && detail !== null ? (detail as Record<string, unknown>) : undefined;
  const dm = rec?.["detailMessage"];
  const trace: string[] = [];
  const st = rec?.["stackTrace"];
  if (Array.isArray(st)) {
    for (const el of st.slice(0, 200)) {
      if (typeof el !== "object" || el === null) continue;
      const e = el as Record<string, unknown>;
      const file = typeof e["fileName"] === "string" ? `${e["fileName"]}${typeof e["lineNumber"] === "number" && e["lineNumber"] >= 0 ? `:${e["lineNumber"]}` : ""}` : "Unknown Source";
      trace.push(`at ${String(e["declaringClass"])}.${String(e["methodName"])}(${file})`);
    }
  }
  return new RemoteInvocationError({
    remoteType: cls ?? fault.code,
    remoteMessage: typeof dm === "string" ? dm : fault.message,
    remoteTraceback: trace,
    remoteCode: fault.code,
    detail,
  });
}

function url2string(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** A Hessian client bound to one service URL. Implements Invoker. */
export class HessianClient implements Invoker {
  readonly url: URL;
  private readonly options: HessianClientOptions;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private closed = false;
  private readonly pending = new Set<http.ClientRequest>();

  constructor(url: string | URL, options: HessianClientOptions = {}) {
    let u: URL;
    try {
      u = typeof url === "string" ? new URL(url) : url;
    } catch (err) {
      throw new ConfigError(`'${String(url)}' is not a valid Hessian service URL`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { cause: err });
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new ConfigError(`unsupported Hessian URL scheme '${u.protocol}' (use http: or https:)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
    const version = options.hessianVersion ?? 2;
    if (version !== 1 && version !== 2) throw new ConfigError(`hessianVersion must be 1 or 2, not '${String(version)}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    this.url = u;
    this.options = options;
    const keepAlive = options.keepAlive ?? true;
    const maxSockets = options.maxSockets ?? 16;
    if (u.protocol === "https:") {
      this.transport = https;
      this.agent = new https.Agent({
        keepAlive,
        maxSockets,
        ca: readPem(options.ca, "ca"),
        cert: readPem(options.cert, "cert"),
        key: readPem(options.key, "key"),
        rejectUnauthorized: options.rejectUnauthorized ?? true,
        minVersion: "TLSv1.2",
      });
    } else {
      this.transport = http;
      this.agent = new http.Agent({ keepAlive, maxSockets });
    }
  }

  invoke(method: string, args: readonly unknown[], options: CallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new RemotingError("the Hessian client is closed", ErrorCodes.ERR_CLOSED));
    let body: Buffer;
    try {
      body = encodeCall(method, args, this.options.hessianVersion ?? 2, { registry: this.options.registry });
    } catch (err) {
      return Promise.reject(err);
    }
    const p = this.post(method, body, options);
    if (options.oneway) {
      p.catch((err: unknown) => log.debug("oneway call '%s' failed: %s", method, err));
      return Promise.resolve(undefined);
    }
    return p;
  }

  private post(method: string, body: Buffer, options: CallOptions): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const maxReply = this.options.maxReplySize ?? DEFAULT_MAX_REPLY_SIZE;
    const where = url2string(this.url);
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const headers: Record<string, string> = {
        ...this.options.headers,
        "Content-Type": HESSIAN_CONTENT_TYPE,
        "Content-Length": String(body.length),
        "Accept-Encoding": "deflate",
      };
      if (this.url.username) {
        const cred = `${decodeURIComponent(this.url.username)}:${decodeURIComponent(this.url.password)}`;
        headers["Authorization"] = `Basic ${Buffer.from(cred).toString("base64")}`;
      }
      let gotResponse = false;
      let retried = false;
      const start = (): http.ClientRequest => this.transport.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname.replace(/^\[|\]$/g, ""),
          port: this.url.port || undefined,
          path: `${this.url.pathname}${this.url.search}`,
          method: "POST",
          agent: this.agent,
          headers,
        },
        (res) => {
          gotResponse = true;
          const chunks: Buffer[] = [];
          let size = 0;
          const declared = Number(res.headers["content-length"]);
          if (Number.isFinite(declared) && declared > maxReply) {
            res.destroy();
            return finish(new MessageTooLargeError(declared, maxReply, "Hessian reply"));
          }
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > maxReply) {
              res.destroy();
              finish(new MessageTooLargeError(size, maxReply, "Hessian reply"));
              return;
            }
            chunks.push(c);
          });
          res.on("error", (err) => finish(mapNetworkError(err, where)));
          res.on("aborted", () => finish(new ConnectionClosedError(`${where}: the reply was cut short`)));
          res.on("end", () => {
            if (settled) return;
            let data = Buffer.concat(chunks, size);
            const status = res.statusCode ?? 0;
            if (status !== 200) {
              const text = data.subarray(0, 200).toString("utf8").replace(/\s+/g, " ").trim();
              return finish(new ProtocolError(`${where}: HTTP ${status} ${res.statusMessage ?? ""}${text ? `: ${text}` : ""}`.trim()));
            }
            try {
              if (String(res.headers["content-encoding"] ?? "").toLowerCase() === "deflate") {
                data = inflateRawSync(data, { maxOutputLength: maxReply });
              }
              const reply = decodeReply(data, { ...this.options.decode, registry: this.options.registry });
              if (reply.fault) finish(faultToError(reply));
              else finish(undefined, reply.value);
            } catch (err) {
              finish(err instanceof RemotingError ? err : new ProtocolError(`${where}: bad Hessian reply to '${method}': ${errorMessage(err)}`, ErrorCodes.ERR_PROTOCOL, { cause: err }));
            }
          });
        },
      );
      const onAbort = (): void => finish(new RemotingError(`call '${method}' aborted`, ErrorCodes.ERR_CLOSED, { cause: options.signal?.reason }));
      const finish = (err: unknown, value?: unknown): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.pending.delete(req);
        if (err !== undefined) {
          req.destroy();
          reject(err);
        } else resolve(value);
      };
      let req = start();
      this.pending.add(req);
      if (options.signal) {
        if (options.signal.aborted) return onAbort();
        options.signal.addEventListener("abort", onAbort, { once: true });
      }
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => finish(new TimeoutError(`Hessian call '${method}' to ${where} timed out after ${timeoutMs} ms`, timeoutMs)), timeoutMs);
      }
      const onError = (err: Error): void => {
        // A kept-alive socket the server closed while idle: the request never reached it; retry once on a new socket.
        if (!settled && !gotResponse && !retried && req.reusedSocket && (err as { code?: string }).code === "ECONNRESET") {
          retried = true;
          this.pending.delete(req);
          req = start();
          this.pending.add(req);
          req.on("error", onError);
          req.end(body);
          return;
        }
        finish(mapNetworkError(err, where));
      };
      req.on("error", onError);
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.pending) r.destroy(new ConnectionClosedError("the Hessian client was closed"));
    this.pending.clear();
    this.agent.destroy();
  }
}
