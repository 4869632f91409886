/**
 * The service: plain code, no remoting in it. Each exporter process serves
 * its own instance; `worker` tells which one answered.
 */
import { hostname } from "node:os";

export class PrimeService {
  constructor(private readonly worker = `${hostname()}:${process.pid}`) {}

  /** Whether n is prime, and who computed it. */
  isPrime(n: number): { n: number; prime: boolean; worker: string } {
    let prime = n >= 2;
    for (let d = 2; prime && d * d <= n; d++) if (n % d === 0) prime = false;
    return { n, prime, worker: this.worker };
  }
}
