/**
 * One side of the tracing test, in a process of its own with the
 * OpenTelemetry SDK installed (in-memory exporter, W3C propagator, async
 * context). `server`: serves a service over Pyro4, Hessian and XML-RPC,
 * and, when NATS_SERVERS is set, over NATS; prints their URLs as one JSON
 * line, and prints its finished spans as JSON when stdin says "dump".
 * `client <pyroUrl> <hessianUrl> <xmlrpcUrl> [natsUrl]`: calls each under a
 * parent span, then prints its spans.
 */
import { SpanKind, context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { HessianProxyFactory, HessianServiceExporter, NatsProxyFactory, NatsServiceExporter, PyroProxyFactory, PyroServiceExporter, XmlRpcProxyFactory, XmlRpcServiceExporter, type ProxyFactory, type ServiceExporter } from "../../../src/index.js";

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

function spans(): unknown[] {
  return exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind === SpanKind.CLIENT ? "client" : s.kind === SpanKind.SERVER ? "server" : String(s.kind),
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? null,
    system: s.attributes["rpc.system"] ?? null,
    status: s.status.code,
  }));
}

class Greeter {
  greet(name: string): string {
    return `hello ${name}`;
  }
}

const mode = process.argv[2];
if (mode === "server") {
  const service = new Greeter();
  const made: ServiceExporter[] = [];
  const start = async (e: ServiceExporter, props: Record<string, unknown>): Promise<string> => {
    Object.assign(e, { service, serviceName: "Greeter", serviceHost: "127.0.0.1", servicePort: 0, ...props });
    await e.afterPropertiesSet();
    made.push(e);
    return e.url!;
  };
  const urls: Record<string, string> = { pyro4: await start(new PyroServiceExporter(), {}), hessian: await start(new HessianServiceExporter(), { path: "/greeter" }), xmlrpc: await start(new XmlRpcServiceExporter(), {}) };
  const nats = process.env["NATS_SERVERS"];
  if (nats) {
    const e = new NatsServiceExporter({ service, serviceName: "Greeter", servers: nats });
    await e.afterPropertiesSet();
    made.push(e);
    urls["nats"] = e.url!;
  }
  process.stdout.write(JSON.stringify(urls) + "\n");
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d: string) => {
    if (d.includes("dump")) process.stdout.write(JSON.stringify(spans()) + "\n");
    if (d.includes("quit")) void Promise.all(made.map((e) => e.destroy())).then(() => process.exit(0));
  });
} else if (mode === "client") {
  const [pyro, hessian, xmlrpc, nats] = process.argv.slice(3) as [string, string, string, string | undefined];
  const factories: ProxyFactory[] = [];
  const mk = <T extends ProxyFactory>(f: T, url: string): T => {
    f.serviceUrl = url;
    factories.push(f);
    return f;
  };
  const tracer = trace.getTracer("test");
  await tracer.startActiveSpan("parent", async (parent) => {
    await mk(new PyroProxyFactory(), pyro).greet("pyro");
    await mk(new HessianProxyFactory(), hessian).greet("hessian");
    await mk(new XmlRpcProxyFactory(), xmlrpc).greet("xmlrpc");
    if (nats) await mk(new NatsProxyFactory(), nats).greet("nats");
    parent.end();
  });
  for (const f of factories) await (f as unknown as { [k: symbol]: () => Promise<void> })[Symbol.for("remoting.proxyFactory.release")]!();
  process.stdout.write(JSON.stringify(spans()) + "\n");
}
