/**
 * The built-in protocols' URL schemes, registered with the core's endpoint
 * registry. Loaded lazily: a process that builds no client from a URL loads
 * no protocol code.
 */
import { registerEndpoint, type EndpointFactory } from "./core/endpoints.js";

type EndpointModule = { createEndpointClient: EndpointFactory };

// Module paths are kept in variables so that a protocol can be left out of a build.
const PYRO4 = "./protocols/pyro4/endpoint.js";
const HESSIAN = "./protocols/hessian/endpoint.js";
const XMLRPC = "./protocols/xmlrpc/endpoint.js";
const load = (path: string) => async (): Promise<EndpointFactory> => ((await import(path)) as EndpointModule).createEndpointClient;

let registered = false;

export function registerBuiltinEndpoints(): void {
  if (registered) return;
  registered = true;
  registerEndpoint({ protocol: "pyro4", schemes: ["PYRO", "PYROLOC", "PYRONAME", "PYROMETA", "PYROLOCSSL"], load: load(PYRO4) });
  registerEndpoint({ protocol: "hessian", schemes: ["http", "https"], load: load(HESSIAN) });
  registerEndpoint({ protocol: "xmlrpc", schemes: ["http", "https"], load: load(XMLRPC) });
}
