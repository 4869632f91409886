/**
 * Deadlines and cancellation, once for every protocol.
 *
 * A call's time limit is turned into an absolute deadline (a `Date.now()`
 * value) once, when the call starts; everything after (connecting, waiting
 * for a slot, each attempt of a retry or a failover) measures against that
 * same deadline. `Infinity` means no deadline.
 *
 * Timeouts: a positive number of milliseconds. `0`, `Infinity` and any value
 * beyond the range of Node's timers (2^31−1 ms, about 24.8 days; Node would
 * clamp it to 1 ms) mean "no timeout". Negative or non-numeric values are
 * refused.
 *
 * `DeadlineQueue` is the one timer scheme: many calls, one timer armed for
 * the earliest deadline, re-armed when it fires. Far deadlines are reached in
 * steps of at most 2^31−1 ms.
 */
import { ErrorCodes, RemotingError, TimeoutError, type CallPhase } from "./errors.js";

/** The largest delay Node's timers take (2^31−1 ms); larger ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Default time limit of one remote call, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** Whether a timeout value means "no timeout" (0, Infinity, or beyond the timer range). */
export function isNoTimeout(timeoutMs: number): boolean {
  return timeoutMs === 0 || timeoutMs > MAX_TIMER_MS;
}

/**
 * The absolute deadline of a call that starts now and may take `timeoutMs`
 * (`Infinity` for no timeout). Throws ERR_INVALID_ARGUMENT for a negative or
 * non-numeric value.
 */
export function deadlineAfter(timeoutMs: number, now = Date.now()): number {
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new RemotingError(`a timeout must be a number of milliseconds >= 0, not '${String(timeoutMs)}'`, ErrorCodes.ERR_INVALID_ARGUMENT);
  }
  return isNoTimeout(timeoutMs) ? Infinity : now + timeoutMs;
}

/** Milliseconds left before `deadline` (never negative; Infinity for none). */
export function remaining(deadline: number, now = Date.now()): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - now);
}

/** The time limit a deadline stands for, for messages: the caller's timeout when known. */
function describeLimit(timeoutMs: number | undefined): string {
  return timeoutMs !== undefined && Number.isFinite(timeoutMs) ? ` after ${timeoutMs} ms` : "";
}

/** The one error of a call past its deadline. */
export function timeoutError(what: string, timeoutMs: number | undefined, phase: CallPhase): TimeoutError {
  return new TimeoutError(`${what} timed out${describeLimit(timeoutMs)}`, timeoutMs, { phase });
}

/**
 * The one error of an aborted call: code ERR_ABORTED, the signal's reason as
 * `cause`. `phase` says how far the call got (see requestMayHaveRun).
 */
export function abortError(signal: AbortSignal | undefined, what: string, phase?: CallPhase): RemotingError {
  const err = new RemotingError(`${what} aborted`, ErrorCodes.ERR_ABORTED, { cause: signal?.reason });
  if (phase) (err as RemotingError & { phase?: CallPhase }).phase = phase;
  return err;
}

/** Something a DeadlineQueue watches. */
export interface Expiring {
  /** Absolute deadline (`Date.now()` value); Infinity: never expires. */
  readonly deadline: number;
}

function onTimer<T extends Expiring>(q: DeadlineQueue<T>): void {
  q.check();
}

/**
 * Watches the deadlines of many items with one timer (per connection or per
 * client). `add` costs a comparison unless the new item is the earliest; the
 * timer scans the items when it fires, expires those past their deadline
 * (removing them first) and re-arms for the earliest one left.
 */
export class DeadlineQueue<T extends Expiring> {
  private readonly items = new Set<T>();
  private timer: NodeJS.Timeout | undefined = undefined;
  private timerAt = Infinity;

  constructor(
    private readonly onExpire: (item: T) => void,
    /** Keep the process alive while an item waits (default false: a pending call alone does not hold the process open). */
    private readonly ref = false,
  ) {}

  get size(): number {
    return this.items.size;
  }

  add(item: T): void {
    this.items.add(item);
    if (item.deadline < this.timerAt) this.arm(item.deadline);
  }

  delete(item: T): void {
    this.items.delete(item);
    // An unref'd timer stays armed when the queue empties: it holds nothing open, finds nothing to expire when
    // it fires, and spares sequential calls a new timer each (setTimeout + clearTimeout per call). A ref'd one
    // is cleared, so that it does not keep the process alive.
    if (this.ref && this.items.size === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
    }
  }

  has(item: T): boolean {
    return this.items.has(item);
  }

  /** Stops watching everything (e.g. when the connection died). */
  clear(): void {
    this.items.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(1, at - Date.now()));
    this.timer = setTimeout(onTimer, delay, this);
    if (!this.ref) this.timer.unref();
  }

  /** @internal The timer fired: expires what is due, re-arms for the rest. */
  check(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    const due: T[] = [];
    for (const item of this.items) {
      if (item.deadline <= now) due.push(item);
      else if (item.deadline < next) next = item.deadline;
    }
    // in deadline order, also when a late timer finds several due at once
    if (due.length > 1) due.sort((x, y) => x.deadline - y.deadline);
    for (const item of due) {
      this.items.delete(item);
      this.onExpire(item);
    }
    if (next < this.timerAt && this.items.size > 0) this.arm(next);
  }
}

/**
 * Runs `p` until `deadline` or until `signal` aborts, whichever comes first
 * (for waits outside a connection's own queue: connecting, waiting for a
 * slot, a backoff sleep). `onGiveUp` runs when the wait is abandoned.
 */
export function raceDeadline<T>(
  p: Promise<T>,
  deadline: number,
  signal: AbortSignal | undefined,
  what: string,
  timeoutMs: number | undefined,
  phase: CallPhase,
): Promise<T> {
  if (deadline === Infinity && signal === undefined) return p;
  if (signal?.aborted) return Promise.reject(abortError(signal, what, phase));
  const left = remaining(deadline);
  if (left <= 0) return Promise.reject(timeoutError(what, timeoutMs, phase));
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(abortError(signal, what, phase));
    };
    if (left !== Infinity) {
      const step = (): void => {
        const l = remaining(deadline);
        if (l <= 0) {
          done();
          reject(timeoutError(what, timeoutMs, phase));
        } else timer = setTimeout(step, Math.min(MAX_TIMER_MS, l));
      };
      timer = setTimeout(step, Math.min(MAX_TIMER_MS, left));
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(e);
      },
    );
  });
}

/** Waits `ms` (a backoff), or less when the deadline or an abort comes first; rejects in those cases. */
export function sleepUntil(ms: number, deadline: number, signal: AbortSignal | undefined, what: string, timeoutMs: number | undefined): Promise<void> {
  if (remaining(deadline) <= ms) return Promise.reject(timeoutError(what, timeoutMs, "connect"));
  let t: NodeJS.Timeout | undefined;
  const sleep = new Promise<void>((resolve) => {
    t = setTimeout(resolve, Math.min(MAX_TIMER_MS, ms));
  });
  return raceDeadline(sleep, deadline, signal, what, timeoutMs, "connect").finally(() => clearTimeout(t));
}
