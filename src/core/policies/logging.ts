/**
 * The call-logging policy: each call, its outcome and its duration at debug
 * level on the `remoting.call` logger (switch on with `--log-level debug` or
 * `REMOTING_LOG=remoting.call`). Arguments and results are never logged:
 * they may hold secrets.
 */
import { errorMessage } from "../errors.js";
import { getLogger } from "../logging.js";
import type { Interceptor } from "../invocation.js";

const log = getLogger("remoting.call");

export function loggingPolicy(): Interceptor {
  return (next) => (inv) => {
    if (!log.isLevelEnabled("debug")) return next(inv);
    const started = performance.now();
    log.debug("call %s %s.%s (%d args%s)", inv.protocol, inv.service, inv.method, inv.args.length, inv.oneway ? ", oneway" : "");
    return next(inv).then(
      (v) => {
        log.debug("call %s.%s returned after %s ms (attempt %d)", inv.service, inv.method, (performance.now() - started).toFixed(1), inv.attempt);
        return v;
      },
      (err: unknown) => {
        const code = (err as { code?: unknown }).code;
        log.debug("call %s.%s failed after %s ms (attempt %d): %s%s", inv.service, inv.method, (performance.now() - started).toFixed(1), inv.attempt, code ? `[${String(code)}] ` : "", errorMessage(err));
        throw err;
      },
    );
  };
}
