// The sanctions API (8.2) with the reference policy's grants: the headteacher decides; teachers
// supervise and see only the pupils of their own classes; the heads supervise any pupil;
// proposals about adults are for the deciders' eyes only.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { AccessMatrix, type Action } from '../../src/access/index.ts';
import type { ApiDeps } from '../../src/api/index.ts';
import { sanctionRoutes } from '../../src/cases/sanctions/index.ts';
import type { Person } from '../../src/engine/index.ts';
import { routeHarness, type RouteHarness, type TestAccount } from '../support/route-harness.ts';
import { ARLO, DESMOND, ELEANOR, GWENDOLYN, KATHERINE, LESSON, MARJORIE, MINUTE, NANCY, attempts, referencePolicy, storeWorlds, type StoreWorld } from './fixtures.ts';

const worlds = storeWorlds('sqlite');
const FIVE = ['vpn.example', 'https://proxy.example/go', 'http://192.0.2.10/', 'vpn.example', 'http://198.51.100.7/'];

describe('sanctions API', () => {
  let w: StoreWorld;
  let harness: RouteHarness;
  let matrix: AccessMatrix;

  before(() => worlds.start());
  after(() => worlds.stop());
  const setUp = async (options: Parameters<typeof worlds.world>[0] = {}) => {
    w = await worlds.world(options);
    matrix = AccessMatrix.fromPolicy(w.policy);
    // the routes read the policy, the people store and the clock from the server's dependencies
    const deps = { engine: () => w.engine, people: w.people, now: () => w.clock.now } as unknown as ApiDeps;
    harness = await routeHarness(sanctionRoutes(deps, { sanctions: w.sanctions }));
  };
  afterEach(async () => {
    await harness?.close();
    await w?.close();
  });

  const as = (username: string, role: string, groups: string[] = [], extra: Action[] = []): TestAccount => ({
    username,
    role,
    groups,
    can: [...matrix.actionsOf(role), ...extra],
  });
  const headteacher = () => as(MARJORIE, 'headteacher');
  const headOfSchool = () => as(KATHERINE, 'head-of-school');
  const teacher4n = () => as(DESMOND, 'teacher', ['class-4n']);
  const teacher5m = () => as(ELEANOR, 'teacher', ['class-5m']);
  const esafety = () => as('jonah.birchwood', 'esafety-team');
  const propose = async (person: Person) => {
    const events = attempts(w.engine, person, FIVE, LESSON - 10 * MINUTE);
    return (await w.sanctions.propose(person.id!, events.length, events))!;
  };

  it('lets the headteacher impose a sanction on a proposal and answers with the pupil’s name (8.2)', async () => {
    await setUp();
    const proposal = await propose({ id: ARLO, role: 'pupil', groups: ['class-4n'] });
    const listed = await harness.json({ method: 'GET', url: '/api/sanctions/proposals', as: headteacher() });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((p: { id: string; personName: string }) => [p.id, p.personName]), [[proposal.id, 'Arlo Puddingstone']]);
    const imposed = await harness.json({ method: 'POST', url: '/api/sanctions', as: headteacher(), body: { proposal: proposal.id, duration: '3d', reason: 'five attempts in one lesson' } });
    assert.equal(imposed.status, 201, JSON.stringify(imposed.body));
    assert.equal(imposed.body.person, ARLO);
    assert.equal(imposed.body.personName, 'Arlo Puddingstone');
    assert.equal(imposed.body.endsAt, LESSON + 3 * 24 * 60 * MINUTE);
    assert.equal(w.sanctions.current().state(ARLO, LESSON), 'supervised-only');
    const open = await harness.json({ method: 'GET', url: '/api/sanctions/proposals', as: headteacher() });
    assert.deepEqual(open.body.items, []);
  });

  it('refuses a duration past the policy maximum, a malformed one, and a missing reason or person (8.2)', async () => {
    await setUp();
    const tooLong = await harness.json({ method: 'POST', url: '/api/sanctions', as: headteacher(), body: { person: NANCY, duration: '91d', reason: 'x' } });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.code, 'HR_SANCTIONS_INPUT');
    assert.match(tooLong.body.error.message, /maximum of 90d/);
    const malformed = await harness.json({ method: 'POST', url: '/api/sanctions', as: headteacher(), body: { person: NANCY, duration: 'a fortnight', reason: 'x' } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'HR_API_INPUT');
    const noReason = await harness.json({ method: 'POST', url: '/api/sanctions', as: headteacher(), body: { person: NANCY, reason: ' ' } });
    assert.equal(noReason.status, 400);
    const nobody = await harness.json({ method: 'POST', url: '/api/sanctions', as: headteacher(), body: { reason: 'x' } });
    assert.equal(nobody.status, 400);
    const staff = await harness.json({ method: 'POST', url: '/api/sanctions', as: headteacher(), body: { person: GWENDOLYN, reason: 'x' } });
    assert.equal(staff.status, 400);
    assert.equal(staff.body.error.code, 'HR_SANCTIONS_NOT_PUPIL');
    assert.equal(w.sanctions.current().size, 0);
  });

  it('lets only the policy’s deciders impose, decline or lift, even with the action granted (8.2)', async () => {
    await setUp();
    const proposal = await propose({ id: ARLO, role: 'pupil', groups: ['class-4n'] });
    const hos = await harness.json({ method: 'POST', url: '/api/sanctions', as: headOfSchool(), body: { person: NANCY, reason: 'x' } });
    assert.equal(hos.status, 403);
    const widened = as('jonah.birchwood', 'esafety-team', [], ['sanctions.decide']);
    const notDecider = await harness.json({ method: 'POST', url: `/api/sanctions/proposals/${proposal.id}/decline`, as: widened, body: { reason: 'x' } });
    assert.equal(notDecider.status, 403);
    assert.match(notDecider.body.error.message, /not one of the policy's sanction deciders/);
    const declined = await harness.json({ method: 'POST', url: `/api/sanctions/proposals/${proposal.id}/decline`, as: headteacher(), body: { reason: 'spoken to; first time' } });
    assert.equal(declined.status, 200);
    assert.equal(declined.body.status, 'declined');
    const again = await harness.json({ method: 'POST', url: `/api/sanctions/proposals/${proposal.id}/decline`, as: headteacher(), body: { reason: 'again' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'HR_SANCTIONS_STATE');

    const sanction = await w.sanctions.impose({ person: NANCY, reason: 'proxy attempts' }, MARJORIE);
    const liftByTeacher = await harness.json({ method: 'POST', url: `/api/sanctions/${sanction.id}/lift`, as: teacher5m(), body: { reason: 'x' } });
    assert.equal(liftByTeacher.status, 403);
    const lifted = await harness.json({ method: 'POST', url: `/api/sanctions/${sanction.id}/lift`, as: headteacher(), body: { reason: 'apologised' } });
    assert.equal(lifted.status, 200);
    assert.equal(lifted.body.status, 'lifted');
    assert.equal(w.sanctions.current().size, 0);
  });

  it('lets a teacher open and close a supervised session only for pupils of their own classes, and a head for any (8.2)', async () => {
    await setUp();
    const arloSanction = await w.sanctions.impose({ person: ARLO, reason: 'VPN attempts' }, MARJORIE);
    const nancySanction = await w.sanctions.impose({ person: NANCY, reason: 'proxy attempts' }, MARJORIE);
    const other = await harness.json({ method: 'POST', url: `/api/sanctions/${arloSanction.id}/sessions`, as: teacher5m() });
    assert.equal(other.status, 403);
    assert.match(other.body.error.message, /only pupils in your own classes/);
    const opened = await harness.json({ method: 'POST', url: `/api/sanctions/${arloSanction.id}/sessions`, as: teacher4n() });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    assert.equal(opened.body.openedBy, DESMOND);
    assert.equal(w.sanctions.current().state(ARLO, w.clock.now), 'supervised');
    const twice = await harness.json({ method: 'POST', url: `/api/sanctions/${arloSanction.id}/sessions`, as: teacher4n() });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.code, 'HR_SANCTIONS_CONFLICT');
    const closeByOther = await harness.json({ method: 'POST', url: `/api/sanctions/sessions/${opened.body.id}/close`, as: teacher5m() });
    assert.equal(closeByOther.status, 403);
    const closed = await harness.json({ method: 'POST', url: `/api/sanctions/sessions/${opened.body.id}/close`, as: teacher4n() });
    assert.equal(closed.status, 200);
    assert.equal(closed.body.closeKind, 'closed');
    assert.equal(w.sanctions.current().state(ARLO, w.clock.now), 'supervised-only');
    const byHead = await harness.json({ method: 'POST', url: `/api/sanctions/${nancySanction.id}/sessions`, as: headOfSchool() });
    assert.equal(byHead.status, 201);
    const byEsafety = await harness.json({ method: 'POST', url: `/api/sanctions/${nancySanction.id}/sessions`, as: esafety() });
    assert.equal(byEsafety.status, 403);
    const missing = await harness.json({ method: 'POST', url: '/api/sanctions/sanc-missing/sessions', as: headOfSchool() });
    assert.equal(missing.status, 404);
  });

  it('shows a teacher only their own pupils’ sanctions and proposals, and adults’ referrals only to deciders (8.2)', async () => {
    await setUp();
    const arloProposal = await propose({ id: ARLO, role: 'pupil', groups: ['class-4n'] });
    const staffProposal = await propose({ id: GWENDOLYN, role: 'support-staff' });
    const arloSanction = await w.sanctions.impose({ person: ARLO, reason: 'VPN attempts' }, MARJORIE);
    const nancySanction = await w.sanctions.impose({ person: NANCY, reason: 'proxy attempts' }, MARJORIE);
    const ids = async (url: string, who: TestAccount) => {
      const answer = await harness.json({ method: 'GET', url, as: who });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.items.map((i: { id: string }) => i.id).sort();
    };
    assert.deepEqual(await ids('/api/sanctions', teacher4n()), [arloSanction.id]);
    assert.deepEqual(await ids('/api/sanctions', teacher5m()), [nancySanction.id]);
    assert.deepEqual(await ids('/api/sanctions', esafety()), [arloSanction.id, nancySanction.id].sort());
    assert.deepEqual(await ids('/api/sanctions?state=all', headteacher()), [arloSanction.id, nancySanction.id].sort());
    assert.deepEqual(await ids('/api/sanctions/proposals?status=all', headteacher()), [arloProposal.id, staffProposal.id].sort());
    assert.deepEqual(await ids('/api/sanctions/proposals?status=all', esafety()), [arloProposal.id]);
    assert.deepEqual(await ids('/api/sanctions/proposals?status=all', teacher5m()), []);
    const hidden = await harness.json({ method: 'GET', url: `/api/sanctions/${arloSanction.id}`, as: teacher5m() });
    assert.equal(hidden.status, 404);
    const referral = await harness.json({ method: 'GET', url: `/api/sanctions/proposals/${staffProposal.id}`, as: esafety() });
    assert.equal(referral.status, 404);
    const detail = await harness.json({ method: 'GET', url: `/api/sanctions/${arloSanction.id}`, as: teacher4n() });
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.sessions, []);
    const pupil = await harness.json({ method: 'GET', url: '/api/sanctions', as: as(ARLO, 'pupil', ['class-4n']) });
    assert.equal(pupil.status, 403);
  });

  it('tells the dashboard what the account may do under the policy’s sanction settings (8.2)', async () => {
    await setUp();
    const settings = async (who: TestAccount) => (await harness.json({ method: 'GET', url: '/api/sanctions/settings', as: who })).body;
    const head = await settings(headteacher());
    assert.equal(head.configured, true);
    assert.equal(head.decider, true);
    assert.equal(head.supervisor, 'any');
    assert.equal(head.maxDuration, '90d');
    assert.equal(head.threshold, 5);
    assert.equal((await settings(teacher4n())).supervisor, 'own-classes');
    assert.equal((await settings(teacher4n())).decider, false);
    assert.equal((await settings(esafety())).supervisor, 'no');
  });

  it('answers 409 when the policy has no sanctions section', async () => {
    const base = referencePolicy();
    await setUp({ policy: { ...base, workflows: { ...base.workflows, sanctions: null } } });
    const list = await harness.json({ method: 'GET', url: '/api/sanctions', as: headteacher() });
    assert.equal(list.status, 409);
    assert.equal(list.body.error.code, 'HR_SANCTIONS_NOT_CONFIGURED');
    const settings = await harness.json({ method: 'GET', url: '/api/sanctions/settings', as: headteacher() });
    assert.equal(settings.body.configured, false);
  });
});
