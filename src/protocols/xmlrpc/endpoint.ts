/**
 * The XML-RPC entry of the endpoint registry (src/endpoints.ts, for http:
 * and https: URLs with protocol "xmlrpc"): a client for a URL, made without
 * a proxy factory. `options.settings` takes XmlRpcProxyFactory's property
 * names (TLS, allowNone, headers, ...), parsed as configuration is;
 * `options.timeoutMs` and `options.interceptors` are the call policies.
 */
import { applyOptions } from "../../core/config/properties.js";
import type { EndpointOptions } from "../../core/endpoints.js";
import type { Client } from "../../core/invocation.js";
import { XmlRpcProxyFactory, XmlRpcTransport } from "./client.js";

export function createEndpointClient(url: string, options: EndpointOptions = {}): Client {
  // the factory's declarations parse the settings (a bad name or value is a ConfigError); it makes no connection
  const settings = new XmlRpcProxyFactory();
  applyOptions(settings, options.settings);
  return new XmlRpcTransport(url, settings, { timeoutMs: options.timeoutMs ?? settings.timeoutMs, interceptors: options.interceptors });
}
