import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ClassInstances, isPyroClass, releaseSessions, resolveBehavior, type InstanceBehavior, type PyroBehavior } from "../../../src/core/server/instances.js";
import { ErrorCodes, RemotingError } from "../../../src/core/errors.js";

class Thing {
  static made = 0;
  constructor() {
    Thing.made++;
  }
}

/** Stands in for a daemon connection. */
function session(): { closed: boolean } {
  return { closed: false };
}

test("session instances are kept per connection and dropped when it is released", () => {
  const inst = new ClassInstances(Thing, "session", undefined);
  const other = new ClassInstances(Thing, "session", undefined);
  const a = session();
  const b = session();
  const a1 = inst.instanceFor(a);
  assert.ok(a1 instanceof Thing);
  assert.equal(inst.instanceFor(a), a1);
  assert.notEqual(inst.instanceFor(b), a1);
  other.instanceFor(a);
  assert.equal(inst.sessionCount, 2);
  assert.equal(other.sessionCount, 1);
  a.closed = true;
  releaseSessions(a);
  assert.equal(inst.sessionCount, 1, "a's instance is gone");
  assert.equal(other.sessionCount, 0, "from every class it had one of");
  releaseSessions(a); // twice is harmless
  // a call that finishes after its connection closed gets an instance that is not kept
  const late = inst.instanceFor(a);
  assert.ok(late instanceof Thing);
  assert.equal(inst.sessionCount, 1);
  inst.dispose();
  assert.equal(inst.sessionCount, 0);
});

test("an async creation that finishes after the connection closed is not kept", async () => {
  const inst = new ClassInstances(Thing, "session", async (cls) => {
    await sleep(10);
    return new cls();
  });
  const a = session();
  const p = inst.instanceFor(a);
  assert.ok(p instanceof Promise);
  assert.equal(inst.instanceFor(a), p, "calls meanwhile wait for the same creation");
  assert.equal(inst.sessionCount, 1);
  a.closed = true;
  releaseSessions(a);
  assert.equal(inst.sessionCount, 0);
  assert.ok((await p) instanceof Thing);
  assert.equal(inst.sessionCount, 0);
});

test("single: a failed creation is forgotten, a successful one kept; percall never keeps", async () => {
  let fail = true;
  const single = new ClassInstances(Thing, "single", async (cls) => {
    await sleep(1);
    if (fail) throw new Error("not yet");
    return new cls();
  });
  const s = session();
  await assert.rejects(Promise.resolve(single.instanceFor(s)), /not yet/);
  fail = false;
  const one = await single.instanceFor(s);
  assert.equal(single.instanceFor(session()), one, "the resolved instance is served without waiting");
  Thing.made = 0;
  const percall = new ClassInstances(Thing, "percall", undefined);
  assert.notEqual(percall.instanceFor(s), percall.instanceFor(s));
  assert.equal(Thing.made, 2);
});

test("isPyroClass tells classes from objects and non-constructible functions", () => {
  function Legacy(this: { x: number }): void {
    this.x = 1;
  }
  assert.equal(isPyroClass(Thing), true);
  assert.equal(isPyroClass(Legacy), true);
  assert.equal(isPyroClass(new Thing()), false);
  assert.equal(isPyroClass(() => 1), false);
  assert.equal(isPyroClass(function* gen() {}), false);
  assert.equal(isPyroClass(async () => 1), false);
  assert.equal(isPyroClass(Thing.prototype.constructor.bind(null)), false);
});

test("resolveBehavior: options over the static pyroBehavior over the default", () => {
  class Declared {
    static pyroBehavior: PyroBehavior<typeof Declared> = { instanceMode: "percall" };
  }
  assert.equal(resolveBehavior(Thing, {}).mode, "session");
  assert.equal(resolveBehavior(Declared, {}).mode, "percall");
  assert.equal(resolveBehavior(Declared, { instanceMode: "single" }).mode, "single");
  // the protocol-neutral spelling of the static member
  class Neutral {
    static instanceBehavior: InstanceBehavior<typeof Neutral> = { instanceMode: "single" };
  }
  assert.equal(resolveBehavior(Neutral, {}).mode, "single");
  assert.throws(
    () => resolveBehavior(Thing, { instanceMode: "x" as "single" }),
    (e: unknown) => e instanceof RemotingError && e.code === ErrorCodes.ERR_INVALID_ARGUMENT && /invalid instance mode: x/.test(e.message),
  );
});
