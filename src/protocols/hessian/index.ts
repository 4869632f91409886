/**
 * Hessian remoting, interoperable with Caucho Hessian 4.0.38: the codec
 * (2.0 and 1.0), HessianProxyFactory (client) and HessianServiceExporter
 * (server), plus a `(req, res)` handler for existing HTTP servers.
 */
export {
  HESSIAN_CLASS,
  HESSIAN_TYPE,
  HESSIAN_WRAPPER,
  HessianInt,
  HessianLong,
  HessianDouble,
  ClassRegistry,
  DEFAULT_LIMITS,
  hessian,
  hessianClassOf,
  hessianTypeOf,
  typedObject,
  typedCollection,
  type ClassBinding,
  type Constructor,
  type RegisterOptions,
  type DecodeLimits,
  type DecodeOptions,
  type EncodeOptions,
} from "./types.js";
export { Hessian2Encoder, Hessian1Encoder, encode, encodeV1 } from "./encoder.js";
export { Hessian2Decoder, Hessian1Decoder, decode, decodeV1 } from "./decoder.js";
export {
  decodeCall,
  encodeCall,
  encodeReply,
  encodeFault,
  decodeReply,
  replyVersionFor,
  javaExceptionDetail,
  type CallKind,
  type DecodedCall,
  type DecodedReply,
  type HessianFault,
} from "./envelope.js";
export {
  HessianClient,
  faultToError,
  HESSIAN_CONTENT_TYPE,
  DEFAULT_MAX_REPLY_SIZE,
  DEFAULT_MAX_SOCKETS,
  type HessianClientOptions,
  type HessianDecodeSettings,
  type PemInput,
} from "./client.js";
export { HessianProxyFactory, type HessianProxyOptions } from "./proxy-factory.js";
export { createEndpointClient } from "./endpoint.js";
export {
  createHessianHandler,
  resolveMethod,
  serviceErrorFault,
  DEFAULT_MAX_REQUEST_SIZE,
  DEFAULT_FAULT_CLASS,
  ARITY_FAULT_CLASS,
  DEADLINE_FAULT_CLASS,
  type HessianHandlerOptions,
  type HessianRequestHandler,
} from "./handler.js";
export { HessianServiceExporter, type HessianExporterOptions } from "./exporter.js";
