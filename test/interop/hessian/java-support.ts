/**
 * Compiles the Java fixtures (test/interop/hessian/java) with Caucho Hessian
 * 4.0.38 on the classpath into a temporary folder, and gives the JVM flags
 * Hessian needs on JDK 17.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HESSIAN_JAR_CANDIDATES } from "../../helpers/peers.js";

const SRC = fileURLToPath(new URL("./java/interop", import.meta.url));

/** Hessian 4.0.38 reflects into these JDK packages; JDK 17 refuses without the flags. */
export const ADD_OPENS = ["java.lang", "java.util", "java.math", "java.io", "java.net", "java.text", "java.util.concurrent", "java.lang.reflect"].flatMap(
  (p) => ["--add-opens", `java.base/${p}=ALL-UNNAMED`],
);

export function hessianJar(): string {
  const jar = HESSIAN_JAR_CANDIDATES.find((j) => existsSync(j));
  if (!jar) throw new Error("Caucho Hessian jar not found");
  return jar;
}

export interface CompiledJava {
  classpath: string;
  cleanup(): void;
}

/** Compiles every fixture once; returns the classpath (classes + Hessian jar). */
export function compileJava(): CompiledJava {
  const out = mkdtempSync(join(tmpdir(), "hessian-java-"));
  const jar = hessianJar();
  const sources = readdirSync(SRC)
    .filter((f) => f.endsWith(".java"))
    .map((f) => join(SRC, f));
  execFileSync("javac", ["-nowarn", "-encoding", "UTF-8", "-d", out, "-cp", jar, ...sources], { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
  return {
    classpath: `${out}:${jar}`,
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}

/** The arguments of `java` to run a fixture class. */
export function javaArgs(classpath: string, mainClass: string, ...args: string[]): string[] {
  return ["-Xshare:auto", "-XX:TieredStopAtLevel=1", ...ADD_OPENS, "-cp", classpath, mainClass, ...args];
}
