/**
 * Fast-path accounting: every fast path of the codecs and protocols counts
 * the values it handled here, so tests (and curious operators) can tell
 * which path a value took. A fast path applies to a whole class of values
 * (for example every string without a character that needs escaping); values
 * outside its class take the general path and are not counted.
 *
 * The counters are plain integers on one module-level object with a fixed
 * shape: the increment in a hot loop costs what `n++` costs. Read them with
 * `fastPathCounts()` (a copy), start over with `resetFastPathCounts()`.
 */

/** The fast paths, by name (`<area>.<path>`). See docs/call-path.md, "Fast paths". */
export const FAST_PATHS = [
  // Pyro4 proxy and daemon
  "pyro4.proxy.callText",
  "pyro4.proxy.replyString",
  "pyro4.proxy.replyInPlace",
  "pyro4.daemon.serveFrame",
  "pyro4.daemon.resultText",
  // the Python-literal codecs
  "serpent.dumps.scalar",
  "serpent.dumpsCall.scalars",
  "serpent.loads.simple",
  "serpent.loads.tree",
  "serpent.loadsCall.simple",
  "serpent.string.plain",
  "serpent.number.plain",
  "pyrepr.str.plain",
  "pyrepr.str.units",
  "pyrepr.str.asciiBytes",
  "pyrepr.float.positional",
  "json.loads.native",
  "json.loads.longInts",
  "json.dumps.native",
  "json.dumps.numberLists",
  "utf8.decode.ascii",
  "utf8.decode.transcode",
  "utf8.encode.direct",
  "frame.arena.lent",
  // Hessian and XML-RPC
  "hessian.exporter.prepared",
  "xmlrpc.parse.fastReader",
] as const;

export type FastPathName = (typeof FAST_PATHS)[number];

/**
 * The live counters (increment only: `fastPathHits["json.loads.native"]++`).
 * @internal Read them through fastPathCounts().
 */
export const fastPathHits: Record<FastPathName, number> = Object.seal(Object.fromEntries(FAST_PATHS.map((n) => [n, 0])) as Record<FastPathName, number>);

/** A copy of the counters: how many values (calls, documents, strings...) each fast path handled since the start or the last reset. */
export function fastPathCounts(): Record<FastPathName, number> {
  return { ...fastPathHits };
}

/** Sets every counter back to 0. */
export function resetFastPathCounts(): void {
  for (const n of FAST_PATHS) fastPathHits[n] = 0;
}
