// The requests API through the route harness, each account holding the actions the reference
// policy grants its role: pupils follow their own requests, the e-safety team recommends (8.4),
// the headteacher decides (8.5), a teacher sees only the reports routed to them or their classes
// (7.8), the headteacher handles contact attempts (6.4, 6.5, 7.3, 7.4), and the register and the
// overblocking figures are read as JSON and CSV.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openApiDocument, type ApiDeps } from '../../src/api/index.ts';
import { requestsRoutes } from '../../src/cases/index.ts';
import { checkPermissionMatrix } from '../support/permission-matrix.ts';
import { routeHarness, type RouteHarness, type TestAccount } from '../support/route-harness.ts';
import { Databases, DAY, HOUR, LESSON, PEOPLE, personOf, type Harness } from './fixture.ts';

/** Only what the routes use; anything else fails the test loudly. */
function depsFor(h: Harness): ApiDeps {
  const given: Partial<ApiDeps> = { engine: () => h.engine, now: () => h.clock.now };
  return new Proxy(given as ApiDeps, {
    get(target, property) {
      if (property in target) return target[property as keyof ApiDeps];
      if (property === 'then') return undefined;
      throw new Error(`the routes used deps.${String(property)}`);
    },
  });
}

describe('requests API', () => {
  const dbs = new Databases('sqlite');
  let h: Harness;
  let api: RouteHarness;
  const as: Record<string, TestAccount> = {};

  before(async () => {
    await dbs.start();
    h = await dbs.fresh();
    api = await routeHarness(requestsRoutes(depsFor(h), h.workflow));
    for (const person of PEOPLE) {
      as[person.username] = { username: person.username, role: person.role, groups: [...person.groups], can: [...(h.engine.policy.access[person.role] ?? []), 'session.self'] };
    }
  });
  after(async () => {
    await api?.close();
    await dbs.stop();
  });

  async function ask(username: string, url: string, reason = 'for a lesson') {
    const answer = await api.json({ method: 'POST', url: '/api/requests', as: as[username]!, body: { url, reason } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body as { id: string; host: string; categories: string[]; allowed: Record<string, boolean> };
  }

  it('gates every route by its one action for every role of the reference policy, and describes them all in OpenAPI', async () => {
    const routes = requestsRoutes(depsFor(h), h.workflow);
    const report = await checkPermissionMatrix(routes, h.engine.policy);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.checked, routes.length * (Object.keys(h.engine.policy.roles).length + 1));
    const doc = openApiDocument(routes);
    for (const path of ['/api/requests', '/api/requests/{id}/approve', '/api/case-reports/{id}/close', '/api/register.csv', '/api/register/figures']) assert.ok(doc.paths[path], path);
  });

  it('lets a pupil ask and follow only their own requests (8.4)', async () => {
    const mine = await ask('arlo.puddingstone', 'https://www.social.example/blog');
    assert.equal(mine.host, 'www.social.example');
    assert.ok(mine.categories.includes('social-networking'), 'the engine names the categories');
    assert.deepEqual(mine.allowed, { recommend: false, decide: false, withdraw: true });
    const theirs = await ask('nancy.tumbledown', 'https://games.example/');
    const list = await api.json({ method: 'GET', url: '/api/requests', as: as['arlo.puddingstone']! });
    assert.deepEqual((list.body.items as Array<{ id: string }>).map((r) => r.id), [mine.id]);
    const other = await api.json({ method: 'GET', url: `/api/requests/${theirs.id}`, as: as['arlo.puddingstone']! });
    assert.equal(other.status, 404);
    assert.equal(other.body.error.code, 'HR_REQUESTS_NOT_FOUND');
    const recommend = await api.json({ method: 'POST', url: `/api/requests/${mine.id}/recommend`, as: as['arlo.puddingstone']!, body: { recommendation: 'approve', note: 'me' } });
    assert.equal(recommend.status, 403);
    const reviewerList = await api.json({ method: 'GET', url: '/api/requests?state=open', as: as['jonah.birchwood']! });
    assert.ok((reviewerList.body.items as Array<{ id: string }>).some((r) => r.id === theirs.id), 'the e-safety team sees every request');
  });

  it('refuses a request with no reason or not a web address', async () => {
    const noReason = await api.json({ method: 'POST', url: '/api/requests', as: as['arlo.puddingstone']!, body: { url: 'https://games.example/', reason: ' ' } });
    assert.equal(noReason.status, 400);
    const notUrl = await api.json({ method: 'POST', url: '/api/requests', as: as['arlo.puddingstone']!, body: { url: 'http://', reason: 'x' } });
    assert.equal(notUrl.status, 400);
    assert.equal(notUrl.body.error.code, 'HR_REQUESTS_INPUT');
  });

  it('takes a request from recommendation to approval for a class, in force for that class only (8.4, 8.5)', async () => {
    const request = await ask('desmond.nightingale', 'https://class.social.example/', 'the class blog for 4N');
    const headRecommends = await api.json({ method: 'POST', url: `/api/requests/${request.id}/recommend`, as: as['marjorie.wychwood']!, body: { recommendation: 'approve', note: 'fine' } });
    assert.equal(headRecommends.status, 403, 'the headteacher decides; the e-safety team recommends');
    assert.equal(headRecommends.body.error.code, 'HR_REQUESTS_NOT_ROUTED');
    const recommended = await api.json({ method: 'POST', url: `/api/requests/${request.id}/recommend`, as: as['jonah.birchwood']!, body: { recommendation: 'approve', note: 'educational use' } });
    assert.equal(recommended.status, 200);
    assert.equal(recommended.body.state, 'recommended');
    const seen = await api.json({ method: 'GET', url: `/api/requests/${request.id}`, as: as['marjorie.wychwood']! });
    assert.deepEqual(seen.body.allowed, { recommend: false, decide: true, withdraw: false });
    const badScope = await api.json({ method: 'POST', url: `/api/requests/${request.id}/approve`, as: as['marjorie.wychwood']!, body: { scope: { type: 'everyone' }, duration: '1d' } });
    assert.equal(badScope.status, 400);
    const approved = await api.json({ method: 'POST', url: `/api/requests/${request.id}/approve`, as: as['marjorie.wychwood']!, body: { scope: { type: 'group', group: 'class-4n' }, duration: '30d', note: 'for the autumn term' } });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.state, 'approved');
    assert.equal(h.decide(personOf('arlo.puddingstone'), 'https://class.social.example/').action, 'allow');
    assert.equal(h.decide(personOf('nancy.tumbledown'), 'https://class.social.example/').action, 'block');
    const again = await api.json({ method: 'POST', url: `/api/requests/${request.id}/decline`, as: as['marjorie.wychwood']!, body: { reason: 'changed my mind' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'HR_REQUESTS_STATE');
  });

  it('lets the requester withdraw an undecided request', async () => {
    const request = await ask('nancy.tumbledown', 'https://withdraw.social.example/');
    const byOther = await api.json({ method: 'POST', url: `/api/requests/${request.id}/withdraw`, as: as['arlo.puddingstone']! });
    assert.equal(byOther.status, 404);
    const withdrawn = await api.json({ method: 'POST', url: `/api/requests/${request.id}/withdraw`, as: as['nancy.tumbledown']! });
    assert.equal(withdrawn.body.state, 'withdrawn');
  });

  it('shows a teacher only the reports routed to their classes (7.8)', async () => {
    const fromArlo = await api.json({ method: 'POST', url: '/api/case-reports', as: as['arlo.puddingstone']!, body: { kind: 'tell-teacher', message: 'a worrying video' } });
    const fromNancy = await api.json({ method: 'POST', url: '/api/case-reports', as: as['nancy.tumbledown']!, body: { kind: 'tell-teacher', message: 'someone was unkind' } });
    assert.equal(fromArlo.status, 201);
    const desmond = await api.json({ method: 'GET', url: '/api/case-reports?mine=routed', as: as['desmond.nightingale']! });
    assert.deepEqual((desmond.body.items as Array<{ id: string }>).map((r) => r.id), [fromArlo.body.id]);
    assert.deepEqual(desmond.body.items[0].allowed, { acknowledge: true, close: true });
    const notHis = await api.json({ method: 'GET', url: `/api/case-reports/${fromNancy.body.id}`, as: as['desmond.nightingale']! });
    assert.equal(notHis.status, 404);
    const ackOther = await api.json({ method: 'POST', url: `/api/case-reports/${fromNancy.body.id}/acknowledge`, as: as['desmond.nightingale']!, body: {} });
    assert.equal(ackOther.status, 404);
    const ack = await api.json({ method: 'POST', url: `/api/case-reports/${fromNancy.body.id}/acknowledge`, as: as['eleanor.mossbank']!, body: { note: 'spoke to Nancy' } });
    assert.equal(ack.status, 200);
    assert.equal(ack.body.state, 'acknowledged');
    const own = await api.json({ method: 'GET', url: '/api/case-reports', as: as['nancy.tumbledown']! });
    assert.deepEqual((own.body.items as Array<{ id: string; state: string }>).map((r) => [r.id, r.state]), [[fromNancy.body.id, 'acknowledged']]);
    const pupilCloses = await api.json({ method: 'POST', url: `/api/case-reports/${fromNancy.body.id}/close`, as: as['nancy.tumbledown']!, body: { outcome: 'resolved', note: 'done' } });
    assert.equal(pupilCloses.status, 403, 'a pupil does not handle reports');
  });

  it('sends a contact attempt to the headteacher, who acknowledges and closes it (6.4, 6.5, 7.3, 7.4)', async () => {
    const missing = await api.json({ method: 'POST', url: '/api/case-reports', as: as['eleanor.mossbank']!, body: { kind: 'contact-attempt', message: 'a friend request' } });
    assert.equal(missing.status, 400);
    const made = await api.json({
      method: 'POST',
      url: '/api/case-reports',
      as: as['eleanor.mossbank']!,
      body: { kind: 'contact-attempt', message: 'a parent sent me a friend request', contact: { platform: 'Facebook', otherParty: 'a parent in 5M', direction: 'pupil-or-parent-to-staff' } },
    });
    assert.equal(made.status, 201);
    assert.deepEqual(made.body.routedTo.roles, ['headteacher']);
    const teacherView = await api.json({ method: 'GET', url: `/api/case-reports/${made.body.id}`, as: as['eleanor.mossbank']! });
    assert.deepEqual(teacherView.body.allowed, { acknowledge: false, close: false }, 'the reporter follows it but does not handle it');
    const closed = await api.json({ method: 'POST', url: `/api/case-reports/${made.body.id}/close`, as: as['marjorie.wychwood']!, body: { outcome: 'resolved', note: 'reminded the parent of the policy' } });
    assert.equal(closed.status, 200);
    assert.equal(closed.body.closed.outcome, 'resolved');
    assert.equal(closed.body.block, null);
  });

  it('reads the register as JSON and CSV, and the overblocking figures, with register.read only', async () => {
    const request = await ask('arlo.puddingstone', 'https://register.social.example/');
    h.clock.now = LESSON + 2 * HOUR;
    await api.json({ method: 'POST', url: `/api/requests/${request.id}/decline`, as: as['marjorie.wychwood']!, body: { reason: 'use the school site' } });
    h.clock.now = LESSON;
    const json = await api.json({ method: 'GET', url: '/api/register', as: as['jonah.birchwood']! });
    assert.equal(json.status, 200);
    const entry = (json.body.items as Array<{ id: string; decision: string; decidedBy: string }>).find((e) => e.id === request.id);
    assert.deepEqual([entry?.decision, entry?.decidedBy], ['declined', 'marjorie.wychwood']);
    const csv = await api.request({ method: 'GET', url: '/api/register.csv', as: as['jonah.birchwood']! });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /register\.csv/);
    assert.match(csv.body, /^type,id,host,url,/);
    assert.match(csv.body, new RegExp(`unblock-request,${request.id},register\\.social\\.example`));
    const teacher = await api.json({ method: 'GET', url: '/api/register', as: as['desmond.nightingale']! });
    assert.equal(teacher.status, 403);
    const figures = await api.json({ method: 'GET', url: `/api/register/figures?from=${LESSON}&to=${LESSON + DAY}`, as: as['marjorie.wychwood']! });
    assert.equal(figures.status, 200);
    assert.ok(figures.body.requests >= 1);
    assert.ok(figures.body.byCategory.some((c: { category: string }) => c.category === 'social-networking'));
    assert.equal(typeof figures.body.timeToDecision.medianMs, 'number');
    const backwards = await api.json({ method: 'GET', url: `/api/register/figures?from=${LESSON}&to=${LESSON - 1}`, as: as['marjorie.wychwood']! });
    assert.equal(backwards.status, 400);
  });
});
