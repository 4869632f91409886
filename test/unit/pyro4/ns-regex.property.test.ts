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

/**
 * Random patterns over a small alphabet, generated as a tree and written in the
 * syntax Python and JS share. The reference answer comes from the tree itself:
 * the set of positions where each node can end, from each position where it can
 * start (memoized, so polynomial, unlike a backtracking engine, whose time on
 * random nested repetitions is exponential: a run of them once took 50 minutes).
 * Greediness does not change whether a match exists, which is what `match` asks.
 */
type Node =
  | { kind: "char"; src: string; test: (c: string) => boolean }
  | { kind: "group"; capture: boolean; alts: Node[][] }
  | { kind: "repeat"; node: Node; q: string; min: number; max: number };

const isWord = (c: string): boolean => /^[A-Za-z0-9_]$/.test(c);
const chars: Array<[string, (c: string) => boolean]> = [
  ["a", (c) => c === "a"],
  ["b", (c) => c === "b"],
  ["c", (c) => c === "c"],
  ["x", (c) => c === "x"],
  [".", (c) => c !== "\n"],
  ["\\.", (c) => c === "."],
  ["[ab]", (c) => c === "a" || c === "b"],
  ["[^a]", (c) => c !== "a"],
  ["[a-c]", (c) => c >= "a" && c <= "c"],
  ["\\d", (c) => c >= "0" && c <= "9"],
  ["\\w", isWord],
  ["\\W", (c) => !isWord(c)],
  ["[.x]", (c) => c === "." || c === "x"],
];
const quantifiers: Array<[string, number, number]> = [
  ["", 1, 1], ["", 1, 1], ["*", 0, Infinity], ["+", 1, Infinity], ["?", 0, 1], ["{2}", 2, 2],
  ["{1,3}", 1, 3], ["{0,2}", 0, 2], ["*?", 0, Infinity], ["+?", 1, Infinity], ["{2,}", 2, Infinity],
];

const tree = fc.letrec((tie) => ({
  atom: fc.oneof(
    { maxDepth: 3, depthIdentifier: "group" },
    { weight: 7, arbitrary: fc.constantFrom(...chars).map(([src, test]): Node => ({ kind: "char", src, test })) },
    { weight: 2, arbitrary: fc.tuple(fc.boolean(), tie("alt") as fc.Arbitrary<Node[][]>).map(([capture, alts]): Node => ({ kind: "group", capture, alts })) },
  ),
  quantified: fc.tuple(tie("atom") as fc.Arbitrary<Node>, fc.constantFrom(...quantifiers)).map(([node, [q, min, max]]): Node => (q === "" ? node : { kind: "repeat", node, q, min, max })),
  seq: fc.array(tie("quantified") as fc.Arbitrary<Node>, { minLength: 1, maxLength: 4 }),
  alt: fc.array(tie("seq") as fc.Arbitrary<Node[]>, { minLength: 1, maxLength: 3 }),
})).alt as fc.Arbitrary<Node[][]>;

const write = (n: Node): string =>
  n.kind === "char" ? n.src : n.kind === "group" ? `(${n.capture ? "" : "?:"}${writeAlts(n.alts)})` : write(n.node) + n.q;
const writeAlts = (alts: Node[][]): string => alts.map((seq) => seq.map(write).join("")).join("|");

/** Where a match of the alternatives can end when it starts at 0; with `end`, the last alternative must end at the text's end. */
function reachable(alts: Node[][], text: string, end: boolean): Set<number> {
  const memo = new Map<Node, Map<number, Set<number>>>();
  const ends = (n: Node, i: number): Set<number> => {
    let byStart = memo.get(n);
    if (!byStart) memo.set(n, (byStart = new Map()));
    const known = byStart.get(i);
    if (known) return known;
    const out = new Set<number>();
    byStart.set(i, out);
    if (n.kind === "char") {
      if (i < text.length && n.test(text[i] as string)) out.add(i + 1);
    } else if (n.kind === "group") {
      for (const seq of n.alts) for (const j of seqEnds(seq, i)) out.add(j);
    } else {
      if (n.min === 0) out.add(i);
      let cur = new Set([i]);
      const limit = Math.min(n.max, n.min + text.length + 1);
      for (let k = 1; k <= limit && cur.size > 0; k++) {
        const next = new Set<number>();
        for (const j of cur) for (const e of ends(n.node, j)) next.add(e);
        if (k >= n.min) for (const e of next) out.add(e);
        cur = next;
      }
    }
    return out;
  };
  const seqEnds = (seq: Node[], i: number): Set<number> => {
    let cur = new Set([i]);
    for (const n of seq) {
      const next = new Set<number>();
      for (const j of cur) for (const e of ends(n, j)) next.add(e);
      cur = next;
    }
    return cur;
  };
  const all = new Set<number>();
  alts.forEach((seq, k) => {
    for (const e of seqEnds(seq, 0)) if (!end || k < alts.length - 1 || e === text.length) all.add(e);
  });
  return all;
}

const text = fc.stringMatching(/^[abcx.1 _]{0,12}$/);

test("random patterns match exactly the names the pattern's own tree says, with re.match's meaning", () => {
  let compared = 0;
  fc.assert(
    fc.property(fc.boolean(), tree, fc.boolean(), fc.array(text, { minLength: 1, maxLength: 8 }), (start, alts, end, names) => {
      const p = `${start ? "^" : ""}${writeAlts(alts)}${end ? "$" : ""}`;
      let ours;
      try {
        ours = compileRegex(p);
      } catch (err) {
        // the one refusal a random pattern of this syntax may meet: too many states once repetitions are expanded
        assert.ok(err instanceof NamingError && /too complex/.test(err.message), `${JSON.stringify(p)}: ${String(err)}`);
        return;
      }
      for (const n of names) assert.equal(ours.match(n), reachable(alts, n, end).size > 0, `${JSON.stringify(p)} on ${JSON.stringify(n)}`);
      compared++;
    }),
    { numRuns: 1500 },
  );
  assert.ok(compared > 1000, `only ${compared} of 1500 patterns were compiled`);
});

test("on patterns without nested repetition, the answers are a backtracking engine's too", () => {
  const flat = fc.array(fc.array(fc.tuple(fc.constantFrom(...chars), fc.constantFrom(...quantifiers)), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 });
  fc.assert(
    fc.property(flat, fc.array(text, { minLength: 1, maxLength: 8 }), (alts, names) => {
      const p = alts.map((seq) => seq.map(([[src], [q]]) => src + q).join("")).join("|");
      const ours = compileRegex(p);
      const theirs = new RegExp(`^(?:${p})`);
      for (const n of names) assert.equal(ours.match(n), theirs.test(n), `${JSON.stringify(p)} on ${JSON.stringify(n)}`);
    }),
    { numRuns: 1000 },
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
