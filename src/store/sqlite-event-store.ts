// The embedded store: better-sqlite3 on `<dataDir>/hedgerow.db`, WAL mode. The hot path is one
// transaction per batch made of prepared multi-row `INSERT OR IGNORE` statements.
//
// NOTE: SQLite keeps writing to a database file whose name was removed (the data folder deleted)
// and reports success, so every event stored after that would vanish with the last handle. Each
// operation first checks that the file at `path` is still the one open, and opens it again
// (creating it, with its migrations) when it is not.
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HedgerowError } from '../errors/index.ts';
import type { DecisionEvent } from '../engine/index.ts';
import { searchLimit, type EventQuery, type EventStoreBackend, type MigrationReport } from './event-store-backend.ts';
import { runSqliteMigrations } from './migrations.ts';

const COLUMNS = [
  'id', 'v', 'at', 'point', 'person', 'role', 'groups', 'device', 'client_ip', 'host', 'url',
  'categories', 'action', 'rule', 'clauses', 'circumvention', 'policy_revision', 'warn_reason', 'search_term',
] as const;
/** rows per multi-row INSERT: 64 × 19 parameters stays far below SQLite's limit */
const ROWS_PER_INSERT = 64;

type Row = Record<(typeof COLUMNS)[number], string | number | null> & { seq: number };

export function databasePath(dataDir: string): string {
  return join(dataDir, 'hedgerow.db');
}

export interface SqliteEventStoreOptions {
  /** open an existing database for reading only (`hedgerow logs`); no migrations run */
  readonly?: boolean;
  /** WAL pages between automatic checkpoints (SQLite's default is 1,000) */
  walAutocheckpointPages?: number;
  /** told when the file was removed or replaced while open and has been opened again */
  onReopen?: (message: string) => void;
}

/** device and inode of the file at `path`, or null when there is none */
function fileIdentity(path: string): string | null {
  if (path === '' || path === ':memory:') return null;
  try {
    const stat = statSync(path);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}

function insertSql(rows: number): string {
  const one = `(${COLUMNS.map(() => '?').join(',')})`;
  return `INSERT OR IGNORE INTO decision_events (${COLUMNS.join(',')}) VALUES ${Array(rows).fill(one).join(',')}`;
}

function pushValues(values: unknown[], e: DecisionEvent): void {
  values.push(
    e.id, e.v, e.at, e.point, e.person, e.role, JSON.stringify(e.groups ?? []), e.device, e.clientIp, e.host, e.url,
    JSON.stringify(e.categories ?? []), e.action, e.rule, JSON.stringify(e.clauses ?? []), e.circumvention ? 1 : 0,
    e.policyRevision, e.warnReason, e.searchTerm,
  );
}

function parseList(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}

/** Reads a row of any stored version as the current event shape. */
export function rowToEvent(row: Row): DecisionEvent {
  // Only version 1 exists; a later version adds a branch here so version-1 rows stay readable.
  return {
    v: 1,
    id: String(row.id),
    at: Number(row.at),
    point: String(row.point) as DecisionEvent['point'],
    person: row.person === null ? null : String(row.person),
    role: String(row.role),
    groups: parseList(row.groups),
    device: row.device === null ? null : String(row.device),
    clientIp: row.client_ip === null ? null : String(row.client_ip),
    host: String(row.host),
    url: row.url === null ? null : String(row.url),
    categories: parseList(row.categories),
    action: String(row.action) as DecisionEvent['action'],
    rule: String(row.rule),
    clauses: parseList(row.clauses),
    circumvention: row.circumvention === 1,
    policyRevision: String(row.policy_revision),
    warnReason: row.warn_reason === null ? null : String(row.warn_reason),
    searchTerm: row.search_term === null ? null : String(row.search_term),
  };
}

/** The WHERE/ORDER/LIMIT of a search, shared by `search` and `explain`. */
function searchSql(query: EventQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.person !== undefined) (where.push('person = ?'), params.push(query.person));
  if (query.host !== undefined) (where.push('host = ?'), params.push(query.host));
  if (query.from !== undefined) (where.push('at >= ?'), params.push(query.from));
  if (query.to !== undefined) (where.push('at < ?'), params.push(query.to));
  if (query.action !== undefined) (where.push('action = ?'), params.push(query.action));
  if (query.point !== undefined) (where.push('point = ?'), params.push(query.point));
  if (query.circumvention !== undefined) (where.push('circumvention = ?'), params.push(query.circumvention ? 1 : 0));
  if (query.before !== undefined) {
    // Written as a range on `at` plus a tie-break so the (…, at) indexes bound the scan.
    where.push('at <= ? AND (at < ? OR id < ?)');
    params.push(query.before.at, query.before.at, query.before.id);
  }
  const sql = `SELECT * FROM decision_events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`;
  params.push(searchLimit(query.limit));
  return { sql, params };
}

/** Opens the connection (creating the file and running missing migrations unless read-only). */
function openConnection(path: string, options: SqliteEventStoreOptions): { db: Database.Database; report: MigrationReport } {
  let db: Database.Database;
  try {
    if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  } catch (cause) {
    throw new HedgerowError('HR_STORE_OPEN', `decision log \`${path}\` cannot be opened: ${(cause as Error).message}`, { cause });
  }
  if (options.readonly) {
    db.pragma('busy_timeout = 5000');
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'decision_events'").get();
    if (!table) {
      db.close();
      throw new HedgerowError('HR_STORE_OPEN', `decision log \`${path}\` has no decision events table`);
    }
    return { db, report: { applied: [], alreadyApplied: [] } };
  }
  // WAL lets `hedgerow logs` read while the server writes; NORMAL sync is durable across a
  // process crash (the spool covers the rest, see docs/decision-log.md).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Checkpoints fsync and run on the writing thread; fewer, larger ones cost less in total
  // (about twice the insert rate of the 1,000-page default on a slow disk).
  db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages ?? 10_000}`);
  const report = runSqliteMigrations(db);
  if (report.failed) {
    db.close();
    throw new HedgerowError('HR_STORE_MIGRATION', `decision log \`${path}\`: migration \`${report.failed.id}\` failed: ${report.failed.message}`);
  }
  return { db, report };
}

export class SqliteEventStore implements EventStoreBackend {
  readonly path: string;
  readonly migrations: MigrationReport;
  /** times the file was found removed or replaced and opened again */
  reopened = 0;
  private readonly options: SqliteEventStoreOptions;
  private db!: Database.Database;
  private identity: string | null = null;
  private insertMany: Database.Statement | null = null;
  private insertOne: Database.Statement | null = null;
  private write: ((events: readonly DecisionEvent[]) => void) | null = null;

  private constructor(path: string, db: Database.Database, migrations: MigrationReport, options: SqliteEventStoreOptions) {
    this.path = path;
    this.migrations = migrations;
    this.options = options;
    this.attach(db);
  }

  private attach(db: Database.Database): void {
    this.db = db;
    this.identity = fileIdentity(this.path);
    this.insertMany = null;
    this.insertOne = null;
    this.write = null;
    if (!db.readonly) {
      const insertMany = db.prepare(insertSql(ROWS_PER_INSERT));
      const insertOne = db.prepare(insertSql(1));
      this.insertMany = insertMany;
      this.insertOne = insertOne;
      this.write = db.transaction((events: readonly DecisionEvent[]) => {
        let index = 0;
        const values: unknown[] = [];
        for (; index + ROWS_PER_INSERT <= events.length; index += ROWS_PER_INSERT) {
          values.length = 0;
          for (let k = index; k < index + ROWS_PER_INSERT; k++) pushValues(values, events[k]!);
          insertMany.run(values);
        }
        for (; index < events.length; index++) {
          values.length = 0;
          pushValues(values, events[index]!);
          insertOne.run(values);
        }
      });
    }
  }

  /** Opens (creating if need be) the database and runs the migrations that are missing. */
  static open(path: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const { db, report } = openConnection(path, options);
    return new SqliteEventStore(path, db, report, options);
  }

  /**
   * Opens the file again when the one open is no longer at `path` (removed, or replaced by a
   * restore). One stat per call: cheap beside a batch or a search.
   */
  private ensureFile(): void {
    if (this.identity === null || !this.db.open) return;
    const found = fileIdentity(this.path);
    if (found === this.identity) return;
    const what = found === null ? 'removed' : 'replaced';
    try {
      this.db.close();
    } catch {
      // the old file is gone; nothing of it is needed
    }
    const { db } = openConnection(this.path, this.options);
    this.attach(db);
    this.reopened++;
    this.options.onReopen?.(
      `decision log \`${this.path}\` was ${what} while open; opened ${found === null ? 'a new one' : 'the file now there'} (events stored in the old file went with it)`,
    );
  }

  writeBatch(events: readonly DecisionEvent[]): void {
    if (!this.write) throw new Error(`decision log \`${this.path}\` is open read-only`);
    if (events.length === 0) return;
    this.ensureFile();
    this.write!(events);
  }

  search(query: EventQuery): DecisionEvent[] {
    this.ensureFile();
    const { sql, params } = searchSql(query);
    return (this.db.prepare(sql).all(params) as Row[]).map(rowToEvent);
  }

  /** The query plan SQLite picks for a search (one line per step), for checking index use. */
  explain(query: EventQuery): string[] {
    const { sql, params } = searchSql(query);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((row) => row.detail);
  }

  tail(n: number): DecisionEvent[] {
    return this.search({ limit: n });
  }

  /** Events stored after insertion number `seq`, oldest first (for `logs tail --follow`). */
  readAfter(seq: number, limit = 1000): { seq: number; event: DecisionEvent }[] {
    this.ensureFile();
    const rows = this.db.prepare('SELECT * FROM decision_events WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as Row[];
    return rows.map((row) => ({ seq: row.seq, event: rowToEvent(row) }));
  }

  /** The insertion number of the newest stored event (0 when empty). */
  lastSeq(): number {
    this.ensureFile();
    const row = this.db.prepare('SELECT max(seq) AS seq FROM decision_events').get() as { seq: number | null };
    return row.seq ?? 0;
  }

  count(): number {
    this.ensureFile();
    return (this.db.prepare('SELECT count(*) AS n FROM decision_events').get() as { n: number }).n;
  }

  deleteBefore(ms: number): number {
    this.ensureFile();
    // In slices so one retention pass never holds the write lock for long.
    const slice = this.db.prepare('DELETE FROM decision_events WHERE seq IN (SELECT seq FROM decision_events WHERE at < ? LIMIT 10000)');
    let total = 0;
    for (;;) {
      const { changes } = slice.run(ms);
      total += changes;
      if (changes < 10_000) return total;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
