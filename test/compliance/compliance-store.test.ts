// The compliance records on SQLite and on a real PostgreSQL: training due dates across a year
// (4.1–4.3), acknowledgement per policy version (6.6–6.10, 6.16), reminders sent once across a
// restart, the review date, self-checks (6.13) and the filter check log; every record audited.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { CheckLog, ComplianceScheduler, type CheckResultView } from '../../src/compliance/index.ts';
import { openDatabase, type DialectName, type StoreDatabase } from '../../src/db/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { buildService, Clock, DAY, freshStore, PolicyFiles, RecordingNotifier, referencePolicy, SEPT_1, STAFF } from './fixture.ts';

const pgMissing = postgresUnavailable();
const YEAR = 365 * DAY;

function cellOf(matrix: Awaited<ReturnType<ReturnType<typeof buildService>['service']['trainingMatrix']>>, username: string, course: string) {
  const row = matrix.rows.find((r) => r.username === username);
  assert.ok(row, `no row for ${username}`);
  const cell = row.cells.find((c) => c.course === course);
  assert.ok(cell, `no cell ${course}`);
  return cell;
}

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof HedgerowError && error.code === code);
}

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly DialectName[]) {
  describe(`compliance records on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let counter = 0;
    const open: StoreDatabase[] = [];

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-compliance-'));
      if (dialect === 'postgres') server = await startPostgres();
    });
    after(async () => {
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((db) => db.close()));
    });

    async function fresh() {
      counter += 1;
      const opened = await freshStore(dialect, tmp, `compliance_${counter}`, server);
      open.push(opened.store);
      return opened;
    }

    it('keeps training due, done and overdue across a year of repeat training (4.1–4.3)', async () => {
      const { store } = await fresh();
      const clock = new Clock(SEPT_1);
      const policy = referencePolicy();
      const { service, audit } = buildService(store, { clock, policy: () => policy });

      let matrix = await service.trainingMatrix();
      assert.deepEqual(matrix.courses.map((c) => c.id), ['at-risk-identification', 'induction', 'ongoing']);
      // the pupil is asked for no training; the governor only for induction
      assert.ok(!matrix.rows.some((r) => r.username === 'poppy.hazelwood'));
      assert.equal(cellOf(matrix, 'rupert.thornbury', 'at-risk-identification').state, 'not-required');
      assert.equal(cellOf(matrix, 'rupert.thornbury', 'induction').state, 'due');
      const induction = cellOf(matrix, 'ada.tinderbox', 'induction');
      assert.equal(induction.state, 'due');
      assert.equal(induction.dueAt, SEPT_1 + 14 * DAY);
      assert.equal(induction.soon, true);
      assert.equal(cellOf(matrix, 'ada.tinderbox', 'at-risk-identification').soon, false);

      clock.advance(15 * DAY);
      matrix = await service.trainingMatrix();
      assert.equal(cellOf(matrix, 'ada.tinderbox', 'induction').state, 'overdue');
      const overdue = await service.overdue();
      assert.ok(overdue.some((item) => item.username === 'ada.tinderbox' && item.course === 'induction' && item.dueAt === SEPT_1 + 14 * DAY));

      const ada = { username: 'ada.tinderbox', displayName: 'Ada Tinderbox', role: 'teacher' };
      await service.recordTraining({ person: 'ada.tinderbox', course: 'induction', completedOn: '2026-09-16', evidence: 'induction session with the e-safety team' }, ada);
      const atRisk = await service.recordTraining({ person: 'ada.tinderbox', course: 'at-risk-identification' }, ada);
      assert.equal(atRisk.completedAt, clock.at);
      matrix = await service.trainingMatrix();
      assert.equal(cellOf(matrix, 'ada.tinderbox', 'induction').state, 'done');
      assert.equal(cellOf(matrix, 'ada.tinderbox', 'at-risk-identification').dueAt, atRisk.completedAt + YEAR);

      // the year comes round: soon two weeks before, overdue on the day, done when renewed
      clock.at = atRisk.completedAt + YEAR - 10 * DAY;
      let cell = cellOf(await service.trainingMatrix(), 'ada.tinderbox', 'at-risk-identification');
      assert.equal(cell.state, 'due');
      assert.equal(cell.soon, true);
      clock.at = atRisk.completedAt + YEAR + DAY;
      assert.equal(cellOf(await service.trainingMatrix(), 'ada.tinderbox', 'at-risk-identification').state, 'overdue');
      const marjorie = { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', role: 'headteacher' };
      const renewed = await service.recordTraining({ person: 'ada.tinderbox', course: 'at-risk-identification', evidence: 'refresher course' }, marjorie);
      assert.equal(renewed.recordedBy, 'marjorie.wychwood');
      cell = cellOf(await service.trainingMatrix(), 'ada.tinderbox', 'at-risk-identification');
      assert.equal(cell.state, 'done');
      assert.equal(cell.completions, 2);
      assert.equal(cell.dueAt, renewed.completedAt + YEAR);

      const mine = await service.person('ada.tinderbox');
      assert.equal(mine.records.training.length, 3);
      assert.equal(mine.records.training[0]!.evidence, 'refresher course');

      await rejects(service.recordTraining({ person: 'ada.tinderbox', course: 'knitting' }, ada), 'HR_COMPLIANCE_INPUT');
      await rejects(service.recordTraining({ person: 'ada.tinderbox', course: 'induction', completedOn: '2099-01-01' }, ada), 'HR_COMPLIANCE_INPUT');
      await rejects(service.recordTraining({ person: 'nobody.known', course: 'induction' }, marjorie), 'HR_COMPLIANCE_UNKNOWN_PERSON');

      const entries = await audit.entries({ limit: 100 });
      assert.equal(entries.filter((e) => e.action === 'compliance.training').length, 3);
      assert.equal(await audit.verify(), null);
    });

    it('asks everyone to accept the policy again when it gets a new version, not after an unrelated edit', async () => {
      const { store } = await fresh();
      const clock = new Clock(SEPT_1);
      const files = new PolicyFiles();
      let policy = files.load();
      const { service } = buildService(store, { clock, policy: () => policy });

      const first = await service.acknowledgementOutstanding();
      assert.equal(first.required, 5);
      assert.deepEqual(first.policy.clauses.map((c) => c.id), ['6.6', '6.7', '6.8', '6.9', '6.10', '6.16']);
      assert.equal(first.policy.clauses[3]!.title, 'Nothing that could identify a pupil, class or the school');
      assert.equal(first.policy.version, '2020-autumn');

      const ada = { username: 'ada.tinderbox', displayName: 'Ada Tinderbox', role: 'teacher' };
      const rupert = { username: 'rupert.thornbury', displayName: 'Rupert Thornbury', role: 'governor' };
      clock.advance(DAY);
      const accepted = await service.acknowledge(ada, first.policy.key);
      assert.equal(accepted.at, clock.at);
      assert.equal(accepted.version, '2020-autumn');
      await service.acknowledge(rupert, first.policy.key);
      // accepting twice keeps the first acceptance
      clock.advance(DAY);
      assert.equal((await service.acknowledge(ada, first.policy.key)).at, accepted.at);
      let outstanding = await service.acknowledgementOutstanding();
      assert.equal(outstanding.accepted, 2);
      assert.deepEqual(outstanding.outstanding.map((p) => p.username).sort(), ['gwendolyn.ash', 'marjorie.wychwood', 'olive.stonechat']);
      assert.equal(outstanding.outstanding[0]!.dueAt, SEPT_1 + 14 * DAY);

      // an edit nobody was shown does not ask again
      files.edit('warnGrace: 1h', 'warnGrace: 2h');
      policy = files.load();
      outstanding = await service.acknowledgementOutstanding();
      assert.equal(outstanding.policy.key, first.policy.key);
      assert.equal(outstanding.accepted, 2);

      // a new version does, from the day it came into force
      clock.advance(DAY);
      const since = clock.at;
      files.edit('version: "2020-autumn"', 'version: "2026-autumn"');
      policy = files.load();
      outstanding = await service.acknowledgementOutstanding();
      assert.notEqual(outstanding.policy.key, first.policy.key);
      assert.equal(outstanding.policy.since, since);
      assert.equal(outstanding.accepted, 0);
      assert.equal(outstanding.required, 5);
      const adaNow = await service.acknowledgementFor(ada);
      assert.equal(adaNow.accepted, null);
      assert.equal(adaNow.state.state, 'due');
      assert.equal(adaNow.state.dueAt, since + 14 * DAY);
      await rejects(service.acknowledge(ada, first.policy.key), 'HR_COMPLIANCE_VERSION');
      await service.acknowledge(ada, outstanding.policy.key);

      // so does a changed clause text under the same version
      files.edit('title: No damaging content,', 'title: No content damaging to the school or its people,');
      policy = files.load();
      const changed = await service.acknowledgementOutstanding();
      assert.notEqual(changed.policy.key, outstanding.policy.key);
      assert.equal(changed.policy.version, '2026-autumn');
      assert.equal(changed.accepted, 0);
      // every acceptance stays on record
      assert.equal((await service.person('ada.tinderbox')).records.acknowledgements.length, 2);
    });

    it('sends each reminder once, and not again after a restart', async () => {
      const { store, url } = await fresh();
      const clock = new Clock(SEPT_1);
      const policy = referencePolicy();
      const errors: unknown[] = [];
      const firstRun = buildService(store, { clock, policy: () => policy, errors });
      const scheduler = new ComplianceScheduler({ service: firstRun.service });

      const round = await scheduler.tick();
      const notifier = firstRun.notifier;
      // induction is due within 14 days for every member of staff and governor; the policy waits to be accepted
      for (const person of ['ada.tinderbox', 'gwendolyn.ash', 'marjorie.wychwood', 'olive.stonechat', 'rupert.thornbury']) {
        const kinds = notifier.to(person).map((n) => n.kind).sort();
        assert.deepEqual(kinds, ['compliance.acknowledgement-due', 'compliance.training-due'], person);
      }
      assert.equal(notifier.to('poppy.hazelwood').length, 0);
      // the reference policy's review date (2021-10-01) has passed
      const review = notifier.sent.filter((n) => n.kind === 'compliance.review-due');
      assert.equal(review.length, 1);
      assert.deepEqual(review[0]!.to, [{ role: 'headteacher' }]);
      assert.equal(round.sent.length, notifier.sent.length);
      assert.equal(round.checks, null);

      const again = await scheduler.tick();
      assert.deepEqual(again.sent, []);
      const before = notifier.sent.length;
      await scheduler.close();

      // a restart: the same database, a new process's objects
      const reopened = await openDatabase(url);
      open.push(reopened);
      const secondRun = buildService(reopened, { clock, policy: () => policy, errors });
      const restarted = new ComplianceScheduler({ service: secondRun.service });
      assert.deepEqual((await restarted.tick()).sent, []);
      assert.equal(secondRun.notifier.sent.length, 0);
      assert.equal(notifier.sent.length, before);

      // a fortnight on, induction is overdue: one more reminder each, once; a failed send is tried again
      clock.advance(15 * DAY);
      secondRun.notifier.failNext = 1;
      const late = await restarted.tick();
      assert.equal(errors.length, 1);
      assert.equal(late.sent.filter((key) => key.endsWith(':overdue') && key.startsWith('training:')).length, 4);
      const retried = await restarted.tick();
      assert.equal(retried.sent.length, 1);
      assert.deepEqual((await restarted.tick()).sent, []);
      const overdueKinds = secondRun.notifier.sent.filter((n) => n.kind === 'compliance.training-overdue');
      assert.equal(overdueKinds.length, 5);
      assert.equal(new Set(overdueKinds.map((n) => JSON.stringify(n.to))).size, 5);
      await restarted.close();
    });

    it('runs its rounds on its own once started, and stops on close', async () => {
      const { store } = await fresh();
      const clock = new Clock(SEPT_1);
      const policy = referencePolicy();
      const { service, notifier } = buildService(store, { clock, policy: () => policy });
      const scheduler = new ComplianceScheduler({ service, firstDelayMs: 0, intervalMs: 60 * 60_000 });
      scheduler.start();
      for (let i = 0; i < 500 && notifier.sent.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await scheduler.close();
      assert.ok(notifier.sent.length > 0);
      const after = notifier.sent.length;
      // closed: starting again does nothing
      scheduler.start();
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(notifier.sent.length, after);
    });

    it('records the review with its next date, without changing the policy file', async () => {
      const { store } = await fresh();
      const clock = new Clock(SEPT_1);
      const files = new PolicyFiles();
      const policy = files.load();
      const { service, notifier } = buildService(store, { clock, policy: () => policy });
      let status = await service.reviewStatus();
      assert.equal(status.reviewDate, '2021-10-01');
      assert.equal(status.source, 'policy');
      assert.equal(status.state, 'overdue');
      assert.deepEqual(status.remindTo, ['headteacher']);

      const olive = { username: 'olive.stonechat', displayName: 'Olive Stonechat', role: 'network-manager' };
      await rejects(service.markReviewed({ nextReviewDate: '2026-08-31' }, olive), 'HR_COMPLIANCE_INPUT');
      const reviewed = await service.markReviewed({ nextReviewDate: '2027-10-01', note: 'reviewed with the governors; no changes' }, olive);
      assert.equal(reviewed.reviewedBy, 'olive.stonechat');
      assert.equal(reviewed.policyVersion, '2020-autumn');
      status = await service.reviewStatus();
      assert.equal(status.reviewDate, '2027-10-01');
      assert.equal(status.source, 'recorded');
      assert.equal(status.state, 'ok');
      assert.equal(status.lastReview?.id, reviewed.id);
      assert.match(readFileSync(files.school, 'utf8'), /reviewDate: "2021-10-01"/);

      // thirty days before the next date, the headteacher is reminded, once
      const scheduler = new ComplianceScheduler({ service });
      clock.at = Date.parse('2027-09-05T08:00:00Z');
      assert.equal((await service.reviewStatus()).state, 'soon');
      const round = await scheduler.tick();
      assert.ok(round.sent.includes('review:2027-10-01:soon'));
      await scheduler.tick();
      assert.equal(notifier.sent.filter((n) => n.kind === 'compliance.review-due').length, 1);
      await scheduler.close();
    });

    it('records start dates and self-checks (6.13) in the audit chain, without the self-check note', async () => {
      const { store } = await fresh();
      const clock = new Clock(SEPT_1);
      const policy = referencePolicy();
      const { service, audit } = buildService(store, { clock, policy: () => policy });
      const marjorie = { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', role: 'headteacher' };
      const gwen = { username: 'gwendolyn.ash', displayName: 'Gwendolyn Ash', role: 'support-staff' };

      const started = await service.recordStart('gwendolyn.ash', '2026-08-10', marjorie, 'joined before the roster was imported');
      assert.equal(started.startSource, 'recorded');
      let status = await service.person('gwendolyn.ash');
      // induction (14 days) ran from the recorded start, so it is already late
      assert.equal(status.training.find((c) => c.course === 'induction')!.state, 'overdue');
      assert.equal(status.selfCheck?.dueAt, started.startAt + 90 * DAY);

      clock.advance(80 * DAY);
      const check = await service.selfCheck(gwen, '  searched my name; an old photo asked to be taken down  ');
      assert.equal(check.note, 'searched my name; an old photo asked to be taken down');
      status = await service.person('gwendolyn.ash');
      assert.equal(status.selfCheck?.state, 'done');
      assert.equal(status.selfCheck?.dueAt, check.at + 90 * DAY);
      assert.equal(status.records.selfChecks.length, 1);
      await rejects(service.selfCheck(gwen, 'x'.repeat(2001)), 'HR_COMPLIANCE_INPUT');

      const entries = await audit.entries({ limit: 100 });
      const start = entries.find((e) => e.action === 'compliance.start');
      assert.deepEqual(start?.after, { startAt: started.startAt });
      assert.equal(start?.reason, 'joined before the roster was imported');
      const selfCheck = entries.find((e) => e.action === 'compliance.self-check');
      assert.equal(selfCheck?.actor, 'gwendolyn.ash');
      assert.ok(!JSON.stringify(selfCheck).includes('photo'));
      assert.equal(await audit.verify(), null);
    });

    it('keeps the filter check log, newest run first, page by page', async () => {
      const { store } = await fresh();
      const log = new CheckLog(store);
      const result = (testId: string, outcome: CheckResultView['outcome'], status: number | string | null): CheckResultView => ({
        testId,
        url: `http://${testId}.hedgerow-check.invalid/`,
        role: 'pupil',
        groups: ['class-4n'],
        path: typeof status === 'string' ? 'dns' : 'proxy',
        expected: 'blocked',
        seen: outcome === 'pass' ? 'blocked' : outcome === 'fail' ? 'allowed' : 'not-applicable',
        outcome,
        latencyMs: outcome === 'not-applicable' ? null : 1.234,
        status,
        rule: outcome === 'pass' ? 'pupil-social-media' : null,
        clauses: outcome === 'pass' ? ['8.1', '3.1'] : [],
        expectedClauses: ['8.1'],
        detail: outcome === 'fail' ? 'expected blocked, the filter allowed' : null,
      });
      for (let i = 0; i < 3; i++) {
        await log.record({
          startedAt: SEPT_1 + i * DAY,
          finishedAt: SEPT_1 + i * DAY + 500,
          trigger: i === 1 ? 'manual' : 'schedule',
          requestedBy: i === 1 ? 'olive.stonechat' : null,
          policyRevision: 'abc123',
          results: [result('social', 'pass', 403), result('social', i === 2 ? 'fail' : 'pass', 'NXDOMAIN'), result('education', 'not-applicable', null)],
        });
      }
      const page = await log.list({ limit: 2 });
      assert.deepEqual(page.items.map((run) => run.startedAt), [SEPT_1 + 2 * DAY, SEPT_1 + DAY]);
      assert.equal(page.items[0]!.failed, 1);
      assert.equal(page.items[0]!.passed, 1);
      assert.equal(page.items[0]!.notApplicable, 1);
      assert.equal(page.items[1]!.requestedBy, 'olive.stonechat');
      assert.deepEqual(page.items[0]!.results[0], result('social', 'pass', 403));
      assert.deepEqual(page.items[0]!.results[1], result('social', 'fail', 'NXDOMAIN'));
      assert.ok(page.nextCursor);
      const rest = await log.list({ limit: 2, cursor: page.nextCursor });
      assert.deepEqual(rest.items.map((run) => run.startedAt), [SEPT_1]);
      assert.equal(rest.nextCursor, null);
      assert.equal((await log.last())?.startedAt, SEPT_1 + 2 * DAY);
    });
  });
}

describe('compliance staff list', () => {
  it('lists the people of the reference roster the tests use with the roles they hold there', () => {
    const roster = readFileSync(new URL('../../examples/reference/roster.csv', import.meta.url), 'utf8');
    for (const member of STAFF) assert.match(roster, new RegExp(`^${member.displayName},${member.username},${member.role},`, 'm'));
  });
});
