/** XML-RPC and secure XML-RPC (Spring Python's `springpython.remoting.xmlrpc`). */
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_DEPTH,
  FaultCodes,
  XmlRpcDouble,
  XmlRpcFault,
  XmlRpcParseError,
  XmlRpcParser,
  encodeCall,
  encodeFault,
  encodeResponse,
  encodeValueXml,
  parseMethodCall,
  parseMethodResponse,
  type EncodeOptions,
  type MethodCall,
  type MethodResponse,
  type ParseOptions,
} from "./codec.js";
export { SSLServer, XmlRpcServer, pythonFaultString, type FunctionInfo, type SSLServerOptions, type XmlRpcFunction, type XmlRpcServerOptions } from "./server.js";
export {
  MultiCall,
  SSLClient,
  XmlRpcClient,
  XmlRpcProxyFactory,
  XmlRpcTransport,
  DEFAULT_USER_AGENT,
  remoteTypeOf,
  type MultiCallResult,
  type XmlRpcClientOptions,
  type XmlRpcClientSettings,
} from "./client.js";
export { XmlRpcServiceExporter } from "./exporter.js";
export { createEndpointClient } from "./endpoint.js";
export { DEFAULT_SERVICE_NAME, normalizeCertRequirement, type CertRequirement, type CertRequirementInput } from "./settings.js";
// The TLS helpers this module used to own now live in core/tls; re-exported under their former names.
export { LONG_TO_SHORT, SHORT_TO_LONG, checkSubjectFields, subjectToLongNames } from "../../core/tls.js";
