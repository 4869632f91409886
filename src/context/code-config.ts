/**
 * CodeConfig: object definitions written in TypeScript, the counterpart of
 * Spring Python's PythonConfig and `@Object`.
 *
 *     class AppConfig extends CodeConfig {
 *       @object() remoteService() { return new Service(); }
 *       @object({ lazyInit: true }) async exporter() {
 *         const e = new PyroServiceExporter();
 *         e.service = await this.remoteService(); // through the container: shared singleton
 *         e.serviceName = "ServiceName";
 *         return e;
 *       }
 *     }
 *     const ctx = await ApplicationContext.create([new AppConfig(), "client.xml"]);
 *
 * Each decorated method becomes a definition whose id is the method name.
 * Calling a decorated method from another one goes through the container, so
 * it returns a Promise of the (shared) object. `this.getObject(id)` reaches
 * any definition of the context, XML ones included.
 *
 * Without decorators: `config.define("id", async (get) => ..., options)`.
 */
import { ConfigError, ErrorCodes } from "../core/errors.js";
import { newDefinition, type Config, type ObjectDefinition, type Scope } from "./definitions.js";
import { FunctionObjectFactory } from "./factories.js";

export interface ObjectOptions {
  /** singleton (default) or prototype. */
  scope?: Scope;
  /** Create on first request instead of at start-up (singletons only). */
  lazyInit?: boolean;
  /** The object's id; defaults to the method name. */
  id?: string;
  /** The type the factory returns, so post-processors are recognised before creation. */
  type?: abstract new (...args: any[]) => unknown;
}

interface Declaration {
  method: string;
  options: ObjectOptions;
  fn: (this: CodeConfig) => unknown;
}

interface ContextLike {
  getObject<T>(id: string): Promise<T>;
}

const kDeclarations: unique symbol = Symbol("remoting.codeConfig.declarations");
const legacyDeclarations = new WeakMap<object, Declaration[]>();

function checkOptions(options: ObjectOptions, where: string): void {
  if (options.scope !== undefined && options.scope !== "singleton" && options.scope !== "prototype") {
    throw new ConfigError(`${where}: unknown scope '${String(options.scope)}' (use singleton or prototype)`, ErrorCodes.ERR_CONFIG_INVALID_SCOPE);
  }
}

export abstract class CodeConfig implements Config {
  [kDeclarations]: Declaration[] = [];
  private readonly defined: ObjectDefinition[] = [];
  protected appContext: ContextLike | undefined;

  describe(): string {
    return `${this.constructor.name}(CodeConfig)`;
  }

  setAppContext(ctx: unknown): void {
    this.appContext = ctx as ContextLike;
  }

  /** Any object of the context, by id. */
  getObject<T = unknown>(id: string): Promise<T> {
    if (!this.appContext) {
      return Promise.reject(new ConfigError(`${this.describe()} is not attached to a context yet`, ErrorCodes.ERR_CONFIG));
    }
    return this.appContext.getObject<T>(id);
  }

  /** Declares an object without decorators. `factory` gets a function that reaches other objects. */
  define(id: string, factory: (getObject: <T = unknown>(id: string) => Promise<T>) => unknown, options: Omit<ObjectOptions, "id"> = {}): this {
    checkOptions(options, `object '${id}'`);
    this.defined.push(
      newDefinition(id, {
        factory: new FunctionObjectFactory(({ getObject }) => factory(getObject as <T>(id: string) => Promise<T>), `${this.describe()}.define(${id})`, options.type),
        scope: options.scope ?? "singleton",
        lazyInit: options.lazyInit ?? false,
        source: this.describe(),
      }),
    );
    return this;
  }

  async readObjectDefinitions(): Promise<ObjectDefinition[]> {
    const decls = [...(legacyDeclarations.get(Object.getPrototypeOf(this) as object) ?? []), ...this[kDeclarations]];
    const defs = decls.map((d) => {
      const id = d.options.id ?? d.method;
      return newDefinition(id, {
        factory: new FunctionObjectFactory(() => d.fn.call(this), `${this.describe()}.${d.method}()`, d.options.type),
        scope: d.options.scope ?? "singleton",
        lazyInit: d.options.lazyInit ?? false,
        source: this.describe(),
      });
    });
    return [...defs, ...this.defined];
  }
}

/**
 * Marks a CodeConfig method as an object definition. Works with standard
 * (TC39) decorators and with TypeScript's `experimentalDecorators`.
 */
export function object(options: ObjectOptions = {}): any {
  return function (value: unknown, context: unknown, descriptor?: PropertyDescriptor): unknown {
    // Legacy (experimentalDecorators): (prototype, name, descriptor)
    if (typeof context === "string" && descriptor) {
      const name = context;
      checkOptions(options, `object '${name}'`);
      const fn = descriptor.value as (this: CodeConfig) => unknown;
      const proto = value as object;
      const list = legacyDeclarations.get(proto) ?? [];
      list.push({ method: name, options, fn });
      legacyDeclarations.set(proto, list);
      const id = options.id ?? name;
      descriptor.value = function (this: CodeConfig) {
        return this.getObject(id);
      };
      return descriptor;
    }
    // Standard decorators: (method, ClassMethodDecoratorContext)
    const ctx = context as ClassMethodDecoratorContext;
    if (!ctx || ctx.kind !== "method") throw new TypeError("@object() decorates methods of a CodeConfig");
    const name = String(ctx.name);
    checkOptions(options, `object '${name}'`);
    const fn = value as (this: CodeConfig) => unknown;
    ctx.addInitializer(function (this: unknown) {
      (this as CodeConfig)[kDeclarations].push({ method: name, options, fn });
    });
    const id = options.id ?? name;
    return function (this: CodeConfig) {
      return this.getObject(id);
    };
  };
}
