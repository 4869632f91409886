/**
 * The soak: many concurrent clients making mixed calls over Pyro4, Hessian
 * and XML-RPC, all over TLS with client certificates, for a bounded time,
 * every reply checked against its request; the server's resident memory
 * sampled throughout. Used by `npm run soak` (scripts/soak.ts) and, shorter,
 * by the test suite (test/integration/soak/).
 *
 * The server runs in a child process of its own (./soak-server.ts), so the
 * memory measured is the server's alone: its RSS (and heap) every second,
 * after a full GC (the child runs with --expose-gc). The clients run here,
 * through the library's public API (proxy factories), one connection each.
 *
 * What is checked, per call:
 *   - the reply names the request (its `id`) and carries exactly what was
 *     sent (compared in a canonical form, see `canonical`); otherwise the call
 *     is **mismatched**;
 *   - the service's count of the client's two-way calls (`n` in each reply)
 *     is the client's own count: a count ahead of the client's means a call
 *     ran twice (**duplicated**), one behind that a call never ran;
 *   - a call meant to fail fails with the service's error naming its request;
 *   - any other rejection (time-out, connection, protocol) is **lost**.
 * At the end, each client reads the service's counters for it (stats()):
 * two-way calls and oneway calls (their count and the sum of their sequence
 * numbers) must be what the client sent: fewer are lost, more duplicated.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSamplePki, HessianProxyFactory, PyroProxyFactory, releaseProxy, SSLClient, type Remote } from "../../src/index.js";
import type { SoakService } from "./soak-server.js";

export type SoakProtocol = "pyro4-serpent" | "pyro4-json" | "hessian" | "xmlrpc";
const PROTOCOLS: readonly SoakProtocol[] = ["pyro4-serpent", "hessian", "xmlrpc", "pyro4-json"];

export interface SoakOptions {
  /** Length of the load, in seconds (default 120). */
  seconds?: number;
  /** Concurrent clients, spread over the protocols in turn (default 50). */
  clients?: number;
  /** The first part of the run not used for the memory baseline (default a quarter of it, at least 30 s, at most half). */
  warmupSeconds?: number;
  /** Largest RSS growth allowed from the baseline to the end, in percent (default 10). */
  maxRssGrowthPercent?: number;
  /** Time limit of each call (default 20 s). */
  callTimeoutMs?: number;
  /** Most steps a client takes, whatever the time (default 5000 per second of the run). */
  maxStepsPerClient?: number;
  /** Progress lines (to stderr by the script). */
  onProgress?: (line: string) => void;
  /** Seed of the payload generator (default fixed: runs are repeatable in what they send). */
  seed?: number;
}

export interface ProtocolFigures {
  protocol: SoakProtocol;
  clients: number;
  /** Two-way calls answered as expected (a deliberate error raised as expected counts too). */
  ok: number;
  /** Two-way calls sent. */
  sent: number;
  /** Oneway calls sent (checked at the end against the service's count). */
  oneway: number;
  /** Deliberate errors received as expected (part of ok). */
  expectedErrors: number;
  lost: number;
  duplicated: number;
  mismatched: number;
  /** Calls per second (two-way calls answered, over the load time). */
  callsPerSecond: number;
  /** Latency of two-way calls, milliseconds. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Unexpected errors by kind (code or class name). */
  errors: Record<string, number>;
  /** Payload bytes sent and received (canonical JSON size: an indication of volume). */
  payloadMB: number;
}

export interface MemoryFigures {
  samples: number;
  warmupSeconds: number;
  /** Median RSS of the samples just after the warm-up. */
  baselineRssMB: number;
  /** Median RSS of the samples at the end of the load. */
  endRssMB: number;
  peakRssMB: number;
  growthPercent: number;
  maxGrowthPercent: number;
  baselineHeapMB: number;
  endHeapMB: number;
  baselineExternalMB: number;
  endExternalMB: number;
  /** Every sample of the load: [seconds, RSS MB, heap MB, external MB]. */
  series: Array<[number, number, number, number]>;
  /** Whether each sample followed a full GC. */
  gcBeforeSamples: boolean;
}

export interface SoakReport {
  date: string;
  node: string;
  cpus: number;
  seconds: number;
  clients: number;
  protocols: ProtocolFigures[];
  total: { sent: number; ok: number; oneway: number; lost: number; duplicated: number; mismatched: number; callsPerSecond: number };
  memory: MemoryFigures;
  /** The first few problems, for diagnosis. */
  problems: string[];
  passed: boolean;
  failures: string[];
}

// ---------------------------------------------------------------------------
// payloads

/** A small fast PRNG (mulberry32), so a run's payloads are repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["grüße", "naïve", "façade", "日本語", "中文字符", "Ελληνικά", "русский", "עברית", "العربية", "emoji 🚀🎉", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "tab\tnew\nline", "<xml & 'quotes' \"here\">", "]]>", "plain", "ascii"];

function text(rnd: () => number, length: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < length) {
    const w = WORDS[Math.floor(rnd() * WORDS.length)]!;
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(" ");
}

function bytes(rnd: () => number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** Numbers at the edges of each protocol's integer and float forms. */
function numbers(protocol: SoakProtocol, rnd: () => number): unknown[] {
  const out: unknown[] = [
    0,
    -1,
    2147483647,
    -2147483648,
    2147483648,
    2 ** 40 + Math.floor(rnd() * 1000),
    -(2 ** 52),
    Number.MAX_SAFE_INTEGER,
    0.1,
    -1.5e-7,
    1e300,
    5e-324,
    rnd() * 1e6,
    2n ** 60n + BigInt(Math.floor(rnd() * 1000)),
    -(2n ** 63n),
    2n ** 63n - 1n,
  ];
  // Python's ints have no size limit; Hessian's long and XML-RPC's i8 stop at 64 bits
  if (protocol.startsWith("pyro4")) out.push(10n ** 30n + 7n, -(3n ** 90n));
  return out;
}

function record(protocol: SoakProtocol, rnd: () => number, id: string, depth: number): Record<string, unknown> {
  const r: Record<string, unknown> = {
    id,
    name: text(rnd, 20),
    active: rnd() < 0.5,
    count: Math.floor(rnd() * 100000),
    ratio: rnd(),
    tags: ["a", "ß", "🚀", ""].slice(0, 1 + Math.floor(rnd() * 4)),
    empty: {},
    emptyList: [],
  };
  // XML-RPC has no null unless both sides allow it (Python's allow_none): not asked for here
  if (protocol !== "xmlrpc") r["nothing"] = null;
  if (depth > 0) r["child"] = record(protocol, rnd, `${id}.${depth}`, depth - 1);
  if (depth > 1) r["children"] = [record(protocol, rnd, `${id}.a`, 0), record(protocol, rnd, `${id}.b`, 0)];
  return r;
}

function list(protocol: SoakProtocol, rnd: () => number, id: string): unknown[] {
  return [id, 1, -2, 3.5, "s", true, false, [1, [2, [3, ["deep"]]]], { k: id, v: [text(rnd, 10)] }, bytes(rnd, 8), ...numbers(protocol, rnd).slice(0, 4)];
}

/** A large value (about 100–300 kB on the wire). */
function large(protocol: SoakProtocol, rnd: () => number, id: string): unknown {
  if (rnd() < 0.5) return { id, text: text(rnd, 60_000 + Math.floor(rnd() * 40_000)) };
  return Array.from({ length: 800 + Math.floor(rnd() * 400) }, (_, i) => ({ i, id, name: text(rnd, 12), v: rnd() }));
}

// ---------------------------------------------------------------------------
// the canonical form replies are compared in

/**
 * The value as a protocol may carry it back, in one form: integers as numbers
 * when safe, else `bigint:<digits>`; bytes (Buffer, Uint8Array, or serpent's
 * `{data, encoding: "base64"}` dict, which is how Pyro4's serpent carries
 * bytes: Python's Pyro4 does not turn it back either) as `{$bytes: base64}`;
 * object keys sorted (a protocol's map order is not part of the value).
 */
export function canonical(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") {
    const n = Number(v);
    return Number.isSafeInteger(n) && BigInt(n) === v ? n : `bigint:${v.toString()}`;
  }
  if (typeof v === "number") {
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) return `float:${v}`;
    return Object.is(v, -0) ? 0 : v;
  }
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof Map) return canonical(Object.fromEntries(v));
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    if (keys.length === 2 && keys[0] === "data" && keys[1] === "encoding" && o["encoding"] === "base64" && typeof o["data"] === "string") return { $bytes: o["data"] };
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = canonical(o[k]);
    return out;
  }
  return v;
}

const canonicalText = (v: unknown): string => JSON.stringify(canonical(v));

// ---------------------------------------------------------------------------
// clients

interface Tally {
  sent: number;
  ok: number;
  oneway: number;
  expectedErrors: number;
  lost: number;
  duplicated: number;
  mismatched: number;
  errors: Map<string, number>;
  latencies: number[];
  payloadBytes: number;
  clients: number;
}

function newTally(): Tally {
  return { sent: 0, ok: 0, oneway: 0, expectedErrors: 0, lost: 0, duplicated: 0, mismatched: 0, errors: new Map(), latencies: [], payloadBytes: 0, clients: 0 };
}

interface Pki {
  caChain: string;
  clientCert: string;
  clientKey: string;
}

type SoakProxy = Remote<SoakService>;

function makeProxy(protocol: SoakProtocol, url: string, pki: Pki, timeoutMs: number): SoakProxy {
  switch (protocol) {
    case "pyro4-serpent":
    case "pyro4-json": {
      const f = new PyroProxyFactory(url);
      f.serializer = protocol === "pyro4-json" ? "json" : "serpent";
      f.tlsCa = pki.caChain;
      f.tlsCert = pki.clientCert;
      f.tlsKey = pki.clientKey;
      f.timeoutMs = timeoutMs;
      return f.as<SoakService>();
    }
    case "hessian":
      return new HessianProxyFactory(url, { tlsCa: pki.caChain, tlsCert: pki.clientCert, tlsKey: pki.clientKey, timeoutMs }).as<SoakService>();
    case "xmlrpc":
      return new SSLClient(url, { caCerts: pki.caChain, certFile: pki.clientCert, keyFile: pki.clientKey, timeoutMs }).as<SoakService>();
  }
}

function errorKind(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown };
  return typeof e?.code === "string" ? e.code : typeof e?.name === "string" ? e.name : typeof err;
}

class SoakClient {
  /** Two-way calls the client has sent (the count the service's `n` is checked against). */
  private calls = 0;
  private onewaySeq = 0;
  private onewaySum = 0;
  private lostHere = 0;
  private step = 0;
  private ids = 0;
  private readonly rnd: () => number;

  constructor(
    readonly name: string,
    readonly protocol: SoakProtocol,
    private readonly proxy: SoakProxy,
    private readonly tally: Tally,
    private readonly problems: string[],
    seed: number,
  ) {
    this.rnd = prng(seed);
  }

  private problem(kind: string, detail: string): void {
    if (this.problems.length < 20) this.problems.push(`${this.protocol} ${this.name} step ${this.step}: ${kind}: ${detail.slice(0, 300)}`);
  }

  private lose(err: unknown, what: string): void {
    this.tally.lost++;
    this.lostHere++;
    const kind = errorKind(err);
    this.tally.errors.set(kind, (this.tally.errors.get(kind) ?? 0) + 1);
    this.problem("lost", `${what}: ${kind}: ${(err as Error)?.message ?? String(err)}`);
  }

  /** Checks a reply's count against the range of counts this step's calls may have. */
  private checkCount(n: unknown, low: number, high: number, id: string): boolean {
    if (typeof n !== "number" || n < low || n > high) {
      // ahead: the service ran more calls than were sent; behind: one of ours never ran
      if (typeof n === "number" && n > high) this.tally.duplicated++;
      else this.tally.mismatched++;
      this.problem("count", `${id}: service count ${String(n)}, expected ${low}..${high}`);
      this.calls = typeof n === "number" ? Math.max(this.calls, n) : this.calls; // resynchronise
      return false;
    }
    return true;
  }

  private payload(id: string): unknown {
    const r = this.rnd();
    const p = this.protocol;
    if (r < 0.3) return `req ${id}`;
    if (r < 0.5) return record(p, this.rnd, id, Math.floor(this.rnd() * 4));
    if (r < 0.65) return list(p, this.rnd, id);
    if (r < 0.75) return text(this.rnd, 200 + Math.floor(this.rnd() * 8000));
    if (r < 0.85) return bytes(this.rnd, Math.floor(this.rnd() * 16384));
    if (r < 0.995) return numbers(p, this.rnd);
    return large(p, this.rnd, id);
  }

  private async echo(low: number, high: number): Promise<boolean> {
    const id = `${this.name}:${this.step}:${++this.ids}`;
    const payload = this.payload(id);
    const sent = canonicalText(payload);
    this.tally.sent++;
    const t0 = performance.now();
    let reply: { id: string; n: number; payload: unknown };
    try {
      reply = (await this.proxy.echo({ id, client: this.name, payload })) as typeof reply;
    } catch (err) {
      this.lose(err, `echo ${id}`);
      return false;
    }
    this.tally.latencies.push(performance.now() - t0);
    if (reply === null || typeof reply !== "object" || reply.id !== id) {
      this.tally.mismatched++;
      this.problem("mismatched", `echo ${id} answered for ${String((reply as { id?: unknown } | null)?.id)}`);
      return false;
    }
    const got = canonicalText(reply.payload);
    this.tally.payloadBytes += sent.length + got.length;
    if (got !== sent) {
      this.tally.mismatched++;
      this.problem("mismatched", `echo ${id} payload differs: sent ${sent.slice(0, 120)} got ${got.slice(0, 120)}`);
      return false;
    }
    if (!this.checkCount(reply.n, low, high, id)) return false;
    this.tally.ok++;
    return true;
  }

  private async digest(): Promise<void> {
    const id = `${this.name}:${this.step}:d`;
    const t = text(this.rnd, 50 + Math.floor(this.rnd() * 3000));
    const nums = Array.from({ length: 1 + Math.floor(this.rnd() * 200) }, () => Math.floor(this.rnd() * 1e6));
    const expected = { length: t.length, codePoints: [...t].length, sum: nums.reduce((a, b) => a + b, 0) };
    this.tally.sent++;
    const n = ++this.calls;
    const t0 = performance.now();
    let r: Awaited<ReturnType<SoakService["digest"]>>;
    try {
      r = await this.proxy.digest(id, this.name, t, nums);
    } catch (err) {
      this.lose(err, `digest ${id}`);
      return;
    }
    this.tally.latencies.push(performance.now() - t0);
    if (r?.id !== id || r.length !== expected.length || r.codePoints !== expected.codePoints || r.sum !== expected.sum) {
      this.tally.mismatched++;
      this.problem("mismatched", `digest ${id}: ${JSON.stringify(r)} expected ${JSON.stringify(expected)}`);
      return;
    }
    if (this.checkCount(r.n, n, n, id)) this.tally.ok++;
  }

  private async fail(): Promise<void> {
    const id = `${this.name}:${this.step}:f`;
    this.tally.sent++;
    this.calls++;
    const t0 = performance.now();
    try {
      const r = await this.proxy.fail(id, this.name);
      this.tally.mismatched++;
      this.problem("mismatched", `fail ${id} answered ${JSON.stringify(r)}`);
    } catch (err) {
      const message = (err as Error)?.message ?? "";
      if (!message.includes(`soak failure ${id}`)) {
        // the service's own error names its request; anything else is a call lost (or another call's error)
        if (/soak failure/.test(message)) {
          this.tally.mismatched++;
          this.problem("mismatched", `fail ${id} got ${message}`);
        } else this.lose(err, `fail ${id}`);
        return;
      }
      this.tally.latencies.push(performance.now() - t0);
      this.tally.ok++;
      this.tally.expectedErrors++;
    }
  }

  private async note(): Promise<void> {
    const seq = ++this.onewaySeq;
    try {
      await this.proxy.note(this.name, seq);
      this.onewaySum += seq;
      this.tally.oneway++;
    } catch (err) {
      this.onewaySeq--;
      this.lose(err, `note ${seq}`);
    }
  }

  async run(until: number, maxSteps: number): Promise<void> {
    while (performance.now() < until && this.step < maxSteps) {
      this.step++;
      const r = this.rnd();
      if (r < 0.8) {
        const n = ++this.calls;
        await this.echo(n, n);
      } else if (r < 0.88) await this.digest();
      else if (r < 0.91) await this.fail();
      else if (r < 0.96) await this.note();
      else {
        // a burst: several calls in flight at once on the client's one proxy, replies in any order
        const k = 2 + Math.floor(this.rnd() * 5);
        const low = this.calls + 1;
        this.calls += k;
        await Promise.all(Array.from({ length: k }, () => this.echo(low, low + k - 1)));
      }
    }
  }

  /** The service's counters for this client must be what the client sent. */
  async settle(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let s: { calls: number; oneways: number; onewaySum: number };
      try {
        s = await this.proxy.stats(this.name);
      } catch (err) {
        this.lose(err, "stats");
        return;
      }
      // a call lost on the client's side may or may not have run
      const callsOk = s.calls <= this.calls && s.calls >= this.calls - this.lostHere;
      const onewayOk = s.oneways === this.onewaySeq && s.onewaySum === this.onewaySum;
      if (callsOk && onewayOk) return;
      if (s.oneways < this.onewaySeq && attempt < 10) {
        // oneway calls are answered (HTTP) or sent (Pyro) before they run: give them a moment
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (s.calls > this.calls) this.tally.duplicated += s.calls - this.calls;
      if (s.calls < this.calls - this.lostHere) this.tally.lost += this.calls - this.lostHere - s.calls;
      if (s.oneways > this.onewaySeq) this.tally.duplicated += s.oneways - this.onewaySeq;
      if (s.oneways < this.onewaySeq) this.tally.lost += this.onewaySeq - s.oneways;
      if (s.oneways === this.onewaySeq && s.onewaySum !== this.onewaySum) this.tally.mismatched++;
      this.problem("stats", `service counted ${JSON.stringify(s)}, client sent calls ${this.calls} (lost ${this.lostHere}), oneway ${this.onewaySeq} sum ${this.onewaySum}`);
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// the server process and its memory

interface Sample {
  /** Milliseconds since the load began (negative before). */
  t: number;
  rss: number;
  heapUsed: number;
  /** Memory of Buffers and other objects outside the heap (TLS and socket buffers among them). */
  external: number;
}

interface ServerProcess {
  urls: Record<"pyro" | "hessian" | "xmlrpc", string>;
  gc: boolean;
  samples: Sample[];
  setLoadStart(t: number): void;
  stop(): Promise<number | null>;
  stderrTail(): string;
}

const SERVER = join(dirname(fileURLToPath(import.meta.url)), "soak-server.ts");

async function startServer(pkiDir: string): Promise<ServerProcess> {
  const child = fork(SERVER, [pkiDir, "1000"], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let tail = "";
  child.stderr?.on("data", (d: Buffer) => {
    tail = (tail + d.toString("utf8")).slice(-4000);
  });
  const samples: Sample[] = [];
  let loadStart = Number.POSITIVE_INFINITY;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = await new Promise<{ urls: ServerProcess["urls"]; gc: boolean }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the soak server did not start in 60 s\n${tail}`)), 60_000);
    child.on("message", (m: { type: string; urls?: ServerProcess["urls"]; gc?: boolean; rss?: number; heapUsed?: number; external?: number }) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve({ urls: m.urls!, gc: m.gc === true });
      } else if (m.type === "sample") {
        samples.push({ t: performance.now() - loadStart, rss: m.rss!, heapUsed: m.heapUsed!, external: m.external! });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the soak server exited (${String(code)}) before serving\n${tail}`));
    });
  });
  return {
    ...ready,
    samples,
    setLoadStart: (t) => {
      loadStart = t;
    },
    stderrTail: () => tail,
    async stop() {
      if (child.connected) child.send({ type: "stop" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const MB = 1024 * 1024;
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

function memoryFigures(samples: Sample[], seconds: number, warmupSeconds: number, maxGrowthPercent: number, gc: boolean): MemoryFigures {
  const loadMs = seconds * 1000;
  const during = samples.filter((s) => s.t >= 0 && s.t <= loadMs + 500);
  // the baseline: the median of the samples of the window just after the warm-up; the end: the median of
  // those of the last window of the load (15% of it, at least 3 s: medians over many samples, since the
  // RSS of a busy process moves by a few percent from one second to the next)
  const window = Math.max(3000, loadMs * 0.15);
  const warmMs = warmupSeconds * 1000;
  const base = during.filter((s) => s.t >= warmMs && s.t < warmMs + window);
  const end = during.filter((s) => s.t >= loadMs - window);
  const baselineRss = median(base.map((s) => s.rss));
  const endRss = median(end.map((s) => s.rss));
  return {
    samples: during.length,
    warmupSeconds,
    baselineRssMB: round(baselineRss / MB),
    endRssMB: round(endRss / MB),
    peakRssMB: round(during.reduce((a, s) => Math.max(a, s.rss), 0) / MB),
    growthPercent: round(((endRss - baselineRss) / baselineRss) * 100),
    maxGrowthPercent,
    baselineHeapMB: round(median(base.map((s) => s.heapUsed)) / MB),
    endHeapMB: round(median(end.map((s) => s.heapUsed)) / MB),
    baselineExternalMB: round(median(base.map((s) => s.external)) / MB),
    endExternalMB: round(median(end.map((s) => s.external)) / MB),
    series: during.map((s) => [round(s.t / 1000), round(s.rss / MB), round(s.heapUsed / MB), round(s.external / MB)]),
    gcBeforeSamples: gc,
  };
}

// ---------------------------------------------------------------------------
// the run

export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const seconds = options.seconds ?? 120;
  const clientCount = options.clients ?? 50;
  // the server's RSS climbs for about the first 30 s of load (allocator arenas, V8's young generation and
  // the TLS and socket buffers of the connections reaching their working sizes), then moves by a few
  // percent either way: the baseline is taken after that
  const warmupSeconds = options.warmupSeconds ?? Math.min(seconds * 0.5, Math.max(seconds * 0.25, 30));
  const maxGrowth = options.maxRssGrowthPercent ?? 10;
  const timeoutMs = options.callTimeoutMs ?? 20_000;
  const maxSteps = options.maxStepsPerClient ?? Math.ceil(seconds * 5000);
  const seed = options.seed ?? 20240612;
  const progress = options.onProgress ?? (() => {});
  const runId = Math.floor(Math.random() * 1e9).toString(36);

  const dir = mkdtempSync(join(tmpdir(), "remoting-soak-"));
  let server: ServerProcess | undefined;
  try {
    const pki = await createSamplePki(dir);
    server = await startServer(dir);
    const srv = server;
    const urlOf = (p: SoakProtocol): string => (p.startsWith("pyro4") ? srv.urls.pyro : p === "hessian" ? srv.urls.hessian : srv.urls.xmlrpc);
    progress(`server up (gc before samples: ${srv.gc}): ${Object.values(srv.urls).join(" ")}`);

    const tallies = new Map<SoakProtocol, Tally>(PROTOCOLS.map((p) => [p, newTally()]));
    const problems: string[] = [];
    const clients: SoakClient[] = [];
    const proxies: SoakProxy[] = [];
    for (let i = 0; i < clientCount; i++) {
      const protocol = PROTOCOLS[i % PROTOCOLS.length]!;
      const proxy = makeProxy(protocol, urlOf(protocol), pki, timeoutMs);
      proxies.push(proxy);
      const tally = tallies.get(protocol)!;
      tally.clients++;
      clients.push(new SoakClient(`${runId}-${protocol}-${i}`, protocol, proxy, tally, problems, seed + i));
    }

    const start = performance.now();
    srv.setLoadStart(start);
    const until = start + seconds * 1000;
    const ticker = setInterval(() => {
      const elapsed = (performance.now() - start) / 1000;
      const ok = [...tallies.values()].reduce((a, t) => a + t.ok, 0);
      const last = srv.samples.at(-1);
      progress(`${elapsed.toFixed(0)} s: ${ok} calls answered, server RSS ${last ? (last.rss / MB).toFixed(1) : "?"} MB`);
    }, 10_000);
    try {
      await Promise.all(clients.map((c) => c.run(until, maxSteps)));
    } finally {
      clearInterval(ticker);
    }
    const loadSeconds = (performance.now() - start) / 1000;
    await Promise.all(clients.map((c) => c.settle()));
    await Promise.all(proxies.map((p) => releaseProxy(p)));

    const memory = memoryFigures(srv.samples, seconds, warmupSeconds, maxGrowth, srv.gc);
    const protocols: ProtocolFigures[] = PROTOCOLS.map((protocol) => {
      const t = tallies.get(protocol)!;
      const lat = Float64Array.from(t.latencies).sort();
      return {
        protocol,
        clients: t.clients,
        ok: t.ok,
        sent: t.sent,
        oneway: t.oneway,
        expectedErrors: t.expectedErrors,
        lost: t.lost,
        duplicated: t.duplicated,
        mismatched: t.mismatched,
        callsPerSecond: Math.round(t.ok / loadSeconds),
        p50Ms: round(percentile(lat, 50), 2),
        p99Ms: round(percentile(lat, 99), 2),
        maxMs: round(lat.length ? lat[lat.length - 1]! : Number.NaN, 1),
        errors: Object.fromEntries(t.errors),
        payloadMB: round(t.payloadBytes / MB),
      };
    });
    const sum = (k: "sent" | "ok" | "oneway" | "lost" | "duplicated" | "mismatched"): number => protocols.reduce((a, p) => a + p[k], 0);
    const total = { sent: sum("sent"), ok: sum("ok"), oneway: sum("oneway"), lost: sum("lost"), duplicated: sum("duplicated"), mismatched: sum("mismatched"), callsPerSecond: Math.round(sum("ok") / loadSeconds) };

    const failures: string[] = [];
    if (total.lost) failures.push(`${total.lost} calls lost`);
    if (total.duplicated) failures.push(`${total.duplicated} calls duplicated`);
    if (total.mismatched) failures.push(`${total.mismatched} replies mismatched`);
    for (const p of protocols) if (p.clients > 0 && p.ok === 0) failures.push(`no call answered over ${p.protocol}`);
    if (Number.isNaN(memory.growthPercent)) failures.push("no memory samples after the warm-up (run longer, or shorten --warmup)");
    else if (!(memory.growthPercent < maxGrowth)) failures.push(`server RSS grew ${memory.growthPercent}% (limit ${maxGrowth}%)`);

    const code = await srv.stop();
    server = undefined;
    if (code !== 0) failures.push(`the server process exited with ${String(code)}: ${srv.stderrTail()}`);

    return {
      date: new Date().toISOString(),
      node: process.version,
      cpus: (await import("node:os")).availableParallelism(),
      seconds: round(loadSeconds),
      clients: clientCount,
      protocols,
      total,
      memory,
      problems,
      passed: failures.length === 0,
      failures,
    };
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// printing

function pad(s: string | number, n: number, left = false): string {
  const t = String(s);
  return left ? t.padEnd(n) : t.padStart(n);
}

export function formatSoakReport(r: SoakReport): string {
  const lines: string[] = [];
  lines.push(`soak: ${r.clients} clients for ${r.seconds} s, ${r.date}, Node ${r.node}, ${r.cpus} cores`);
  lines.push("");
  const head = [pad("protocol", 14, true), pad("clients", 7), pad("answered", 9), pad("calls/s", 8), pad("p50 ms", 7), pad("p99 ms", 7), pad("max ms", 7), pad("oneway", 7), pad("raised", 7), pad("lost", 5), pad("dup", 4), pad("mismatch", 8), pad("MB", 6)];
  lines.push(head.join("  "));
  lines.push(head.map((h) => "-".repeat(h.length)).join("  "));
  const row = (p: Pick<ProtocolFigures, "ok" | "callsPerSecond" | "oneway" | "lost" | "duplicated" | "mismatched"> & Partial<ProtocolFigures>, name: string, clients: number): string =>
    [
      pad(name, 14, true),
      pad(clients, 7),
      pad(p.ok, 9),
      pad(p.callsPerSecond, 8),
      pad(p.p50Ms ?? "", 7),
      pad(p.p99Ms ?? "", 7),
      pad(p.maxMs ?? "", 7),
      pad(p.oneway, 7),
      pad(p.expectedErrors ?? "", 7),
      pad(p.lost, 5),
      pad(p.duplicated, 4),
      pad(p.mismatched, 8),
      pad(p.payloadMB ?? "", 6),
    ].join("  ");
  for (const p of r.protocols) lines.push(row(p, p.protocol, p.clients));
  lines.push(row(r.total, "all", r.clients));
  lines.push("");
  const errs = r.protocols.flatMap((p) => Object.entries(p.errors).map(([k, n]) => `${p.protocol} ${k}: ${n}`));
  lines.push(`unexpected errors: ${errs.length ? errs.join(", ") : "none"}`);
  const m = r.memory;
  lines.push(
    `server RSS: baseline ${m.baselineRssMB} MB (after ${m.warmupSeconds} s of warm-up), end ${m.endRssMB} MB, peak ${m.peakRssMB} MB, growth ${m.growthPercent}% (limit ${m.maxGrowthPercent}%); ` +
      `heap ${m.baselineHeapMB} -> ${m.endHeapMB} MB, external ${m.baselineExternalMB} -> ${m.endExternalMB} MB; ${m.samples} samples${m.gcBeforeSamples ? ", each after a full GC" : ""}`,
  );
  for (const p of r.problems) lines.push(`  ${p}`);
  lines.push(r.passed ? "PASS" : `FAIL: ${r.failures.join("; ")}`);
  return lines.join("\n");
}
