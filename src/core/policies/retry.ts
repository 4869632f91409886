/**
 * The retry policy: a failed call is sent again, with exponential backoff and
 * jitter, while its deadline allows, but only when that is safe:
 *
 * - the failure is the link's (a CommunicationError: refused, reset, closed),
 *   never a remote error, a security refusal or a time-out (the deadline is
 *   spent);
 * - and the call cannot have run (the error's phase is `connect`: nothing
 *   was sent), unless the call or its method is marked idempotent.
 *
 * Every attempt counts against the same deadline (set by the timeout policy
 * outside this one); a backoff that would pass the deadline gives up with the
 * last error.
 */
import { CommunicationError, TimeoutError, requestMayHaveRun } from "../errors.js";
import { getLogger } from "../logging.js";
import { remaining, sleepUntil } from "../deadline.js";
import type { Interceptor, Invocation } from "../invocation.js";

const log = getLogger("remoting.retry");

export interface RetryOptions {
  /** Attempts in all, the first included (default 3; 1 = no retry). */
  attempts?: number | undefined;
  /** Backoff before the second attempt, in ms (default 100). */
  initialBackoffMs?: number | undefined;
  /** Longest backoff, in ms (default 5000). */
  maxBackoffMs?: number | undefined;
  /** Each backoff is this many times the previous one (default 2). */
  multiplier?: number | undefined;
  /** Fraction of each backoff taken off at random, 0..1 (default 0.2), so that clients do not retry in step. */
  jitter?: number | undefined;
  /** Methods that may safely run twice: re-sent even when they may have run. */
  idempotentMethods?: Iterable<string> | undefined;
}

export const RETRY_DEFAULTS = Object.freeze({ attempts: 3, initialBackoffMs: 100, maxBackoffMs: 5000, multiplier: 2, jitter: 0.2 });

/** Whether an invocation that failed with `err` may be sent again. */
export function mayRetry(inv: Invocation, err: unknown, idempotent: ReadonlySet<string>): boolean {
  if (!(err instanceof CommunicationError) || err instanceof TimeoutError) return false;
  if (inv.kind === "stream") return false;
  return !requestMayHaveRun(err) || inv.idempotent || idempotent.has(inv.method);
}

/** The backoff before attempt `n + 1` (after `n` attempts). */
export function backoffMs(n: number, o: Required<Omit<RetryOptions, "idempotentMethods">>, random: () => number = Math.random): number {
  const base = Math.min(o.maxBackoffMs, o.initialBackoffMs * o.multiplier ** (n - 1));
  return Math.max(0, base * (1 - o.jitter * random()));
}

export function retryPolicy(options: RetryOptions = {}): Interceptor {
  const o = {
    attempts: Math.max(1, Math.floor(options.attempts ?? RETRY_DEFAULTS.attempts)),
    initialBackoffMs: options.initialBackoffMs ?? RETRY_DEFAULTS.initialBackoffMs,
    maxBackoffMs: options.maxBackoffMs ?? RETRY_DEFAULTS.maxBackoffMs,
    multiplier: options.multiplier ?? RETRY_DEFAULTS.multiplier,
    jitter: Math.min(1, Math.max(0, options.jitter ?? RETRY_DEFAULTS.jitter)),
  };
  const idempotent = new Set(options.idempotentMethods ?? []);
  if (o.attempts === 1) return (next) => next;
  return (next) => async (inv) => {
    for (;;) {
      try {
        return await next(inv);
      } catch (err) {
        if (inv.attempt >= o.attempts || !mayRetry(inv, err, idempotent)) throw err;
        const wait = backoffMs(inv.attempt, o);
        if (remaining(inv.deadline) <= wait) throw err;
        log.debug("retrying %s.%s (attempt %d of %d) in %d ms after: %s", inv.service, inv.method, inv.attempt + 1, o.attempts, Math.round(wait), (err as Error).message);
        try {
          await sleepUntil(wait, inv.deadline, inv.signal, `retry of '${inv.method}'`, inv.timeoutMs);
        } catch {
          throw err;
        }
        inv.attempt++;
      }
    }
  };
}
