// The activity store over the decision log in PostgreSQL (the tables of the store's PostgreSQL
// migrations, written by `PostgresEventStore`). Figures that must agree with each other (an
// overview, an aggregate) are read in one read-only snapshot.
import type pg from 'pg';
import type { DecisionEvent } from '../engine/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { inPostgresTransaction, openPostgresPool, postgresRowToEvent, runPostgresMigrations, type PostgresRow } from '../store/index.ts';
import { csvHeader, csvRecord } from './activity-csv.ts';
import { HOUR_MS, aggregateOf, countSpans, liveRows, overviewOf, type CountRow } from './activity-counts.ts';
import { CSV_CHUNK_ROWS, encodeCursor, matchesNothing, normaliseFilter, subdomainPattern, type NormalFilter } from './activity-filter.ts';
import type { ActivityFilter, ActivityPage, ActivityStore, AggregateRow, OverviewFigures, OverviewOptions } from './activity-store.ts';

export interface PostgresActivityStoreOptions {
  /** most connections when the store opens its own pool (default 4) */
  poolSize?: number;
}

function searchSql(filter: NormalFilter, limit: number): { sql: string; params: unknown[] } {
  const where = ['at >= $1', 'at < $2'];
  const params: unknown[] = [filter.from, filter.to];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  // One person is the common case; `= $n` lets the planner use the (person, at, id) index in order.
  if (filter.people?.length === 1) add((n) => `person = $${n}`, filter.people[0]);
  else if (filter.people) add((n) => `person = ANY($${n}::text[])`, filter.people);
  if (filter.roles) add((n) => `role = ANY($${n}::text[])`, filter.roles);
  if (filter.action !== null) add((n) => `action = $${n}`, filter.action);
  if (filter.host !== null) {
    params.push(filter.host, subdomainPattern(filter.host));
    where.push(`(host = $${params.length - 1} OR host LIKE $${params.length})`);
  }
  if (filter.groups) add((n) => `groups && $${n}::text[]`, filter.groups);
  if (filter.category !== null) add((n) => `$${n} = ANY(categories)`, filter.category);
  if (filter.after) {
    params.push(filter.after.at, filter.after.id);
    where.push(`(at, id) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(limit);
  return { sql: `SELECT * FROM decision_events WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT $${params.length}`, params };
}

export class PostgresActivityStore implements ActivityStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;

  private constructor(pool: pg.Pool, ownsPool: boolean) {
    this.pool = pool;
    this.ownsPool = ownsPool;
  }

  /** Connects (a URL, or a pool the caller keeps) and makes sure the decision log's tables exist. */
  static async open(source: string | pg.Pool, options: PostgresActivityStoreOptions = {}): Promise<PostgresActivityStore> {
    const ownsPool = typeof source === 'string';
    const pool = typeof source === 'string' ? openPostgresPool(source, options.poolSize ?? 4) : source;
    try {
      const report = await runPostgresMigrations(pool);
      if (report.failed) {
        throw new HedgerowError('HR_STORE_MIGRATION', `activity store: migration \`${report.failed.id}\` failed: ${report.failed.message}`);
      }
    } catch (error) {
      if (ownsPool) await pool.end().catch(() => undefined);
      if (error instanceof HedgerowError) throw error;
      throw new HedgerowError('HR_STORE_OPEN', `activity store: PostgreSQL cannot be reached: ${(error as Error).message}`, { cause: error });
    }
    return new PostgresActivityStore(pool, ownsPool);
  }

  async search(input: ActivityFilter): Promise<ActivityPage> {
    const filter = normaliseFilter(input);
    if (matchesNothing(filter)) return { items: [], nextCursor: null };
    const items = await this.page(filter, filter.limit + 1);
    const more = items.length > filter.limit;
    if (more) items.length = filter.limit;
    const last = items.at(-1);
    return { items, nextCursor: more && last ? encodeCursor({ at: last.at, id: last.id }) : null };
  }

  private async page(filter: NormalFilter, limit: number): Promise<DecisionEvent[]> {
    const { sql, params } = searchSql(filter, limit);
    const { rows } = await this.pool.query<PostgresRow>(sql, params);
    return rows.map(postgresRowToEvent);
  }

  /** The plan PostgreSQL picks for a search (for checking index use). */
  async explainSearch(input: ActivityFilter): Promise<string[]> {
    const filter = normaliseFilter(input);
    const { sql, params } = searchSql(filter, filter.limit);
    const { rows } = await this.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    return rows.map((row) => row['QUERY PLAN']);
  }

  async *exportCsv(input: Omit<ActivityFilter, 'cursor' | 'limit'>): AsyncIterable<string> {
    let filter = normaliseFilter({ ...input, limit: CSV_CHUNK_ROWS });
    yield csvHeader();
    if (matchesNothing(filter)) return;
    for (;;) {
      const items = await this.page(filter, CSV_CHUNK_ROWS);
      if (items.length === 0) return;
      let text = '';
      for (const event of items) text += csvRecord(event);
      yield text;
      if (items.length < CSV_CHUNK_ROWS) return;
      const last = items.at(-1)!;
      filter = { ...filter, after: { at: last.at, id: last.id } };
    }
  }

  async overview(from: number, to: number, options: OverviewOptions = {}): Promise<OverviewFigures> {
    const range = normaliseFilter({ from, to });
    if (range.to <= range.from) return overviewOf([], [], []);
    let figures: OverviewFigures | null = null;
    await this.snapshot(async (client) => {
      const rows = await this.countedRows(client, range.from, range.to, false);
      const alerts = await client.query<{ at: string; person: string | null; host: string; rule: string }>(
        `SELECT at, person, host, rule FROM decision_events WHERE circumvention AND at >= $1 AND at < $2
         ORDER BY at DESC, id DESC LIMIT 50`,
        [range.from, range.to],
      );
      figures = overviewOf(
        rows,
        alerts.rows.map((row) => ({ at: Number(row.at), person: row.person, host: row.host, rule: row.rule })),
        options.logRules ?? [],
      );
    });
    return figures!;
  }

  async aggregate(from: number, to: number): Promise<AggregateRow[]> {
    const range = normaliseFilter({ from, to });
    if (range.to <= range.from) return [];
    let rows: CountRow[] = [];
    await this.snapshot(async (client) => {
      rows = await this.countedRows(client, range.from, range.to, true);
    });
    return aggregateOf(rows);
  }

  /** Counts of [from, to): stored days and hours, and the events of the parts that are not. */
  private async countedRows(client: pg.PoolClient, from: number, to: number, useDays: boolean): Promise<CountRow[]> {
    const oldest = (await client.query<{ at: string | null }>('SELECT min(at) AS at FROM decision_events')).rows[0]!.at;
    const spans = countSpans(from, to, oldest === null ? null : Number(oldest), useDays);
    const rows: CountRow[] = [];
    // Summed by the server: a month is tens of thousands of stored rows. The aggregate needs the
    // group kind over the whole range; the overview the rule and block kinds hour by hour.
    const sql = useDays
      ? "SELECT kind, 0 AS start, a, b, c, sum(n) AS n FROM decision_counts WHERE kind = 'group' AND span = $1 AND start >= $2 AND start < $3 GROUP BY kind, a, b, c"
      : "SELECT kind, start, a, b, c, sum(n) AS n FROM decision_counts WHERE kind IN ('rule', 'block') AND span = $1 AND start >= $2 AND start < $3 GROUP BY kind, start, a, b, c";
    const stored = async (span: 'hour' | 'day', start: number, end: number) => {
      const found = await client.query<{ kind: CountRow['kind']; start: string; a: string; b: string; c: string; n: string }>(sql, [span, start, end]);
      for (const row of found.rows) rows.push({ kind: row.kind, start: Number(row.start), a: row.a, b: row.b, c: row.c, n: Number(row.n) });
    };
    if (spans.days) await stored('day', spans.days[0], spans.days[1]);
    for (const [start, end] of spans.hours) await stored('hour', start, end);
    for (const [start, end] of spans.live) {
      const live = await client.query<{ at: string; groups: string[]; categories: string[]; action: string; rule: string; n: string }>(
        `SELECT at - at % ${HOUR_MS} AS at, groups, categories, action, rule, count(*) AS n FROM decision_events
         WHERE at >= $1 AND at < $2 GROUP BY 1, 2, 3, 4, 5`,
        [start, end],
      );
      rows.push(
        ...liveRows(
          live.rows.map((row) => ({ at: Number(row.at), groups: row.groups, categories: row.categories, action: row.action, rule: row.rule, n: Number(row.n) })),
        ),
      );
    }
    return rows;
  }

  /** A consistent read of several queries. */
  private snapshot(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    return inPostgresTransaction(this.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}
