/**
 * Hessian value types: explicit int/long/double wrappers, type-name markers
 * for objects, lists and maps, and the class registry that maps Java class
 * names to TypeScript classes.
 */
import { ErrorCodes, RemotingError } from "../../core/errors.js";
import { Float } from "../../core/values.js";

/**
 * The Java class name of a decoded object (`C`/`O` instance, or a Hessian 1.0
 * typed map that stands for an object), kept on the value as a non-enumerable
 * symbol-keyed property. Set it (or use `hessian.object()`) to send a plain
 * object as a typed Java object.
 */
export const HESSIAN_CLASS: unique symbol = Symbol.for("remoting.hessian.class");
/**
 * The Hessian type of a typed list (`V`/`U`/`70-77`, e.g. `[int`,
 * `java.util.LinkedList`) or typed map (`M`, e.g. `java.util.TreeMap`), kept on
 * the array, Map or object as a non-enumerable symbol-keyed property.
 */
export const HESSIAN_TYPE: unique symbol = Symbol.for("remoting.hessian.type");

/**
 * Brand of the HessianInt/HessianLong/HessianDouble prototypes ("int", "long",
 * "double"), so wrappers made by another copy of this package are recognised.
 */
export const HESSIAN_WRAPPER: unique symbol = Symbol.for("remoting.hessian.wrapper");

function badArg(msg: string): RemotingError {
  return new RemotingError(msg, ErrorCodes.ERR_INVALID_ARGUMENT);
}

/** A value sent as a Hessian 32-bit int, whatever its JS type. */
export class HessianInt {
  readonly value: number;
  constructor(value: number) {
    if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) throw badArg(`${value} is not a 32-bit integer`);
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A value sent as a Hessian 64-bit long (Java `long`/`Long`), even when it is small. */
export class HessianLong {
  readonly value: bigint;
  constructor(value: number | bigint | string) {
    let v: bigint;
    if (typeof value === "bigint") v = value;
    else if (typeof value === "number") {
      if (!Number.isInteger(value)) throw badArg(`${value} is not an integer`);
      v = BigInt(value);
    } else {
      if (!/^\s*[+-]?\d+\s*$/.test(value)) throw badArg(`'${value}' is not an integer`);
      v = BigInt(value.trim());
    }
    if (v < INT64_MIN || v > INT64_MAX) throw badArg(`${v} does not fit in a 64-bit long`);
    this.value = v;
  }
  /** The value as a number when it is exactly representable, else as a bigint. */
  toNumberOrBigInt(): number | bigint {
    return this.value >= -(2n ** 53n) && this.value <= 2n ** 53n ? Number(this.value) : this.value;
  }
  valueOf(): number {
    return Number(this.value);
  }
  toString(): string {
    return this.value.toString();
  }
}

/**
 * A value sent as a Hessian double (Java `double`/`Double`), even when it is a
 * whole number. It is a core Float, so the Pyro4 and XML-RPC writers send it
 * as a float too; and any Float (from a Pyro4 or XML-RPC reader with
 * `preserveTypes`) is written here as a double.
 */
export class HessianDouble extends Float {
  constructor(value: number) {
    if (typeof value !== "number") throw badArg(`${String(value)} is not a number`);
    super(value);
  }
}

for (const [cls, kind] of [
  [HessianInt, "int"],
  [HessianLong, "long"],
  // HessianDouble, XmlRpcDouble and the Floats of the Pyro4 readers inherit it
  [Float, "double"],
] as const) {
  Object.defineProperty(cls.prototype, HESSIAN_WRAPPER, { value: kind, enumerable: false });
}

/** Marks a plain object as an instance of a Java class (fields in key order). */
export function typedObject<T extends object>(className: string, fields: T): T {
  Object.defineProperty(fields, HESSIAN_CLASS, { value: className, enumerable: false, configurable: true, writable: true });
  return fields;
}

/** Marks an array as a typed list (`[int`, `java.util.LinkedList`, ...) or a Map/object as a typed map. */
export function typedCollection<T extends object>(type: string, value: T): T {
  Object.defineProperty(value, HESSIAN_TYPE, { value: type, enumerable: false, configurable: true, writable: true });
  return value;
}

/** The Java class name of a decoded object, or undefined. */
export function hessianClassOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const c = (value as Record<symbol, unknown>)[HESSIAN_CLASS];
  return typeof c === "string" ? c : undefined;
}

/** The Hessian type of a decoded typed list or map, or undefined. */
export function hessianTypeOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const c = (value as Record<symbol, unknown>)[HESSIAN_TYPE];
  return typeof c === "string" ? c : undefined;
}

/** Short helpers: `hessian.double(3)`, `hessian.long(7)`, `hessian.object("com.x.Person", {...})`. */
export const hessian = {
  int: (v: number): HessianInt => new HessianInt(v),
  long: (v: number | bigint | string): HessianLong => new HessianLong(v),
  double: (v: number): HessianDouble => new HessianDouble(v),
  object: typedObject,
  list: <T>(type: string, items: T[]): T[] => typedCollection(type, items),
  map: <T extends object>(type: string, map: T): T => typedCollection(type, map),
  classOf: hessianClassOf,
  typeOf: hessianTypeOf,
};

// ---------------------------------------------------------------------------
// Class registry

export type Constructor<T = object> = new (...args: any[]) => T;

export interface ClassBinding<T extends object = object> {
  /** The Java class name, e.g. `com.example.Person`. */
  readonly name: string;
  readonly ctor: Constructor<T>;
  /** The field names written, in order. Default: the instance's own enumerable keys. Unknown incoming fields are ignored when set. */
  readonly fields: readonly string[] | undefined;
  /** Makes an empty instance while decoding. Default: `new ctor()` (no arguments). */
  readonly create: () => T;
}

export interface RegisterOptions<T extends object> {
  fields?: readonly string[];
  create?: () => T;
}

/**
 * Maps Java class names to TypeScript classes, both ways. Only registered
 * classes are ever instantiated by the decoder; any other class name decodes
 * to a plain object carrying the name under `HESSIAN_CLASS`.
 */
export class ClassRegistry {
  readonly #byName = new Map<string, ClassBinding>();
  readonly #byCtor = new Map<unknown, ClassBinding>();

  register<T extends object>(name: string, ctor: Constructor<T>, options: RegisterOptions<T> = {}): this {
    if (typeof name !== "string" || name === "") throw badArg("a class name is required");
    if (typeof ctor !== "function") throw badArg(`the class bound to '${name}' is not a constructor`);
    const binding: ClassBinding<T> = {
      name,
      ctor,
      fields: options.fields ? [...options.fields] : undefined,
      create: options.create ?? (() => new ctor()),
    };
    this.#byName.set(name, binding as unknown as ClassBinding);
    this.#byCtor.set(ctor, binding as unknown as ClassBinding);
    return this;
  }

  byName(name: string): ClassBinding | undefined {
    return this.#byName.get(name);
  }

  byConstructor(ctor: unknown): ClassBinding | undefined {
    return this.#byCtor.get(ctor);
  }

  get size(): number {
    return this.#byName.size;
  }
}

/** Limits applied while decoding. Every one is checked before memory is allocated. */
export interface DecodeLimits {
  /** Maximum nesting of lists, maps and objects. Default 256. */
  maxDepth?: number;
  /** Maximum UTF-16 length of one string. Default 16 Mi units. */
  maxStringLength?: number;
  /** Maximum length of one binary value, in bytes. Default 64 MiB. */
  maxBinaryLength?: number;
  /** Maximum number of items of one list or entries of one map. Default 1 000 000. */
  maxCollectionLength?: number;
  /** Maximum number of class definitions in one message. Default 4096. */
  maxClassDefinitions?: number;
  /** Maximum number of fields of one class definition. Default 1024. */
  maxFields?: number;
  /**
   * Most memory one message may decode to, in bytes, as the decoder estimates
   * it (every container, slot, string, date, binary and boxed number is
   * counted before it is allocated). Default 64 MiB.
   */
  maxDecodedSize?: number;
  /**
   * Most memory one message may decode to per byte of the message: the
   * budget is `min(maxDecodedSize, 64 KiB + maxExpansion × message length)`.
   * Default 32.
   */
  maxExpansion?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<DecodeLimits>> = Object.freeze({
  maxDepth: 256,
  maxStringLength: 16 * 1024 * 1024,
  maxBinaryLength: 64 * 1024 * 1024,
  maxCollectionLength: 1_000_000,
  maxClassDefinitions: 4096,
  maxFields: 1024,
  maxDecodedSize: 64 * 1024 * 1024,
  maxExpansion: 32,
});

/** The decoded-size budget every message gets on top of `maxExpansion` × its length: 64 KiB. */
export const DECODED_SIZE_FLOOR = 64 * 1024;

export interface DecodeOptions extends DecodeLimits {
  /** Classes that may be instantiated. Default: none (objects decode to plain objects). */
  registry?: ClassRegistry | undefined;
  /**
   * Keep Hessian types so that re-encoding gives the same bytes: longs decode
   * to HessianLong, whole-number doubles to HessianDouble, and Caucho's
   * Short/Byte/FloatHandle and java.sql date objects stay objects. Default false.
   */
  preserveTypes?: boolean;
  /** Untyped maps with only string keys decode to plain objects ("object", default) or always to Map ("map"). */
  mapsAs?: "object" | "map";
}

export interface EncodeOptions {
  registry?: ClassRegistry | undefined;
  /** Maximum nesting while encoding (guards against very deep structures). Default 256. */
  maxDepth?: number;
}
