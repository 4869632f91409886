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
export { MultiCall, SSLClient, XmlRpcClient, XmlRpcProxyFactory, XmlRpcTransport, DEFAULT_USER_AGENT, type MultiCallResult, type XmlRpcClientOptions } from "./client.js";
export { XmlRpcServiceExporter } from "./exporter.js";
export { LONG_TO_SHORT, SHORT_TO_LONG, checkSubjectFields, normalizeCertRequirement, subjectToLongNames, type CertRequirement, type CertRequirementInput } from "./tls.js";
