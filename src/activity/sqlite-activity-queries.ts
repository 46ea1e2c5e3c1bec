// The activity reads over the embedded decision log, synchronous (better-sqlite3), run in the
// reader thread by default (`sqlite-activity-store.ts`). The log is opened read-only: WAL lets
// the writer thread go on while these read.
//
// The overview and the aggregate read hourly and daily counts (`activity-counts.ts`) kept in a
// file of their own (`activity-counts.db`), never in the log: folding them in must not take the
// log's write lock from the writer. Counts are folded in by insertion number (`seq`), which only
// grows with a single writer, so events stored late (a spool replayed after an outage) are
// counted too. The fold checks that the event it stopped at is still there, and counts again
// from nothing when the log was replaced or retention has overtaken it. Each read folds what is
// new first, so the figures always include every stored event.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionEvent } from '../engine/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { databasePath, rowToEvent } from '../store/index.ts';
import { csvHeader, csvRecord } from './activity-csv.ts';
import { HOUR_MS, DAY_MS, aggregateOf, countSpans, expandCounts, liveRows, overviewOf, type CountRow, type CountSpan, type RawCount } from './activity-counts.ts';
import { CSV_CHUNK_ROWS, encodeCursor, matchesNothing, normaliseFilter, subdomainPattern, type NormalFilter } from './activity-filter.ts';
import type { ActivityFilter, ActivityPage, AggregateRow, OverviewFigures, OverviewOptions } from './activity-store.ts';

export interface SqliteActivityQueriesOptions {
  /** the hourly counts file; default `<dataDir>/activity-counts.db`; null keeps them in memory */
  countsPath?: string | null;
}

/** events per fold step, each one transaction on the counts file */
const FOLD_STEP = 250_000;
const COUNTS_VERSION = 3;

export function countsPath(dataDir: string): string {
  return join(dataDir, 'activity-counts.db');
}

interface RawRow {
  at: number;
  groups: string;
  categories: string;
  action: string;
  rule: string;
  n: number;
}

function parseList(text: string, cache: Map<string, string[]>): string[] {
  let list = cache.get(text);
  if (!list) {
    try {
      const value: unknown = JSON.parse(text);
      list = Array.isArray(value) ? value.map(String) : [];
    } catch {
      list = [];
    }
    cache.set(text, list);
  }
  return list;
}

/** The WHERE clause of a filter (without the cursor), with its parameters. */
function whereOf(filter: NormalFilter): { sql: string; params: unknown[] } {
  const where = ['at >= ?', 'at < ?'];
  const params: unknown[] = [filter.from, filter.to];
  const list = (column: string, values: readonly string[]) => {
    where.push(`${column} IN (${values.map(() => '?').join(',')})`);
    params.push(...values);
  };
  if (filter.people) list('person', filter.people);
  if (filter.roles) list('role', filter.roles);
  if (filter.action !== null) (where.push('action = ?'), params.push(filter.action));
  if (filter.host !== null) {
    where.push("(host = ? OR host LIKE ? ESCAPE '\\')");
    params.push(filter.host, subdomainPattern(filter.host));
  }
  // Lists are JSON text: a substring test on the quoted name throws out most rows cheaply, then
  // json_each confirms (a name can appear inside another, escaped).
  const member = (column: string, values: readonly string[]) => {
    where.push(`(${values.map(() => `instr(${column}, ?) > 0`).join(' OR ')})`);
    params.push(...values.map((value) => JSON.stringify(value)));
    where.push(`EXISTS (SELECT 1 FROM json_each(decision_events.${column}) WHERE value IN (${values.map(() => '?').join(',')}))`);
    params.push(...values);
  };
  if (filter.groups) member('groups', filter.groups);
  if (filter.category !== null) member('categories', [filter.category]);
  return { sql: where.join(' AND '), params };
}

export class SqliteActivityQueries {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly counts: Database.Database;
  private readonly listCache = new Map<string, string[]>();
  /** the oldest stored hour when the counts were last pruned */
  private prunedBefore = Number.NaN;

  private constructor(path: string, db: Database.Database, counts: Database.Database) {
    this.path = path;
    this.db = db;
    this.counts = counts;
  }

  static open(dataDir: string, options: SqliteActivityQueriesOptions = {}): SqliteActivityQueries {
    const path = databasePath(dataDir);
    if (!existsSync(path)) throw new HedgerowError('HR_STORE_OPEN', `no decision log at \`${path}\` (start hedgerow first)`);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
    } catch (cause) {
      throw new HedgerowError('HR_STORE_OPEN', `decision log \`${path}\` cannot be opened: ${(cause as Error).message}`, { cause });
    }
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'decision_events'").get();
    if (!table) {
      db.close();
      throw new HedgerowError('HR_STORE_OPEN', `decision log \`${path}\` has no decision events table`);
    }
    const counts = openCounts(options.countsPath === undefined ? countsPath(dataDir) : options.countsPath);
    return new SqliteActivityQueries(path, db, counts);
  }

  search(input: ActivityFilter): ActivityPage {
    const filter = normaliseFilter(input);
    if (matchesNothing(filter)) return { items: [], nextCursor: null };
    const items = this.page(filter, filter.limit + 1);
    const more = items.length > filter.limit;
    if (more) items.length = filter.limit;
    const last = items.at(-1);
    return { items, nextCursor: more && last ? encodeCursor({ at: last.at, id: last.id }) : null };
  }

  /** One chunk of an export: the header first (no cursor), then up to CSV_CHUNK_ROWS records per call. */
  csvChunk(input: Omit<ActivityFilter, 'cursor' | 'limit'>, cursor: string | null, first: boolean): { text: string; nextCursor: string | null } {
    const page = this.search({ ...input, cursor, limit: CSV_CHUNK_ROWS });
    let text = first ? csvHeader() : '';
    for (const event of page.items) text += csvRecord(event);
    return { text, nextCursor: page.nextCursor };
  }

  private page(filter: NormalFilter, limit: number): DecisionEvent[] {
    const { sql, params } = whereOf(filter);
    let where = sql;
    if (filter.after) {
      // a bound on `at` alone first, so the (…, at) indexes limit the scan
      where += ' AND at <= ? AND (at < ? OR id < ?)';
      params.push(filter.after.at, filter.after.at, filter.after.id);
    }
    params.push(limit);
    const rows = this.db.prepare(`SELECT * FROM decision_events WHERE ${where} ORDER BY at DESC, id DESC LIMIT ?`).all(params);
    return (rows as Parameters<typeof rowToEvent>[0][]).map(rowToEvent);
  }

  /** The query plan of a search, one line per step (for checking index use). */
  explainSearch(input: ActivityFilter): string[] {
    const filter = normaliseFilter(input);
    const { sql, params } = whereOf(filter);
    params.push(filter.limit);
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM decision_events WHERE ${sql} ORDER BY at DESC, id DESC LIMIT ?`).all(params);
    return (rows as { detail: string }[]).map((row) => row.detail);
  }

  overview(from: number, to: number, options: OverviewOptions = {}): OverviewFigures {
    const range = normaliseFilter({ from, to });
    if (range.to <= range.from) return overviewOf([], [], []);
    return this.snapshot(() => {
      const rows = this.countedRows(range.from, range.to, false);
      const alerts = this.db
        .prepare(
          `SELECT at, person, host, rule FROM decision_events WHERE circumvention = 1 AND at >= ? AND at < ?
           ORDER BY at DESC, id DESC LIMIT 50`,
        )
        .all(range.from, range.to) as OverviewFigures['alerts'];
      return overviewOf(rows, alerts, options.logRules ?? []);
    });
  }

  aggregate(from: number, to: number): AggregateRow[] {
    const range = normaliseFilter({ from, to });
    if (range.to <= range.from) return [];
    return this.snapshot(() => aggregateOf(this.countedRows(range.from, range.to, true)));
  }

  /** One read transaction, so the counts and the log agree while the writer goes on. */
  private snapshot<T>(read: () => T): T {
    this.db.exec('BEGIN');
    try {
      this.fold();
      return read();
    } finally {
      this.db.exec('COMMIT');
    }
  }

  /**
   * Counts of [from, to): stored days and hours, and the events of the parts that are not. The
   * aggregate (`useDays`) needs the group kind summed over the range; the overview needs the rule
   * and block kinds hour by hour.
   */
  private countedRows(from: number, to: number, useDays: boolean): CountRow[] {
    const oldest = (this.db.prepare('SELECT min(at) AS at FROM decision_events').get() as { at: number | null }).at;
    const spans = countSpans(from, to, oldest, useDays);
    const rows: CountRow[] = [];
    // Summed here rather than in JavaScript: a month is tens of thousands of stored rows.
    const stored = useDays
      ? this.counts.prepare(
          "SELECT kind, 0 AS start, a, b, c, sum(n) AS n FROM counts WHERE kind = 'group' AND span = ? AND start >= ? AND start < ? GROUP BY a, b, c",
        )
      : this.counts.prepare(
          "SELECT kind, start, a, b, c, sum(n) AS n FROM counts WHERE kind IN ('rule', 'block') AND span = ? AND start >= ? AND start < ? GROUP BY kind, start, a, b, c",
        );
    if (spans.days) rows.push(...(stored.all('day', spans.days[0], spans.days[1]) as CountRow[]));
    for (const [start, end] of spans.hours) rows.push(...(stored.all('hour', start, end) as CountRow[]));
    const live = this.db.prepare(
      `SELECT at - at % ${HOUR_MS} AS at, groups, categories, action, rule, count(*) AS n FROM decision_events
       WHERE at >= ? AND at < ? GROUP BY 1, groups, categories, action, rule`,
    );
    for (const [start, end] of spans.live) rows.push(...liveRows(this.raw(live.all(start, end) as RawRow[])));
    return rows;
  }

  private *raw(rows: Iterable<RawRow>): Iterable<RawCount> {
    for (const row of rows) {
      yield {
        at: row.at,
        groups: parseList(row.groups, this.listCache),
        categories: parseList(row.categories, this.listCache),
        action: row.action,
        rule: row.rule,
        n: row.n,
      };
    }
  }

  /**
   * Folds events stored since the last fold into the counts, at most `limit` of them (default:
   * all); returns how many. Inside the caller's read transaction when there is one.
   */
  fold(limit = Number.POSITIVE_INFINITY): number {
    const own = !this.db.inTransaction;
    if (own) this.db.exec('BEGIN');
    try {
      const newest = (this.db.prepare('SELECT max(seq) AS seq FROM decision_events').get() as { seq: number | null }).seq ?? 0;
      const mark = this.counts.prepare("SELECT seq, id FROM folded WHERE source = 'decision_events'").get() as { seq: number; id: string } | undefined;
      let from = mark?.seq ?? 0;
      if (from > 0) {
        const still = this.db.prepare('SELECT id FROM decision_events WHERE seq = ?').get(from) as { id: string } | undefined;
        if (still?.id !== mark!.id) {
          // Another log, or retention deleted past the mark: count everything again.
          this.counts.exec('DELETE FROM counts; DELETE FROM folded');
          from = 0;
        }
      }
      let folded = 0;
      const step = this.db.prepare(
        `SELECT at - at % ${HOUR_MS} AS at, groups, categories, action, rule, count(*) AS n FROM decision_events
         WHERE seq > ? AND seq <= ? GROUP BY 1, groups, categories, action, rule`,
      );
      const lastIn = this.db.prepare('SELECT seq, id FROM decision_events WHERE seq > ? AND seq <= ? ORDER BY seq DESC LIMIT 1');
      const upsert = this.counts.prepare(
        'INSERT INTO counts (kind, span, start, a, b, c, n) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, span, start, a, b, c) DO UPDATE SET n = n + excluded.n',
      );
      const readMark = this.counts.prepare("SELECT seq FROM folded WHERE source = 'decision_events'").pluck();
      const setMark = this.counts.prepare("INSERT OR REPLACE INTO folded (source, seq, id) VALUES ('decision_events', ?, ?)");
      // Applies a step only if no other process folded meanwhile (both would count the same events).
      const apply = this.counts.transaction((cells: Map<string, number>, expected: number, seq: number, id: string): boolean => {
        if (((readMark.get() as number | undefined) ?? 0) !== expected) return false;
        for (const [key, n] of cells) {
          const [kind, span, start, a, b, c] = key.split('\u0000') as [string, string, string, string, string, string];
          upsert.run(kind, span, Number(start), a, b, c, n);
        }
        setMark.run(seq, id);
        return true;
      });
      const spans: CountSpan[] = ['hour', 'day'];
      while (from < newest && folded < limit) {
        const to = Math.min(newest, from + FOLD_STEP);
        const last = lastIn.get(from, to) as { seq: number; id: string } | undefined;
        if (!last) {
          from = to;
          continue;
        }
        const cells = new Map<string, number>();
        let n = 0;
        for (const raw of this.raw(step.all(from, to) as RawRow[])) {
          expandCounts(raw, spans, (kind, span, start, a, b, c, count) => {
            const key = `${kind}\u0000${span}\u0000${start}\u0000${a}\u0000${b}\u0000${c}`;
            cells.set(key, (cells.get(key) ?? 0) + count);
          });
          n += raw.n;
        }
        if (apply.immediate(cells, from, last.seq, last.id)) {
          folded += n;
          from = last.seq;
        } else {
          from = (readMark.get() as number | undefined) ?? 0;
        }
      }
      // Buckets wholly before the oldest stored event were deleted by retention.
      const oldest = (this.db.prepare('SELECT min(at) AS at FROM decision_events').get() as { at: number | null }).at;
      if (oldest !== null && Math.floor(oldest / HOUR_MS) * HOUR_MS !== this.prunedBefore) {
        const hour = Math.floor(oldest / HOUR_MS) * HOUR_MS;
        const prune = this.counts.prepare('DELETE FROM counts WHERE kind = ? AND span = ? AND start < ?');
        this.counts.transaction(() => {
          for (const kind of ['group', 'rule', 'block']) {
            prune.run(kind, 'hour', hour);
            prune.run(kind, 'day', Math.floor(oldest / DAY_MS) * DAY_MS);
          }
        }).immediate();
        this.prunedBefore = hour;
      }
      return folded;
    } finally {
      if (own) this.db.exec('COMMIT');
    }
  }

  /** Events stored and not yet folded into the counts. */
  unfolded(): number {
    const newest = (this.db.prepare('SELECT max(seq) AS seq FROM decision_events').get() as { seq: number | null }).seq ?? 0;
    const mark = (this.counts.prepare("SELECT seq FROM folded WHERE source = 'decision_events'").pluck().get() as number | undefined) ?? 0;
    return Math.max(0, newest - mark);
  }

  close(): void {
    if (this.db.open) this.db.close();
    if (this.counts.open) this.counts.close();
  }
}

function openCounts(path: string | null): Database.Database {
  let counts: Database.Database;
  try {
    counts = new Database(path ?? ':memory:');
    counts.pragma('busy_timeout = 5000');
    if (path !== null) counts.pragma('journal_mode = WAL');
  } catch {
    // A data folder we may not write to: keep the counts in memory (folded again after a restart).
    counts = new Database(':memory:');
  }
  counts.pragma('synchronous = NORMAL');
  if ((counts.pragma('user_version', { simple: true }) as number) !== COUNTS_VERSION) {
    counts.exec(`
      DROP TABLE IF EXISTS counts;
      DROP TABLE IF EXISTS folded;
      CREATE TABLE counts (
        kind TEXT NOT NULL,
        span TEXT NOT NULL,
        start INTEGER NOT NULL,
        a TEXT NOT NULL,
        b TEXT NOT NULL,
        c TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (kind, span, start, a, b, c)
      ) WITHOUT ROWID;
      CREATE TABLE folded (source TEXT PRIMARY KEY, seq INTEGER NOT NULL, id TEXT NOT NULL);
      PRAGMA user_version = ${COUNTS_VERSION};
    `);
  }
  return counts;
}
