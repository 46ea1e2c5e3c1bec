// Per-client token buckets. Idle buckets are full, so they are dropped when the table grows.
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const PRUNE_ABOVE = 10_000;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #perMs: number;
  readonly #burst: number;

  constructor(options: RateLimitOptions) {
    this.#perMs = options.perSecond / 1000;
    this.#burst = options.burst;
  }

  /** Takes one token for `client`; false when its bucket is empty. */
  take(client: string, now: number): boolean {
    let bucket = this.#buckets.get(client);
    if (!bucket) {
      if (this.#buckets.size >= PRUNE_ABOVE) this.#prune(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(client, bucket);
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #prune(now: number): void {
    for (const [client, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.#burst) this.#buckets.delete(client);
    }
  }
}
