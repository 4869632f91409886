/**
 * TypeScript values for the Python types the XML schema names: tuple, set,
 * frozenset, decimal and complex.
 */

/** A tuple: a frozen array. */
export type Tuple<T = unknown> = readonly T[];

export function tuple<T>(items: T[]): Tuple<T> {
  return Object.freeze(items);
}

/** A set that cannot change after it is built. */
const frozenSets = new WeakSet<object>();

export class FrozenSet<T> extends Set<T> {
  constructor(items?: Iterable<T>) {
    super(items);
    frozenSets.add(this);
  }
  override add(value: T): this {
    if (frozenSets.has(this)) throw new TypeError("a FrozenSet cannot be changed");
    return super.add(value);
  }
  override delete(_value: T): boolean {
    throw new TypeError("a FrozenSet cannot be changed");
  }
  override clear(): void {
    throw new TypeError("a FrozenSet cannot be changed");
  }
}

/** An exact decimal number, kept as its text (`<decimal>12.34</decimal>`). */
export class Decimal {
  readonly text: string;
  constructor(text: string) {
    const t = text.trim();
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new RangeError(`'${text}' is not a decimal number`);
    this.text = t;
  }
  toString(): string {
    return this.text;
  }
  toNumber(): number {
    return Number(this.text);
  }
  valueOf(): number {
    return this.toNumber();
  }
  toJSON(): string {
    return this.text;
  }
  equals(other: Decimal): boolean {
    return this.toNumber() === other.toNumber();
  }
}

/** A complex number (`<complex>10+0j</complex>`). */
export class Complex {
  constructor(
    readonly real: number,
    readonly imag: number,
  ) {}

  /** Parses Python's complex literal forms: `10`, `2j`, `10+0j`, `(1-2.5j)`. */
  static parse(text: string): Complex {
    const t = text.trim().replace(/^\((.*)\)$/, "$1").replace(/\s+/g, "");
    const num = "[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?";
    let m = new RegExp(`^(${num})$`).exec(t);
    if (m) return new Complex(Number(m[1]), 0);
    m = new RegExp(`^(${num}|[+-]?)[jJ]$`).exec(t);
    if (m) return new Complex(0, imagOf(m[1]!));
    m = new RegExp(`^(${num})([+-](?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-])[jJ]$`).exec(t);
    if (m) return new Complex(Number(m[1]), imagOf(m[2]!));
    throw new RangeError(`'${text}' is not a complex number`);
  }
  toString(): string {
    const sign = this.imag < 0 || Object.is(this.imag, -0) ? "-" : "+";
    return `(${this.real}${sign}${Math.abs(this.imag)}j)`;
  }
}

function imagOf(s: string): number {
  if (s === "" || s === "+") return 1;
  if (s === "-") return -1;
  return Number(s);
}
