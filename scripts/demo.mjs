#!/usr/bin/env node
// The main job: the seed's example, end to end.
// Runs examples/local-service (the client gets "service" from the container).
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "examples/local-service/client.ts")], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
