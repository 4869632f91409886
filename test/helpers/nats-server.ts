/**
 * Real NATS servers for tests: Debian's `nats-server` (2.9), started on
 * 127.0.0.1 with free ports (`-1`, read back from its ports file), one
 * server or a cluster of several with routes between them; configured with
 * TLS and with each kind of credentials the client supports (user and
 * password, token, NKey, operator JWT for a creds file). Tests call
 * `requirePeers(t, "nats-server")` first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { peerMissing } from "./peers.js";

export type NatsAuth =
  | { user: string; password: string }
  | { token: string }
  /** NKey users by public key. */
  | { nkeys: string[] }
  /** Operator mode: the operator's JWT and the account JWTs it signed, preloaded. */
  | { operatorJwt: string; accounts: Record<string, string> };

export interface NatsServerOptions {
  auth?: NatsAuth;
  /** PEM texts; `verify`: client certificates are required and checked against `ca`. */
  tls?: { cert: string; key: string; ca?: string; verify?: boolean };
  /** Cluster name and the route URLs to solicit (nats-route://127.0.0.1:port). */
  cluster?: { name: string; routes: string[] };
  name?: string;
  /** The largest payload the server takes (bytes). */
  maxPayload?: number;
  /** Do not keep the test process alive for it (it is killed when the process exits): for servers shared by a whole test file. */
  background?: boolean;
}

export interface NatsServerHandle {
  readonly port: number;
  /** nats://127.0.0.1:port */
  readonly url: string;
  /** 127.0.0.1:port, as a server list entry. */
  readonly hostPort: string;
  readonly clusterPort: number | undefined;
  readonly monitorPort: number;
  readonly child: ChildProcess;
  /** The server's log so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it exited. */
  stop(): Promise<void>;
  /** SIGKILL at once (a node dying); resolves when it exited. */
  kill(): Promise<void>;
}

const BIN = "nats-server";

function waitFor<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const until = Date.now() + ms;
  return new Promise<T>((resolve, reject) => {
    const tick = async (): Promise<void> => {
      let v: T | undefined;
      try {
        v = await probe();
      } catch {
        v = undefined;
      }
      if (v !== undefined) return resolve(v);
      if (Date.now() > until) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void tick(), 25);
    };
    void tick();
  });
}

function getJson(port: number, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

/** Starts one nats-server on 127.0.0.1 (free ports) and waits until it listens. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), "remoting-nats-"));
  const conf: Record<string, unknown> = { listen: "127.0.0.1:-1", http: "127.0.0.1:-1", server_name: options.name ?? `n-${process.pid}-${Date.now().toString(36)}` };
  if (options.maxPayload !== undefined) conf["max_payload"] = options.maxPayload;
  const a = options.auth;
  if (a && "user" in a) conf["authorization"] = { user: a.user, password: a.password };
  else if (a && "token" in a) conf["authorization"] = { token: a.token };
  else if (a && "nkeys" in a) conf["authorization"] = { users: a.nkeys.map((nkey) => ({ nkey })) };
  else if (a && "operatorJwt" in a) {
    conf["operator"] = a.operatorJwt;
    conf["resolver"] = "MEMORY";
    conf["resolver_preload"] = a.accounts;
  }
  if (options.tls) {
    writeFileSync(join(dir, "cert.pem"), options.tls.cert);
    writeFileSync(join(dir, "key.pem"), options.tls.key);
    const tls: Record<string, unknown> = { cert_file: join(dir, "cert.pem"), key_file: join(dir, "key.pem"), timeout: 5 };
    if (options.tls.ca) {
      writeFileSync(join(dir, "ca.pem"), options.tls.ca);
      tls["ca_file"] = join(dir, "ca.pem");
    }
    if (options.tls.verify) tls["verify"] = true;
    conf["tls"] = tls;
  }
  if (options.cluster) conf["cluster"] = { name: options.cluster.name, listen: "127.0.0.1:-1", routes: options.cluster.routes };
  // nats-server reads JSON as its configuration format
  writeFileSync(join(dir, "server.conf"), JSON.stringify(conf, null, 2));
  const child = spawn(BIN, ["-c", join(dir, "server.conf"), "--ports_file_dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (options.background) {
    child.unref();
    (child.stdout as unknown as { unref(): void }).unref();
    (child.stderr as unknown as { unref(): void }).unref();
    process.once("exit", () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });
  }
  let ports: { nats: string[]; monitoring: string[]; cluster?: string[] };
  try {
    ports = await waitFor("nats-server's ports file", 15_000, () => {
      if (child.exitCode !== null) throw new Error(`nats-server exited: ${log}`);
      const f = readdirSync(dir).find((x) => x.endsWith(".ports"));
      return f ? (JSON.parse(readFileSync(join(dir, f), "utf8")) as typeof ports) : undefined;
    });
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`nats-server did not start: ${(err as Error).message}\n${log}`);
  }
  const portOf = (u: string | undefined): number => Number(/:(\d+)$/.exec(u ?? "")?.[1]);
  const port = portOf(ports.nats[0]);
  const monitorPort = portOf(ports.monitoring[0]);
  const clusterPort = ports.cluster ? portOf(ports.cluster[0]) : undefined;
  await waitFor("nats-server to be ready", 15_000, () => (/Server is ready/.test(log) ? true : undefined));
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    }
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  };
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    clusterPort,
    monitorPort,
    child,
    log: () => log,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}

export interface NatsCluster {
  readonly nodes: NatsServerHandle[];
  /** host:port of every node, for a server list. */
  readonly hostPorts: string[];
  stop(): Promise<void>;
}

/** Starts `n` servers in one cluster (each routes to the first; gossip completes the mesh) and waits for the full mesh. */
export async function startNatsCluster(n = 3, options: Omit<NatsServerOptions, "cluster" | "name"> = {}): Promise<NatsCluster> {
  const name = `c${process.pid}${Date.now().toString(36)}`;
  const nodes: NatsServerHandle[] = [];
  try {
    const first = await startNatsServer({ ...options, name: `${name}-1`, cluster: { name, routes: [] } });
    nodes.push(first);
    for (let i = 2; i <= n; i++) {
      const routes = nodes.map((x) => `nats-route://127.0.0.1:${x.clusterPort!}`);
      nodes.push(await startNatsServer({ ...options, name: `${name}-${i}`, cluster: { name, routes } }));
    }
    for (const node of nodes) {
      await waitFor(`routes of ${node.hostPort}`, 20_000, async () => {
        const r = (await getJson(node.monitorPort, "/routez")) as { num_routes?: number };
        return (r.num_routes ?? 0) >= n - 1 ? true : undefined;
      });
    }
  } catch (err) {
    await Promise.all(nodes.map((x) => x.stop()));
    throw err;
  }
  return { nodes, hostPorts: nodes.map((x) => x.hostPort), stop: async () => void (await Promise.all(nodes.map((x) => x.stop()))) };
}

/** The subscriptions a node knows of (local and routed), from its monitoring port. */
export async function subscriptionCount(node: NatsServerHandle): Promise<number> {
  const r = (await getJson(node.monitorPort, "/subsz")) as { num_subscriptions?: number };
  return r.num_subscriptions ?? 0;
}

// ------------------------------------------------------------ credentials

/** A user NKey: its seed (for the client) and public key (for the server's users). */
export function nkeyUser(): { seed: string; publicKey: string } {
  const kp = nkeys.createUser();
  return { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() };
}

const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString("base64url");

/** A JWT signed by `issuer` (an NKey pair), as the NATS JWT library writes them (ed25519-nkey). */
function signJwt(issuer: ReturnType<typeof nkeys.createOperator>, claims: Record<string, unknown>): string {
  const body = { ...claims, jti: "", iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey() };
  body.jti = createHash("sha256").update(JSON.stringify(body)).digest("base64url").toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 52);
  const head = b64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const payload = b64url(JSON.stringify(body));
  const sig = issuer.sign(new TextEncoder().encode(`${head}.${payload}`));
  return `${head}.${payload}.${b64url(sig)}`;
}

const NO_LIMIT = -1;

/**
 * An operator, an account and a user, as `nsc` would make them: the
 * server's operator-mode settings and the user's creds file text.
 */
export function operatorSetup(): { auth: NatsAuth; creds: string } {
  const op = nkeys.createOperator();
  const acc = nkeys.createAccount();
  const user = nkeys.createUser();
  const operatorJwt = signJwt(op, { name: "remoting-test-operator", sub: op.getPublicKey(), nats: { type: "operator", version: 2 } });
  const accountJwt = signJwt(op, {
    name: "remoting-test-account",
    sub: acc.getPublicKey(),
    nats: {
      limits: { subs: NO_LIMIT, data: NO_LIMIT, payload: NO_LIMIT, imports: NO_LIMIT, exports: NO_LIMIT, wildcards: true, conn: NO_LIMIT, leaf: NO_LIMIT },
      default_permissions: { pub: {}, sub: {} },
      type: "account",
      version: 2,
    },
  });
  const userJwt = signJwt(acc, {
    name: "remoting-test-user",
    sub: user.getPublicKey(),
    nats: { pub: {}, sub: {}, subs: NO_LIMIT, data: NO_LIMIT, payload: NO_LIMIT, type: "user", version: 2 },
  });
  const seed = new TextDecoder().decode(user.getSeed());
  const creds = `-----BEGIN NATS USER JWT-----
${userJwt}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
${seed}
------END USER NKEY SEED------

*************************************************************
`;
  return { auth: { operatorJwt, accounts: { [acc.getPublicKey()]: accountJwt } }, creds };
}

/**
 * For a `describe` whose hooks start nats-server: the skip reason when it is
 * missing (by hand), as requirePeers does for one test; in CI a missing
 * nats-server fails instead.
 */
export function natsMissing(): string | undefined {
  const why = peerMissing("nats-server");
  if (why !== undefined && process.env["CI"]) throw new Error(`interop peer missing in CI: ${why}`);
  return why === undefined ? undefined : `peer missing: ${why}`;
}
