// The answer cache: least-recently-used, bounded by entries, keyed on (name, type, class, DO bit).
// An answer past its TTL is kept for `staleSeconds` more (RFC 8767 serve-stale): never given while
// an upstream answers, only when every upstream fails. Resolution failures are remembered briefly
// (RFC 9520), so a name whose upstreams just failed is answered at once instead of waited on again.
import type { StoredAnswer } from './answer.ts';

export class AnswerCache {
  readonly #entries = new Map<string, StoredAnswer>();
  readonly #maxEntries: number;
  readonly #staleMs: number;
  /** key → until when (epoch ms) a failed resolution is remembered; insertion order is age order */
  readonly #failures = new Map<string, number>();

  constructor(maxEntries: number, staleSeconds = 0) {
    this.#maxEntries = maxEntries;
    this.#staleMs = Math.max(0, staleSeconds) * 1000;
  }

  static key(name: string, qtype: number, qclass: number, dnssecOk: boolean): string {
    return `${name}|${qtype}|${qclass}|${dnssecOk ? 1 : 0}`;
  }

  /** A fresh answer (within its TTL), or undefined. */
  get(key: string, now: number): StoredAnswer | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const expires = entry.storedAt + entry.lifetime * 1000;
    if (now >= expires) {
      if (now >= expires + this.#staleMs) this.#entries.delete(key);
      return undefined;
    }
    // re-insert so Map order is recency order
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** An answer past its TTL but within the stale bound, or undefined. */
  stale(key: string, now: number): StoredAnswer | undefined {
    if (this.#staleMs === 0) return undefined;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const expires = entry.storedAt + entry.lifetime * 1000;
    if (now < expires || now >= expires + this.#staleMs) return undefined;
    return entry;
  }

  set(key: string, entry: StoredAnswer): void {
    if (this.#maxEntries <= 0 || entry.lifetime <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#failures.delete(key);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Remembers that every upstream failed for `key`, until `until`. */
  noteFailure(key: string, until: number): void {
    if (this.#maxEntries <= 0) return;
    this.#failures.delete(key);
    this.#failures.set(key, until);
    while (this.#failures.size > this.#maxEntries) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  /** True while a failure of `key` is remembered. */
  failedRecently(key: string, now: number): boolean {
    const until = this.#failures.get(key);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#failures.delete(key);
    return false;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
    this.#failures.clear();
  }
}
