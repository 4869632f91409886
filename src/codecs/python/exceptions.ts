/**
 * Exceptions as Pyro4 carries them in serpent, json and marshal:
 * `{"__class__": "builtins.ValueError", "__exception__": true, "args": [...],
 *   "attributes": {"_pyroTraceback": [lines...]}}`.
 *
 * Writing picks a class name a Python Pyro4 peer can rebuild (a builtin
 * exception, a `Pyro4.errors.*` class or a `sqlite3.*Error`); reading never
 * instantiates anything: it gives a RemoteInvocationError describing the
 * remote exception.
 */
import { ErrorCodes, RemoteInvocationError, errorField } from "../../core/errors.js";
import { isPyInt, tuple } from "./common.js";
import { pyFloatRepr, pyStrRepr } from "./pyrepr.js";

/** Builtin exception classes a Pyro4 client rebuilds with one message argument (and that do no harm there). */
const BUILTIN_EXCEPTIONS = new Set([
  "ArithmeticError",
  "AssertionError",
  "AttributeError",
  "BaseException",
  "BlockingIOError",
  "BrokenPipeError",
  "BufferError",
  "BytesWarning",
  "ChildProcessError",
  "ConnectionAbortedError",
  "ConnectionError",
  "ConnectionRefusedError",
  "ConnectionResetError",
  "DeprecationWarning",
  "EOFError",
  "EncodingWarning",
  "EnvironmentError",
  "Exception",
  "FileExistsError",
  "FileNotFoundError",
  "FloatingPointError",
  "FutureWarning",
  "IOError",
  "ImportError",
  "ImportWarning",
  "IndentationError",
  "IndexError",
  "InterruptedError",
  "IsADirectoryError",
  "KeyError",
  "LookupError",
  "MemoryError",
  "ModuleNotFoundError",
  "NameError",
  "NotADirectoryError",
  "NotImplementedError",
  "OSError",
  "OverflowError",
  "PendingDeprecationWarning",
  "PermissionError",
  "ProcessLookupError",
  "RecursionError",
  "ReferenceError",
  "ResourceWarning",
  "RuntimeError",
  "RuntimeWarning",
  "StopAsyncIteration",
  "StopIteration",
  "SyntaxError",
  "SyntaxWarning",
  "SystemError",
  "TabError",
  "TimeoutError",
  "TypeError",
  "UnboundLocalError",
  "UnicodeError",
  "UnicodeWarning",
  "UserWarning",
  "ValueError",
  "Warning",
  "ZeroDivisionError",
]);

const PYRO_ERRORS = new Set([
  "PyroError",
  "CommunicationError",
  "ConnectionClosedError",
  "TimeoutError",
  "ProtocolError",
  "MessageTooLargeError",
  "NamingError",
  "DaemonError",
  "SecurityError",
  "SerializeError",
]);

const SQLITE_ERRORS = new Set([
  "Error",
  "DatabaseError",
  "DataError",
  "IntegrityError",
  "InterfaceError",
  "InternalError",
  "NotSupportedError",
  "OperationalError",
  "ProgrammingError",
]);

/** Error codes of this library mapped to the Python class a Pyro4 peer understands. */
const BY_CODE: Record<string, string> = {
  [ErrorCodes.ERR_METHOD_NOT_FOUND]: "builtins.AttributeError",
  [ErrorCodes.ERR_ARITY]: "builtins.TypeError",
  [ErrorCodes.ERR_SERVICE_NOT_FOUND]: "Pyro4.errors.DaemonError",
  [ErrorCodes.ERR_NOT_SUPPORTED]: "builtins.NotImplementedError",
  [ErrorCodes.ERR_INVALID_ARGUMENT]: "builtins.ValueError",
  [ErrorCodes.ERR_TIMEOUT]: "builtins.TimeoutError",
  [ErrorCodes.ERR_SERIALIZATION]: "Pyro4.errors.SerializeError",
  [ErrorCodes.ERR_LIMIT_EXCEEDED]: "Pyro4.errors.SerializeError",
  [ErrorCodes.ERR_PROTOCOL]: "Pyro4.errors.ProtocolError",
  [ErrorCodes.ERR_MESSAGE_TOO_LARGE]: "Pyro4.errors.MessageTooLargeError",
  [ErrorCodes.ERR_CONNECTION_CLOSED]: "Pyro4.errors.ConnectionClosedError",
  [ErrorCodes.ERR_CLOSED]: "Pyro4.errors.ConnectionClosedError",
  [ErrorCodes.ERR_CONNECTION_REFUSED]: "builtins.ConnectionRefusedError",
  [ErrorCodes.ERR_COMMUNICATION]: "Pyro4.errors.CommunicationError",
  [ErrorCodes.ERR_SECURITY]: "Pyro4.errors.SecurityError",
  [ErrorCodes.ERR_NAMING]: "Pyro4.errors.NamingError",
  [ErrorCodes.ERR_DUPLICATE_NAME]: "Pyro4.errors.NamingError",
  // Node.js system errors
  ENOENT: "builtins.FileNotFoundError",
  EEXIST: "builtins.FileExistsError",
  EACCES: "builtins.PermissionError",
  EPERM: "builtins.PermissionError",
  EISDIR: "builtins.IsADirectoryError",
  ENOTDIR: "builtins.NotADirectoryError",
  ECONNREFUSED: "builtins.ConnectionRefusedError",
  ECONNRESET: "builtins.ConnectionResetError",
  ECONNABORTED: "builtins.ConnectionAbortedError",
  EPIPE: "builtins.BrokenPipeError",
  ETIMEDOUT: "builtins.TimeoutError",
  EAGAIN: "builtins.BlockingIOError",
  EINTR: "builtins.InterruptedError",
  ESRCH: "builtins.ProcessLookupError",
  ECHILD: "builtins.ChildProcessError",
};

/** JavaScript's own error classes. */
const BY_JS_NAME: Record<string, string> = {
  Error: "builtins.Exception",
  TypeError: "builtins.TypeError",
  RangeError: "builtins.ValueError",
  URIError: "builtins.ValueError",
  SyntaxError: "builtins.SyntaxError",
  ReferenceError: "builtins.NameError",
  EvalError: "builtins.Exception",
  AggregateError: "builtins.Exception",
  MethodNotFoundError: "builtins.AttributeError",
};

/**
 * A Python class name that a Pyro4 peer can rebuild, or undefined. Accepts
 * `ValueError`, `builtins.ValueError`, `exceptions.ValueError`,
 * `Pyro4.errors.NamingError`, `sqlite3.OperationalError`.
 */
export function pythonExceptionName(name: string): string | undefined {
  if (name.includes("__")) return undefined;
  const dot = name.lastIndexOf(".");
  if (dot < 0) return BUILTIN_EXCEPTIONS.has(name) ? `builtins.${name}` : undefined;
  const mod = name.slice(0, dot);
  const cls = name.slice(dot + 1);
  if ((mod === "builtins" || mod === "exceptions") && BUILTIN_EXCEPTIONS.has(cls)) return `builtins.${cls}`;
  if (mod === "Pyro4.errors" && PYRO_ERRORS.has(cls)) return name;
  if (mod === "sqlite3" && SQLITE_ERRORS.has(cls)) return name;
  return undefined;
}


function classFor(err: unknown): string {
  for (const key of ["pythonType", "remoteType"]) {
    const t = errorField(err, key);
    if (typeof t === "string") {
      const name = pythonExceptionName(t);
      if (name) return name;
    }
  }
  const code = errorField(err, "code");
  if (typeof code === "string" && Object.prototype.hasOwnProperty.call(BY_CODE, code)) return BY_CODE[code]!;
  if (err instanceof Error) {
    if (typeof errorField(err, "errno") === "number" && typeof errorField(err, "syscall") === "string") return "builtins.OSError";
    // the name the error gives itself first: `Object.assign(new Error(m), { name: "ValueError" })` is a ValueError,
    // not the Exception its constructor (Error) would say
    const names = [err.name, err.constructor?.name];
    for (const n of names) {
      if (typeof n !== "string" || n === "Error") continue;
      if (Object.prototype.hasOwnProperty.call(BY_JS_NAME, n)) return BY_JS_NAME[n]!;
      const py = BUILTIN_EXCEPTIONS.has(n) ? `builtins.${n}` : undefined;
      if (py) return py;
    }
  }
  return "builtins.Exception";
}

function messageOf(err: unknown): string {
  if (err instanceof RemoteInvocationError) return err.remoteMessage;
  if (err instanceof Error) return err.message;
  if (typeof err === "string") return err;
  try {
    return String(err);
  } catch {
    return "unknown error";
  }
}

function isPrimitive(v: unknown): boolean {
  return v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "bigint" || (typeof v === "number" && Number.isFinite(v));
}

const SKIP_ATTRIBUTES = new Set(["stack", "message", "name", "args", "with_traceback", "add_note", "pythonType", "pythonArgs"]);
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

function attributesOf(err: unknown): Array<[string, unknown]> {
  let source: unknown = err;
  if (err instanceof RemoteInvocationError) {
    const detail = err.detail as { attributes?: unknown } | undefined;
    source = detail && typeof detail === "object" ? detail.attributes : undefined;
  }
  if (source === null || typeof source !== "object") return [];
  const out: Array<[string, unknown]> = [];
  for (const k of Object.keys(source)) {
    if (SKIP_ATTRIBUTES.has(k) || !IDENTIFIER.test(k)) continue;
    const v = (source as Record<string, unknown>)[k];
    if (isPrimitive(v)) out.push([k, v]);
  }
  return out;
}

function argsOf(err: unknown): readonly unknown[] {
  const explicit = errorField(err, "pythonArgs");
  if (Array.isArray(explicit)) return tuple([...(explicit as unknown[])]);
  if (err instanceof RemoteInvocationError) {
    const args = (err.detail as { args?: unknown } | undefined)?.args;
    if (Array.isArray(args) && args.every(isPrimitive)) return tuple([...(args as unknown[])]);
  }
  const msg = messageOf(err);
  return tuple(msg === "" ? [] : [msg]);
}

/** Traceback lines as Pyro4 keeps them: strings ending in a newline. */
function tracebackLines(err: unknown, given: readonly string[] | undefined): string[] {
  const lines: string[] = [];
  if (given) {
    for (const l of given) {
      const s = String(l);
      lines.push(s.endsWith("\n") ? s : `${s}\n`);
    }
    return lines;
  }
  const stack = errorField(err, "stack");
  if (typeof stack === "string" && stack !== "") {
    for (const l of stack.split("\n")) lines.push(`${l}\n`);
    return lines;
  }
  lines.push(`${classFor(err).replace(/^builtins\./, "")}: ${messageOf(err)}\n`);
  return lines;
}

/** Internal: the exception dict, with (top level) or without (nested value) a traceback. */
export function errorToPyroDict(err: unknown, traceback: readonly string[] | undefined, nested: boolean): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  if (!nested) attributes["_pyroTraceback"] = tracebackLines(err, traceback);
  for (const [k, v] of attributesOf(err)) attributes[k] = v;
  return {
    __class__: classFor(err),
    __exception__: true,
    args: argsOf(err),
    attributes,
  };
}

/**
 * Encodes anything thrown as the exception dict Pyro4 sends back for a Python
 * exception. `traceback` replaces the lines taken from the JS stack (pass []
 * to send none).
 */
export function errorToPyro(err: unknown, traceback?: string[]): Record<string, unknown> {
  return errorToPyroDict(err, traceback, false);
}

/**
 * True for a decoded Pyro4 exception dict (`__class__` a string and
 * `__exception__` true), e.g. the payload of an EXCEPTION reply or the
 * `exception` of a batch's `Pyro4.futures._ExceptionWrapper` dict.
 */
export function isExceptionDict(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Map) return false;
  const rec = value as Record<string, unknown>;
  return typeof rec["__class__"] === "string" && rec["__exception__"] === true;
}

/** A short Python-like text of an exception argument. */
function argText(v: unknown): string {
  if (typeof v === "string") return pyStrRepr(v);
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (isPyInt(v)) return String(v);
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    return pyFloatRepr(v);
  }
  if (Array.isArray(v)) return `[${v.map(argText).join(", ")}]`;
  return String(v);
}

function plainRecord(v: unknown): Record<string, unknown> | undefined {
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of v) if (typeof k === "string") out[k] = val;
    return out;
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  return undefined;
}

/**
 * Describes a Pyro4 exception dict as a RemoteInvocationError: `remoteType` is
 * the bare name for builtins (`ValueError`) and the full dotted name otherwise
 * (`Pyro4.errors.NamingError`); `remoteMessage` is Python's `str(exception)`;
 * `remoteTraceback` the `_pyroTraceback` lines; `detail` holds
 * `{className, args, attributes}`. Nothing named on the wire is instantiated.
 */
export function pyroToError(dict: Record<string, unknown> | unknown): RemoteInvocationError {
  const rec = plainRecord(dict);
  if (!rec) {
    return new RemoteInvocationError({
      remoteType: "Exception",
      remoteMessage: `malformed exception data: ${argText(dict)}`,
      detail: { className: undefined, args: [], attributes: {} },
    });
  }
  const rawClass = rec["__class__"];
  const className = typeof rawClass === "string" && rawClass !== "" ? rawClass : "builtins.Exception";
  const remoteType = className.replace(/^(builtins|exceptions)\./, "");
  const rawArgs = rec["args"];
  const args: unknown[] = Array.isArray(rawArgs) ? [...(rawArgs as unknown[])] : rawArgs === undefined || rawArgs === null ? [] : [rawArgs];
  let message: string;
  if (args.length === 0) message = "";
  else if (args.length === 1) message = typeof args[0] === "string" ? args[0] : argText(args[0]);
  else message = `(${args.map(argText).join(", ")})`;
  const attributes = { ...(plainRecord(rec["attributes"]) ?? {}) };
  const tb = attributes["_pyroTraceback"];
  delete attributes["_pyroTraceback"];
  let remoteTraceback: string[] = [];
  if (Array.isArray(tb)) remoteTraceback = tb.filter((l): l is string => typeof l === "string");
  else if (typeof tb === "string") remoteTraceback = tb.split(/(?<=\n)/);
  return new RemoteInvocationError({
    remoteType,
    remoteMessage: message,
    remoteTraceback,
    detail: { className, args, attributes },
  });
}
