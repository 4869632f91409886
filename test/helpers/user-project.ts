/**
 * A user's project is not this repository: tests that check what a user sees
 * install the packed package (`npm pack` of the current build) into a folder
 * outside the repository and work in sub-folders of it, each with the
 * package.json a user would have ("type": "module", "type": "commonjs", or
 * none at all).
 *
 * The package is packed and installed once per test process (a few seconds,
 * from npm's cache); `scripts/run-tests.mjs` does it once for the whole run
 * and passes the folder in REMOTING_USER_ROOT.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "../..");

export type ModuleType = "none" | "commonjs" | "module";
export const MODULE_TYPES: readonly ModuleType[] = ["none", "commonjs", "module"];

let root: string | undefined;

/** Packs the repository's build and installs it into a fresh folder; returns that folder. */
export function installPackedPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), "remoting-user-"));
  const packDir = mkdtempSync(join(tmpdir(), "remoting-pack-"));
  if (!existsSync(join(REPO_ROOT, "dist/index.js"))) {
    execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
  }
  execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", packDir], { cwd: REPO_ROOT, stdio: "ignore" });
  const tgz = readdirSync(packDir).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error("npm pack wrote no tarball");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "user-project", private: true }));
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", join(packDir, tgz)], {
    cwd: dir,
    stdio: "ignore",
  });
  // The sub-folders carry their own package.json, or none: the install's own must not decide their module type.
  rmSync(join(dir, "package.json"));
  rmSync(join(dir, "package-lock.json"), { force: true });
  rmSync(packDir, { recursive: true, force: true });
  return dir;
}

/** The folder holding node_modules/remoting (installed on first use). */
export function userRoot(): string {
  if (!root) root = process.env["REMOTING_USER_ROOT"] && existsSync(process.env["REMOTING_USER_ROOT"]) ? process.env["REMOTING_USER_ROOT"] : installPackedPackage();
  return root;
}

let counter = 0;

/** A new empty project folder of the given module type, where `remoting` resolves to the packed package. */
export function userProject(type: ModuleType, name = "project"): string {
  const dir = join(userRoot(), `${name}-${process.pid}-${++counter}`);
  mkdirSync(dir, { recursive: true });
  if (type !== "none") writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type }, null, 2));
  return dir;
}

/** The `remoting` bin as installed in the user's project (what `npx remoting` runs there). */
export function userBin(): string {
  return join(userRoot(), "node_modules/.bin/remoting");
}
