/**
 * The server side of Hessian over HTTP as a plain `(req, res)` handler, so it
 * mounts in `node:http`, Express or any framework that exposes Node's request
 * and response. HessianServiceExporter uses it for its own server.
 *
 * It reads the three request kinds a Java client may send (`H 02 00 C`,
 * `c 02 00` and `c 01 00`), answers in the version the caller reads (2.0,
 * except 1.0 for `c 01 00`), and answers errors as Caucho's skeleton does:
 * `NoSuchMethodException` for unknown methods, `ServiceException` (with a Java
 * exception as detail) when the method throws.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCodes, MessageTooLargeError, errorMessage } from "../../core/errors.js";
import { getLogger } from "../../core/logging.js";
import { exposedMethods, invokeExposed } from "../../core/server/exposure.js";
import { decodeCall, encodeFault, encodeReply, javaExceptionDetail, replyVersionFor, type CallKind, type HessianFault } from "./envelope.js";
import { HESSIAN_CONTENT_TYPE } from "./client.js";
import { HESSIAN_CLASS, type ClassRegistry, type DecodeLimits } from "./types.js";

const log = getLogger("remoting.hessian.server");

/** Default limit of a request body: 16 MiB. */
export const DEFAULT_MAX_REQUEST_SIZE = 16 * 1024 * 1024;
/** The Java exception class used for the detail of a fault when the error names none. */
export const DEFAULT_FAULT_CLASS = "java.lang.RuntimeException";

export interface HessianHandlerOptions {
  /** A name used in log lines and messages. */
  serviceName?: string | undefined;
  /** Only these methods are callable (default: every public method, see core/service). */
  allow?: readonly string[] | undefined;
  /** Classes call arguments may instantiate, and classes written with their Java name in replies. Default: none. */
  registry?: ClassRegistry | undefined;
  /** Largest request body, in bytes; larger requests get HTTP 413. Default 16 MiB. */
  maxRequestSize?: number | undefined;
  /** Decoder limits and options for call arguments (`preserveTypes` hands HessianLong/HessianDouble wrappers to the service). */
  decode?: (DecodeLimits & { mapsAs?: "object" | "map"; preserveTypes?: boolean }) | undefined;
  /** The Java exception class of fault details when the thrown error names none. Default `java.lang.RuntimeException`. */
  faultClass?: string | undefined;
  /** When set, only this URL path is served (404 otherwise). Default: every path. */
  path?: string | undefined;
}

export type HessianRequestHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** The names of the served methods. */
  readonly methods: readonly string[];
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

/** The Java class for a fault detail: the error's HESSIAN_CLASS or `javaClass`, else the default. */
function faultClassOf(err: unknown, fallback: string): string {
  if (typeof err === "object" && err !== null) {
    const c = (err as Record<string | symbol, unknown>)[HESSIAN_CLASS] ?? (err as Record<string, unknown>)["javaClass"];
    if (typeof c === "string" && /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(c)) return c;
  }
  return fallback;
}

function reply(res: ServerResponse, body: Buffer): void {
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

/** Creates the `(req, res)` handler serving `service`'s exposed methods over Hessian. */
export function createHessianHandler(service: object, options: HessianHandlerOptions = {}): HessianRequestHandler {
  if (typeof service !== "object" || service === null) throw new TypeError("createHessianHandler needs a service object");
  const methods = exposedMethods(service, { allow: options.allow });
  const exposed = new Set(methods);
  const maxSize = options.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE;
  const faultClass = options.faultClass ?? DEFAULT_FAULT_CLASS;
  const name = options.serviceName;
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

  const sendError = (res: ServerResponse, version: 1 | 2, method: string, err: unknown): void => {
    const message = errorMessage(err);
    log.debug("method '%s' failed: %s", method, message);
    sendFault(res, version, { code: "ServiceException", message, detail: javaExceptionDetail(faultClassOf(err, faultClass), message) });
  };

  /** Answers one call. Returns the method's promise when it runs, so errors of the server itself surface. */
  const serve = (body: Buffer, res: ServerResponse): Promise<void> | undefined => {
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
    if (call.method === "_hessian_getAttribute") {
      reply(res, encodeReply(null, version));
      return;
    }
    const method = resolveMethod(call.method, call.args.length, exposed);
    if (method === undefined) {
      sendFault(res, version, { code: "NoSuchMethodException", message: `The service has no method named: ${call.method}` });
      return;
    }
    return invokeExposed(service, method, call.args, exposed, name).then(
      (result) => sendResult(res, version, method, result),
      (err: unknown) => sendError(res, version, method, err),
    );
  };

  /** serve() with any unexpected error answered as HTTP 500. */
  const serveSafely = (body: Buffer, res: ServerResponse): void => {
    try {
      const p = serve(body, res);
      if (p !== undefined) p.catch((err: unknown) => internal(res, err));
    } catch (err) {
      internal(res, err);
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
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
        serveSafely(Buffer.from(pre.buffer, pre.byteOffset, pre.byteLength), res);
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
        serveSafely(body, res);
      });
    } catch (err) {
      internal(res, err);
    }
  };
  Object.defineProperty(handler, "methods", { value: Object.freeze([...methods]), enumerable: true });
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
