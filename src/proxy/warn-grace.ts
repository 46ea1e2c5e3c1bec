// "Continue anyway" on a warn page: the reason given is honoured for that person (or client
// address) and host for a while. The warn form carries a signed token so that another site
// cannot post a reason on someone's behalf (a cross-site form would not know the token).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface GraceEntry {
  until: number;
  reason: string;
}

const tokenLifetimeMs = 60 * 60 * 1000;
const sweepEvery = 1024;

export class WarnGrace {
  readonly #entries = new Map<string, GraceEntry>();
  readonly #secret = randomBytes(32);
  #sets = 0;

  /** the active grace for (who, host), or null */
  get(who: string, host: string, now: number): GraceEntry | null {
    if (this.#entries.size === 0) return null;
    const key = `${who}\u0000${host}`;
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.until <= now) {
      this.#entries.delete(key);
      return null;
    }
    return entry;
  }

  set(who: string, host: string, entry: GraceEntry, now: number): void {
    if (++this.#sets % sweepEvery === 0) {
      for (const [key, value] of this.#entries) if (value.until <= now) this.#entries.delete(key);
    }
    this.#entries.set(`${who}\u0000${host}`, entry);
  }

  get size(): number {
    return this.#entries.size;
  }

  token(who: string, host: string, now: number): string {
    const expires = now + tokenLifetimeMs;
    return `${expires}.${this.#mac(who, host, expires)}`;
  }

  verify(token: string, who: string, host: string, now: number): boolean {
    const dot = token.indexOf('.');
    if (dot <= 0) return false;
    const expires = Number(token.slice(0, dot));
    if (!Number.isSafeInteger(expires) || expires <= now) return false;
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.#mac(who, host, expires));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #mac(who: string, host: string, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${who}\n${host}\n${expires}`).digest('base64url');
  }
}
