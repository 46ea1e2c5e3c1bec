// The compliance API through its route handlers: staff keep their own records
// (`compliance.self`), managers see everyone's (`compliance.read`) and record for others, mark
// the policy reviewed and run the checks (`compliance.manage`).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ApiDeps } from '../../src/api/index.ts';
import { complianceRoutes, type ComplianceService } from '../../src/compliance/index.ts';
import type { StoreDatabase } from '../../src/db/index.ts';
import type { ResolvedPolicy } from '../../src/policy/index.ts';
import { routeHarness, type RouteHarness, type TestAccount } from '../support/route-harness.ts';
import { buildService, Clock, DAY, freshStore, referencePolicy, SEPT_1, type RecordingNotifier } from './fixture.ts';

const ada: TestAccount = { username: 'ada.tinderbox', displayName: 'Ada Tinderbox', role: 'teacher', can: ['compliance.self'] };
const olive: TestAccount = { username: 'olive.stonechat', displayName: 'Olive Stonechat', role: 'network-manager', can: ['compliance.self', 'compliance.read', 'compliance.manage'] };
// an account the people store does not list
const jonah: TestAccount = { username: 'jonah.birchwood', displayName: 'Jonah Birchwood', role: 'esafety-team', can: ['compliance.self', 'compliance.read'] };
const poppy: TestAccount = { username: 'poppy.hazelwood', role: 'pupil', can: ['requests.create'] };

describe('compliance API', () => {
  let tmp = '';
  let counter = 0;
  let store: StoreDatabase;
  let harness: RouteHarness;
  let service: ComplianceService;
  let notifier: RecordingNotifier;
  const clock = new Clock(SEPT_1);
  let policy: ResolvedPolicy = referencePolicy();

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-compliance-api-'));
  });
  after(async () => {
    await harness?.close();
    await store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await harness?.close();
    await store?.close();
    counter += 1;
    store = (await freshStore('sqlite', tmp, `api_${counter}`)).store;
    clock.at = SEPT_1;
    policy = referencePolicy();
    ({ service, notifier } = buildService(store, { clock, policy: () => policy }));
    harness = await routeHarness(complianceRoutes({} as ApiDeps, { service }));
  });

  it('lets staff record their own training and see it, but not record anyone else\'s (4.1–4.3)', async () => {
    clock.advance(2 * DAY);
    const own = await harness.json({ method: 'POST', url: '/api/compliance/training', as: ada, body: { course: 'induction', completedOn: '2026-09-02', evidence: 'new starter induction' } });
    assert.equal(own.status, 201);
    assert.equal(own.body.person, 'ada.tinderbox');
    assert.equal(own.body.recordedBy, 'ada.tinderbox');
    const me = await harness.json({ method: 'GET', url: '/api/compliance/me', as: ada });
    assert.equal(me.status, 200);
    assert.equal(me.body.training.find((c: { course: string }) => c.course === 'induction').state, 'done');
    assert.equal(me.body.records.training[0].evidence, 'new starter induction');

    // done this morning: today, not in the future, and not later than now
    const thisMorning = await harness.json({ method: 'POST', url: '/api/compliance/training', as: ada, body: { course: 'ongoing', completedOn: '2026-09-03' } });
    assert.equal(thisMorning.status, 201);
    assert.equal(thisMorning.body.completedAt, clock.at);
    assert.equal((await harness.json({ method: 'POST', url: '/api/compliance/training', as: ada, body: { course: 'ongoing', completedOn: '2026-09-04' } })).status, 400);

    const forOther = await harness.json({ method: 'POST', url: '/api/compliance/training', as: ada, body: { person: 'gwendolyn.ash', course: 'induction' } });
    assert.equal(forOther.status, 403);
    const byManager = await harness.json({ method: 'POST', url: '/api/compliance/training', as: olive, body: { person: 'gwendolyn.ash', course: 'induction' } });
    assert.equal(byManager.status, 201);
    assert.equal(byManager.body.recordedBy, 'olive.stonechat');

    assert.equal((await harness.json({ method: 'GET', url: '/api/compliance/training', as: ada })).status, 403);
    const matrix = await harness.json({ method: 'GET', url: '/api/compliance/training', as: olive });
    assert.equal(matrix.status, 200);
    const gwen = matrix.body.rows.find((r: { username: string }) => r.username === 'gwendolyn.ash');
    assert.equal(gwen.cells.find((c: { course: string }) => c.course === 'induction').state, 'done');
    assert.equal(matrix.body.totals.done, 3);
    assert.equal((await harness.json({ method: 'GET', url: '/api/compliance/people/gwendolyn.ash', as: olive })).body.member.displayName, 'Gwendolyn Ash');
    assert.equal((await harness.json({ method: 'GET', url: '/api/compliance/people/nobody.here', as: olive })).status, 404);
    assert.equal((await harness.json({ method: 'GET', url: '/api/compliance/me', as: poppy })).status, 403);
  });

  it('refuses an unknown course and a date that is not a calendar day, naming the field', async () => {
    const course = await harness.json({ method: 'POST', url: '/api/compliance/training', as: ada, body: { course: 'knitting' } });
    assert.equal(course.status, 400);
    assert.equal(course.body.error.code, 'HR_COMPLIANCE_INPUT');
    assert.equal(course.body.error.problems[0].field, 'course');
    const day = await harness.json({ method: 'POST', url: '/api/compliance/training', as: ada, body: { course: 'induction', completedOn: '2026-02-30' } });
    assert.equal(day.status, 400);
    assert.equal(day.body.error.problems[0].field, 'completedOn');
    const shape = await harness.json({ method: 'POST', url: '/api/compliance/training', as: ada, body: { course: 'induction', completedOn: 'yesterday' } });
    assert.equal(shape.status, 400);
    assert.equal(shape.body.error.code, 'HR_API_INPUT');
  });

  it('shows the clauses to accept with their titles and records "I have read and accept" (6.6–6.10, 6.16)', async () => {
    const page = await harness.json({ method: 'GET', url: '/api/compliance/acknowledgement', as: ada });
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.policy.clauses.map((c: { id: string }) => c.id),
      ['6.6', '6.7', '6.8', '6.9', '6.10', '6.16'],
    );
    assert.equal(page.body.policy.clauses[5].title, 'Do not leave devices logged in or save passwords');
    assert.equal(page.body.accepted, null);
    assert.equal(page.body.state.state, 'due');
    assert.equal(page.body.required, true);

    const unticked = await harness.json({ method: 'POST', url: '/api/compliance/acknowledgement', as: ada, body: { versionKey: page.body.policy.key, accept: false } });
    assert.equal(unticked.status, 400);
    clock.advance(DAY);
    const accepted = await harness.json({ method: 'POST', url: '/api/compliance/acknowledgement', as: ada, body: { versionKey: page.body.policy.key, accept: true } });
    assert.equal(accepted.status, 201);
    assert.equal(accepted.body.at, clock.at);
    assert.equal(accepted.body.version, '2020-autumn');
    assert.equal((await harness.json({ method: 'GET', url: '/api/compliance/acknowledgement', as: ada })).body.accepted.id, accepted.body.id);

    const stale = await harness.json({ method: 'POST', url: '/api/compliance/acknowledgement', as: ada, body: { versionKey: '2019#000000000000', accept: true } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, 'HR_COMPLIANCE_VERSION');

    assert.equal((await harness.json({ method: 'GET', url: '/api/compliance/acknowledgement/outstanding', as: ada })).status, 403);
    const outstanding = await harness.json({ method: 'GET', url: '/api/compliance/acknowledgement/outstanding', as: olive });
    assert.equal(outstanding.body.accepted, 1);
    assert.ok(!outstanding.body.outstanding.some((p: { username: string }) => p.username === 'ada.tinderbox'));
    assert.ok(outstanding.body.outstanding.some((p: { username: string }) => p.username === 'rupert.thornbury'));
  });

  it('shows an account that the people store does not list its own status, from when it was first seen', async () => {
    const me = await harness.json({ method: 'GET', url: '/api/compliance/me', as: jonah });
    assert.equal(me.status, 200);
    assert.equal(me.body.member.startSource, 'first-seen');
    assert.equal(me.body.member.startAt, SEPT_1);
    assert.equal(me.body.training.find((c: { course: string }) => c.course === 'ongoing').state, 'due');
    assert.equal(me.body.acknowledgement.state, 'due');
  });

  it('records a self-check with a note for its owner (6.13)', async () => {
    const done = await harness.json({ method: 'POST', url: '/api/compliance/self-check', as: ada, body: { note: 'nothing found' } });
    assert.equal(done.status, 201);
    const me = await harness.json({ method: 'GET', url: '/api/compliance/me', as: ada });
    assert.equal(me.body.selfCheck.state, 'done');
    assert.equal(me.body.selfCheck.dueAt, SEPT_1 + 90 * DAY);
    assert.equal(me.body.records.selfChecks[0].note, 'nothing found');
  });

  it('lets only a manager mark the policy reviewed or record a start date', async () => {
    assert.equal((await harness.json({ method: 'POST', url: '/api/compliance/review', as: ada, body: { nextReviewDate: '2027-10-01' } })).status, 403);
    const reviewed = await harness.json({ method: 'POST', url: '/api/compliance/review', as: olive, body: { nextReviewDate: '2027-10-01', note: 'no changes needed' } });
    assert.equal(reviewed.status, 201);
    const status = await harness.json({ method: 'GET', url: '/api/compliance/review', as: jonah });
    assert.equal(status.body.reviewDate, '2027-10-01');
    assert.equal(status.body.source, 'recorded');
    assert.equal(status.body.policyReviewDate, '2021-10-01');

    assert.equal((await harness.json({ method: 'PUT', url: '/api/compliance/people/gwendolyn.ash/start', as: jonah, body: { startedOn: '2026-08-24' } })).status, 403);
    const start = await harness.json({ method: 'PUT', url: '/api/compliance/people/gwendolyn.ash/start', as: olive, body: { startedOn: '2026-08-24', reason: 'started before the roster import' } });
    assert.equal(start.status, 200);
    assert.equal(start.body.startSource, 'recorded');
    assert.equal((await harness.json({ method: 'PUT', url: '/api/compliance/people/nobody.here/start', as: olive, body: { startedOn: '2026-08-24' } })).status, 404);
  });

  it('says so when the filter checks cannot run here, and still lists the log', async () => {
    const run = await harness.json({ method: 'POST', url: '/api/compliance/checks/run', as: olive });
    assert.equal(run.status, 409);
    assert.equal(run.body.error.code, 'HR_COMPLIANCE_CHECKS_UNAVAILABLE');
    assert.equal((await harness.json({ method: 'POST', url: '/api/compliance/checks/run', as: jonah })).status, 403);
    const log = await harness.json({ method: 'GET', url: '/api/compliance/checks', as: jonah });
    assert.equal(log.status, 200);
    assert.deepEqual(log.body.items, []);
    assert.equal(log.body.every, '1d');
    assert.equal(log.body.nextDueAt, SEPT_1);
    assert.equal(notifier.sent.length, 0);
  });

  it('answers that the policy sets no compliance records when its section is missing', async () => {
    const reference = referencePolicy();
    policy = { ...reference, workflows: { ...reference.workflows, compliance: null } };
    const matrix = await harness.json({ method: 'GET', url: '/api/compliance/training', as: olive });
    assert.equal(matrix.status, 409);
    assert.equal(matrix.body.error.code, 'HR_COMPLIANCE_NOT_CONFIGURED');
    assert.equal((await harness.json({ method: 'GET', url: '/api/compliance/acknowledgement', as: ada })).status, 409);
    assert.equal((await harness.json({ method: 'POST', url: '/api/compliance/self-check', as: ada, body: {} })).status, 409);
    const me = await harness.json({ method: 'GET', url: '/api/compliance/me', as: ada });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.training, []);
    assert.equal(me.body.acknowledgement, null);
  });
});
