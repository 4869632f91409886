/**
 * Checks a set of definitions the way `run` would, short of creating objects
 * and opening sockets (what `remoting check-config` does):
 *
 * - references name definitions (checked when the definitions are read);
 * - no reference cycles (`a -> b -> a`);
 * - named constructor-args exist on the constructor;
 * - every property of a class that declares its properties (every exporter,
 *   proxy factory, server and client of this package, and any class of yours
 *   that uses `defineProperties`) exists, with a "did you mean" suggestion,
 *   and its literal value parses (ports, sizes, durations, booleans, TLS
 *   settings, URLs) with the same parser `run` uses.
 *
 * A class of your own that declares nothing is checked for its module and
 * export only: its fields exist only once an instance does. Declare its
 * properties with `defineProperties` to have them checked too.
 *
 * Every problem is returned, not only the first.
 */
import { ConfigError, ErrorCodes, errorMessage } from "../core/errors.js";
import { checkProperty, hasDeclaredProperties } from "../core/config/properties.js";
import { constructorParameters } from "../core/parameters.js";
import type { ObjectDefinition, ValueDef } from "./definitions.js";
import { toCamelCase } from "./parameters.js";

/** The refs a value holds (inner objects included). */
function refsOf(v: ValueDef, out: string[]): void {
  switch (v.kind) {
    case "ref":
      out.push(v.ref);
      break;
    case "inner":
      out.push(v.id);
      break;
    case "list":
    case "tuple":
    case "set":
    case "frozenset":
      for (const i of v.items) refsOf(i, out);
      break;
    case "dict":
      for (const [, i] of v.entries) refsOf(i, out);
      break;
    default:
      break;
  }
}

/** A value made only of literals, as the container would build it; undefined when it holds references. */
function literalOf(v: ValueDef): { value: unknown } | undefined {
  switch (v.kind) {
    case "value":
      return { value: v.value };
    case "null":
      return { value: null };
    case "list":
    case "tuple":
    case "set":
    case "frozenset": {
      const items: unknown[] = [];
      for (const i of v.items) {
        const l = literalOf(i);
        if (!l) return undefined;
        items.push(l.value);
      }
      return { value: v.kind === "set" || v.kind === "frozenset" ? new Set(items) : items };
    }
    case "dict": {
      const out: Record<string, unknown> = {};
      for (const [k, i] of v.entries) {
        const l = literalOf(i);
        if (!l) return undefined;
        out[k] = l.value;
      }
      return { value: out };
    }
    default:
      return undefined;
  }
}

function cycles(defs: ReadonlyMap<string, ObjectDefinition>): ConfigError[] {
  const edges = new Map<string, string[]>();
  for (const d of defs.values()) {
    const out: string[] = [];
    d.positionalArgs.forEach((v) => refsOf(v, out));
    d.namedArgs.forEach((v) => refsOf(v, out));
    d.properties.forEach((p) => refsOf(p.value, out));
    edges.set(d.id, out);
  }
  const problems: ConfigError[] = [];
  const state = new Map<string, "visiting" | "done">();
  const reported = new Set<string>();
  const visit = (id: string, path: string[]): void => {
    const s = state.get(id);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...path.slice(path.indexOf(id)), id];
      const key = [...cycle].sort().join(",");
      if (!reported.has(key)) {
        reported.add(key);
        const def = defs.get(id);
        problems.push(new ConfigError(`circular reference: ${cycle.join(" -> ")}`, ErrorCodes.ERR_CONFIG_CYCLE, { location: def?.location, objectId: id, path: cycle }));
      }
      return;
    }
    state.set(id, "visiting");
    for (const next of edges.get(id) ?? []) if (defs.has(next)) visit(next, [...path, id]);
    state.set(id, "done");
  };
  for (const id of defs.keys()) visit(id, []);
  return problems;
}

function located(err: unknown, def: ObjectDefinition, location: ObjectDefinition["location"]): ConfigError {
  if (err instanceof ConfigError) return new ConfigError(err.reason, err.code, { location: location ?? def.location, objectId: def.id, cause: err.cause ?? err });
  return new ConfigError(errorMessage(err), ErrorCodes.ERR_CONFIG_INVALID_VALUE, { location: location ?? def.location, objectId: def.id, cause: err });
}

/** Every problem `run` would meet in these definitions before creating objects (see the module comment). */
export function validateDefinitions(list: readonly ObjectDefinition[]): ConfigError[] {
  const defs = new Map(list.map((d) => [d.id, d]));
  const problems: ConfigError[] = [...cycles(defs)];
  for (const def of list) {
    if (def.abstract) continue;
    const cls = def.factory?.type;
    if (cls === undefined) continue;
    if (def.namedArgs.size > 0) {
      const params = constructorParameters(cls);
      if (params) {
        for (const name of def.namedArgs.keys()) {
          if (!params.includes(name) && !params.includes(toCamelCase(name))) {
            problems.push(
              new ConfigError(`class '${def.className ?? cls.name}' has no constructor parameter '${name}' (it takes ${params.length ? params.join(", ") : "none"})`, ErrorCodes.ERR_CONFIG_UNKNOWN_ARGUMENT, {
                location: def.location,
                objectId: def.id,
              }),
            );
          }
        }
      }
    }
    if (!hasDeclaredProperties(cls)) continue;
    for (const prop of def.properties) {
      const literal = literalOf(prop.value);
      try {
        checkProperty(cls, prop.name, literal?.value, literal !== undefined && literal.value !== null);
      } catch (err) {
        problems.push(located(err, def, prop.location));
      }
    }
  }
  return problems;
}
