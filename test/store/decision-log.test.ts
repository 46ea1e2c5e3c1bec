// The decision log end to end: sink → spool → queue → SQLite, with the database failing,
// recovering, the queue overflowing, torn spool files, retention and circumvention counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionEvent } from '../../src/engine/index.ts';
import { DecisionLog, SqliteEventStore, databasePath, segmentName, type EventQuery, type EventStoreBackend } from '../../src/store/index.ts';
import { makeEvent, tempDataDir, T0 } from './helpers.ts';

/** SQLite behind a switch that makes every write fail, as a full disk or a lost server would. */
class SwitchableBackend implements EventStoreBackend {
  failing = false;
  batches = 0;
  constructor(readonly store: SqliteEventStore) {}
  writeBatch(events: readonly DecisionEvent[]): void {
    this.batches++;
    if (this.failing) throw new Error('disk I/O error');
    this.store.writeBatch(events);
  }
  search(query: EventQuery): DecisionEvent[] {
    return this.store.search(query);
  }
  tail(n: number): DecisionEvent[] {
    return this.store.tail(n);
  }
  deleteBefore(ms: number): number {
    return this.store.deleteBefore(ms);
  }
  close(): void {
    this.store.close();
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function storedIds(dataDir: string): string[] {
  const store = SqliteEventStore.open(databasePath(dataDir));
  const ids = store.readAfter(0, 1_000_000).map((row) => row.event.id);
  store.close();
  return ids;
}

function segments(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
}

test('events handed to the sink are stored and found by person, host, time and action', async () => {
  const dataDir = tempDataDir();
  const log = DecisionLog.open({ dataDir });
  for (let n = 0; n < 50; n++) log.sink(makeEvent(n));
  await log.flush();
  assert.equal(log.stats().written, 50);
  assert.equal(log.search({ person: 'ada.pupil', limit: 100 }).length, 25);
  assert.equal(log.search({ host: 'blocked.example', action: 'block', limit: 100 }).length, 17);
  assert.deepEqual(log.search({ from: T0 + 10_000, to: T0 + 12_000 }).map((e) => e.id), ['ev-00000011', 'ev-00000010']);
  assert.deepEqual(log.search({ point: 'proxy', limit: 1 })[0], makeEvent(49));
  assert.deepEqual(log.tail(3).map((e) => e.id), ['ev-00000049', 'ev-00000048', 'ev-00000047']);
  await log.close();
  // Everything reached the database, so no spool segment is left behind.
  assert.deepEqual(segments(join(dataDir, 'spool')), []);
  assert.equal(storedIds(dataDir).length, 50);
});

test('while the database fails the sink never throws and events wait in the spool', async () => {
  const dataDir = tempDataDir();
  const backend = new SwitchableBackend(SqliteEventStore.open(databasePath(dataDir)));
  const warnings: string[] = [];
  const log = DecisionLog.open({ dataDir, backend, batchSize: 10, flushIntervalMs: 5, onWarning: (m) => warnings.push(m) });
  backend.failing = true;
  for (let n = 0; n < 100; n++) assert.doesNotThrow(() => log.sink(makeEvent(n)));
  await assert.rejects(log.flush(), /disk I\/O error/);
  for (let n = 100; n < 150; n++) assert.doesNotThrow(() => log.sink(makeEvent(n)));
  await turn();
  const stats = log.stats();
  assert.equal(stats.spooled, 150);
  assert.equal(stats.mode, 'catch-up');
  assert.ok(stats.failedBatches >= 1);
  assert.equal(stats.queued, 0);
  assert.equal(backend.store.count(), 0);
  assert.ok(warnings.some((w) => /disk I\/O error/.test(w)));

  // Recovery: every event, in the order handed over, once.
  backend.failing = false;
  for (let n = 150; n < 160; n++) log.sink(makeEvent(n));
  await log.flush();
  for (let n = 160; n < 170; n++) log.sink(makeEvent(n));
  await log.flush();
  assert.equal(log.stats().mode, 'live');
  await log.close();
  assert.deepEqual(storedIds(dataDir), Array.from({ length: 170 }, (_, n) => makeEvent(n).id));
});

test('the writer retries a failed database by itself and catches up in order', async () => {
  const dataDir = tempDataDir();
  const backend = new SwitchableBackend(SqliteEventStore.open(databasePath(dataDir)));
  const log = DecisionLog.open({ dataDir, backend, batchSize: 20, flushIntervalMs: 5, spoolSegmentEvents: 25, onWarning: () => {} });
  for (let n = 0; n < 30; n++) log.sink(makeEvent(n));
  await log.flush();
  backend.failing = true;
  for (let n = 30; n < 130; n++) log.sink(makeEvent(n));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(log.stats().mode, 'catch-up');
  backend.failing = false;
  for (let attempt = 0; attempt < 200 && log.stats().mode !== 'live'; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(log.stats().mode, 'live');
  assert.deepEqual(backend.store.readAfter(0, 1000).map((r) => r.event.id), Array.from({ length: 130 }, (_, n) => makeEvent(n).id));
  await log.close();
});

test('events spooled while the database is closed are stored at the next open, before new ones', async () => {
  const dataDir = tempDataDir();
  const store = SqliteEventStore.open(databasePath(dataDir));
  const log = DecisionLog.open({ dataDir, backend: store, onWarning: () => {} });
  for (let n = 0; n < 10; n++) log.sink(makeEvent(n));
  await log.flush();
  store.close(); // the database goes away underneath the log
  for (let n = 10; n < 40; n++) assert.doesNotThrow(() => log.sink(makeEvent(n)));
  await assert.rejects(log.flush());
  await log.close();
  assert.ok(segments(join(dataDir, 'spool')).length > 0);

  const reopened = DecisionLog.open({ dataDir });
  assert.ok(reopened.stats().replayed >= 30);
  for (let n = 40; n < 45; n++) reopened.sink(makeEvent(n));
  await reopened.close();
  assert.deepEqual(storedIds(dataDir), Array.from({ length: 45 }, (_, n) => makeEvent(n).id));
});

test('a full in-memory queue sends events through the spool, none lost or duplicated', async () => {
  const dataDir = tempDataDir();
  const warnings: string[] = [];
  const log = DecisionLog.open({ dataDir, queueCapacity: 16, batchSize: 1000, flushIntervalMs: 60_000, onWarning: (m) => warnings.push(m) });
  for (let n = 0; n < 500; n++) log.sink(makeEvent(n));
  assert.equal(log.stats().mode, 'catch-up');
  assert.equal(log.stats().queued, 0);
  assert.ok(warnings.some((w) => /queue is full/.test(w)));
  await log.flush();
  const stats = log.stats();
  assert.equal(stats.mode, 'live');
  assert.equal(stats.replayed, 500);
  await log.close();
  assert.deepEqual(storedIds(dataDir), Array.from({ length: 500 }, (_, n) => makeEvent(n).id));
});

test('a spool left by a crash is replayed at open, skipping a torn last line with a warning', async () => {
  const dataDir = tempDataDir();
  const spool = join(dataDir, 'spool');
  mkdirSync(spool, { recursive: true });
  const lines = [0, 1, 2].map((n) => JSON.stringify(makeEvent(n)));
  writeFileSync(join(spool, segmentName(7)), `${lines.join('\n')}\n`);
  writeFileSync(join(spool, segmentName(8)), `${JSON.stringify(makeEvent(3))}\n${JSON.stringify(makeEvent(4)).slice(0, 40)}`);
  const warnings: string[] = [];
  const log = DecisionLog.open({ dataDir, onWarning: (m) => warnings.push(m) });
  assert.equal(log.stats().replayed, 4);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /segment-000000000008\.jsonl.*torn last line/);
  log.sink(makeEvent(5));
  await log.close();
  assert.deepEqual(storedIds(dataDir), [0, 1, 2, 3, 5].map((n) => makeEvent(n).id));
  assert.deepEqual(segments(spool), []);
});

test('the sink swallows an event it cannot serialise and counts it as dropped', async () => {
  const dataDir = tempDataDir();
  const warnings: string[] = [];
  const log = DecisionLog.open({ dataDir, onWarning: (m) => warnings.push(m) });
  const circular = makeEvent(1) as DecisionEvent & { self?: unknown };
  circular.self = circular;
  assert.doesNotThrow(() => log.sink(circular));
  log.sink(makeEvent(2));
  await log.flush();
  assert.equal(log.stats().dropped, 1);
  assert.equal(warnings.length, 1);
  await log.close();
  assert.deepEqual(storedIds(dataDir), [makeEvent(2).id]);
});

test('retention deletes only events older than the retention period', async () => {
  const dataDir = tempDataDir();
  const day = 86_400_000;
  let now = T0 + 40 * day;
  const log = DecisionLog.open({ dataDir, retentionMs: 30 * day, now: () => now });
  for (let n = 0; n < 40; n++) log.sink(makeEvent(n, { at: T0 + n * day }));
  await log.flush();
  assert.equal(log.applyRetention(), 10);
  assert.equal(log.search({ limit: 100 }).at(-1)!.at, T0 + 10 * day);
  now += 5 * day;
  assert.equal(log.applyRetention(), 5);
  assert.equal(log.applyRetention(now + 100 * day), 25);
  await log.close();
});

test('retention is enforced at open', async () => {
  const dataDir = tempDataDir();
  const day = 86_400_000;
  const first = DecisionLog.open({ dataDir });
  for (let n = 0; n < 10; n++) first.sink(makeEvent(n, { at: T0 + n * day }));
  await first.close();
  const second = DecisionLog.open({ dataDir, retentionMs: 3 * day, now: () => T0 + 10 * day });
  assert.deepEqual(second.search({ limit: 100 }).map((e) => e.at), [T0 + 9 * day, T0 + 8 * day, T0 + 7 * day]);
  await second.close();
});

test('circumvention attempts are counted per person over a sliding window and the threshold is announced once', async () => {
  const dataDir = tempDataDir();
  let now = T0;
  const announced: { person: string; count: number; ids: string[] }[] = [];
  const log = DecisionLog.open({
    dataDir,
    now: () => now,
    circumventionWindowMs: 600_000,
    circumventionThreshold: 3,
    onCircumventionThreshold: (person, count, events) => announced.push({ person, count, ids: events.map((e) => e.id) }),
  });
  const attempt = (n: number, person: string): void => log.sink(makeEvent(n, { at: now, person, circumvention: true }));
  attempt(1, 'ada.pupil');
  log.sink(makeEvent(2, { at: now, person: 'ada.pupil', circumvention: false }));
  now += 60_000;
  attempt(3, 'ada.pupil');
  attempt(4, 'ben.pupil');
  assert.equal(log.circumventionCount('ada.pupil'), 2);
  assert.equal(log.circumventionCount('ben.pupil'), 1);
  now += 60_000;
  attempt(5, 'ada.pupil');
  attempt(6, 'ada.pupil');
  await Promise.resolve();
  assert.deepEqual(announced, [{ person: 'ada.pupil', count: 3, ids: ['ev-00000001', 'ev-00000003', 'ev-00000005'] }]);
  assert.equal(log.circumventionCount('ada.pupil'), 4);
  // The first attempt leaves the window ten minutes after it happened.
  assert.equal(log.circumventionCount('ada.pupil', T0 + 600_000), 3);
  assert.equal(log.circumventionCount('ada.pupil', T0 + 780_000), 0);
  assert.equal(log.circumventionCount('nobody'), 0);
  await log.close();

  // Reopened within the window, the counts come back from the store without a new announcement.
  const reopened = DecisionLog.open({ dataDir, now: () => now, circumventionWindowMs: 600_000, circumventionThreshold: 3, onCircumventionThreshold: () => announced.push({ person: '?', count: 0, ids: [] }) });
  assert.equal(reopened.circumventionCount('ada.pupil'), 4);
  assert.equal(reopened.circumventionCount('ben.pupil'), 1);
  await Promise.resolve();
  assert.equal(announced.length, 1);
  await reopened.close();
});

test('a second decision log on the same data folder is refused while the first is open', async () => {
  const dataDir = tempDataDir();
  const log = DecisionLog.open({ dataDir });
  assert.throws(() => DecisionLog.open({ dataDir }), (error: { code?: string; message: string }) => error.code === 'HR_STORE_LOCKED' && /in use|already open/.test(error.message));
  await log.close();
  assert.ok(!existsSync(join(dataDir, 'spool', 'LOCK')));
  const again = DecisionLog.open({ dataDir });
  await again.close();
});

test('the default store reports its migrations at open', async () => {
  const dataDir = tempDataDir();
  const first = DecisionLog.open({ dataDir });
  assert.deepEqual(first.migrations?.applied, ['001_decision_events', '002_activity_indexes']);
  await first.close();
  const second = DecisionLog.open({ dataDir });
  assert.deepEqual(second.migrations, { applied: [], alreadyApplied: ['001_decision_events', '002_activity_indexes'] });
  await second.close();
});
