/**
 * The encoder's table of containers already written (lists, maps, objects)
 * finds them by identity however many a message holds: a short array while
 * there are few, a Map beyond that. A container met again is written as a
 * reference to its first index in both cases, and the table starts empty for
 * every message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hessian2Encoder, decode, encode, hessian } from "../../../src/protocols/hessian/index.js";

test("containers met again are references to their first index, before and after the table grows", () => {
  for (const count of [3, 16, 17, 40]) {
    const items = Array.from({ length: count }, (_, i) => (i % 3 === 0 ? [i] : i % 3 === 1 ? { k: i } : hessian.object("com.example.Item", { i })));
    const msg = [...items, items[0], items[count - 1], items[Math.floor(count / 2)]];
    const back = decode(encode(msg)) as unknown[];
    assert.equal(back.length, count + 3);
    assert.equal(back[count], back[0], `count ${count}: first item`);
    assert.equal(back[count + 1], back[count - 1], `count ${count}: last item`);
    assert.equal(back[count + 2], back[Math.floor(count / 2)], `count ${count}: middle item`);
    assert.deepEqual(back.slice(0, count), items);
  }
});

test("a reference's index is the container's position among all containers (the outer list is 0)", () => {
  const shared = { s: 1 };
  const bytes = encode([shared, shared]);
  // 0x7a: list of 2; 0x48 ... 0x5a: the map; 0x51 0x91: a reference to container #1
  assert.equal(bytes.subarray(bytes.length - 2).toString("hex"), "5191");
});

test("the table starts empty for every message of a reused encoder", () => {
  const e = new Hessian2Encoder();
  const big = Array.from({ length: 30 }, (_, i) => [i]);
  e.write(big);
  const first = e.toBuffer();
  e.reset();
  e.write(big);
  assert.deepEqual(e.toBuffer(), first, "a reset encoder writes the same bytes again");
  e.reset();
  const one = [1];
  e.write([one, one]);
  assert.deepEqual(decode(e.toBuffer()), [[1], [1]]);
});
