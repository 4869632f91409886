/**
 * @peculiar/x509 depends on tsyringe, which needs the three Reflect metadata
 * functions below. They are installed only when missing, backed by a WeakMap;
 * nothing else of the Reflect metadata proposal is provided.
 */
type Key = unknown;
const store = new WeakMap<object, Map<PropertyKey | undefined, Map<Key, unknown>>>();

function own(target: object, prop: PropertyKey | undefined, create: boolean): Map<Key, unknown> | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let m = byProp.get(prop);
  if (!m && create) {
    m = new Map();
    byProp.set(prop, m);
  }
  return m;
}

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R["getMetadata"] !== "function") {
  R["defineMetadata"] = (key: Key, value: unknown, target: object, prop?: PropertyKey) => {
    own(target, prop, true)!.set(key, value);
  };
  R["getOwnMetadata"] = (key: Key, target: object, prop?: PropertyKey) => own(target, prop, false)?.get(key);
  R["getMetadata"] = (key: Key, target: object, prop?: PropertyKey) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const m = own(t, prop, false);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
}

export {};
