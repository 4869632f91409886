/**
 * ApplicationContext: creates objects from definitions, injects their
 * dependencies, runs their lifecycle, and destroys them on close.
 *
 * Start-up is asynchronous, because exporters bind sockets:
 *
 *     const ctx = await ApplicationContext.create("server.xml");
 *     const service = await ctx.getObject<Service>("service");
 *     await ctx.close();
 *
 * - Non-lazy singletons are created during `create()`, in document order
 *   (post-processors first); lazy singletons on first request; prototypes on
 *   every request.
 * - Every object the container creates gets, in this order: its properties,
 *   `setAppContext(ctx)`, each post-processor's `postProcessBeforeInitialization`,
 *   `afterPropertiesSet()` (awaited), each post-processor's
 *   `postProcessAfterInitialization`. Proxy factories get none of these.
 * - `close()` destroys singletons in reverse creation order, awaiting async
 *   `destroy()`; a proxy factory releases its connections instead.
 */
import { ConfigError, ErrorCodes, errorMessage, RemotingError, type SourceLocation } from "../core/errors.js";
import { getLogger } from "../core/logging.js";
import { isProxyFactory, kRelease } from "../core/proxy-factory.js";
import type { Config, ObjectDefinition, ValueDef } from "./definitions.js";
import { toCamelCase } from "./parameters.js";
import { FrozenSet, tuple } from "../core/values.js";
import { XMLConfig } from "./xml-config.js";

const log = getLogger("remoting.context");

export interface ApplicationContextOptions {
  /**
   * Classes (or factory functions) by name. A `class` attribute equal to one
   * of these names resolves to it before any module lookup, e.g.
   * `{ Service }` makes the seed's `class="Service"` work.
   */
  classes?: Record<string, unknown> | ReadonlyMap<string, unknown>;
}

type Hook = (...args: unknown[]) => unknown;

function method(obj: unknown, ...names: string[]): Hook | undefined {
  if (obj === null || (typeof obj !== "object" && typeof obj !== "function")) return undefined;
  for (const n of names) {
    const fn = (obj as Record<string, unknown>)[n];
    if (typeof fn === "function") return (fn as Hook).bind(obj);
  }
  return undefined;
}

function isPostProcessorType(type: unknown): boolean {
  const proto = typeof type === "function" ? (type as { prototype?: unknown }).prototype : undefined;
  return !!proto && !!method(proto, "postProcessBeforeInitialization", "postProcessAfterInitialization", "post_process_before_initialization", "post_process_after_initialization");
}

function isPostProcessor(obj: unknown): boolean {
  return !isProxyFactory(obj) && !!method(obj, "postProcessBeforeInitialization", "postProcessAfterInitialization", "post_process_before_initialization", "post_process_after_initialization");
}

function className(obj: unknown): string {
  if (obj === null) return "null";
  if (typeof obj !== "object" && typeof obj !== "function") return typeof obj;
  const ctor = (obj as { constructor?: { name?: string } }).constructor;
  return ctor?.name || "Object";
}

/** Finds a property descriptor along the prototype chain. */
function findDescriptor(obj: object, name: string): PropertyDescriptor | undefined {
  let o: object | null = obj;
  while (o) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return d;
    o = Object.getPrototypeOf(o) as object | null;
  }
  return undefined;
}

export class ApplicationContext {
  private readonly defs = new Map<string, ObjectDefinition>();
  private readonly singletons = new Map<string, unknown>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly disposables: Array<{ id: string; obj: unknown }> = [];
  private readonly postProcessors: Array<{ id: string; obj: unknown }> = [];
  private readonly classes: ReadonlyMap<string, unknown>;
  private state: "new" | "starting" | "running" | "closing" | "closed" = "new";

  private constructor(
    private readonly configs: Config[],
    options: ApplicationContextOptions,
  ) {
    const c = options.classes;
    this.classes = c instanceof Map ? c : new Map(Object.entries((c ?? {}) as Record<string, unknown>));
  }

  /**
   * Reads every config, then creates the non-lazy singletons. A string is an
   * XML file path. If start-up fails, what was created is destroyed and the
   * error is thrown.
   */
  static async create(
    configs: Config | string | ReadonlyArray<Config | string>,
    options: ApplicationContextOptions = {},
  ): Promise<ApplicationContext> {
    const list = (Array.isArray(configs) ? configs : [configs]) as Array<Config | string>;
    const ctx = new ApplicationContext(
      list.map((c) => (typeof c === "string" ? new XMLConfig(c) : c)),
      options,
    );
    await ctx.start();
    return ctx;
  }

  /** Reads definitions without creating anything (what `remoting check-config` prints). */
  static async load(
    configs: Config | string | ReadonlyArray<Config | string>,
    options: ApplicationContextOptions = {},
  ): Promise<ObjectDefinition[]> {
    const list = (Array.isArray(configs) ? configs : [configs]) as Array<Config | string>;
    const ctx = new ApplicationContext(
      list.map((c) => (typeof c === "string" ? new XMLConfig(c) : c)),
      options,
    );
    await ctx.readDefinitions();
    await ctx.prepareFactories();
    return [...ctx.defs.values()];
  }

  private async readDefinitions(): Promise<void> {
    for (const config of this.configs) {
      if (config instanceof XMLConfig) config.classes = this.classes;
      log.debug("=== Scanning configuration %s for object definitions ===", config.describe());
      for (const def of await config.readObjectDefinitions()) {
        if (this.defs.has(def.id)) log.debug("Overriding previous definition of %s", def.id);
        else log.debug("%s object definition does not exist. Adding to list of definitions.", def.id);
        this.defs.set(def.id, def);
      }
    }
    log.debug("=== Done reading object definitions. ===");
    this.checkReferences();
  }

  /** Every ref must name a definition. */
  private checkReferences(): void {
    const visit = (v: ValueDef, def: ObjectDefinition): void => {
      if (v.kind === "ref" && !this.defs.has(v.ref)) {
        throw new ConfigError(`reference to undefined object '${v.ref}'`, ErrorCodes.ERR_CONFIG_MISSING_REF, {
          location: v.location ?? def.location,
          objectId: def.id,
        });
      }
      if (v.kind === "list" || v.kind === "tuple" || v.kind === "set" || v.kind === "frozenset") v.items.forEach((i) => visit(i, def));
      if (v.kind === "dict") v.entries.forEach(([, i]) => visit(i, def));
    };
    for (const def of this.defs.values()) {
      def.positionalArgs.forEach((v) => visit(v, def));
      def.namedArgs.forEach((v) => visit(v, def));
      def.properties.forEach((p) => visit(p.value, def));
      if (!def.abstract && !def.factory) {
        throw new ConfigError(
          def.className === undefined ? "no class (only an abstract object may lack one)" : `cannot create '${def.className}'`,
          ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE,
          { location: def.location, objectId: def.id },
        );
      }
    }
  }

  private async prepareFactories(): Promise<void> {
    for (const def of this.defs.values()) {
      if (def.factory?.prepare) await def.factory.prepare();
    }
  }

  private async start(): Promise<void> {
    this.state = "starting";
    try {
      await this.readDefinitions();
      await this.prepareFactories();
      for (const config of this.configs) config.setAppContext?.(this);
      const eager = [...this.defs.values()].filter((d) => !d.abstract && d.scope === "singleton" && !d.lazyInit);
      // Post-processors first, so they see every other object.
      for (const def of eager.filter((d) => isPostProcessorType(d.factory?.type))) {
        log.debug("Eagerly fetching %s", def.id);
        await this.getObject(def.id);
      }
      for (const def of eager) {
        if (this.singletons.has(def.id)) continue;
        log.debug("Eagerly fetching %s", def.id);
        await this.getObject(def.id);
      }
      this.state = "running";
    } catch (err) {
      await this.destroyAll().catch(() => undefined);
      this.state = "closed";
      throw err;
    }
  }

  /** The ids of every definition, in definition order. */
  get objectIds(): string[] {
    return [...this.defs.keys()];
  }

  /** The definitions, by id (read-only view). */
  get definitions(): ReadonlyMap<string, ObjectDefinition> {
    return this.defs;
  }

  containsObject(id: string): boolean {
    return this.defs.has(id);
  }

  /** Adds or replaces a definition at run time. Its object is created on first request. */
  registerDefinition(def: ObjectDefinition): void {
    this.defs.set(def.id, def);
    this.singletons.delete(def.id);
  }

  /** Returns the object of that id, creating it if its scope says so. */
  async getObject<T = unknown>(id: string): Promise<T> {
    return (await this.resolve(id, [], undefined, ErrorCodes.ERR_CONFIG_NO_SUCH_OBJECT)) as T;
  }

  /**
   * The singletons created so far that are instances of `type`, by id. With
   * `includeType` false, only instances of strict subclasses.
   */
  getObjectsByType<T>(type: abstract new (...args: any[]) => T, includeType = true): Map<string, T> {
    const out = new Map<string, T>();
    for (const [id, obj] of this.singletons) {
      if (obj instanceof type && (includeType || (obj as object).constructor !== type)) out.set(id, obj as T);
    }
    return out;
  }

  private async resolve(id: string, path: readonly string[], location: SourceLocation | undefined, missingCode: string): Promise<unknown> {
    if (this.state === "closed" || this.state === "closing") {
      throw new RemotingError(`the context is closed; cannot get '${id}'`, ErrorCodes.ERR_CONTEXT_CLOSED);
    }
    const def = this.defs.get(id);
    if (!def) {
      throw new ConfigError(`no object named '${id}'`, missingCode, {
        location,
        path: path.length ? [...path, id] : undefined,
      });
    }
    if (def.abstract) {
      throw new ConfigError(`object '${id}' is abstract; it is only a parent for other definitions`, ErrorCodes.ERR_CONFIG_ABSTRACT_OBJECT, {
        location: location ?? def.location,
        objectId: id,
        path: path.length ? [...path, id] : undefined,
      });
    }
    if (path.includes(id)) {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw new ConfigError(`circular reference: ${cycle.join(" -> ")}`, ErrorCodes.ERR_CONFIG_CYCLE, {
        location: def.location,
        objectId: id,
        path: [...path, id],
      });
    }
    if (def.scope === "singleton") {
      if (this.singletons.has(id)) return this.singletons.get(id);
      const inFlight = this.pending.get(id);
      if (inFlight) return inFlight;
      log.debug("Did NOT find object '%s' in the singleton storage.", id);
      const p = this.createObject(def, [...path, id]);
      this.pending.set(id, p);
      try {
        const obj = await p;
        this.singletons.set(id, obj);
        log.debug("Stored object '%s' in container's singleton storage", id);
        return obj;
      } finally {
        this.pending.delete(id);
      }
    }
    return this.createObject(def, [...path, id]);
  }

  private async resolveValue(v: ValueDef, path: readonly string[]): Promise<unknown> {
    switch (v.kind) {
      case "value":
        return v.value;
      case "null":
        return null;
      case "ref":
        return this.resolve(v.ref, path, v.location, ErrorCodes.ERR_CONFIG_MISSING_REF);
      case "inner":
        return this.resolve(v.id, path, v.location, ErrorCodes.ERR_CONFIG_MISSING_REF);
      case "list":
      case "tuple":
      case "set":
      case "frozenset": {
        const items: unknown[] = [];
        for (const item of v.items) items.push(await this.resolveValue(item, path));
        if (v.kind === "list") return items;
        if (v.kind === "tuple") return tuple(items);
        if (v.kind === "set") return new Set(items);
        return new FrozenSet(items);
      }
      case "dict": {
        const out: Record<string, unknown> = {};
        for (const [k, item] of v.entries) {
          Object.defineProperty(out, k, { value: await this.resolveValue(item, path), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
    }
  }

  private async createObject(def: ObjectDefinition, path: readonly string[]): Promise<unknown> {
    const factory = def.factory!;
    log.debug(
      "Creating an instance of id=%s props=[%s] scope=%s factory=%s",
      def.id,
      def.properties.map((p) => p.name).join(", "),
      def.scope,
      factory.describe(),
    );
    const positional: unknown[] = [];
    for (const a of def.positionalArgs) positional.push(await this.resolveValue(a, path));
    const named = new Map<string, unknown>();
    for (const [k, a] of def.namedArgs) named.set(k, await this.resolveValue(a, path));

    let obj: unknown;
    try {
      obj = await factory.create({ positional, named, getObject: (ref) => this.resolve(ref, path, undefined, ErrorCodes.ERR_CONFIG_MISSING_REF) });
    } catch (err) {
      if (err instanceof ConfigError) {
        if (err.path.length === 0 && path.length > 1) {
          throw new ConfigError(err.reason, err.code, { location: err.location, objectId: err.objectId ?? def.id, path, cause: err.cause });
        }
        throw err;
      }
      throw new ConfigError(`creating '${def.id}' failed: ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_CREATION_FAILED, {
        location: def.location,
        objectId: def.id,
        path,
        cause: err,
      });
    }

    for (const prop of def.properties) {
      const value = await this.resolveValue(prop.value, path);
      this.setProperty(obj, prop.name, value, def, prop.location, path);
    }

    obj = await this.initialize(obj, def, path);
    if (def.scope === "singleton") this.disposables.push({ id: def.id, obj });
    return obj;
  }

  private setProperty(obj: unknown, name: string, value: unknown, def: ObjectDefinition, location: SourceLocation | undefined, path: readonly string[]): void {
    const fail = (reason: string): never => {
      throw new ConfigError(reason, ErrorCodes.ERR_CONFIG_UNKNOWN_PROPERTY, { location: location ?? def.location, objectId: def.id, path });
    };
    if (obj === null || (typeof obj !== "object" && typeof obj !== "function")) {
      fail(`cannot set property '${name}' on a ${obj === null ? "null" : typeof obj} value`);
    }
    const target = obj as Record<string, unknown>;
    const camel = toCamelCase(name);
    const candidates = camel === name ? [name] : [name, camel];
    for (const key of candidates) {
      if (!(key in target)) continue;
      const d = findDescriptor(target, key);
      if (d && ("get" in d || "set" in d) && !d.set) fail(`property '${key}' of ${className(obj)} is read-only`);
      if (d && "value" in d) {
        if (!d.writable) fail(`property '${key}' of ${className(obj)} is read-only`);
        if (typeof d.value === "function" && !Object.prototype.hasOwnProperty.call(target, key)) {
          fail(`'${key}' is a method of ${className(obj)}, not a property`);
        }
      }
      try {
        target[key] = value;
      } catch (err) {
        throw new ConfigError(`setting property '${key}' of ${className(obj)} failed: ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, {
          location: location ?? def.location,
          objectId: def.id,
          path,
          cause: err,
        });
      }
      return;
    }
    const proto = Object.getPrototypeOf(target) as unknown;
    if ((proto === Object.prototype || proto === null) && Object.isExtensible(target)) {
      target[name] = value;
      return;
    }
    fail(
      `${className(obj)} has no property '${name}'` +
        (camel !== name ? ` or '${camel}'` : "") +
        " (declare it as a field with an initializer, or a setter)",
    );
  }

  private async initialize(obj: unknown, def: ObjectDefinition, path: readonly string[]): Promise<unknown> {
    if (isProxyFactory(obj)) return obj;
    const pp = isPostProcessor(obj);
    const wrap = async (step: string, fn: () => unknown): Promise<unknown> => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof ConfigError && err.objectId !== undefined) throw err;
        throw new ConfigError(`${step} of '${def.id}' failed: ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_INIT_FAILED, {
          location: def.location,
          objectId: def.id,
          path,
          cause: err,
        });
      }
    };
    const aware = method(obj, "setAppContext", "set_app_context");
    if (aware) await wrap("setAppContext", () => aware(this));
    if (!pp) {
      for (const p of this.postProcessors) {
        const before = method(p.obj, "postProcessBeforeInitialization", "post_process_before_initialization");
        if (before) {
          const current = obj;
          const next = await wrap(`post-processor '${p.id}'`, () => before(current, def.id));
          if (next !== undefined && next !== null) obj = next;
        }
      }
    }
    const init = method(obj, "afterPropertiesSet", "after_properties_set");
    if (init) await wrap("afterPropertiesSet", () => init());
    if (!pp) {
      for (const p of this.postProcessors) {
        const after = method(p.obj, "postProcessAfterInitialization", "post_process_after_initialization");
        if (after) {
          const current = obj;
          const next = await wrap(`post-processor '${p.id}'`, () => after(current, def.id));
          if (next !== undefined && next !== null) obj = next;
        }
      }
    } else {
      this.postProcessors.push({ id: def.id, obj });
    }
    return obj;
  }

  /**
   * Destroys the singletons in reverse creation order (awaiting async
   * `destroy()`), then forgets them. Errors are logged; the first one is
   * thrown after every object had its turn.
   */
  async close(): Promise<void> {
    if (this.state === "closed" || this.state === "closing") return;
    this.state = "closing";
    try {
      await this.destroyAll();
    } finally {
      this.state = "closed";
    }
  }

  private async destroyAll(): Promise<void> {
    log.debug("Invoking the destroy_method on registered objects");
    const errors: unknown[] = [];
    while (this.disposables.length > 0) {
      const { id, obj } = this.disposables.pop()!;
      try {
        if (isProxyFactory(obj)) {
          await (obj as { [kRelease]: () => Promise<void> })[kRelease]();
          continue;
        }
        const named = (obj as { destroy_method?: unknown } | null)?.destroy_method;
        const fn = typeof named === "string" ? method(obj, named) : method(obj, "destroy");
        if (!fn) continue;
        log.debug("About to destroy object '%s'", id);
        await fn();
        log.debug("Successfully destroyed object '%s'", id);
      } catch (err) {
        log.error("Could not destroy object '%s', exception '%s'", id, errorMessage(err));
        errors.push(new ConfigError(`destroying '${id}' failed: ${errorMessage(err)}`, ErrorCodes.ERR_CONFIG_DESTROY_FAILED, { objectId: id, cause: err }));
      }
    }
    this.singletons.clear();
    log.debug("Successfully invoked the destroy_method on registered objects");
    if (errors.length > 0) throw errors[0];
  }
}
