/**
 * Instance modes of served classes (every protocol), as Pyro4's
 * `@Pyro4.behavior(instance_mode=..., instance_creator=...)`:
 *
 * - `"single"`: one instance for every client, created on first use;
 * - `"session"` (the default for a class): one instance per client connection
 *   (a Pyro connection, an HTTP keep-alive connection, a NATS client),
 *   created on that connection's first call and dropped when it closes;
 * - `"percall"`: a new instance for every call.
 *
 * Instances are made with `new cls()`, or by the registration's
 * `instanceCreator(cls)`, which may be async and must return an instance of
 * the class (otherwise the call fails with a `TypeError`, as in Pyro4). A
 * creation that fails is not remembered: the next call tries again.
 *
 * Nothing here knows a protocol: a server keys sessions by its own
 * connection objects. (The Pyro-named types and the static `pyroBehavior`
 * member are the names Pyro users know; they are the same things.)
 */
import { ErrorCodes, RemotingError, errorMessage } from "../errors.js";
import { getLogger } from "../logging.js";

const log = getLogger("remoting.server.instances");

export type InstanceMode = "single" | "session" | "percall";

export const INSTANCE_MODES: readonly InstanceMode[] = ["single", "session", "percall"];

/** The mode of a registered class that sets none (Pyro4's default). */
export const DEFAULT_INSTANCE_MODE: InstanceMode = "session";

/** A class a server can instantiate (with `new cls()` unless a creator is given). */
export type ServedClass<T extends object = object> = new (...args: never[]) => T;
/** The Pyro name of ServedClass. */
export type PyroClass<T extends object = object> = ServedClass<T>;

/** Makes an instance of a registered class; may be async. */
export type InstanceCreator<C extends ServedClass = ServedClass> = (cls: C) => InstanceType<C> | Promise<InstanceType<C>>;

/**
 * Defaults a class can declare for itself, as a static member
 * (`instanceBehavior`, or `pyroBehavior` as Pyro users know it):
 * `static pyroBehavior: PyroBehavior<typeof Counter> = { instanceMode: "single" }`.
 * Options given to `register()` win.
 */
export interface InstanceBehavior<C extends ServedClass = ServedClass> {
  instanceMode?: InstanceMode | undefined;
  instanceCreator?: InstanceCreator<C> | undefined;
}
/** The Pyro name of InstanceBehavior. */
export type PyroBehavior<C extends ServedClass = ServedClass> = InstanceBehavior<C>;

/** What identifies a session: the server's connection object. */
export interface SessionKey {
  readonly closed: boolean;
}

/**
 * Whether `value` is a class (a constructor with a prototype), as opposed to
 * a plain object or a function that cannot be called with `new`.
 */
export function isServedClass(value: unknown): value is ServedClass {
  if (typeof value !== "function") return false;
  const proto = (value as { prototype?: unknown }).prototype;
  if (proto === null || typeof proto !== "object") return false;
  try {
    // constructs a String with `value` as new.target: throws unless `value` is a constructor; runs no user code
    Reflect.construct(String, [], value);
    return true;
  } catch {
    return false;
  }
}

/** The Pyro name of isServedClass. */
export const isPyroClass: (value: unknown) => value is ServedClass = isServedClass;

/** Checks and merges the instance options of a class registration. */
export function resolveBehavior(cls: ServedClass, options: InstanceBehavior): { mode: InstanceMode; creator: InstanceCreator | undefined } {
  const statics = cls as unknown as { instanceBehavior?: unknown; pyroBehavior?: unknown };
  const declared = statics.instanceBehavior ?? statics.pyroBehavior;
  const own = declared !== null && typeof declared === "object" ? (declared as InstanceBehavior) : {};
  const mode = options.instanceMode ?? own.instanceMode ?? DEFAULT_INSTANCE_MODE;
  if (!INSTANCE_MODES.includes(mode)) {
    throw new RemotingError(`invalid instance mode: ${String(mode)}`, ErrorCodes.ERR_INVALID_ARGUMENT);
  }
  const creator = options.instanceCreator ?? own.instanceCreator;
  if (creator !== undefined && typeof creator !== "function") {
    throw new RemotingError("instanceCreator must be a function", ErrorCodes.ERR_INVALID_ARGUMENT);
  }
  return { mode, creator };
}

/** Every ClassInstances holding a session of a connection, so closing it drops them all. */
const sessionsOf = new WeakMap<SessionKey, Set<ClassInstances>>();

/** Drops the session instances of a connection that closed (nothing is called on them, as in Pyro4). */
export function releaseSessions(key: SessionKey): void {
  const holders = sessionsOf.get(key);
  if (!holders) return;
  sessionsOf.delete(key);
  for (const h of holders) h.dropSession(key);
}

/** Makes and keeps the instances of one registered class, per its mode. */
export class ClassInstances {
  private single: object | Promise<object> | undefined = undefined;
  private readonly sessions = new Map<SessionKey, object | Promise<object>>();
  private disposed = false;

  constructor(
    readonly cls: ServedClass,
    readonly mode: InstanceMode,
    private readonly creator: InstanceCreator | undefined,
  ) {}

  /**
   * The instance that serves a call arriving on `session`: the object itself,
   * or (only while an async creator runs) a native Promise of it. Throws, or
   * rejects, when the instance cannot be made.
   */
  instanceFor(session: SessionKey): object | Promise<object> {
    switch (this.mode) {
      case "single": {
        const have = this.single;
        if (have !== undefined) return have;
        const made = this.create();
        if (!(made instanceof Promise)) {
          if (!this.disposed) this.single = made;
          return made;
        }
        const pending: Promise<object> = made.then(
          (obj) => {
            if (this.single === pending) this.single = obj;
            return obj;
          },
          (err: unknown) => {
            if (this.single === pending) this.single = undefined;
            throw err;
          },
        );
        if (!this.disposed) this.single = pending;
        return pending;
      }
      case "session": {
        const have = this.sessions.get(session);
        if (have !== undefined) return have;
        const made = this.create();
        // a call finishing after its connection closed gets an instance of its own, not kept
        const keep = !this.disposed && !session.closed;
        if (!(made instanceof Promise)) {
          if (keep) this.keepSession(session, made);
          return made;
        }
        const pending: Promise<object> = made.then(
          (obj) => {
            if (this.sessions.get(session) === pending) this.sessions.set(session, obj);
            return obj;
          },
          (err: unknown) => {
            if (this.sessions.get(session) === pending) this.sessions.delete(session);
            throw err;
          },
        );
        if (keep) this.keepSession(session, pending);
        return pending;
      }
      default:
        return this.create();
    }
  }

  private keepSession(session: SessionKey, value: object | Promise<object>): void {
    this.sessions.set(session, value);
    let holders = sessionsOf.get(session);
    if (!holders) {
      holders = new Set();
      sessionsOf.set(session, holders);
    }
    holders.add(this);
  }

  /** Forgets the instance of one session. */
  dropSession(session: SessionKey): void {
    this.sessions.delete(session);
  }

  /** Number of sessions that have an instance (or one being made). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Forgets every instance (the class was unregistered). */
  dispose(): void {
    this.disposed = true;
    this.single = undefined;
    this.sessions.clear();
  }

  /** A new instance: the object, or a native Promise of it when the creator is async. */
  private create(): object | Promise<object> {
    const cls = this.cls;
    log.debug("instance mode %s: creating a new instance of %s", this.mode, cls.name);
    let made: unknown;
    try {
      if (this.creator === undefined) return new (cls as unknown as new () => object)();
      made = this.creator(cls);
    } catch (err) {
      log.warn("could not create an instance of %s: %s", cls.name, errorMessage(err));
      throw err;
    }
    if (made !== null && typeof made === "object" && typeof (made as { then?: unknown }).then === "function") {
      return Promise.resolve(made).then(
        (obj) => this.checked(obj),
        (err: unknown) => {
          log.warn("instance creator of %s failed: %s", cls.name, errorMessage(err));
          throw err;
        },
      );
    }
    return this.checked(made);
  }

  private checked(made: unknown): object {
    if (made instanceof this.cls) return made;
    log.warn("instance creator of %s returned something else", this.cls.name);
    throw new TypeError("instance creator returned object of different type");
  }
}
