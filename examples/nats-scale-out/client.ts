/**
 * The client: calls PrimeService through the queue group (any exporter may
 * answer), then lists the running instances with the HA factory's NATS
 * discovery and calls each one.
 *
 *   NATS_SERVERS=127.0.0.1:4222 npx tsx client.ts
 */
import { HighAvailabilityProxyFactory, NatsProxyFactory, releaseProxy } from "remoting";

type Answer = { n: number; prime: boolean; worker: string };
const servers = process.env["NATS_SERVERS"] ?? "127.0.0.1:4222";

async function main(): Promise<void> {
  // 1. Any exporter: the NATS server gives each call to one member of the queue group.
  const primes = new NatsProxyFactory(`nats://${servers}/remoting.PrimeService`, { timeoutMs: "5s" });
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => primes.isPrime(1_000_000 + i) as Promise<Answer>));
  const byWorker = new Map<string, number>();
  for (const a of answers) byWorker.set(a.worker, (byWorker.get(a.worker) ?? 0) + 1);
  console.log(`primes between 1000000 and 1000039: ${answers.filter((a) => a.prime).map((a) => a.n).join(", ")}`);
  for (const [worker, n] of [...byWorker].sort()) console.log(`CALLS ${worker} ${n}`);
  await primes.close();

  // 2. Every instance, found through the NATS service API ($SRV.INFO).
  const pool = new HighAvailabilityProxyFactory({ discovery: `nats://${servers}/remoting.PrimeService` });
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) seen.add(((await pool.isPrime(7)) as Answer).worker);
  console.log(`INSTANCES ${pool.memberStats().length}: ${[...seen].sort().join(", ")}`);
  await releaseProxy(pool);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
