// The answer cache: least-recently-used, bounded by entries, keyed on (name, type, class, DO bit).
import type { StoredAnswer } from './answer.ts';

export class AnswerCache {
  readonly #entries = new Map<string, StoredAnswer>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  static key(name: string, qtype: number, qclass: number, dnssecOk: boolean): string {
    return `${name}|${qtype}|${qclass}|${dnssecOk ? 1 : 0}`;
  }

  get(key: string, now: number): StoredAnswer | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (now >= entry.storedAt + entry.lifetime * 1000) {
      this.#entries.delete(key);
      return undefined;
    }
    // re-insert so Map order is recency order
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: StoredAnswer): void {
    if (this.#maxEntries <= 0 || entry.lifetime <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
