// Two small memories for proxy authentication: recent successes (so the proxy does not bind to
// the directory on every request) and recent failures (so guessing a password is slow). Neither
// holds a password: successes are keyed by an HMAC of the credentials under a key that lives
// only in this process.
import { createHmac, randomBytes } from 'node:crypto';

export class CredentialCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { username: string; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  private digest(username: string, password: string): string {
    return createHmac('sha256', this.key).update(username).update('\0').update(password).digest('base64');
  }

  /** The username the credentials were confirmed for, while fresh. */
  get(username: string, password: string, now: number): string | null {
    const k = this.digest(username, password);
    const entry = this.entries.get(k);
    if (!entry) return null;
    if (entry.expires <= now) {
      this.entries.delete(k);
      return null;
    }
    return entry.username;
  }

  set(username: string, password: string, confirmed: string, now: number): void {
    if (this.ttlMs <= 0) return;
    const k = this.digest(username, password);
    this.entries.delete(k);
    this.entries.set(k, { username: confirmed, expires: now + this.ttlMs });
    // Maps iterate in insertion order: the first entry is the oldest
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forget every cached success of one person (after a password change or deactivation). */
  forget(username: string): void {
    for (const [k, entry] of this.entries) if (entry.username === username) this.entries.delete(k);
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface ThrottleOptions {
  /** failures within `windowMs` that lock the username at that client address */
  maxFailures: number;
  windowMs: number;
  /** how long a lock lasts after the last failure */
  lockoutMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 5, windowMs: 5 * 60_000, lockoutMs: 5 * 60_000 };

export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly maxKeys = 50_000,
  ) {}

  private static key(username: string, clientIp: string): string {
    return `${username}\0${clientIp}`;
  }

  private recent(key: string, now: number): number[] {
    const times = (this.failures.get(key) ?? []).filter((t) => now - t < Math.max(this.options.windowMs, this.options.lockoutMs));
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }

  /** True while the username is locked at this client address. */
  locked(username: string, clientIp: string, now: number): boolean {
    const times = this.recent(FailureThrottle.key(username, clientIp), now);
    const max = this.options.maxFailures;
    if (times.length < max) return false;
    const first = times[times.length - max]!;
    const last = times[times.length - 1]!;
    return last - first < this.options.windowMs && now - last < this.options.lockoutMs;
  }

  fail(username: string, clientIp: string, now: number): void {
    const key = FailureThrottle.key(username, clientIp);
    const times = this.recent(key, now);
    times.push(now);
    this.failures.delete(key);
    this.failures.set(key, times.slice(-this.options.maxFailures));
    while (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(username: string, clientIp: string): void {
    this.failures.delete(FailureThrottle.key(username, clientIp));
  }
}
