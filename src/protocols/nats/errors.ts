/**
 * Errors over NATS, both ways.
 *
 * A handler error goes back as the NATS service API (micro) says, with the
 * headers `Nats-Service-Error` (the message) and `Nats-Service-Error-Code`
 * (an HTTP-like status: 400 bad call, 404 no such method, 408 deadline
 * passed, 413 request too large, 500 the method threw), plus ours:
 * `remoting-error-type` (the error's type: its `pythonType`, else its
 * `name`) and `remoting-error-code` (the library's code, e.g. ERR_ARITY).
 * The payload is the exception as the Pyro4 codecs write it (class, args,
 * attributes), in the call's codec, so a client rebuilds the same
 * RemoteInvocationError a Pyro client would, with the type named by the
 * server.
 *
 * The client side maps the official client's failures onto the error
 * hierarchy, with the phase of the call (core/errors).
 */
import { errors as natsErrors } from "@nats-io/transport-node";
import {
  CommunicationError,
  ConnectionClosedError,
  ErrorCodes,
  RemoteInvocationError,
  RemotingError,
  SecurityError,
  errorMessage,
  isTlsErrorCode,
  networkError,
  type CallPhase,
  errorField,
} from "../../core/errors.js";
import { ServiceError } from "../../core/server/exposure.js";
import { errorToPyro, pyroToError, pythonExceptionName } from "../../codecs/python/index.js";

export const SERVICE_ERROR_HEADER = "Nats-Service-Error";
export const SERVICE_ERROR_CODE_HEADER = "Nats-Service-Error-Code";
export const ERROR_TYPE_HEADER = "remoting-error-type";
export const ERROR_CODE_HEADER = "remoting-error-code";

/** The micro status code of an error thrown while serving a call. */
export function statusOf(err: unknown): number {
  if (err instanceof ServiceError) {
    switch (err.reason) {
      case "arity":
      case "keyword":
        return 400;
      case "deadline":
        return 408;
      default:
        return 404;
    }
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === ErrorCodes.ERR_MESSAGE_TOO_LARGE) return 413;
  if (code === ErrorCodes.ERR_SERIALIZATION || code === ErrorCodes.ERR_LIMIT_EXCEEDED || code === ErrorCodes.ERR_NOT_SUPPORTED) return 400;
  return 500;
}


/**
 * The exception dict of an error, its class being the error's own type: the
 * Pyro4 mapping (builtins.ValueError, ...) when the type is one Python
 * knows, else `pythonType` or `name` as given (`InsufficientFunds`,
 * `myapp.errors.Refused`), never a generic Exception when the error says
 * what it is.
 */
export function errorDict(err: unknown): Record<string, unknown> {
  const dict = errorToPyro(err, []);
  const pythonType = errorField(err, "pythonType");
  const name = errorField(err, "name");
  const own = typeof pythonType === "string" && pythonType !== "" ? pythonType : typeof name === "string" && name !== "" && name !== "Error" ? name : undefined;
  if (own !== undefined && pythonExceptionName(own) === undefined && !(err instanceof ServiceError) && /^[A-Za-z_][\w.]*$/.test(own)) dict["__class__"] = own;
  return dict;
}

/** A header value: one line, at most 1000 characters. */
export function headerText(s: string): string {
  const one = s.replace(/[\r\n]+/g, " ");
  return one.length > 1000 ? `${one.slice(0, 997)}...` : one;
}

/** The RemoteInvocationError of an error reply: from its payload (an exception dict), else from its headers. */
export function remoteErrorOf(decoded: unknown, headers: { get(k: string): string } | undefined): RemoteInvocationError {
  const status = headers?.get(SERVICE_ERROR_CODE_HEADER);
  const code = status !== undefined && status !== "" && /^\d+$/.test(status) ? Number(status) : status || undefined;
  if (decoded !== undefined && decoded !== null && typeof decoded === "object" && "__class__" in (decoded as object)) {
    const e = pyroToError(decoded);
    return new RemoteInvocationError({ remoteType: e.remoteType, remoteMessage: e.remoteMessage, remoteTraceback: e.remoteTraceback, remoteCode: code, detail: e.detail });
  }
  const type = headers?.get(ERROR_TYPE_HEADER) || "NatsServiceError";
  const message = headers?.get(SERVICE_ERROR_HEADER) ?? "";
  return new RemoteInvocationError({ remoteType: type.replace(/^(builtins|exceptions)\./, ""), remoteMessage: message, remoteCode: code, detail: undefined });
}

/** Whether an error of the official client is an authentication or permission refusal. */
function isAuthError(err: unknown): boolean {
  return err instanceof natsErrors.AuthorizationError || err instanceof natsErrors.UserAuthenticationExpiredError || err instanceof natsErrors.PermissionViolationError || /authori[sz]ation|authentication/i.test(errorMessage(err));
}

/**
 * A failure to connect over TLS where the server dropped the connection
 * during the handshake: a TLS 1.3 server that refuses this client's
 * certificate (or its lack of one) does so after the client's side of the
 * handshake is done, and the client may see a reset instead of the alert.
 * A security refusal, not a lost link (as the Pyro4 proxy reads it).
 */
export function connectError(err: unknown, where: string, usesTls: boolean): RemotingError {
  const mapped = natsError(err, where, "connect");
  if (usesTls && mapped instanceof ConnectionClosedError) {
    return new SecurityError(`the connection to the NATS server at ${where} was dropped during the TLS handshake: the server may have refused this client (its certificate)`, { cause: err, phase: "connect" });
  }
  return mapped;
}

/**
 * A failure of the official client (connecting, publishing, a lost
 * connection) as the error hierarchy sees it, with the phase the caller
 * knows.
 */
export function natsError(err: unknown, where: string, phase: CallPhase): RemotingError {
  if (err instanceof RemotingError) return err;
  if (isAuthError(err)) return new SecurityError(`the NATS server at ${where} refused the credentials: ${errorMessage(err)}`, { cause: err, phase });
  const cause = (err as { cause?: unknown } | null)?.cause;
  const code = (err as { code?: unknown } | null)?.code ?? (cause as { code?: unknown } | null | undefined)?.code;
  if (isTlsErrorCode(code)) return new SecurityError(`TLS failure with the NATS server at ${where}: ${String(code)}: ${errorMessage(err)}`, { cause: err, phase });
  const msg = errorMessage(err);
  if (/tls|ssl|certificate/i.test(msg)) return new SecurityError(`TLS failure with the NATS server at ${where}: ${msg}`, { cause: err, phase });
  if (err instanceof natsErrors.ConnectionError && /refused/i.test(msg)) {
    return new CommunicationError(`cannot connect to the NATS server at ${where}: connection refused`, ErrorCodes.ERR_CONNECTION_REFUSED, { cause: err, phase: "connect" });
  }
  if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError) {
    return new ConnectionClosedError(`the connection to the NATS server at ${where} is closed`, { cause: err, phase });
  }
  if (err instanceof natsErrors.TimeoutError) return new CommunicationError(`cannot connect to the NATS server at ${where}: timed out`, ErrorCodes.ERR_COMMUNICATION, { cause: err, phase: "connect" });
  if (err instanceof Error && typeof code === "string") return networkError(err, `the NATS server at ${where}`, phase);
  return new CommunicationError(`NATS failure with ${where}: ${msg}`, ErrorCodes.ERR_COMMUNICATION, { cause: err, phase });
}
