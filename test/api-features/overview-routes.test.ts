// The overview: a school day's figures in the school's own time zone, category titles from the
// policy, open requests from the block page, enforcement health, and names on circumvention
// alerts only for someone who could read that person anyway (8.2; council internet monitoring).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Person } from '../../src/engine/index.ts';
import { overviewRoutes } from '../../src/api/routes/index.ts';
import { dayRange } from '../../src/api/routes/overview-routes.ts';
import { routeHarness, type RouteHarness } from '../support/route-harness.ts';
import { eventFor, featureFixture, HOUR, LESSON, type FeatureFixture } from './feature-fixture.ts';

const arlo: Person = { id: 'arlo.puddingstone', role: 'pupil', groups: ['year-4', 'class-4n'], age: 9 };
const nancy: Person = { id: 'nancy.tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'], age: 10 };
const gwendolyn: Person = { id: 'gwendolyn.ash', role: 'support-staff' };

describe('overview route', () => {
  let f: FeatureFixture;
  let api: RouteHarness;

  before(async () => {
    f = await featureFixture({
      events: (engine) => [
        eventFor(engine, arlo, 'https://social.example/', LESSON - HOUR),
        eventFor(engine, arlo, 'https://proxy.example/', LESSON - HOUR),
        eventFor(engine, nancy, 'https://proxy.example/', LESSON - 2 * HOUR),
        eventFor(engine, nancy, 'https://news.example/', LESSON - 2 * HOUR),
        eventFor(engine, gwendolyn, 'https://news.example/', LESSON),
        // the day before: not in today's figures
        eventFor(engine, nancy, 'https://games.example/', LESSON - 24 * HOUR),
        // a member of staff's circumvention attempt, marked by hand: the reference policy flags pupils only
        { ...eventFor(engine, gwendolyn, 'https://proxy.example/', LESSON - HOUR), circumvention: true, rule: 'staff-test' },
      ],
    });
    await f.deps.requests.unblock.submit({ asker: { person: 'arlo.puddingstone', role: 'pupil', groups: [], clientIp: '192.0.2.10' }, source: 'block-page', url: 'https://social.example/', host: 'social.example', categories: [], clauses: ['8.4'], reason: 'for a project' }, 'arlo.puddingstone');
    await f.deps.requests.reports.create({ kind: 'accident', asker: { person: 'nancy.tumbledown', role: 'pupil', groups: [], clientIp: '192.0.2.10' }, source: 'block-page', url: 'https://games.example/', host: 'games.example', message: '' }, 'nancy.tumbledown');
    api = await routeHarness(overviewRoutes(f.deps));
  });
  after(async () => {
    await api.close();
    await f.close();
  });

  it("summarises today's decisions in the school's time zone, with category titles from the policy", async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/overview', as: f.account('marjorie.wychwood', 'headteacher') });
    assert.equal(status, 200);
    assert.equal(body.date, '2026-11-24');
    assert.equal(body.totals.total, 6);
    assert.equal(body.totals.blocked, 3 + 1);
    const social = body.blocksByCategory.find((row: { category: string }) => row.category === 'social-networking');
    assert.deepEqual(social, { category: 'social-networking', title: 'Social networking', count: 1 });
    assert.equal(body.openRequests, 1, 'only requests for access count as open requests');
    assert.deepEqual(body.points, [
      { name: 'proxy', enabled: true, listening: '127.0.0.1:3128', healthy: true },
      { name: 'dns', enabled: true, listening: null, healthy: false },
    ]);
  });

  it('a date names that day only', async () => {
    const { body } = await api.json({ method: 'GET', url: '/api/overview?date=2026-11-23', as: f.account('marjorie.wychwood', 'headteacher') });
    assert.equal(body.totals.total, 1);
  });

  it("a day when the clocks go back is 25 hours long in London", () => {
    const { from, to } = dayRange('2026-10-25', 'Europe/London');
    assert.equal(to - from, 25 * HOUR);
    assert.equal(new Date(from).toISOString(), '2026-10-24T23:00:00.000Z');
  });

  it("a teacher's overview names pupils of their class on alerts, and hides other classes' pupils and staff", async () => {
    const { body } = await api.json({ method: 'GET', url: '/api/overview', as: f.account('desmond.nightingale', 'teacher', ['class-4n']) });
    const alerts = body.alerts as Array<{ person: string | null; personHidden: boolean }>;
    assert.equal(alerts.length, 3);
    assert.deepEqual(alerts.filter((a) => !a.personHidden).map((a) => a.person), ['arlo.puddingstone']);
    assert.deepEqual(alerts.filter((a) => a.personHidden).map((a) => a.person), [null, null]);
    assert.ok(!JSON.stringify(body).includes('nancy.tumbledown'));
    assert.ok(!JSON.stringify(body).includes('gwendolyn.ash'));
  });

  it("the headteacher sees every pupil's name on alerts but no member of staff's without a purpose", async () => {
    const { body } = await api.json({ method: 'GET', url: '/api/overview', as: f.account('marjorie.wychwood', 'headteacher') });
    const names = (body.alerts as Array<{ person: string | null }>).map((a) => a.person);
    assert.ok(names.includes('arlo.puddingstone') && names.includes('nancy.tumbledown'));
    assert.ok(!names.includes('gwendolyn.ash'));
  });

  it('a malformed date is refused with its field', async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/overview?date=tuesday', as: f.account('marjorie.wychwood', 'headteacher') });
    assert.equal(status, 400);
    assert.equal(body.error.problems[0].field, 'query.date');
  });
});
