import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ApplicationContext, Complex, Decimal, FrozenSet, XMLConfig } from "../../../src/index.js";
import type { StringHolder } from "../../fixtures/context/support.js";
import { ColonMovieFinder, MovieLister } from "../../fixtures/context/support.js";

const FIX = join(import.meta.dirname, "../../fixtures/context");
const contexts: ApplicationContext[] = [];
async function open(...files: string[]): Promise<ApplicationContext> {
  const ctx = await ApplicationContext.create(files.map((f) => new XMLConfig(join(FIX, f))));
  contexts.push(ctx);
  return ctx;
}
after(async () => {
  for (const c of contexts) await c.close();
});

describe("XMLConfig: the original's app context", () => {
  it("shares singleton refs within a context, never across contexts, and creates prototypes on every request", async () => {
    const ctx = await open("app-context.xml");
    const ctx2 = await open("app-context.xml");
    const l1 = await ctx.getObject<MovieLister>("MovieLister");
    const l2 = await ctx.getObject<MovieLister>("MovieLister");
    const l3 = await ctx2.getObject<MovieLister>("MovieLister");
    assert.ok(l1 instanceof MovieLister);
    assert.notEqual(l1, l2);
    assert.notEqual(l1, l3);
    assert.equal(l1.finder, l2.finder);
    assert.equal(l1.description, l2.description);
    assert.notEqual(l1.finder, l3.finder);
    assert.notEqual(l1.description, l3.description);
    assert.equal(l1.description!.str, "There should only be one copy of this string");
    assert.equal(l1.finder!.findAll()[0], "The Count of Monte Cristo");
  });

  it("creates anonymous and named inner objects with path-style ids", async () => {
    const ctx = await open("app-context.xml");
    const l2 = await ctx.getObject<MovieLister>("MovieLister2");
    const l3 = await ctx.getObject<MovieLister>("MovieLister3");
    assert.ok(l2.finder instanceof ColonMovieFinder);
    assert.equal(l3.finder!.findAll()[0], "The Count of Monte Cristo");
    assert.ok(ctx.objectIds.includes("MovieLister2.finder.<anonymous>"));
    assert.ok(ctx.objectIds.includes("MovieLister3.finder.named"));
    assert.equal(ctx.objectIds.length, 12);
    assert.equal(await ctx.getObject("MovieLister3.finder.named"), l3.finder);
  });

  it("builds dict, list, props, set, frozenset and tuple values", async () => {
    const ctx = await open("app-context.xml");
    const vh = await ctx.getObject<{
      string_holder: StringHolder;
      some_dict: Record<string, unknown>;
      some_list: unknown[];
      some_props: Record<string, string>;
      some_set: Set<unknown>;
      some_frozen_set: Set<unknown>;
      some_tuple: readonly unknown[];
    }>("ValueHolder");
    const single = await ctx.getObject("SingletonString");
    assert.equal(vh.string_holder, single);
    assert.deepEqual(Object.keys(vh.some_dict), ["Hello", "Spring", "holder", "another copy"]);
    assert.equal(vh.some_dict["Hello"], "World");
    assert.equal(vh.some_dict["Spring"], "Python");
    assert.equal(vh.some_dict["holder"], single);
    assert.equal(vh.some_dict["another copy"], single);
    assert.equal(vh.some_list.length, 3);
    assert.equal(vh.some_list[1], single);
    assert.deepEqual(vh.some_list[0], "Hello, world!");
    assert.equal(Object.keys(vh.some_props).length, 3);
    assert.equal(vh.some_props["support"], "support@example.org");
    assert.ok(vh.some_set instanceof Set);
    assert.equal(vh.some_set.size, 3);
    assert.ok(vh.some_set.has(single));
    assert.ok(vh.some_frozen_set instanceof FrozenSet);
    assert.equal(vh.some_frozen_set.size, 3);
    assert.throws(() => vh.some_frozen_set.add("x"), TypeError);
    assert.ok(Object.isFrozen(vh.some_tuple));
    assert.deepEqual([...vh.some_tuple], [...vh.some_list]);
  });

  it("passes constructor-args by attribute, by element, and by name (defaults kept)", async () => {
    const ctx = await open("app-context.xml");
    assert.equal((await ctx.getObject<StringHolder>("AnotherSingletonString")).str, "attributed value");
    assert.equal((await ctx.getObject<StringHolder>("AThirdSingletonString")).str, "elemental value");
    assert.deepEqual({ ...(await ctx.getObject<object>("MultiValueHolder")) }, { a: "alt a", b: "alt b", c: "c" });
    assert.deepEqual({ ...(await ctx.getObject<object>("MultiValueHolder2")) }, { a: "a", b: "alt b", c: "alt c" });
  });
});

describe("XMLConfig: complex values (1.0 namespace)", () => {
  it("turns True/False into booleans inside nested tuples, lists and dicts", async () => {
    const ctx = await open("complex.xml");
    const uds = await ctx.getObject<{ user_dict: Record<string, readonly unknown[]> }>("user_details_service");
    assert.equal(Object.keys(uds.user_dict).length, 3);
    const orange = uds.user_dict["basichiorangeuser"]!;
    assert.equal((orange[1] as string[])[1], "ASSIGNED_ORANGE");
    assert.equal(orange[2], true);
    assert.equal(uds.user_dict["disableduser"]![2], false);
    assert.ok(Object.isFrozen(orange));
  });

  it("keeps the order and kinds of a mixed list", async () => {
    const ctx = await open("complex.xml");
    const uds = await ctx.getObject<{ user_dict: unknown[] }>("user_details_service2");
    const l = uds.user_dict;
    assert.equal(l.length, 5);
    assert.equal(l[0], "Hello, world!");
    assert.deepEqual(l[1], { yes: "This is working", no: "Maybe it's not?" });
    const t = l[2] as readonly unknown[];
    assert.equal(t.length, 4);
    assert.deepEqual(t[2], { yes: "This is working", no: "Maybe it's not?" });
    assert.deepEqual(t[3], ["This is working", "Maybe it's not?"]);
    assert.deepEqual([...(l[3] as Set<string>)].sort(), ["1", "2"]);
    assert.ok(l[4] instanceof FrozenSet);
    assert.deepEqual([...(l[4] as Set<string>)].sort(), ["a", "b"]);
  });
});

describe("XMLConfig: type shortcuts", () => {
  it("maps str, unicode, int, long, float, decimal, bool and complex to TypeScript values", async () => {
    const ctx = await open("types.xml");
    assert.equal(await ctx.getObject("MyString"), "My string");
    assert.equal(await ctx.getObject("MyUnicode"), "Zażółć gęślą jaźń");
    assert.equal(await ctx.getObject("MyInt"), 10);
    assert.equal(await ctx.getObject("MyLong"), 100000000000000000000000n);
    assert.equal(await ctx.getObject("MySmallLong"), 42);
    assert.equal(await ctx.getObject("MyFloat"), 3.14);
    const dec = await ctx.getObject<Decimal>("MyDecimal");
    assert.ok(dec instanceof Decimal);
    assert.equal(dec.toString(), "12.34");
    assert.equal(await ctx.getObject("MyBool"), false);
    assert.equal(await ctx.getObject("MyLowerBool"), false);
    const c = await ctx.getObject<Complex>("MyComplex");
    assert.ok(c instanceof Complex);
    assert.equal(c.real, 10);
    assert.equal(c.imag, 0);
  });

  it("parses complex literals", () => {
    assert.deepEqual(Complex.parse("(1-2.5j)"), new Complex(1, -2.5));
    assert.deepEqual(Complex.parse("2j"), new Complex(0, 2));
    assert.deepEqual(Complex.parse("-j"), new Complex(0, -1));
    assert.throws(() => Complex.parse("1+2"));
  });
});

describe("XMLConfig: several files", () => {
  it("loads 1.0 and 1.1 files together, later definitions overriding earlier ones", async () => {
    const ctx = await open("mixed-1.0.xml", "mixed-1.1.xml");
    assert.equal((await ctx.getObject<StringHolder>("string1")).str, "My string XSD 1.0");
    assert.equal(await ctx.getObject("string2"), "My string XSD 1.1");
    assert.equal((await ctx.getObject<StringHolder>("overridden")).str, "from 1.1");
    assert.deepEqual(ctx.objectIds.sort(), ["overridden", "string1", "string2"]);
  });

  it("accepts one XMLConfig over a list of files", async () => {
    const ctx = await ApplicationContext.create(new XMLConfig([join(FIX, "mixed-1.0.xml"), join(FIX, "mixed-1.1.xml")]));
    contexts.push(ctx);
    assert.equal((await ctx.getObject<StringHolder>("overridden")).str, "from 1.1");
  });
});

describe("XMLConfig: parent and abstract objects", () => {
  it("merges properties from the parent, the child's own winning, scope and lazy-init from the leaf", async () => {
    const ctx = await open("abstract.xml");
    const id1 = await ctx.getObject<{ ip: string; port: string; path: string }>("get_customer_id1");
    assert.deepEqual({ ...id1 }, { ip: "192.168.1.153", port: "3392", path: "/soap/invoke/get_customer_id1" });
    const id2a = await ctx.getObject<{ port: string; path: string }>("get_customer_id2");
    const id2b = await ctx.getObject("get_customer_id2");
    assert.notEqual(id2a, id2b);
    assert.equal(id2a.port, "4000");
    assert.equal(ctx.definitions.get("get_customer_id2")!.scope, "prototype");
    assert.equal(ctx.definitions.get("get_customer_id1")!.abstract, false);
  });

  it("merges named args by name and positional args by index across several levels", async () => {
    const ctx = await open("abstract.xml");
    assert.deepEqual({ ...(await ctx.getObject<object>("foo_leaf")) }, { a: "a_leaf", b: "MyString", c: "c_mid" });
    assert.deepEqual({ ...(await ctx.getObject<object>("pos_leaf")) }, { a: "a_leaf", b: "MyString", c: "c_root" });
  });

  it("refuses to hand out an abstract object, and treats abstract=\"false\" as not abstract", async () => {
    const ctx = await open("abstract.xml");
    await assert.rejects(ctx.getObject("crm_service"), { code: "ERR_CONFIG_ABSTRACT_OBJECT" });
    await assert.rejects(ctx.getObject("foo_mid"), { code: "ERR_CONFIG_ABSTRACT_OBJECT" });
    assert.ok(await ctx.getObject("not_abstract"));
    assert.equal((await ctx.getObject<{ a: string }>("child_of_plain")).a, "from plain parent");
  });
});

describe("XMLConfig: null, empty and attribute value forms", () => {
  it("gives null for <null/>, the empty string for <value/>, text as written, and refs in every position", async () => {
    const ctx = await open("values.xml");
    const h = await ctx.getObject<{ string_holder: unknown; some_dict: Record<string, unknown>; some_list: unknown }>("holder");
    const other = await ctx.getObject<StringHolder>("other");
    assert.equal(h.string_holder, null);
    assert.equal(h.some_list, null);
    assert.equal(h.some_dict["nothing"], null);
    assert.equal(h.some_dict["empty"], "");
    assert.equal(h.some_dict["spaced"], "  kept as written  ");
    assert.equal(h.some_dict["attr"], "from attribute");
    assert.equal(h.some_dict["ref"], other);
    assert.deepEqual(h.some_dict["nested"], [null, "x", other]);
    assert.equal(h.some_dict["yes"], true);
    assert.equal(h.some_dict["number"], "7000", "numbers stay strings; the receiving class coerces");
    assert.equal(other.str, "indexed");
  });

  it("injects a new prototype instance through a property ref", async () => {
    const ctx = await open("values.xml");
    const user = await ctx.getObject<{ next: StringHolder }>("protoUser");
    assert.ok(user.next);
    assert.notEqual(user.next, await ctx.getObject("proto"));
  });
});
