/**
 * The Pyro4 entry of the core's endpoint registry (src/endpoints.ts): a
 * client for a `PYRO:`, `PYROLOC:`, `PYROLOCSSL:`, `PYRONAME:` or
 * `PYROMETA:` URL. Settings are given by the names of PyroProxyFactory's
 * properties (serializer, hmacKey, tls*, sslCaCerts, ...) and parsed the
 * same way; the call policies (timeoutMs, interceptors) come with the
 * endpoint options.
 */
import { applyOptions } from "../../core/config/properties.js";
import type { EndpointOptions } from "../../core/endpoints.js";
import type { Client } from "../../core/invocation.js";
import { PyroProxy } from "./proxy.js";
import { PyroProxyFactory } from "./proxy-factory.js";

export function createEndpointClient(url: string, options: EndpointOptions = {}): Client {
  // the factory's declared properties parse the settings (unknown names and bad values are ConfigErrors)
  const factory = new PyroProxyFactory();
  applyOptions(factory, options.settings);
  return new PyroProxy(url, { ...factory.proxySettings(), timeoutMs: options.timeoutMs, interceptors: options.interceptors });
}
