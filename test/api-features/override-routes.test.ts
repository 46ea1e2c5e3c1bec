// Overrides from the dashboard: a teacher grants a site to their own class for a lesson (7.1),
// effective at once on the running engine; never to other classes, roles or people; revocable
// with a reason; every grant and revocation audited (issue 4 §4, Overrides).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Person } from '../../src/engine/index.ts';
import { overrideRoutes } from '../../src/api/routes/index.ts';
import { routeHarness, type RouteHarness } from '../support/route-harness.ts';
import { featureFixture, LESSON, type FeatureFixture } from './feature-fixture.ts';

const arlo: Person = { id: 'arlo.puddingstone', role: 'pupil', groups: ['year-4', 'class-4n'], age: 9 };
const nancy: Person = { id: 'nancy.tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'], age: 10 };

describe('override routes', () => {
  let f: FeatureFixture;
  let api: RouteHarness;

  before(async () => {
    f = await featureFixture();
    api = await routeHarness(overrideRoutes(f.deps));
  });
  after(async () => {
    await api.close();
    await f.close();
  });

  const teacher = () => f.account('desmond.nightingale', 'teacher', ['class-4n']);
  const head = () => f.account('marjorie.wychwood', 'headteacher');
  const grant = (body: Record<string, unknown>, as = teacher()) => api.json({ method: 'POST', url: '/api/overrides', as, body });

  it('a teacher grants a site to their own class for a lesson and the engine allows it at once, for that class only (7.1)', async () => {
    assert.equal(f.decide(arlo, 'https://social.example/').action, 'block');
    const { status, body } = await grant({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 50, reason: 'researching a class blog' });
    assert.equal(status, 201);
    assert.equal(body.state, 'active');
    assert.equal(body.until, LESSON + 50 * 60_000);
    assert.equal(body.grantedBy, 'desmond.nightingale');
    const decision = f.decide(arlo, 'https://social.example/');
    assert.deepEqual([decision.action, decision.grant], ['allow', body.id]);
    assert.equal(f.decide(nancy, 'https://social.example/').action, 'block');
    assert.equal(f.decide(arlo, 'https://social.example/', LESSON + 51 * 60_000).action, 'block', 'the grant ends when the lesson does');

    const entry = (await f.deps.audit.entries({ limit: 1000 })).at(-1)!;
    assert.deepEqual([entry.actor, entry.action, entry.subject, entry.reason], ['desmond.nightingale', 'override.grant', `override:${body.id}`, 'researching a class blog']);
    await f.deps.overrides.revoke(body.id, 'marjorie.wychwood', 'test over');
  });

  it('a teacher cannot grant to another class, to a role or to a pupil outside their classes', async () => {
    const { status, body } = await grant({ scope: { groups: ['class-5m'], roles: ['pupil'], people: ['nancy.tumbledown', 'arlo.puddingstone'] }, what: { categories: ['games'] }, minutes: 30, reason: 'a game' });
    assert.equal(status, 403);
    assert.equal(body.error.code, 'HR_API_FORBIDDEN');
    const fields = (body.error.problems as Array<{ field: string }>).map((p) => p.field).sort();
    assert.deepEqual(fields, ['scope.groups[0]', 'scope.people[0]', 'scope.roles[0]']);
    assert.equal((await f.deps.overrides.list({ state: 'all' })).items.filter((o) => o.reason === 'a game').length, 0);
  });

  it("a teacher may grant to a pupil of their class by name", async () => {
    const { status, body } = await grant({ scope: { people: ['Arlo.Puddingstone'] }, what: { sites: ['games.example'] }, minutes: 10, reason: 'reward' });
    assert.equal(status, 201);
    assert.deepEqual(body.scope, { people: ['arlo.puddingstone'] });
    await f.deps.overrides.revoke(body.id, 'marjorie.wychwood', 'test over');
  });

  it('the headteacher, who may grant to anyone, grants a category to a role', async () => {
    const { status, body } = await grant({ scope: { roles: ['pupil'] }, what: { categories: ['games'] }, until: LESSON + 3_600_000, reason: 'games club' }, head());
    assert.equal(status, 201);
    assert.deepEqual(body.what, { categories: ['games'] });
    await f.deps.overrides.revoke(body.id, 'marjorie.wychwood', 'test over');
  });

  it('names every problem of a grant: unknown names, no end, a host that is not one', async () => {
    const { status, body } = await grant({ scope: { groups: ['class-9z'] }, what: { sites: ['not a host'], categories: ['sweets'] }, reason: ' ' }, head());
    assert.equal(status, 400);
    assert.equal(body.error.code, 'HR_OVERRIDES_INPUT');
    const fields = (body.error.problems as Array<{ field: string }>).map((p) => p.field).sort();
    assert.deepEqual(fields, ['reason', 'scope.groups[0]', 'until', 'what.categories[0]', 'what.sites[0]']);
  });

  it('revoking stops the grant at once, needs a reason, and cannot happen twice', async () => {
    const created = await grant({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 30, reason: 'project' });
    assert.equal(f.decide(arlo, 'https://social.example/').action, 'allow');
    const head = f.account('marjorie.wychwood', 'headteacher');
    const noReason = await api.json({ method: 'DELETE', url: `/api/overrides/${created.body.id}`, as: head, body: {} });
    assert.equal(noReason.status, 400);
    const revoked = await api.json({ method: 'DELETE', url: `/api/overrides/${created.body.id}`, as: head, body: { reason: 'finished early' } });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.state, 'revoked');
    assert.equal(f.decide(arlo, 'https://social.example/').action, 'block');
    const entry = (await f.deps.audit.entries({ limit: 1000 })).at(-1)!;
    assert.deepEqual([entry.action, entry.reason, (entry.before as { revokedAt: unknown }).revokedAt], ['override.revoke', 'finished early', null]);
    const again = await api.json({ method: 'DELETE', url: `/api/overrides/${created.body.id}`, as: head, body: { reason: 'again' } });
    assert.deepEqual([again.status, again.body.error.code], [409, 'HR_OVERRIDES_REVOKED']);
    const missing = await api.json({ method: 'DELETE', url: '/api/overrides/ovr-nothing', as: head, body: { reason: 'x' } });
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'HR_OVERRIDES_NOT_FOUND']);
  });

  it('a teacher cannot revoke (the reference policy gives overrides.revoke to the headteacher)', async () => {
    const { status } = await api.json({ method: 'DELETE', url: '/api/overrides/ovr-any', as: teacher(), body: { reason: 'x' } });
    assert.equal(status, 403);
  });

  it('lists the overrides in force by default, and all of them on request, newest first', async () => {
    f.clock.now = LESSON + 60_000;
    const live = await grant({ scope: { groups: ['class-4n'] }, what: { sites: ['news.example'] }, minutes: 30, reason: 'current affairs' });
    const active = await api.json({ method: 'GET', url: '/api/overrides', as: teacher() });
    assert.deepEqual(active.body.items.map((o: { id: string }) => o.id), [live.body.id]);
    const all = await api.json({ method: 'GET', url: '/api/overrides?state=all&limit=2', as: teacher() });
    assert.equal(all.body.items.length, 2);
    assert.equal(all.body.items[0].id, live.body.id);
    assert.ok(all.body.nextCursor);
    const rest = await api.json({ method: 'GET', url: `/api/overrides?state=all&limit=100&cursor=${all.body.nextCursor}`, as: teacher() });
    assert.ok(rest.body.items.every((o: { state: string }) => o.state === 'revoked'));
    assert.equal(all.body.items.length + rest.body.items.length, await f.deps.overrides.count());
  });
});
