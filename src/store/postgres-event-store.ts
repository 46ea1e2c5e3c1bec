// The decision log on PostgreSQL, for many filter nodes sharing one server. A batch is one
// statement: the events travel as one JSON parameter, expanded by json_to_recordset, inserted with
// ON CONFLICT DO NOTHING (so a spool replayed twice stores nothing twice), and the rows really
// inserted are added to the hourly counts in the same statement, so the counts never disagree
// with the events. Everything here is asynchronous; the decision log awaits it.
import pg from 'pg';
import type { DecisionEvent } from '../engine/index.ts';
import { redactDatabaseUrl } from '../db/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { searchLimit, type EventQuery, type EventStoreBackend, type MigrationReport } from './event-store-backend.ts';
import { runPostgresMigrations } from './postgres-migrations.ts';

export interface PostgresEventStoreOptions {
  /** most connections when the store opens its own pool (default 4) */
  poolSize?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const DELETE_SLICE = 10_000;

/** The columns of a stored event, as json_to_recordset reads them from the event's own JSON. */
const RECORD = `r(id text, v smallint, at bigint, point text, person text, role text, groups text[], device text,
  "clientIp" text, host text, url text, categories text[], action text, rule text, clauses text[],
  circumvention boolean, "policyRevision" text, "warnReason" text, "searchTerm" text)`;

const ALL_GROUPS = "CASE WHEN cardinality(s.groups) = 0 THEN ARRAY[''] ELSE s.groups END";
const ALL_CATEGORIES = "CASE WHEN cardinality(s.categories) = 0 THEN ARRAY[''] ELSE s.categories END";

/**
 * The counts a set of rows (with at, groups, categories, action, rule) adds, per hour and per
 * day, as src/activity/activity-counts.ts defines them. Sorted, so two writers upserting the same
 * buckets take the row locks in the same order and never deadlock. `where` may use `s.`.
 */
export function countsSelect(source: string, where = ''): string {
  const and = (extra: string) => (where === '' ? `WHERE ${extra}` : `${where} AND ${extra}`);
  return `SELECT x.kind, t.span, t.start, x.a, x.b, x.c, count(*) AS n FROM (
      SELECT 'group' AS kind, gx AS a, cx AS b, s.action AS c, s.at FROM ${source} s
        CROSS JOIN LATERAL unnest(${ALL_GROUPS}) AS gx
        CROSS JOIN LATERAL unnest(${ALL_CATEGORIES}) AS cx ${where}
      UNION ALL
      SELECT 'rule', s.action, s.rule, '', s.at FROM ${source} s ${where}
      UNION ALL
      SELECT 'block', cx, '', '', s.at FROM ${source} s
        CROSS JOIN LATERAL unnest(${ALL_CATEGORIES}) AS cx ${and("s.action = 'block'")}
    ) x
    CROSS JOIN LATERAL (VALUES ('hour', x.at - x.at % ${HOUR_MS}), ('day', x.at - x.at % ${DAY_MS})) AS t(span, start)
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`;
}

const INSERT_BATCH = `
  WITH ins AS (
    INSERT INTO decision_events (at, id, v, point, person, role, groups, device, client_ip, host, url,
      categories, action, rule, clauses, circumvention, policy_revision, warn_reason, search_term)
    SELECT at, id, v, point, person, role, coalesce(groups, '{}'), device, "clientIp", host, url,
      coalesce(categories, '{}'), action, rule, coalesce(clauses, '{}'), circumvention, "policyRevision",
      "warnReason", "searchTerm"
    FROM json_to_recordset($1::json) AS ${RECORD}
    ON CONFLICT (at, id) DO NOTHING
    RETURNING at, groups, categories, action, rule
  )
  INSERT INTO decision_counts (kind, span, start, a, b, c, n)
  ${countsSelect('ins')}
  ON CONFLICT (kind, span, start, a, b, c) DO UPDATE SET n = decision_counts.n + EXCLUDED.n`;

export interface PostgresRow {
  at: string | number;
  id: string;
  v: number;
  point: string;
  person: string | null;
  role: string;
  groups: string[];
  device: string | null;
  client_ip: string | null;
  host: string;
  url: string | null;
  categories: string[];
  action: string;
  rule: string;
  clauses: string[];
  circumvention: boolean;
  policy_revision: string;
  warn_reason: string | null;
  search_term: string | null;
}

/** Reads a stored row as the current event shape (bigint arrives as text unless a parser says otherwise). */
export function postgresRowToEvent(row: PostgresRow): DecisionEvent {
  return {
    v: 1,
    id: row.id,
    at: Number(row.at),
    point: row.point as DecisionEvent['point'],
    person: row.person,
    role: row.role,
    groups: row.groups ?? [],
    device: row.device,
    clientIp: row.client_ip,
    host: row.host,
    url: row.url,
    categories: row.categories ?? [],
    action: row.action as DecisionEvent['action'],
    rule: row.rule,
    clauses: row.clauses ?? [],
    circumvention: row.circumvention,
    policyRevision: row.policy_revision,
    warnReason: row.warn_reason,
    searchTerm: row.search_term,
  };
}

export function openPostgresPool(url: string, poolSize: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its server emits 'error' on the pool; unhandled, that ends the process.
  // The next query reports the outage instead.
  pool.on('error', () => {});
  return pool;
}

/** Runs `work` on one pooled connection inside `begin` … COMMIT, rolling back on failure. */
export async function inPostgresTransaction(pool: pg.Pool, begin: string, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export class PostgresEventStore implements EventStoreBackend {
  readonly pool: pg.Pool;
  readonly migrations: MigrationReport;
  private readonly ownsPool: boolean;
  private closed = false;

  private constructor(pool: pg.Pool, ownsPool: boolean, migrations: MigrationReport) {
    this.pool = pool;
    this.ownsPool = ownsPool;
    this.migrations = migrations;
  }

  /**
   * Connects (a `postgres://` URL, or a pool the caller keeps and ends) and runs the migrations
   * that are missing.
   */
  static async open(source: string | pg.Pool, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const ownsPool = typeof source === 'string';
    const pool = typeof source === 'string' ? openPostgresPool(source, options.poolSize ?? 4) : source;
    const name = typeof source === 'string' ? `\`${redactDatabaseUrl(source)}\`` : 'the PostgreSQL pool';
    let report: MigrationReport;
    try {
      report = await runPostgresMigrations(pool);
    } catch (error) {
      if (ownsPool) await pool.end().catch(() => undefined);
      throw new HedgerowError('HR_STORE_OPEN', `decision log on ${name} cannot be opened: ${(error as Error).message}`, { cause: error });
    }
    if (report.failed) {
      if (ownsPool) await pool.end().catch(() => undefined);
      throw new HedgerowError('HR_STORE_MIGRATION', `decision log on ${name}: migration \`${report.failed.id}\` failed: ${report.failed.message}`);
    }
    return new PostgresEventStore(pool, ownsPool, report);
  }

  async writeBatch(events: readonly DecisionEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.pool.query(INSERT_BATCH, [JSON.stringify(events)]);
  }

  async search(query: EventQuery): Promise<DecisionEvent[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (query.person !== undefined) add((n) => `person = $${n}`, query.person);
    if (query.host !== undefined) add((n) => `host = $${n}`, query.host);
    if (query.from !== undefined) add((n) => `at >= $${n}`, query.from);
    if (query.to !== undefined) add((n) => `at < $${n}`, query.to);
    if (query.action !== undefined) add((n) => `action = $${n}`, query.action);
    if (query.point !== undefined) add((n) => `point = $${n}`, query.point);
    if (query.circumvention !== undefined) add((n) => `circumvention = $${n}`, query.circumvention);
    if (query.before !== undefined) {
      params.push(query.before.at, query.before.id);
      where.push(`(at, id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(searchLimit(query.limit));
    const sql = `SELECT * FROM decision_events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT $${params.length}`;
    const { rows } = await this.pool.query<PostgresRow>(sql, params);
    return rows.map(postgresRowToEvent);
  }

  tail(n: number): Promise<DecisionEvent[]> {
    return this.search({ limit: n });
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM decision_events');
    return Number(rows[0]!.n);
  }

  /**
   * Deletes events with `at` < `ms` in slices (no long-held locks), then brings the counts in
   * step: buckets wholly before `ms` go, the hour `ms` falls in is counted again, and its day goes
   * (the activity store reads the oldest stored day by the hour).
   */
  async deleteBefore(ms: number): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        'DELETE FROM decision_events WHERE (at, id) IN (SELECT at, id FROM decision_events WHERE at < $1 ORDER BY at LIMIT $2)',
        [ms, DELETE_SLICE],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < DELETE_SLICE) break;
    }
    const hour = Math.floor(ms / HOUR_MS) * HOUR_MS;
    const day = Math.floor(ms / DAY_MS) * DAY_MS;
    await this.transaction(async (client) => {
      // Writers wait for the few milliseconds of the recount rather than count into it.
      await client.query('LOCK TABLE decision_counts IN SHARE ROW EXCLUSIVE MODE');
      await client.query(
        "DELETE FROM decision_counts WHERE kind IN ('group', 'rule', 'block') AND ((span = 'hour' AND start <= $1) OR (span = 'day' AND start <= $2))",
        [hour, day],
      );
      await client.query(
        `INSERT INTO decision_counts (kind, span, start, a, b, c, n)
         SELECT * FROM (${countsSelect('decision_events', 'WHERE s.at >= $1 AND s.at < $2')}) q WHERE q.span = 'hour'`,
        [hour, hour + HOUR_MS],
      );
    });
    return total;
  }

  /**
   * Counts every stored event again (after a bulk load that bypassed `writeBatch`, say). Writers
   * wait while it runs.
   */
  async rebuildCounts(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('LOCK TABLE decision_events IN SHARE MODE');
      await client.query('TRUNCATE decision_counts');
      await client.query(`INSERT INTO decision_counts (kind, span, start, a, b, c, n) ${countsSelect('decision_events')}`);
    });
  }

  private transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    return inPostgresTransaction(this.pool, 'BEGIN', work);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}
