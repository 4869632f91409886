/**
 * State that must be one per process, not one per copy of this package.
 *
 * A process can hold two copies of `remoting`: two installed versions, or
 * one package loaded both as an ES module and, through tsx's CommonJS
 * loader, as a transpiled copy (a `.ts` file of a CommonJS project that
 * imports `remoting`, while the package itself loads its protocols with
 * `import()`). The registries (class names, endpoints, discovery sources),
 * the log level and sink, and the call-context storage are kept on
 * `globalThis` under `Symbol.for` keys, so every copy sees the same ones:
 * `setLogLevel` in an application reaches the library's loggers, a service
 * sees its `callContext()`, and every protocol is known to every copy.
 */
export function processShared<T>(name: string, init: () => T): T {
  const key = Symbol.for(`remoting.shared.${name}`);
  const g = globalThis as unknown as Record<symbol, unknown>;
  if (!Object.prototype.hasOwnProperty.call(g, key)) Object.defineProperty(g, key, { value: init(), enumerable: false, writable: false, configurable: false });
  return g[key] as T;
}
