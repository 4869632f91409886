/**
 * OpenTelemetry tracing through `@opentelemetry/api`: a CLIENT span per call
 * (around every attempt of it), whose W3C trace context (`traceparent`,
 * `tracestate`) travels in the invocation's metadata: Pyro annotations, HTTP
 * headers, NATS headers. The server side (`serverTracing`, in the service
 * table) continues the trace with a SERVER span.
 *
 * The API is a no-op until the application installs an SDK (a
 * TracerProvider and a propagator), so tracing costs next to nothing when
 * nobody collects traces. Span names and attributes follow OpenTelemetry's
 * RPC conventions: `service/method`, `rpc.system`, `rpc.service`,
 * `rpc.method`.
 */
import { ProxyTracerProvider, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Span, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";
import { errorMessage } from "../errors.js";
import type { Interceptor } from "../invocation.js";

const TRACER = "remoting";

const setter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/** Reads trace context from metadata given as a record or a Map (header names in any case). */
export const metadataGetter: TextMapGetter<ReadonlyMap<string, string> | Readonly<Record<string, string>>> = {
  keys(carrier) {
    return carrier instanceof Map ? [...carrier.keys()] : Object.keys(carrier);
  },
  get(carrier, key) {
    if (carrier instanceof Map) return carrier.get(key) ?? carrier.get(key.toLowerCase());
    const rec = carrier as Readonly<Record<string, string>>;
    if (Object.prototype.hasOwnProperty.call(rec, key)) return rec[key];
    const lower = key.toLowerCase();
    for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
    return undefined;
  },
};

/** The tracer provider the API hands out while no SDK is installed. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Whether nothing would be traced or propagated: no tracer provider and no
 * propagator installed. Spans are then skipped altogether (they would be
 * non-recording and go nowhere), so that tracing costs next to nothing.
 */
function tracingIsNoop(): boolean {
  const p = trace.getTracerProvider();
  return p instanceof ProxyTracerProvider && p.getDelegate() === NOOP_PROVIDER && propagation.fields().length === 0;
}

function rpcAttributes(system: string, service: string, method: string): Record<string, string> {
  return { "rpc.system": system, "rpc.service": service, "rpc.method": method };
}

function endWithError(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : new Error(errorMessage(err)));
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") span.setAttribute("remoting.error.code", code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
  span.end();
}

/** The client tracing policy: a CLIENT span per call, its context injected into the invocation's metadata. */
export function tracingPolicy(): Interceptor {
  return (next) => (inv) => {
    if (tracingIsNoop()) return next(inv);
    const tracer = trace.getTracer(TRACER);
    const span = tracer.startSpan(`${inv.service}/${inv.method}`, { kind: SpanKind.CLIENT, attributes: rpcAttributes(inv.protocol, inv.service, inv.method) });
    const ctx = trace.setSpan(context.active(), span);
    propagation.inject(ctx, (inv.metadata ??= {}), setter);
    if (inv.oneway) span.setAttribute("remoting.oneway", true);
    let p: Promise<unknown>;
    try {
      p = context.with(ctx, () => next(inv));
    } catch (err) {
      endWithError(span, err);
      throw err;
    }
    return p.then(
      (v) => {
        span.setAttribute("remoting.attempts", inv.attempt);
        span.end();
        return v;
      },
      (err: unknown) => {
        span.setAttribute("remoting.attempts", inv.attempt);
        endWithError(span, err);
        throw err;
      },
    );
  };
}

/**
 * The server side: runs `fn` inside a SERVER span that continues the trace
 * found in the call's metadata (annotations or headers).
 */
export function traceServerCall<T>(system: string, service: string, method: string, metadata: ReadonlyMap<string, string> | Readonly<Record<string, string>> | undefined, fn: () => T): T {
  if (tracingIsNoop()) return fn();
  const parent: Context = metadata ? propagation.extract(context.active(), metadata, metadataGetter) : context.active();
  const span = trace.getTracer(TRACER).startSpan(`${service}/${method}`, { kind: SpanKind.SERVER, attributes: rpcAttributes(system, service, method) }, parent);
  const ctx = trace.setSpan(parent, span);
  let out: T;
  try {
    out = context.with(ctx, fn);
  } catch (err) {
    endWithError(span, err);
    throw err;
  }
  if (out !== null && typeof out === "object" && typeof (out as { then?: unknown }).then === "function") {
    return (out as unknown as Promise<unknown>).then(
      (v) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        endWithError(span, err);
        throw err;
      },
    ) as unknown as T;
  }
  span.end();
  return out;
}
