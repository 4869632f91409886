/**
 * A small element tree with source positions, built with saxes. No DTD is
 * honoured and no entity beyond the five predefined ones is expanded.
 *
 * Linear in the size of the text: parsing stops at the first error, and at
 * the first element nested deeper than `maxDepth` (saxes resolves namespaces
 * through every open element, so going on through a very deep document
 * would take time growing with the square of its depth).
 */
import { SaxesParser, type SaxesTagNS } from "saxes";

export interface XmlElement {
  /** Local name, e.g. `object`. */
  name: string;
  /** Namespace URI ("" when none). */
  ns: string;
  /** Attributes without a namespace, by local name. */
  attrs: Map<string, string>;
  /** Attributes in another namespace (e.g. xsi:schemaLocation), by qualified name. */
  foreignAttrs: Map<string, string>;
  children: XmlElement[];
  /** The text directly inside the element (children's text excluded). */
  text: string;
  line: number;
  column: number;
}

export interface XmlParseError {
  message: string;
  line: number;
  column: number;
}

export class XmlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(reason);
  }
}

/** Thrown inside the parser's handlers to stop it at the first failure. */
const STOP = Symbol("stop parsing");

/** Parses XML text into an element tree. Throws XmlSyntaxError with a position. */
export function parseXml(text: string, limits: { maxDepth?: number } = {}): XmlElement {
  const maxDepth = limits.maxDepth ?? 256;
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let startLine = 1;
  let startColumn = 1;
  let failure: XmlSyntaxError | undefined;

  parser.on("error", (err) => {
    if (!failure) {
      // saxes prefixes messages with "line:column: "
      const m = /^(\d+):(\d+): (.*)$/s.exec(err.message);
      failure = m ? new XmlSyntaxError(m[3]!, Number(m[1]), Number(m[2])) : new XmlSyntaxError(err.message, parser.line, parser.column + 1);
    }
    throw STOP;
  });
  parser.on("doctype", () => {
    if (!failure) failure = new XmlSyntaxError("DOCTYPE declarations are not allowed", parser.line, parser.column + 1);
    throw STOP;
  });
  // Line starts, to turn the offset of a tag's "<" into a line and column.
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  parser.on("opentagstart", () => {
    const lt = text.lastIndexOf("<", Math.min(parser.position, text.length - 1));
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= lt) lo = mid;
      else hi = mid - 1;
    }
    startLine = lo + 1;
    startColumn = lt - lineStarts[lo]! + 1;
  });
  parser.on("opentag", (tag) => {
    const t = tag as SaxesTagNS;
    const el: XmlElement = {
      name: t.local,
      ns: t.uri ?? "",
      attrs: new Map(),
      foreignAttrs: new Map(),
      children: [],
      text: "",
      line: startLine,
      column: startColumn,
    };
    for (const a of Object.values(t.attributes)) {
      if (a.prefix === "xmlns" || a.name === "xmlns") continue;
      if (a.uri) el.foreignAttrs.set(a.name, a.value);
      else el.attrs.set(a.local, a.value);
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
    if (stack.length > maxDepth) {
      failure ??= new XmlSyntaxError(`elements nested deeper than ${maxDepth} levels`, startLine, startColumn);
      throw STOP;
    }
  });
  parser.on("text", (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on("cdata", (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on("closetag", () => {
    stack.pop();
  });

  try {
    parser.write(text);
    if (!failure) parser.close();
  } catch (err) {
    if (!failure) failure = new XmlSyntaxError(err === STOP ? "malformed XML" : (err as Error).message, parser.line, parser.column + 1);
  }
  if (failure) throw failure;
  if (!root) throw new XmlSyntaxError("the document has no root element", 1, 1);
  return root;
}
