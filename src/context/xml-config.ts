/**
 * XMLConfig: reads Spring Python's `<objects>` XML (schema 1.0 and 1.1).
 *
 * Every element and attribute of the schema is understood; an unknown element
 * or attribute in the schema's namespace is an error, while elements and
 * attributes of other namespaces (`xsi:schemaLocation`, extensions) are
 * ignored. Errors name the file, line and column.
 *
 * Reading takes time linear in the size of the file (a deep document stops
 * at `maxDepth`, properties and definitions are indexed, parent chains are
 * followed without recursion and at most `maxDepth` long).
 *
 * A configuration is code: its `class` attributes load any module and call
 * any export (docs/security.md). Read only files you would run.
 */
import { readFile } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { ConfigError, ErrorCodes, type SourceLocation } from "../core/errors.js";
import { getLogger } from "../core/logging.js";
import { baseDirOf, type ResolveContext } from "./class-resolver.js";
import { newDefinition, type Config, type ObjectDefinition, type PropertyDef, type ValueDef } from "./definitions.js";
import { ReflectiveObjectFactory, ValueObjectFactory } from "./factories.js";
import { convertShortcut, TYPE_SHORTCUTS } from "./type-shortcuts.js";
import { parseXml, XmlSyntaxError, type XmlElement } from "./xml-tree.js";

export const NS_1_0 = "http://www.springframework.org/springpython/schema/objects";
export const NS_1_1 = "http://www.springframework.org/springpython/schema/objects/1.1";
const KNOWN_NS = new Set([NS_1_0, NS_1_1, ""]);

const log = getLogger("remoting.config.XMLConfig");

const OBJECT_ATTRS = new Set(["id", "class", "scope", "lazy-init", "abstract", "parent", "name", "local"]);
const ARG_ATTRS = new Set(["name", "ref", "value", "index"]);
const PROPERTY_ATTRS = new Set(["name", "ref", "value", "local"]);
const VALUE_FORMS = new Set(["object", "ref", "value", "null", "list", "tuple", "set", "frozenset", "dict", "props"]);
const COLLECTIONS = new Set(["list", "tuple", "set", "frozenset", "dict", "props"]);

/** Parses `lazy-init`/`abstract`: true/True are true; false/False/default/absent are false. */
export function parseDefaultableBoolean(raw: string | undefined, what: string, loc: SourceLocation, id?: string): boolean {
  if (raw === undefined) return false;
  switch (raw.trim()) {
    case "true":
    case "True":
      return true;
    case "false":
    case "False":
    case "default":
    case "":
      return false;
    default:
      throw new ConfigError(`${what}="${raw}" is not one of true, True, false, False, default`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, {
        location: loc,
        objectId: id,
      });
  }
}

/** A string value from XML: exactly true/True/false/False become booleans, anything else stays a string. */
export function xmlScalar(text: string): unknown {
  switch (text) {
    case "True":
    case "true":
      return true;
    case "False":
    case "false":
      return false;
    default:
      return text;
  }
}

export interface XMLConfigOptions {
  /** Limit on element nesting, and on the length of a chain of parents (default 256). */
  maxDepth?: number;
}

export class XMLConfig implements Config {
  readonly locations: string[];
  private readonly options: XMLConfigOptions;
  /** Names registered with the context (`classes` option), set by the context. */
  classes: ReadonlyMap<string, unknown> | undefined;

  constructor(locations: string | readonly string[], options: XMLConfigOptions = {}) {
    this.locations = (typeof locations === "string" ? [locations] : [...locations]).map((l) => resolvePath(l));
    this.options = options;
  }

  describe(): string {
    return `XMLConfig(${this.locations.join(", ")})`;
  }

  async readObjectDefinitions(): Promise<ObjectDefinition[]> {
    const all: ObjectDefinition[] = [];
    for (const file of this.locations) {
      log.debug("==============================================================");
      log.debug("* Parsing %s", file);
      log.debug("==============================================================");
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (err) {
        throw new ConfigError(`cannot read configuration file: ${(err as Error).message}`, ErrorCodes.ERR_CONFIG_FILE_NOT_FOUND, {
          location: { file },
          cause: err,
        });
      }
      all.push(...parseObjectsXml(text, file, this.classes, this.options));
    }
    return all;
  }
}

/** Parses one XML document into definitions (exported for tests and check-config). */
export function parseObjectsXml(
  text: string,
  file: string | undefined,
  classes?: ReadonlyMap<string, unknown>,
  options: XMLConfigOptions = {},
): ObjectDefinition[] {
  let root: XmlElement;
  try {
    root = parseXml(text, options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {});
  } catch (err) {
    if (err instanceof XmlSyntaxError) {
      throw new ConfigError(`malformed XML: ${err.reason}`, ErrorCodes.ERR_CONFIG_XML_MALFORMED, {
        location: { file, line: err.line, column: err.column },
        cause: err,
      });
    }
    throw err;
  }
  return new XmlReader(file, classes, options.maxDepth ?? 256).read(root);
}

class XmlReader {
  /** The definitions by id, in definition order (a later one of the same id takes the earlier one's place at the end). */
  private readonly defs = new Map<string, ObjectDefinition>();
  private readonly resolveCtx: Omit<ResolveContext, "location" | "objectId">;

  constructor(
    private readonly file: string | undefined,
    classes: ReadonlyMap<string, unknown> | undefined,
    private readonly maxDepth: number,
  ) {
    this.resolveCtx = { baseDir: baseDirOf(file), classes };
  }

  private loc(el: XmlElement): SourceLocation {
    return { file: this.file, line: el.line, column: el.column };
  }

  private error(reason: string, code: string, el: XmlElement, objectId?: string): ConfigError {
    return new ConfigError(reason, code, { location: this.loc(el), objectId });
  }

  private ours(el: XmlElement): boolean {
    return KNOWN_NS.has(el.ns);
  }

  private checkAttrs(el: XmlElement, allowed: ReadonlySet<string>, objectId?: string): void {
    for (const name of el.attrs.keys()) {
      if (!allowed.has(name)) {
        throw this.error(
          `unknown attribute '${name}' on <${el.name}> (allowed: ${[...allowed].join(", ")})`,
          ErrorCodes.ERR_CONFIG_UNKNOWN_ATTRIBUTE,
          el,
          objectId,
        );
      }
    }
  }

  /** Children in our namespace, minus <description>; foreign elements are skipped. */
  private elements(el: XmlElement): XmlElement[] {
    return el.children.filter((c) => {
      if (!this.ours(c)) {
        log.debug("ignoring element {%s}%s at line %d", c.ns, c.name, c.line);
        return false;
      }
      return c.name !== "description";
    });
  }

  private add(def: ObjectDefinition): void {
    if (this.defs.has(def.id)) {
      log.debug("Overriding previous definition of %s", def.id);
      this.defs.delete(def.id);
    }
    this.defs.set(def.id, def);
  }

  read(root: XmlElement): ObjectDefinition[] {
    if (!this.ours(root)) {
      throw this.error(`the root element is in the unknown namespace '${root.ns}'`, ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT, root);
    }
    if (root.name !== "objects") {
      throw this.error(`the root element must be <objects>, not <${root.name}>`, ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT, root);
    }
    this.checkAttrs(root, new Set());
    for (const el of this.elements(root)) {
      if (el.name === "object") this.readObject(el, undefined);
      else if (TYPE_SHORTCUTS.has(el.name)) this.readShortcut(el);
      else {
        throw this.error(
          `unknown element <${el.name}> in <objects> (expected object, ${[...TYPE_SHORTCUTS.keys()].join(", ")})`,
          ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT,
          el,
        );
      }
    }
    this.applyParents();
    return [...this.defs.values()];
  }

  private readShortcut(el: XmlElement): void {
    this.checkAttrs(el, new Set(["id"]));
    const id = el.attrs.get("id");
    if (id === undefined || id === "") {
      throw this.error(`<${el.name}> needs an id attribute`, ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE, el);
    }
    const nested = this.elements(el);
    if (nested.length > 0) throw this.error(`<${el.name}> holds text only, not <${nested[0]!.name}>`, ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT, nested[0]!, id);
    let value: unknown;
    try {
      value = convertShortcut(el.name, el.text);
    } catch (err) {
      throw new ConfigError(`<${el.name}>: ${(err as Error).message}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, {
        location: this.loc(el),
        objectId: id,
        cause: err,
      });
    }
    this.add(
      newDefinition(id, {
        className: el.name,
        factory: new ValueObjectFactory(value, `${el.name}(${JSON.stringify(el.text)})`),
        location: this.loc(el),
        source: this.file,
      }),
    );
  }

  /** Reads an <object>; returns its id. `innerPath` is set for inner objects. */
  private readObject(el: XmlElement, innerPath: string | undefined): string {
    const ownId = el.attrs.get("id");
    let id: string;
    if (innerPath !== undefined) id = `${innerPath}.${ownId && ownId !== "" ? ownId : "<anonymous>"}`;
    else if (ownId === undefined || ownId === "") {
      throw this.error("<object> needs an id attribute", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE, el);
    } else id = ownId;
    this.checkAttrs(el, OBJECT_ATTRS, id);
    const loc = this.loc(el);
    const scopeRaw = el.attrs.get("scope");
    let scope: "singleton" | "prototype" = "singleton";
    if (scopeRaw !== undefined) {
      if (scopeRaw === "singleton" || scopeRaw === "prototype") scope = scopeRaw;
      else {
        throw new ConfigError(`unknown scope '${scopeRaw}' (use singleton or prototype)`, ErrorCodes.ERR_CONFIG_INVALID_SCOPE, {
          location: loc,
          objectId: id,
        });
      }
    }
    const className = el.attrs.get("class");
    const def = newDefinition(id, {
      className,
      scope,
      lazyInit: parseDefaultableBoolean(el.attrs.get("lazy-init"), "lazy-init", loc, id),
      abstract: parseDefaultableBoolean(el.attrs.get("abstract"), "abstract", loc, id),
      parent: el.attrs.get("parent") || undefined,
      location: loc,
      source: this.file,
      innerOf: innerPath,
    });
    if (el.attrs.has("abstract")) (def as ObjectDefinition & { declaredAbstract?: boolean }).declaredAbstract = true;

    const children = this.elements(el);
    /** Where each property name is in def.properties (a later one replaces an earlier one in place). */
    const propertyAt = new Map<string, number>();
    for (const child of children) {
      if (child.name === "constructor-arg") {
        this.checkAttrs(child, ARG_ATTRS, id);
        const name = child.attrs.get("name");
        const index = child.attrs.get("index");
        const pathName = name ?? `constr(${index ?? def.positionalArgs.length})`;
        const value = this.readValueHolder(child, `${id}.${pathName}`, id);
        if (name !== undefined) {
          if (def.namedArgs.has(name)) throw this.error(`constructor-arg '${name}' is given twice`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, child, id);
          def.namedArgs.set(name, value);
        } else if (index !== undefined) {
          if (!/^\d+$/.test(index)) throw this.error(`constructor-arg index '${index}' is not a number`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, child, id);
          // every index below it must be given too: one beyond the number of arguments cannot be
          if (Number(index) >= children.length) throw this.error(`constructor-arg index ${index} is beyond the object's ${children.length} arguments`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, child, id);
          def.positionalArgs[Number(index)] = value;
        } else def.positionalArgs.push(value);
      } else if (child.name === "property") {
        this.checkAttrs(child, PROPERTY_ATTRS, id);
        const name = child.attrs.get("name");
        if (name === undefined || name === "") throw this.error("<property> needs a name attribute", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE, child, id);
        const prop: PropertyDef = { name, value: this.readValueHolder(child, `${id}.${name}`, id), location: this.loc(child) };
        const existing = propertyAt.get(name);
        if (existing !== undefined) def.properties[existing] = prop;
        else {
          propertyAt.set(name, def.properties.length);
          def.properties.push(prop);
        }
      } else {
        throw this.error(
          `unknown element <${child.name}> in <object> (expected description, constructor-arg, property)`,
          ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT,
          child,
          id,
        );
      }
    }
    for (let i = 0; i < def.positionalArgs.length; i++) {
      if (def.positionalArgs[i] === undefined) {
        throw new ConfigError(`constructor-arg index ${i} is missing`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { location: loc, objectId: id });
      }
    }
    if (className !== undefined) {
      def.factory = new ReflectiveObjectFactory(className, { ...this.resolveCtx, location: loc, objectId: id });
    }
    this.add(def);
    return id;
  }

  /** A <constructor-arg> or <property>: value from an attribute or exactly one child element. */
  private readValueHolder(el: XmlElement, path: string, objectId: string): ValueDef {
    const loc = this.loc(el);
    const forms: ValueDef[] = [];
    const ref = el.attrs.get("ref") ?? el.attrs.get("local");
    if (ref !== undefined) forms.push({ kind: "ref", ref, location: loc });
    const value = el.attrs.get("value");
    if (value !== undefined) forms.push({ kind: "value", value: xmlScalar(value), location: loc });
    for (const child of this.elements(el)) forms.push(this.readValueElement(child, path, objectId, true));
    if (forms.length === 0) {
      throw this.error(`<${el.name}> has no value (use value=, ref=, or one value element)`, ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE, el, objectId);
    }
    if (forms.length > 1) {
      throw this.error(`<${el.name}> has ${forms.length} values; give exactly one`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, el, objectId);
    }
    return forms[0]!;
  }

  /** One value element: object, ref, value, null, list, tuple, set, frozenset, dict, props. */
  private readValueElement(el: XmlElement, path: string, objectId: string, top: boolean): ValueDef {
    const loc = this.loc(el);
    switch (el.name) {
      case "object":
        return { kind: "inner", id: this.readObject(el, path), location: loc };
      case "ref": {
        this.checkAttrs(el, new Set(["object", "local"]), objectId);
        const target = el.attrs.get("object") ?? el.attrs.get("local");
        if (!target) throw this.error("<ref> needs an object attribute", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE, el, objectId);
        return { kind: "ref", ref: target, location: loc };
      }
      case "null":
        this.checkAttrs(el, new Set(), objectId);
        return { kind: "null", location: loc };
      case "value": {
        this.checkAttrs(el, new Set(["ref"]), objectId);
        const r = el.attrs.get("ref");
        if (r !== undefined) return { kind: "ref", ref: r, location: loc };
        const nested = this.elements(el);
        if (nested.length > 1) throw this.error("<value> holds at most one element", ErrorCodes.ERR_CONFIG_INVALID_VALUE, el, objectId);
        if (nested.length === 1) {
          const inner = nested[0]!;
          if (!COLLECTIONS.has(inner.name) && inner.name !== "ref") {
            throw this.error(`unknown element <${inner.name}> in <value>`, ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT, inner, objectId);
          }
          return this.readValueElement(inner, path, objectId, false);
        }
        return { kind: "value", value: xmlScalar(el.text), location: loc };
      }
      case "list":
      case "tuple":
      case "set":
      case "frozenset": {
        this.checkAttrs(el, new Set(["local"]), objectId);
        const items = this.elements(el).map((c, i) => {
          if (!VALUE_FORMS.has(c.name)) {
            throw this.error(`unknown element <${c.name}> in <${el.name}>`, ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT, c, objectId);
          }
          const seg = el.name === "list" ? `list[${i}]` : `${el.name}(${i})`;
          return this.readValueElement(c, `${path}.${seg}`, objectId, false);
        });
        return { kind: el.name, items, location: loc };
      }
      case "dict": {
        this.checkAttrs(el, new Set(), objectId);
        const entries: Array<[string, ValueDef]> = [];
        for (const entry of this.elements(el)) {
          if (entry.name !== "entry") {
            throw this.error(`unknown element <${entry.name}> in <dict> (expected entry)`, ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT, entry, objectId);
          }
          entries.push(this.readEntry(entry, path, objectId));
        }
        return { kind: "dict", entries, location: loc };
      }
      case "props": {
        this.checkAttrs(el, new Set(), objectId);
        const entries: Array<[string, ValueDef]> = [];
        for (const p of this.elements(el)) {
          if (p.name !== "prop") throw this.error(`unknown element <${p.name}> in <props> (expected prop)`, ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT, p, objectId);
          this.checkAttrs(p, new Set(["key"]), objectId);
          const key = p.attrs.get("key");
          if (key === undefined) throw this.error("<prop> needs a key attribute", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE, p, objectId);
          entries.push([key, { kind: "value", value: p.text, location: this.loc(p) }]);
        }
        return { kind: "dict", entries, location: loc };
      }
      default:
        throw this.error(
          `unknown element <${el.name}>${top ? "" : " in a collection"} (expected one of ${[...VALUE_FORMS].join(", ")})`,
          ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT,
          el,
          objectId,
        );
    }
  }

  private readEntry(entry: XmlElement, path: string, objectId: string): [string, ValueDef] {
    this.checkAttrs(entry, new Set(["key", "value", "ref"]), objectId);
    const loc = this.loc(entry);
    let key = entry.attrs.get("key");
    const values: ValueDef[] = [];
    const attrVal = entry.attrs.get("value");
    if (attrVal !== undefined) values.push({ kind: "value", value: xmlScalar(attrVal), location: loc });
    const attrRef = entry.attrs.get("ref");
    if (attrRef !== undefined) values.push({ kind: "ref", ref: attrRef, location: loc });
    const pending: XmlElement[] = [];
    for (const c of this.elements(entry)) {
      if (c.name === "key") {
        if (key !== undefined) throw this.error("<entry> has two keys", ErrorCodes.ERR_CONFIG_INVALID_VALUE, c, objectId);
        const kv = this.elements(c);
        if (kv.length !== 1 || kv[0]!.name !== "value" || this.elements(kv[0]!).length > 0) {
          throw this.error("<key> must hold one <value> with text", ErrorCodes.ERR_CONFIG_INVALID_VALUE, c, objectId);
        }
        key = kv[0]!.text;
      } else pending.push(c);
    }
    if (key === undefined) throw this.error("<entry> has no key", ErrorCodes.ERR_CONFIG_MISSING_ATTRIBUTE, entry, objectId);
    for (const c of pending) {
      if (!VALUE_FORMS.has(c.name)) throw this.error(`unknown element <${c.name}> in <entry>`, ErrorCodes.ERR_CONFIG_UNKNOWN_ELEMENT, c, objectId);
      values.push(this.readValueElement(c, `${path}.dict['${key}']`, objectId, false));
    }
    if (values.length !== 1) {
      throw this.error(`<entry key='${key}'> must have exactly one value, not ${values.length}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, entry, objectId);
    }
    return [key, values[0]!];
  }

  /**
   * Merges each child with its parent chain (positional args by index, named
   * args and properties by name), ancestors first, without recursion; a
   * chain longer than maxDepth is refused (a chain's definitions are merged
   * once each, so the work is linear in the file, times at most maxDepth).
   */
  private applyParents(): void {
    const merged = new Map<string, ObjectDefinition>();
    /** How many ancestors a merged definition has. */
    const depthOf = new Map<string, number>();
    for (const id of [...this.defs.keys()]) {
      const def = this.defs.get(id)!;
      if (!def.parent || merged.has(id)) continue;
      // the chain up to a definition without a parent (or one merged already)
      const chain: ObjectDefinition[] = [def];
      const seen = new Set<string>([id]);
      for (let cur = def; cur.parent && !merged.has(cur.id); ) {
        const parentId = cur.parent;
        if (seen.has(parentId)) {
          const path = [...chain.map((d) => d.id), parentId];
          throw new ConfigError(`parent chain loops: ${path.join(" -> ")}`, ErrorCodes.ERR_CONFIG_CYCLE, { location: def.location, objectId: def.id, path });
        }
        const parentDef = this.defs.get(parentId);
        if (!parentDef) {
          throw new ConfigError(`parent '${parentId}' is not defined in this file`, ErrorCodes.ERR_CONFIG_BAD_PARENT, { location: cur.location, objectId: cur.id });
        }
        seen.add(parentId);
        chain.push(parentDef);
        cur = parentDef;
      }
      // merge from the top: each child over its merged parent
      for (let i = chain.length - 2; i >= 0; i--) {
        const child = chain[i]!;
        const top = chain[i + 1]!;
        const depth = (depthOf.get(top.id) ?? 0) + 1;
        if (depth > this.maxDepth) {
          throw new ConfigError(`'${child.id}' has a chain of more than ${this.maxDepth} parents`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { location: child.location, objectId: child.id });
        }
        depthOf.set(child.id, depth);
        merged.set(child.id, mergeDefinitions(child, merged.get(top.id) ?? top));
      }
    }
    for (const [id, def] of merged) this.defs.set(id, def);
  }
}

/** A child definition over its (merged) parent: the child's positional args, named args and properties win; the class is the child's, else the parent's. */
function mergeDefinitions(def: ObjectDefinition, parent: ObjectDefinition): ObjectDefinition {
  const positional = [...def.positionalArgs];
  for (let i = positional.length; i < parent.positionalArgs.length; i++) positional[i] = parent.positionalArgs[i]!;
  const named = new Map(def.namedArgs);
  for (const [k, v] of parent.namedArgs) if (!named.has(k)) named.set(k, v);
  const props = [...def.properties];
  const own = new Set(def.properties.map((p) => p.name));
  for (const p of parent.properties) if (!own.has(p.name)) props.push(p);
  return {
    ...def,
    className: def.className ?? parent.className,
    factory: def.className !== undefined ? def.factory : parent.factory,
    positionalArgs: positional,
    namedArgs: named,
    properties: props,
  };
}
