// Slowing down password guessing at the dashboard's sign-in, per username and per client
// address: after a few free failures each further failure doubles the wait before the next try
// is even checked. Per username stops a slow guess at one account from many addresses; per
// address stops one machine trying many usernames. Held in memory: a restart forgets, which
// costs an attacker a restart they cannot cause.

export interface BackoffOptions {
  /** failures allowed before any wait */
  freeFailures: number;
  /** the first wait; each further failure doubles it */
  baseDelayMs: number;
  maxDelayMs: number;
  /** failures older than this (since the last one) are forgotten */
  forgetAfterMs: number;
}

export interface SignInThrottleOptions {
  perUsername?: Partial<BackoffOptions>;
  perAddress?: Partial<BackoffOptions>;
  /** most keys remembered per kind; the oldest go first */
  maxKeys?: number;
}

export const USERNAME_BACKOFF: BackoffOptions = { freeFailures: 5, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000 };
// A staff room or a school behind one NAT address shares this counter, so it allows more.
export const ADDRESS_BACKOFF: BackoffOptions = { freeFailures: 20, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000 };

export class BackoffThrottle {
  private readonly entries = new Map<string, { failures: number; last: number }>();

  constructor(
    private readonly options: BackoffOptions,
    private readonly maxKeys = 50_000,
  ) {}

  private entry(key: string, now: number) {
    const entry = this.entries.get(key);
    if (entry && now - entry.last > this.options.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** milliseconds until the key may try again; 0 when it may try now */
  retryAfter(key: string, now: number): number {
    const entry = this.entry(key, now);
    if (!entry || entry.failures <= this.options.freeFailures) return 0;
    const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (entry.failures - this.options.freeFailures - 1));
    return Math.max(0, entry.last + delay - now);
  }

  fail(key: string, now: number): void {
    const entry = this.entry(key, now) ?? { failures: 0, last: now };
    this.entries.delete(key);
    this.entries.set(key, { failures: Math.min(entry.failures + 1, 64), last: now });
    // Maps iterate in insertion order: the first key is the one that failed longest ago
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }
}

export class SignInThrottle {
  private readonly byUsername: BackoffThrottle;
  private readonly byAddress: BackoffThrottle;

  constructor(options: SignInThrottleOptions = {}) {
    this.byUsername = new BackoffThrottle({ ...USERNAME_BACKOFF, ...options.perUsername }, options.maxKeys);
    this.byAddress = new BackoffThrottle({ ...ADDRESS_BACKOFF, ...options.perAddress }, options.maxKeys);
  }

  /** milliseconds to wait before this username may try from this address; 0 when it may try now */
  retryAfter(username: string, address: string, now: number): number {
    return Math.max(this.byUsername.retryAfter(username, now), this.byAddress.retryAfter(address, now));
  }

  fail(username: string, address: string, now: number): void {
    this.byUsername.fail(username, now);
    this.byAddress.fail(address, now);
  }

  /** A right password clears the username's failures; the address keeps its count. */
  succeed(username: string): void {
    this.byUsername.succeed(username);
  }
}
