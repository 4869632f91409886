/**
 * The call policies every proxy factory offers, as interceptors in a fixed
 * order, outermost first:
 *
 *   tracing → logging → timeout → the application's interceptors → retry → transport
 *
 * so the trace span and the log line cover the whole call, the deadline
 * covers every attempt, and the application's interceptors run once per call.
 */
import { DEFAULT_CALL_TIMEOUT_MS } from "../deadline.js";
import { timeoutPolicy, type Interceptor } from "../invocation.js";
import { defineProperties, boolean, duration, integer, list, number, anyValue, type PropertySpec } from "../config/properties.js";
import { ConfigError, ErrorCodes } from "../errors.js";
import { loggingPolicy } from "./logging.js";
import { RETRY_DEFAULTS, retryPolicy, type RetryOptions } from "./retry.js";
import { tracingPolicy } from "./tracing.js";

export { retryPolicy, mayRetry, backoffMs, RETRY_DEFAULTS, type RetryOptions } from "./retry.js";
export { loggingPolicy } from "./logging.js";
export { tracingPolicy, traceServerCall, metadataGetter } from "./tracing.js";

export interface CallPolicies {
  /** Time limit of a call with none of its own, in ms (0 or Infinity: none). Default 30000. */
  timeoutMs?: number | undefined;
  /** Retries (off unless attempts > 1). */
  retry?: RetryOptions | undefined;
  /** Log each call at debug level on `remoting.call` (default false). */
  logCalls?: boolean | undefined;
  /** OpenTelemetry client spans and trace-context propagation (default true; a no-op without an SDK). */
  tracing?: boolean | undefined;
  /** The application's own interceptors, outermost first. */
  interceptors?: readonly Interceptor[] | undefined;
}

/** The interceptors of a set of policies, in the documented order. */
export function policyInterceptors(p: CallPolicies): Interceptor[] {
  const out: Interceptor[] = [];
  if (p.tracing ?? true) out.push(tracingPolicy());
  if (p.logCalls) out.push(loggingPolicy());
  out.push(timeoutPolicy(p.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS));
  if (p.interceptors) out.push(...p.interceptors);
  if (p.retry && (p.retry.attempts ?? 1) > 1) out.push(retryPolicy(p.retry));
  return out;
}

function interceptorList(v: unknown, name: string): Interceptor[] {
  const arr = typeof v === "function" ? [v] : Array.isArray(v) ? v : undefined;
  if (!arr || arr.some((f) => typeof f !== "function")) {
    throw new ConfigError(`${name} must be an interceptor function or a list of them: (next) => (invocation) => Promise`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  return arr as Interceptor[];
}

/** The policy properties of every proxy factory (XML names; snake_case spellings work too). */
export const POLICY_PROPERTIES: Readonly<Record<string, PropertySpec<any>>> = Object.freeze({
  timeoutMs: duration("time limit of a call that sets none itself; 0 or none: no limit (values beyond 2^31-1 ms too)", DEFAULT_CALL_TIMEOUT_MS, { aliases: ["timeout"], connection: true }),
  retryAttempts: integer("attempts in all, the first included; 1 = no retry. A call is re-sent only when it cannot have run, or when its method is in idempotentMethods", 1, { min: 1, max: 100 }, { connection: true }),
  retryInitialBackoffMs: duration("backoff before the second attempt", RETRY_DEFAULTS.initialBackoffMs, { allowNone: false, connection: true }),
  retryMaxBackoffMs: duration("longest backoff between attempts", RETRY_DEFAULTS.maxBackoffMs, { allowNone: false, connection: true }),
  retryMultiplier: number("each backoff is this many times the previous one", RETRY_DEFAULTS.multiplier, { min: 1 }, { connection: true }),
  retryJitter: number("fraction of each backoff taken off at random", RETRY_DEFAULTS.jitter, { min: 0, max: 1 }, { connection: true }),
  idempotentMethods: list("methods that may safely run twice: retries and failovers may re-send them even when they may have run", { connection: true }),
  logCalls: boolean("log each call, its outcome and duration at debug level on the remoting.call logger", false, { connection: true }),
  tracing: boolean("OpenTelemetry client spans and W3C trace-context propagation (a no-op unless the application installs an SDK)", true, { connection: true }),
  interceptors: anyValue<Interceptor[]>("the application's interceptors (code only), run once per call inside the timeout", "interceptors", interceptorList, undefined, { connection: true }),
});

/** The properties above, as a factory holds them. */
export interface PolicySettings {
  timeoutMs: number;
  retryAttempts: number;
  retryInitialBackoffMs: number;
  retryMaxBackoffMs: number;
  retryMultiplier: number;
  retryJitter: number;
  idempotentMethods: string[] | undefined;
  logCalls: boolean;
  tracing: boolean;
  interceptors: Interceptor[] | undefined;
}

/** The CallPolicies of an object holding the policy properties. */
export function policiesOf(s: PolicySettings): CallPolicies {
  return {
    timeoutMs: s.timeoutMs,
    logCalls: s.logCalls,
    tracing: s.tracing,
    interceptors: s.interceptors,
    retry:
      s.retryAttempts > 1
        ? {
            attempts: s.retryAttempts,
            initialBackoffMs: s.retryInitialBackoffMs,
            maxBackoffMs: s.retryMaxBackoffMs,
            multiplier: s.retryMultiplier,
            jitter: s.retryJitter,
            idempotentMethods: s.idempotentMethods,
          }
        : undefined,
  };
}

/** Declares the policy properties on a class (the proxy factory base does). */
export function definePolicyProperties(cls: abstract new (...args: never[]) => object): void {
  defineProperties(cls, POLICY_PROPERTIES);
}
