/**
 * The NATS discovery source of HighAvailabilityProxyFactory (core/ha):
 * `discovery="nats://host:4222/<subject>"` lists the running exporter
 * instances of the service on that subject, one member per instance, each
 * addressed on its own instance subject:
 * `nats://host:4222/<subject>?instance=<id>`.
 *
 * `list()` asks `$SRV.INFO` of the NATS service API: every exporter (ours,
 * or any micro service) answers with its id and endpoints; the instances
 * with an endpoint on the subject are kept. Answers are collected until
 * none came for `stall` ms (or `maxWait` ms in all).
 */
import { createInbox, type Msg } from "@nats-io/transport-node";
import type { EndpointOptions } from "../../core/endpoints.js";
import type { DiscoveredMember, DiscoverySource } from "../../core/ha/discovery.js";
import { ConfigError, ErrorCodes } from "../../core/errors.js";
import { acquireLink, type NatsLink } from "./link.js";
import { MICRO_INFO } from "./micro.js";
import { NatsProxyFactory, clientSettings } from "./proxy-factory.js";
import { connectionKey, natsConnectOptions } from "./settings.js";
import { formatNatsUrl, instanceSubject, parseNatsUrl, type NatsUrl } from "./url.js";

/** How long to wait for more answers after the last one, and in all. */
export const DISCOVERY_STALL_MS = 250;
export const DISCOVERY_MAX_WAIT_MS = 2000;

interface InfoEndpoint {
  subject?: unknown;
}

export class NatsDiscovery implements DiscoverySource {
  private readonly url: NatsUrl;
  private readonly link: NatsLink;
  private closed = false;

  constructor(url: string, options: EndpointOptions = {}) {
    this.url = parseNatsUrl(url);
    if (this.url.instance !== undefined) throw new ConfigError(`a NATS discovery URL names a service, not one instance: '${url}'`, ErrorCodes.ERR_CONFIG_INVALID_VALUE);
    // the settings are parsed as a NatsProxyFactory's properties (credentials, TLS, ...)
    const settings = clientSettings(new NatsProxyFactory(undefined, { ...(options.settings ?? {}) }));
    this.link = acquireLink(connectionKey(settings, this.url.servers), natsConnectOptions(settings, this.url.servers, "remoting discovery"), this.url.servers.join(","));
  }

  /** The instances answering on the service's subject now. */
  async list(): Promise<DiscoveredMember[]> {
    const nc = await this.link.connection(Date.now() + DISCOVERY_MAX_WAIT_MS);
    const inbox = createInbox();
    const infos: unknown[] = [];
    await new Promise<void>((resolve) => {
      let stall: NodeJS.Timeout | undefined;
      const end = (): void => {
        clearTimeout(stall);
        clearTimeout(all);
        sub.unsubscribe();
        resolve();
      };
      const all = setTimeout(end, DISCOVERY_MAX_WAIT_MS);
      const sub = nc.subscribe(inbox, {
        callback: (err, msg: Msg) => {
          if (err) return end();
          if (msg.headers?.code === 503) return end(); // no micro service at all
          try {
            infos.push(msg.json());
          } catch {
            // not a micro answer
          }
          clearTimeout(stall);
          stall = setTimeout(end, DISCOVERY_STALL_MS);
        },
      });
      nc.publish("$SRV.INFO", new Uint8Array(0), { reply: inbox });
    });
    const subject = this.url.subject;
    const out = new Map<string, DiscoveredMember>();
    for (const i of infos) {
      const info = i as { type?: unknown; id?: unknown; endpoints?: unknown };
      if (info.type !== MICRO_INFO || typeof info.id !== "string" || !Array.isArray(info.endpoints)) continue;
      const subjects = (info.endpoints as InfoEndpoint[]).map((e) => e.subject);
      // ours answer on <subject> (queue group) and <subject>.<id> (the instance alone)
      if (!subjects.includes(subject) || !subjects.includes(instanceSubject(subject, info.id))) continue;
      const memberUrl = formatNatsUrl(this.url.servers, subject, info.id);
      out.set(memberUrl, { id: memberUrl, url: memberUrl, protocol: "nats" });
    }
    return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link.release();
  }
}

export function createDiscovery(url: string, options: EndpointOptions): DiscoverySource {
  return new NatsDiscovery(url, options);
}
