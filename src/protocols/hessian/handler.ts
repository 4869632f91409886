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
 *
 * Bounded per request and per client address: the body within
 * `maxRequestSize` (413), what it decodes to within the decoder's budget
 * (`maxDecodedSize`, `maxExpansion`) and what the client's address still
 * has of `maxPeerMemory` (bodies being received and decoded arguments of
 * calls running, released when the call is answered: 503 when a body would
 * go over it), replies within `maxReplySize` (a fault instead).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { fastPathHits } from "../../core/fast-paths.js";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { ErrorCodes, MessageTooLargeError, errorMessage } from "../../core/errors.js";
import { DEFAULT_MAX_PEER_MEMORY, PeerBudget } from "../../core/server/connections.js";
import { getLogger } from "../../core/logging.js";
import { peerCertificateInfo, type PeerCertificateInfo } from "../../core/tls.js";
import { MetadataKeys, deadlineFromMetadata, newCallContext, type CallContext } from "../../core/server/call-context.js";
import { ServiceError } from "../../core/server/exposure.js";
import { ServiceTable, isPromiseLike, type PreparedMethod, type ServerInterceptor, type ServiceEntry } from "../../core/server/service-table.js";
import { decodeCall, encodeFault, encodeReply, javaExceptionDetail, replyVersionFor, type CallKind, type HessianFault } from "./envelope.js";
import { HESSIAN_CONTENT_TYPE, type HessianDecodeSettings } from "./client.js";
import { DEFAULT_LIMITS, HESSIAN_CLASS, type ClassRegistry } from "./types.js";

const log = getLogger("remoting.hessian.server");

/** Default limit of a request body: 16 MiB. */
export const DEFAULT_MAX_REQUEST_SIZE = 16 * 1024 * 1024;
/** Default limit of a reply body: 64 MiB (what the client accepts by default). */
export const DEFAULT_MAX_REPLY_SIZE = 64 * 1024 * 1024;
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
  /** Largest reply body, in bytes; a larger result is answered with a fault instead. Default 64 MiB. */
  maxReplySize?: number | undefined;
  /**
   * Bytes one client address may hold at once: request bodies being received
   * and the decoded arguments of its calls until they are answered (a body
   * that would go over it gets HTTP 503; arguments that would, a fault).
   * Default 64 MiB, and never below maxRequestSize.
   */
  maxPeerMemory?: number | undefined;
  /** The budget itself, shared with other handlers (the exporter's); `maxPeerMemory` is ignored then. */
  peerBudget?: PeerBudget | undefined;
  /**
   * The Java parameter types of methods (`{ add: ["int", "int"] }`: Java names, simple names,
   * `int[]`, or Caucho's mangled names): an overload-enabled client's mangled name must then
   * be this one (`add_int_int`); without it, any mangled name of Caucho's vocabulary is taken.
   */
  signatures?: Readonly<Record<string, readonly string[]>> | ReadonlyMap<string, readonly string[]> | undefined;
}

export type HessianRequestHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** The names of the served methods. */
  readonly methods: readonly string[];
  /** The table the calls are dispatched through. */
  readonly table: ServiceTable;
  /** The name of the served entry in the table. */
  readonly serviceName: string;
};

/** Caucho's mangled type names (AbstractSkeleton.mangleClass) of Java types that are not simple class names. */
const MANGLED: Readonly<Record<string, string>> = Object.freeze({
  boolean: "boolean",
  "java.lang.Boolean": "boolean",
  Boolean: "boolean",
  int: "int",
  "java.lang.Integer": "int",
  Integer: "int",
  short: "int",
  "java.lang.Short": "int",
  Short: "int",
  byte: "int",
  "java.lang.Byte": "int",
  Byte: "int",
  long: "long",
  "java.lang.Long": "long",
  Long: "long",
  float: "double",
  "java.lang.Float": "double",
  Float: "double",
  double: "double",
  "java.lang.Double": "double",
  Double: "double",
  string: "string",
  "java.lang.String": "string",
  String: "string",
  char: "string",
  "java.lang.Character": "string",
  Character: "string",
  "com.caucho.util.CharBuffer": "string",
  "java.io.Reader": "string",
  date: "date",
  "java.util.Date": "date",
  Date: "date",
  "com.caucho.util.QDate": "date",
  binary: "binary",
  "[B": "binary",
  "byte[]": "binary",
  "java.io.InputStream": "binary",
  InputStream: "binary",
  xml: "xml",
  "org.w3c.dom.Node": "xml",
  "org.w3c.dom.Element": "xml",
  "org.w3c.dom.Document": "xml",
});

/** JVM descriptors of primitive array components (`[I`). */
const DESCRIPTORS: Readonly<Record<string, string>> = Object.freeze({ Z: "boolean", I: "int", S: "short", B: "byte", J: "long", F: "float", D: "double", C: "char" });

/**
 * Caucho's mangled name of a Java parameter type (`int` for int and
 * Integer, `string`, `date`, `binary` for byte[], `[int` for int[], the
 * simple class name otherwise): given as a Java name (`java.lang.String`,
 * `com.example.Person`, `int[]`, `[Ljava.lang.String;`), a simple name, or
 * already mangled.
 */
export function mangleType(javaType: string): string {
  const t = javaType.trim();
  const known = MANGLED[t];
  if (known !== undefined) return known;
  if (t.endsWith("[]")) return `[${mangleType(t.slice(0, -2))}`;
  if (t.startsWith("[")) {
    const rest = t.slice(1);
    if (rest.startsWith("L") && rest.endsWith(";")) return `[${mangleType(rest.slice(1, -1))}`;
    if (rest.length === 1 && DESCRIPTORS[rest] !== undefined) return `[${mangleType(DESCRIPTORS[rest])}`;
    return `[${mangleType(rest)}`;
  }
  const dot = t.lastIndexOf(".");
  return dot >= 0 ? t.slice(dot + 1) : t;
}

/** The mangled method name an overload-enabled Caucho client sends for a method with these parameter types. */
export function mangledName(method: string, parameterTypes: readonly string[]): string {
  let out = method;
  for (const t of parameterTypes) out += `_${mangleType(t)}`;
  return out;
}

/** Whether a segment of a mangled name is in Caucho's vocabulary: a mangled primitive, string, date, binary or xml, an array of one (`[int`), or a simple class name (`Person`). */
function isMangledType(t: string): boolean {
  let i = 0;
  while (t.charCodeAt(i) === 0x5b) i++;
  const base = i === 0 ? t : t.slice(i);
  return base === "boolean" || base === "int" || base === "long" || base === "double" || base === "string" || base === "date" || base === "binary" || base === "xml" || /^[A-Z][\w$]*$/.test(base);
}

/**
 * Finds the method a Java client meant, as Caucho's skeleton does: the plain
 * name, `name__N` (N = number of arguments), or a mangled
 * `name_type1_..._typeN` (overload-enabled clients). A mangled name must be
 * the method's own when its parameter types are declared (`signatures`:
 * `add_int_int` for `["int", "int"]`, so a client built against another
 * interface is refused rather than served wrong values), else be made of
 * Caucho's vocabulary (`int`, `long`, `double`, `boolean`, `string`, `date`,
 * `binary`, `xml`, arrays `[int`, simple class names); anything else
 * (`add_x`) is no method, as Caucho answers it.
 */
export function resolveMethod(sent: string, argc: number, exposed: ReadonlySet<string>, signatures?: ReadonlyMap<string, readonly string[]>): string | undefined {
  if (exposed.has(sent)) return sent;
  const m = /^(.+)__(\d+)$/.exec(sent);
  if (m) return exposed.has(m[1]!) && Number(m[2]) === argc && (signatures?.get(m[1]!)?.length ?? argc) === argc ? m[1] : undefined;
  if (signatures !== undefined) {
    for (const [name, types] of signatures) if (types.length === argc && exposed.has(name) && sent.startsWith(name) && mangledName(name, types) === sent) return name;
  }
  // name_type1_..._typeN: the base name is what remains after removing argc segments.
  if (argc > 0) {
    const parts = sent.split("_");
    if (parts.length > argc) {
      const types = parts.slice(parts.length - argc);
      const base = parts.slice(0, parts.length - argc).join("_");
      if (base && exposed.has(base) && signatures?.has(base) !== true && types.every(isMangledType)) return base;
    }
  }
  return undefined;
}

/** Method signatures from the option (an object or a Map of name → Java types). */
function signatureMap(s: HessianHandlerOptions["signatures"]): ReadonlyMap<string, readonly string[]> | undefined {
  if (s === undefined) return undefined;
  const entries = s instanceof Map ? [...(s as ReadonlyMap<string, readonly string[]>)] : Object.entries(s as Record<string, readonly string[]>);
  return entries.length === 0 ? undefined : new Map(entries.map(([k, v]) => [k, [...v]]));
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
  const maxReply = options.maxReplySize ?? DEFAULT_MAX_REPLY_SIZE;
  const budget = options.peerBudget ?? new PeerBudget(Math.max(options.maxPeerMemory ?? DEFAULT_MAX_PEER_MEMORY, maxSize));
  const faultClass = options.faultClass ?? DEFAULT_FAULT_CLASS;
  const decodeOpts = { ...options.decode, registry: options.registry };
  const maxDecoded = decodeOpts.maxDecodedSize ?? DEFAULT_LIMITS.maxDecodedSize;
  const encodeOpts = { registry: options.registry };
  const signatures = signatureMap(options.signatures);

  /** What a request holds of its client address's budget: released when its response closes (answered, or the connection gone). */
  const holdFor = (req: IncomingMessage, res: ServerResponse): Held => {
    const h: Held = { peer: req.socket.remoteAddress ?? "?", bytes: 0 };
    res.once("close", () => {
      budget.release(h.peer, h.bytes);
      h.bytes = 0;
    });
    return h;
  };
  const take = (h: Held, n: number): boolean => {
    if (!budget.reserve(h.peer, n)) return false;
    h.bytes += n;
    return true;
  };

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
    if (out.length > maxReply) {
      const message = `the result of '${method}' is ${out.length} bytes, over maxReplySize ${maxReply}`;
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
    if (cached !== undefined) {
      fastPathHits["hessian.exporter.prepared"]++;
      return cached.prepared.call(args, context);
    }
    return table.invoke({ service: name, method, args, context, session: socket });
  };

  /** Answers one call. */
  const serve = (body: Buffer, req: IncomingMessage, res: ServerResponse, received: number, held: Held): void => {
    const kind = kindOf(body);
    if (kind === undefined) {
      const b = body.length ? `0x${body[0]!.toString(16).padStart(2, "0")}` : "an empty body";
      plain(res, 400, `${b} is not a Hessian call (expected 'H' 02 00 'C', 'c' 02 00 or 'c' 01 00)`);
      return;
    }
    const version = replyVersionFor(kind);
    let call;
    try {
      // what the arguments may decode to: the decoder's budget, within what the client's address has left
      const available = budget.available(held.peer);
      call = decodeCall(body, available >= maxDecoded ? decodeOpts : { ...decodeOpts, maxDecodedSize: available });
      take(held, call.decodedSize);
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
    const method = entry === undefined ? undefined : resolveMethod(sent, call.args.length, entry.methods, signatures);
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
  const serveSafely = (body: Buffer, req: IncomingMessage, res: ServerResponse, received: number, held: Held): void => {
    try {
      serve(body, req, res, received, held);
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
        const held = holdFor(req, res);
        if (!take(held, pre.length)) return overBudget(req, res, held.peer, budget);
        serveSafely(Buffer.from(pre.buffer, pre.byteOffset, pre.byteLength), req, res, received, held);
        return;
      }
      const declared = declaredLength(req.rawHeaders);
      if (declared > maxSize) return tooLarge(req, res, declared, maxSize);
      const held = holdFor(req, res);
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
        // a body being received counts against its client address's memory (a slow sender holds only what it sent)
        if (!take(held, c.length)) {
          failed = true;
          first = chunks = undefined;
          overBudget(req, res, held.peer, budget);
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
        chunks = first = undefined;
        serveSafely(body, req, res, received, held);
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

let lastBudgetWarning = 0;

/** A request's share of its client address's memory budget. */
interface Held {
  readonly peer: string;
  bytes: number;
}

/** A body that would take its client address over its memory budget: 503 (nothing ran; a client may retry later) and the connection closed. */
function overBudget(req: IncomingMessage, res: ServerResponse, peer: string, budget: PeerBudget): void {
  const message = `${peer} holds ${budget.heldBy(peer)} bytes of requests in this server, the most one client address may (maxPeerMemory ${budget.maxPerPeer}): try again later`;
  // at warn once a second at most: a flood of refusals must not flood the log
  const now = Date.now();
  if (now - lastBudgetWarning >= 1000) {
    lastBudgetWarning = now;
    log.warn(message);
  } else log.debug(message);
  plain(res, 503, message, { Connection: "close", "Retry-After": "1" });
  res.once("finish", () => req.destroy());
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
