/**
 * Heap measurements for the tests that bound what a decoder or a server keeps:
 * a full collection made available to this process (`--expose-gc` set at run
 * time) and the heap read after two of them.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
/** A full garbage collection. */
export const gc = runInNewContext("gc") as () => void;

/** Bytes in use after two full collections: the JS heap and the ArrayBuffers (Buffers) outside it. */
export function heapNow(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
