/**
 * Object factories: how a definition becomes an instance.
 */
import { ConfigError, ErrorCodes, type SourceLocation } from "../core/errors.js";
import { getLogger } from "../core/logging.js";
import { resolveClass, type ResolveContext } from "./class-resolver.js";
import type { CreateArgs, ObjectFactory } from "./definitions.js";
import { constructorParameters, toCamelCase } from "./parameters.js";

const log = getLogger("remoting.factory.ReflectiveObjectFactory");

function isClass(fn: unknown): boolean {
  return typeof fn === "function" && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Creates objects from a `class` attribute. */
export class ReflectiveObjectFactory implements ObjectFactory {
  type: (abstract new (...args: any[]) => unknown) | undefined;
  private target: unknown;
  private prepared: Promise<void> | undefined;

  constructor(
    readonly className: string,
    private readonly ctx: ResolveContext,
  ) {}

  describe(): string {
    return `ReflectiveObjectFactory(${this.className})`;
  }

  prepare(): Promise<void> {
    if (!this.prepared) {
      this.prepared = resolveClass(this.className, this.ctx).then((target) => {
        if (typeof target !== "function") {
          throw new ConfigError(`class '${this.className}' is a ${typeof target}, not a class or function`, ErrorCodes.ERR_CONFIG_NOT_CONSTRUCTIBLE, {
            location: this.ctx.location,
            objectId: this.ctx.objectId,
          });
        }
        this.target = target;
        this.type = target as abstract new (...args: any[]) => unknown;
      });
    }
    return this.prepared;
  }

  get location(): SourceLocation | undefined {
    return this.ctx.location;
  }

  create({ positional, named }: CreateArgs): unknown {
    const target = this.target as (new (...args: unknown[]) => unknown) & ((...args: unknown[]) => unknown);
    if (!target) throw new Error(`factory for ${this.className} used before prepare()`);
    log.debug("Creating an instance of %s", this.className);
    const args = [...positional];
    if (named.size > 0) {
      const params = constructorParameters(target);
      if (!params) {
        throw new ConfigError(
          `class '${this.className}' takes named constructor-args [${[...named.keys()].join(", ")}], but its parameter names cannot be read; ` +
            `declare them with 'static constructorParameters = [...]'`,
          ErrorCodes.ERR_CONFIG_UNKNOWN_ARGUMENT,
          { location: this.ctx.location, objectId: this.ctx.objectId },
        );
      }
      for (const [name, value] of named) {
        let idx = params.indexOf(name);
        if (idx < 0) idx = params.indexOf(toCamelCase(name));
        if (idx < 0) {
          throw new ConfigError(
            `class '${this.className}' has no constructor parameter '${name}' (it takes ${params.length ? params.join(", ") : "none"})`,
            ErrorCodes.ERR_CONFIG_UNKNOWN_ARGUMENT,
            { location: this.ctx.location, objectId: this.ctx.objectId },
          );
        }
        if (idx < positional.length) {
          throw new ConfigError(`constructor parameter '${name}' is given both by position and by name`, ErrorCodes.ERR_CONFIG_UNKNOWN_ARGUMENT, {
            location: this.ctx.location,
            objectId: this.ctx.objectId,
          });
        }
        args[idx] = value;
      }
    }
    if (isClass(target) || (target.prototype && Object.getOwnPropertyNames(target.prototype).length > 1)) {
      return new target(...args);
    }
    // A plain function: a factory function, or an old-style constructor.
    return target.prototype ? new target(...args) : target(...args);
  }
}

/** A definition whose object is a fixed value (the type shortcuts). */
export class ValueObjectFactory implements ObjectFactory {
  readonly type = undefined;
  constructor(
    private readonly value: unknown,
    private readonly text: string,
  ) {}
  create(): unknown {
    return this.value;
  }
  describe(): string {
    return this.text;
  }
}

/** A definition made by a function (code configs). */
export class FunctionObjectFactory implements ObjectFactory {
  constructor(
    private readonly fn: (args: CreateArgs) => unknown,
    private readonly label: string,
    readonly type?: (abstract new (...args: any[]) => unknown) | undefined,
  ) {}
  create(args: CreateArgs): unknown {
    return this.fn(args);
  }
  describe(): string {
    return this.label;
  }
}
