// Runs one benchmark case in this process and prints its result as JSON.
import { pathToFileURL } from "node:url";
import type { BenchCase } from "./lib.js";

const [file, name] = process.argv.slice(2);
const mod = (await import(pathToFileURL(file!).href)) as { default: BenchCase[] };
const c = mod.default.find((x) => x.name === name);
if (!c) {
  console.error(`no case '${name}' in ${file}`);
  process.exit(2);
}
const res = await c.run();
process.stdout.write(`RESULT ${JSON.stringify(res)}\n`);
process.exit(0);
