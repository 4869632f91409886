/**
 * Reading an XML configuration takes time linear in its size, whatever its
 * shape, and never overflows the stack; random and mutated documents are
 * either read or refused with a ConfigError naming a position, in bounded
 * time and memory.
 *
 * Regressions: a 100k-deep document took minutes (saxes went on through
 * every level after the 256-level limit, resolving namespaces through all
 * open elements: quadratic); an object with 100k properties was quadratic
 * (each property searched the ones before it); a chain of 100k parents each
 * adding a property was quadratic (every definition gets all its
 * ancestors' properties): chains are now at most maxDepth long.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError } from "../../../src/core/errors.js";
import { parseObjectsXml } from "../../../src/context/xml-config.js";
import { heapNow } from "../../helpers/heap.js";

const NS = `xmlns="http://www.springframework.org/springpython/schema/objects/1.1"`;
const objects = (inner: string): string => `<objects ${NS}>${inner}</objects>`;

function timed<T>(fn: () => T): { ms: number; value: T | undefined; error: unknown } {
  const t0 = performance.now();
  try {
    return { ms: performance.now() - t0, value: fn(), error: undefined };
  } catch (error) {
    return { ms: performance.now() - t0, value: undefined, error };
  }
}

describe("XMLConfig reads in linear time", () => {
  it("a 100k-deep document is refused at the 256th level at once (it took minutes)", () => {
    const n = 100_000;
    const r = timed(() => parseObjectsXml(objects("<object>".repeat(n) + "</object>".repeat(n)), "deep.xml"));
    assert.ok(r.error instanceof ConfigError && /nested deeper than 256 levels/.test(r.error.message), String(r.error));
    assert.equal((r.error as ConfigError).location?.line, 1);
    assert.ok(r.ms < 1000, `${r.ms.toFixed(0)} ms`);
    // maxDepth is the option's
    const shallow = timed(() => parseObjectsXml(objects("<list>".repeat(40) + "</list>".repeat(40)), "d.xml", undefined, { maxDepth: 20 }));
    assert.match(String(shallow.error), /deeper than 20 levels/);
  });

  it("an object with 100k properties, 100k objects, 100k redefinitions and 100k list items each read in seconds", () => {
    const n = 100_000;
    const shapes: Array<[string, string, (defs: ReturnType<typeof parseObjectsXml>) => void]> = [
      ["properties", objects(`<object id="a" class="x.Y">${Array.from({ length: n }, (_, i) => `<property name="p${i % (n - 1)}" value="v${i}"/>`).join("")}</object>`), (d) => {
        assert.equal(d[0]!.properties.length, n - 1);
        assert.equal(d[0]!.properties[0]!.value.kind === "value" && d[0]!.properties[0]!.value.value, `v${n - 1}`, "a repeated property keeps its place and takes the last value");
      }],
      ["objects", objects(Array.from({ length: n }, (_, i) => `<object id="o${i}" class="x.Y"/>`).join("")), (d) => assert.equal(d.length, n)],
      ["redefinitions", objects(Array.from({ length: n }, (_, i) => `<object id="o${i % 1000}" class="x.Y${i}"/>`).join("")), (d) => {
        assert.equal(d.length, 1000);
        assert.equal(d[0]!.id, "o0", "a redefinition moves to the end, in the order of the last definitions");
        assert.equal(d[0]!.className, `x.Y${n - 1000}`);
      }],
      ["list items", objects(`<object id="a" class="x.Y"><property name="p"><list>${"<value>x</value>".repeat(n)}</list></property></object>`), (d) => assert.equal(d.length, 1)],
      ["parents fanning out", objects(`<object id="o0" class="x.Y"><property name="p" value="v"/></object>` + Array.from({ length: n }, (_, i) => `<object id="o${i + 1}" parent="o${i >> 1}"><property name="q${i}" value="w"/></object>`).join("")), (d) => {
        assert.equal(d.length, n + 1);
        assert.equal(d[n]!.className, "x.Y");
      }],
    ];
    for (const [name, xml, check] of shapes) {
      const r = timed(() => parseObjectsXml(xml, `${name}.xml`));
      assert.equal(r.error, undefined, `${name}: ${String(r.error)}`);
      check(r.value!);
      assert.ok(r.ms < 8000, `${name}: ${r.ms.toFixed(0)} ms for ${(xml.length / 1e6).toFixed(1)} MB`);
    }
  });

  it("a chain of parents is followed without recursion and at most maxDepth long; loops are named", () => {
    const chain = (n: number): string => objects(`<object id="o0" class="x.Y"/>` + Array.from({ length: n }, (_, i) => `<object id="o${i + 1}" parent="o${i}"><property name="p${i}" value="v"/></object>`).join(""));
    const ok = parseObjectsXml(chain(256), "chain.xml");
    assert.equal(ok[256]!.properties.length, 256, "every ancestor's properties");
    const long = timed(() => parseObjectsXml(chain(100_000), "long.xml"));
    assert.ok(long.error instanceof ConfigError && /chain of more than 256 parents/.test(long.error.message), String(long.error));
    assert.ok(long.ms < 8000);
    const loop = timed(() => parseObjectsXml(objects(`<object id="a" parent="c"/><object id="b" parent="a"/><object id="c" parent="b" class="x.Y"/>`), "loop.xml"));
    assert.ok(loop.error instanceof ConfigError && loop.error.code === "ERR_CONFIG_CYCLE" && /a -> c -> b -> a/.test(loop.error.message), String(loop.error));
  });

  it("a constructor-arg index beyond the object's arguments is refused where it is written", () => {
    const r = timed(() => parseObjectsXml(objects(`<object id="a" class="x.Y"><constructor-arg index="2000000000" value="x"/></object>`), "index.xml"));
    assert.ok(r.error instanceof ConfigError && /beyond the object's 1 arguments/.test(r.error.message), String(r.error));
    assert.ok(r.ms < 100);
    const d = parseObjectsXml(objects(`<object id="a" class="x.Y"><constructor-arg index="1" value="b"/><constructor-arg index="0" value="a"/></object>`), "ok.xml");
    assert.deepEqual(d[0]!.positionalArgs.map((v) => (v.kind === "value" ? v.value : undefined)), ["a", "b"]);
  });
});

describe("XMLConfig against random and mutated documents", () => {
  const seed = objects(`
  <object id="service" class="service.Service" scope="prototype" lazy-init="true">
    <constructor-arg name="x" value="1"/>
    <property name="items"><list><value>a</value><ref object="other"/><null/><dict><entry key="k" value="v"/></dict></list></property>
    <property name="props"><props><prop key="p">q</prop></props></property>
  </object>
  <object id="other" class="other.Other" parent="base"><property name="inner"><object class="x.Y"/></property></object>
  <object id="base" abstract="true"/>
  <str id="s">text</str><int id="i">42</int>`);

  it("every mutation is read or refused with a ConfigError, in bounded time, and leaves no memory behind", () => {
    const edits = fc.array(fc.tuple(fc.nat(), fc.constantFrom("<", ">", "/", '"', "=", "&", "x", "<object>", "</object>", "<list>", "<!DOCTYPE x>", "&amp;", "&e;", "\u0000", " id=", " parent=\"service\""), fc.constantFrom("insert", "delete", "replace")), { minLength: 1, maxLength: 8 });
    const mutate = (s: string, es: Array<[number, string, string]>): string => {
      let out = s;
      for (const [at, piece, kind] of es) {
        const i = at % (out.length + 1);
        if (kind === "insert") out = out.slice(0, i) + piece + out.slice(i);
        else if (kind === "delete") out = out.slice(0, i) + out.slice(i + piece.length);
        else out = out.slice(0, i) + piece + out.slice(i + piece.length);
      }
      return out;
    };
    const before = heapNow();
    const t0 = performance.now();
    let read = 0;
    let refused = 0;
    fc.assert(
      fc.property(edits, (es) => {
        const xml = mutate(seed, es);
        const r = timed(() => parseObjectsXml(xml, "fuzz.xml"));
        if (r.error === undefined) read++;
        else {
          refused++;
          assert.ok(r.error instanceof ConfigError, `not a ConfigError: ${String(r.error)} for ${xml}`);
          assert.ok(r.error.location?.file === "fuzz.xml", "the error names the file");
        }
        assert.ok(r.ms < 200, `${r.ms.toFixed(0)} ms`);
      }),
      { numRuns: 3000, seed: 20261207 },
    );
    assert.ok(read > 0 && refused > 0, `read ${read}, refused ${refused}`);
    assert.ok(performance.now() - t0 < 30_000);
    assert.ok(heapNow() - before < 16 * 2 ** 20, `the heap grew by ${((heapNow() - before) / 2 ** 20).toFixed(1)} MiB`);
  });

  it("generated configurations read back exactly what they say", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    const text = fc.string({ unit: fc.constantFrom("a", "b", "é", " ", "1", "日"), maxLength: 12 });
    const config = fc.uniqueArray(fc.record({ id: name, props: fc.uniqueArray(fc.tuple(name, text), { selector: (p) => p[0], maxLength: 5 }) }), { selector: (o) => o.id, minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(config, (objs) => {
        const xml = objects(objs.map((o) => `<object id="${o.id}" class="m.C">${o.props.map(([k, v]) => `<property name="${k}"><value>${v}</value></property>`).join("")}</object>`).join(""));
        const defs = parseObjectsXml(xml, "gen.xml");
        assert.deepEqual(defs.map((d) => d.id), objs.map((o) => o.id));
        for (let i = 0; i < objs.length; i++) {
          const got = defs[i]!.properties.map((p) => [p.name, p.value.kind === "value" ? p.value.value : undefined]);
          const want = objs[i]!.props.map(([k, v]) => [k, v === "true" || v === "True" ? true : v === "false" || v === "False" ? false : v]);
          assert.deepEqual(got, want);
        }
      }),
      { numRuns: 300 },
    );
  });
});
