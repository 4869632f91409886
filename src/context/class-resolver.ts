/**
 * Turns a `class` attribute into a constructor.
 *
 * Forms, tried in this order:
 * 1. a name registered with the context (`classes` option) or a built-in
 *    alias (`springpython.remoting.pyro.PyroServiceExporter`, ...);
 * 2. `./path/to/module.ts#ExportName` (or `pkg/sub#ExportName`): a module and
 *    an export, `#default` or no `#` meaning the default export;
 * 3. `module.path.ClassName`: the module `module/path` relative to the XML
 *    file's folder, with `.ts`, `.mts`, `.js`, `.mjs` (or `/index.*`) tried,
 *    then as a package (`module/path`, then `module.path`).
 *
 * TypeScript modules load without a build step (through tsx, whose ESM and
 * CommonJS loaders are both registered: a `.ts` file is CommonJS in a folder
 * with no package.json or with "type": "commonjs").
 */
import { existsSync, statSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, ErrorCodes, type SourceLocation } from "../core/errors.js";
import { processShared } from "../core/shared-state.js";

export type Constructor = abstract new (...args: any[]) => unknown;
export type ClassLoader = () => Promise<unknown>;

/** One table per process, whatever copies of the package are loaded (core/shared-state). */
const aliases = processShared("classAliases", () => new Map<string, ClassLoader>());

/** Makes `name` resolve to what `loader` returns (used for the original's class names). */
export function registerClassAlias(name: string, loader: ClassLoader): void {
  aliases.set(name, loader);
}

export function classAliases(): string[] {
  return [...aliases.keys()].sort();
}

const EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".cjs", ".cts"];
let tsxRegistered: Promise<void> | undefined;

async function ensureTypeScript(): Promise<void> {
  if (!tsxRegistered) {
    tsxRegistered = (async () => {
      // Already running under tsx (tests, `node --import tsx`): nothing to do.
      if (process.execArgv.some((a) => a.includes("tsx")) || (process as { _tsxRegistered?: boolean })._tsxRegistered) return;
      // Both loaders, as `node --import tsx` does: a `.ts` file in a folder
      // with no package.json or with "type": "commonjs" is a CommonJS module,
      // which Node loads through require() and the ESM hooks alone cannot
      // compile ("Cannot require() ES Module ... in a cycle").
      const esm = (await import("tsx/esm/api")) as { register: () => unknown };
      const cjs = (await import("tsx/cjs/api")) as { register: () => unknown };
      esm.register();
      cjs.register();
      (process as { _tsxRegistered?: boolean })._tsxRegistered = true;
    })();
  }
  return tsxRegistered;
}

function isTs(file: string): boolean {
  return /\.(c|m)?ts$/.test(file);
}

function findFile(base: string): string | undefined {
  if (existsSync(base) && statSync(base).isFile()) return base;
  for (const ext of EXTENSIONS) {
    if (existsSync(base + ext)) return base + ext;
  }
  if (existsSync(base) && statSync(base).isDirectory()) {
    for (const ext of EXTENSIONS) {
      const f = join(base, "index" + ext);
      if (existsSync(f)) return f;
    }
  }
  return undefined;
}

async function importFile(file: string): Promise<Record<string, unknown>> {
  if (isTs(file)) await ensureTypeScript();
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

async function importPackage(spec: string, fromDir: string): Promise<Record<string, unknown> | undefined> {
  if (isBuiltin(spec)) return (await import(spec)) as Record<string, unknown>;
  let resolved: string | undefined;
  try {
    resolved = createRequire(join(fromDir, "__remoting_resolver__.js")).resolve(spec);
  } catch {
    resolved = undefined;
  }
  try {
    if (resolved) return await importFile(resolved);
    return (await import(spec)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
      if (String((err as Error).message).includes(spec)) return undefined;
    }
    throw err;
  }
}

export interface ResolveContext {
  /** The folder module paths are relative to (the XML file's folder, or the working directory). */
  baseDir: string;
  /** Names registered with the context. */
  classes?: ReadonlyMap<string, unknown> | undefined;
  location?: SourceLocation | undefined;
  objectId?: string | undefined;
}

function fail(reason: string, code: string, ctx: ResolveContext, cause?: unknown): never {
  throw new ConfigError(reason, code, { location: ctx.location, objectId: ctx.objectId, cause });
}

function pick(mod: Record<string, unknown>, exportName: string, where: string, ctx: ResolveContext, className: string): unknown {
  if (exportName in mod && mod[exportName] !== undefined) return mod[exportName];
  // A CommonJS module imported from ESM puts its exports on `default`.
  const def = mod["default"];
  if (exportName !== "default" && def && typeof def === "object" && exportName in def) {
    return (def as Record<string, unknown>)[exportName];
  }
  const available = Object.keys(mod).filter((k) => k !== "__esModule");
  return fail(
    `class '${className}': module ${where} has no export '${exportName}'` + (available.length ? ` (it exports ${available.join(", ")})` : ""),
    ErrorCodes.ERR_CONFIG_EXPORT_NOT_FOUND,
    ctx,
  );
}

async function load(loader: () => Promise<Record<string, unknown>>, what: string, ctx: ResolveContext): Promise<Record<string, unknown>> {
  try {
    return await loader();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return fail(`cannot load ${what}: ${(err as Error).message ?? String(err)}`, ErrorCodes.ERR_CONFIG_MODULE_NOT_FOUND, ctx, err);
  }
}

/** Resolves a class attribute to the value it names (normally a constructor). */
export async function resolveClass(className: string, ctx: ResolveContext): Promise<unknown> {
  const name = className.trim();
  if (name === "") fail("empty class attribute", ErrorCodes.ERR_CONFIG_INVALID_VALUE, ctx);
  const registered = ctx.classes?.get(name);
  if (registered !== undefined) return registered;
  const alias = aliases.get(name);
  if (alias) {
    try {
      return await alias();
    } catch (err) {
      return fail(`class '${name}' is not available: ${(err as Error).message}`, ErrorCodes.ERR_CONFIG_MODULE_NOT_FOUND, ctx, err);
    }
  }

  // Explicit form: module#Export
  if (name.includes("#") || name.startsWith(".") || name.startsWith("/") || isAbsolute(name)) {
    const hash = name.lastIndexOf("#");
    const spec = hash >= 0 ? name.slice(0, hash) : name;
    const exportName = hash >= 0 ? name.slice(hash + 1) || "default" : "default";
    if (spec.startsWith(".") || spec.startsWith("/") || isAbsolute(spec)) {
      const base = resolvePath(ctx.baseDir, spec);
      const file = findFile(base);
      if (!file) fail(`class '${name}': module file ${base} not found`, ErrorCodes.ERR_CONFIG_MODULE_NOT_FOUND, ctx);
      const mod = await load(() => importFile(file), `module ${file}`, ctx);
      return pick(mod, exportName, file, ctx, name);
    }
    const mod = await load(async () => {
      const m = await importPackage(spec, ctx.baseDir);
      if (!m) fail(`class '${name}': package '${spec}' not found`, ErrorCodes.ERR_CONFIG_MODULE_NOT_FOUND, ctx);
      return m;
    }, `package '${spec}'`, ctx);
    return pick(mod, exportName, `'${spec}'`, ctx, name);
  }

  // Dotted form: module.path.ClassName
  const dot = name.lastIndexOf(".");
  if (dot <= 0) {
    fail(
      `class '${name}' names no module: write 'module.${name}' (a module file next to the XML file), './file.ts#${name}', ` +
        `or register it with ApplicationContext.create(configs, { classes: { ${name} } })`,
      ErrorCodes.ERR_CONFIG_MODULE_NOT_FOUND,
      ctx,
    );
  }
  const modulePath = name.slice(0, dot);
  const exportName = name.slice(dot + 1);
  const base = join(ctx.baseDir, ...modulePath.split("."));
  const file = findFile(base);
  if (file) {
    const mod = await load(() => importFile(file), `module ${file}`, ctx);
    return pick(mod, exportName, file, ctx, name);
  }
  for (const spec of new Set([modulePath.split(".").join("/"), modulePath])) {
    const mod = await load(() => importPackage(spec, ctx.baseDir).then((m) => m ?? {}), `package '${spec}'`, ctx);
    if (Object.keys(mod).length > 0) return pick(mod, exportName, `'${spec}'`, ctx, name);
  }
  return fail(
    `class '${name}': no module '${modulePath}' (looked for ${base}{${EXTENSIONS.join(",")}} and a package '${modulePath.split(".").join("/")}')`,
    ErrorCodes.ERR_CONFIG_MODULE_NOT_FOUND,
    ctx,
  );
}

export function baseDirOf(file: string | undefined): string {
  return file ? dirname(resolvePath(file)) : process.cwd();
}
