/**
 * Pyro4 remoting: wire-compatible with Python's Pyro4 4.82 (protocol 48,
 * serpent and json serializers).
 */
export * from "./message.js";
export {
  PyroDaemon,
  DAEMON_OBJECT_ID,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_STREAM_LINGER_MS,
  DEFAULT_MAX_STREAMS,
  DEFAULT_CLOSE_GRACE_MS,
  resolveHost,
  PYRO_PARAMS,
  type PyroDaemonOptions,
  type SerializerName,
} from "./daemon.js";
export { PyroProxy, PyroBatch, RemoteIterator, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT, type PyroProxyOptions, type RemoteMetadata } from "./proxy.js";
export { parseUri, formatUri, DEFAULT_PYROLOC_PORT, DEFAULT_NS_PORT, DEFAULT_NS_HOST, type PyroURI, type PyroProtocol } from "./uri.js";
export { NameServerClient, locateNS, resolveUri, NAMESERVER_OBJECT_ID } from "./naming.js";
export { PyroServiceExporter, Pyro4ServiceExporter, PyroDaemonHolder } from "./exporter.js";
export { PyroProxyFactory, Pyro4ProxyFactory } from "./proxy-factory.js";
export { NameServer, startNameServer, MAX_NS_REGEX_LENGTH, type NameServerHandle } from "./nameserver.js";
export { installPyroCommands } from "./cli.js";
