/** Reads a body stream chunk by chunk with plain events (cheaper than async iteration). */
import type { Readable } from "node:stream";

/**
 * Calls `onChunk` for each chunk until the stream ends. `onChunk` returns
 * false to stop early (the stream is then left paused, listeners removed).
 * Resolves true at the end, false when stopped; rejects on a stream error.
 */
export function readChunks(stream: Readable, onChunk: (chunk: Buffer) => boolean): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      let go: boolean;
      try {
        go = onChunk(chunk);
      } catch (err) {
        cleanup();
        stream.pause();
        reject(err);
        return;
      }
      if (!go) {
        cleanup();
        stream.pause();
        resolve(false);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(true);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error("premature close"), { code: "ECONNRESET" }));
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
    stream.on("close", onClose);
  });
}
