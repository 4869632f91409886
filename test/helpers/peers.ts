/**
 * Interop tests need real peers (Debian's Pyro4 under /usr/bin/python3, a
 * JDK with Caucho Hessian, nats-server). When one is missing, the test is
 * skipped with a clear message when run by hand, and fails when CI is set.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { TestContext } from "node:test";

export const PYTHON = "/usr/bin/python3";
export const HESSIAN_JAR_CANDIDATES = ["/usr/share/java/hessian.jar", "/usr/share/java/hessian-4.0.38.jar"];

const cache = new Map<string, string | undefined>();

/** Returns undefined when the peer is there, else a reason. Cached. */
export function peerMissing(name: "pyro4" | "python" | "java" | "hessian" | "nats-server"): string | undefined {
  if (cache.has(name)) return cache.get(name);
  let reason: string | undefined;
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  switch (name) {
    case "python":
      if (!existsSync(PYTHON)) reason = `${PYTHON} not found (apt-get install python3)`;
      break;
    case "pyro4": {
      const r = run(PYTHON, ["-c", "import Pyro4, serpent; print(Pyro4.__version__)"]);
      if (r.status !== 0) reason = `Pyro4 is not importable by ${PYTHON} (apt-get install python3-pyro4 python3-serpent)`;
      break;
    }
    case "java": {
      const r = run("javac", ["-version"]);
      if (r.error || r.status !== 0) reason = "javac not found (apt-get install default-jdk-headless)";
      break;
    }
    case "hessian":
      if (!HESSIAN_JAR_CANDIDATES.some((j) => existsSync(j))) reason = "Caucho Hessian jar not found (apt-get install libhessian-java)";
      else reason = peerMissing("java");
      break;
    case "nats-server": {
      const r = run("nats-server", ["--version"]);
      if (r.error || r.status !== 0) reason = "nats-server not found (apt-get install nats-server)";
      break;
    }
  }
  cache.set(name, reason);
  return reason;
}

/**
 * Call at the start of an interop test: skips (by hand) or fails (CI) when a
 * peer is missing. Returns true when the test may go on.
 */
export function requirePeers(t: TestContext, ...names: Array<Parameters<typeof peerMissing>[0]>): boolean {
  for (const n of names) {
    const reason = peerMissing(n);
    if (reason) {
      if (process.env["CI"]) throw new Error(`interop peer missing in CI: ${reason}`);
      t.skip(`peer missing: ${reason}`);
      return false;
    }
  }
  return true;
}
