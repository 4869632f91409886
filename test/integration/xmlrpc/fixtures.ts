/** Shared by the XML-RPC integration and interop tests: a fresh sample PKI in a temp dir, and log capture. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLogLevel, setLogLevel, setLogSink, type LogLevel } from "../../../src/core/logging.js";
import { createSamplePki, type SamplePki } from "../../../src/pki/index.js";

export interface TestPki {
  dir: string;
  main: SamplePki;
  other: SamplePki;
  /** Trusted (same signing CA), but CN=Someone Else, O=Other Company. */
  stranger: { key: string; cert: string };
  cleanup(): Promise<void>;
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "remoting-xmlrpc-"));
  const main = await createSamplePki(dir, {
    extraClients: [{ name: "stranger", subject: { C: "US", ST: "Other State", O: "Other Company", OU: "My Unit", CN: "Someone Else" } }],
  });
  const other = await createSamplePki(dir, { name: "other" });
  return { dir, main, other, stranger: main.extraClients["stranger"]!, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface LogCapture {
  lines: string[];
  /** Lines of a given level (ERROR, DEBUG, ...) from a given logger. */
  of(logger: string, level: string): string[];
  restore(): void;
}

export function captureLogs(level: LogLevel = "warn"): LogCapture {
  const lines: string[] = [];
  const prevLevel = getLogLevel();
  setLogLevel(level);
  const prev = setLogSink({ write: (l) => void lines.push(l) });
  return {
    lines,
    of: (logger, lvl) => lines.filter((l) => l.includes(` - ${logger} - ${lvl} - `)),
    restore: () => {
      setLogSink(prev);
      setLogLevel(prevLevel);
    },
  };
}

/** Waits until `pred` holds (bounded). */
export async function eventually(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
