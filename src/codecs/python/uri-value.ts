/**
 * A Pyro4 URI as it travels inside serialized data:
 * `{"__class__": "Pyro4.core.URI", "state": [protocol, object, sockname, host, port]}`
 * (a tuple in serpent and marshal, a list in json).
 */
import { SerializationError } from "../../core/errors.js";

export class PyroURIValue {
  protocol: string;
  object: string;
  sockname: string | null;
  host: string | null;
  port: number | null;

  constructor(protocol: string, object: string, sockname: string | null = null, host: string | null = null, port: number | null = null) {
    this.protocol = protocol;
    this.object = object;
    this.sockname = sockname;
    this.host = host;
    this.port = port;
  }

  /** Reads the `state` of a URI class dict; anything malformed is a SerializationError. */
  static fromState(state: unknown): PyroURIValue {
    if (!Array.isArray(state) || state.length !== 5) throw new SerializationError("Pyro4.core.URI state must be a sequence of 5 items");
    const [protocol, rawObject, sockname, host, port] = state as unknown[];
    // PYROMETA URIs carry their metadata strings as a set
    const object = rawObject instanceof Set && [...rawObject].every((x) => typeof x === "string") ? [...rawObject].join(",") : rawObject;
    const strOrNull = (v: unknown) => v === null || typeof v === "string";
    if (
      typeof protocol !== "string" ||
      typeof object !== "string" ||
      !strOrNull(sockname) ||
      !strOrNull(host) ||
      !(port === null || (typeof port === "number" && Number.isInteger(port) && port >= 0 && port <= 65535))
    ) {
      throw new SerializationError("Pyro4.core.URI state has values of the wrong type");
    }
    return new PyroURIValue(protocol, object, sockname as string | null, host as string | null, port as number | null);
  }

  /** The state as Pyro4 serializes it (the writer makes it a tuple where the format has tuples). */
  toState(): unknown[] {
    const object = this.protocol === "PYROMETA" ? new Set(this.object.split(",").filter((x) => x !== "")) : this.object;
    return [this.protocol, object, this.sockname, this.host, this.port];
  }

  /** `PYRO:obj@host:port`, `PYRO:obj@./u:/path`, `PYRONAME:name` — as Python's `str(uri)`. */
  toString(): string {
    let s = `${this.protocol}:${this.object}`;
    if (this.host) {
      const host = this.host.includes(":") ? `[${this.host}]` : this.host;
      s += this.port !== null ? `@${host}:${this.port}` : `@${host}`;
    } else if (this.sockname) s += `@./u:${this.sockname}`;
    return s;
  }

  toJSON(): string {
    return this.toString();
  }
}
