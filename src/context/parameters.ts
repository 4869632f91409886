/**
 * Names in configuration: snake_case XML names map to camelCase members;
 * constructor parameter names come from the core's source reader.
 */
export { constructorParameters } from "../core/parameters.js";

export function toCamelCase(name: string): string {
  return name.replace(/_+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}
