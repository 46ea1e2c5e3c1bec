// Opens the store from one URL: `sqlite:/path/file.db` (or a bare path) for the zero-set-up
// default, `postgres://…` for many nodes sharing one database. Both come back as the same typed
// Kysely handle, so the code above never asks which engine it runs on (except for locking).
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, SqliteDriver, sql } from 'kysely';
import type { DatabaseConnection, Driver, SqliteDialectConfig } from 'kysely';
import pg from 'pg';
import { HedgerowError } from '../errors/index.ts';
import type { Database } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface StoreDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** most PostgreSQL connections held at once (default 10) */
  poolSize?: number;
  /** how long SQLite waits for another writer before failing (default 5000 ms) */
  busyTimeoutMs?: number;
}

// NOTE: Kysely's SQLite driver opens transactions with a plain (deferred) `begin`; a second
// process can then commit between our read and our write and the upgrade fails. `begin immediate`
// takes the write lock up front, which is what a read-then-append (the audit chain) needs.
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

// SQLite runs DDL inside transactions, but Kysely's adapter says otherwise; saying so lets the
// migrator roll a failed run back whole instead of leaving half a schema.
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class StoreSqliteDialect extends SqliteDialect {
  private readonly storeConfig: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.storeConfig = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.storeConfig);
  }
  override createAdapter(): SqliteAdapter {
    return new TransactionalSqliteAdapter();
  }
}

// PostgreSQL returns int8 as text to keep precision; our int8 columns hold epoch milliseconds and
// sequence numbers, far below 2^53, so numbers are safe and both engines return the same type.
const INT8_OID = 20;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** The URL with its password hidden, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

export function sqlitePathFromUrl(url: string): string {
  if (!url.startsWith('sqlite:')) return url;
  const rest = url.slice('sqlite:'.length);
  // `sqlite:///abs/file.db` and `sqlite:/abs/file.db` both name /abs/file.db
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<StoreDatabase> {
  if (/^postgres(ql)?:\/\//i.test(url)) return openPostgres(url, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('sqlite:')) {
    throw new HedgerowError('HR_STORE_OPEN', `unsupported database url \`${redactDatabaseUrl(url)}\`: use sqlite:/path/file.db or postgres://…`);
  }
  return openSqlite(sqlitePathFromUrl(url), options);
}

function openSqlite(path: string, options: OpenDatabaseOptions): StoreDatabase {
  if (path === '') throw new HedgerowError('HR_STORE_OPEN', 'database url names no sqlite file');
  let handle: BetterSqlite3.Database;
  try {
    handle = new BetterSqlite3(path);
    handle.pragma('journal_mode = WAL');
    handle.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    // sessions reference accounts; SQLite enforces that only when asked
    handle.pragma('foreign_keys = ON');
  } catch (error) {
    throw new HedgerowError('HR_STORE_OPEN', `cannot open sqlite database \`${path}\`: ${(error as Error).message}`, { cause: error });
  }
  const db = new Kysely<Database>({ dialect: new StoreSqliteDialect({ database: handle }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<StoreDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypes });
  // An idle client losing its server emits 'error' on the pool; unhandled, that ends the process.
  // The next query reports the outage instead.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    throw new HedgerowError('HR_STORE_OPEN', `cannot connect to \`${redactDatabaseUrl(url)}\`: ${(error as Error).message}`, { cause: error });
  }
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
