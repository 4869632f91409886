/**
 * docs/getting-started.md, followed as a new user would, from an empty
 * folder outside the repository (test/helpers/follow-doc.ts): its files
 * written as shown, its commands run as shown (the package installed from
 * the packed tarball, port 7000 replaced by a free one), each printed output
 * compared with what the page says. Once as `npm init -y` leaves the project
 * (CommonJS), once with "type": "module".
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { docSteps, followDoc } from "../../helpers/follow-doc.js";
import { REPO_ROOT, userRoot } from "../../helpers/user-project.js";

const PAGE = readFileSync(join(REPO_ROOT, "docs/getting-started.md"), "utf8");

async function follow(moduleType: "commonjs" | "module"): Promise<void> {
  const base = join(userRoot(), `getting-started-${moduleType}-${process.pid}`);
  mkdirSync(base, { recursive: true });
  const { cwd } = await followDoc(PAGE, { cwd: base, ports: [7000], moduleType });
  const pkg = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")) as { type?: string };
  assert.equal(pkg.type ?? "commonjs", moduleType);
}

describe("the getting-started page works as written", () => {
  it("has files, commands and outputs to follow", () => {
    const s = docSteps(PAGE);
    assert.ok(s.filter((x) => x.kind === "file").length >= 4);
    assert.ok(s.filter((x) => x.kind === "sh").length >= 4);
    assert.ok(s.filter((x) => x.kind === "output").length >= 3);
  });
  it("in the CommonJS project npm init -y makes", () => follow("commonjs"));
  it('in a project with "type": "module"', () => follow("module"));
});
