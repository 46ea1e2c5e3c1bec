// The decision log's part of the governors' report, read from a real activity store (the embedded
// SQLite log and a real PostgreSQL): blocked attempts per week of the term and per category, and
// per group. Every expected figure is counted from the events written, week edges in the school's
// own time zone (British Summer Time ends inside the autumn term).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openActivityStore, SqliteActivityStore, type ActivityStore } from '../../src/activity/index.ts';
import type { DecisionEvent } from '../../src/engine/index.ts';
import { chooseTerm, decisionLogBlocks, termWeeks } from '../../src/reporting/index.ts';
import { databasePath, PostgresEventStore, SqliteEventStore } from '../../src/store/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { referencePolicy, rosterPupils } from './fixtures.ts';

const pgMissing = postgresUnavailable();
const policy = referencePolicy();
const term = chooseTerm(policy, 'Autumn 2026', Date.parse('2026-12-20T12:00:00Z'));
const weeks = termWeeks(term);

/** mulberry32, seeded: the same events on both stores and every run */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeEvents(count: number): DecisionEvent[] {
  const next = random(11);
  const pupils = rosterPupils().slice(0, 6);
  const people = [
    ...pupils.map((p, i) => ({ person: p.username, role: 'pupil', groups: i % 2 === 0 ? ['year-4', 'class-4n'] : ['year-5'] })),
    { person: 'morgan.teacher', role: 'teacher', groups: ['staff'] },
    { person: null, role: 'guest', groups: [] as string[] },
  ];
  const sites: Array<{ host: string; categories: string[]; action: DecisionEvent['action'] }> = [
    { host: 'blocked.example', categories: ['social-networking'], action: 'block' },
    { host: 'games.blocked.example', categories: ['games', 'social-networking'], action: 'block' },
    { host: 'unlisted.example', categories: [], action: 'block' },
    { host: 'example.org', categories: [], action: 'allow' },
  ];
  const events: DecisionEvent[] = [];
  // from a day before the term to a day after it, so the edges are exercised
  const from = term.from - 86_400_000;
  const span = term.to + 86_400_000 - from;
  for (let n = 0; n < count; n++) {
    const who = people[Math.floor(next() * people.length)]!;
    const site = sites[Math.floor(next() * sites.length)]!;
    events.push({
      v: 1,
      id: `ev-${String(n).padStart(6, '0')}`,
      at: from + Math.floor(next() * span),
      point: 'proxy',
      person: who.person,
      role: who.role,
      groups: [...who.groups],
      device: null,
      clientIp: '192.0.2.10',
      host: site.host,
      url: null,
      categories: [...site.categories],
      action: site.action,
      rule: site.action === 'block' ? 'pupil-social-media' : 'default',
      clauses: site.action === 'block' ? ['8.1'] : [],
      circumvention: false,
      policyRevision: 'rev-1',
      warnReason: null,
      searchTerm: null,
    });
  }
  // the exact edges of the first and last week
  events.push({ ...events[0]!, id: 'ev-edge-start', at: term.from, action: 'block', categories: ['games'] });
  events.push({ ...events[0]!, id: 'ev-edge-end', at: term.to - 1, action: 'block', categories: ['games'] });
  events.push({ ...events[0]!, id: 'ev-edge-after', at: term.to, action: 'block', categories: ['games'] });
  return events.sort((a, b) => a.at - b.at);
}

const EVENTS = makeEvents(4000);

function expectedWeeks() {
  return weeks.map((week) => {
    const inWeek = EVENTS.filter((e) => e.action === 'block' && e.at >= week.from && e.at < week.to);
    const byCategory: Record<string, number> = {};
    for (const e of inWeek) for (const c of e.categories.length > 0 ? e.categories : ['']) byCategory[c] = (byCategory[c] ?? 0) + 1;
    return { total: inWeek.length, byCategory };
  });
}

function expectedGroups(): Record<string, number> {
  const byGroup: Record<string, number> = {};
  for (const e of EVENTS) {
    if (e.action !== 'block' || e.at < term.from || e.at >= term.to) continue;
    for (const g of e.groups.length > 0 ? e.groups : ['']) {
      // the activity store's counts hold group × category, so a site in two categories counts twice
      byGroup[g] = (byGroup[g] ?? 0) + Math.max(1, e.categories.length);
    }
  }
  return byGroup;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`blocked attempts from the decision log on ${kind}`, { skip: kind === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let activity: ActivityStore;
    let closeWriter: () => Promise<void> | void = () => {};

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-reporting-'));
      if (kind === 'sqlite') {
        const writer = SqliteEventStore.open(databasePath(tmp));
        writer.writeBatch(EVENTS);
        closeWriter = () => writer.close();
        activity = await SqliteActivityStore.open({ dataDir: tmp, foldIntervalMs: 0 });
      } else {
        server = await startPostgres();
        const url = await server.createDatabase('reporting_blocks');
        const writer = await PostgresEventStore.open(url);
        await writer.writeBatch(EVENTS);
        closeWriter = () => writer.close();
        activity = await openActivityStore({ postgres: url });
      }
    });
    after(async () => {
      await activity?.close();
      await closeWriter();
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('counts blocked attempts per week of the term and per category, as the events say', async () => {
      const figures = await decisionLogBlocks(activity)({ from: term.from, to: term.to }, weeks);
      assert.equal(figures.weeks.length, weeks.length);
      assert.deepEqual(figures.weeks, expectedWeeks());
      const total = figures.weeks.reduce((sum, w) => sum + w.total, 0);
      assert.equal(total, EVENTS.filter((e) => e.action === 'block' && e.at >= term.from && e.at < term.to).length);
      assert.ok(figures.weeks[0]!.byCategory.games! >= 1, 'the first instant of the term is in the first week');
    });

    it('counts blocked attempts per group over the term, with people in no group under the empty group', async () => {
      const figures = await decisionLogBlocks(activity)({ from: term.from, to: term.to }, weeks);
      assert.deepEqual(figures.byGroup, expectedGroups());
      assert.ok((figures.byGroup[''] ?? 0) > 0);
    });
  });
}
