// What the example uses from the library (from the package: `import { ... } from "remoting"`).
export { ClassRegistry, HessianProxyFactory, HessianServiceExporter, hessian } from "../../src/protocols/hessian/index.js";
export { RemoteInvocationError } from "../../src/core/errors.js";
