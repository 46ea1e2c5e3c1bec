// Governors see aggregate reports only, never a named child (1.1; issue 4 §3).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DecisionEvent, Person } from '../../src/engine/index.ts';
import { reportRoutes } from '../../src/api/routes/index.ts';
import { routeHarness, type RouteHarness } from '../support/route-harness.ts';
import { eventFor, featureFixture, HOUR, LESSON, type FeatureFixture } from './feature-fixture.ts';

const pupils: Person[] = [
  { id: 'arlo.puddingstone', role: 'pupil', groups: ['year-4', 'class-4n'], age: 9 },
  { id: 'florence.oakhollow', role: 'pupil', groups: ['year-4', 'class-4n'], age: 8 },
  { id: 'nancy.tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'], age: 10 },
];

describe('report routes', () => {
  let f: FeatureFixture;
  let api: RouteHarness;
  let events: DecisionEvent[] = [];

  before(async () => {
    f = await featureFixture({
      events: (engine) => {
        events = pupils.flatMap((p, i) => [
          eventFor(engine, p, 'https://social.example/', LESSON - (i + 1) * HOUR),
          eventFor(engine, p, 'https://news.example/', LESSON - (i + 2) * HOUR),
        ]);
        return events;
      },
    });
    api = await routeHarness(reportRoutes(f.deps));
  });
  after(async () => {
    await api.close();
    await f.close();
  });

  it("a governor's aggregate report names no child", async () => {
    const governor = f.account('rupert.thornbury', 'governor');
    const response = await api.request({ method: 'GET', url: `/api/reports/aggregate?from=${LESSON - 24 * HOUR}&to=${LESSON + HOUR}`, as: governor });
    assert.equal(response.statusCode, 200);
    for (const person of pupils) assert.ok(!response.body.includes(person.id!), `${person.id} appears in the report`);
    assert.ok(!response.body.includes('192.0.2.10'), 'a client address appears in the report');
    const rows = response.json().rows as Array<Record<string, unknown>>;
    for (const row of rows) assert.deepEqual(Object.keys(row).sort(), ['action', 'category', 'count', 'group']);
  });

  it('each row counts the decisions of its group, category and action', async () => {
    const { body } = await api.json({ method: 'GET', url: `/api/reports/aggregate?from=${LESSON - 24 * HOUR}&to=${LESSON + HOUR}`, as: f.account('rupert.thornbury', 'governor') });
    const rows = body.rows as Array<{ group: string; category: string; action: string; count: number }>;
    const blockedSocial = rows.find((r) => r.group === 'class-4n' && r.category === 'social-networking' && r.action === 'block');
    assert.equal(blockedSocial?.count, 2);
    const news = rows.filter((r) => r.category === 'news' && r.action === 'allow');
    for (const group of ['year-4', 'class-4n', 'year-5', 'class-5m']) {
      const expected = events.filter((e) => e.groups.includes(group) && e.categories.includes('news')).length;
      assert.equal(news.find((r) => r.group === group)?.count, expected, group);
    }
  });

  it('without a range the report covers the last 30 days', async () => {
    const { body } = await api.json({ method: 'GET', url: '/api/reports/aggregate', as: f.account('rupert.thornbury', 'governor') });
    assert.equal(body.to, f.clock.now + 1, "to is exclusive, so what happened this millisecond is counted");
    assert.equal(body.to - body.from, 30 * 24 * HOUR);
  });

  it('a teacher is not given the aggregate report', async () => {
    const { status } = await api.json({ method: 'GET', url: '/api/reports/aggregate', as: f.account('desmond.nightingale', 'teacher', ['class-4n']) });
    assert.equal(status, 403);
  });
});
