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

/**
 * A floating-point number that travels as a float even when it is whole:
 * Python `float`, XML-RPC `<double>`, Hessian `double`. JS has one number
 * type, so `2.0` read from the wire is the number 2, and a writer sends an
 * integral number as an int; `new Float(2)` is sent as `2.0`. Readers give
 * whole floats as Float with the `preserveTypes` option, so a value that is
 * echoed back keeps its type. XmlRpcDouble and HessianDouble are Floats.
 *
 * It behaves as its number where JS converts: `f + 1`, `f * 2`, `f < 3`,
 * `Number(f)`, `${f}` and `JSON.stringify(f)` use `f.value`. It is an
 * object, so `f === 2` is false: compare `f.value` (or `+f`).
 */
export class Float {
  readonly value: number;
  constructor(value: number) {
    if (typeof value !== "number") throw new TypeError(`a Float is made from a number, not ${typeof value}`);
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return String(this.value);
  }
  toJSON(): number {
    return this.value;
  }
  [Symbol.toPrimitive](hint: string): number | string {
    return hint === "string" ? String(this.value) : this.value;
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
