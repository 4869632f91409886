/**
 * The name server's regular expressions: Python's `re` syntax, matched as
 * `re.match` does (at the start of the name; any prefix may match), by an
 * automaton instead of backtracking, so no pattern can take exponential time
 * (`(a+)+$` against `aaa…ab` costs what `a+$` costs).
 *
 * The pattern compiles to a Thompson NFA (at most MAX_PROGRAM instructions,
 * counted repetitions expanded); matching runs the NFA's states as a set,
 * caching each set as a DFA state (at most MAX_DFA_STATES, then the cache
 * starts again), so a name costs one cached step per character once the
 * states are known. Every step is charged to a `RegexBudget`; a query that
 * spends it is refused.
 *
 * Supported: literals and escapes (`\n`, `\t`, `\xhh`, `\uhhhh`,
 * `\Uhhhhhhhh`, octal, escaped punctuation), `.`, classes (`[a-z_]`,
 * `[^...]`, `\d \D \w \W \s \S`), groups (`(...)`, `(?:...)`,
 * `(?P<name>...)`), `|`, `* + ? {m} {m,} {,n} {m,n}` and their lazy forms,
 * `^ $ \A \Z \b \B`, comments `(?#...)`, and the flags `(?i) (?s) (?m)
 * (?a) (?u)` at the start. Refused with a NamingError, as they cannot be
 * matched in linear time or are not worth it here: back-references,
 * look-ahead and look-behind, conditionals, atomic groups, possessive
 * quantifiers, `\N{...}`, the verbose flag.
 */
import { NamingError } from "../../core/errors.js";

/** Longest pattern accepted. */
export const MAX_PATTERN_LENGTH = 1000;
/** Most NFA instructions a pattern compiles to (counted repetitions expanded). */
export const MAX_PROGRAM = 10_000;
/** DFA states cached per query before the cache is emptied. */
const MAX_DFA_STATES = 4096;
/** Default work of one query: DFA steps plus NFA states visited while building DFA states. */
export const DEFAULT_REGEX_WORK = 20_000_000;

const END = -1;

type Pred = (c: number) => boolean;

type Node =
  | { t: "char"; pred: Pred }
  | { t: "cat"; items: Node[] }
  | { t: "alt"; items: Node[] }
  | { t: "rep"; node: Node; min: number; max: number }
  | { t: "assert"; kind: AssertKind }
  | { t: "empty" };

type AssertKind = "bol" | "eol" | "start" | "end" | "endz" | "wordb" | "nwordb";

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
  a: boolean;
}

function fail(msg: string, at?: number): never {
  throw new NamingError(`invalid regex: ${msg}${at === undefined ? "" : ` at position ${at}`}`);
}

function unsupported(what: string, at: number): never {
  throw new NamingError(`unsupported regex feature: ${what} at position ${at} (the name server matches in linear time: no back-references, look-arounds, conditionals or possessive quantifiers)`);
}

const WORD_U = /[\p{L}\p{N}_]/u;
const DIGIT_U = /\p{Nd}/u;

function isWordChar(c: number, ascii: boolean): boolean {
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  return !ascii && WORD_U.test(String.fromCodePoint(c));
}
function isDigitChar(c: number, ascii: boolean): boolean {
  if (c < 128) return c >= 48 && c <= 57;
  return !ascii && DIGIT_U.test(String.fromCodePoint(c));
}
function isSpaceChar(c: number, ascii: boolean): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (ascii) return false;
  return (c >= 0x1c && c <= 0x1f) || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

function caseVariants(c: number): number[] {
  const s = String.fromCodePoint(c);
  const out = new Set<number>([c]);
  for (const v of [s.toLowerCase(), s.toUpperCase()]) if ([...v].length === 1) out.add(v.codePointAt(0)!);
  return [...out];
}

/** A predicate tested against ASCII through a table, beyond it through the function. */
function tabled(fn: Pred): Pred {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) table[c] = fn(c) ? 1 : 0;
  return (c) => (c < 128 ? table[c] === 1 : fn(c));
}

class Parser {
  private i = 0;
  private groups = 0;
  readonly flags: Flags = { i: false, s: false, m: false, a: false };

  constructor(private readonly p: string) {}

  parse(): Node {
    this.leadingFlags();
    const n = this.alternation();
    if (this.i < this.p.length) fail(this.p[this.i] === ")" ? "unbalanced parenthesis" : "unexpected character", this.i);
    return n;
  }

  private leadingFlags(): void {
    for (;;) {
      const m = /^\(\?([a-zA-Z]+)\)/.exec(this.p.slice(this.i));
      if (!m) return;
      for (const f of m[1]!) {
        if (f === "i" || f === "s" || f === "m" || f === "a") this.flags[f] = true;
        else if (f === "u") continue;
        else if (f === "x") unsupported("the verbose flag (?x)", this.i);
        else fail(`unknown flag '${f}'`, this.i);
      }
      this.i += m[0].length;
    }
  }

  private alternation(): Node {
    const items: Node[] = [this.sequence()];
    while (this.p[this.i] === "|") {
      this.i++;
      items.push(this.sequence());
    }
    return items.length === 1 ? items[0]! : { t: "alt", items };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.p.length && this.p[this.i] !== "|" && this.p[this.i] !== ")") {
      const atom = this.atom();
      if (atom === undefined) continue;
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0]! : items.length === 0 ? { t: "empty" } : { t: "cat", items };
  }

  private quantified(atom: Node): Node {
    let node = atom;
    let quantified = false;
    for (;;) {
      const at = this.i;
      const c = this.p[this.i];
      let min: number, max: number;
      if (c === "*") [min, max] = [0, Infinity];
      else if (c === "+") [min, max] = [1, Infinity];
      else if (c === "?") [min, max] = [0, 1];
      else if (c === "{") {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(this.p.slice(this.i));
        if (!m || (m[1] === "" && m[2] === "")) return node; // a literal '{'
        min = m[1] === "" ? 0 : Number(m[1]);
        max = m[2] === "" ? min : m[3] === "" ? Infinity : Number(m[3]);
        if (min > 65535 || (max !== Infinity && max > 65535)) fail("the repeat count is too large", at);
        if (max < min) fail("min repeat greater than max repeat", at);
        this.i += m[0].length - 1;
      } else return node;
      if (quantified) fail("multiple repeat", at);
      if (atom.t === "assert" || atom.t === "empty") fail("nothing to repeat", at);
      this.i++;
      if (this.p[this.i] === "?") this.i++; // lazy: the same set of matches
      else if (this.p[this.i] === "+") unsupported("a possessive quantifier", this.i);
      node = { t: "rep", node, min, max };
      quantified = true;
    }
  }

  /** One atom, or undefined for something that matches nothing at all (a comment). */
  private atom(): Node | undefined {
    const p = this.p;
    const at = this.i;
    const c = p[this.i++]!;
    switch (c) {
      case "(":
        return this.group(at);
      case "[":
        return this.charClass(at);
      case ".": {
        const s = this.flags.s;
        return { t: "char", pred: (x) => s || x !== 10 };
      }
      case "^":
        return { t: "assert", kind: this.flags.m ? "bol" : "start" };
      case "$":
        return { t: "assert", kind: this.flags.m ? "eol" : "end" };
      case "\\":
        return this.escape(at);
      case "*":
      case "+":
      case "?":
        fail("nothing to repeat", at);
        break;
      case "{": {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(p.slice(at));
        if (m && !(m[1] === "" && m[2] === "")) fail("nothing to repeat", at);
        return this.literal(123);
      }
      default: {
        const cp = p.codePointAt(at)!;
        if (cp > 0xffff) this.i++;
        return this.literal(cp);
      }
    }
  }

  private literal(cp: number): Node {
    if (!this.flags.i) return { t: "char", pred: (x) => x === cp };
    const vs = caseVariants(cp);
    return { t: "char", pred: tabled((x) => vs.includes(x) || caseVariants(x).some((v) => vs.includes(v))) };
  }

  private group(at: number): Node | undefined {
    const p = this.p;
    if (p[this.i] === "?") {
      const rest = p.slice(this.i + 1);
      if (rest.startsWith(":")) this.i += 2;
      else if (rest.startsWith("P<")) {
        const m = /^P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
        if (!m) fail("bad group name", at);
        this.i += 1 + m[0].length;
      } else if (rest.startsWith("#")) {
        const end = p.indexOf(")", this.i);
        if (end < 0) fail("missing ), unterminated comment", at);
        this.i = end + 1;
        return undefined;
      } else if (rest.startsWith("P=")) unsupported("a back-reference (?P=...)", at);
      else if (rest.startsWith("=") || rest.startsWith("!") || rest.startsWith("<=") || rest.startsWith("<!")) unsupported("a look-around", at);
      else if (rest.startsWith("(")) unsupported("a conditional group", at);
      else if (rest.startsWith(">")) unsupported("an atomic group", at);
      else if (/^[aiLmsux-]/.test(rest)) unsupported("flags other than at the start of the pattern", at);
      else fail("unknown extension", at);
    }
    if (++this.groups > 100) fail("too many groups", at);
    const inner = this.alternation();
    if (p[this.i] !== ")") fail("missing ), unterminated subpattern", at);
    this.i++;
    return inner;
  }

  /** Reads the escape after a backslash at `at`: an assertion, a class or a literal. */
  private escape(at: number): Node {
    const p = this.p;
    const e = p[this.i];
    if (e === undefined) fail("bad escape (end of pattern)", at);
    const a = this.flags.a;
    switch (e) {
      case "A":
        this.i++;
        return { t: "assert", kind: "start" };
      case "Z":
        this.i++;
        return { t: "assert", kind: "endz" };
      case "b":
        this.i++;
        return { t: "assert", kind: "wordb" };
      case "B":
        this.i++;
        return { t: "assert", kind: "nwordb" };
      case "d":
      case "D":
      case "w":
      case "W":
      case "s":
      case "S": {
        this.i++;
        return { t: "char", pred: tabled(classEscape(e, a)) };
      }
    }
    if (/[1-9]/.test(e) && !/^[0-7]{3}/.test(p.slice(this.i))) unsupported("a back-reference", at);
    return this.literal(this.escapeChar(at, false));
  }

  /** The character of an escape (after the backslash at `at`) that stands for one character. */
  private escapeChar(at: number, inClass: boolean): number {
    const p = this.p;
    const e = p[this.i++]!;
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 };
    if (inClass && e === "b") return 8;
    if (simple[e] !== undefined) return simple[e]!;
    if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const h = p.slice(this.i, this.i + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) fail(`incomplete escape \\${e}${h}`, at);
      this.i += n;
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff) fail(`bad escape \\${e}${h}`, at);
      return cp;
    }
    if (e === "N") unsupported("\\N{...}", at);
    if (/[0-7]/.test(e)) {
      let digits = e;
      while (digits.length < 3 && /[0-7]/.test(p[this.i] ?? "")) digits += p[this.i++];
      const v = parseInt(digits, 8);
      if (v > 0o377) fail(`octal escape value \\${digits} outside of range 0-0o377`, at);
      return v;
    }
    if (/[A-Za-z0-9]/.test(e)) fail(`bad escape \\${e}`, at);
    const cp = p.codePointAt(this.i - 1)!;
    if (cp > 0xffff) this.i++;
    return cp;
  }

  private charClass(at: number): Node {
    const p = this.p;
    const a = this.flags.a;
    let negate = false;
    if (p[this.i] === "^") {
      negate = true;
      this.i++;
    }
    const ranges: Array<[number, number]> = [];
    const classes: Pred[] = [];
    let first = true;
    for (;;) {
      if (this.i >= p.length) fail("unterminated character set", at);
      if (p[this.i] === "]" && !first) break;
      first = false;
      let lo: number;
      if (p[this.i] === "\\") {
        const e = p[this.i + 1];
        if (e !== undefined && "dDwWsS".includes(e)) {
          this.i += 2;
          classes.push(classEscape(e, a));
          continue;
        }
        const bs = this.i++;
        lo = this.escapeChar(bs, true);
      } else {
        lo = p.codePointAt(this.i)!;
        this.i += lo > 0xffff ? 2 : 1;
      }
      if (p[this.i] === "-" && p[this.i + 1] !== "]" && this.i + 1 < p.length) {
        this.i++;
        let hi: number;
        if (p[this.i] === "\\") {
          const e = p[this.i + 1];
          if (e !== undefined && "dDwWsS".includes(e)) fail("bad character range", this.i);
          const bs = this.i++;
          hi = this.escapeChar(bs, true);
        } else {
          hi = p.codePointAt(this.i)!;
          this.i += hi > 0xffff ? 2 : 1;
        }
        if (hi < lo) fail("bad character range", at);
        ranges.push([lo, hi]);
      } else ranges.push([lo, lo]);
    }
    this.i++; // ]
    const icase = this.flags.i;
    const inRanges = (c: number): boolean => {
      for (const [lo, hi] of ranges) if (c >= lo && c <= hi) return true;
      for (const cl of classes) if (cl(c)) return true;
      return false;
    };
    const test = icase ? (c: number) => caseVariants(c).some(inRanges) : inRanges;
    return { t: "char", pred: tabled(negate ? (c) => !test(c) : test) };
  }
}

function classEscape(e: string, ascii: boolean): Pred {
  switch (e) {
    case "d":
      return (c) => isDigitChar(c, ascii);
    case "D":
      return (c) => !isDigitChar(c, ascii);
    case "w":
      return (c) => isWordChar(c, ascii);
    case "W":
      return (c) => !isWordChar(c, ascii);
    case "s":
      return (c) => isSpaceChar(c, ascii);
    default:
      return (c) => !isSpaceChar(c, ascii);
  }
}

// ---------------------------------------------------------------- the NFA

const OP_CHAR = 0;
const OP_SPLIT = 1;
const OP_JMP = 2;
const OP_ASSERT = 3;
const OP_MATCH = 4;

interface Instr {
  op: number;
  pred?: Pred;
  kind?: AssertKind;
  x: number;
  y: number;
}

class Compiler {
  readonly prog: Instr[] = [];

  private emit(ins: Instr): number {
    if (this.prog.length >= MAX_PROGRAM) throw new NamingError(`regex is too complex: more than ${MAX_PROGRAM} states once its repetitions are expanded`);
    this.prog.push(ins);
    return this.prog.length - 1;
  }

  compile(n: Node): void {
    this.node(n);
    this.emit({ op: OP_MATCH, x: -1, y: -1 });
  }

  /** Emits `n`; its exits fall through to the next instruction emitted. */
  private node(n: Node): void {
    switch (n.t) {
      case "empty":
        return;
      case "char":
        this.emit({ op: OP_CHAR, pred: n.pred, x: this.prog.length + 1, y: -1 });
        return;
      case "assert":
        this.emit({ op: OP_ASSERT, kind: n.kind, x: this.prog.length + 1, y: -1 });
        return;
      case "cat":
        for (const it of n.items) this.node(it);
        return;
      case "alt": {
        const jumps: number[] = [];
        for (let k = 0; k < n.items.length; k++) {
          if (k < n.items.length - 1) {
            const split = this.emit({ op: OP_SPLIT, x: this.prog.length + 1, y: -1 });
            this.node(n.items[k]!);
            jumps.push(this.emit({ op: OP_JMP, x: -1, y: -1 }));
            this.prog[split]!.y = this.prog.length;
          } else this.node(n.items[k]!);
        }
        for (const j of jumps) this.prog[j]!.x = this.prog.length;
        return;
      }
      case "rep": {
        for (let k = 0; k < n.min; k++) this.node(n.node);
        if (n.max === Infinity) {
          // L: split body, out; body; jmp L
          const split = this.emit({ op: OP_SPLIT, x: this.prog.length + 1, y: -1 });
          this.node(n.node);
          this.emit({ op: OP_JMP, x: split, y: -1 });
          this.prog[split]!.y = this.prog.length;
        } else {
          const splits: number[] = [];
          for (let k = n.min; k < n.max; k++) {
            splits.push(this.emit({ op: OP_SPLIT, x: this.prog.length + 1, y: -1 }));
            this.node(n.node);
          }
          for (const s of splits) this.prog[s]!.y = this.prog.length;
        }
        return;
      }
    }
  }
}

// ---------------------------------------------------------------- matching

/** The work one query may do; shared by every name the query tests. */
export class RegexBudget {
  spent = 0;
  constructor(readonly limit: number = DEFAULT_REGEX_WORK) {}
  charge(n: number): void {
    this.spent += n;
    if (this.spent > this.limit) throw new NamingError(`regex query too costly: more than ${this.limit} matching steps (narrow the pattern or use a prefix)`);
  }
}

interface DState {
  /** NFA instructions to take the closure from, sorted. */
  pcs: Int32Array;
  prevWord: boolean;
  prevNewline: boolean;
  atStart: boolean;
  /** Transitions by character (-2: a final newline): the next state, MATCHED, or DEAD (no match can follow). */
  next: Map<number, DState | typeof MATCHED | typeof DEAD>;
}

const MATCHED = Symbol("matched");
const DEAD = Symbol("dead");

/** A compiled pattern. */
export class SafeRegex {
  private readonly prog: Instr[];
  private readonly ascii: boolean;
  private states = new Map<string, DState>();
  private readonly start: DState;
  private readonly mark: Int32Array;
  private generation = 0;
  private readonly stack: Int32Array;

  constructor(readonly pattern: string) {
    if (pattern.length > MAX_PATTERN_LENGTH) throw new NamingError(`regex longer than ${MAX_PATTERN_LENGTH} characters`);
    const parser = new Parser(pattern);
    const tree = parser.parse();
    const c = new Compiler();
    c.compile(tree);
    this.prog = c.prog;
    this.ascii = parser.flags.a;
    this.mark = new Int32Array(this.prog.length);
    this.stack = new Int32Array(this.prog.length * 2 + 2);
    this.start = this.state(Int32Array.of(0), false, false, true);
  }

  /** Number of NFA instructions (for tests). */
  get size(): number {
    return this.prog.length;
  }

  private state(pcs: Int32Array, prevWord: boolean, prevNewline: boolean, atStart: boolean): DState {
    const key = `${prevWord ? 1 : 0}${prevNewline ? 1 : 0}${atStart ? 1 : 0}:${pcs.join(",")}`;
    let s = this.states.get(key);
    if (s === undefined) {
      if (this.states.size >= MAX_DFA_STATES) {
        // start the cache again: the old states lose their transitions (the one in use stays valid)
        for (const old of this.states.values()) old.next.clear();
        this.states = new Map();
      }
      s = { pcs, prevWord, prevNewline, atStart, next: new Map() };
      this.states.set(key, s);
    }
    return s;
  }

  private assertion(kind: AssertKind, s: DState, c: number, finalNewline: boolean): boolean {
    switch (kind) {
      case "start":
        return s.atStart;
      case "bol":
        return s.atStart || s.prevNewline;
      case "end":
        return c === END || finalNewline;
      case "endz":
        return c === END;
      case "eol":
        return c === END || c === 10;
      case "wordb":
      case "nwordb": {
        const nextWord = c !== END && isWordChar(c, this.ascii);
        return (s.prevWord !== nextWord) === (kind === "wordb");
      }
    }
  }

  /**
   * The closure of `s` before character `c` (END at the end), then the step
   * over `c`: the next state, or MATCHED when the closure reaches a match.
   */
  private transition(s: DState, c: number, finalNewline: boolean, budget: RegexBudget): DState | typeof MATCHED | typeof DEAD {
    const prog = this.prog;
    const mark = this.mark;
    const stack = this.stack;
    const gen = ++this.generation;
    const out: number[] = [];
    let sp = 0;
    for (let k = s.pcs.length - 1; k >= 0; k--) stack[sp++] = s.pcs[k]!;
    let visited = 0;
    while (sp > 0) {
      const pc = stack[--sp]!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      visited++;
      const ins = prog[pc]!;
      switch (ins.op) {
        case OP_MATCH:
          budget.charge(visited);
          return MATCHED;
        case OP_CHAR:
          if (c !== END && ins.pred!(c)) out.push(ins.x);
          break;
        case OP_JMP:
          stack[sp++] = ins.x;
          break;
        case OP_SPLIT:
          stack[sp++] = ins.y;
          stack[sp++] = ins.x;
          break;
        case OP_ASSERT:
          if (this.assertion(ins.kind!, s, c, finalNewline)) stack[sp++] = ins.x;
          break;
      }
    }
    budget.charge(visited);
    if (c === END || out.length === 0) return DEAD;
    out.sort((a, b) => a - b);
    const pcs = new Int32Array(out.length);
    let n = 0;
    for (let k = 0; k < out.length; k++) if (k === 0 || out[k] !== out[k - 1]) pcs[n++] = out[k]!;
    return this.state(n === out.length ? pcs : pcs.slice(0, n), isWordChar(c, this.ascii), c === 10, false);
  }

  /** Python's `re.match(pattern, text) is not None`: whether a prefix of `text` matches. */
  match(text: string, budget: RegexBudget = new RegexBudget()): boolean {
    let s: DState = this.start;
    const n = text.length;
    for (let i = 0; i < n; ) {
      const c = text.codePointAt(i)!;
      i += c > 0xffff ? 2 : 1;
      const finalNewline = c === 10 && i === n;
      const key = finalNewline ? -2 : c;
      let t = s.next.get(key);
      if (t === undefined) {
        t = this.transition(s, c, finalNewline, budget);
        s.next.set(key, t);
      } else budget.charge(1);
      if (t === MATCHED) return true;
      if (t === DEAD) return false;
      s = t;
    }
    return this.transition(s, END, false, budget) === MATCHED;
  }
}

/** Compiles a name-server query pattern; a NamingError for one that is malformed or uses what is refused. */
export function compileRegex(pattern: string): SafeRegex {
  return new SafeRegex(pattern);
}
