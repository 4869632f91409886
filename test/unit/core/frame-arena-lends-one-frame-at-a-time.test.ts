// The frame arena lends its one Buffer to one frame at a time: while a frame
// written from it is still held by its socket (its write callback not yet
// called), or queued, payload buffers are new Buffers; the arena is only
// written again after the frame was given back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dropFrames, payloadBuffer, releaseCopied, releaser, withArena, writeFrame, writeFrames, type FrameSink } from "../../../src/core/frame-arena.js";

/** A sink that keeps what it is given and calls the write callbacks only when told to. */
class HeldSink implements FrameSink {
  chunks: Buffer[] = [];
  callbacks: Array<() => void> = [];
  corked = 0;
  write(chunk: Uint8Array, cb?: () => void): boolean {
    this.chunks.push(Buffer.from(chunk)); // what the socket would send
    if (cb) this.callbacks.push(cb);
    return true;
  }
  cork(): void {
    this.corked++;
  }
  uncork(): void {}
  done(): void {
    for (const cb of this.callbacks.splice(0)) cb();
  }
}

/** What a serializer asked for a frame's payload gets: `size` bytes in all, the first one left for a header. */
function lent(size: number): Buffer {
  return withArena(1, () => payloadBuffer(1, size - 1));
}

/** Frees the arena, whoever has it (a test must not leave it lent to the next). */
function reset(...frames: Buffer[]): void {
  for (const f of frames) releaseCopied(f);
}

test("only an armed request gets the arena, and only while no frame has it", () => {
  const a = lent(100);
  assert.equal(a.length, 100);
  const unarmed = payloadBuffer(1, 99);
  assert.notEqual(unarmed.buffer, a.buffer, "not armed: a new Buffer");
  const b = lent(100);
  assert.notEqual(b.buffer, a.buffer, "the arena is out: a new Buffer");
  reset(a);
  const c = lent(200);
  assert.equal(c.buffer, a.buffer, "given back: lent again");
  reset(c);
});

test("a frame written to a socket is given back by its write callback, not before", () => {
  const sink = new HeldSink();
  const a = lent(64);
  a.fill(0x61);
  writeFrame(sink, a);
  assert.notEqual(lent(64).buffer, a.buffer, "still held by the socket");
  sink.done();
  const b = lent(64);
  assert.equal(b.buffer, a.buffer);
  assert.ok(sink.chunks[0]!.equals(Buffer.alloc(64, 0x61)));
  reset(b);
});

test("a late write callback of an earlier lending does not give back a later one", () => {
  const a = lent(32);
  const lateCallback = releaser(a)!;
  reset(a); // copied elsewhere, say
  const b = lent(32);
  assert.equal(b.buffer, a.buffer);
  lateCallback();
  assert.notEqual(lent(32).buffer, b.buffer, "b is still out");
  reset(b);
});

test("joined frames give the arena back at once; corked ones when the socket is done; dropped ones at once", () => {
  const small = new HeldSink();
  const a = lent(1000);
  writeFrames(small, [Buffer.alloc(10), a], 1010);
  assert.equal(small.callbacks.length, 0);
  const b = lent(1000);
  assert.equal(b.buffer, a.buffer, "copied into the joined write");
  const big = new HeldSink();
  writeFrames(big, [Buffer.alloc(65536), b], 65536 + 1000);
  assert.equal(big.corked, 1);
  assert.notEqual(lent(10).buffer, b.buffer);
  big.done();
  const c = lent(10);
  assert.equal(c.buffer, b.buffer);
  dropFrames([Buffer.alloc(3), c]);
  const d = lent(10);
  assert.equal(d.buffer, c.buffer);
  reset(d);
});

test("a Buffer larger than the arena is a new Buffer", () => {
  const big = lent(70 * 1024);
  assert.equal(big.length, 70 * 1024);
  const a = lent(10);
  assert.notEqual(big.buffer, a.buffer);
  reset(a);
});
