/**
 * The client call path, shared by every protocol.
 *
 * A call is an `Invocation`: what to call (service, method, arguments,
 * keyword arguments), until when (an absolute deadline), how (oneway,
 * idempotent, an abort signal), which attempt, and metadata that travels
 * with it (trace context, correlation ids: Pyro annotations, HTTP headers,
 * NATS headers).
 *
 * An `Invoker` is the bottom of the stack: a transport that sends one
 * invocation as it is, honouring its deadline, signal and oneway flag, and
 * applying no policy. `Interceptor`s wrap it (`compose`), the way undici's
 * interceptors wrap a dispatch: timeout, retry, logging, tracing, failover.
 * A `Client` is a transport with its stack: its `invoke()` and every other
 * entry point of the protocol (attributes, batches, pings, streams) run
 * through `this.call`.
 */
import { ErrorCodes, RemotingError } from "./errors.js";
import { DEFAULT_CALL_TIMEOUT_MS, deadlineAfter } from "./deadline.js";

export { DEFAULT_CALL_TIMEOUT_MS } from "./deadline.js";

/** Options for one remote call. */
export interface CallOptions {
  /** Time limit of this call in ms (replaces the proxy's); 0, Infinity or beyond 2^31−1 ms: none. */
  timeoutMs?: number | undefined;
  /** An absolute deadline (`Date.now()` ms); wins over timeoutMs. */
  deadline?: number | undefined;
  /** Send the call without waiting for (or receiving) a result. */
  oneway?: boolean | undefined;
  /** Abort the call: it fails at once with ERR_ABORTED (the signal's reason as cause). */
  signal?: AbortSignal | undefined;
  /** Keyword arguments (Python services over Pyro); protocols without them refuse with ERR_NOT_SUPPORTED. */
  kwargs?: Readonly<Record<string, unknown>> | undefined;
  /** This call may safely run twice: a retry or failover may re-send it even when it may have run. */
  idempotent?: boolean | undefined;
  /** Extra metadata sent with the call (headers, annotations). */
  metadata?: Readonly<Record<string, string>> | undefined;
}

/** What an invocation asks for: a method call, or a protocol operation that is not a method. */
export type InvocationKind = "call" | "getattr" | "setattr" | "batch" | "ping" | "stream";

export interface Invocation {
  /** The protocol's name ("pyro4", "hessian", "xmlrpc", "nats"), for logs and traces. */
  readonly protocol: string;
  /** The service as the client addresses it (its URL or name), for messages, logs and traces. */
  service: string;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>> | undefined;
  readonly kind: InvocationKind;
  /** Protocol detail: another object on the same server (Pyro's `Pyro.Daemon`), batch contents, ... */
  readonly target?: string | undefined;
  /** Absolute deadline (`Date.now()` ms); Infinity: none. Interceptors may only bring it closer. */
  deadline: number;
  /** The time limit the deadline came from, for messages; undefined until a timeout applies. */
  timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  oneway: boolean;
  idempotent: boolean;
  /** 1 for the first attempt; retries and failovers count up. */
  attempt: number;
  /** Metadata to send with the call; undefined when there is none (the common case costs nothing). */
  metadata: Record<string, string> | undefined;
}

export type Invoke = (inv: Invocation) => Promise<unknown>;

/** Wraps the next step of the stack: `(next) => (inv) => ...next(inv)...`. */
export type Interceptor = (next: Invoke) => Invoke;

/** The bottom of a client stack: a transport, or a pool of them. */
export interface Invoker {
  /** Sends one invocation as it is: honours its deadline, signal and oneway flag; applies no policy. */
  dispatch(inv: Invocation): Promise<unknown>;
  /** Releases connections. A later dispatch reconnects where the protocol does so, else fails with ERR_CLOSED. */
  close(): Promise<void>;
}

/**
 * Builds a stack: `compose(invoke, a, b)` calls `a`, which calls `b`, which
 * calls `invoke`. The first interceptor is the outermost.
 */
export function compose(invoke: Invoke, ...interceptors: ReadonlyArray<Interceptor | undefined>): Invoke {
  let next = invoke;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const ic = interceptors[i];
    if (ic) next = ic(next);
  }
  return next;
}

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** The invocation of a call made with `options` (its deadline set when the options give one). */
export function newInvocation(
  protocol: string,
  service: string,
  method: string,
  args: readonly unknown[] | undefined,
  options: CallOptions | undefined,
  kind: InvocationKind = "call",
  target?: string,
): Invocation {
  let deadline = Infinity;
  let timeoutMs: number | undefined;
  if (options !== undefined) {
    if (options.deadline !== undefined) {
      if (typeof options.deadline !== "number" || Number.isNaN(options.deadline)) {
        throw new RemotingError(`deadline must be a Date.now() value, not '${String(options.deadline)}'`, ErrorCodes.ERR_INVALID_ARGUMENT);
      }
      deadline = options.deadline;
      timeoutMs = options.timeoutMs;
    } else if (options.timeoutMs !== undefined) {
      timeoutMs = options.timeoutMs;
      deadline = deadlineAfter(options.timeoutMs);
    }
  }
  return {
    protocol,
    service,
    method,
    args: args ?? NO_ARGS,
    kwargs: options?.kwargs,
    kind,
    target,
    deadline,
    timeoutMs,
    signal: options?.signal,
    oneway: options?.oneway === true,
    idempotent: options?.idempotent === true,
    attempt: 1,
    metadata: options?.metadata !== undefined ? { ...options.metadata } : undefined,
  };
}

/**
 * The timeout policy: an invocation that has no time limit yet (none given
 * with the call, none set by an outer policy) gets `timeoutMs` (0, Infinity
 * or beyond 2^31−1 ms: none). Outermost wins, so a proxy factory's timeout
 * covers every attempt of a retry or failover inside it.
 */
export function timeoutPolicy(timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS): Interceptor {
  deadlineAfter(timeoutMs); // refuses a bad value now, not at the first call
  return (next) => (inv) => {
    if (inv.timeoutMs === undefined && inv.deadline === Infinity) {
      inv.timeoutMs = timeoutMs;
      inv.deadline = deadlineAfter(timeoutMs);
    }
    return next(inv);
  };
}

/** Adds metadata to an invocation (creating the record on first use). */
export function setMetadata(inv: Invocation, key: string, value: string): void {
  (inv.metadata ??= {})[key] = value;
}

/** Refuses an invocation a protocol cannot carry (keyword arguments, oneway), with ERR_NOT_SUPPORTED. */
export function notSupported(protocol: string, what: string): RemotingError {
  return new RemotingError(`${protocol} does not support ${what}`, ErrorCodes.ERR_NOT_SUPPORTED);
}

export interface ClientOptions {
  /** Time limit of a call with none of its own, in ms (default 30000; 0 = none). */
  timeoutMs?: number | undefined;
  /** Interceptors around the transport, outermost first (a proxy factory passes its policies here). */
  interceptors?: readonly Interceptor[] | undefined;
}

/**
 * A protocol client: a transport (`dispatch`) with its stack. Every entry
 * point goes through `call`: the interceptors given, then the client's own
 * timeout policy (which only applies when no outer policy set a limit).
 */
export abstract class Client implements Invoker {
  /** The stack: interceptors, the timeout policy, then `dispatch`. */
  protected readonly call: Invoke;
  readonly timeoutMs: number;

  constructor(options: ClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.call = compose((inv) => this.dispatch(inv), ...(options.interceptors ?? []), timeoutPolicy(this.timeoutMs));
  }

  /** The protocol's name in invocations ("pyro4", "hessian", "xmlrpc", ...). */
  abstract get protocol(): string;
  /** How invocations name the service (its URL). */
  abstract get service(): string;

  abstract dispatch(inv: Invocation): Promise<unknown>;
  abstract close(): Promise<void>;

  /** Calls a remote method through the stack. */
  invoke(method: string, args?: readonly unknown[], options?: CallOptions): Promise<unknown> {
    let inv: Invocation;
    try {
      inv = newInvocation(this.protocol, this.service, method, args, options);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.call(inv);
  }

  /** Runs a protocol operation (attribute, batch, ping, stream step) through the stack. */
  protected run(kind: InvocationKind, method: string, args: readonly unknown[], options: CallOptions | undefined, target?: string): Promise<unknown> {
    let inv: Invocation;
    try {
      inv = newInvocation(this.protocol, this.service, method, args, options, kind, target);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.call(inv);
  }
}
