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
  requestMayHaveRun,
  type CallPhase,
  type ErrorCode,
  type SourceLocation,
  type RemoteErrorInit,
} from "./core/errors.js";
export type { Remote, RemoteMethod } from "./core/remote.js";
export {
  DEFAULT_CALL_TIMEOUT_MS,
  Client,
  compose,
  newInvocation,
  timeoutPolicy,
  setMetadata,
  type CallOptions,
  type ClientOptions,
  type Interceptor,
  type Invocation,
  type InvocationKind,
  type Invoke,
  type Invoker,
} from "./core/invocation.js";
export { MAX_TIMER_MS, deadlineAfter, remaining } from "./core/deadline.js";
export { fastPathCounts, resetFastPathCounts, FAST_PATHS, type FastPathName } from "./core/fast-paths.js";
export { retryPolicy, loggingPolicy, tracingPolicy, policyInterceptors, type RetryOptions, type CallPolicies } from "./core/policies/index.js";
export { registerEndpoint, createClient, endpointFor, registeredEndpoints, type EndpointOptions, type EndpointEntry } from "./core/endpoints.js";
export { ProxyFactory, isProxyFactory, releaseProxy, clientOf } from "./core/proxy-factory.js";
export { HighAvailabilityProxyFactory } from "./core/ha/factory.js";
export { MemberPool, NoMemberAvailableError, type BalancePolicy, type MemberStats, type PoolOptions } from "./core/ha/pool.js";
export { registerDiscovery, openDiscovery, type DiscoverySource, type DiscoveredMember } from "./core/ha/discovery.js";
export { ServiceExporter, SocketServiceExporter, coercePort } from "./core/exporter.js";
export { exposedMethods, exposedAttributes, parametersOf, MethodNotFoundError, ServiceError, type ExposeOptions, type ServiceErrorReason } from "./core/server/exposure.js";
export { ServiceTable, PARAMS, type ServerCall, type ServerInterceptor, type ServerInvoke, type RegisterOptions, type ServiceEntry } from "./core/server/service-table.js";
export { callContext, type CallContext } from "./core/server/call-context.js";
export { defineProperties, declaredProperties, type PropertySpec, type DeclaredProperty } from "./core/config/properties.js";
export { parseBoolean, parseSize, parseDuration, parsePort } from "./core/config/values.js";
export { type TlsSettings, type PeerCertificateInfo } from "./core/tls.js";
export { getLogger, setLogLevel, getLogLevel, setLogSink, type Logger, type LogLevel } from "./core/logging.js";

export { ApplicationContext, type ApplicationContextOptions } from "./context/application-context.js";
export { XMLConfig, NS_1_0, NS_1_1, type XMLConfigOptions } from "./context/xml-config.js";
export { CodeConfig, object, type ObjectOptions } from "./context/code-config.js";
export { registerClassAlias } from "./context/class-resolver.js";
export { newDefinition, type Config, type ObjectDefinition, type ObjectFactory, type ValueDef, type PropertyDef, type Scope } from "./context/definitions.js";
export { InitializingObject, DisposableObject, ObjectPostProcessor, ApplicationContextAware } from "./core/lifecycle.js";
export { Decimal, Complex, Float, FrozenSet, tuple, type Tuple } from "./core/values.js";

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
export { NatsServiceExporter, NatsProxyFactory } from "./protocols/nats/index.js";
export * as nats from "./protocols/nats/index.js";

import { registerBuiltinAliases } from "./aliases.js";
import { registerBuiltinEndpoints } from "./endpoints.js";
registerBuiltinAliases();
registerBuiltinEndpoints();
