// The SQLite backend on its own: writes, searches, paging, retention, migrations, query plans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore, runSqliteMigrations, sqliteMigrations, databasePath } from '../../src/store/index.ts';
import { makeEvent, tempDataDir, T0 } from './helpers.ts';

function openStore(): SqliteEventStore {
  return SqliteEventStore.open(databasePath(tempDataDir()));
}

test('stored events come back whole, searched by person, host, time and action', () => {
  const store = openStore();
  const events = Array.from({ length: 30 }, (_, n) => makeEvent(n));
  events[4] = makeEvent(4, { searchTerm: 'volcano facts', url: 'https://search.example/?q=volcano+facts', warnReason: 'for a project', device: 'laptop-12' });
  store.writeBatch(events);

  assert.deepEqual(store.search({ person: 'ada.pupil', limit: 1000 }).map((e) => e.id), events.filter((e) => e.person === 'ada.pupil').map((e) => e.id).reverse());
  assert.deepEqual(store.search({ host: 'blocked.example', limit: 1000 }).length, 10);
  assert.ok(store.search({ action: 'block' }).every((e) => e.action === 'block' && e.host === 'blocked.example'));
  const window = store.search({ from: T0 + 10_000, to: T0 + 20_000 });
  assert.deepEqual(window.map((e) => e.at), Array.from({ length: 10 }, (_, k) => T0 + 19_000 - k * 1000));
  assert.deepEqual(store.search({ person: 'ben.pupil', action: 'block', from: T0 + 3_000, to: T0 + 16_000 }).map((e) => e.id), ['ev-00000015', 'ev-00000009', 'ev-00000003']);
  assert.deepEqual(store.search({ person: 'ada.pupil', host: 'allowed.example', action: 'allow', limit: 1 })[0], events[28]);
  assert.deepEqual(store.search({ host: 'allowed.example', person: 'ada.pupil', from: T0 + 4_000, to: T0 + 4_001 })[0], events[4]);
  assert.deepEqual(store.tail(2).map((e) => e.id), ['ev-00000029', 'ev-00000028']);
  store.close();
});

test('an event stored twice is kept once, so a spool segment can be replayed again', () => {
  const store = openStore();
  store.writeBatch([makeEvent(1), makeEvent(2)]);
  store.writeBatch([makeEvent(2), makeEvent(3), makeEvent(1)]);
  assert.equal(store.count(), 3);
  assert.deepEqual(store.readAfter(0).map((r) => r.event.id), ['ev-00000001', 'ev-00000002', 'ev-00000003']);
  store.close();
});

test('a batch larger than one multi-row insert stores every event in order', () => {
  const store = openStore();
  const events = Array.from({ length: 1000 + 37 }, (_, n) => makeEvent(n));
  store.writeBatch(events);
  assert.deepEqual(store.readAfter(0, 5000).map((r) => r.event.id), events.map((e) => e.id));
  store.close();
});

test('keyset paging walks every matching event once, newest first, across equal times', () => {
  const store = openStore();
  // Groups of five events share a time, so the id tie-break matters.
  const events = Array.from({ length: 53 }, (_, n) => makeEvent(n, { at: T0 + Math.floor(n / 5) * 1000, id: `ev-${(n * 7919) % 1000}-${n}` }));
  store.writeBatch(events);
  const seen: string[] = [];
  let before: { at: number; id: string } | undefined;
  for (;;) {
    const page = store.search({ limit: 7, ...(before ? { before } : {}) });
    if (page.length === 0) break;
    seen.push(...page.map((e) => e.id));
    const last = page[page.length - 1]!;
    before = { at: last.at, id: last.id };
  }
  const expected = [...events].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((e) => e.id);
  assert.deepEqual(seen, expected);
  store.close();
});

test('searches by person, host and time use the indexes rather than scanning the table', () => {
  const store = openStore();
  store.writeBatch(Array.from({ length: 2000 }, (_, n) => makeEvent(n)));
  const plans = {
    person: store.explain({ person: 'ada.pupil', from: T0, to: T0 + 60_000 }),
    host: store.explain({ host: 'blocked.example', action: 'block' }),
    time: store.explain({ from: T0, to: T0 + 60_000 }),
    page: store.explain({ person: 'ada.pupil', before: { at: T0 + 50_000, id: 'ev-00000050' } }),
    tail: store.explain({}),
  };
  assert.match(plans.person.join('\n'), /USING INDEX decision_events_person_at/);
  assert.match(plans.host.join('\n'), /USING INDEX decision_events_host_at/);
  assert.match(plans.time.join('\n'), /USING INDEX decision_events_at/);
  assert.match(plans.page.join('\n'), /USING INDEX decision_events_person_at/);
  assert.match(plans.tail.join('\n'), /USING INDEX decision_events_at/);
  for (const [name, plan] of Object.entries(plans)) {
    assert.ok(!plan.some((step) => /^SCAN decision_events$/.test(step)), `${name}: ${plan.join(' | ')}`);
  }
  store.close();
});

test('deleting before a time removes only the older events', () => {
  const store = openStore();
  store.writeBatch(Array.from({ length: 25_000 }, (_, n) => makeEvent(n, { at: T0 + n })));
  assert.equal(store.deleteBefore(T0 + 20_000), 20_000);
  assert.equal(store.count(), 5_000);
  assert.equal(store.search({ to: T0 + 20_000 }).length, 0);
  assert.equal(store.search({ limit: 10_000 }).at(-1)!.at, T0 + 20_000);
  store.close();
});

test('migrations report what ran, and opening again runs nothing', () => {
  const path = databasePath(tempDataDir());
  const first = SqliteEventStore.open(path);
  assert.deepEqual(first.migrations, { applied: sqliteMigrations.map((m) => m.id), alreadyApplied: [] });
  first.writeBatch([makeEvent(1)]);
  first.close();
  const second = SqliteEventStore.open(path);
  assert.deepEqual(second.migrations, { applied: [], alreadyApplied: sqliteMigrations.map((m) => m.id) });
  assert.equal(second.count(), 1);
  second.close();
  const db = new Database(path);
  assert.deepEqual(db.prepare('SELECT id FROM schema_migrations').all(), sqliteMigrations.map((m) => ({ id: m.id })));
  db.close();
});

test('a failing migration is rolled back and reported, and later ones do not run', () => {
  const db = new Database(join(tempDataDir(), 'm.db'));
  const report = runSqliteMigrations(db, [
    { id: '001_a', sql: 'CREATE TABLE a (x INTEGER)' },
    { id: '002_broken', sql: 'CREATE TABLE b (x INTEGER); CREATE TABLE a (y INTEGER)' },
    { id: '003_c', sql: 'CREATE TABLE c (x INTEGER)' },
  ]);
  assert.deepEqual(report.applied, ['001_a']);
  assert.equal(report.failed?.id, '002_broken');
  assert.match(report.failed!.message, /already exists/);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  assert.deepEqual(tables, ['a', 'schema_migrations']);
  db.close();
});

test('a read-only store refuses writes and a database without the events table is refused', () => {
  const path = databasePath(tempDataDir());
  SqliteEventStore.open(path).close();
  const reader = SqliteEventStore.open(path, { readonly: true });
  assert.throws(() => reader.writeBatch([makeEvent(1)]), /read-only/);
  reader.close();
  const empty = join(tempDataDir(), 'empty.db');
  new Database(empty).close();
  assert.throws(() => SqliteEventStore.open(empty, { readonly: true }), (error: { code?: string }) => error.code === 'HR_STORE_OPEN');
});
