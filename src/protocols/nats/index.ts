/**
 * NATS remoting: exporters that share a service's calls through a NATS
 * queue group and register in the NATS service API ($SRV), and proxy
 * factories that call them by subject. See docs/nats.md.
 */
export { NatsServiceExporter, DEFAULT_MAX_REQUEST_SIZE, DEFAULT_DRAIN_TIMEOUT_MS, microNameOf } from "./exporter.js";
export { NatsProxyFactory } from "./proxy-factory.js";
export { NatsClient, CODEC_HEADER, PING_HEADER, type NatsClientSettings } from "./client.js";
export { NatsDiscovery, createDiscovery, DISCOVERY_STALL_MS, DISCOVERY_MAX_WAIT_MS } from "./discovery.js";
export { parseNatsUrl, formatNatsUrl, instanceSubject, DEFAULT_NATS_PORT, type NatsUrl } from "./url.js";
export { NATS_CODECS, type NatsCodec } from "./settings.js";
export { MICRO_PING, MICRO_INFO, MICRO_STATS } from "./micro.js";
export { SERVICE_ERROR_HEADER, SERVICE_ERROR_CODE_HEADER, ERROR_TYPE_HEADER, ERROR_CODE_HEADER } from "./errors.js";
