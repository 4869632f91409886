/**
 * The Python-literal codecs: serpent (Pyro4 serializer id 1), json (2) and
 * marshal (3), with Python's exception dicts. Pyro4 speaks them on the wire;
 * the NATS transport carries its calls in the same codecs (json, serpent),
 * so a call reads alike over both. See docs/pyro4-serializers.md for the
 * type mapping, limits and error codes.
 */
import { SerializationError } from "../../core/errors.js";
import { asUint8Array, isPlainObject, resolveOptions, serError, type ResolvedOptions, type SerializerOptions } from "./common.js";
import { jsonCallAt, jsonCallText, jsonDumps, jsonDumpsCall, jsonLoads, jsonStringAt, jsonValueText } from "./json.js";
import { marshalDumps, marshalDumpsCall, marshalLoads } from "./marshal.js";
import { serpentCallAt, serpentCallText, serpentDumps, serpentStringAt, serpentDumpsCall, serpentLoads, serpentLoadsCallFast, serpentValueText } from "./serpent.js";

export type { SerializerLimits, SerializerOptions } from "./common.js";
export { DEFAULT_LIMITS, toBytes } from "./common.js";
export { errorToPyro, isExceptionDict, pyroToError, pythonExceptionName } from "./exceptions.js";
export { PyroURIValue } from "./uri-value.js";
export { pyFloatRepr, pyStrRepr } from "./pyrepr.js";
export { SERPENT_HEADER } from "./serpent.js";

export interface PyroSerializer {
  /** 1 serpent, 2 json, 3 marshal. */
  readonly id: number;
  readonly name: "serpent" | "json" | "marshal";
  /**
   * A result or any other value. With `head` (default 0), that many bytes are
   * left unwritten before the payload, for the caller's frame header: the
   * payload is `b.subarray(head)`, written where the frame wants it.
   */
  dumps(value: unknown, head?: number): Buffer;
  /** Throws SerializationError (code ERR_SERIALIZATION, or ERR_LIMIT_EXCEEDED for a limit) on bad input. */
  loads(data: Uint8Array): unknown;
  /** An INVOKE payload (after `head` unwritten bytes, as for dumps). */
  dumpsCall(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>, head?: number): Buffer;
  loadsCall(data: Uint8Array): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> };
  /**
   * Hot paths: the payload of a small plain call, or of a scalar value, as
   * text whose characters are all below 0x80 (to be written as bytes as is),
   * or undefined when the value needs the full writer (use dumpsCall/dumps).
   */
  callText(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>): string | undefined;
  valueText(value: unknown): string | undefined;
  /** Hot path of loadsCall: a small plain call read straight from b[start, end), or undefined (then use loadsCall). */
  callAt(b: Buffer, start: number, end: number): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> } | undefined;
  /** Hot path of loads: a payload at b[start, end) that is one plain ASCII string, read straight from the bytes, or undefined (then use loads). */
  stringAt(b: Buffer, start: number, end: number): string | undefined;
}

export const SERIALIZER_IDS: { readonly serpent: 1; readonly json: 2; readonly marshal: 3 } = Object.freeze({ serpent: 1, json: 2, marshal: 3 });

/** Ids Pyro4 knows but this library refuses (unsafe or unavailable formats). */
const KNOWN_UNSUPPORTED: Record<number, string> = { 4: "pickle", 5: "dill", 6: "msgpack", 7: "cloudpickle" };

type Codec = {
  dumps(v: unknown, o: ResolvedOptions, head: number): Buffer;
  loads(d: Uint8Array, o: ResolvedOptions): unknown;
  dumpsCall(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>, o: ResolvedOptions, head: number): Buffer;
};

type Call = { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> };

/** A codec's hot paths for small plain calls and results (see PyroSerializer); each returns undefined outside its class. */
type HotPaths = {
  callText(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>): string | undefined;
  valueText(value: unknown): string | undefined;
  callAt(b: Buffer, start: number, end: number, o: ResolvedOptions): Call | undefined;
  stringAt(b: Buffer, start: number, end: number, o: ResolvedOptions): string | undefined;
  /** A whole call payload read without the general reader, or undefined (then loads() and the call's checks). */
  loadsCall(data: Uint8Array, o: ResolvedOptions): Call | undefined;
};

/** marshal has none: its calls and results always take the general writer and reader. */
const NO_HOT_PATHS: HotPaths = { callText: () => undefined, valueText: () => undefined, callAt: () => undefined, stringAt: () => undefined, loadsCall: () => undefined };

const CODECS: Record<"serpent" | "json" | "marshal", Codec & { hot: HotPaths }> = {
  serpent: {
    dumps: serpentDumps,
    loads: serpentLoads,
    dumpsCall: serpentDumpsCall,
    hot: { callText: serpentCallText, valueText: serpentValueText, callAt: serpentCallAt, stringAt: serpentStringAt, loadsCall: serpentLoadsCallFast },
  },
  json: {
    dumps: jsonDumps,
    loads: jsonLoads,
    dumpsCall: jsonDumpsCall,
    hot: { callText: jsonCallText, valueText: jsonValueText, callAt: jsonCallAt, stringAt: jsonStringAt, loadsCall: NO_HOT_PATHS.loadsCall },
  },
  marshal: { dumps: marshalDumps, loads: marshalLoads, dumpsCall: marshalDumpsCall, hot: NO_HOT_PATHS },
};

function wrapUnexpected(err: unknown, what: string): SerializationError {
  if (err instanceof SerializationError) return err;
  // e.g. a RangeError from a value the writer could not handle: never let it escape as anything else
  return serError(`${what}: ${err instanceof Error ? err.message : String(err)}`, err);
}

function callTuple(data: unknown, name: string): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> } {
  let objectId: unknown, method: unknown, vargs: unknown, kwargs: unknown;
  if (name === "json") {
    if (data === null || typeof data !== "object" || Array.isArray(data) || data instanceof Map) throw serError("json call data must be an object");
    const rec = data as Record<string, unknown>;
    for (const k of ["object", "method", "params", "kwargs"]) {
      if (!Object.prototype.hasOwnProperty.call(rec, k)) throw serError(`json call data lacks "${k}"`);
    }
    ({ object: objectId, method, params: vargs, kwargs } = rec);
  } else {
    if (!Array.isArray(data) || data.length !== 4) throw serError(`${name} call data must be a 4-tuple (object, method, vargs, kwargs)`);
    [objectId, method, vargs, kwargs] = data as unknown[];
  }
  if (typeof objectId !== "string") throw serError("call object id must be a string");
  if (typeof method !== "string") throw serError("call method name must be a string");
  if (!Array.isArray(vargs)) throw serError("call positional arguments must be a tuple or list");
  let kw: Record<string, unknown>;
  if (kwargs === null || kwargs === undefined) kw = {}; // Pyro sends None for __getattr__, __setattr__ and <batch>
  else if (typeof kwargs === "object" && !Array.isArray(kwargs) && !(kwargs instanceof Map) && !(kwargs instanceof Set) && !Buffer.isBuffer(kwargs)) {
    kw = kwargs as Record<string, unknown>;
  } else throw serError("call keyword arguments must be a dict with str keys");
  return { objectId, method, vargs: [...(vargs as unknown[])], kwargs: kw };
}

class Serializer implements PyroSerializer {
  readonly id: number;
  private readonly codec: Codec;
  private readonly hot: HotPaths;
  constructor(
    readonly name: "serpent" | "json" | "marshal",
    private readonly opts: ResolvedOptions,
  ) {
    this.id = SERIALIZER_IDS[name];
    this.codec = CODECS[name];
    this.hot = CODECS[name].hot;
  }
  dumps(value: unknown, head = 0): Buffer {
    try {
      return this.codec.dumps(value, this.opts, head);
    } catch (e) {
      throw wrapUnexpected(e, `${this.name} cannot serialize the value`);
    }
  }
  loads(data: Uint8Array): unknown {
    try {
      return this.codec.loads(asUint8Array(data), this.opts);
    } catch (e) {
      throw wrapUnexpected(e, `${this.name} cannot deserialize the data`);
    }
  }
  dumpsCall(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>, head = 0): Buffer {
    if (kwargs !== null && kwargs !== undefined && (typeof kwargs !== "object" || !isPlainObject(kwargs))) {
      throw serError("keyword arguments must be a plain object (Python needs a dict with str keys)");
    }
    try {
      return this.codec.dumpsCall(objectId, method, vargs, kwargs, this.opts, head);
    } catch (e) {
      throw wrapUnexpected(e, `${this.name} cannot serialize the call`);
    }
  }
  callText(objectId: string, method: string, vargs: readonly unknown[], kwargs: Record<string, unknown>): string | undefined {
    return this.hot.callText(objectId, method, vargs, kwargs);
  }
  valueText(value: unknown): string | undefined {
    return this.hot.valueText(value);
  }
  callAt(b: Buffer, start: number, end: number): Call | undefined {
    return this.hot.callAt(b, start, end, this.opts);
  }
  stringAt(b: Buffer, start: number, end: number): string | undefined {
    return this.hot.stringAt(b, start, end, this.opts);
  }
  loadsCall(data: Uint8Array): { objectId: string; method: string; vargs: unknown[]; kwargs: Record<string, unknown> } {
    const fast = this.hot.loadsCall(asUint8Array(data), this.opts);
    if (fast !== undefined) return fast;
    return callTuple(this.loads(data), this.name);
  }
}

/**
 * The serializer for a Pyro4 id (1, 2, 3) or name ("serpent", "json",
 * "marshal"). Anything else — including pickle (4), dill (5), msgpack (6) and
 * cloudpickle (7) — is a SerializationError with code ERR_SERIALIZATION.
 */
export function getSerializer(idOrName: number | string, limits?: SerializerOptions): PyroSerializer {
  let name: "serpent" | "json" | "marshal" | undefined;
  if (typeof idOrName === "number" || (typeof idOrName === "string" && /^\d+$/.test(idOrName.trim()))) {
    const id = Number(idOrName);
    name = id === 1 ? "serpent" : id === 2 ? "json" : id === 3 ? "marshal" : undefined;
    if (!name) {
      const known = KNOWN_UNSUPPORTED[id];
      throw serError(known ? `the ${known} serializer (id ${id}) is not supported` : `unknown serializer id ${String(idOrName)}`);
    }
  } else if (typeof idOrName === "string") {
    const n = idOrName.trim().toLowerCase();
    if (n === "serpent" || n === "json" || n === "marshal") name = n;
    else throw serError(`unknown or unsupported serializer '${idOrName}' (serpent, json and marshal are available)`);
  } else {
    throw serError(`serializer must be an id or a name, not ${typeof idOrName}`);
  }
  return new Serializer(name, resolveOptions(limits));
}
