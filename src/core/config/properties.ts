/**
 * Declared, strictly parsed properties of the classes a configuration names
 * (exporters, proxy factories, servers, clients).
 *
 * `defineProperties(Class, { name: spec })` installs an accessor per
 * property (and per alias spelling) on the class's prototype. Setting a
 * property parses the value at once with the spec's parser, so a bad value
 * fails where it is set, as a ConfigError naming the property (the container
 * adds the object id and the file position). The declarations are also what
 * `remoting check-config` validates against without creating anything, and
 * what the configuration reference documents.
 *
 * A class declares the TypeScript side with `declare`, never with a field
 * initializer (an initialized field would hide the accessor):
 *
 *     class Exporter { declare timeoutMs: number; }
 *     defineProperties(Exporter, { timeoutMs: duration("...", 30_000) });
 */
import { ConfigError, ErrorCodes } from "../errors.js";
import {
  closest,
  parseBoolean,
  parseDuration,
  parseEnum,
  parseInteger,
  parseList,
  parseNumber,
  parsePort,
  parseSize,
  parseString,
  parseStringMap,
  type DurationOptions,
} from "./values.js";

export interface PropertySpec<T = unknown> {
  /** Parses a configured value (text from XML, or a value from code); throws ConfigError. */
  parse(value: unknown, name: string): T;
  /** The value before anything is set. */
  default?: T | undefined;
  /** What the docs show as the type: "boolean", "duration", "size", "port", "string", ... */
  type: string;
  /** One line for the configuration reference. */
  doc: string;
  /** Other accepted spellings (Spring Python's snake_case, Python's names). */
  aliases?: readonly string[] | undefined;
  /** Never printed (keys, passwords): check-config and logs show `<redacted>`. */
  secret?: boolean | undefined;
  /** Changing it after the first call makes a proxy factory drop its client (the next call builds a new one). */
  connection?: boolean | undefined;
  /** How the default reads in the docs, when it is not the value itself. */
  defaultText?: string | undefined;
  /** Another spelling with its own parser: the parsed value is stored in this property (e.g. a boolean stored as a requirement). */
  aliasOf?: string | undefined;
}

export interface DeclaredProperty extends PropertySpec {
  name: string;
  /** The class that declared it. */
  owner: string;
}

const kSpecs: unique symbol = Symbol.for("remoting.properties");
const kValues: unique symbol = Symbol.for("remoting.properties.values");
/** Called with the property name after a `connection` property changed (proxy factories reset their client). */
export const kPropertyChanged: unique symbol = Symbol.for("remoting.properties.changed");

type Holder = { [kValues]?: Map<string, unknown>; [kPropertyChanged]?: (name: string) => void };
type AnyClass = abstract new (...args: never[]) => object;

function valuesOf(obj: Holder): Map<string, unknown> {
  let v = obj[kValues];
  if (!v) {
    v = new Map();
    Object.defineProperty(obj, kValues, { value: v, enumerable: false });
  }
  return v;
}

/** Declares strictly parsed properties on a class (see the module comment). */
export function defineProperties(cls: AnyClass, specs: Readonly<Record<string, PropertySpec<any>>>): void {
  const proto = cls.prototype as object;
  let own = Object.prototype.hasOwnProperty.call(cls, kSpecs) ? (cls as unknown as Record<symbol, Map<string, DeclaredProperty>>)[kSpecs] : undefined;
  if (!own) {
    own = new Map();
    Object.defineProperty(cls, kSpecs, { value: own, enumerable: false });
  }
  for (const [name, spec] of Object.entries(specs)) {
    const decl: DeclaredProperty = { ...spec, name, owner: cls.name };
    own.set(name, decl);
    const target = spec.aliasOf;
    if (target !== undefined) {
      // each spelling parses under its own name, so an error names what was written
      const via = (shown: string): PropertyDescriptor => ({
        get(this: Record<string, unknown>): unknown {
          return this[target];
        },
        set(this: Record<string, unknown>, value: unknown) {
          this[target] = value === undefined ? undefined : spec.parse(value, shown);
        },
        enumerable: false,
        configurable: true,
      });
      Object.defineProperty(proto, name, via(name));
      for (const alias of spec.aliases ?? []) Object.defineProperty(proto, alias, via(alias));
      continue;
    }
    const accessor = (shown: string, enumerable: boolean): PropertyDescriptor => ({
      get(this: Holder): unknown {
        const v = this[kValues];
        return v !== undefined && v.has(name) ? v.get(name) : spec.default;
      },
      set(this: Holder, value: unknown) {
        const values = valuesOf(this);
        const before = values.has(name) ? values.get(name) : spec.default;
        if (value === undefined) values.delete(name);
        else values.set(name, spec.parse(value, shown));
        const after = values.has(name) ? values.get(name) : spec.default;
        if (spec.connection && !sameValue(before, after)) this[kPropertyChanged]?.(name);
      },
      enumerable,
      configurable: true,
    });
    Object.defineProperty(proto, name, accessor(name, true));
    // each spelling parses under its own name, so an error names what was written
    for (const alias of spec.aliases ?? []) Object.defineProperty(proto, alias, accessor(alias, false));
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    try {
      return JSON.stringify(a) === JSON.stringify(b);
    } catch {
      return false;
    }
  }
  return false;
}

/** The declared properties of a class and its ancestors, subclass declarations first. */
export function declaredProperties(cls: unknown): DeclaredProperty[] {
  const out = new Map<string, DeclaredProperty>();
  let c = cls as (AnyClass & Record<symbol, unknown>) | null;
  while (c && c !== Function.prototype) {
    if (Object.prototype.hasOwnProperty.call(c, kSpecs)) {
      for (const [n, d] of c[kSpecs] as Map<string, DeclaredProperty>) if (!out.has(n)) out.set(n, d);
    }
    c = Object.getPrototypeOf(c) as (AnyClass & Record<symbol, unknown>) | null;
  }
  return [...out.values()];
}

/** Whether a class declares its properties (then check-config can validate them without creating it). */
export function hasDeclaredProperties(cls: unknown): boolean {
  return declaredProperties(cls).length > 0;
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Finds the declared property a configured name sets: its name, an alias, or the camelCase of a snake_case name. */
export function findProperty(cls: unknown, name: string): DeclaredProperty | undefined {
  const all = declaredProperties(cls);
  const c = camel(name);
  return all.find((d) => d.name === name || d.name === c || (d.aliases ?? []).includes(name) || (d.aliases ?? []).includes(c));
}

/** Every spelling a class accepts, for "did you mean" suggestions. */
export function propertyNames(cls: unknown): string[] {
  return declaredProperties(cls).flatMap((d) => [d.name, ...(d.aliases ?? [])]);
}

/**
 * Checks a property name and value against a class's declarations without
 * creating anything. Returns the property, or throws a ConfigError with a
 * "did you mean" suggestion for an unknown name.
 */
export function checkProperty(cls: unknown, name: string, value: unknown, literal: boolean): DeclaredProperty {
  const decl = findProperty(cls, name);
  if (!decl) {
    const suggestion = closest(name, propertyNames(cls));
    const clsName = typeof cls === "function" ? cls.name : "the class";
    throw new ConfigError(`${clsName} has no property '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ""}`, ErrorCodes.ERR_CONFIG_UNKNOWN_PROPERTY);
  }
  if (literal) decl.parse(value, name);
  return decl;
}

/** Copies the options given to a constructor onto declared properties (each parsed as if configured). */
export function applyOptions(target: object, options: Readonly<Record<string, unknown>> | undefined, ignore: readonly string[] = []): void {
  if (!options) return;
  const cls = target.constructor;
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined || ignore.includes(k)) continue;
    const decl = findProperty(cls, k);
    if (!decl) {
      const suggestion = closest(k, propertyNames(cls));
      throw new ConfigError(`${cls.name} has no option '${k}'${suggestion ? ` (did you mean '${suggestion}'?)` : ""}`, ErrorCodes.ERR_CONFIG_UNKNOWN_PROPERTY);
    }
    (target as Record<string, unknown>)[decl.name] = v;
  }
}

/** Redacts the values of secret properties, for printing. */
export function displayValue(decl: DeclaredProperty | undefined, value: string): string {
  return decl?.secret ? "<redacted>" : value;
}

// ------------------------------------------------------------ spec builders

type Extra = Partial<Pick<PropertySpec, "aliases" | "secret" | "connection" | "defaultText">>;

export function boolean(doc: string, def: boolean, extra: Extra = {}): PropertySpec<boolean> {
  return { type: "boolean", doc, default: def, parse: parseBoolean, ...extra };
}

export function duration(doc: string, def: number | undefined, extra: Extra & DurationOptions = {}): PropertySpec<number> {
  const { allowNone, min, ...rest } = extra;
  return { type: "duration", doc, default: def, parse: (v, n) => parseDuration(v, n, { allowNone, min }), ...rest };
}

export function size(doc: string, def: number | undefined, extra: Extra & { min?: number } = {}): PropertySpec<number> {
  const { min, ...rest } = extra;
  return { type: "size", doc, default: def, parse: (v, n) => parseSize(v, n, { min: min ?? 0 }), ...rest };
}

export function integer(doc: string, def: number | undefined, bounds: { min?: number; max?: number } = {}, extra: Extra = {}): PropertySpec<number> {
  return { type: "integer", doc, default: def, parse: (v, n) => parseInteger(v, n, bounds), ...extra };
}

export function number(doc: string, def: number | undefined, bounds: { min?: number; max?: number } = {}, extra: Extra = {}): PropertySpec<number> {
  return { type: "number", doc, default: def, parse: (v, n) => parseNumber(v, n, bounds), ...extra };
}

export function port(doc: string, def: number | undefined, extra: Extra = {}): PropertySpec<number> {
  return { type: "port", doc, default: def, parse: parsePort, ...extra };
}

export function string(doc: string, def: string | undefined, extra: Extra = {}): PropertySpec<string> {
  return { type: "string", doc, default: def, parse: parseString, ...extra };
}

export function oneOf<T extends string>(doc: string, choices: readonly T[], def: T | undefined, aliases: Readonly<Record<string, T>> = {}, extra: Extra = {}): PropertySpec<T> {
  return { type: choices.join(" | "), doc, default: def, parse: (v, n) => parseEnum(v, n, choices, aliases), ...extra };
}

export function list(doc: string, extra: Extra = {}): PropertySpec<string[]> {
  return { type: "list", doc, default: undefined, parse: parseList, ...extra };
}

export function stringMap(doc: string, extra: Extra = {}): PropertySpec<Record<string, string>> {
  return { type: "map", doc, default: undefined, parse: parseStringMap, ...extra };
}

/** A value taken as it is (objects, functions, references): only `check` runs. */
export function anyValue<T>(doc: string, type: string, check: (v: unknown, name: string) => T = (v) => v as T, def?: T, extra: Extra = {}): PropertySpec<T> {
  return { type, doc, default: def, parse: check, ...extra };
}
