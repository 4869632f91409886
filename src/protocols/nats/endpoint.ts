/**
 * The NATS entries of the endpoint and discovery registries (src/endpoints.ts):
 * a client for a `nats://` service URL, with settings named as the
 * properties of NatsProxyFactory (parsed by its declarations) and the call
 * policies of the caller; and the discovery source of the HA factory.
 */
import type { EndpointOptions } from "../../core/endpoints.js";
import type { Client } from "../../core/invocation.js";
import { NatsClient } from "./client.js";
import { NatsProxyFactory, clientSettings } from "./proxy-factory.js";

export { createDiscovery } from "./discovery.js";

export function createEndpointClient(url: string, options: EndpointOptions = {}): Client {
  // the factory holds and parses the settings exactly as configuration would set them; it makes no connection
  const settings = new NatsProxyFactory(undefined, { ...(options.settings ?? {}) });
  return new NatsClient(url, clientSettings(settings), { timeoutMs: options.timeoutMs ?? settings.timeoutMs, interceptors: options.interceptors });
}
