/**
 * The built-in protocols' URL schemes, registered with the core's endpoint
 * registry. Loaded lazily: a process that builds no client from a URL loads
 * no protocol code.
 */
import { registerEndpoint, type EndpointFactory } from "./core/endpoints.js";
import { registerDiscovery, type DiscoveryFactory } from "./core/ha/discovery.js";

type EndpointModule = { createEndpointClient: EndpointFactory };

// Module paths are kept in variables so that a protocol can be left out of a build.
const PYRO4 = "./protocols/pyro4/endpoint.js";
const PYRO4_DISCOVERY = "./protocols/pyro4/discovery.js";
const HESSIAN = "./protocols/hessian/endpoint.js";
const XMLRPC = "./protocols/xmlrpc/endpoint.js";
const NATS = "./protocols/nats/endpoint.js";
const load = (path: string) => async (): Promise<EndpointFactory> => ((await import(path)) as EndpointModule).createEndpointClient;

let registered = false;

export function registerBuiltinEndpoints(): void {
  if (registered) return;
  registered = true;
  registerEndpoint({ protocol: "pyro4", schemes: ["PYRO", "PYROLOC", "PYRONAME", "PYROMETA", "PYROLOCSSL"], load: load(PYRO4) });
  // PYRONAME:prefix.* and PYROMETA:tags: the name server's entries, as members of a high-availability pool
  registerDiscovery({ name: "pyro4", schemes: ["PYRONAME", "PYROMETA"], load: async () => ((await import(PYRO4_DISCOVERY)) as { createDiscovery: DiscoveryFactory }).createDiscovery });
  registerEndpoint({ protocol: "hessian", schemes: ["http", "https"], load: load(HESSIAN) });
  registerEndpoint({ protocol: "xmlrpc", schemes: ["http", "https"], load: load(XMLRPC) });
  registerEndpoint({ protocol: "nats", schemes: ["nats"], load: load(NATS) });
  // nats://host:port/<subject>: the running instances of a NATS service (its exporters' $SRV.INFO)
  registerDiscovery({ name: "nats", schemes: ["nats"], load: async () => ((await import(NATS)) as { createDiscovery: DiscoveryFactory }).createDiscovery });
}
