/**
 * Second spellings of properties: the original's snake_case and Python-style
 * names (`service_url`, `ca_certs`, `keyfile`, ...) as accessors that read and
 * write the camelCase property, so XML written for Spring Python and code in
 * its style set the same field. Declare them in the class for the types:
 *
 *     class Exporter { serviceName?: string; declare service_name: string | undefined; }
 *     aliasProperties(Exporter, { service_name: "serviceName" });
 */
export function aliasProperties(cls: abstract new (...args: never[]) => object, aliases: Readonly<Record<string, string>>): void {
  for (const [alias, target] of Object.entries(aliases)) {
    Object.defineProperty(cls.prototype, alias, {
      get(this: Record<string, unknown>): unknown {
        return this[target];
      },
      set(this: Record<string, unknown>, v: unknown) {
        this[target] = v;
      },
      configurable: true,
      enumerable: false,
    });
  }
}
