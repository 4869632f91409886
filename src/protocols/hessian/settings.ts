/**
 * Property specifications shared by HessianProxyFactory and
 * HessianServiceExporter (core/config/properties): the decoder settings, the
 * class registry and extra HTTP headers, each parsed strictly.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { anyValue, type PropertySpec } from "../../core/config/properties.js";
import { closest, parseBoolean, parseEntries, parseEnum, parseInteger, parseStringMap } from "../../core/config/values.js";
import { checkHeader } from "../../http/client.js";
import { ClassRegistry, DEFAULT_LIMITS } from "./types.js";
import type { HessianDecodeSettings } from "./client.js";

const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as Array<keyof typeof DEFAULT_LIMITS>;
const DECODE_NAMES = [...LIMIT_NAMES, "mapsAs", "preserveTypes"];

/** Decoder settings: an object (a <dict> in XML) or JSON text of limits, `mapsAs` and `preserveTypes`. */
export function parseDecodeSettings(value: unknown, name: string): HessianDecodeSettings {
  const entries = parseEntries(value, name);
  const out: HessianDecodeSettings = {};
  for (const [k, v] of entries) {
    const what = `${name}.${k}`;
    if (k === "mapsAs") out.mapsAs = parseEnum(v, what, ["object", "map"] as const);
    else if (k === "preserveTypes") out.preserveTypes = parseBoolean(v, what);
    else if ((LIMIT_NAMES as string[]).includes(k)) out[k as keyof typeof DEFAULT_LIMITS] = parseInteger(v, what, { min: 1 });
    else {
      const s = closest(k, DECODE_NAMES);
      throw new ConfigError(`${name} has no setting '${k}'${s ? ` (did you mean '${s}'?)` : ""}; known: ${DECODE_NAMES.join(", ")}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    }
  }
  return out;
}

export function decodeSettings(doc: string): PropertySpec<HessianDecodeSettings> {
  return anyValue<HessianDecodeSettings>(doc, "map", parseDecodeSettings, undefined, { connection: true, defaultText: "the limits of docs/hessian.md §6" });
}

export function registry(doc: string): PropertySpec<ClassRegistry> {
  return anyValue<ClassRegistry>(
    doc,
    "ClassRegistry",
    (v, name) => {
      if (v instanceof ClassRegistry) return v;
      throw new ConfigError(`${name} must be a ClassRegistry (code only, or a ref to one)`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    },
    undefined,
    { connection: true },
  );
}

export function httpHeaders(doc: string): PropertySpec<Record<string, string>> {
  return anyValue<Record<string, string>>(
    doc,
    "map",
    (v, name) => {
      const m = parseStringMap(v, name);
      for (const [k, val] of Object.entries(m)) {
        try {
          checkHeader(k, val);
        } catch (err) {
          throw new ConfigError(`${name}: ${(err as Error).message}`, ErrorCodes.ERR_CONFIG_INVALID_VALUE, { cause: err });
        }
      }
      return m;
    },
    undefined,
    { connection: true },
  );
}
