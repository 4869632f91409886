/**
 * The definition model the container works on. Configs (XML, code) produce
 * `ObjectDefinition`s; the container creates objects from them.
 */
import type { SourceLocation } from "../core/errors.js";

export type Scope = "singleton" | "prototype";

/** How a value in a definition is obtained. */
export type ValueDef =
  | { kind: "value"; value: unknown; location?: SourceLocation | undefined }
  | { kind: "ref"; ref: string; location?: SourceLocation | undefined }
  | { kind: "inner"; id: string; location?: SourceLocation | undefined }
  | { kind: "null"; location?: SourceLocation | undefined }
  | { kind: "list" | "tuple" | "set" | "frozenset"; items: ValueDef[]; location?: SourceLocation | undefined }
  | { kind: "dict"; entries: Array<[string, ValueDef]>; location?: SourceLocation | undefined };

export interface PropertyDef {
  name: string;
  value: ValueDef;
  location?: SourceLocation | undefined;
}

export interface CreateArgs {
  positional: unknown[];
  named: Map<string, unknown>;
  /** Resolves another object through the container (used by code configs). */
  getObject: (id: string) => Promise<unknown>;
}

/** Makes the instance of a definition. */
export interface ObjectFactory {
  /** Loads what the factory needs (modules). Called once, before any creation. */
  prepare?(): Promise<void>;
  create(args: CreateArgs): unknown;
  /** For logs and check-config: e.g. `ReflectiveObjectFactory(server.Service)`. */
  describe(): string;
  /** The class, once known (after prepare), to tell post-processors apart. */
  readonly type?: (abstract new (...args: any[]) => unknown) | undefined;
}

export interface ObjectDefinition {
  id: string;
  /** The class attribute as written, when there is one. */
  className?: string | undefined;
  factory: ObjectFactory | undefined;
  scope: Scope;
  lazyInit: boolean;
  abstract: boolean;
  parent?: string | undefined;
  positionalArgs: ValueDef[];
  namedArgs: Map<string, ValueDef>;
  properties: PropertyDef[];
  /** Where the definition was read from. */
  location?: SourceLocation | undefined;
  /** The config that produced it (for messages). */
  source?: string | undefined;
  /** Set for inner objects: the id of the object that contains it. */
  innerOf?: string | undefined;
}

/** A source of object definitions: XMLConfig, CodeConfig, or your own. */
export interface Config {
  /** Reads (and validates) the definitions. */
  readObjectDefinitions(): Promise<ObjectDefinition[]>;
  /** Called with the context before any object is created. */
  setAppContext?(ctx: unknown): void;
  /** A short description for logs. */
  describe(): string;
}

export function newDefinition(id: string, init: Partial<ObjectDefinition> = {}): ObjectDefinition {
  return {
    id,
    className: undefined,
    factory: undefined,
    scope: "singleton",
    lazyInit: false,
    abstract: false,
    parent: undefined,
    positionalArgs: [],
    namedArgs: new Map(),
    properties: [],
    ...init,
  };
}
