// The alert store on SQLite and on a real PostgreSQL: de-duplication by person (or client address),
// kind and category or list inside the window; a replayed event counted once; handling from new
// to acknowledged to closed; the filters of the list; and the figures of the weekly digest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertTriggers, AlertStore, compileAlerts, type AlertHit } from '../../src/cases/index.ts';
import type { DecisionEvent } from '../../src/engine/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { pgMissing, referencePolicy, useDialect } from '../notify/fixture.ts';
import { desmond, eventFor, guest, mabel, stanley } from './alert-fixture.ts';

const T0 = Date.parse('2026-11-24T10:15:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const compiled = compileAlerts(referencePolicy().workflows.alerts!);

function hitsOf(event: DecisionEvent): AlertHit[] {
  const hits = alertTriggers(compiled, event);
  assert.ok(hits.length > 0, `${event.host} raises an alert`);
  return hits;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`alert store on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    const stores = useDialect(dialect);

    async function fresh(clock = { now: T0 }) {
      const store = await stores.fresh();
      return { alerts: new AlertStore(store, { now: () => clock.now }), clock };
    }

    it('repeats by the same person, kind and category inside the window raise the count of one alert', async () => {
      const { alerts } = await fresh();
      const first = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', T0))[0]!, HOUR);
      assert.deepEqual([first.created, first.alert.count, first.alert.state], [true, 1, 'new']);
      const second = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/page', T0 + 10 * MINUTE))[0]!, HOUR);
      const third = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/other', T0 + 59 * MINUTE))[0]!, HOUR);
      assert.deepEqual([second.created, third.created, third.alert.id, third.alert.count, third.alert.lastAt], [false, false, first.alert.id, 3, T0 + 59 * MINUTE]);
      const events = await alerts.events(first.alert.id);
      assert.deepEqual(events.map((e) => e.at), [T0, T0 + 10 * MINUTE, T0 + 59 * MINUTE]);

      const later = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', T0 + HOUR + MINUTE))[0]!, HOUR);
      assert.equal(later.created, true, 'past the window a new alert opens');
      const someoneElse = await alerts.recordHit(hitsOf(eventFor(stanley, 'http://harm.example/', T0 + 5 * MINUTE))[0]!, HOUR);
      assert.equal(someoneElse.created, true, 'another person has their own alert');
      const otherCategory = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://adult.example/', T0 + 5 * MINUTE))[0]!, HOUR);
      assert.equal(otherCategory.created, true, 'another category has its own alert');
    });

    it('someone unidentified is told apart by their client address', async () => {
      const { alerts } = await fresh();
      const a = await alerts.recordHit(hitsOf(eventFor(guest, 'http://harm.example/', T0, { clientIp: '192.0.2.10' }))[0]!, HOUR);
      const b = await alerts.recordHit(hitsOf(eventFor(guest, 'http://harm.example/', T0 + MINUTE, { clientIp: '192.0.2.10' }))[0]!, HOUR);
      const c = await alerts.recordHit(hitsOf(eventFor(guest, 'http://harm.example/', T0 + MINUTE, { clientIp: '192.0.2.11' }))[0]!, HOUR);
      assert.deepEqual([a.created, b.created, c.created], [true, false, true]);
      assert.equal(a.alert.person, null);
      assert.equal(a.alert.clientIp, '192.0.2.10');
    });

    it('the same event offered twice is counted once', async () => {
      const { alerts } = await fresh();
      const hit = hitsOf(eventFor(mabel, 'http://harm.example/', T0))[0]!;
      const first = await alerts.recordHit(hit, HOUR);
      const replay = await alerts.recordHit(hit, HOUR);
      assert.deepEqual([replay.created, replay.duplicate, replay.alert.id, replay.alert.count], [false, true, first.alert.id, 1]);
      const repeat = hitsOf(eventFor(mabel, 'http://harm.example/', T0 + MINUTE))[0]!;
      await alerts.recordHit(repeat, HOUR);
      const again = await alerts.recordHit(repeat, HOUR);
      assert.deepEqual([again.duplicate, again.alert.count], [true, 2]);
    });

    it('two writers at once still open one alert for one key', async () => {
      const { alerts } = await fresh();
      // PostgreSQL: a second node on its own connection; SQLite has one writer per process
      const other = dialect === 'postgres' ? new AlertStore(await stores.reopen()) : alerts;
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? alerts : other).recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', T0 + i * 1000))[0]!, HOUR)),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      const { items } = await alerts.list({ state: 'all' });
      assert.deepEqual(items.map((a) => a.count), [6]);
    });

    it('keeps the whole first event, the keyword that matched and what was typed', async () => {
      const { alerts } = await fresh();
      const event = eventFor(mabel, 'https://search.example/?q=x', T0, { searchTerm: 'how 2 k1ll myself', device: 'laptop-17' });
      const { alert } = await alerts.recordHit(hitsOf(event)[0]!, HOUR);
      const stored = await alerts.get(alert.id);
      assert.deepEqual(
        [stored.kind, stored.subject, stored.person, stored.role, stored.groups, stored.device, stored.clientIp, stored.host, stored.searchTerm, stored.matched, stored.term, stored.language, stored.eventId],
        ['keyword', 'self-harm', 'mabel.foxglove', 'pupil', ['year-6', 'class-6s'], 'laptop-17', '10.20.6.3', 'search.example', 'how 2 k1ll myself', 'k1ll myself', 'kill myself', 'en', event.id],
      );
    });

    it('an alert is acknowledged, then closed with a note; a closed alert makes way for a new one', async () => {
      const { alerts, clock } = await fresh();
      const { alert } = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', T0))[0]!, HOUR);
      clock.now = T0 + 5 * MINUTE;
      const ack = await alerts.acknowledge(alert.id, 'nigel.applegarth', 'speaking to the class teacher');
      assert.deepEqual([ack.before.state, ack.after.state, ack.after.acknowledgedBy, ack.after.acknowledgedAt, ack.after.acknowledgeNote], ['new', 'acknowledged', 'nigel.applegarth', T0 + 5 * MINUTE, 'speaking to the class teacher']);
      await assert.rejects(alerts.acknowledge(alert.id, 'nigel.applegarth'), (e: HedgerowError) => e.code === 'HR_ALERTS_STATE');
      await assert.rejects(alerts.close(alert.id, 'nigel.applegarth', '   '), (e: HedgerowError) => e.code === 'HR_ALERTS_INPUT' && e.where?.field === 'note');
      const closed = await alerts.close(alert.id, 'nigel.applegarth', 'Spoke to Mabel with her teacher; parents informed.');
      assert.deepEqual([closed.after.state, closed.after.closedBy, closed.after.closeNote], ['closed', 'nigel.applegarth', 'Spoke to Mabel with her teacher; parents informed.']);
      await assert.rejects(alerts.close(alert.id, 'nigel.applegarth', 'again'), (e: HedgerowError) => e.code === 'HR_ALERTS_STATE');
      await assert.rejects(alerts.get('al-missing'), (e: HedgerowError) => e.code === 'HR_ALERTS_NOT_FOUND');
      const next = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', T0 + 10 * MINUTE))[0]!, HOUR);
      assert.equal(next.created, true, 'a repeat after closing is a new alert, not a count on the closed one');
    });

    it('lists open alerts by default, newest first, with filters and pages', async () => {
      const { alerts } = await fresh();
      const a = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', T0))[0]!, HOUR);
      const b = await alerts.recordHit(hitsOf(eventFor(stanley, 'https://search.example/', T0 + MINUTE, { searchTerm: 'nobody likes you' }))[0]!, HOUR);
      const c = await alerts.recordHit(hitsOf(eventFor(desmond, 'http://legal.example/', T0 + 2 * MINUTE))[0]!, HOUR);
      await alerts.close(a.alert.id, 'nigel.applegarth', 'handled');
      assert.deepEqual((await alerts.list()).items.map((x) => x.id), [c.alert.id, b.alert.id]);
      assert.deepEqual((await alerts.list({ state: 'all' })).items.map((x) => x.id), [c.alert.id, b.alert.id, a.alert.id]);
      assert.deepEqual((await alerts.list({ state: 'closed' })).items.map((x) => x.id), [a.alert.id]);
      assert.deepEqual((await alerts.list({ state: 'all', kind: 'keyword' })).items.map((x) => x.subject), ['bullying']);
      assert.deepEqual((await alerts.list({ state: 'all', group: 'class-6s' })).items.map((x) => x.id), [b.alert.id, a.alert.id]);
      assert.deepEqual((await alerts.list({ state: 'all', group: 'class-6' })).items, [], 'a group is matched whole');
      assert.deepEqual((await alerts.list({ state: 'all', person: 'desmond.nightingale' })).items.map((x) => x.kind), ['rule']);
      assert.deepEqual((await alerts.list({ state: 'all', from: T0 + MINUTE, to: T0 + 2 * MINUTE })).items.map((x) => x.id), [b.alert.id]);
      const page1 = await alerts.list({ state: 'all', limit: 2 });
      const page2 = await alerts.list({ state: 'all', limit: 2, cursor: page1.nextCursor });
      assert.deepEqual([page1.items.length, page2.items.map((x) => x.id), page2.nextCursor], [2, [a.alert.id], null]);
      assert.deepEqual(await alerts.openCounts(), { new: 2, acknowledged: 0 });
    });

    it('gives the digest its figures: alerts opened and attempts in the week, groups, and what is open', async () => {
      const { alerts } = await fresh();
      const weekStart = T0 - 7 * 24 * HOUR;
      await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', weekStart - HOUR))[0]!, HOUR); // before the week: open, not counted
      const m = await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', T0 - 2 * HOUR))[0]!, HOUR);
      await alerts.recordHit(hitsOf(eventFor(mabel, 'http://harm.example/', T0 - 2 * HOUR + MINUTE))[0]!, HOUR);
      await alerts.recordHit(hitsOf(eventFor(stanley, 'https://search.example/', T0 - HOUR, { searchTerm: 'nobody likes you' }))[0]!, HOUR);
      await alerts.recordHit(hitsOf(eventFor(desmond, 'http://legal.example/', T0 - HOUR))[0]!, HOUR);
      await alerts.close(m.alert.id, 'nigel.applegarth', 'handled');
      const figures = await alerts.digestFigures(weekStart, T0);
      assert.equal(figures.alerts, 3);
      assert.equal(figures.attempts, 4);
      assert.deepEqual(
        figures.bySubject.map((s) => [s.kind, s.subject, s.alerts, s.attempts]),
        [
          ['category', 'self-harm', 1, 2],
          ['keyword', 'bullying', 1, 1],
          ['rule', 'council-legal-lists', 1, 1],
        ],
      );
      assert.deepEqual(figures.groups, [
        { group: 'class-6s', alerts: 2 },
        { group: 'year-6', alerts: 2 },
        { group: 'class-4n', alerts: 1 },
      ]);
      assert.deepEqual(figures.open, { new: 3, acknowledged: 0, oldestFirstAt: weekStart - HOUR });
    });
  });
}
