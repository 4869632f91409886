/** Raw-socket helpers of the hostile-peer tests: a client that writes whatever frames it likes. */
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeMessage, FrameReader, MSG_CONNECT, MSG_CONNECTOK, type PyroMessage } from "../../../src/protocols/pyro4/message.js";
import { getSerializer } from "../../../src/codecs/python/index.js";

export const serpent = getSerializer("serpent");

export interface RawClient {
  s: Socket;
  /** The next frame from the daemon (rejects when the connection closes first). */
  next(timeoutMs?: number): Promise<PyroMessage>;
  /** Resolves when the daemon (or we) closed the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
}

/** Connects to 127.0.0.1:port; replies are read with a reader that takes anything up to 1 GiB (to see what a daemon really sends). */
export function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    const reader = new FrameReader({ maxMessageSize: 1 << 30 });
    const queue: PyroMessage[] = [];
    const waiters: Array<{ ok: (m: PyroMessage) => void; fail: (e: Error) => void }> = [];
    let closed = false;
    s.on("data", (c) => {
      let msgs: PyroMessage[];
      try {
        msgs = reader.push(c);
      } catch {
        s.destroy();
        return;
      }
      for (const m of msgs) {
        const w = waiters.shift();
        if (w) w.ok(m);
        else queue.push(m);
      }
    });
    s.on("error", () => undefined);
    const closedP = new Promise<void>((r) =>
      s.on("close", () => {
        closed = true;
        for (const w of waiters.splice(0)) w.fail(new Error("connection closed"));
        r();
      }),
    );
    s.once("connect", () =>
      resolve({
        s,
        closed: closedP,
        isClosed: () => closed,
        next: (timeoutMs = 5000) =>
          new Promise<PyroMessage>((ok, fail) => {
            if (queue.length) return ok(queue.shift()!);
            if (closed) return fail(new Error("connection closed"));
            const timer = setTimeout(() => fail(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
            waiters.push({
              ok: (m) => {
                clearTimeout(timer);
                ok(m);
              },
              fail: (e) => {
                clearTimeout(timer);
                fail(e);
              },
            });
          }),
      }),
    );
    s.once("error", reject);
  });
}

/** A raw client past the CONNECT handshake (serpent). */
export async function handshaken(port: number, object = "svc"): Promise<RawClient> {
  const c = await rawClient(port);
  c.s.write(encodeMessage(MSG_CONNECT, serpent.dumps({ handshake: "hello", object }), { serializerId: 1 }));
  const ok = await c.next();
  if (ok.type !== MSG_CONNECTOK) throw new Error(`handshake refused: ${ok.data.toString("latin1")}`);
  return c;
}

/** Waits until `cond` holds (checked every 10 ms) or `ms` pass; returns whether it held. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(10);
  }
  return cond();
}

/** The time `fn` takes, in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

/**
 * A marshal call `('svc', method, [bomb], {})` whose one argument is `levels`
 * nested lists of `width` back-references each, over a 100-byte string: a
 * few hundred bytes that stand for width^levels copies of the string.
 */
export function marshalReferenceBomb(levels: number, width: number, method = "echo"): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([0x7a, s.length]), Buffer.from(s, "latin1")]);
  const list = (n: number, ref: boolean) => {
    const b = Buffer.alloc(5);
    b[0] = 0x5b | (ref ? 0x80 : 0);
    b.writeInt32LE(n, 1);
    return b;
  };
  const backRef = (i: number) => {
    const b = Buffer.alloc(5);
    b[0] = 0x72;
    b.writeInt32LE(i, 1);
    return b;
  };
  const parts: Buffer[] = [Buffer.from([0x29, 4]), str("svc"), str(method), list(1, false)];
  const emit = (level: number, slot: number): void => {
    if (level === 0) {
      parts.push(Buffer.from([0x7a | 0x80, 100]), Buffer.alloc(100, 0x78));
      return;
    }
    parts.push(list(width, true));
    emit(level - 1, slot + 1);
    for (let k = 1; k < width; k++) parts.push(backRef(slot + 1));
  };
  emit(levels, 0);
  parts.push(Buffer.from([0x7b, 0x30]));
  return Buffer.concat(parts);
}
