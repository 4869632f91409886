/**
 * The public API of `remoting`. Anything not exported here is internal.
 */
export {
  ErrorCodes,
  RemotingError,
  ConfigError,
  CommunicationError,
  ConnectionClosedError,
  TimeoutError,
  ProtocolError,
  MessageTooLargeError,
  SerializationError,
  RemoteInvocationError,
  SecurityError,
  NamingError,
  type ErrorCode,
  type SourceLocation,
  type RemoteErrorInit,
} from "./core/errors.js";
export type { Remote, RemoteMethod } from "./core/remote.js";
export { DEFAULT_CALL_TIMEOUT_MS, type CallOptions, type Invoker, type Invocation } from "./core/invocation.js";
export { ProxyFactory, isProxyFactory, releaseProxy } from "./core/proxy-factory.js";
export { ServiceExporter, SocketServiceExporter, coercePort } from "./core/exporter.js";
export { exposedMethods, exposedAttributes, MethodNotFoundError, type ExposeOptions } from "./core/service.js";
export { getLogger, setLogLevel, getLogLevel, setLogSink, type Logger, type LogLevel } from "./core/logging.js";

export { ApplicationContext, type ApplicationContextOptions } from "./context/application-context.js";
export { XMLConfig, NS_1_0, NS_1_1, type XMLConfigOptions } from "./context/xml-config.js";
export { CodeConfig, object, type ObjectOptions } from "./context/code-config.js";
export { registerClassAlias } from "./context/class-resolver.js";
export { newDefinition, type Config, type ObjectDefinition, type ObjectFactory, type ValueDef, type PropertyDef, type Scope } from "./context/definitions.js";
export { InitializingObject, DisposableObject, ObjectPostProcessor, ApplicationContextAware } from "./core/lifecycle.js";
export { Decimal, Complex, FrozenSet, tuple, type Tuple } from "./core/values.js";

// Protocols: the classes a configuration names, at the top level; each
// protocol's whole API under its namespace (also importable as
// "remoting/pyro4", "remoting/hessian", "remoting/xmlrpc").
export {
  PyroServiceExporter,
  Pyro4ServiceExporter,
  PyroProxyFactory,
  Pyro4ProxyFactory,
  PyroProxy,
  PyroDaemon,
  NameServer,
  NameServerClient,
  startNameServer,
  locateNS,
  type PyroProxyOptions,
  type PyroDaemonOptions,
  type InstanceMode,
  type LocateNSOptions,
} from "./protocols/pyro4/index.js";
export { HessianProxyFactory, HessianServiceExporter, createHessianHandler, HessianClient, ClassRegistry, HessianInt, HessianLong, HessianDouble, hessian } from "./protocols/hessian/index.js";
export {
  SSLServer,
  SSLClient,
  XmlRpcServer,
  XmlRpcClient,
  XmlRpcServiceExporter,
  XmlRpcProxyFactory,
  XmlRpcDouble,
  MultiCall,
  type SSLServerOptions,
  type XmlRpcServerOptions,
  type XmlRpcClientOptions,
  type CertRequirement,
} from "./protocols/xmlrpc/index.js";
export { createSamplePki, SAMPLE_PKI_WARNING, type SamplePki, type SamplePkiOptions } from "./pki/index.js";
export * as pyro4 from "./protocols/pyro4/index.js";
export * as xmlrpc from "./protocols/xmlrpc/index.js";
export * as hessianProtocol from "./protocols/hessian/index.js";

import { registerBuiltinAliases } from "./aliases.js";
registerBuiltinAliases();
