/**
 * `remoting call <url> <method> [args...]`: calls any service from the shell.
 *
 *   remoting call PYRO:ServiceName@localhost:7000 get_data Hello
 *   remoting call PYRONAME:example.greeting greet '"World"' --kwarg loud=true
 *   remoting call http://localhost:8080/svc add 1 2 --protocol hessian
 *   remoting call https://localhost:8000/RPC2 pow 2 10 --protocol xmlrpc --tls-ca ca.pem --tls-cert c.pem --tls-key k.pem
 *
 * Each argument is read as JSON; one that is not valid JSON is passed as a
 * string (`Hello` is "Hello"; write `'"42"'` for the string 42). The result
 * is printed as JSON on stdout (bytes as base64, big integers as numbers
 * when exact, else as strings; items of a remote iterator as a list).
 *
 * Exit codes: 0 ok, 1 the remote side raised, 2 usage or configuration,
 * 3 connection, TLS or naming failure (and time-outs).
 */
import { CommunicationError, ConfigError, ErrorCodes, NamingError, RemoteInvocationError, RemotingError, SecurityError } from "../core/errors.js";
import { createClient } from "../core/endpoints.js";
import { parseDuration } from "../core/config/values.js";
import type { CliIo } from "./main.js";

export interface CallCliOptions {
  protocol?: string;
  kwargs?: string;
  kwarg?: string[];
  timeout?: string;
  serializer?: string;
  hmacKey?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServername?: string;
  tlsCheckHostname?: boolean;
  insecure?: boolean;
  oneway?: boolean;
  maxItems?: string;
}

/** An argument as given on the command line: JSON when it parses, else the text itself. */
export function parseArgument(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), v]));
  if (value instanceof Set) return [...value];
  if (value === undefined) return null;
  if (value && typeof value === "object" && (value as { type?: unknown; data?: unknown }).type === "Buffer" && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString("base64");
  }
  return value;
}

/** The result as JSON text. */
export function resultJson(value: unknown): string {
  return JSON.stringify(value, replacer, 2) ?? "null";
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v !== null && typeof v === "object" && typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === "function";
}

/** The exit code for an error (see the module comment). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof RemoteInvocationError) return 1;
  if (err instanceof ConfigError) return 2;
  if (err instanceof CommunicationError || err instanceof SecurityError || err instanceof NamingError) return 3;
  if (err instanceof RemotingError && (err.code === ErrorCodes.ERR_NOT_SUPPORTED || err.code === ErrorCodes.ERR_INVALID_ARGUMENT)) return 2;
  return 1;
}

function describeError(err: unknown): string {
  if (err instanceof RemoteInvocationError) {
    const tb = err.remoteTraceback.length ? `\n${err.remoteTraceback.join("").trimEnd()}` : "";
    return `remote error: ${err.remoteType}: ${err.remoteMessage}${tb}`;
  }
  if (err instanceof RemotingError) return `error [${err.code}]: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export async function runCall(url: string, method: string, rawArgs: readonly string[], o: CallCliOptions, io: CliIo): Promise<number> {
  let client;
  try {
    const args = rawArgs.map(parseArgument);
    let kwargs: Record<string, unknown> | undefined;
    if (o.kwargs !== undefined) {
      const k = parseArgument(o.kwargs);
      if (k === null || typeof k !== "object" || Array.isArray(k)) throw new ConfigError("--kwargs must be a JSON object", ErrorCodes.ERR_CONFIG_INVALID_VALUE);
      kwargs = { ...(k as Record<string, unknown>) };
    }
    for (const kv of o.kwarg ?? []) {
      const eq = kv.indexOf("=");
      if (eq <= 0) throw new ConfigError(`--kwarg takes name=value, not '${kv}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
      (kwargs ??= {})[kv.slice(0, eq)] = parseArgument(kv.slice(eq + 1));
    }
    const timeoutMs = o.timeout === undefined ? 30_000 : parseDuration(o.timeout, "--timeout");
    const settings: Record<string, unknown> = {};
    if (o.serializer !== undefined) settings["serializer"] = o.serializer;
    if (o.hmacKey !== undefined) settings["hmacKey"] = o.hmacKey;
    if (o.tlsCa !== undefined) settings["tlsCa"] = o.tlsCa;
    if (o.tlsCert !== undefined) settings["tlsCert"] = o.tlsCert;
    if (o.tlsKey !== undefined) settings["tlsKey"] = o.tlsKey;
    if (o.tlsServername !== undefined) settings["tlsServername"] = o.tlsServername;
    if (o.tlsCheckHostname === false) settings["tlsCheckHostname"] = false;
    if (o.insecure) settings["tlsVerifyServer"] = false;
    client = await createClient(url, { protocol: o.protocol, timeoutMs, settings });
    let result = await client.invoke(method, args, { kwargs, oneway: o.oneway === true, timeoutMs });
    if (isAsyncIterable(result)) {
      const max = o.maxItems === undefined ? 10_000 : Number(o.maxItems);
      const items: unknown[] = [];
      for await (const item of result) {
        items.push(item);
        if (items.length >= max) break;
      }
      result = items;
    }
    if (o.oneway !== true) io.out(resultJson(result));
    return 0;
  } catch (err) {
    io.err(`remoting: ${describeError(err)}`);
    return exitCodeFor(err);
  } finally {
    await client?.close().catch(() => undefined);
  }
}
