/**
 * docs/configuration.md is generated from the classes' own property
 * declarations (npm run docs:config); it must be current, and every
 * property must be documented with a type and a meaning.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { configurationReference } from "../../../scripts/config-reference.js";
import { builtinClassNames } from "../../../src/aliases.js";
import { declaredProperties } from "../../../src/core/config/properties.js";

it("docs/configuration.md is what npm run docs:config writes (run it after changing a property)", async () => {
  const doc = readFileSync(join(import.meta.dirname, "../../../docs/configuration.md"), "utf8");
  assert.equal(doc, await configurationReference());
});

it("every property of every configurable class has a type and a meaning", async () => {
  for (const { exportName, load } of builtinClassNames()) {
    const cls = (await load())[exportName];
    const props = declaredProperties(cls);
    assert.ok(props.length > 0, `${exportName} declares no properties`);
    for (const p of props) {
      assert.ok(p.type.length > 0, `${exportName}.${p.name} has no type`);
      assert.ok(p.doc.length > 10, `${exportName}.${p.name} has no meaning`);
    }
  }
});
