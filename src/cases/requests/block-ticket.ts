// The signed ticket in every block page's forms. The HTTP service that takes the forms sees only
// a client address, and pupils reach the proxy with credentials, so the address says little about
// who is asking. The page that showed the block knew the person; it signs what it knew (event,
// person, role, groups, URL, host, categories, clauses, time) with HMAC-SHA256 under a secret the
// forms never see, and the form hands it back. A ticket that does not verify is refused; an old
// one has expired. Format: `v1.<base64url JSON>.<base64url MAC>`.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HedgerowError } from '../../errors/index.ts';
import { cut, cutList, FIELD_LIMITS } from './request-types.ts';

/** What a block page knew about the decision it showed. */
export interface BlockTicketFields {
  /** the decision event id (the page's reference) */
  eventId: string;
  /** username; null when only the network's role was known */
  person: string | null;
  role: string;
  groups: readonly string[];
  url: string;
  host: string;
  categories: readonly string[];
  clauses: readonly string[];
  /** epoch ms of the decision */
  at: number;
}

export interface BlockTicket extends BlockTicketFields {
  groups: string[];
  categories: string[];
  clauses: string[];
  expiresAt: number;
}

export type TicketCheck = { ok: true; ticket: BlockTicket } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export interface BlockTicketOptions {
  /** at least 32 bytes; a string of 64 hex digits is read as those bytes */
  secret: Uint8Array | string;
  /** how long a block page's forms stay usable (default 24 h) */
  lifetimeMs?: number;
  now?: () => number;
}

export const DEFAULT_TICKET_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** The key's file in the data folder. */
export const TICKET_KEY_FILE = 'block-ticket.key';
const VERSION = 'v1';
const MIN_KEY_BYTES = 32;
// A ticket longer than this was not made here; refuse before any decoding.
const MAX_TICKET_CHARS = 8192;

function keyBytes(secret: Uint8Array | string): Buffer {
  const bytes = typeof secret === 'string' ? (/^[0-9a-f]{64,}$/i.test(secret.trim()) ? Buffer.from(secret.trim(), 'hex') : Buffer.from(secret, 'utf8')) : Buffer.from(secret);
  if (bytes.length < MIN_KEY_BYTES) throw new HedgerowError('HR_REQUESTS_TICKET_KEY', `the block-page ticket key has ${bytes.length} bytes; it needs at least ${MIN_KEY_BYTES}`);
  return bytes;
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
}

export class BlockTickets {
  readonly lifetimeMs: number;
  readonly #key: Buffer;
  readonly #now: () => number;

  constructor(options: BlockTicketOptions) {
    this.#key = keyBytes(options.secret);
    this.lifetimeMs = options.lifetimeMs ?? DEFAULT_TICKET_LIFETIME_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The key kept in the data folder (made on first use, readable by its owner only). Several
   * nodes serving the same block pages need the same key: copy the file, or pass `secret`.
   */
  static open(dataDir: string, options: Omit<BlockTicketOptions, 'secret'> = {}): BlockTickets {
    const file = join(dataDir, TICKET_KEY_FILE);
    let text: string;
    try {
      mkdirSync(dataDir, { recursive: true });
      try {
        writeFileSync(file, `${randomBytes(MIN_KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      text = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new HedgerowError('HR_REQUESTS_TICKET_KEY', `cannot read or make the block-page ticket key \`${file}\`: ${(error as Error).message}`, { cause: error });
    }
    if (!/^[0-9a-f]{64,}$/i.test(text)) throw new HedgerowError('HR_REQUESTS_TICKET_KEY', `the block-page ticket key \`${file}\` is not 64 or more hex digits`);
    return new BlockTickets({ ...options, secret: text });
  }

  sign(fields: BlockTicketFields): string {
    const body = {
      e: cut(fields.eventId, FIELD_LIMITS.eventId),
      p: fields.person,
      r: fields.role,
      g: cutList(fields.groups),
      u: cut(fields.url, FIELD_LIMITS.url),
      h: cut(fields.host, FIELD_LIMITS.host),
      c: cutList(fields.categories),
      k: cutList(fields.clauses),
      t: fields.at,
      x: fields.at + this.lifetimeMs,
    };
    const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
    return `${VERSION}.${payload}.${this.#mac(payload)}`;
  }

  verify(token: string): TicketCheck {
    if (token.length > MAX_TICKET_CHARS) return { ok: false, reason: 'malformed' };
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION || parts[1] === '' || parts[2] === '') return { ok: false, reason: 'malformed' };
    const [, payload, mac] = parts as [string, string, string];
    // compared as text: decoding first would accept other spellings of the same bytes
    const given = Buffer.from(mac, 'utf8');
    const expected = Buffer.from(this.#mac(payload), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'malformed' };
      body = parsed as Record<string, unknown>;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const groups = stringList(body.g);
    const categories = stringList(body.c);
    const clauses = stringList(body.k);
    const { e, p, r, u, h, t, x } = body;
    if (
      typeof e !== 'string' ||
      (p !== null && typeof p !== 'string') ||
      typeof r !== 'string' ||
      typeof u !== 'string' ||
      typeof h !== 'string' ||
      !Number.isSafeInteger(t) ||
      !Number.isSafeInteger(x) ||
      !groups ||
      !categories ||
      !clauses
    ) {
      // signed by this key but not in this shape: made by another version, never trusted
      return { ok: false, reason: 'malformed' };
    }
    if ((x as number) <= this.#now()) return { ok: false, reason: 'expired' };
    return { ok: true, ticket: { eventId: e, person: p, role: r, groups, url: u, host: h, categories, clauses, at: t as number, expiresAt: x as number } };
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#key).update(`${VERSION}.${payload}`).digest('base64url');
  }
}
