/**
 * The per-call context a service reads while it runs, whatever the protocol,
 * like Pyro's `current_context`: `callContext()` inside a served method (also
 * after `await`s) returns who called and how.
 *
 *     import { callContext } from "remoting";
 *     class Service {
 *       whoami() {
 *         const ctx = callContext();
 *         return `${ctx?.clientAddress} ${ctx?.clientCertificate?.subject.commonName}`;
 *       }
 *     }
 *
 * Outside a call it returns undefined.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { PeerCertificateInfo } from "../tls.js";
import { processShared } from "../shared-state.js";

export interface CallContext {
  /** "pyro4", "hessian", "xmlrpc", "nats". */
  readonly protocol: string;
  /** The service called: its object id, name or URL path. */
  readonly service: string;
  readonly method: string;
  /** The wire format of the arguments: "serpent", "json", "marshal", "hessian2", "hessian1", "xml". */
  readonly serializer: string | undefined;
  /** Metadata sent with the call: HTTP or NATS headers (lower-case names), or the metadata a Pyro client sent. */
  readonly metadata: ReadonlyMap<string, string>;
  /** Pyro only: the raw annotations of the request (4-letter keys). */
  readonly annotations: ReadonlyMap<string, Uint8Array> | undefined;
  /** The request's correlation id, when the protocol carries one (Pyro's CORR annotation as a UUID, a header). */
  readonly correlationId: string | undefined;
  /** The client's address and port (undefined for Unix sockets and brokers). */
  readonly clientAddress: string | undefined;
  readonly clientPort: number | undefined;
  /** The client's TLS certificate, when it presented one. */
  readonly clientCertificate: PeerCertificateInfo | undefined;
  /** When the client gives up (`Date.now()` ms), from the time limit it sent; Infinity when it sent none. */
  readonly deadline: number;
  /** The client does not wait for the result. */
  readonly oneway: boolean;
}

/** One storage per process, so a service sees its context whatever copy of the package it imported (core/shared-state). */
const storage = processShared("callContext", () => new AsyncLocalStorage<CallContext>());

/** The context of the call being served, or undefined outside a served call. */
export function callContext(): CallContext | undefined {
  return storage.getStore();
}

/** @internal Runs `fn` with `ctx` as the current call context (the service table does it for every call). */
export function runInCallContext<T>(ctx: CallContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Metadata names the protocols use for what every call may carry. */
export const MetadataKeys = Object.freeze({
  /** The client's time limit in ms, relative (the server sets its own deadline on arrival: no clock skew). */
  timeout: "remoting-timeout",
  /** A correlation id chosen by the client. */
  correlationId: "remoting-correlation-id",
});

const EMPTY: ReadonlyMap<string, string> = new Map();

/** The deadline a server derives from the metadata it received (Infinity when none was sent). */
export function deadlineFromMetadata(metadata: ReadonlyMap<string, string> | undefined, received = Date.now()): number {
  const t = metadata?.get(MetadataKeys.timeout);
  if (t === undefined) return Infinity;
  const ms = Number(t);
  return Number.isFinite(ms) && ms >= 0 ? received + ms : Infinity;
}

/** Fills the fields a protocol has no value for. */
export function newCallContext(fields: Partial<CallContext> & { protocol: string; service: string; method: string }): CallContext {
  return {
    serializer: undefined,
    metadata: EMPTY,
    annotations: undefined,
    correlationId: undefined,
    clientAddress: undefined,
    clientPort: undefined,
    clientCertificate: undefined,
    deadline: Infinity,
    oneway: false,
    ...fields,
  };
}
