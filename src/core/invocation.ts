/**
 * The transport-agnostic call contract. Every protocol client implements
 * `Invoker`; proxies, pools and interceptors are built around it.
 */

/** Options for one remote call. */
export interface CallOptions {
  /** Fail the call with a TimeoutError after this many milliseconds. */
  timeoutMs?: number | undefined;
  /** Send the call without waiting for (or receiving) a result. */
  oneway?: boolean | undefined;
  /** Abort the wait for the result. */
  signal?: AbortSignal | undefined;
}

export interface Invocation {
  readonly method: string;
  readonly args: readonly unknown[];
  readonly options: CallOptions;
}

export interface Invoker {
  invoke(method: string, args: readonly unknown[], options?: CallOptions): Promise<unknown>;
  /** Releases connections. Calls made after close fail with ERR_CLOSED, or reconnect where the protocol says so. */
  close(): Promise<void>;
}

/** Default timeout of one remote call, in milliseconds, when neither the proxy nor the call sets one. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
