/**
 * The server side of Hessian over HTTP as a plain `(req, res)` handler, so it
 * mounts in `node:http`, Express or any framework that exposes Node's request
 * and response. HessianServiceExporter uses it for its own server.
 *
 * It reads the three request kinds a Java client may send (`H 02 00 C`,
 * `c 02 00` and `c 01 00`), answers in the version the caller reads (2.0,
 * except 1.0 for `c 01 00`), and dispatches through the core's ServiceTable
 * (exposure, arity, oneway methods, server interceptors, tracing, the
 * client's deadline, `callContext()`). Errors are answered as Caucho's
 * skeleton does:
 * - `NoSuchMethodException` for unknown, private or unexposed methods;
 * - `NoSuchMethod` (Caucho's code for an argument count mismatch) with a
 *   `java.lang.IllegalArgumentException` detail for a wrong number of
 *   arguments: nothing runs;
 * - `ServiceException` with a Java exception as detail when the method
 *   throws (the class of `err.javaClass` or `err[HESSIAN_CLASS]`, else
 *   `faultClass`), so a Java client rethrows that exception class.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { ErrorCodes, MessageTooLargeError, errorMessage } from "../../core/errors.js";
import { getLogger } from "../../core/logging.js";
import { peerCertificateInfo, type PeerCertificateInfo } from "../../core/tls.js";
import { MetadataKeys, deadlineFromMetadata, newCallContext, type CallContext } from "../../core/server/call-context.js";
import { ServiceError } from "../../core/server/exposure.js";
import { ServiceTable, isPromiseLike, type PreparedMethod, type ServerInterceptor, type ServiceEntry } from "../../core/server/service-table.js";
import { decodeCall, encodeFault, encodeReply, javaExceptionDetail, replyVersionFor, type CallKind, type HessianFault } from "./envelope.js";
import { HESSIAN_CONTENT_TYPE, type HessianDecodeSettings } from "./client.js";
import { HESSIAN_CLASS, type ClassRegistry } from "./types.js";

const log = getLogger("remoting.hessian.server");

/** Default limit of a request body: 16 MiB. */
export const DEFAULT_MAX_REQUEST_SIZE = 16 * 1024 * 1024;
/** The Java exception class used for the detail of a fault when the error names none. */
export const DEFAULT_FAULT_CLASS = "java.lang.RuntimeException";
/** The Java exception class of the detail of a fault for a wrong number of arguments. */
export const ARITY_FAULT_CLASS = "java.lang.IllegalArgumentException";
/** The Java exception class of the detail of a fault for a call whose client deadline had passed. */
export const DEADLINE_FAULT_CLASS = "java.util.concurrent.TimeoutException";

export interface HessianHandlerOptions {
  /**
   * The name the service is registered under in the table (callContext().service,
   * log lines). With a ServiceTable: which of its entries to serve (default:
   * its only one). Default for a service object: `path`, else "/".
   */
  serviceName?: string | undefined;
  /** Only these methods are callable (default: every public method, see core/server/exposure). Ignored with a ServiceTable. */
  allow?: readonly string[] | undefined;
  /** Methods answered at once (an empty reply) and then run: the caller does not wait. Ignored with a ServiceTable. */
  oneway?: readonly string[] | undefined;
  /** Server interceptors around every call, outermost first. Ignored with a ServiceTable (use `table.use`). */
  interceptors?: readonly ServerInterceptor[] | undefined;
  /** OpenTelemetry SERVER spans (default true; a no-op without an SDK). Ignored with a ServiceTable. */
  tracing?: boolean | undefined;
  /** Classes call arguments may instantiate, and classes written with their Java name in replies. Default: none. */
  registry?: ClassRegistry | undefined;
  /** Largest request body, in bytes; larger requests get HTTP 413. Default 16 MiB. */
  maxRequestSize?: number | undefined;
  /** Decoder limits and options for call arguments (`preserveTypes` hands HessianLong/HessianDouble wrappers to the service). */
  decode?: HessianDecodeSettings | undefined;
  /** The Java exception class of fault details when the thrown error names none. Default `java.lang.RuntimeException`. */
  faultClass?: string | undefined;
  /** When set, only this URL path is served (404 otherwise). Default: every path. */
  path?: string | undefined;
}

export type HessianRequestHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** The names of the served methods. */
  readonly methods: readonly string[];
  /** The table the calls are dispatched through. */
  readonly table: ServiceTable;
  /** The name of the served entry in the table. */
  readonly serviceName: string;
};

/**
 * Finds the method a Java client meant: the plain name, `name__N` (N = number
 * of arguments) or a mangled `name_type1_type2` (overload-enabled clients).
 */
export function resolveMethod(sent: string, argc: number, exposed: ReadonlySet<string>): string | undefined {
  if (exposed.has(sent)) return sent;
  const m = /^(.+)__(\d+)$/.exec(sent);
  if (m && exposed.has(m[1]!) && Number(m[2]) === argc) return m[1];
  // name_type1_..._typeN: the base name is what remains after removing argc segments.
  if (argc > 0) {
    const parts = sent.split("_");
    if (parts.length > argc && parts.slice(parts.length - argc).every((t) => t !== "")) {
      const base = parts.slice(0, parts.length - argc).join("_");
      if (base && exposed.has(base)) return base;
    }
  }
  return undefined;
}

const JAVA_CLASS_NAME = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** The Java class for a fault detail: the error's HESSIAN_CLASS or `javaClass`, else the default. */
function faultClassOf(err: unknown, fallback: string): string {
  if (typeof err === "object" && err !== null) {
    const c = (err as Record<string | symbol, unknown>)[HESSIAN_CLASS] ?? (err as Record<string, unknown>)["javaClass"];
    if (typeof c === "string" && JAVA_CLASS_NAME.test(c)) return c;
  }
  return fallback;
}

/** The fault answering a call the service table refused (nothing ran). */
export function serviceErrorFault(err: ServiceError, sentMethod: string): HessianFault {
  switch (err.reason) {
    case "arity":
    case "keyword":
      // Caucho's code for an argument count mismatch; the detail makes a Java client throw IllegalArgumentException
      return { code: "NoSuchMethod", message: err.message, detail: javaExceptionDetail(ARITY_FAULT_CLASS, err.message) };
    case "deadline":
      return { code: "ServiceException", message: err.message, detail: javaExceptionDetail(DEADLINE_FAULT_CLASS, err.message) };
    default:
      return noSuchMethod(sentMethod);
  }
}

function noSuchMethod(sent: string): HessianFault {
  return { code: "NoSuchMethodException", message: `The service has no method named: ${sent}` };
}

function reply(res: ServerResponse, body: Buffer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, ["Content-Type", HESSIAN_CONTENT_TYPE, "Content-Length", String(body.length)]);
  res.end(body);
}

/** The request's Content-Length from its raw headers (no header object is built), or NaN. */
function declaredLength(raw: readonly string[]): number {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === 14 && k.toLowerCase() === "content-length") return Number(raw[i + 1]);
  }
  return NaN;
}

/** The request headers as call metadata (lower-case names; a repeated header keeps its last value). */
function metadataOf(raw: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) m.set(raw[i]!.toLowerCase(), raw[i + 1]!);
  return m;
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text + "\n", "utf8");
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": body.length, ...extra });
  res.end(body);
}

/** The version of a call from its first bytes, when they are readable. */
function kindOf(body: Buffer): CallKind | undefined {
  if (body[0] === 0x48 || body[0] === 0x43) return "h2";
  if (body[0] === 0x63) return body[1] === 1 ? "c1" : body[1] === 2 ? "c2" : undefined;
  return undefined;
}

/** Client certificates, read once per TLS connection. */
const certificates = new WeakMap<Socket, PeerCertificateInfo | null>();

function clientCertificate(socket: Socket): PeerCertificateInfo | undefined {
  if (!(socket as TLSSocket).encrypted) return undefined;
  let c = certificates.get(socket);
  if (c === undefined) {
    c = peerCertificateInfo((socket as TLSSocket).getPeerCertificate()) ?? null;
    certificates.set(socket, c);
  }
  return c ?? undefined;
}

/** Connections whose session instances are dropped when they close. */
const sessionSockets = new WeakSet<Socket>();

/**
 * Creates the `(req, res)` handler serving a service over Hessian: a service
 * object (or class, served per instance mode), registered in a table of its
 * own; or an entry of a ServiceTable given by the caller (the exporter's).
 */
export function createHessianHandler(target: object | ServiceTable, options: HessianHandlerOptions = {}): HessianRequestHandler {
  let table: ServiceTable;
  let name: string;
  if (target instanceof ServiceTable) {
    table = target;
    const names = table.names();
    if (options.serviceName !== undefined) name = options.serviceName;
    else if (names.length === 1) name = names[0]!;
    else throw new TypeError(`createHessianHandler needs serviceName to pick one of the table's ${names.length} services`);
    if (!table.has(name)) throw new TypeError(`the service table has no service named '${name}'`);
  } else {
    if ((typeof target !== "object" && typeof target !== "function") || target === null) throw new TypeError("createHessianHandler needs a service object");
    table = new ServiceTable({ tracing: options.tracing ?? true });
    name = options.serviceName ?? options.path ?? "/";
    table.register(name, target, { allow: options.allow, oneway: options.oneway });
    for (const ic of options.interceptors ?? []) table.use(ic);
  }
  const maxSize = options.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE;
  const faultClass = options.faultClass ?? DEFAULT_FAULT_CLASS;
  const decodeOpts = { ...options.decode, registry: options.registry };
  const encodeOpts = { registry: options.registry };

  const sendFault = (res: ServerResponse, version: 1 | 2, fault: HessianFault): void => {
    let body: Buffer;
    try {
      body = encodeFault(fault, version, encodeOpts);
    } catch (err) {
      log.warn("cannot encode the fault detail: %s", err);
      body = encodeFault({ code: fault.code, message: fault.message }, version);
    }
    reply(res, body);
  };

  const sendResult = (res: ServerResponse, version: 1 | 2, method: string, result: unknown): void => {
    let out: Buffer;
    try {
      out = encodeReply(result, version, encodeOpts);
    } catch (err) {
      const message = `cannot encode the result of '${method}': ${errorMessage(err)}`;
      log.warn(message);
      sendFault(res, version, { code: "ServiceException", message, detail: javaExceptionDetail(faultClass, message) });
      return;
    }
    reply(res, out);
  };

  const sendError = (res: ServerResponse, version: 1 | 2, sent: string, method: string, err: unknown): void => {
    if (err instanceof ServiceError) {
      log.debug("call '%s' refused: %s", sent, err.message);
      sendFault(res, version, serviceErrorFault(err, sent));
      return;
    }
    const message = errorMessage(err);
    log.debug("method '%s' failed: %s", method, message);
    sendFault(res, version, { code: "ServiceException", message, detail: javaExceptionDetail(faultClassOf(err, faultClass), message) });
  };

  const contextOf = (req: IncomingMessage, method: string, kind: CallKind, oneway: boolean, received: number): CallContext => {
    const socket = req.socket;
    const metadata = metadataOf(req.rawHeaders);
    return newCallContext({
      protocol: "hessian",
      service: name,
      method,
      serializer: kind === "h2" ? "hessian2" : "hessian1",
      metadata,
      correlationId: metadata.get(MetadataKeys.correlationId),
      clientAddress: socket.remoteAddress,
      clientPort: socket.remotePort,
      clientCertificate: clientCertificate(socket),
      deadline: deadlineFromMetadata(metadata, received),
      oneway,
    });
  };

  /** Fast-path handles of the served object's methods (they read the table's interceptors at call time; a replaced method is prepared again). */
  const preparedMethods = new Map<string, { prepared: PreparedMethod; fn: unknown }>();

  /** Runs a resolved call: the method's value, a promise of it, or a throw. */
  const run = (entry: ServiceEntry, method: string, args: unknown[], context: CallContext, socket: Socket): unknown => {
    if (entry.instances !== undefined) {
      if (!sessionSockets.has(socket)) {
        sessionSockets.add(socket);
        socket.once("close", () => table.endSession(socket));
      }
      return table.invoke({ service: name, method, args, context, session: socket });
    }
    const fn = (entry.target as Record<string, unknown>)[method];
    let cached = preparedMethods.get(method);
    if (cached === undefined || cached.prepared.entry !== entry || cached.fn !== fn) {
      const prepared = table.prepared(name, method);
      cached = prepared === undefined ? undefined : { prepared, fn };
      if (cached !== undefined) preparedMethods.set(method, cached);
    }
    if (cached !== undefined) return cached.prepared.call(args, context);
    return table.invoke({ service: name, method, args, context, session: socket });
  };

  /** Answers one call. */
  const serve = (body: Buffer, req: IncomingMessage, res: ServerResponse, received: number): void => {
    const kind = kindOf(body);
    if (kind === undefined) {
      const b = body.length ? `0x${body[0]!.toString(16).padStart(2, "0")}` : "an empty body";
      plain(res, 400, `${b} is not a Hessian call (expected 'H' 02 00 'C', 'c' 02 00 or 'c' 01 00)`);
      return;
    }
    const version = replyVersionFor(kind);
    let call;
    try {
      call = decodeCall(body, decodeOpts);
    } catch (err) {
      log.debug("bad Hessian call: %s", err);
      sendFault(res, version, { code: "ProtocolException", message: errorMessage(err) });
      return;
    }
    const sent = call.method;
    if (sent === "_hessian_getAttribute") {
      reply(res, encodeReply(null, version));
      return;
    }
    const entry = table.get(name);
    const method = entry === undefined ? undefined : resolveMethod(sent, call.args.length, entry.methods);
    if (entry === undefined || method === undefined) {
      sendFault(res, version, noSuchMethod(sent));
      return;
    }
    const oneway = entry.oneway.has(method);
    const context = contextOf(req, method, kind, oneway, received);
    if (oneway) {
      // answered at once; the method runs after, and its failure is only logged
      reply(res, encodeReply(null, version));
      try {
        const r = run(entry, method, call.args, context, req.socket);
        if (isPromiseLike(r)) r.then(undefined, (err: unknown) => log.warn("oneway method '%s' failed: %s", method, errorMessage(err)));
      } catch (err) {
        log.warn("oneway method '%s' failed: %s", method, errorMessage(err));
      }
      return;
    }
    let result: unknown;
    try {
      result = run(entry, method, call.args, context, req.socket);
    } catch (err) {
      sendError(res, version, sent, method, err);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (v) => sendResult(res, version, method, v),
        (err: unknown) => sendError(res, version, sent, method, err),
      );
    } else sendResult(res, version, method, result);
  };

  /** serve() with any unexpected error answered as HTTP 500. */
  const serveSafely = (body: Buffer, req: IncomingMessage, res: ServerResponse, received: number): void => {
    try {
      serve(body, req, res, received);
    } catch (err) {
      internal(res, err);
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const received = Date.now();
    try {
      if (options.path !== undefined) {
        const path = (req.url ?? "/").split("?")[0];
        if (path !== options.path) {
          plain(res, 404, `no Hessian service at ${path ?? ""}`);
          req.resume();
          return;
        }
      }
      if (req.method !== "POST") {
        plain(res, 405, "Hessian requires POST", { Allow: "POST" });
        req.resume();
        return;
      }
      // A body already read by a framework (e.g. express.raw()).
      const pre = (req as { body?: unknown }).body;
      if (pre instanceof Uint8Array && req.readableEnded) {
        if (pre.length > maxSize) return tooLarge(req, res, pre.length, maxSize);
        serveSafely(Buffer.from(pre.buffer, pre.byteOffset, pre.byteLength), req, res, received);
        return;
      }
      const declared = declaredLength(req.rawHeaders);
      if (declared > maxSize) return tooLarge(req, res, declared, maxSize);
      let first: Buffer | undefined;
      let chunks: Buffer[] | undefined;
      let size = 0;
      let failed = false;
      req.on("data", (c: Buffer) => {
        if (failed) return;
        size += c.length;
        if (size > maxSize) {
          failed = true;
          first = chunks = undefined;
          tooLarge(req, res, size, maxSize);
          return;
        }
        if (first === undefined) first = c;
        else (chunks ??= [first]).push(c);
      });
      req.on("error", (err) => {
        failed = true;
        log.debug("request error: %s", err);
      });
      req.on("end", () => {
        if (failed) return;
        const body = chunks !== undefined ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0));
        serveSafely(body, req, res, received);
      });
    } catch (err) {
      internal(res, err);
    }
  };
  Object.defineProperty(handler, "methods", { get: () => [...(table.get(name)?.methods ?? [])], enumerable: true });
  Object.defineProperty(handler, "table", { value: table, enumerable: false });
  Object.defineProperty(handler, "serviceName", { value: name, enumerable: true });
  return handler as HessianRequestHandler;
}

function tooLarge(req: IncomingMessage, res: ServerResponse, size: number, maxSize: number): void {
  const err = new MessageTooLargeError(size, maxSize, "Hessian request");
  log.debug(err.message);
  plain(res, 413, err.message, { Connection: "close" });
  res.once("finish", () => req.destroy());
}

function internal(res: ServerResponse, err: unknown): void {
  log.error("internal error while serving a Hessian call: %s", err);
  plain(res, 500, `internal error (${ErrorCodes.ERR_REMOTING})`);
}
