/**
 * NATS credentials and TLS against nats-server configured for each: user
 * and password, token, NKey (seed text and seed file), operator mode with a
 * creds file; a wrong or missing secret is a SecurityError (phase connect);
 * TLS with the server certificate checked (CA, host name), mutual TLS with
 * a broker that requires client certificates.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, SecurityError } from "../../../src/index.js";
import { NatsProxyFactory, NatsServiceExporter } from "../../../src/protocols/nats/index.js";
import { requirePeers } from "../../helpers/peers.js";
import { nkeyUser, operatorSetup, startNatsServer, type NatsServerOptions } from "../../helpers/nats-server.js";
import { testPki } from "../conformance/protocols.js";

class Hello {
  hi(name: string): string {
    return `hi ${name}`;
  }
}

const dir = mkdtempSync(join(tmpdir(), "remoting-nats-creds-"));

/** Serves Hello on a server made with `server`, the exporter and the factory given `props`; runs `check` with a factory maker. */
async function withService(server: NatsServerOptions, props: Record<string, unknown>, check: (factory: (extra?: Record<string, unknown>) => NatsProxyFactory, url: string) => Promise<void>): Promise<void> {
  const s = await startNatsServer(server);
  const e = new NatsServiceExporter({ service: new Hello(), serviceName: "Hello", servers: s.hostPort, ...props });
  const made: NatsProxyFactory[] = [];
  try {
    await e.afterPropertiesSet();
    await check((extra = props) => {
      const f = new NatsProxyFactory(e.url!, { timeoutMs: "5s", ...extra });
      made.push(f);
      return f;
    }, e.url!);
  } finally {
    for (const f of made) await f.close();
    await e.destroy();
    await s.stop();
  }
}

const refused = (err: unknown): boolean => {
  assert.ok(err instanceof SecurityError, String(err));
  assert.equal(err.phase, "connect");
  return true;
};

describe("NATS credentials", () => {
  it("user and password: served with them, refused without or with a wrong password", async (t) => {
    if (!requirePeers(t, "nats-server")) return;
    await withService({ auth: { user: "svc", password: "s3cret" } }, { user: "svc", password: "s3cret" }, async (factory) => {
      assert.equal(await factory().hi("a"), "hi a");
      await assert.rejects(factory({ user: "svc", password: "wrong" }).hi("b"), refused);
      await assert.rejects(factory({}).hi("c"), refused);
    });
  });

  it("token: served with it, refused with another", async (t) => {
    if (!requirePeers(t, "nats-server")) return;
    await withService({ auth: { token: "t0ken-xyz" } }, { token: "t0ken-xyz" }, async (factory) => {
      assert.equal(await factory().hi("a"), "hi a");
      await assert.rejects(factory({ token: "other" }).hi("b"), refused);
    });
  });

  it("NKey: the seed as text or in a file signs the server's nonce; another key is refused", async (t) => {
    if (!requirePeers(t, "nats-server")) return;
    const user = nkeyUser();
    const other = nkeyUser();
    const seedFile = join(dir, "user.nk");
    writeFileSync(seedFile, `${user.seed}\n`);
    await withService({ auth: { nkeys: [user.publicKey] } }, { nkeySeed: user.seed }, async (factory) => {
      assert.equal(await factory().hi("a"), "hi a");
      assert.equal(await factory({ nkeySeed: seedFile }).hi("b"), "hi b");
      await assert.rejects(factory({ nkeySeed: other.seed }).hi("c"), refused);
    });
  });

  it("creds file: a user JWT signed by the account the operator-mode server trusts", async (t) => {
    if (!requirePeers(t, "nats-server")) return;
    const op = operatorSetup();
    const credsFile = join(dir, "user.creds");
    writeFileSync(credsFile, op.creds);
    const stranger = operatorSetup();
    const strangerFile = join(dir, "stranger.creds");
    writeFileSync(strangerFile, stranger.creds);
    await withService({ auth: op.auth }, { credsFile }, async (factory) => {
      assert.equal(await factory().hi("a"), "hi a");
      await assert.rejects(factory({ credsFile: strangerFile }).hi("b"), refused);
    });
  });

  it("credentials are checked when configured: one kind only, files must exist, secrets are declared secret", async () => {
    assert.throws(() => new NatsProxyFactory("nats://127.0.0.1:4222/x", { nkeySeed: "" }), ConfigError);
    const f = new NatsProxyFactory("nats://127.0.0.1:4222/x", { token: "a", user: "b" });
    await assert.rejects(f.hi("x"), (err: unknown) => err instanceof ConfigError && /one kind of NATS credentials/.test(err.message));
    const g = new NatsProxyFactory("nats://127.0.0.1:4222/x", { credsFile: join(dir, "missing.creds") });
    await assert.rejects(g.hi("x"), (err: unknown) => err instanceof ConfigError && /credsFile/.test(err.message));
    const { declaredProperties } = await import("../../../src/index.js");
    const secret = declaredProperties(NatsProxyFactory).filter((d) => d.secret).map((d) => d.name);
    for (const k of ["password", "token", "nkeySeed", "credsFile", "tlsKey"]) assert.ok(secret.includes(k), `${k} is not secret`);
  });
});

describe("NATS TLS", () => {
  it("a TLS server: served with its CA; a client that does not trust it, or asks another host name, refuses it", async (t) => {
    if (!requirePeers(t, "nats-server")) return;
    const pki = await testPki();
    await withService({ tls: { cert: pki.serverCert, key: pki.serverKey } }, { tlsCa: pki.ca }, async (factory) => {
      assert.equal(await factory().hi("a"), "hi a");
      await assert.rejects(factory({ tlsRequired: "true" }).hi("b"), refused);
      await assert.rejects(factory({ tlsCa: pki.ca, tlsServername: "elsewhere.example" }).hi("c"), refused);
      assert.equal(await factory({ tlsCa: pki.ca, tlsServername: "elsewhere.example", tlsCheckHostname: "false" }).hi("d"), "hi d");
    });
  });

  it("a server that requires client certificates: served with the sample client certificate, refused without one (TLS 1.3 and 1.2)", async (t) => {
    if (!requirePeers(t, "nats-server")) return;
    const pki = await testPki();
    const client = { tlsCa: pki.ca, tlsCert: pki.clientCert, tlsKey: pki.clientKey };
    await withService({ tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, verify: true } }, client, async (factory) => {
      assert.equal(await factory().hi("a"), "hi a");
      await assert.rejects(factory({ tlsCa: pki.ca }).hi("b"), refused);
      await assert.rejects(factory({ tlsCa: pki.ca, tlsMaxVersion: "TLSv1.2" }).hi("c"), refused);
    });
  });

  it("TLS required by the client but not offered by the server is refused", async (t) => {
    if (!requirePeers(t, "nats-server")) return;
    const pki = await testPki();
    await withService({}, {}, async (factory) => {
      await assert.rejects(factory({ tlsCa: pki.ca }).hi("a"), refused);
    });
  });
});
