/** The Reflect metadata functions tsyringe (used by @peculiar/x509) checks for at load time. */
const meta = new WeakMap<object, Map<unknown, unknown>>();
const R = Reflect as unknown as Record<string, unknown>;
if (typeof R["getMetadata"] !== "function") {
  const key = (k: unknown, p?: PropertyKey) => `${String(p)}\u0000${String(k)}`;
  R["defineMetadata"] = (k: unknown, v: unknown, target: object, p?: PropertyKey) => {
    let m = meta.get(target);
    if (!m) meta.set(target, (m = new Map()));
    m.set(key(k, p), v);
  };
  R["getOwnMetadata"] = (k: unknown, target: object, p?: PropertyKey) => meta.get(target)?.get(key(k, p));
  R["getMetadata"] = (k: unknown, target: object, p?: PropertyKey) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const m = meta.get(t);
      if (m?.has(key(k, p))) return m.get(key(k, p));
    }
    return undefined;
  };
}
export {};
