/**
 * The original's class names, so Spring Python XML files load unchanged:
 * `springpython.remoting.pyro.PyroServiceExporter` and friends resolve to this
 * package's classes. Loaded lazily: a context that names no protocol class
 * loads no protocol code.
 */
import { registerClassAlias } from "./context/class-resolver.js";

type Loader = () => Promise<Record<string, unknown>>;

/** Each entry: original name → [module loader, export name]. */
const table: Array<[string, Loader, string]> = [];

function add(names: string[], loader: Loader, exportName: string): void {
  for (const n of names) table.push([n, loader, exportName]);
}

// Module paths are kept in variables so that a protocol can be left out of a build.
const PYRO4 = "./protocols/pyro4/index.js";
const HESSIAN = "./protocols/hessian/index.js";
const XMLRPC = "./protocols/xmlrpc/index.js";
const NATS = "./protocols/nats/index.js";
const load = (path: string): Loader => () => import(path) as Promise<Record<string, unknown>>;

for (const cls of ["PyroServiceExporter", "PyroProxyFactory", "Pyro4ServiceExporter", "Pyro4ProxyFactory"]) {
  add([`springpython.remoting.pyro.${cls}`, `remoting.pyro.${cls}`, `remoting.${cls}`], load(PYRO4), cls);
}
for (const cls of ["HessianProxyFactory", "HessianServiceExporter"]) {
  add([`springpython.remoting.hessian.${cls}`, `remoting.hessian.${cls}`, `remoting.${cls}`], load(HESSIAN), cls);
}
for (const cls of ["SSLServer", "SSLClient", "XmlRpcServer", "XmlRpcClient", "XmlRpcServiceExporter", "XmlRpcProxyFactory"]) {
  add([`springpython.remoting.xmlrpc.${cls}`, `remoting.xmlrpc.${cls}`, `remoting.${cls}`], load(XMLRPC), cls);
}

for (const cls of ["NatsServiceExporter", "NatsProxyFactory"]) {
  add([`remoting.nats.${cls}`, `remoting.${cls}`], load(NATS), cls);
}

// High availability lives in the core (it works over any protocol).
const HA = "./core/ha/factory.js";
add(["remoting.HighAvailabilityProxyFactory", "remoting.ha.HighAvailabilityProxyFactory", "springpython.remoting.HighAvailabilityProxyFactory"], load(HA), "HighAvailabilityProxyFactory");

/** Every built-in class name with its export, for the configuration reference. */
export function builtinClassNames(): ReadonlyArray<{ name: string; exportName: string; load: Loader }> {
  return table.map(([name, load, exportName]) => ({ name, exportName, load }));
}

let registered = false;

export function registerBuiltinAliases(): void {
  if (registered) return;
  registered = true;
  for (const [name, loader, exportName] of table) {
    registerClassAlias(name, async () => {
      const mod = await loader();
      const value = mod[exportName];
      if (value === undefined) throw new Error(`this build of remoting has no ${exportName}`);
      return value;
    });
  }
}
