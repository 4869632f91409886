/**
 * The one place the Pyro4 core reaches the serializers (serpent, json,
 * marshal), plus the helpers the daemon and proxy share for exception dicts.
 */
export { getSerializer, SERIALIZER_IDS, errorToPyro, pyroToError, PyroURIValue, type PyroSerializer } from "../../codecs/python/index.js";

/** Looks a key up in a deserialized dict (a plain object, or a Map when keys were not all strings). */
export function dictGet(d: unknown, key: string): unknown {
  if (d instanceof Map) return d.get(key);
  if (d !== null && typeof d === "object" && Object.prototype.hasOwnProperty.call(d, key)) return (d as Record<string, unknown>)[key];
  return undefined;
}

export function isDict(d: unknown): boolean {
  return d instanceof Map || (d !== null && typeof d === "object" && !Array.isArray(d) && !Buffer.isBuffer(d) && Object.getPrototypeOf(d) === Object.prototype);
}

/** A Pyro4 exception dict for a Python class name (`builtins.ValueError`, `Pyro4.errors.DaemonError`). */
export function pyroExceptionDict(pythonClass: string, message: string | undefined, traceback: string[] | null = null): Record<string, unknown> {
  const short = pythonClass.replace(/^builtins\./, "");
  const tb = traceback === null ? [`Traceback (most recent call last):\n`, `${short}${message === undefined ? "" : `: ${message}`}\n`] : traceback;
  return {
    __class__: pythonClass,
    __exception__: true,
    args: Object.freeze(message === undefined ? [] : [message]),
    attributes: { _pyroTraceback: tb },
  };
}

/** Converts a JS stack into Python traceback lines (each ending with a newline). */
export function jsTraceback(err: unknown, pythonClass: string, message: string): string[] {
  const short = pythonClass.replace(/^builtins\./, "");
  const lines = ["Traceback (most recent call last):\n"];
  const stack = err instanceof Error && typeof err.stack === "string" ? err.stack.split("\n") : [];
  const frames: string[] = [];
  for (const l of stack) {
    const m = /^\s+at (?:(.*?) \()?(.*?):(\d+):\d+\)?$/.exec(l);
    if (!m) continue;
    frames.push(`  File "${m[2]}", line ${m[3]}, in ${m[1] ?? "<anonymous>"}\n`);
  }
  lines.push(...frames.reverse());
  lines.push(`${short}: ${message}\n`);
  return lines;
}
