/**
 * One reused Buffer that a message's bytes can be written into instead of a
 * new Buffer per message, lent to one frame at a time.
 *
 * A transport has a serializer write a payload after room for the frame's
 * head inside `withArena()`, which arms the arena for the writer's final
 * Buffer (`payloadBuffer()`), and gives the frame back once
 * nothing refers to it any more: `releaser(frame)` is the write callback for
 * the socket (called when the socket is done with the bytes), and
 * `releaseCopied(frame)` is for a frame whose bytes were copied elsewhere.
 * While the arena is out, payloadBuffer() allocates as before, so a frame that
 * is dropped without either only costs the reuse, never its bytes: the arena
 * is only written again after its frame was given back.
 *
 * For a 5.5 KB message a new Buffer costs the writer about 2-4 us; the arena
 * costs a view of it.
 */
import { fastPathHits } from "./fast-paths.js";

/** The arena's size: a frame's head (up to 1 KiB) and a payload of up to 64 KiB. */
export const ARENA_SIZE = 65 * 1024;

let arena: Buffer | undefined;
let out = false;
let armed = false;
/** Counts lendings, so a late write callback of an earlier lending does not give back a later one. */
let lending = 0;

/**
 * Runs `write`, a serializer writing a payload after `head` bytes for a
 * frame, with the arena armed when `head` > 0: the writer's final Buffer may
 * then be the arena, and the frame must be written or dropped before the next
 * payload is made.
 */
export function withArena(head: number, write: () => Buffer): Buffer {
  if (head === 0) return write();
  armed = true;
  try {
    return write();
  } finally {
    armed = false;
  }
}

/** Whether the arena is armed and free for a Buffer of `size` bytes. */
export function canLend(size: number): boolean {
  return armed && !out && size <= ARENA_SIZE;
}

/** The arena's first `size` bytes, lent (call only after canLend(size) said yes). */
export function lend(size: number): Buffer {
  armed = false;
  out = true;
  lending++;
  fastPathHits["frame.arena.lent"]++;
  return (arena ??= Buffer.allocUnsafeSlow(ARENA_SIZE)).subarray(0, size);
}

/**
 * A Buffer for a payload's final bytes, `n` of them after `head` left for a
 * frame's header: the arena when the payload is framed (`head` > 0) and the
 * arena is armed and free, else a new Buffer.
 */
export function payloadBuffer(head: number, n: number): Buffer {
  return head > 0 && canLend(head + n) ? lend(head + n) : Buffer.allocUnsafe(head + n);
}

function isLent(frame: Uint8Array): boolean {
  return out && arena !== undefined && frame.buffer === arena.buffer;
}

/** For a lent frame, the write callback that gives it back when the socket is done with it; else undefined. */
export function releaser(frame: Uint8Array): (() => void) | undefined {
  if (!isLent(frame)) return undefined;
  const mine = lending;
  return () => {
    if (lending === mine) out = false;
  };
}

/** Gives a lent frame back after its bytes were copied (or it was dropped); anything else is left alone. */
export function releaseCopied(frame: Uint8Array): void {
  if (isLent(frame)) out = false;
}

/** What writeFrame() and writeFrames() write to: a socket or any stream. */
export interface FrameSink {
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
}

/** Writes one frame, giving it back to the arena when the sink is done with it if it is the lent one. */
export function writeFrame(sink: FrameSink, frame: Uint8Array): void {
  const done = releaser(frame);
  if (done === undefined) sink.write(frame);
  else sink.write(frame, done);
}

/**
 * Writes frames collected while a batch of work ran (`bytes` in all): one
 * write, of the frame itself or of the frames joined (up to 64 KiB), else the
 * frames corked into one write.
 */
export function writeFrames(sink: FrameSink, frames: readonly Uint8Array[], bytes: number): void {
  if (frames.length === 1) return writeFrame(sink, frames[0]!);
  if (bytes <= 65536) {
    sink.write(Buffer.concat(frames, bytes));
    for (const f of frames) releaseCopied(f);
    return;
  }
  sink.cork();
  for (const f of frames) writeFrame(sink, f);
  sink.uncork();
}

/** Gives back the lent frame among frames that will not be written (a closed connection's queue). */
export function dropFrames(frames: readonly Uint8Array[]): void {
  for (const f of frames) releaseCopied(f);
}
