/**
 * Named loggers (`remoting.context`, `remoting.pyro.daemon`, ...) built on pino.
 *
 * Quiet by default: only warnings and errors are written, to stderr. The level
 * comes from `REMOTING_LOG_LEVEL` (trace, debug, info, warn, error, silent) or
 * from `setLogLevel()` (the CLI's `--log-level`). `REMOTING_LOG` narrows debug
 * output to a comma-separated list of logger name prefixes, e.g.
 * `REMOTING_LOG=remoting.context,remoting.pyro`. `REMOTING_LOG_FORMAT=json`
 * writes pino's JSON lines instead of the human format
 * `time - name - LEVEL - message`.
 */
import { pino, type Logger as PinoLogger, type Level } from "pino";
import { processShared } from "./shared-state.js";

export type LogLevel = Level | "silent";
export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export interface Logger {
  readonly name: string;
  trace(msg: string, ...args: unknown[]): void;
  debug(msg: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
  isLevelEnabled(level: Level): boolean;
}

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

function formatTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`
  );
}

/** The level and the sink are one per process, whatever copies of the package are loaded (core/shared-state). */
const state = processShared("logging", () => ({
  sink: { write: (line: string) => void process.stderr.write(line) } as { write(line: string): void },
  level: envLevel(),
}));

/** Redirects log output (tests use this to capture lines). Returns the previous sink. */
export function setLogSink(next: { write(line: string): void }): { write(line: string): void } {
  const prev = state.sink;
  state.sink = next;
  return prev;
}

const humanStream = {
  write(chunk: string): void {
    if (process.env["REMOTING_LOG_FORMAT"] === "json") {
      state.sink.write(chunk);
      return;
    }
    let rec: { time?: number; name?: string; level?: number; msg?: string; err?: { stack?: string } };
    try {
      rec = JSON.parse(chunk) as typeof rec;
    } catch {
      state.sink.write(chunk);
      return;
    }
    let line = `${formatTime(rec.time ?? Date.now())} - ${rec.name ?? "remoting"} - ${LEVEL_NAMES[rec.level ?? 30] ?? "INFO"} - ${rec.msg ?? ""}`;
    if (rec.err?.stack) line += `\n${rec.err.stack}`;
    state.sink.write(line + "\n");
  },
};

function envLevel(): LogLevel {
  const raw = (process.env["REMOTING_LOG_LEVEL"] ?? "").toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  if (raw === "warning") return "warn";
  if (process.env["REMOTING_LOG"]) return "debug";
  return "warn";
}

const root: PinoLogger = pino({ level: "trace", base: undefined, messageKey: "msg" }, humanStream);
const loggers = new Map<string, NamedLogger>();

function enabledFor(name: string, level: Level): boolean {
  const current = state.level;
  if (current === "silent") return false;
  if (pino.levels.values[level]! < pino.levels.values[current]!) return false;
  const filter = process.env["REMOTING_LOG"];
  if (filter && pino.levels.values[level]! < pino.levels.values["warn"]!) {
    return filter.split(",").some((p) => {
      const prefix = p.trim();
      return prefix === "" || prefix === "*" || name === prefix || name.startsWith(prefix + ".");
    });
  }
  return true;
}

function fmt(msg: string, args: unknown[]): string {
  if (args.length === 0) return msg;
  let i = 0;
  const out = msg.replace(/%[sdjo%]/g, (m) => {
    if (m === "%%") return "%";
    if (i >= args.length) return m;
    const a = args[i++];
    if (m === "%j" || m === "%o") {
      try {
        return JSON.stringify(a);
      } catch {
        return String(a);
      }
    }
    return a instanceof Error ? a.message : String(a);
  });
  return i < args.length ? `${out} ${args.slice(i).map(String).join(" ")}` : out;
}

class NamedLogger implements Logger {
  readonly name: string;
  private readonly pino: PinoLogger;
  constructor(name: string) {
    this.name = name;
    this.pino = root.child({ name });
  }
  private emit(level: Level, msg: string, args: unknown[]): void {
    if (!enabledFor(this.name, level)) return;
    const err = args.find((a): a is Error => a instanceof Error);
    if (err && (level === "error" || level === "fatal")) this.pino[level]({ err }, fmt(msg, args));
    else this.pino[level](fmt(msg, args));
  }
  trace(msg: string, ...args: unknown[]): void {
    this.emit("trace", msg, args);
  }
  debug(msg: string, ...args: unknown[]): void {
    this.emit("debug", msg, args);
  }
  info(msg: string, ...args: unknown[]): void {
    this.emit("info", msg, args);
  }
  warn(msg: string, ...args: unknown[]): void {
    this.emit("warn", msg, args);
  }
  error(msg: string, ...args: unknown[]): void {
    this.emit("error", msg, args);
  }
  isLevelEnabled(level: Level): boolean {
    return enabledFor(this.name, level);
  }
}

/** Returns the logger of that name (created once, then shared). */
export function getLogger(name: string): Logger {
  let l = loggers.get(name);
  if (!l) {
    l = new NamedLogger(name);
    loggers.set(name, l);
  }
  return l;
}

export function setLogLevel(level: LogLevel | string): void {
  const l = level.toLowerCase() === "warning" ? "warn" : level.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(l)) {
    throw new RangeError(`unknown log level '${level}' (use one of ${LOG_LEVELS.join(", ")})`);
  }
  state.level = l as LogLevel;
}

export function getLogLevel(): LogLevel {
  return state.level;
}
