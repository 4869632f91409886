/**
 * The error hierarchy of `remoting`.
 *
 * Every error carries a stable `code` (documented in docs/errors.md) and, where
 * it wraps another failure, the ES2022 `cause`. Each class is branded with a
 * `Symbol.for` key so `instanceof` keeps working when two copies of the
 * package are installed side by side.
 *
 *   RemotingError
 *   ├── ConfigError                 bad configuration (XML or code)
 *   ├── CommunicationError          the link failed; `phase` says how far the call got
 *   │   ├── ConnectionClosedError
 *   │   ├── TimeoutError
 *   │   └── ProtocolError           the peer sent something we cannot read
 *   │       ├── MessageTooLargeError
 *   │       └── SerializationError
 *   ├── RemoteInvocationError       the remote side raised an error
 *   ├── SecurityError               TLS, HMAC or certificate field check failed
 *   └── NamingError                 a name could not be resolved
 */

export const ErrorCodes = {
  // generic
  ERR_REMOTING: "ERR_REMOTING",
  ERR_INVALID_ARGUMENT: "ERR_INVALID_ARGUMENT",
  ERR_CLOSED: "ERR_CLOSED",
  ERR_ABORTED: "ERR_ABORTED",
  ERR_NOT_SUPPORTED: "ERR_NOT_SUPPORTED",
  // configuration
  ERR_CONFIG: "ERR_CONFIG",
  ERR_CONFIG_XML_MALFORMED: "ERR_CONFIG_XML_MALFORMED",
  ERR_CONFIG_FILE_NOT_FOUND: "ERR_CONFIG_FILE_NOT_FOUND",
  ERR_CONFIG_UNKNOWN_ELEMENT: "ERR_CONFIG_UNKNOWN_ELEMENT",
  ERR_CONFIG_UNKNOWN_ATTRIBUTE: "ERR_CONFIG_UNKNOWN_ATTRIBUTE",
  ERR_CONFIG_MISSING_ATTRIBUTE: "ERR_CONFIG_MISSING_ATTRIBUTE",
  ERR_CONFIG_INVALID_VALUE: "ERR_CONFIG_INVALID_VALUE",
  ERR_CONFIG_MODULE_NOT_FOUND: "ERR_CONFIG_MODULE_NOT_FOUND",
  ERR_CONFIG_EXPORT_NOT_FOUND: "ERR_CONFIG_EXPORT_NOT_FOUND",
  ERR_CONFIG_NOT_CONSTRUCTIBLE: "ERR_CONFIG_NOT_CONSTRUCTIBLE",
  ERR_CONFIG_NO_SUCH_OBJECT: "ERR_CONFIG_NO_SUCH_OBJECT",
  ERR_CONFIG_MISSING_REF: "ERR_CONFIG_MISSING_REF",
  ERR_CONFIG_BAD_PARENT: "ERR_CONFIG_BAD_PARENT",
  ERR_CONFIG_CYCLE: "ERR_CONFIG_CYCLE",
  ERR_CONFIG_INVALID_SCOPE: "ERR_CONFIG_INVALID_SCOPE",
  ERR_CONFIG_ABSTRACT_OBJECT: "ERR_CONFIG_ABSTRACT_OBJECT",
  ERR_CONFIG_UNKNOWN_PROPERTY: "ERR_CONFIG_UNKNOWN_PROPERTY",
  ERR_CONFIG_UNKNOWN_ARGUMENT: "ERR_CONFIG_UNKNOWN_ARGUMENT",
  ERR_CONFIG_CREATION_FAILED: "ERR_CONFIG_CREATION_FAILED",
  ERR_CONFIG_INIT_FAILED: "ERR_CONFIG_INIT_FAILED",
  ERR_CONFIG_DESTROY_FAILED: "ERR_CONFIG_DESTROY_FAILED",
  ERR_CONTEXT_CLOSED: "ERR_CONTEXT_CLOSED",
  // communication
  ERR_COMMUNICATION: "ERR_COMMUNICATION",
  ERR_CONNECTION_CLOSED: "ERR_CONNECTION_CLOSED",
  ERR_CONNECTION_REFUSED: "ERR_CONNECTION_REFUSED",
  ERR_TIMEOUT: "ERR_TIMEOUT",
  ERR_PROTOCOL: "ERR_PROTOCOL",
  ERR_MESSAGE_TOO_LARGE: "ERR_MESSAGE_TOO_LARGE",
  ERR_SERIALIZATION: "ERR_SERIALIZATION",
  ERR_LIMIT_EXCEEDED: "ERR_LIMIT_EXCEEDED",
  // remote side
  ERR_REMOTE: "ERR_REMOTE",
  ERR_METHOD_NOT_FOUND: "ERR_METHOD_NOT_FOUND",
  ERR_ARITY: "ERR_ARITY",
  ERR_SERVICE_NOT_FOUND: "ERR_SERVICE_NOT_FOUND",
  ERR_NO_MEMBER_AVAILABLE: "ERR_NO_MEMBER_AVAILABLE",
  // security and naming
  ERR_SECURITY: "ERR_SECURITY",
  ERR_NAMING: "ERR_NAMING",
  ERR_ADDRESS_IN_USE: "ERR_ADDRESS_IN_USE",
  ERR_DUPLICATE_NAME: "ERR_DUPLICATE_NAME",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const brands = new Map<string, symbol>();
function brand(name: string): symbol {
  let s = brands.get(name);
  if (!s) {
    s = Symbol.for(`remoting.error.${name}`);
    brands.set(name, s);
  }
  return s;
}

/**
 * Brands an error class: `instanceof` then tests the brand (a `Symbol.for`
 * key), so it works across two copies of the package and a subclass is not
 * taken for its parent's every instance. Every error class of the package
 * is branded this way.
 */
export function branded<T extends abstract new (...args: any[]) => Error>(cls: T, name: string): void {
  const sym = brand(name);
  Object.defineProperty(cls.prototype, sym, { value: true, enumerable: false });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (obj: unknown) => typeof obj === "object" && obj !== null && (obj as Record<symbol, unknown>)[sym] === true,
  });
}

export interface RemotingErrorOptions {
  cause?: unknown;
}

export class RemotingError extends Error {
  readonly code: string;
  constructor(message: string, code: string = ErrorCodes.ERR_REMOTING, options?: RemotingErrorOptions) {
    super(message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.name = new.target.name;
  }
}
branded(RemotingError, "RemotingError");

/** Where in a configuration file a problem was found. */
export interface SourceLocation {
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
}

export interface ConfigErrorDetails extends RemotingErrorOptions {
  location?: SourceLocation | undefined;
  objectId?: string | undefined;
  /** The chain of object ids being resolved when the error happened. */
  path?: readonly string[] | undefined;
}

/** A configuration cannot be read, resolved or instantiated. */
export class ConfigError extends RemotingError {
  readonly location: SourceLocation | undefined;
  readonly objectId: string | undefined;
  readonly path: readonly string[];
  /** The message without the location and resolution path. */
  readonly reason: string;
  constructor(reason: string, code: string = ErrorCodes.ERR_CONFIG, details: ConfigErrorDetails = {}) {
    super(ConfigError.format(reason, details), code, details);
    this.reason = reason;
    this.location = details.location;
    this.objectId = details.objectId;
    this.path = details.path ?? [];
  }

  static format(reason: string, d: ConfigErrorDetails): string {
    let msg = reason;
    if (d.objectId !== undefined && !reason.includes(`'${d.objectId}'`)) msg = `object '${d.objectId}': ${msg}`;
    const loc = d.location;
    if (loc?.file) {
      let where = loc.file;
      if (loc.line !== undefined) where += `:${loc.line}`;
      if (loc.column !== undefined) where += `:${loc.column}`;
      msg = `${where}: ${msg}`;
    }
    if (d.path && d.path.length > 1) msg += ` (resolving ${d.path.join(" -> ")})`;
    return msg;
  }
}
branded(ConfigError, "ConfigError");

/**
 * How far a call got before its link failed, so that a retry can be judged:
 * - `connect`: nothing of the request was written (no connection, refused,
 *   TLS handshake failed, no slot before the deadline): it cannot have run;
 * - `send`: the request was being written when the link failed: it may have
 *   reached the server;
 * - `reply`: the request was sent and the reply did not come: it may have run.
 */
export type CallPhase = "connect" | "send" | "reply";

export interface CommunicationErrorOptions extends RemotingErrorOptions {
  phase?: CallPhase | undefined;
}

/** The link to the peer failed. */
export class CommunicationError extends RemotingError {
  /** How far the call got; undefined when the error is not about one call. */
  phase: CallPhase | undefined;
  constructor(message: string, code: string = ErrorCodes.ERR_COMMUNICATION, options?: CommunicationErrorOptions) {
    super(message, code, options);
    this.phase = options?.phase;
  }
}
branded(CommunicationError, "CommunicationError");

export class ConnectionClosedError extends CommunicationError {
  constructor(message = "connection closed", options?: CommunicationErrorOptions) {
    super(message, ErrorCodes.ERR_CONNECTION_CLOSED, options);
  }
}
branded(ConnectionClosedError, "ConnectionClosedError");

export class TimeoutError extends CommunicationError {
  readonly timeoutMs: number | undefined;
  constructor(message = "timed out", timeoutMs?: number, options?: CommunicationErrorOptions) {
    super(message, ErrorCodes.ERR_TIMEOUT, options);
    this.timeoutMs = timeoutMs;
  }
}
branded(TimeoutError, "TimeoutError");

/** The peer sent bytes that do not follow the protocol. */
export class ProtocolError extends CommunicationError {
  constructor(message: string, code: string = ErrorCodes.ERR_PROTOCOL, options?: CommunicationErrorOptions) {
    super(message, code, options);
  }
}
branded(ProtocolError, "ProtocolError");

export class MessageTooLargeError extends ProtocolError {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number, what = "message") {
    super(`${what} of ${size} bytes exceeds the limit of ${limit} bytes`, ErrorCodes.ERR_MESSAGE_TOO_LARGE);
    this.size = size;
    this.limit = limit;
  }
}
branded(MessageTooLargeError, "MessageTooLargeError");

export class SerializationError extends ProtocolError {
  constructor(message: string, options?: RemotingErrorOptions, code: string = ErrorCodes.ERR_SERIALIZATION) {
    super(message, code, options);
  }
}
branded(SerializationError, "SerializationError");

export interface RemoteErrorInit {
  /** The class name of the error on the remote side, e.g. `ValueError` or `java.lang.IllegalStateException`. */
  remoteType: string;
  remoteMessage: string;
  /** Remote traceback lines, when the protocol carries them. */
  remoteTraceback?: readonly string[] | undefined;
  /** A protocol-level code (an XML-RPC faultCode, a Hessian fault code). */
  remoteCode?: string | number | undefined;
  /** Extra detail sent by the remote side. */
  detail?: unknown;
}

/** The remote side raised an error while running the call. */
export class RemoteInvocationError extends RemotingError {
  readonly remoteType: string;
  readonly remoteMessage: string;
  readonly remoteTraceback: readonly string[];
  readonly remoteCode: string | number | undefined;
  readonly detail: unknown;
  constructor(init: RemoteErrorInit, options?: RemotingErrorOptions) {
    super(`${init.remoteType}: ${init.remoteMessage}`, ErrorCodes.ERR_REMOTE, options);
    this.remoteType = init.remoteType;
    this.remoteMessage = init.remoteMessage;
    this.remoteTraceback = init.remoteTraceback ?? [];
    this.remoteCode = init.remoteCode;
    this.detail = init.detail;
  }
}
branded(RemoteInvocationError, "RemoteInvocationError");

/** A TLS handshake, HMAC check or certificate field check failed. */
export class SecurityError extends RemotingError {
  /** How far the call got (a refused TLS handshake: `connect`, the request was not sent). */
  phase: CallPhase | undefined;
  constructor(message: string, options?: CommunicationErrorOptions) {
    super(message, ErrorCodes.ERR_SECURITY, options);
    this.phase = options?.phase;
  }
}
branded(SecurityError, "SecurityError");

export class NamingError extends RemotingError {
  constructor(message: string, options?: RemotingErrorOptions, code: string = ErrorCodes.ERR_NAMING) {
    super(message, code, options);
  }
}
branded(NamingError, "NamingError");

/**
 * Whether the request of a failed call can have reached the server and run:
 * false only for errors that say so (a CommunicationError of phase
 * `connect`, a call refused before sending: aborted or timed out while
 * waiting for a connection, a configuration or argument error, an
 * unsupported feature). A remote error means it ran.
 */
export function requestMayHaveRun(err: unknown): boolean {
  if (err instanceof CommunicationError || err instanceof SecurityError) return err.phase !== "connect";
  if (err instanceof RemoteInvocationError) return true;
  if (err instanceof ConfigError) return false;
  if (err instanceof RemotingError) {
    const phase = (err as { phase?: unknown }).phase;
    if (phase === "connect") return false;
    return !(err.code === ErrorCodes.ERR_NOT_SUPPORTED || err.code === ErrorCodes.ERR_INVALID_ARGUMENT || err.code === ErrorCodes.ERR_NO_MEMBER_AVAILABLE);
  }
  return true;
}

/** Sets the phase of a communication error that has none yet (a transport knows how far its call got). */
export function withPhase<E>(err: E, phase: CallPhase): E {
  if ((err instanceof CommunicationError || err instanceof SecurityError) && err.phase === undefined) err.phase = phase;
  else if (err instanceof RemotingError && err.code === ErrorCodes.ERR_ABORTED && (err as { phase?: unknown }).phase === undefined) {
    (err as { phase?: CallPhase }).phase = phase;
  }
  return err;
}

/** Reads a property of anything that was thrown (undefined for a primitive, or when the getter throws). */
export function errorField(err: unknown, key: string): unknown {
  if (err === null || (typeof err !== "object" && typeof err !== "function")) return undefined;
  try {
    return (err as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Reads a message from anything that was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Error codes Node and OpenSSL give for a refused TLS connection or an unverifiable certificate. */
export function isTlsErrorCode(code: unknown): boolean {
  if (typeof code !== "string") return false;
  return (
    code.startsWith("ERR_SSL_") ||
    code.startsWith("ERR_TLS_") ||
    code === "EPROTO" ||
    /CERT|ISSUER|SELF_SIGNED|SIGNATURE|INVALID_PURPOSE|HOSTNAME_MISMATCH|PATH_LENGTH|CHAIN_TOO_LONG/.test(code)
  );
}

/**
 * A socket or HTTP failure talking to `where`, as the error hierarchy sees it:
 * refused (CommunicationError ERR_CONNECTION_REFUSED), TLS or certificate
 * trouble (SecurityError), a connection dropped on the way
 * (ConnectionClosedError), anything else (CommunicationError). Remoting
 * errors pass through unchanged. Every client transport maps its failures
 * here, after its own special cases.
 */
export function networkError(err: unknown, where: string, phase?: CallPhase): RemotingError {
  if (err instanceof RemotingError) return phase ? withPhase(err, phase) : err;
  const code = (err as { code?: unknown }).code;
  const msg = errorMessage(err);
  if (isTlsErrorCode(code)) return new SecurityError(`TLS failure with ${where}: ${String(code)}: ${msg}`, { cause: err, phase });
  if (code === "ECONNREFUSED") return new CommunicationError(`cannot connect to ${where}: connection refused`, ErrorCodes.ERR_CONNECTION_REFUSED, { cause: err, phase: "connect" });
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new CommunicationError(`cannot connect to ${where}: ${msg}`, ErrorCodes.ERR_COMMUNICATION, { cause: err, phase: "connect" });
  }
  if (/certificate|ssl|tls/i.test(msg)) return new SecurityError(`TLS failure with ${where}: ${msg}`, { cause: err, phase });
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED" || /socket hang up|premature close/i.test(msg)) {
    return new ConnectionClosedError(`connection to ${where} lost: ${msg}`, { cause: err, phase });
  }
  return new CommunicationError(`cannot talk to ${where}: ${msg}`, ErrorCodes.ERR_COMMUNICATION, { cause: err, phase });
}
