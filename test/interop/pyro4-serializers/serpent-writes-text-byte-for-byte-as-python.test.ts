/**
 * Our serpent text of a string is Python's, byte for byte: serpent writes
 * repr(), and repr() chooses the quotes and escapes each character Python's
 * str.isprintable() refuses. Checked against the real serpent for random
 * text of every length class repr()'s scans treat apart: short text, long
 * text scanned as a copy of its code units (printable ASCII two units at a
 * time, then a table per unit), long ASCII text scanned as its UTF-8 copy
 * (four bytes at a time), and text beyond those copies' size.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { getSerializer } from "../../../src/codecs/python/index.js";
import { fastPathHits, resetFastPathCounts } from "../../../src/core/fast-paths.js";
import { PYTHON, requirePeers } from "../../helpers/peers.js";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "pyro4_peer.py");

/** One character of a kind repr() treats in its own way. */
const char = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 4, arbitrary: fc.constantFrom("'", '"', "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\x80", "\xa0", "\xad", "\u2028", "\u200b", "\ufeff", "\u3000") },
  { weight: 4, arbitrary: fc.integer({ min: 0xa1, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 4, arbitrary: fc.integer({ min: 0x100, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0xe000, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  { weight: 3, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);

/** Text of `min`..`max` characters: mostly one kind per run, as real text is. */
function text(min: number, max: number) {
  const run = fc.oneof(
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 200 }),
    fc.string({ unit: fc.constantFrom("Grüße ", "東京の夜景 ", "🚀", "naïve ", "Привет ", "café"), minLength: 1, maxLength: 40 }),
    fc.string({ unit: char, minLength: 1, maxLength: 20 }),
  );
  return fc.array(run, { minLength: 1, maxLength: 40 }).map((runs) => {
    let s = runs.join("");
    while (s.length < min) s += s || "a";
    return s.slice(0, max);
  });
}

/** Printable ASCII with at most one other character at a random place (where the two-at-a-time scan stops). */
const asciiWithOne = fc
  .tuple(fc.integer({ min: 65, max: 6000 }), fc.nat(), fc.option(char, { nil: undefined }))
  .map(([n, at, c]) => {
    const s = "The quick brown fox jumps over the lazy dog. ".repeat(140).slice(0, n);
    if (c === undefined) return s;
    const i = at % n;
    return s.slice(0, i) + c + s.slice(i + 1);
  });

test("serpent writes text of every length and kind byte for byte as Python's serpent does", (t) => {
  if (!requirePeers(t, "pyro4")) return;
  const strings = [
    ...fc.sample(text(0, 64), { numRuns: 150, seed: 20261207 }),
    ...fc.sample(text(65, 4000), { numRuns: 300, seed: 20261208 }),
    ...fc.sample(asciiWithOne, { numRuns: 300, seed: 20261209 }),
    ...fc.sample(text(40_000, 40_000), { numRuns: 3, seed: 20261210 }),
    // long printable ASCII with one control character, DEL, quote or backslash at every position modulo 4
    ...["\x00", "\x1f", "\x7f", "\t", "'", '"', "\\", "\x80", "é"].flatMap((c) =>
      [0, 1, 2, 3, 1500, 1501, 1502, 1503, 2999].map((at) => {
        const s = "base64+/ABCxyz09".repeat(188).slice(0, 3000);
        return s.slice(0, at) + c + s.slice(at + 1);
      }),
    ),
  ];
  const serpent = getSerializer("serpent");
  resetFastPathCounts();
  const ours = strings.map((s) => serpent.dumps(s).toString("base64"));
  // every long string beyond printable ASCII is scanned as a copy of its code units
  const long = strings.filter((s) => s.length > 64 && s.length <= 32_768 && /[^ -~]/.test(s)).length;
  assert.ok(long > 300 && fastPathHits["pyrepr.str.units"] + fastPathHits["pyrepr.str.asciiBytes"] >= long, `the code-unit scans ran ${fastPathHits["pyrepr.str.units"]} times for ${long} long strings`);
  // long text that starts as printable ASCII and is all ASCII is scanned as its UTF-8 copy
  assert.ok(fastPathHits["pyrepr.str.asciiBytes"] > 50, `the ASCII byte scan ran ${fastPathHits["pyrepr.str.asciiBytes"]} times`);
  const r = spawnSync(PYTHON, [SCRIPT, "serpent-dumps"], { input: JSON.stringify(strings), encoding: "utf8", timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, r.stderr);
  const answer = JSON.parse(r.stdout) as { unicode: string; items: Array<{ data: string; nonPrintable: number[] }> };
  assert.equal(answer.items.length, strings.length);
  // repr() escapes what the Unicode tables of its runtime call unassigned: characters assigned in one of Node's and
  // Python's Unicode versions and not in the other are written differently (each side reads both forms to the same
  // text). Such strings are left out; every other string must be written the same.
  const diffs: string[] = [];
  let compared = 0;
  strings.forEach((s, i) => {
    const theirs = answer.items[i]!;
    if (theirs.nonPrintable.join() !== nonPrintable(s).join()) return;
    compared++;
    if (ours[i] === theirs.data) return;
    const a = Buffer.from(ours[i]!, "base64").toString("utf8");
    const b = Buffer.from(theirs.data, "base64").toString("utf8");
    let at = 0;
    while (at < a.length && a[at] === b[at]) at++;
    diffs.push(`length ${s.length}: ours ${JSON.stringify(a.slice(Math.max(0, at - 20), at + 40))} Python ${JSON.stringify(b.slice(Math.max(0, at - 20), at + 40))}`);
  });
  assert.deepStrictEqual(diffs.slice(0, 5), []);
  assert.ok(compared >= strings.length * 0.6, `only ${compared} of ${strings.length} strings compared (Node Unicode ${process.versions.unicode}, Python ${answer.unicode})`);
});

/** The distinct code points of `s` that Python's str.isprintable() refuses, by Node's Unicode tables. */
function nonPrintable(s: string): number[] {
  const out = new Set<number>();
  for (const ch of s) if (/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(ch) && ch !== " ") out.add(ch.codePointAt(0)!);
  return [...out].sort((a, b) => a - b);
}
