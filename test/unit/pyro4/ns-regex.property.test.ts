/**
 * The name server's regex matcher: the same answers as a backtracking engine
 * on random patterns (Python's re.match meaning), time linear in the text on
 * the patterns that make backtracking engines exponential, and the features
 * it refuses.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { NamingError } from "../../../src/core/errors.js";
import { compileRegex, MAX_PROGRAM, RegexBudget } from "../../../src/protocols/pyro4/ns-regex.js";

/** Random patterns over a small alphabet, in the syntax Python and JS share (for texts without line breaks). */
const pattern: fc.Arbitrary<string> = fc.letrec((tie) => ({
  atom: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom("a", "b", "c", ".", "\\.", "x") },
    { weight: 2, arbitrary: fc.constantFrom("[ab]", "[^a]", "[a-c]", "\\d", "\\w", "\\W", "[.x]") },
    { weight: 1, arbitrary: tie("alt").map((p) => `(${p as string})`) },
    { weight: 1, arbitrary: tie("alt").map((p) => `(?:${p as string})`) },
  ),
  quantified: fc.tuple(tie("atom") as fc.Arbitrary<string>, fc.constantFrom("", "", "*", "+", "?", "{2}", "{1,3}", "{0,2}", "*?", "+?", "{2,}")).map(([a, q]) => a + q),
  seq: fc.array(tie("quantified") as fc.Arbitrary<string>, { minLength: 1, maxLength: 4 }).map((xs) => xs.join("")),
  alt: fc.array(tie("seq") as fc.Arbitrary<string>, { minLength: 1, maxLength: 3 }).map((xs) => xs.join("|")),
})).alt as fc.Arbitrary<string>;

const anchored = fc.tuple(fc.boolean(), pattern, fc.boolean()).map(([start, p, end]) => `${start ? "^" : ""}${p}${end ? "$" : ""}`);
const text = fc.stringMatching(/^[abcx.1 _]{0,12}$/);

test("random patterns match exactly the names a backtracking engine matches with re.match's meaning", () => {
  fc.assert(
    fc.property(anchored, fc.array(text, { minLength: 1, maxLength: 8 }), (p, names) => {
      const ours = compileRegex(p);
      const theirs = new RegExp(`^(?:${p})`);
      for (const n of names) assert.equal(ours.match(n), theirs.test(n), `${JSON.stringify(p)} on ${JSON.stringify(n)}`);
    }),
    { numRuns: 1500 },
  );
});

test("patterns that take a backtracking engine exponential time take linear time here", () => {
  const evil: Array<[string, string]> = [
    ["(a+)+$", `${"a".repeat(5000)}b`],
    ["(a|aa)*c", "a".repeat(5000)],
    ["(a*)*b", "a".repeat(5000)],
    ["(x+x+)+y", "x".repeat(5000)],
    ["(\\w+\\s?)+$", `${"word ".repeat(1000)}!`],
    ["(.*a){12}", "a".repeat(5000)],
  ];
  for (const [p, t] of evil) {
    const re = compileRegex(p);
    const t0 = performance.now();
    re.match(t);
    const ms = performance.now() - t0;
    assert.ok(ms < 150, `${p} took ${ms.toFixed(1)} ms on ${t.length} characters`);
  }
  // and every query pays into one work budget: past it, a NamingError, not a stall
  const re = compileRegex("(a|b|ab|ba)*c");
  const budget = new RegexBudget(100_000);
  assert.throws(() => {
    for (let k = 0; k < 1000; k++) re.match(`${"ab".repeat(200)}${k}`, budget);
  }, (err: unknown) => err instanceof NamingError && /too costly/.test(err.message));
});

test("Python's re syntax and meaning: prefix match, $ before a final newline, \\Z, flags, escapes, classes", () => {
  const cases: Array<[string, string, boolean]> = [
    ["test\\..*", "test.service", true],
    ["service", "my.service", false],
    [".*service$", "my.service\n", true],
    [".*service\\Z", "my.service\n", false],
    ["(?i)ABC", "abc", true],
    ["(?s).x", "\nx", true],
    [".x", "\nx", false],
    ["(?m)a$\\nb", "a\nb", true],
    ["a{,2}c", "aac", true],
    ["\\x41\\u0042\\U00000043", "ABC", true],
    ["\\101", "A", true],
    ["[\\]a]+$", "]a]", true],
    ["\\bfoo\\b", "foo.bar", true],
    ["\\bfoo\\b", "foobar", false],
    ["(?P<name>ab)+$", "abab", true],
    ["a(?#a comment)b", "ab", true],
    ["\\d+", "\u0663", true], // Arabic-Indic digit three: \d is Unicode in Python 3
    ["(?a)\\d+", "\u0663", false],
    ["caf\u00e9|x", "caf\u00e9", true],
    ["{", "{", true],
    ["a{x}", "a{x}", true],
  ];
  for (const [p, t, want] of cases) assert.equal(compileRegex(p).match(t), want, `${JSON.stringify(p)} on ${JSON.stringify(t)}`);
});

test("what cannot be matched in linear time, or is malformed, is a NamingError that says why", () => {
  const refusals: Array<[string, RegExp]> = [
    ["(a)\\1", /back-reference/],
    ["(?P<x>a)(?P=x)", /back-reference/],
    ["(?=a)", /look-around/],
    ["(?<!a)b", /look-around/],
    ["(?(1)a|b)", /conditional/],
    ["(?>a)", /atomic/],
    ["a++", /possessive/],
    ["(?x)a b", /verbose/],
    ["\\N{DIGIT ONE}", /\\N/],
    ["(a", /unterminated subpattern/],
    ["a)", /unbalanced parenthesis/],
    ["*", /nothing to repeat/],
    ["a**", /multiple repeat/],
    ["a{3,1}", /min repeat greater than max/],
    ["[z-a]", /bad character range/],
    ["\\q", /bad escape/],
    ["x".repeat(1001), /longer than 1000/],
    ["(a{100}){100}b{100}", new RegExp(`more than ${MAX_PROGRAM}`)],
  ];
  for (const [p, why] of refusals) assert.throws(() => compileRegex(p), (err: unknown) => err instanceof NamingError && why.test(err.message), p);
});
