// Who may read whose browsing through /api/activity and /api/activity.csv: pupils their own,
// teachers their own classes' pupils, a member of staff's only with a lawful purpose from the
// council's monitoring list, and that read audited (council internet monitoring; issue 4 §3).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DecisionEvent, Person } from '../../src/engine/index.ts';
import { activityRoutes } from '../../src/api/routes/index.ts';
import { routeHarness, type RouteHarness } from '../support/route-harness.ts';
import { eventFor, featureFixture, HOUR, LESSON, type FeatureFixture } from './feature-fixture.ts';

const arlo: Person = { id: 'arlo.puddingstone', role: 'pupil', groups: ['year-4', 'class-4n'], age: 9 };
const florence: Person = { id: 'florence.oakhollow', role: 'pupil', groups: ['year-4', 'class-4n'], age: 8 };
const nancy: Person = { id: 'nancy.tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'], age: 10 };
const desmond: Person = { id: 'desmond.nightingale', role: 'teacher', groups: ['class-4n'] };
const gwendolyn: Person = { id: 'gwendolyn.ash', role: 'support-staff' };
const guest: Person = { role: 'guest' };

describe('activity routes', () => {
  let f: FeatureFixture;
  let api: RouteHarness;
  let events: DecisionEvent[] = [];

  before(async () => {
    f = await featureFixture({
      events: (engine) => {
        events = [
          eventFor(engine, arlo, 'https://social.example/', LESSON - 2 * HOUR),
          eventFor(engine, arlo, 'https://proxy.example/', LESSON - HOUR),
          eventFor(engine, florence, 'https://news.example/', LESSON - HOUR),
          eventFor(engine, nancy, 'https://games.example/', LESSON - HOUR),
          eventFor(engine, desmond, 'https://social.example/', LESSON - HOUR),
          eventFor(engine, gwendolyn, 'https://games.example/', LESSON - 3 * HOUR),
          eventFor(engine, guest, 'https://news.example/', LESSON - HOUR),
        ];
        return events;
      },
    });
    api = await routeHarness(activityRoutes(f.deps));
  });
  after(async () => {
    await api.close();
    await f.close();
  });

  const teacher = () => f.account('desmond.nightingale', 'teacher', ['class-4n']);
  const people = (items: DecisionEvent[]) => [...new Set(items.map((e) => e.person))].sort();

  it('a pupil sees only their own activity', async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity', as: f.account('arlo.puddingstone', 'pupil', ['year-4', 'class-4n']) });
    assert.equal(status, 200);
    assert.deepEqual(people(body.items), ['arlo.puddingstone']);
    assert.equal(body.items.length, 2);
  });

  it("a pupil cannot read another pupil's activity", async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?person=florence.oakhollow', as: f.account('arlo.puddingstone', 'pupil', ['year-4', 'class-4n']) });
    assert.equal(status, 403);
    assert.equal(body.error.code, 'HR_API_FORBIDDEN');
  });

  it("a teacher reads a pupil of their own class", async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?person=florence.oakhollow', as: teacher() });
    assert.equal(status, 200);
    assert.deepEqual(people(body.items), ['florence.oakhollow']);
  });

  it('a teacher cannot read a pupil outside their classes', async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?person=nancy.tumbledown', as: teacher() });
    assert.equal(status, 403);
    assert.equal(body.error.code, 'HR_API_FORBIDDEN');
    assert.match(body.error.message, /not in one of your classes/);
  });

  it("a teacher's search shows only their classes' pupils: no other class, no staff, no unidentified guest", async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity', as: teacher() });
    assert.equal(status, 200);
    assert.deepEqual(people(body.items), ['arlo.puddingstone', 'florence.oakhollow']);
    const asked = f.activity.asked.at(-1)!;
    assert.deepEqual(asked.groups, ['class-4n']);
    assert.ok(asked.roles!.every((role) => role === 'pupil' || role === 'guest'), `roles asked: ${asked.roles}`);
  });

  it('a teacher cannot search a group outside their classes, but may narrow to a year group holding their class', async () => {
    const other = await api.json({ method: 'GET', url: '/api/activity?group=year-5', as: teacher() });
    assert.equal(other.status, 403);
    const year = await api.json({ method: 'GET', url: '/api/activity?group=year-4', as: teacher() });
    assert.equal(year.status, 200);
    assert.deepEqual(people(year.body.items), ['arlo.puddingstone', 'florence.oakhollow']);
  });

  it('a teacher with no classes sees no one', async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity', as: f.account('ada.tinderbox', 'teacher', []) });
    assert.equal(status, 200);
    assert.deepEqual(body.items, []);
  });

  it("a teacher is refused a member of staff's activity (teachers hold no activity.read.staff)", async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?person=gwendolyn.ash&purpose=crime', as: teacher() });
    assert.equal(status, 403);
    assert.equal(body.error.code, 'HR_API_FORBIDDEN');
  });

  it("reading a member of staff's activity needs a monitoring purpose (council internet monitoring)", async () => {
    const lead = f.account('nigel.applegarth', 'safeguarding-lead');
    const before = (await f.deps.audit.entries({ limit: 10_000 })).length;
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?person=gwendolyn.ash', as: lead });
    assert.equal(status, 400);
    assert.equal(body.error.code, 'HR_API_PURPOSE_REQUIRED');
    assert.equal(body.error.problems[0].field, 'purpose');
    assert.match(body.error.message, /`crime`/);
    assert.equal((await f.deps.audit.entries({ limit: 10_000 })).length, before, 'a refused read is not recorded as a read');
  });

  it('a purpose the policy does not list is refused, naming the listed ones', async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?person=gwendolyn.ash&purpose=curiosity', as: f.account('nigel.applegarth', 'safeguarding-lead') });
    assert.equal(status, 400);
    assert.equal(body.error.code, 'HR_API_PURPOSE_REQUIRED');
    assert.match(body.error.message, /`curiosity` is not one of the policy's monitoring purposes/);
  });

  it("the safeguarding lead reads a member of staff's activity with a purpose, and the read is audited first", async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?person=gwendolyn.ash&purpose=unauthorised-use', as: f.account('nigel.applegarth', 'safeguarding-lead') });
    assert.equal(status, 200);
    assert.deepEqual(people(body.items), ['gwendolyn.ash']);
    const last = (await f.deps.audit.entries({ limit: 10_000 })).at(-1)!;
    assert.equal(last.actor, 'nigel.applegarth');
    assert.equal(last.action, 'activity.read.staff');
    assert.equal(last.subject, 'person:gwendolyn.ash');
    assert.equal(last.reason, 'Detecting unauthorised use of the internet');
    assert.equal((last.after as { purpose: string }).purpose, 'unauthorised-use');
  });

  it("a search without a purpose never returns an adult's activity, even for the safeguarding lead", async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity', as: f.account('nigel.applegarth', 'safeguarding-lead') });
    assert.equal(status, 200);
    assert.ok(body.items.length > 0);
    for (const event of body.items as DecisionEvent[]) assert.ok(event.role === 'pupil' || event.role === 'guest', `${event.person} (${event.role}) came back`);
  });

  it("searching the staff role is a read of staff: purpose needed, then audited", async () => {
    const lead = f.account('nigel.applegarth', 'safeguarding-lead');
    assert.equal((await api.json({ method: 'GET', url: '/api/activity?role=teacher', as: lead })).status, 400);
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?role=teacher&purpose=standards-and-training', as: lead });
    assert.equal(status, 200);
    assert.deepEqual(people(body.items), ['desmond.nightingale']);
    assert.equal((await f.deps.audit.entries({ limit: 10_000 })).at(-1)!.subject, 'role:teacher');
  });

  it('everyone may read their own activity by naming themselves, without a purpose', async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?person=desmond.nightingale', as: teacher() });
    assert.equal(status, 200);
    assert.deepEqual(people(body.items), ['desmond.nightingale']);
  });

  it('paging with the cursor returns every row of the search exactly once', async () => {
    const seen: string[] = [];
    let url = '/api/activity?limit=2';
    for (let i = 0; i < 10; i++) {
      const { status, body } = await api.json({ method: 'GET', url, as: f.account('marjorie.wychwood', 'headteacher') });
      assert.equal(status, 200);
      seen.push(...(body.items as DecisionEvent[]).map((e) => e.id));
      if (!body.nextCursor) break;
      url = `/api/activity?limit=2&cursor=${encodeURIComponent(body.nextCursor)}`;
    }
    const pupilEvents = events.filter((e) => e.role === 'pupil' || e.role === 'guest').map((e) => e.id);
    assert.deepEqual([...seen].sort(), [...pupilEvents].sort());
  });

  it('an input that does not fit is refused with the field named', async () => {
    const { status, body } = await api.json({ method: 'GET', url: '/api/activity?action=explode&limit=0', as: teacher() });
    assert.equal(status, 400);
    const fields = (body.error.problems as Array<{ field: string }>).map((p) => p.field).sort();
    assert.deepEqual(fields, ['query.action', 'query.limit']);
  });

  it('the CSV export follows the same rules and is streamed as text/csv', async () => {
    // a teacher given the export action still exports only their own classes
    const exporter = { ...teacher(), can: [...teacher().can, 'activity.export' as const] };
    const response = await api.request({ method: 'GET', url: '/api/activity.csv', as: exporter });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/csv/);
    const lines = response.body.trim().split('\r\n');
    assert.equal(lines[0], 'at,person,role,host,action');
    assert.deepEqual([...new Set(lines.slice(1).map((l) => l.split(',')[1]))].sort(), ['arlo.puddingstone', 'florence.oakhollow']);
    const refused = await api.json({ method: 'GET', url: '/api/activity.csv?person=nancy.tumbledown', as: exporter });
    assert.equal(refused.status, 403);
  });

  it("exporting a member of staff's activity is audited as an export", async () => {
    const response = await api.request({ method: 'GET', url: '/api/activity.csv?person=gwendolyn.ash&purpose=crime', as: f.account('marjorie.wychwood', 'headteacher') });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /gwendolyn\.ash/);
    const last = (await f.deps.audit.entries({ limit: 10_000 })).at(-1)!;
    assert.equal(last.action, 'activity.export.staff');
    assert.equal(last.reason, 'Prevention or detection of crime');
  });

  it('a role without activity.export cannot export at all', async () => {
    const { status } = await api.json({ method: 'GET', url: '/api/activity.csv', as: teacher() });
    assert.equal(status, 403);
  });
});
