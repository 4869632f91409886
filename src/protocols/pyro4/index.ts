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
  type ClassRegisterOptions,
} from "./daemon.js";
export { INSTANCE_MODES, DEFAULT_INSTANCE_MODE, type InstanceMode, type InstanceCreator, type PyroBehavior, type PyroClass } from "../../core/server/instances.js";
export { PyroProxy, PyroBatch, RemoteIterator, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT, type PyroProxyOptions, type RemoteMetadata } from "./proxy.js";
export { parseUri, formatUri, DEFAULT_PYROLOC_PORT, DEFAULT_NS_PORT, DEFAULT_NS_HOST, type PyroURI, type PyroProtocol } from "./uri.js";
export { NameServerClient, locateNS, resolveUri, NAMESERVER_OBJECT_ID, type LocateNSOptions, type NameServerLocateOptions } from "./naming.js";
export {
  BroadcastResponder,
  discoverNameServer,
  parseBroadcastAddrs,
  DEFAULT_NS_BCPORT,
  DEFAULT_BROADCAST_ADDRS,
  DEFAULT_BROADCAST_TIMEOUT_MS,
  DEFAULT_BROADCAST_RETRIES,
  MAX_BROADCAST_DATAGRAM,
  DEFAULT_BROADCAST_MAX_REPLIES_PER_SECOND,
  type BroadcastResponderOptions,
  type DiscoverOptions,
} from "./broadcast.js";
export { PyroServiceExporter, Pyro4ServiceExporter, PyroDaemonHolder } from "./exporter.js";
export { PyroProxyFactory, Pyro4ProxyFactory } from "./proxy-factory.js";
export { NameServer, startNameServer, MAX_NS_REGEX_LENGTH, type NameServerHandle, type NameServerOptions } from "./nameserver.js";
export { installPyroCommands } from "./cli.js";
