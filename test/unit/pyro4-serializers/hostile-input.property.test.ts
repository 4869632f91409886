/**
 * Hostile input to the serpent, json and marshal decoders: the decoded-size
 * budget (what a message expands to, marshal back-references counted in
 * full), the memory a decoded message really holds (measured against the
 * stated bound: 32 times its size plus 1 MiB), hash flooding, the writers'
 * output limit, and a bounded fuzzing run per decoder with the memory
 * measured before and after.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ErrorCodes, SerializationError } from "../../../src/core/errors.js";
import { DEFAULT_LIMITS, getSerializer } from "../../../src/codecs/python/index.js";
import { SERS, valueArb } from "./arbitraries.js";
import { gc } from "../../helpers/heap.js";

const MiB = 1024 * 1024;
const HEADER = "# serpent utf-8 python3.2\n";

function limitExceeded(err: unknown): boolean {
  assert.ok(err instanceof SerializationError, String(err));
  assert.equal(err.code, ErrorCodes.ERR_LIMIT_EXCEEDED);
  return true;
}

/** Heap bytes `make()`'s result keeps alive (garbage collected before and after). */
function retained<T>(make: () => T): { value: T; bytes: number } {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const value = make();
  gc();
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  return { value, bytes };
}

function marshalList(items: Buffer[]): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0x5b;
  head.writeInt32LE(items.length, 1);
  return Buffer.concat([head, ...items]);
}

describe("the decoded-size budget", () => {
  test("marshal back-references to back-references are counted at their full size: a 422-byte bomb is refused at once", () => {
    const m = getSerializer("marshal");
    // six levels of ten references each over a 100-byte string: 422 bytes for 100 MB written out
    const bomb = referenceBomb(6, 10);
    const t0 = performance.now();
    assert.throws(() => m.loads(bomb), limitExceeded);
    assert.ok(performance.now() - t0 < 100);
    // references a Python program really writes (interned strings, shared tuples) are fine
    const shared = marshalList(Array.from({ length: 10_000 }, (_, k) => (k === 0 ? Buffer.concat([Buffer.from([0x7a | 0x80, 5]), Buffer.from("hello")]) : Buffer.from([0x72, 0, 0, 0, 0]))));
    const v = m.loads(shared) as string[];
    assert.equal(v.length, 10_000);
    assert.equal(v[9_999], "hello");
  });

  test("every value the writers write is read back within the budget (no false refusals)", () => {
    for (const ser of SERS) {
      const s = getSerializer(ser);
      fc.assert(
        fc.property(valueArb(ser), (v) => {
          s.loads(s.dumps(v));
        }),
        { numRuns: 300 },
      );
    }
  });

  test("a decoded message holds at most 32 times its size plus 1 MiB of memory, measured, for the costliest shapes", () => {
    const serpent = getSerializer("serpent");
    const json = getSerializer("json");
    const marshal = getSerializer("marshal");
    const n = 100_000;
    const shapes: Array<[string, Buffer, (b: Buffer) => unknown]> = [
      ["serpent list of empty dicts", Buffer.from(`${HEADER}[${"{},".repeat(n)}]`), (b) => serpent.loads(b)],
      ["serpent list of empty lists", Buffer.from(`${HEADER}[${"[],".repeat(n)}]`), (b) => serpent.loads(b)],
      ["serpent list of pairs", Buffer.from(`${HEADER}[${"(1,2),".repeat(n)}]`), (b) => serpent.loads(b)],
      ["serpent list of empty sets", Buffer.from(`${HEADER}[${"set(),".repeat(n)}]`), (b) => serpent.loads(b)],
      ["serpent list of one-entry int dicts", Buffer.from(`${HEADER}[${"{0:0},".repeat(n)}]`), (b) => serpent.loads(b)],
      ["serpent dict of str keys", Buffer.from(`${HEADER}{${Array.from({ length: n }, (_, k) => `'k${k}':${k}`).join(",")}}`), (b) => serpent.loads(b)],
      ["serpent list of floats", Buffer.from(`${HEADER}[${"0.5,".repeat(n)}]`), (b) => serpent.loads(b)],
      ["serpent list of short strings", Buffer.from(`${HEADER}[${"'a',".repeat(n)}]`), (b) => serpent.loads(b)],
      ["json list of empty objects", Buffer.from(`[${Array.from({ length: n }, () => "{}").join(",")}]`), (b) => json.loads(b)],
      ["json list of records", Buffer.from(`[${Array.from({ length: n / 4 }, (_, k) => `{"id":${k},"name":"n${k}"}`).join(",")}]`), (b) => json.loads(b)],
      ["marshal list of empty dicts", marshalList(Array.from({ length: n }, () => Buffer.from([0x7b, 0x30]))), (b) => marshal.loads(b)],
      ["marshal list of empty tuples", marshalList(Array.from({ length: n }, () => Buffer.from([0x29, 0]))), (b) => marshal.loads(b)],
      ["marshal list of None", marshalList(Array.from({ length: n }, () => Buffer.from([0x4e]))), (b) => marshal.loads(b)],
    ];
    const report: string[] = [];
    for (const [name, data, read] of shapes) {
      const bound = DEFAULT_LIMITS.maxExpansion * data.length + MiB;
      let bytes = 0;
      let refused = false;
      try {
        bytes = retained(() => read(data)).bytes;
      } catch (err) {
        limitExceeded(err);
        refused = true;
      }
      report.push(`${name}: ${data.length} bytes -> ${refused ? "refused" : `${(bytes / data.length).toFixed(1)}x`}`);
      assert.ok(bytes <= bound, `${name}: ${bytes} bytes held for ${data.length} bytes (bound ${bound})`);
    }
    // the costliest shapes (a Map per 6 bytes, an object per 2 bytes of marshal) are refused by the cost model, everything else decodes
    const refused = report.filter((r) => r.endsWith("refused")).map((r) => r.slice(0, r.indexOf(":")));
    assert.ok(refused.includes("serpent list of one-entry int dicts"), report.join("\n"));
    for (const r of refused) assert.ok(["serpent list of one-entry int dicts", "marshal list of empty dicts"].includes(r), report.join("\n"));
    if (process.env["REMOTING_TEST_VERBOSE"]) console.log(report.join("\n"));
  });
});

describe("hash flooding", () => {
  const colliding = (n: number) => Array.from({ length: n }, (_, k) => (BigInt(k + 1) << 64n).toString());
  test("dicts and sets of big ints crafted to collide are refused in milliseconds; as many honest keys are not", () => {
    const serpent = getSerializer("serpent");
    for (const text of [`{${colliding(20_000).map((k) => `${k}:0`).join(",")}}`, `{${colliding(20_000).join(",")}}`]) {
      const t0 = performance.now();
      assert.throws(() => serpent.loads(Buffer.from(HEADER + text)), (err: unknown) => limitExceeded(err) && /hash flooding/.test((err as Error).message));
      assert.ok(performance.now() - t0 < 400, `refused after ${(performance.now() - t0).toFixed(0)} ms`);
    }
    const honest = Array.from({ length: 20_000 }, (_, k) => ((BigInt(k + 1) << 64n) + BigInt(k * 104_729 + 7)).toString());
    assert.equal((serpent.loads(Buffer.from(`${HEADER}{${honest.map((k) => `${k}:0`).join(",")}}`)) as Map<unknown, unknown>).size, 20_000);
    // marshal sets and frozensets, read the same way
    const m = getSerializer("marshal");
    for (const code of [0x3c, 0x3e]) {
      const longs = colliding(20_000).map((k) => {
        const digits: number[] = [];
        let a = BigInt(k);
        while (a > 0n) {
          digits.push(Number(a & 0x7fffn));
          a >>= 15n;
        }
        const b = Buffer.alloc(5 + digits.length * 2);
        b[0] = 0x6c;
        b.writeInt32LE(digits.length, 1);
        digits.forEach((d, i) => b.writeUInt16LE(d, 5 + i * 2));
        return b;
      });
      const head = Buffer.alloc(5);
      head[0] = code;
      head.writeInt32LE(longs.length, 1);
      const t0 = performance.now();
      assert.throws(() => m.loads(Buffer.concat([head, ...longs])), limitExceeded);
      assert.ok(performance.now() - t0 < 400);
    }
  });
});

describe("the writers' output limit", () => {
  for (const ser of SERS) {
    test(`${ser}: dumps never returns more than maxEncodedSize, and refuses with ERR_MESSAGE_TOO_LARGE`, () => {
      const s = getSerializer(ser, { maxEncodedSize: 300 });
      fc.assert(
        fc.property(valueArb(ser), (v) => {
          try {
            assert.ok(s.dumps(v).length <= 300);
          } catch (err) {
            assert.ok(err instanceof SerializationError);
            assert.equal(err.code, ErrorCodes.ERR_MESSAGE_TOO_LARGE);
          }
        }),
        { numRuns: 300 },
      );
      assert.throws(
        () => s.dumpsCall("svc", "m", ["x".repeat(1000)], {}),
        (err: unknown) => err instanceof SerializationError && err.code === ErrorCodes.ERR_MESSAGE_TOO_LARGE,
      );
    });
  }
});

describe("bounded fuzzing of the decoders, memory measured", () => {
  for (const ser of SERS) {
    test(`${ser}: random and mutated payloads only ever raise SerializationError, each within 250 ms, and leave no memory behind`, () => {
      const s = getSerializer(ser);
      const seeds = fc.sample(valueArb(ser), { numRuns: 40, seed: 42 }).map((v) => s.dumps(v));
      const mutate = fc.tuple(fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.option(fc.nat()), fc.option(fc.nat({ max: 5 })));
      gc();
      gc();
      const before = process.memoryUsage().heapUsed;
      const deadline = performance.now() + 2500;
      let runs = 0;
      let slowest = 0;
      fc.assert(
        fc.property(fc.oneof(mutate.map((m) => ({ m })), fc.uint8Array({ maxLength: 400 }).map((r) => ({ r }))), (c) => {
          if (performance.now() > deadline) return;
          let data: Buffer;
          if ("r" in c) data = Buffer.from(c.r);
          else {
            const [i, flips, cut, dup] = c.m;
            data = Buffer.from(seeds[i]!);
            for (const [at, byte] of flips) if (data.length) data[at % data.length] = byte;
            if (cut !== null && data.length) data = data.subarray(0, cut % data.length);
            if (dup !== null && dup > 0) data = Buffer.concat(Array.from({ length: dup + 1 }, () => data)); // repeated bytes
          }
          runs++;
          const t0 = performance.now();
          try {
            s.loads(data);
          } catch (err) {
            assert.ok(err instanceof SerializationError, `${ser}: ${String(err)}`);
          }
          try {
            s.loadsCall(data);
          } catch (err) {
            assert.ok(err instanceof SerializationError, `${ser}: ${String(err)}`);
          }
          slowest = Math.max(slowest, performance.now() - t0);
        }),
        { numRuns: 20_000 },
      );
      gc();
      gc();
      const grew = process.memoryUsage().heapUsed - before;
      assert.ok(runs > 500, `${runs} runs`);
      assert.ok(slowest < 250, `slowest input took ${slowest.toFixed(0)} ms`);
      assert.ok(grew < 16 * MiB, `heap grew by ${grew} bytes over ${runs} inputs`);
    });
  }
});

function int32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n, 0);
  return [...b];
}

/** `levels` nested lists of `width` back-references each, over a 100-byte string. */
function referenceBomb(levels: number, width: number): Buffer {
  const parts: Buffer[] = [];
  const emit = (level: number, slot: number): void => {
    if (level === 0) {
      parts.push(Buffer.from([0x7a | 0x80, 100]), Buffer.alloc(100, 0x78));
      return;
    }
    parts.push(Buffer.from([0x5b | 0x80, ...int32(width)]));
    emit(level - 1, slot + 1);
    for (let k = 1; k < width; k++) parts.push(Buffer.from([0x72, ...int32(slot + 1)]));
  };
  emit(levels, 0);
  return Buffer.concat(parts);
}
