#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

// Writing to a closed pipe (e.g. `remoting check-config x.xml | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err && err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// Exit when the command is done, whatever a loaded service still holds (a
// timer, a socket): `remoting run` has closed its context by then, within its
// grace period. Writes to pipes, files and terminals are synchronous on the
// systems this runs on, so nothing printed is lost.
main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
