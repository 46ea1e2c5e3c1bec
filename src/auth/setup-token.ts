// The first administrator on a fresh install: while there is no account, each start makes a new
// one-time token (printed as a link) that lets one person create the first account from the
// browser. Only the token's SHA-256 is stored; a newer token replaces older ones, and using one
// deletes it. Once any account exists no token is made and none is accepted.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, StoreDatabase } from '../db/index.ts';

export interface SetupTokensTable {
  id: string;
  created_at: number;
  expires_at: number;
}

type SetupDatabase = Database & { setup_tokens: SetupTokensTable };

export const SETUP_TOKEN_LIFETIME_MS = 24 * 3_600_000;

function handle(db: Kysely<Database> | StoreDatabase): Kysely<SetupDatabase> {
  const kysely = 'dialect' in db && 'close' in db ? db.db : (db as Kysely<Database>);
  return kysely.withTables<{ setup_tokens: SetupTokensTable }>();
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

async function accountCount(db: Kysely<SetupDatabase>): Promise<number> {
  const row = await db.selectFrom('accounts').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Called by the server at start: a new setup token when there is no account yet (older tokens
 * stop working), or null when accounts exist (and any leftover token is deleted).
 */
export async function ensureSetupToken(db: Kysely<Database> | StoreDatabase, now: number, lifetimeMs = SETUP_TOKEN_LIFETIME_MS): Promise<string | null> {
  const k = handle(db);
  if ((await accountCount(k)) > 0) {
    await k.deleteFrom('setup_tokens').execute();
    return null;
  }
  const token = randomBytes(32).toString('base64url');
  await k.transaction().execute(async (trx) => {
    await trx.deleteFrom('setup_tokens').execute();
    await trx.insertInto('setup_tokens').values({ id: digest(token), created_at: now, expires_at: now + lifetimeMs }).execute();
  });
  return token;
}

/** Whether the first administrator is still to be created. */
export async function setupNeeded(db: Kysely<Database> | StoreDatabase): Promise<boolean> {
  return (await accountCount(handle(db))) === 0;
}

/**
 * Uses up a setup token: true when it was live and there is still no account, and then no one
 * else can use it. Called only after the new account's fields have been checked.
 */
export async function claimSetupToken(db: Kysely<Database> | StoreDatabase, token: string, now: number): Promise<boolean> {
  if (typeof token !== 'string' || token.length < 16 || token.length > 128) return false;
  const k = handle(db);
  if ((await accountCount(k)) > 0) return false;
  const result = await k.deleteFrom('setup_tokens').where('id', '=', digest(token)).where('expires_at', '>', now).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** The link printed at start; the dashboard's setup page reads the token from it. */
export function setupLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/dashboard/#/setup?token=${encodeURIComponent(token)}`;
}
