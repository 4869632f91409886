/**
 * The NATS service API ("micro", ADR-32), written with core NATS: what an
 * exporter answers on `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` (each also
 * as `.<name>` and `.<name>.<id>`), so that standard tooling (`nats micro
 * ls`, `nats micro stats`) and our HA discovery find every running
 * instance.
 */

export const MICRO_PING = "io.nats.micro.v1.ping_response";
export const MICRO_INFO = "io.nats.micro.v1.info_response";
export const MICRO_STATS = "io.nats.micro.v1.stats_response";

export type Verb = "PING" | "INFO" | "STATS";
export const VERBS: readonly Verb[] = ["PING", "INFO", "STATS"];

/** A micro service name: letters, digits, `-` and `_`. */
export const MICRO_NAME = /^[A-Za-z0-9_-]+$/;
/** A semantic version (semver 2.0.0). */
export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** The subjects a service answers a verb on. */
export function controlSubjects(verb: Verb, name: string, id: string): string[] {
  return [`$SRV.${verb}`, `$SRV.${verb}.${name}`, `$SRV.${verb}.${name}.${id}`];
}

/** The counters of one endpoint. */
export class EndpointStats {
  numRequests = 0;
  numErrors = 0;
  lastError = "";
  /** Nanoseconds, summed. */
  processingTime = 0;

  constructor(
    readonly name: string,
    readonly subject: string,
    readonly queueGroup: string,
  ) {}

  /** Counts one request that took `ns` nanoseconds; `error` when it failed ("<code>:<message>" as Go's micro writes it). */
  record(ns: number, error?: string): void {
    this.numRequests++;
    this.processingTime += ns;
    if (error !== undefined) {
      this.numErrors++;
      this.lastError = error;
    }
  }

  info(): Record<string, unknown> {
    return { name: this.name, subject: this.subject, queue_group: this.queueGroup, metadata: null };
  }

  stats(): Record<string, unknown> {
    return {
      name: this.name,
      subject: this.subject,
      queue_group: this.queueGroup,
      num_requests: this.numRequests,
      num_errors: this.numErrors,
      last_error: this.lastError,
      processing_time: this.processingTime,
      average_processing_time: this.numRequests === 0 ? 0 : Math.round(this.processingTime / this.numRequests),
    };
  }
}

export interface MicroIdentity {
  readonly name: string;
  readonly id: string;
  readonly version: string;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly started: Date;
  readonly endpoints: readonly EndpointStats[];
}

/** The JSON answer to a verb. */
export function microResponse(verb: Verb, s: MicroIdentity): Record<string, unknown> {
  const base = { name: s.name, id: s.id, version: s.version, metadata: s.metadata };
  switch (verb) {
    case "PING":
      return { type: MICRO_PING, ...base };
    case "INFO":
      return { type: MICRO_INFO, ...base, description: s.description, endpoints: s.endpoints.map((e) => e.info()) };
    case "STATS":
      return { type: MICRO_STATS, ...base, started: s.started.toISOString(), endpoints: s.endpoints.map((e) => e.stats()) };
  }
}
