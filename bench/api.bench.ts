// The dashboard's reads over a month of decision events, on SQLite and on PostgreSQL: the activity
// search for one person over one week (first page and a later page), the overview of one day and
// the aggregate report of the month. Prints p50/p95/max over the runs, the load time and the
// database size, and writes the output to bench/results/api-<date>.txt.
//
// Run: npm run bench:api [-- --events 1000000] [--runs 20] [--only sqlite|postgres] [--fresh]
//
// SQLite is loaded through the store's own insert path (SqliteEventStore.writeBatch, the
// multi-row INSERT OR IGNORE the writer thread uses, 10,000 events a transaction) and cached
// under /tmp keyed by the generator's version and the event count, so a re-run skips the load.
// PostgreSQL is a throwaway cluster started as the tests start theirs, loaded through
// PostgresEventStore.writeBatch (multi-row insert from one JSON parameter, counts kept in the same
// statement), two batches in flight, then VACUUM ANALYZE as autovacuum would do.
// Queries are timed at the query layer (the ActivityStore, SQLite through its reader thread),
// then through HTTP: Hedgerow started on the same data (startHedgerow, the reference policy, the
// API mounted), a headteacher account made through the one-time setup link, and the same reads
// as GET /api/activity, /api/overview and /api/reports/aggregate with its session cookie.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { configSchema } from '../src/config/index.ts';
import { referencePolicyPath } from '../src/runtime/index.ts';
import { startHedgerow } from '../src/server/index.ts';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteActivityStore, openActivityStore, type ActivityStore } from '../src/activity/index.ts';
import { PostgresEventStore, SqliteEventStore, databasePath } from '../src/store/index.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { DAY, EventGenerator, GENERATOR_VERSION, MONTH_END, MONTH_START } from './api-events.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '20' },
    only: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    'no-http': { type: 'boolean', default: false },
  },
});
const TOTAL = Number(args.events);
const RUNS = Number(args.runs);
const TARGET_MS = 300;
const lines: string[] = [];
const say = (line = ''): void => {
  lines.push(line);
  console.log(line);
};

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

interface Timing {
  name: string;
  times: number[];
  rows: number;
}

/** The same people, days and pages for both stores. */
function plan(generator: EventGenerator) {
  const pick = (list: readonly string[], k: number) => list[(k * 7919) % list.length]!;
  // the last whole week (Monday to Monday) and the weekdays of the month
  const weekFrom = MONTH_END - 7 * DAY;
  const weekdays: number[] = [];
  for (let day = MONTH_START; day < MONTH_END; day += DAY) {
    const d = new Date(day).getUTCDay();
    if (d >= 1 && d <= 5) weekdays.push(day);
  }
  return {
    person: (k: number) => (k % 5 === 4 ? pick(generator.world.staff, k) : pick(generator.world.pupils, k)),
    week: { from: weekFrom, to: MONTH_END },
    day: (k: number) => weekdays[k % weekdays.length]!,
    month: { from: MONTH_START, to: MONTH_END },
  };
}

/** The four reads, through the store itself or through the HTTP API. */
type Reader = Pick<ActivityStore, 'search' | 'overview' | 'aggregate'>;

/** The API as a Reader: the same reads as GET requests with a signed-in session. */
function httpReader(base: string, cookie: string): Reader {
  const get = async (path: string, query: Record<string, string | number | null | undefined>): Promise<unknown> => {
    const url = new URL(path, base);
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    const response = await fetch(url, { headers: { cookie } });
    const body = (await response.json()) as unknown;
    if (!response.ok) throw new Error(`GET ${url.pathname}${url.search}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  return {
    search: async (filter) =>
      (await get('/api/activity', { person: filter.people?.[0], from: filter.from, to: filter.to, limit: filter.limit, cursor: filter.cursor })) as Awaited<ReturnType<ActivityStore['search']>>,
    overview: async (from) => {
      const answer = (await get('/api/overview', { date: new Date(from).toISOString().slice(0, 10) })) as Awaited<ReturnType<ActivityStore['overview']>>;
      return answer;
    },
    aggregate: async (from, to) => ((await get('/api/reports/aggregate', { from, to })) as { rows: Awaited<ReturnType<ActivityStore['aggregate']>> }).rows,
  };
}

/**
 * Starts Hedgerow on `dataDir` (and `database`, when PostgreSQL) with a copy of the reference
 * policy, makes the first administrator through the setup link it prints (or signs in as that
 * account on a cached data folder), and times the reads through the API.
 */
async function timeHttp(dataDir: string, database: string | undefined, generator: EventGenerator): Promise<Timing[]> {
  const policyDir = mkdtempSync(join(tmpdir(), 'hedgerow-bench-api-policy-'));
  for (const file of ['council.yaml', 'school.yaml']) copyFileSync(join(dirname(referencePolicyPath()), file), join(policyDir, file));
  const printed: string[] = [];
  const running = await startHedgerow(
    configSchema.parse({
      dataDir,
      ...(database ? { database } : {}),
      policy: join(policyDir, 'school.yaml'),
      proxy: { port: 0 },
      dns: { enabled: false },
      http: { port: 0 },
      watchPolicy: false,
    }),
    { log: (line) => printed.push(line) },
  );
  try {
    const base = `http://127.0.0.1:${running.http.port}`;
    const account = { username: 'bench.head', displayName: 'Bench Headteacher', password: 'Hazel-Coppice-Lantern-42' };
    const token = /[?&]token=([^\s&]+)/.exec(printed.join('\n'))?.[1];
    const post = (path: string, body: unknown) =>
      fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (token) {
      const setup = await post('/api/setup', { token: decodeURIComponent(token), ...account });
      if (!setup.ok) throw new Error(`setup: ${setup.status} ${await setup.text()}`);
    }
    const session = await post('/api/session', { username: account.username, password: account.password });
    if (!session.ok) throw new Error(`sign-in: ${session.status} ${await session.text()}`);
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0]!;
    return await timeQueries(httpReader(base, cookie), generator);
  } finally {
    await running.close();
    rmSync(policyDir, { recursive: true, force: true });
  }
}

async function timeQueries(store: Reader, generator: EventGenerator): Promise<Timing[]> {
  const p = plan(generator);
  const timings: Timing[] = [
    { name: 'person × week, first page (100)', times: [], rows: 0 },
    { name: 'person × week, later page (cursor)', times: [], rows: 0 },
    { name: 'overview of one day', times: [], rows: 0 },
    { name: 'aggregate of the month', times: [], rows: 0 },
  ];
  const pages: number[] = [];
  // one untimed round first: plans prepared, caches warm as on a server that has been running
  for (let k = -1; k < RUNS; k++) {
    const person = p.person(k + 1);
    let start = process.hrtime.bigint();
    const first = await store.search({ people: [person], ...p.week, limit: 100 });
    const firstMs = ms(start);
    // a later page: the cursor of page 5 (or of the person's last page, if fewer) is found
    // untimed, then that page is timed
    let cursor: string | null = null;
    let next = first.nextCursor;
    let page = 1;
    for (; page < 5 && next; page++) {
      cursor = next;
      next = (await store.search({ people: [person], ...p.week, limit: 100, cursor })).nextCursor;
    }
    start = process.hrtime.bigint();
    const later = await store.search({ people: [person], ...p.week, limit: 100, cursor });
    const laterMs = ms(start);
    pages.push(page);
    const day = p.day(k + 1);
    start = process.hrtime.bigint();
    const overview = await store.overview(day, day + DAY, { logRules: ['staff-social-log'] });
    const overviewMs = ms(start);
    start = process.hrtime.bigint();
    const aggregate = await store.aggregate(p.month.from, p.month.to);
    const aggregateMs = ms(start);
    if (k < 0) continue;
    timings[0]!.times.push(firstMs);
    timings[0]!.rows += first.items.length;
    timings[1]!.times.push(laterMs);
    timings[1]!.rows += later.items.length;
    timings[2]!.times.push(overviewMs);
    timings[2]!.rows += overview.totals.total;
    timings[3]!.times.push(aggregateMs);
    timings[3]!.rows += aggregate.length;
  }
  timings[1]!.name = `person × week, page ${(pages.reduce((a, b) => a + b, 0) / pages.length).toFixed(1)} (avg)`;
  return timings;
}

function report(kind: string, timings: Timing[]): void {
  say(`  ${'query'.padEnd(34)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'max'.padStart(9)}  rows/run  target`);
  for (const t of timings) {
    const sorted = [...t.times].sort((a, b) => a - b);
    const p95 = quantile(sorted, 0.95);
    const fmt = (x: number) => `${x.toFixed(1)} ms`.padStart(9);
    say(
      `  ${t.name.padEnd(34)} ${fmt(quantile(sorted, 0.5))} ${fmt(p95)} ${fmt(sorted.at(-1)!)}  ${String(Math.round(t.rows / t.times.length)).padStart(8)}  ${p95 < TARGET_MS ? 'met' : 'MISSED'} (p95 < ${TARGET_MS} ms)`,
    );
  }
  void kind;
}

async function benchSqlite(generator: EventGenerator): Promise<void> {
  const cacheDir = join('/tmp', 'hedgerow-bench-api', `v${GENERATOR_VERSION}-${TOTAL}`);
  const dataDir = join(cacheDir, 'data');
  const metaPath = join(cacheDir, 'load.json');
  if (args.fresh) rmSync(cacheDir, { recursive: true, force: true });
  let meta: { loadSeconds: number; foldSeconds: number; when: string } | null = existsSync(metaPath)
    ? (JSON.parse(readFileSync(metaPath, 'utf8')) as { loadSeconds: number; foldSeconds: number; when: string })
    : null;
  say(`SQLite (better-sqlite3 12, WAL) — ${TOTAL.toLocaleString('en-GB')} events`);
  if (!meta) {
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const store = SqliteEventStore.open(databasePath(dataDir));
    const start = process.hrtime.bigint();
    let done = 0;
    for (const batch of generator.batches(10_000)) {
      store.writeBatch(batch);
      done += batch.length;
      if (done % 1_000_000 === 0) console.error(`  sqlite: ${done.toLocaleString('en-GB')} events, ${(ms(start) / 1000).toFixed(0)} s`);
    }
    store.close();
    const loadSeconds = ms(start) / 1000;
    // The counts are folded once after the load (a running server's reader folds as it goes).
    const activity = await SqliteActivityStore.open({ dataDir, foldIntervalMs: 0 });
    const foldStart = process.hrtime.bigint();
    await activity.refreshCounts();
    const foldSeconds = ms(foldStart) / 1000;
    await activity.close();
    meta = { loadSeconds, foldSeconds, when: new Date().toISOString() };
    writeFileSync(metaPath, JSON.stringify(meta));
  } else {
    say(`  (database cached in ${cacheDir}, loaded ${meta.when})`);
  }
  say(`  load through SqliteEventStore.writeBatch: ${meta.loadSeconds.toFixed(0)} s = ${Math.round(TOTAL / meta.loadSeconds).toLocaleString('en-GB')} events/s`);
  say(`  first fold of the overview's and aggregate's counts (activity-counts.db): ${meta.foldSeconds.toFixed(1)} s`);
  const db = databasePath(dataDir);
  say(`  size: hedgerow.db ${mb(fileSize(db) + fileSize(`${db}-wal`))} (${(fileSize(db) / TOTAL).toFixed(0)} B/event), activity-counts.db ${mb(fileSize(join(dataDir, 'activity-counts.db')))}`);
  const activity = await SqliteActivityStore.open({ dataDir, foldIntervalMs: 0 });
  say('  at the query layer (SqliteActivityStore, reader thread):');
  report('sqlite', await timeQueries(activity, generator));
  await activity.close();
  if (!args['no-http']) {
    say('  through HTTP (startHedgerow on this data folder, GET /api/… with a headteacher session):');
    report('sqlite', await timeHttp(dataDir, undefined, generator));
  }
}

async function benchPostgres(generator: EventGenerator): Promise<void> {
  say(`PostgreSQL ${''}— ${TOTAL.toLocaleString('en-GB')} events`);
  const server = await startPostgres();
  try {
    const writer = await PostgresEventStore.open(server.url, { poolSize: 3 });
    const version = (await writer.pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    const buffers = (await writer.pool.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers;
    say(`  server ${version}, shared_buffers ${buffers}, fsync off (throwaway cluster, as the tests start it)`);
    const start = process.hrtime.bigint();
    let done = 0;
    const inFlight = new Set<Promise<void>>();
    for (const batch of generator.batches(5_000)) {
      const write: Promise<void> = writer.writeBatch(batch).then(() => {
        inFlight.delete(write);
      });
      inFlight.add(write);
      if (inFlight.size >= 2) await Promise.race(inFlight);
      done += batch.length;
      if (done % 1_000_000 === 0) console.error(`  postgres: ${done.toLocaleString('en-GB')} events, ${(ms(start) / 1000).toFixed(0)} s`);
    }
    await Promise.all(inFlight);
    const loadSeconds = ms(start) / 1000;
    const vacuumStart = process.hrtime.bigint();
    await writer.pool.query('VACUUM ANALYZE decision_events');
    await writer.pool.query('VACUUM ANALYZE decision_counts');
    const vacuumSeconds = ms(vacuumStart) / 1000;
    say(`  load through PostgresEventStore.writeBatch (5,000 a batch, 2 in flight): ${loadSeconds.toFixed(0)} s = ${Math.round(TOTAL / loadSeconds).toLocaleString('en-GB')} events/s; VACUUM ANALYZE ${vacuumSeconds.toFixed(0)} s`);
    const size = (await writer.pool.query<{ db: string; events: string; counts: string }>(
      "SELECT pg_database_size(current_database()) AS db, pg_total_relation_size('decision_events') AS events, pg_total_relation_size('decision_counts') AS counts",
    )).rows[0]!;
    say(`  size: database ${mb(Number(size.db))} (decision_events with indexes ${mb(Number(size.events))}, ${(Number(size.events) / TOTAL).toFixed(0)} B/event; decision_counts ${mb(Number(size.counts))})`);
    const activity = await openActivityStore({ postgres: server.url, poolSize: 4 });
    say('  at the query layer (PostgresActivityStore):');
    report('postgres', await timeQueries(activity, generator));
    await activity.close();
    await writer.close();
    if (!args['no-http']) {
      const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-bench-api-pg-'));
      try {
        say('  through HTTP (startHedgerow with this database, GET /api/… with a headteacher session):');
        report('postgres', await timeHttp(dataDir, server.url, generator));
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    await server.stop();
  }
}

say(`Hedgerow activity benchmark — ${new Date().toISOString().slice(0, 10)}, generator v${GENERATOR_VERSION}`);
say(`machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${mb(totalmem())} memory, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
say(`events: ${TOTAL.toLocaleString('en-GB')} over 30 days to ${new Date(MONTH_END).toISOString().slice(0, 10)}; ${RUNS} timed runs per query (after one untimed), each run a different person or day`);
say(`timed at the query layer (ActivityStore; SQLite through its reader thread)${args['no-http'] ? '' : ' and through HTTP (the API of startHedgerow)'}`);
say();
const generator = new EventGenerator(TOTAL);
if (args.only !== 'postgres') {
  await benchSqlite(generator);
  say();
}
if (args.only !== 'sqlite') {
  await benchPostgres(new EventGenerator(TOTAL));
  say();
}
say(`end load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
const out = join(import.meta.dirname, 'results', `api-${new Date().toISOString().slice(0, 10)}${TOTAL === 10_000_000 ? '' : `-${TOTAL}`}.txt`);
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`written to ${out}`);
