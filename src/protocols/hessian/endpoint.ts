/**
 * The Hessian entry of the endpoint registry (src/endpoints.ts): a client
 * for an http: or https: service URL, with settings named as the properties
 * of HessianProxyFactory (parsed by its declarations) and the call policies
 * of the caller.
 */
import type { EndpointOptions } from "../../core/endpoints.js";
import type { Client } from "../../core/invocation.js";
import { HessianClient } from "./client.js";
import { HessianProxyFactory, hessianClientSettings } from "./proxy-factory.js";

export function createEndpointClient(url: string, options: EndpointOptions = {}): Client {
  // the factory holds and parses the settings exactly as configuration would set them
  const settings = new HessianProxyFactory(undefined, { ...(options.settings ?? {}) });
  return new HessianClient(url, {
    ...hessianClientSettings(settings),
    timeoutMs: options.timeoutMs ?? settings.timeoutMs,
    interceptors: options.interceptors,
  });
}
