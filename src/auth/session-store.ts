// Dashboard sessions in the store's `sessions` table. The browser holds a random 256-bit token;
// the table holds only its SHA-256, so a copy of the database signs nobody in. A session ends
// when it has been idle too long (clause 6.16: no device left signed in), when it reaches its
// absolute lifetime, on sign-out, or when its account is disabled.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Account, Database, Session } from '../db/index.ts';

export interface SessionOptions {
  /** a session unused for this long ends (default 15 minutes) */
  idleTimeoutMs?: number;
  /** a session ends this long after sign-in however busy (default 12 hours: one working day) */
  absoluteLifetimeMs?: number;
  /** last use is written at most this often, so every request does not write (default 30 s) */
  touchIntervalMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_ABSOLUTE_LIFETIME_MS = 12 * 3_600_000;

export interface NewSessionTokens {
  /** goes in the cookie; never stored */
  token: string;
  /** the stored id: SHA-256 of the token */
  id: string;
  csrfToken: string;
  expiresAt: number;
}

export interface LiveSession {
  session: Session;
  account: Account;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The stored id of a token (hex SHA-256), or null when the text cannot be a token. */
export function sessionIdOf(token: string): string | null {
  if (!TOKEN.test(token)) return null;
  return createHash('sha256').update(token).digest('hex');
}

export class SessionStore {
  readonly idleTimeoutMs: number;
  readonly absoluteLifetimeMs: number;
  private readonly touchIntervalMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
    options: SessionOptions = {},
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.absoluteLifetimeMs = options.absoluteLifetimeMs ?? DEFAULT_ABSOLUTE_LIFETIME_MS;
    this.touchIntervalMs = Math.min(options.touchIntervalMs ?? 30_000, Math.floor(this.idleTimeoutMs / 4));
  }

  async create(accountId: string): Promise<NewSessionTokens> {
    const token = randomBytes(32).toString('base64url');
    const id = sessionIdOf(token)!;
    const csrfToken = randomBytes(32).toString('base64url');
    const at = this.now();
    const expiresAt = at + this.absoluteLifetimeMs;
    await this.db.insertInto('sessions').values({ id, account_id: accountId, created_at: at, last_seen_at: at, expires_at: expiresAt, csrf_token: csrfToken }).execute();
    return { token, id, csrfToken, expiresAt };
  }

  /** The live session a token names and its account, marking it used; null when there is none. */
  async resolve(token: string): Promise<LiveSession | null> {
    const id = sessionIdOf(token);
    if (!id) return null;
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
      .select([
        'sessions.id as s_id',
        'sessions.account_id as s_account_id',
        'sessions.created_at as s_created_at',
        'sessions.last_seen_at as s_last_seen_at',
        'sessions.expires_at as s_expires_at',
        'sessions.csrf_token as s_csrf_token',
        'accounts.id',
        'accounts.username',
        'accounts.display_name',
        'accounts.role',
        'accounts.password_hash',
        'accounts.created_at',
        'accounts.disabled',
      ])
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    const at = this.now();
    if (row.disabled !== 0 || at >= row.s_expires_at || at - row.s_last_seen_at >= this.idleTimeoutMs) {
      await this.db.deleteFrom('sessions').where('id', '=', id).execute();
      return null;
    }
    let lastSeen = row.s_last_seen_at;
    if (at - lastSeen >= this.touchIntervalMs) {
      await this.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
      lastSeen = at;
    }
    return {
      session: { id, account_id: row.s_account_id, created_at: row.s_created_at, last_seen_at: lastSeen, expires_at: row.s_expires_at, csrf_token: row.s_csrf_token },
      account: { id: row.id, username: row.username, display_name: row.display_name, role: row.role, password_hash: row.password_hash, created_at: row.created_at, disabled: row.disabled },
    };
  }

  /** Ends the session a token names (sign-out); nothing happens for an unknown token. */
  async end(token: string): Promise<void> {
    const id = sessionIdOf(token);
    if (id) await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  /** Ends every session of an account except, optionally, one (by stored id); returns how many. */
  async endAll(accountId: string, keepId?: string): Promise<number> {
    let query = this.db.deleteFrom('sessions').where('account_id', '=', accountId);
    if (keepId) query = query.where('id', '!=', keepId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Deletes sessions past their idle or absolute end; returns how many. */
  async purgeExpired(): Promise<number> {
    const at = this.now();
    const result = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', at), eb('last_seen_at', '<=', at - this.idleTimeoutMs)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
