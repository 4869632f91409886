/**
 * A peer that connects and closes without sending anything (a port scanner,
 * a health check, a load balancer's probe) is no error: every server logs it
 * at debug level with the peer's address and port, over plain TCP and TLS,
 * and logs nothing at warn or error.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { HessianServiceExporter, PyroServiceExporter, XmlRpcServiceExporter, getLogLevel, setLogLevel, setLogSink, type ServiceExporter } from "../../../src/index.js";
import { testPki, type Pki } from "../conformance/protocols.js";

function connectAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      const local = s.localPort!;
      s.end();
      s.once("close", () => resolve(local));
    });
    s.once("error", reject);
  });
}

describe("a connection closed before sending anything", () => {
  const lines: string[] = [];
  let prevSink: { write(line: string): void };
  let prevLevel: string;
  let pki: Pki;
  before(async () => {
    pki = await testPki();
    prevLevel = getLogLevel();
    setLogLevel("debug");
    prevSink = setLogSink({ write: (l) => void lines.push(l) });
  });
  after(() => {
    setLogSink(prevSink);
    setLogLevel(prevLevel);
  });

  const kinds: Array<[string, () => ServiceExporter, Record<string, unknown>]> = [
    ["Pyro4", () => new PyroServiceExporter(), { serviceName: "Probe" }],
    ["Hessian", () => new HessianServiceExporter(), {}],
    ["XML-RPC", () => new XmlRpcServiceExporter(), {}],
  ];
  for (const [name, make, extra] of kinds) {
    for (const tls of [false, true]) {
      it(`${name}${tls ? " over TLS" : ""}: a debug line with the peer's address, nothing at warn or error`, async () => {
        const e = make();
        Object.assign(e, { service: { ping: () => 1 }, serviceHost: "127.0.0.1", servicePort: 0, ...extra, ...(tls ? { tlsKey: pki.serverKey, tlsCert: pki.serverCert } : {}) });
        await e.afterPropertiesSet();
        try {
          const port = Number(/:(\d+)(?=\/|$)/.exec(e.url!)![1]);
          lines.length = 0;
          const local = await connectAndClose(port);
          const until = Date.now() + 2000;
          const want = new RegExp(`DEBUG .*closed before sending anything`);
          while (!lines.some((l) => want.test(l)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
          const line = lines.find((l) => want.test(l));
          assert.ok(line, `no debug line; got:\n${lines.join("")}`);
          assert.match(line, new RegExp(`127\\.0\\.0\\.1:${local}`));
          assert.deepEqual(lines.filter((l) => / - (WARN|ERROR) - /.test(l)), []);
        } finally {
          await e.destroy();
        }
      });
    }
  }
});
