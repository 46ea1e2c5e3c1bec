// Decision log throughput: events handed to the sink in bursts (as enforcement points produce
// them), spooled and written to SQLite. Prints events/s through sink → spool → database, the
// cost of the sink call itself, and the raw batch insert rate of the SQLite store.
// Run: node --import tsx bench/log.bench.ts [events] [burst]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DecisionLog, SqliteEventStore } from '../src/store/index.ts';
import type { DecisionEvent } from '../src/engine/index.ts';

const TOTAL = Number(process.argv[2] ?? 200_000);
const BURST = Number(process.argv[3] ?? 200);
const T0 = Date.parse('2026-11-24T09:00:00Z');

function event(n: number): DecisionEvent {
  return {
    v: 1,
    id: randomUUID(),
    at: T0 + n,
    point: 'proxy',
    person: `pupil-${n % 900}`,
    role: 'pupil',
    groups: ['year-7'],
    device: null,
    clientIp: `192.0.2.${n % 250}`,
    host: `site${n % 5000}.example`,
    url: n % 4 === 0 ? `http://site${n % 5000}.example/page/${n}` : null,
    categories: n % 3 === 0 ? ['social-networking'] : [],
    action: n % 3 === 0 ? 'block' : 'allow',
    rule: n % 3 === 0 ? 'pupil-social-media' : 'default',
    clauses: n % 3 === 0 ? ['8.1'] : [],
    circumvention: n % 97 === 0,
    policyRevision: 'rev-1',
    warnReason: null,
    searchTerm: null,
  };
}

const events = Array.from({ length: TOTAL }, (_, n) => event(n));
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function throughSink(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-bench-log-'));
  const log = DecisionLog.open({ dataDir: dir, circumventionWindowMs: 3_600_000 });
  let sinkNs = 0n;
  const start = process.hrtime.bigint();
  for (let n = 0; n < TOTAL; n += BURST) {
    const s = process.hrtime.bigint();
    for (let k = n; k < Math.min(TOTAL, n + BURST); k++) log.sink(events[k]!);
    sinkNs += process.hrtime.bigint() - s;
    await turn();
  }
  await log.flush();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stats = log.stats();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`sink → spool → SQLite: ${TOTAL} events in ${seconds.toFixed(2)} s = ${Math.round(TOTAL / seconds)} events/s (bursts of ${BURST})`);
  console.log(`  sink call (JSON line buffered + queued): ${(Number(sinkNs) / TOTAL / 1000).toFixed(2)} µs/event`);
  console.log(`  written from queue ${stats.written}, replayed from spool ${stats.replayed}, failed batches ${stats.failedBatches}`);
}

function rawInsert(batch: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-bench-log-'));
  const store = SqliteEventStore.open(join(dir, 'hedgerow.db'));
  const fresh = events.map((e) => ({ ...e, id: randomUUID() }));
  const start = process.hrtime.bigint();
  let worst = 0;
  for (let n = 0; n < fresh.length; n += batch) {
    const s = process.hrtime.bigint();
    store.writeBatch(fresh.slice(n, n + batch));
    worst = Math.max(worst, Number(process.hrtime.bigint() - s) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const searches: [string, Parameters<SqliteEventStore['search']>[0]][] = [
    ['person, last 100', { person: 'pupil-17' }],
    ['host + action', { host: 'site42.example', action: 'block' }],
    ['time range', { from: T0 + 50_000, to: T0 + 60_000 }],
    ['newest 100', {}],
  ];
  const timings = searches.map(([name, query]) => {
    const s = process.hrtime.bigint();
    for (let k = 0; k < 20; k++) store.search(query);
    return `${name} ${(Number(process.hrtime.bigint() - s) / 20 / 1e6).toFixed(2)} ms`;
  });
  store.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`SQLite writeBatch(${batch}): ${Math.round(fresh.length / seconds)} events/s, slowest batch ${worst.toFixed(1)} ms`);
  console.log(`  search over ${fresh.length} rows: ${timings.join(', ')}`);
}

await throughSink();
rawInsert(1000);
