/**
 * What a Pyro4 call carries besides its arguments, both ways:
 *
 * - the client side writes an invocation's metadata (trace context, the
 *   application's metadata) and its remaining time limit
 *   (`remoting-timeout`, in ms, relative, so the two clocks need not agree)
 *   as a JSON object of strings in the request's RMTD annotation; a call
 *   with neither sends no annotation. Python Pyro4 peers ignore it;
 * - the daemon side reads it back, and serves each call with a
 *   `CallContext` (core/server/call-context) whose costly fields (the
 *   annotation map, the correlation id, the client's certificate) are only
 *   worked out when the service asks for them.
 */
import type { PeerCertificateInfo } from "../../core/tls.js";
import { MetadataKeys, deadlineFromMetadata, type CallContext } from "../../core/server/call-context.js";
import { parseAnnotations } from "./message.js";

/** The RMTD annotation's text for a call: its metadata and remaining time limit, or undefined when there is neither. */
export function metadataText(metadata: Readonly<Record<string, string>> | undefined, timeoutLeftMs: number | undefined): string | undefined {
  if (metadata === undefined) return timeoutLeftMs === undefined ? undefined : `{"${MetadataKeys.timeout}":"${timeoutLeftMs}"}`;
  if (timeoutLeftMs === undefined) return JSON.stringify(metadata);
  return JSON.stringify({ ...metadata, [MetadataKeys.timeout]: String(timeoutLeftMs) });
}

const NO_METADATA: ReadonlyMap<string, string> = new Map();
const TIMEOUT_ONLY = Buffer.from(`{"${MetadataKeys.timeout}":"`, "latin1");

/**
 * What most calls carry, read without a JSON parser: an RMTD annotation at
 * b[start, end) holding nothing but the time limit, `{"remoting-timeout":"N"}`.
 * Returns N, or -1 when the annotation holds anything else.
 */
export function timeoutOnly(b: Uint8Array, start: number, end: number): number {
  const n = TIMEOUT_ONLY.length;
  if (end - start < n + 3 || end - start > n + 17) return -1;
  for (let i = 0; i < n; i++) if (b[start + i] !== TIMEOUT_ONLY[i]) return -1;
  let v = 0;
  const last = end - 2;
  for (let j = start + n; j < last; j++) {
    const c = b[j]!;
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return b[last] === 0x22 && b[last + 1] === 0x7d ? v : -1;
}

/** The metadata of a call that sent only its time limit. */
export function timeoutMetadata(ms: number): ReadonlyMap<string, string> {
  return new Map<string, string>().set(MetadataKeys.timeout, String(ms));
}

/** The metadata in an RMTD annotation's bytes, and the deadline it gives a request that arrived at `arrived`. */
export function metadataAndDeadline(bytes: Uint8Array, arrived: number): { metadata: ReadonlyMap<string, string>; deadline: number } {
  const ms = timeoutOnly(bytes, 0, bytes.length);
  if (ms >= 0) return { metadata: timeoutMetadata(ms), deadline: arrived + ms };
  const metadata = readMetadata(bytes);
  return { metadata, deadline: deadlineFromMetadata(metadata, arrived) };
}

/** Reads the RMTD annotation: its entries (string values only), or an empty map when it is malformed. */
export function readMetadata(bytes: Uint8Array): ReadonlyMap<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch {
    return NO_METADATA;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return NO_METADATA;
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (typeof v === "string") out.set(k, v);
  return out;
}

/** A 16-byte correlation id as UUID text; other lengths as hex. */
export function correlationText(b: Uint8Array): string {
  const h = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
  if (b.byteLength !== 16) return h;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** What a served call's context asks of its connection. */
export interface PeerInfo {
  readonly clientAddress: string | undefined;
  readonly clientPort: number | undefined;
  /** The client's certificate (worked out once per connection). */
  certificate(): PeerCertificateInfo | undefined;
}

/**
 * The context of one call served by the Pyro daemon. The annotations come
 * either from a decoded message (`annotations`) or, on the daemon's fast
 * path, straight from the frame bytes (`src[annStart, annEnd)`); either way
 * the map is built on first use.
 */
export class PyroCallContext implements CallContext {
  private ann: ReadonlyMap<string, Uint8Array> | undefined;
  constructor(
    readonly service: string,
    readonly method: string,
    readonly serializer: string,
    private readonly peer: PeerInfo,
    readonly metadata: ReadonlyMap<string, string>,
    readonly deadline: number,
    readonly oneway: boolean,
    /** A decoded request (its annotation map is built when first asked for), or undefined on the fast path. */
    private readonly msg: { readonly annotations: ReadonlyMap<string, Uint8Array> } | undefined,
    private readonly src: Buffer | undefined,
    private readonly annStart: number,
    private readonly annEnd: number,
  ) {
    this.ann = undefined;
  }

  get protocol(): string {
    return "pyro4";
  }

  get annotations(): ReadonlyMap<string, Uint8Array> {
    return (this.ann ??= this.msg !== undefined ? this.msg.annotations : this.src !== undefined ? parseAnnotations(this.src, this.annStart, this.annEnd) : new Map());
  }

  get correlationId(): string | undefined {
    const c = this.annotations.get("CORR");
    return c === undefined ? undefined : correlationText(c);
  }

  get clientAddress(): string | undefined {
    return this.peer.clientAddress;
  }

  get clientPort(): number | undefined {
    return this.peer.clientPort;
  }

  get clientCertificate(): PeerCertificateInfo | undefined {
    return this.peer.certificate();
  }
}
