/**
 * One reused Buffer that a message's bytes can be written into instead of a
 * new Buffer per message, lent to one frame at a time.
 *
 * A transport arms the arena right before it has a serializer write a
 * payload after room for the frame's head (`arm()`, then the writer asks
 * `payloadBuffer()` for its final Buffer), and gives the frame back once
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

/** The next payloadBuffer() call may lend the arena (a transport is about to frame the payload). */
export function arm(): void {
  armed = true;
}

/** Ends what arm() began, whether or not the writer took the arena. */
export function disarm(): void {
  armed = false;
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

/** A Buffer of `size` bytes for a payload's final bytes: the arena when armed and free, else a new Buffer. */
export function payloadBuffer(size: number): Buffer {
  return canLend(size) ? lend(size) : Buffer.allocUnsafe(size);
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
