// One suite, run on the embedded SQLite log (read from its reader thread) and on a real
// PostgreSQL: the same searches, exports, overview and aggregate must give the same answers,
// and every expected figure is computed from the generated events.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DecisionEvent } from '../../src/engine/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { CSV_COLUMNS, SqliteActivityQueries, SqliteActivityStore, openActivityStore, type ActivityFilter, type ActivityStore } from '../../src/activity/index.ts';
import { DecisionLog, PostgresEventStore, SqliteEventStore, databasePath } from '../../src/store/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { AWKWARD_TERMS, DAY, HOUR, T0, generateEvents, newestFirst, parseCsv } from './events.ts';

const pgMissing = postgresUnavailable();
const EVENTS = generateEvents(3000);
const ALL: Pick<ActivityFilter, 'from' | 'to'> = { from: T0 - DAY, to: T0 + 10 * DAY };

/** A store of one kind holding some events, with the writer's side kept for later writes. */
interface Fixture {
  activity: ActivityStore;
  write(events: DecisionEvent[]): Promise<void>;
  deleteBefore(ms: number): Promise<number>;
  close(): Promise<void>;
}

async function collect(store: ActivityStore, filter: Omit<ActivityFilter, 'cursor'>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await store.search({ ...filter, cursor });
    assert.ok(page.items.length <= (filter.limit ?? 100));
    ids.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor;
    assert.ok(++pages < 10_000, 'paging does not end');
  } while (cursor !== null);
  return ids;
}

function within(events: readonly DecisionEvent[], from: number, to: number): DecisionEvent[] {
  return events.filter((e) => e.at >= from && e.at < to);
}

function expectedAggregate(events: readonly DecisionEvent[]): Array<{ group: string; category: string; action: string; count: number }> {
  const cells = new Map<string, number>();
  for (const e of events) {
    for (const group of e.groups.length > 0 ? e.groups : ['']) {
      for (const category of e.categories.length > 0 ? e.categories : ['']) {
        const key = JSON.stringify([group, category, e.action]);
        cells.set(key, (cells.get(key) ?? 0) + 1);
      }
    }
  }
  return [...cells]
    .map(([key, count]) => {
      const [group, category, action] = JSON.parse(key) as [string, string, string];
      return { group, category, action, count };
    })
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.category < b.category ? -1 : a.category > b.category ? 1 : a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`activity store on ${kind}`, { skip: kind === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let counter = 0;
    let shared: Fixture;
    const fixtures: Fixture[] = [];

    async function fixture(events: DecisionEvent[]): Promise<Fixture> {
      counter += 1;
      let made: Fixture;
      if (kind === 'sqlite') {
        const dataDir = join(tmp, `data-${counter}`);
        const writer = SqliteEventStore.open(databasePath(dataDir));
        writer.writeBatch(events);
        const activity = await SqliteActivityStore.open({ dataDir, foldIntervalMs: 0 });
        made = {
          activity,
          write: async (more) => writer.writeBatch(more),
          deleteBefore: async (ms) => writer.deleteBefore(ms),
          close: async () => {
            await activity.close();
            writer.close();
          },
        };
      } else {
        const url = await server!.createDatabase(`activity_${counter}`);
        const writer = await PostgresEventStore.open(url);
        await writer.writeBatch(events);
        const activity = await openActivityStore({ postgres: url });
        made = {
          activity,
          write: (more) => writer.writeBatch(more),
          deleteBefore: (ms) => writer.deleteBefore(ms),
          close: async () => {
            await activity.close();
            await writer.close();
          },
        };
      }
      fixtures.push(made);
      return made;
    }

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-activity-'));
      if (kind === 'postgres') server = await startPostgres();
      shared = await fixture(EVENTS);
    });
    after(async () => {
      for (const f of fixtures.splice(0)) await f.close();
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('reports which engine it reads', () => {
      assert.equal(shared.activity.kind, kind);
    });

    it('pages through every event exactly once, newest first, ties broken by id', async () => {
      const ids = await collect(shared.activity, { ...ALL, limit: 37 });
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual(ids, newestFirst(EVENTS).map((e) => e.id));
      assert.ok(EVENTS.some((e, i) => i > 0 && EVENTS[i - 1]!.at === e.at), 'the data has events sharing a time');
    });

    it('pages one person over one week, and the pages join up without a gap or repeat', async () => {
      const filter = { people: ['ada.pupil'], from: T0, to: T0 + 7 * DAY, limit: 25 };
      const ids = await collect(shared.activity, filter);
      assert.deepEqual(ids, newestFirst(EVENTS.filter((e) => e.person === 'ada.pupil')).map((e) => e.id));
      assert.ok(ids.length > 50);
    });

    it('filters by people, role, group, category, action and time, as the events say', async () => {
      const cases: Array<[Omit<ActivityFilter, 'from' | 'to'> & Partial<ActivityFilter>, (e: DecisionEvent) => boolean]> = [
        [{ people: ['ben.pupil', 'finn.staff'] }, (e) => e.person === 'ben.pupil' || e.person === 'finn.staff'],
        [{ roles: ['teacher', 'staff'] }, (e) => e.role === 'teacher' || e.role === 'staff'],
        [{ groups: ['8a'] }, (e) => e.groups.includes('8a')],
        [{ groups: ['7b', 'chess-club'] }, (e) => e.groups.includes('7b') || e.groups.includes('chess-club')],
        [{ category: 'social-networking' }, (e) => e.categories.includes('social-networking')],
        [{ action: 'block' }, (e) => e.action === 'block'],
        [{ action: 'warn', groups: ['year-7'] }, (e) => e.action === 'warn' && e.groups.includes('year-7')],
        [{ from: T0 + DAY + 5 * HOUR, to: T0 + DAY + 9 * HOUR }, (e) => e.at >= T0 + DAY + 5 * HOUR && e.at < T0 + DAY + 9 * HOUR],
        [{ people: ['cara.pupil'], category: 'games', action: 'block' }, (e) => e.person === 'cara.pupil' && e.categories.includes('games') && e.action === 'block'],
      ];
      for (const [filter, test] of cases) {
        const ids = await collect(shared.activity, { ...ALL, limit: 500, ...filter });
        const expected = newestFirst(EVENTS.filter(test)).map((e) => e.id);
        assert.ok(expected.length > 0, `no events for ${JSON.stringify(filter)}`);
        assert.deepEqual(ids, expected, JSON.stringify(filter));
      }
    });

    it('matches a host and its subdomains, never a name that only ends the same', async () => {
      const hosts = async (host: string) => new Set((await collect(shared.activity, { ...ALL, host, limit: 1000 })).map((id) => EVENTS.find((e) => e.id === id)!.host));
      assert.deepEqual([...(await hosts('example.org'))].sort(), ['cdn.www.example.org', 'example.org', 'www.example.org']);
      assert.deepEqual([...(await hosts('WWW.Example.org.'))].sort(), ['cdn.www.example.org', 'www.example.org']);
      // `_` and `%` are wildcards in LIKE; the host must match them literally
      assert.deepEqual([...(await hosts('a_b.example'))], ['a_b.example']);
      assert.deepEqual([...(await hosts('axb.example'))].sort(), ['axb.example', 'www.axb.example']);
      assert.deepEqual([...(await hosts('blocked.example'))].sort(), ['blocked.example', 'games.blocked.example']);
      assert.equal((await hosts('xample.org')).size, 0);
    });

    it('matches nothing for an empty list of people, groups or roles, so an empty scope never widens', async () => {
      for (const filter of [{ people: [] }, { groups: [] }, { roles: [] }]) {
        const page = await shared.activity.search({ ...ALL, ...filter });
        assert.deepEqual(page, { items: [], nextCursor: null });
      }
    });

    it('returns events whole, as they were stored', async () => {
      const page = await shared.activity.search({ ...ALL, limit: 5 });
      const expected = newestFirst(EVENTS).slice(0, 5);
      assert.deepEqual(page.items, expected);
    });

    it('refuses a cursor it did not give out with HR_ACTIVITY_CURSOR', async () => {
      await assert.rejects(shared.activity.search({ ...ALL, cursor: 'not-a-cursor' }), (error: unknown) => {
        assert.ok(error instanceof HedgerowError);
        assert.equal(error.code, 'HR_ACTIVITY_CURSOR');
        return true;
      });
      await assert.rejects(shared.activity.search({ from: Number.NaN, to: T0 }), { code: 'HR_ACTIVITY_FILTER' });
    });

    it('exports every matching event as RFC 4180 CSV, newest first, header first', async () => {
      const filter = { ...ALL, people: ['dev.pupil', '=danger.pupil'] };
      let text = '';
      let chunks = 0;
      for await (const chunk of shared.activity.exportCsv(filter)) {
        text += chunk;
        chunks++;
      }
      const records = parseCsv(text);
      assert.deepEqual(records[0], [...CSV_COLUMNS]);
      const expected = newestFirst(EVENTS.filter((e) => e.person === 'dev.pupil' || e.person === '=danger.pupil'));
      assert.equal(records.length - 1, expected.length);
      assert.ok(chunks >= 1);
      const column = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
      for (const [index, event] of expected.entries()) {
        const record = records[index + 1]!;
        assert.equal(record.length, CSV_COLUMNS.length);
        assert.equal(record[column('id')], event.id);
        assert.equal(record[column('at')], String(event.at));
        assert.equal(record[column('time')], new Date(event.at).toISOString());
        assert.equal(record[column('groups')], event.groups.join(';'));
      }
    });

    it('quotes commas, quotes and line breaks, and defuses cells a spreadsheet would run as formulas', async () => {
      let text = '';
      for await (const chunk of shared.activity.exportCsv({ ...ALL, people: ['=danger.pupil', 'ada.pupil'] })) text += chunk;
      const records = parseCsv(text).slice(1);
      const term = CSV_COLUMNS.indexOf('search_term');
      const person = CSV_COLUMNS.indexOf('person');
      const seen = new Set(records.map((r) => r[term]));
      for (const awkward of AWKWARD_TERMS) {
        const written = /^[=+\-@]/.test(awkward) ? `'${awkward}` : awkward;
        if (EVENTS.some((e) => (e.person === '=danger.pupil' || e.person === 'ada.pupil') && e.searchTerm === awkward)) {
          assert.ok(seen.has(written), `search term ${JSON.stringify(awkward)} written as ${JSON.stringify(written)}`);
        }
      }
      assert.ok(records.some((r) => r[person] === "'=danger.pupil"));
      assert.ok(!records.some((r) => r.some((cell) => /^[=+\-@]/.test(cell))), 'no cell starts a formula');
      assert.ok(text.includes('"two\r\nlines"') || !EVENTS.some((e) => e.searchTerm === 'two\r\nlines' && (e.person === '=danger.pupil' || e.person === 'ada.pupil')));
    });

    it('gives the overview figures of a day as counted from the events', async () => {
      const from = T0 + DAY;
      const to = T0 + 2 * DAY;
      const day = within(EVENTS, from, to);
      const figures = await shared.activity.overview(from, to, { logRules: ['news-log'] });
      assert.deepEqual(figures.totals, {
        total: day.length,
        allowed: day.filter((e) => e.action === 'allow').length,
        blocked: day.filter((e) => e.action === 'block').length,
        warned: day.filter((e) => e.action === 'warn').length,
        logged: day.filter((e) => e.rule === 'news-log').length,
      });
      const hours = new Map<number, { hour: number; allowed: number; blocked: number }>();
      for (const e of day) {
        const hour = e.at - (e.at % HOUR);
        const bucket = hours.get(hour) ?? { hour, allowed: 0, blocked: 0 };
        if (e.action === 'allow') bucket.allowed++;
        if (e.action === 'block') bucket.blocked++;
        hours.set(hour, bucket);
      }
      assert.deepEqual(figures.byHour, [...hours.values()].sort((a, b) => a.hour - b.hour));
      const blocks = new Map<string, number>();
      for (const e of day.filter((e) => e.action === 'block')) {
        for (const c of e.categories.length > 0 ? e.categories : ['']) blocks.set(c, (blocks.get(c) ?? 0) + 1);
      }
      assert.deepEqual(
        figures.blocksByCategory,
        [...blocks].map(([category, count]) => ({ category, count })).sort((a, b) => b.count - a.count || (a.category < b.category ? -1 : 1)),
      );
      assert.ok(figures.blocksByCategory.some((b) => b.category === ''), 'uncategorised blocks are counted under an empty category');
      const alerts = newestFirst(day.filter((e) => e.circumvention)).slice(0, 50);
      assert.ok(alerts.length > 0);
      assert.deepEqual(figures.alerts, alerts.map((e) => ({ at: e.at, person: e.person, host: e.host, rule: e.rule })));
    });

    it('gives the aggregate by group, category and action with no person, counting an event once per group', async () => {
      for (const [from, to] of [
        [ALL.from, ALL.to],
        [T0 + 90 * 60_000, T0 + 2 * DAY + 17 * 60_000],
        [T0 + 10 * 60_000, T0 + 50 * 60_000],
      ] as const) {
        const rows = await shared.activity.aggregate(from, to);
        for (const row of rows) assert.deepEqual(Object.keys(row).sort(), ['action', 'category', 'count', 'group']);
        assert.ok(!JSON.stringify(rows).includes('.pupil'), 'no person named');
        assert.deepEqual(rows, expectedAggregate(within(EVENTS, from, to)), `${from}..${to}`);
      }
      const rows = await shared.activity.aggregate(ALL.from, ALL.to);
      const multi = EVENTS.filter((e) => e.person === 'dev.pupil').length;
      assert.ok(multi > 0);
      // dev.pupil's events count under each of his three groups
      const total = rows.reduce((sum, row) => sum + row.count, 0);
      const expected = EVENTS.reduce((sum, e) => sum + Math.max(1, e.groups.length) * Math.max(1, e.categories.length), 0);
      assert.equal(total, expected);
    });

    it('keeps the aggregate right when events arrive late and when retention deletes old ones', async () => {
      const first = generateEvents(1200, 3, 11);
      const f = await fixture(first);
      assert.deepEqual(await f.activity.aggregate(ALL.from, ALL.to), expectedAggregate(first));
      // events stored after the first aggregate (a spool replayed after an outage), some of them
      // in hours already counted
      const late = generateEvents(300, 3, 12).map((e) => ({ ...e, id: `late-${e.id}` }));
      await f.write(late);
      const all = [...first, ...late];
      assert.deepEqual(await f.activity.aggregate(ALL.from, ALL.to), expectedAggregate(all));
      // the same batch again stores nothing (the event id makes a replay a no-op)
      await f.write(late);
      assert.deepEqual(await f.activity.aggregate(ALL.from, ALL.to), expectedAggregate(all));
      const cut = T0 + DAY + 7 * HOUR + 25 * 60_000;
      assert.equal(await f.deleteBefore(cut), all.filter((e) => e.at < cut).length);
      const kept = all.filter((e) => e.at >= cut);
      assert.deepEqual(await f.activity.aggregate(ALL.from, ALL.to), expectedAggregate(kept));
      assert.deepEqual(await f.activity.aggregate(T0 + DAY, T0 + 2 * DAY), expectedAggregate(within(kept, T0 + DAY, T0 + 2 * DAY)));
    });

    it('answers an empty or reversed range with nothing', async () => {
      assert.deepEqual(await shared.activity.aggregate(T0 + DAY, T0 + DAY), []);
      const figures = await shared.activity.overview(T0 + DAY, T0);
      assert.equal(figures.totals.total, 0);
      assert.deepEqual((await shared.activity.search({ from: T0 + DAY, to: T0 })).items, []);
    });
  });
}

describe('activity store on sqlite, without the reader thread', () => {
  it('answers exactly as the reader thread does', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hedgerow-activity-'));
    try {
      const writer = SqliteEventStore.open(databasePath(tmp));
      writer.writeBatch(EVENTS);
      writer.close();
      const thread = await SqliteActivityStore.open({ dataDir: tmp, countsPath: null, foldIntervalMs: 0 });
      const main = await SqliteActivityStore.open({ dataDir: tmp, thread: 'main', countsPath: null });
      const filter = { ...ALL, groups: ['year-8'], limit: 40 };
      assert.deepEqual(await main.search(filter), await thread.search(filter));
      assert.deepEqual(await main.overview(T0, T0 + DAY), await thread.overview(T0, T0 + DAY));
      assert.deepEqual(await main.aggregate(ALL.from, ALL.to), await thread.aggregate(ALL.from, ALL.to));
      await main.close();
      await thread.close();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('reports a data folder with no decision log as HR_STORE_OPEN', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hedgerow-activity-'));
    try {
      await assert.rejects(openActivityStore({ dataDir: tmp }), { code: 'HR_STORE_OPEN' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('searches one person over one week through the person index, not a scan', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hedgerow-activity-'));
    try {
      const writer = SqliteEventStore.open(databasePath(tmp));
      writer.writeBatch(EVENTS);
      writer.close();
      const queries = SqliteActivityQueries.open(tmp, { countsPath: null });
      const plan = queries.explainSearch({ people: ['ada.pupil'], from: T0, to: T0 + 7 * DAY });
      queries.close();
      assert.match(plan.join('\n'), /USING INDEX decision_events_person_at/);
      assert.ok(!plan.some((step) => /^SCAN decision_events$/.test(step)), plan.join(' | '));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('decision log on postgresql', { skip: pgMissing ?? false }, () => {
  let server: TestPostgres;
  let tmp = '';
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-activity-log-'));
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('stores what the sink is handed in PostgreSQL, and reads it back through the log and the activity store', async () => {
    const url = await server.createDatabase('decision_log');
    const backend = await PostgresEventStore.open(url);
    assert.deepEqual(backend.migrations, { applied: ['pg-001_decision_events'], alreadyApplied: [] });
    const log = DecisionLog.open({ dataDir: join(tmp, 'node-a'), backend, batchSize: 100 });
    const events = generateEvents(750, 2, 21);
    for (const event of events) log.sink(event);
    await log.flush();
    assert.equal(log.stats().written, events.length);
    const found = await log.search({ person: 'ada.pupil', limit: 10_000 });
    assert.deepEqual(found, newestFirst(events.filter((e) => e.person === 'ada.pupil')));
    assert.deepEqual(await log.tail(3), newestFirst(events).slice(0, 3));
    const activity = await openActivityStore({ postgres: url });
    assert.deepEqual(await collect(activity, { ...ALL, limit: 99 }), newestFirst(events).map((e) => e.id));
    assert.deepEqual(await activity.aggregate(ALL.from, ALL.to), expectedAggregate(events));
    await activity.close();
    await log.close();
    // a second open finds the tables there
    const again = await PostgresEventStore.open(url);
    assert.deepEqual(again.migrations, { applied: [], alreadyApplied: ['pg-001_decision_events'] });
    assert.equal(await again.count(), events.length);
    await again.close();
  });

  it('spools while PostgreSQL refuses the batch and stores everything once it takes it again', async () => {
    const url = await server.createDatabase('decision_log_outage');
    const backend = await PostgresEventStore.open(url);
    const events = generateEvents(400, 1, 31);
    const warnings: string[] = [];
    const log = DecisionLog.open({ dataDir: join(tmp, 'node-b'), backend, batchSize: 50, onWarning: (m) => warnings.push(m) });
    // Renaming the table makes every insert fail as an outage would, without stopping the server.
    await backend.pool.query('ALTER TABLE decision_events RENAME TO decision_events_away');
    for (const event of events.slice(0, 200)) log.sink(event);
    await assert.rejects(log.flush());
    assert.equal(log.stats().mode, 'catch-up');
    await backend.pool.query('ALTER TABLE decision_events_away RENAME TO decision_events');
    for (const event of events.slice(200)) log.sink(event);
    await log.flush();
    assert.equal(log.stats().mode, 'live');
    assert.equal(await backend.count(), events.length);
    assert.ok(warnings.some((m) => m.includes('decision_events')));
    await log.close();
  });

  it('rebuilds the circumvention counts from PostgreSQL at open', async () => {
    const url = await server.createDatabase('decision_log_circumvention');
    const now = T0 + 2 * DAY;
    const backend = await PostgresEventStore.open(url);
    const attempts = generateEvents(500, 2, 41).filter((e) => e.circumvention && e.person === 'ben.pupil');
    assert.ok(attempts.length > 1);
    await backend.writeBatch(attempts);
    const log = DecisionLog.open({ dataDir: join(tmp, 'node-c'), backend, circumventionWindowMs: 3 * DAY, now: () => now });
    const deadline = Date.now() + 5000;
    while (log.circumventionCount('ben.pupil') < attempts.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(log.circumventionCount('ben.pupil'), attempts.length);
    await log.close();
  });
});
