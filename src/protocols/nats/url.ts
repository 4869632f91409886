/**
 * The URL of a service served over NATS:
 *
 *     nats://host[:port][,host[:port]...]/<subject>[?instance=<id>]
 *
 * - the servers: one or more `host:port` separated by commas (a cluster; the
 *   client picks one and fails over to the others), port 4222 by default,
 *   IPv6 addresses in brackets (`[::1]:4222`);
 * - the subject the service answers on (the exporter's `subject`, by default
 *   `remoting.<serviceName>`): NATS tokens separated by dots, no wildcards,
 *   no white space;
 * - `instance=<id>`: one exporter instance only (its instance subject
 *   `<subject>.<id>`, no queue group), as the HA discovery lists them.
 *
 * Credentials never go in the URL (URLs are logged and printed): use the
 * `user`/`password`, `token`, `nkeySeed` or `credsFile` properties. Anything
 * else (another scheme, a query parameter we do not know, an empty subject)
 * is a ConfigError.
 */
import { ConfigError, ErrorCodes } from "../../core/errors.js";

export const DEFAULT_NATS_PORT = 4222;

export interface NatsUrl {
  /** `host:port` of each server, in the URL's order. */
  readonly servers: readonly string[];
  /** The service's subject. */
  readonly subject: string;
  /** One exporter instance (its instance subject), or undefined for the queue group. */
  readonly instance: string | undefined;
}

function bad(url: string, why: string): never {
  throw new ConfigError(`'${url}' is not a NATS service URL: ${why} (the form is nats://host:port[,host:port...]/<subject>[?instance=<id>])`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
}

const TOKEN = /^[^\s.*>]+$/;
const INSTANCE = /^[A-Za-z0-9_-]+$/;

/** Whether `s` is a subject a service can answer on: dot-separated tokens, no wildcards, no white space. */
export function isServiceSubject(s: string): boolean {
  return s !== "" && s.split(".").every((t) => TOKEN.test(t));
}

/** Checks a subject (a property value) and returns it. */
export function checkSubject(s: string, what: string): string {
  if (!isServiceSubject(s)) {
    throw new ConfigError(`${what} must be a NATS subject without wildcards or white space (tokens separated by dots), not '${s}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  }
  return s;
}

/** One `host[:port]` of a server list, normalized to `host:port`. */
export function parseHostPort(hp: string, what: string): string {
  const s = hp.trim();
  let host: string;
  let port: string | undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = `[${v6[1]!}]`;
    port = v6[2];
  } else {
    const m = /^([A-Za-z0-9._-]+)(?::(\d+))?$/.exec(s);
    if (!m) throw new ConfigError(`${what}: '${hp}' is not host:port`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    host = m[1]!;
    port = m[2];
  }
  const n = port === undefined ? DEFAULT_NATS_PORT : Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${what}: port of '${hp}' must be from 1 to 65535`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
  return `${host}:${n}`;
}

/** Parses a NATS service URL strictly (see the module comment). */
export function parseNatsUrl(url: string): NatsUrl {
  if (typeof url !== "string") bad(String(url), "not a string");
  const text = url.trim();
  const m = /^nats:\/\/([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(text);
  if (!m) bad(url, /^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) && !/^nats:/i.test(text) ? "the scheme must be nats:" : "it does not parse");
  const authority = m[1]!;
  if (authority.includes("@")) bad(url, "credentials do not go in the URL: set user/password, token, nkeySeed or credsFile");
  if (authority === "") bad(url, "no server");
  const servers = authority.split(",").map((hp) => {
    if (hp.trim() === "") bad(url, "an empty server in the list");
    return parseHostPort(hp, `'${url}'`);
  });
  let subject: string;
  try {
    subject = decodeURIComponent((m[2] ?? "").replace(/^\//, ""));
  } catch {
    bad(url, "the subject is not valid percent-encoding");
  }
  if (subject === "") bad(url, "no subject after the servers");
  if (!isServiceSubject(subject)) bad(url, `'${subject}' is not a subject without wildcards or white space`);
  let instance: string | undefined;
  if (m[3] !== undefined && m[3] !== "") {
    const q = new URLSearchParams(m[3]);
    for (const [k, v] of q) {
      if (k !== "instance") bad(url, `unknown parameter '${k}' (only instance=<id>)`);
      if (instance !== undefined) bad(url, "instance given twice");
      if (!INSTANCE.test(v)) bad(url, `instance '${v}' is not an exporter instance id`);
      instance = v;
    }
  }
  return { servers, subject, instance };
}

/** Formats a NATS service URL. */
export function formatNatsUrl(servers: readonly string[], subject: string, instance?: string): string {
  const path = subject
    .split(".")
    .map((t) => encodeURIComponent(t))
    .join(".");
  return `nats://${servers.join(",")}/${path}${instance !== undefined ? `?instance=${encodeURIComponent(instance)}` : ""}`;
}

/** The subject a client sends to: the service's, or one instance's. */
export function requestSubject(u: NatsUrl): string {
  return u.instance === undefined ? u.subject : instanceSubject(u.subject, u.instance);
}

/** The subject an exporter instance answers on alone (no queue group). */
export function instanceSubject(subject: string, instance: string): string {
  return `${subject}.${instance}`;
}
