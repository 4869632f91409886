import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { getLogger, getLogLevel, setLogLevel, setLogSink } from "../../../src/index.js";

describe("logging", () => {
  const lines: string[] = [];
  const prevLevel = getLogLevel();
  const prevSink = setLogSink({ write: (l) => lines.push(l) });
  afterEach(() => {
    lines.length = 0;
    setLogLevel(prevLevel);
    delete process.env["REMOTING_LOG"];
  });
  process.on("exit", () => setLogSink(prevSink));

  it("is quiet by default: debug and info are dropped, warnings kept", () => {
    setLogLevel("warn");
    const log = getLogger("remoting.test");
    log.debug("hidden");
    log.info("hidden");
    log.warn("shown %s", "here");
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - remoting\.test - WARN - shown here\n$/);
  });

  it("shows debug chatter at debug level, under the logger's name", () => {
    setLogLevel("debug");
    getLogger("remoting.context").debug("Eagerly fetching %s", "service");
    assert.match(lines[0]!, / - remoting\.context - DEBUG - Eagerly fetching service/);
  });

  it("REMOTING_LOG narrows debug output to logger name prefixes", () => {
    setLogLevel("debug");
    process.env["REMOTING_LOG"] = "remoting.pyro";
    getLogger("remoting.context").debug("no");
    getLogger("remoting.pyro.daemon").debug("yes");
    getLogger("remoting.context").error("errors always pass");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /remoting\.pyro\.daemon - DEBUG - yes/);
  });

  it("rejects an unknown level", () => {
    assert.throws(() => setLogLevel("loud"), RangeError);
  });
});
