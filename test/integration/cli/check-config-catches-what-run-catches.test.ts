/**
 * `remoting check-config` reports every problem `run` would stop at, short of
 * creating objects and opening sockets: misspelt property names (with a
 * suggestion), values that do not parse (ports, sizes, durations, booleans,
 * TLS versions), reference cycles, unknown constructor-args; with the same
 * exit code as `run` (2); and it never prints secrets.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const BIN = join(import.meta.dirname, "../../../bin/remoting.js");
const dir = mkdtempSync(join(tmpdir(), "remoting-check-"));
writeFileSync(join(dir, "svc.ts"), "export class Service { get_data(p: string) { return p; } other: unknown; }\n");

function ctx(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n<objects xmlns="http://www.springframework.org/springpython/schema/objects/1.1">\n${body}\n</objects>\n`);
  return file;
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, REMOTING_LOG_LEVEL: "warn" } });
}

const exporter = (props: string) => `  <object id="service" class="svc.Service"/>
  <object id="exporter" class="springpython.remoting.pyro.PyroServiceExporter">
    <property name="service" ref="service"/>
    <property name="service_name" value="ServiceName"/>
    <property name="service_host" value="127.0.0.1"/>
${props}
  </object>`;

describe("check-config catches what run catches", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["a misspelt property name, with a suggestion", exporter(`    <property name="service_prot" value="0"/>`), /ERR_CONFIG_UNKNOWN_PROPERTY.*bad-name\.xml:\d+:\d+: .*'exporter'.*no property 'service_prot' \(did you mean 'service_port'\?\)/],
    ["a port that is not a number", exporter(`    <property name="service_port" value="70a"/>`), /ERR_CONFIG_INVALID_VALUE.*'exporter'.*service_port must be an integer from 0 to 65535, not '70a'/],
    ["a size that does not parse", exporter(`    <property name="maxMessageSize" value="lots"/>`), /ERR_CONFIG_INVALID_VALUE.*'exporter'.*maxMessageSize must be a size/],
    ["a boolean security setting that does not parse", exporter(`    <property name="sslRequireClientCert" value="yse"/>`), /ERR_CONFIG_INVALID_VALUE.*'exporter'.*sslRequireClientCert must be true or false/],
    [
      "a reference cycle",
      `  <object id="a" class="svc.Service"><property name="other" ref="b"/></object>\n  <object id="b" class="svc.Service"><property name="other" ref="a"/></object>`,
      /ERR_CONFIG_CYCLE.*circular reference: a -> b -> a/,
    ],
    [
      "a proxy factory time limit that does not parse",
      `  <object id="client" class="springpython.remoting.pyro.PyroProxyFactory">\n    <property name="service_url" value="PYROLOC://127.0.0.1:7000/X"/>\n    <property name="timeoutMs" value="soon"/>\n  </object>`,
      /ERR_CONFIG_INVALID_VALUE.*'client'.*timeoutMs must be a duration/,
    ],
    [
      "a TLS version below 1.2",
      `  <object id="client" class="remoting.xmlrpc.XmlRpcProxyFactory">\n    <property name="service_url" value="https://127.0.0.1:8000/RPC2"/>\n    <property name="ssl_version" value="PROTOCOL_TLSv1"/>\n  </object>`,
      /ERR_CONFIG_INVALID_VALUE.*'client'.*obsolete/,
    ],
  ];

  cases.forEach(([what, body, expected], i) => {
    it(`${what}: check-config and run both exit 2 with the object, file position and reason`, () => {
      const file = ctx(i === 0 ? "bad-name.xml" : `bad-${i}.xml`, body);
      const check = cli("check-config", file);
      assert.equal(check.status, 2, check.stderr);
      assert.match(check.stderr.replace(/\n/g, " "), expected);
      const run = cli("run", file);
      assert.equal(run.status, 2, run.stderr);
    });
  });

  it("reports every problem of a file at once", () => {
    const file = ctx("many.xml", exporter(`    <property name="service_port" value="x"/>\n    <property name="hmac_kye" value="k"/>`));
    const r = cli("check-config", file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /2 problems found/);
  });

  it("a good configuration passes, and secrets are printed as <redacted>", () => {
    const file = ctx("good.xml", exporter(`    <property name="service_port" value="0"/>\n    <property name="hmac_key" value="s3cr3t-key"/>`));
    const r = cli("check-config", file);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /s3cr3t-key/);
    assert.match(r.stdout, /property hmac_key: <redacted>/);
    const j = cli("check-config", "--json", file);
    assert.equal(j.status, 0);
    const parsed = JSON.parse(j.stdout) as { definitions: Array<{ id: string; properties: Record<string, string> }>; problems: unknown[] };
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.definitions.find((d) => d.id === "exporter")!.properties["hmac_key"], "<redacted>");
  });

  it("usage errors exit 2", () => {
    assert.equal(cli("check-config").status, 2);
    assert.equal(cli("no-such-command").status, 2);
    assert.equal(cli("--help").status, 0);
  });
});
