/**
 * The XML-RPC servers against hostile peers on loopback, default settings
 * unless a test says otherwise. Each test reproduces an attack that worked
 * before:
 * - the TLS server never closed a connection whose handshake timed out:
 *   with 80 file descriptors, 90 silent connections made every later call
 *   fail, even after they left;
 * - a request in ISO-8859-1 was silently corrupted ('café' → 'caf\ufffd'),
 *   and bytes that are not UTF-8 were replaced instead of refused;
 * - the request time-out fired up to 30 s late;
 * - partial bodies had no memory bound per client, a full server no bound,
 *   and a response had no size limit;
 * - a 100,000-digit <biginteger> took seconds to convert.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { CommunicationError, RemoteInvocationError } from "../../../src/index.js";
import { SSLClient, SSLServer, XmlRpcClient, XmlRpcServer, XmlRpcServiceExporter } from "../../../src/protocols/xmlrpc/index.js";
import { captureLogs, makeTestPki, type TestPki } from "./fixtures.js";
import { raw, type Raw } from "../../helpers/raw-socket.js";

/** POSTs raw bytes to /RPC2 with node:http; resolves with the status and the body as bytes. */
function post(port: number, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/RPC2", method: "POST", headers: { "Content-Type": "text/xml", "Content-Length": String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const callXml = (encoding: string | undefined, method: string, value: string): string =>
  `<?xml version="1.0"${encoding ? ` encoding="${encoding}"` : ""}?>\n<methodCall><methodName>${method}</methodName><params><param><value><string>${value}</string></value></param></params></methodCall>\n`;

class Echo extends XmlRpcServer {
  override registerFunctions(): void {
    this.registerFunction((s: unknown) => s, "echo");
    this.registerFunction((n: number) => "x".repeat(n), "big");
    this.registerFunction((a: number, b: number) => a + b, "add");
  }
}

async function server(options: Record<string, unknown> = {}): Promise<Echo> {
  const s = new Echo({ host: "127.0.0.1", port: 0, logRequests: false, ...options });
  await s.listen();
  return s;
}

describe("XML-RPC servers against hostile peers", () => {
  let pki: TestPki;
  before(async () => {
    pki = await makeTestPki();
  });
  after(async () => {
    await pki.cleanup();
  });

  it("with 80 file descriptors, 90 silent TLS connections no longer lock every later client out", { timeout: 60_000 }, async (t) => {
    // the server in a process of its own under `ulimit -n 80`, handshakes limited to 300 ms
    const script = join(import.meta.dirname, "fd-limited-ssl-server.ts");
    const child = spawn("bash", ["-c", `ulimit -n 80 && exec "$0" --import tsx "$@"`, process.execPath, script, pki.main.serverKey, pki.main.serverChain, "300"], {
      cwd: join(import.meta.dirname, "../../.."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    t.after(() => void child.kill("SIGKILL"));
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const until = Date.now() + 30_000;
    while (!/port \d+/.test(out) && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    const port = Number(/port (\d+)/.exec(out)?.[1]);
    assert.ok(port > 0, "the server started");
    const client = new SSLClient(`https://localhost:${port}/RPC2`, { caCerts: pki.main.caChain, timeoutMs: 5000 });
    t.after(() => client.close());
    assert.equal(await client.pow(2, 10), 1024);
    await client.close();
    const silent = Array.from({ length: 90 }, () => {
      const s = net.connect(port, "127.0.0.1");
      s.on("error", () => undefined);
      return s;
    });
    await new Promise((r) => setTimeout(r, 1000));
    for (const s of silent) s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    // before the fix: ECONNRESET or "socket hang up" for every call from here on
    for (let i = 0; i < 3; i++) {
      assert.equal(await client.pow(2, 11), 2048);
      await client.close();
    }
  });

  it("a TLS handshake that times out or fails closes its connection, and is logged with the peer's address", { timeout: 30_000 }, async (t) => {
    class Pow extends SSLServer {
      override registerFunctions(): void {
        this.registerFunction((a: number, b: number) => a ** b, "pow");
      }
    }
    const logs = captureLogs();
    const s = new Pow({ host: "127.0.0.1", port: 0, keyFile: pki.main.serverKey, certFile: pki.main.serverChain, handshakeTimeoutMs: "300ms", logRequests: false });
    await s.listen();
    t.after(async () => {
      logs.restore();
      await s.close();
    });
    const silent = await Promise.all(Array.from({ length: 10 }, () => raw(s.port)));
    const plainHttp = await raw(s.port, "POST /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n");
    const closed = await Promise.all([...silent, plainHttp].map((c) => Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 3000))])));
    assert.ok(closed.every((ms) => ms >= 0), `still open after 3 s: ${closed.filter((ms) => ms < 0).length}`);
    assert.ok(logs.lines.some((l) => /TLS handshake with 127\.0\.0\.1:\d+ failed: ERR_TLS_HANDSHAKE_TIMEOUT/.test(l)), logs.lines.join("\n"));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.connectionCount, 0);
  });

  it("a request in ISO-8859-1 is read in ISO-8859-1 ('café' stays 'café'); other declared encodings too", async (t) => {
    const s = await server();
    t.after(() => s.close());
    const latin1 = await post(s.port, Buffer.from(callXml("ISO-8859-1", "echo", "café"), "latin1"));
    assert.equal(latin1.status, 200);
    assert.match(latin1.body.toString("utf8"), /<string>café<\/string>/, "before: caf\\ufffd");
    const cp1252 = await post(s.port, Buffer.from(callXml("windows-1252", "echo", "caf\xe9 \x80"), "latin1"));
    assert.match(cp1252.body.toString("utf8"), /<string>café €<\/string>/);
    const utf16 = await post(s.port, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(callXml("UTF-16", "echo", "日本"), "utf16le")]));
    assert.match(utf16.body.toString("utf8"), /<string>日本<\/string>/);
    // the client reads a response the same way
    const plain = http.createServer((_req, res) => {
      const body = Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?><methodResponse><params><param><value><string>café</string></value></param></params></methodResponse>`, "latin1");
      res.writeHead(200, { "Content-Type": "text/xml", "Content-Length": body.length });
      res.end(body);
    });
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    t.after(() => void plain.close());
    const client = new XmlRpcClient(`http://127.0.0.1:${(plain.address() as net.AddressInfo).port}/RPC2`);
    t.after(() => client.close());
    assert.equal(await client.callRemote("anything", []), "café");
  });

  it("bytes that are not valid in the document's encoding, and unknown encodings, are refused with a fault, never replaced", async (t) => {
    const s = await server();
    t.after(() => s.close());
    const parseFault = (r: { status: number; body: Buffer }): void => {
      assert.equal(r.status, 200);
      const text = r.body.toString("utf8");
      assert.match(text, /<name>faultCode<\/name><value><int>-32700<\/int>/, text);
      assert.doesNotMatch(text, /\ufffd/);
    };
    // Latin-1 bytes in a document that declares nothing (UTF-8): before, 'caf\ufffd' reached the method
    parseFault(await post(s.port, Buffer.from(callXml(undefined, "echo", "café"), "latin1")));
    parseFault(await post(s.port, Buffer.from(callXml("UTF-8", "echo", "café"), "latin1")));
    parseFault(await post(s.port, Buffer.from(callXml("US-ASCII", "echo", "café"), "latin1")));
    parseFault(await post(s.port, Buffer.from(callXml("x-unknown-8", "echo", "cafe"), "latin1")));
    // a large body (the streaming path) too, cut inside a character
    const long = Buffer.concat([Buffer.from(callXml(undefined, "echo", "é".repeat(50_000)), "utf8"), Buffer.from([0xc3])]);
    parseFault(await post(s.port, long));
    const longLatin1 = Buffer.from(callXml("ISO-8859-1", "echo", "é".repeat(100_000)), "latin1");
    const ok = await post(s.port, longLatin1);
    assert.equal((/<string>(é+)<\/string>/.exec(ok.body.toString("utf8"))?.[1] ?? "").length, 100_000);
  });

  it("the request time-out fires when it says (a slow sender, a silent connection, a head never finished get 408)", { timeout: 30_000 }, async (t) => {
    const s = await server({ requestTimeoutMs: "1s" });
    t.after(() => s.close());
    const slow = await raw(s.port, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<?xml");
    const silent = await raw(s.port);
    const head = await raw(s.port, "POST /RPC2 HTTP/1.1\r\nHost: x\r\n");
    for (const [name, c] of [["slow body", slow], ["silent", silent], ["partial head", head]] as const) {
      const ms = await c.closed;
      assert.ok(ms >= 900 && ms < 2500, `${name}: closed after ${ms} ms (limit 1 s; before: up to 30 s late)`);
      assert.match(c.received(), /^HTTP\/1\.1 408/, name);
    }
  });

  it("bodies being received count against their client address's memory: over it, 503, and it comes back", { timeout: 30_000 }, async (t) => {
    const s = await server({ maxBodyBytes: "256KiB", maxPeerMemory: "512KiB" });
    const client = new XmlRpcClient(`http://127.0.0.1:${s.port}/RPC2`);
    t.after(async () => {
      await client.close();
      await s.close();
    });
    const logs = captureLogs();
    t.after(() => logs.restore());
    const size = 200_000;
    const partial = async (): Promise<Raw> => {
      const c = await raw(s.port, `POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
      c.socket.write(Buffer.alloc(size - 1, 0x20));
      return c;
    };
    const a = await partial();
    const b = await partial();
    await new Promise((r) => setTimeout(r, 200));
    const c = await partial();
    await c.closed;
    assert.match(c.received(), /^HTTP\/1\.1 503/);
    a.socket.destroy();
    b.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await client.callRemote("add", [1, 2]), 3);
    const again = [await partial(), await partial()];
    await new Promise((r) => setTimeout(r, 200));
    for (const x of again) assert.equal(x.received(), "", "the memory came back");
    for (const x of again) x.socket.destroy();
  });

  it("a full server refuses new connections at once, and timed-out or idle ones make room again", { timeout: 30_000 }, async (t) => {
    const s = await server({ maxConnections: 5, requestTimeoutMs: "1500ms" });
    const client = new XmlRpcClient(`http://127.0.0.1:${s.port}/RPC2`, { timeoutMs: 5000 });
    const logs = captureLogs();
    t.after(async () => {
      logs.restore();
      await client.close();
      await s.close();
    });
    const slow = await Promise.all(Array.from({ length: 5 }, () => raw(s.port, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<")));
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(client.callRemote("add", [1, 2]), (err: unknown) => err instanceof CommunicationError && err.phase === "connect" && /503/.test(err.message));
    assert.ok(logs.lines.some((l) => /refused a connection from 127\.0\.0\.1:\d+: 5 connections \(maxConnections\)/.test(l)));
    await Promise.all(slow.map((x) => x.closed));
    assert.equal(await client.callRemote("add", [1, 2]), 3);
    await client.close();
    const silent = await Promise.all(Array.from({ length: 5 }, () => raw(s.port)));
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await client.callRemote("add", [2, 2]), 4, "an idle connection made room");
    for (const x of silent) x.socket.destroy();
  });

  it("responses are held to maxBodyBytes (a fault instead), and huge integers are refused at once", async (t) => {
    const exporter = new XmlRpcServiceExporter();
    Object.assign(exporter, { service: { big: (n: number) => "x".repeat(n), echo: (v: unknown) => v }, serviceHost: "127.0.0.1", servicePort: 0, maxBodyBytes: "64KiB" });
    await exporter.afterPropertiesSet();
    const client = new XmlRpcClient(exporter.url!, { maxBodyBytes: "1MiB" });
    const logs = captureLogs();
    t.after(async () => {
      logs.restore();
      await client.close();
      await exporter.destroy();
    });
    assert.equal(((await client.callRemote("big", [1000])) as string).length, 1000);
    await assert.rejects(client.callRemote("big", [100_000]), (err: unknown) => err instanceof RemoteInvocationError && /over maxBodyBytes/.test(err.remoteMessage ?? ""));
    const digits = "7".repeat(60_000);
    const t0 = Date.now();
    const r = await post(exporter.boundPort!, Buffer.from(`<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value><biginteger>${digits}</biginteger></value></param></params></methodCall>`));
    assert.match(r.body.toString(), /-32600.*more than 4300 digits/s);
    assert.ok(Date.now() - t0 < 2000);
  });
});
