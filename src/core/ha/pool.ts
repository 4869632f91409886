/**
 * A pool of members behind one proxy: the high-availability invoker.
 *
 * Each call goes to one healthy member, chosen by the balancing policy:
 * round-robin (default), random, or least-pending (the less busy of two
 * members picked at random, "power of two choices").
 *
 * A member that fails at transport level (a CommunicationError or a TLS
 * failure, never a remote error) is ejected; it is pinged in the
 * background, after a backoff that doubles with each ejection (up to a
 * maximum), and re-admitted when a ping succeeds. The failed call moves on
 * to another member only when it cannot have run (nothing was sent), or
 * when it is idempotent (the call, or its method listed as idempotent);
 * otherwise its error is the caller's. Every attempt counts against the
 * call's one deadline.
 *
 * When no member can take a call, it fails at once with
 * NoMemberAvailableError, which names every member and its last failure.
 *
 * Members can be added and removed at run time (a discovery source does so
 * as the name server or NATS sees services come and go); a removed member
 * finishes its calls in flight, then its client is closed.
 */
import { CommunicationError, ErrorCodes, RemoteInvocationError, SecurityError, branded, errorMessage, requestMayHaveRun, type CallPhase } from "../errors.js";
import { getLogger } from "../logging.js";
import { newInvocation, type Invocation, type Invoker } from "../invocation.js";
import { MAX_TIMER_MS, remaining } from "../deadline.js";

const log = getLogger("remoting.ha");

export type BalancePolicy = "round-robin" | "random" | "least-pending";
export const BALANCE_POLICIES: readonly BalancePolicy[] = ["round-robin", "random", "least-pending"];

export interface MemberStats {
  readonly id: string;
  readonly state: "healthy" | "ejected";
  readonly calls: number;
  readonly failures: number;
  readonly ejections: number;
  readonly pending: number;
  readonly lastFailure: string | undefined;
}

/** One member: a raw invoker (no policies of its own) and its counters. */
class Member {
  state: "healthy" | "ejected" = "healthy";
  calls = 0;
  failures = 0;
  ejections = 0;
  pending = 0;
  lastFailure: unknown = undefined;
  removed = false;
  timer: NodeJS.Timeout | undefined = undefined;
  constructor(
    readonly id: string,
    readonly invoker: Invoker,
    /** Whether the pool made (and so closes) this invoker. */
    readonly owned: boolean,
  ) {}

  stats(): MemberStats {
    return {
      id: this.id,
      state: this.state,
      calls: this.calls,
      failures: this.failures,
      ejections: this.ejections,
      pending: this.pending,
      lastFailure: this.lastFailure === undefined ? undefined : errorMessage(this.lastFailure),
    };
  }
}

/** No member could take a call: every member is named with its last failure. */
export class NoMemberAvailableError extends CommunicationError {
  readonly members: readonly MemberStats[];
  constructor(service: string, members: readonly MemberStats[], phase: CallPhase, cause?: unknown) {
    const list = members.length === 0 ? "the pool has no members" : members.map((m) => `${m.id} (${m.state}${m.lastFailure ? `: ${m.lastFailure}` : ""})`).join("; ");
    super(`no member of ${service} can take the call: ${list}`, ErrorCodes.ERR_NO_MEMBER_AVAILABLE, { phase, cause });
    this.members = members;
  }
}
branded(NoMemberAvailableError, "NoMemberAvailableError");

export interface PoolOptions {
  /** How a call picks a member (default round-robin). */
  policy?: BalancePolicy | undefined;
  /** Methods that may run twice: a call to one fails over even when it may have run. */
  idempotentMethods?: Iterable<string> | undefined;
  /** First backoff before pinging an ejected member, in ms (default 1000); doubles per ejection in a row. */
  ejectBaseMs?: number | undefined;
  /** Longest backoff between pings of an ejected member, in ms (default 15000). */
  ejectMaxMs?: number | undefined;
  /** Time limit of a health ping, in ms (default 2000). */
  pingTimeoutMs?: number | undefined;
  /** How the pool names itself in messages. */
  name?: string | undefined;
  /** The protocol name for invocations of pings. */
  protocol?: string | undefined;
}

/** Whether a failure is the member's link (eject it), as opposed to the call's own (a remote error). */
function isTransportFailure(err: unknown): boolean {
  return err instanceof CommunicationError || err instanceof SecurityError;
}

const NONE_TRIED: ReadonlySet<Member> = new Set();

export class MemberPool implements Invoker {
  private readonly byId = new Map<string, Member>();
  private healthy: Member[] = [];
  private next = 0;
  private closed = false;
  private readonly policy: BalancePolicy;
  private readonly idempotent: ReadonlySet<string>;
  private readonly ejectBaseMs: number;
  private readonly ejectMaxMs: number;
  private readonly pingTimeoutMs: number;
  readonly name: string;
  private readonly protocol: string;

  constructor(options: PoolOptions = {}) {
    this.policy = options.policy ?? "round-robin";
    this.idempotent = new Set(options.idempotentMethods ?? []);
    this.ejectBaseMs = options.ejectBaseMs ?? 1000;
    this.ejectMaxMs = options.ejectMaxMs ?? 15_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2000;
    this.name = options.name ?? "the pool";
    this.protocol = options.protocol ?? "ha";
  }

  /** Adds a member (a no-op when the id is there). `owned`: the pool closes the invoker when the member goes. */
  add(id: string, invoker: Invoker, owned = true): void {
    if (this.byId.has(id) || this.closed) {
      if (owned && !this.byId.has(id)) void invoker.close().catch(() => undefined);
      return;
    }
    const m = new Member(id, invoker, owned);
    this.byId.set(id, m);
    this.healthy.push(m);
    log.debug("%s: member %s added", this.name, id);
  }

  /** Removes a member: no new calls; its calls in flight finish; then its client closes. */
  remove(id: string): boolean {
    const m = this.byId.get(id);
    if (!m) return false;
    this.byId.delete(id);
    m.removed = true;
    if (m.timer) clearTimeout(m.timer);
    this.dropHealthy(m);
    log.debug("%s: member %s removed", this.name, id);
    this.closeWhenIdle(m);
    return true;
  }

  private closeWhenIdle(m: Member): void {
    if (!m.owned) return;
    if (m.pending === 0) void m.invoker.close().catch(() => undefined);
  }

  /** The ids of the members, healthy or not. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Per-member counters. */
  stats(): MemberStats[] {
    return [...this.byId.values()].map((m) => m.stats());
  }

  private pick(exclude: ReadonlySet<Member>): Member | undefined {
    const h = this.healthy;
    const n = h.length;
    if (n === 0) return undefined;
    if (exclude.size === 0) {
      switch (this.policy) {
        case "round-robin": {
          const m = h[this.next % n]!;
          this.next = (this.next + 1) % n;
          return m;
        }
        case "random":
          return h[Math.floor(Math.random() * n)];
        case "least-pending": {
          if (n === 1) return h[0];
          const a = h[Math.floor(Math.random() * n)]!;
          let b = h[Math.floor(Math.random() * (n - 1))]!;
          if (b === a) b = h[n - 1]!;
          return b.pending < a.pending ? b : a;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const m = h[(this.next + i) % n]!;
      if (!exclude.has(m)) {
        this.next = (this.next + i + 1) % n;
        return m;
      }
    }
    return undefined;
  }

  /**
   * Sends the call to a member; on a transport failure that allows it, to
   * another, until one answers or none is left. The first attempt costs one
   * promise reaction (no async frame, no set of tried members): failover is
   * the rare case.
   */
  dispatch(inv: Invocation): Promise<unknown> {
    const m = this.pick(NONE_TRIED);
    if (m === undefined) return Promise.reject(new NoMemberAvailableError(this.name, this.stats(), "connect"));
    return this.attempt(m, inv).then(
      (v) => {
        this.settled(m);
        return v;
      },
      (err: unknown) => {
        this.settled(m);
        return this.failover(inv, m, err);
      },
    );
  }

  /** One attempt on a member, counted (a synchronous throw becomes a rejection). */
  private attempt(m: Member, inv: Invocation): Promise<unknown> {
    m.calls++;
    m.pending++;
    try {
      return m.invoker.dispatch(inv);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private settled(m: Member): void {
    m.pending--;
    if (m.removed) this.closeWhenIdle(m);
  }

  /**
   * After member `failed` gave `err`: the error is the caller's (a remote
   * error; a call that may have run and is not idempotent; no time left),
   * or the call moves on to the next member not tried yet.
   */
  private async failover(inv: Invocation, failed: Member, err: unknown): Promise<unknown> {
    const tried = new Set<Member>([failed]);
    let m = failed;
    let last = err;
    let mayHaveRun = false;
    for (;;) {
      if (!isTransportFailure(last) || last instanceof RemoteInvocationError) throw last;
      m.failures++;
      m.lastFailure = last;
      this.eject(m, last);
      const ran = requestMayHaveRun(last);
      mayHaveRun ||= ran;
      if (ran && !inv.idempotent && !this.idempotent.has(inv.method)) throw last;
      if (remaining(inv.deadline) <= 0 || inv.signal?.aborted) throw last;
      inv.attempt++;
      log.debug("%s: %s failed (%s); trying another member", this.name, m.id, errorMessage(last));
      const next = this.pick(tried);
      if (next === undefined) throw new NoMemberAvailableError(this.name, this.stats(), mayHaveRun ? "reply" : "connect", last);
      m = next;
      tried.add(m);
      try {
        return await this.attempt(m, inv);
      } catch (e) {
        last = e;
      } finally {
        this.settled(m);
      }
    }
  }

  private eject(m: Member, err: unknown): void {
    if (m.state === "ejected" || m.removed) return;
    m.state = "ejected";
    m.ejections++;
    this.dropHealthy(m);
    log.warn("%s: member %s ejected after a failure: %s", this.name, m.id, errorMessage(err));
    this.schedulePing(m, 1);
  }

  /** Takes a member out of the rotation, keeping the round-robin position on the member that was next. */
  private dropHealthy(m: Member): void {
    const i = this.healthy.indexOf(m);
    if (i < 0) return;
    this.healthy.splice(i, 1);
    if (i < this.next) this.next--;
    if (this.next >= this.healthy.length) this.next = 0;
  }

  private schedulePing(m: Member, round: number): void {
    if (this.closed || m.removed) return;
    const base = Math.min(this.ejectMaxMs, this.ejectBaseMs * 2 ** Math.min(30, m.ejections - 1 + (round - 1)));
    const delay = Math.min(MAX_TIMER_MS, base * (0.8 + Math.random() * 0.2));
    m.timer = setTimeout(() => {
      m.timer = undefined;
      void this.ping(m).then(
        () => this.readmit(m),
        (err: unknown) => {
          m.lastFailure = err;
          this.schedulePing(m, round + 1);
        },
      );
    }, delay);
    m.timer.unref();
  }

  /**
   * A health ping: an invocation of kind "ping" (a protocol with a ping of
   * its own sends it; others send it as a call of "<ping>"). Only a failure
   * of the link counts: a remote error, or a refusal of the ping itself,
   * comes from a server that is up.
   */
  private ping(m: Member): Promise<unknown> {
    const inv = newInvocation(this.protocol, m.id, "<ping>", [], { timeoutMs: this.pingTimeoutMs }, "ping");
    return m.invoker.dispatch(inv).catch((err: unknown) => {
      if (isTransportFailure(err)) throw err;
      return null;
    });
  }

  private readmit(m: Member): void {
    if (this.closed || m.removed || m.state === "healthy") return;
    m.state = "healthy";
    this.healthy.push(m);
    log.warn("%s: member %s re-admitted", this.name, m.id);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.byId.values()];
    this.byId.clear();
    this.healthy = [];
    for (const m of all) if (m.timer) clearTimeout(m.timer);
    await Promise.all(all.filter((m) => m.owned).map((m) => m.invoker.close().catch(() => undefined)));
  }
}
