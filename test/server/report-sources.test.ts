// The governors' report and the review pack read from the real workflow stores, on SQLite and on
// a real PostgreSQL: requests, reports, incidents, sanctions, alerts, training, acknowledgements
// and filter checks are made through the stores' own methods across the autumn and spring terms
// (and a little before autumn), and the figures for one term must count exactly what happened in
// it, in the reporting types' words. Then the reporting routes, the report and its PDF are built
// from these sources. People are the reference roster's fictional ones.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { SqliteActivityStore, type ActivityStore } from '../../src/activity/index.ts';
import {
  AlertStore,
  alertTriggers,
  compileAlerts,
  IncidentStore,
  RequestsWorkflow,
  SanctionStore,
  type Asker,
  type IncidentCase,
  type NewIncident,
  type RequestActor,
} from '../../src/cases/index.ts';
import { CatalogueBuilder } from '../../src/catalog/index.ts';
import { CheckLog, ComplianceRecords, ComplianceService, policyVersionOf, type CheckResultView, type ComplianceMember, type Self } from '../../src/compliance/index.ts';
import { AuditLog, migrate, openDatabase, type DialectName, type StoreDatabase } from '../../src/db/index.ts';
import { decisionEvent, PolicyEngine, type DecisionEvent, type Person } from '../../src/engine/index.ts';
import type { NotificationInput, Notifier } from '../../src/notify/index.ts';
import { OverrideStore, type OverrideTimers } from '../../src/overrides/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import {
  buildGovernorsReport,
  buildReviewPack,
  chooseTerm,
  decisionLogBlocks,
  governorsReportSchema,
  registerCsv,
  renderGovernorsPdf,
  reportingRoutes,
  reviewPeriod,
  checkLogCsv,
  type ReportingDeps,
  type ReportPeriod,
} from '../../src/reporting/index.ts';
import { workflowReportSources, type WorkflowReportData } from '../../src/server/report-sources.ts';
import { databasePath, SqliteEventStore } from '../../src/store/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { routeHarness, type TestAccount } from '../support/route-harness.ts';

const pgMissing = postgresUnavailable();
const DAY = 86_400_000;
const HOUR = 3_600_000;

const loaded = loadPolicy(fileURLToPath(new URL('../../examples/reference/school.yaml', import.meta.url)));
if (!loaded.policy) throw new Error(`the reference policy does not load: ${loaded.problems.map((p) => p.message).join('; ')}`);
const policy: ResolvedPolicy = loaded.policy;

/** after both terms: every figure is asked for from here */
const LATER = Date.parse('2027-04-01T12:00:00Z');
const autumnTerm = chooseTerm(policy, 'Autumn 2026', LATER);
const springTerm = chooseTerm(policy, 'Spring 2027', LATER);
const AUTUMN: ReportPeriod = { from: autumnTerm.from, to: autumnTerm.to };
const SPRING: ReportPeriod = { from: springTerm.from, to: springTerm.to };
const at = (iso: string) => Date.parse(iso);

/** Fictional people of the reference roster, as the requests and sanctions stores read them. */
const PEOPLE = [
  { username: 'arlo.puddingstone', displayName: 'Arlo Puddingstone', role: 'pupil', groups: ['year-4', 'class-4n'] },
  { username: 'nancy.tumbledown', displayName: 'Nancy Tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'] },
  { username: 'mabel.foxglove', displayName: 'Mabel Foxglove', role: 'pupil', groups: ['year-6', 'class-6s'] },
  { username: 'stanley.burdock', displayName: 'Stanley Burdock', role: 'pupil', groups: ['year-6', 'class-6s'] },
  { username: 'desmond.nightingale', displayName: 'Desmond Nightingale', role: 'teacher', groups: ['class-4n'] },
  { username: 'jonah.birchwood', displayName: 'Jonah Birchwood', role: 'esafety-team', groups: [] },
  { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', role: 'headteacher', groups: [] },
  { username: 'harold.pebblecombe', displayName: 'Harold Pebblecombe', role: 'support-staff', groups: [] },
  { username: 'nigel.applegarth', displayName: 'Nigel Applegarth', role: 'safeguarding-lead', groups: [] },
];
const people = {
  get: (username: string) => PEOPLE.find((p) => p.username === username) ?? null,
  list: (filter: { role?: string } = {}) => PEOPLE.filter((p) => filter.role === undefined || p.role === filter.role),
};

/** Whom compliance tracks: staff added before the autumn term, and one who joined in spring. */
const BEFORE_AUTUMN = at('2026-08-03T09:00:00Z');
const STAFF: ComplianceMember[] = [
  { username: 'ada.tinderbox', displayName: 'Ada Tinderbox', role: 'teacher', addedAt: BEFORE_AUTUMN },
  { username: 'gwendolyn.ash', displayName: 'Gwendolyn Ash', role: 'support-staff', addedAt: BEFORE_AUTUMN },
  { username: 'rupert.thornbury', displayName: 'Rupert Thornbury', role: 'governor', addedAt: BEFORE_AUTUMN },
  { username: 'olive.stonechat', displayName: 'Olive Stonechat', role: 'network-manager', addedAt: at('2027-01-05T09:00:00Z') },
  { username: 'poppy.hazelwood', displayName: 'Poppy Hazelwood', role: 'pupil', addedAt: BEFORE_AUTUMN },
];
const self = (username: string): Self => {
  const member = STAFF.find((m) => m.username === username)!;
  return { username, displayName: member.displayName, role: member.role };
};

function actor(username: string): RequestActor {
  const person = people.get(username)!;
  return { username, role: person.role, groups: person.groups };
}

function asker(username: string): Asker {
  const person = people.get(username)!;
  return { person: username, role: person.role, groups: person.groups, clientIp: '192.0.2.10' };
}

/** Stands for the notifier: keeps what it is asked to send. */
class RecordingNotifier implements Notifier {
  readonly sent: NotificationInput[] = [];
  async notify(input: NotificationInput): Promise<{ id: string; recipients: number }> {
    this.sent.push(input);
    return { id: `n${this.sent.length}`, recipients: input.to.length };
  }
}

/** Timers that never fire: grant and sanction ends are read from the clock, not waited for. */
const stillTimers: OverrideTimers = { set: () => null, clear: () => undefined };

const catalogue = new CatalogueBuilder();
catalogue.add('harm.example', ['hedgerow/self-harm'], 'test');
catalogue.add('adult.example', ['hedgerow/adult'], 'test');
catalogue.add('legal.example', ['custom/iwf'], 'test');
catalogue.add('search.example', ['hedgerow/search-engine'], 'test');
const engine = new PolicyEngine({ policy, catalogue: catalogue.build() });

function result(testId: string, as: { role: string; groups?: string[] }, path: 'proxy' | 'dns', expected: CheckResultView['expected'], seen: CheckResultView['seen'], detail: string | null = null): CheckResultView {
  const outcome: CheckResultView['outcome'] = seen === 'not-applicable' ? 'not-applicable' : seen === expected ? 'pass' : 'fail';
  return {
    testId,
    url: `http://${testId}.hedgerow-check.invalid/`,
    role: as.role,
    groups: as.groups ?? [],
    path,
    expected,
    seen,
    outcome,
    latencyMs: seen === 'not-applicable' ? null : 4.2,
    status: seen === 'not-applicable' ? null : 403,
    rule: null,
    clauses: [],
    expectedClauses: [],
    detail,
  };
}

interface World {
  data: WorkflowReportData;
  overrides: OverrideStore;
  audit: AuditLog;
  activity: ActivityStore;
  clock: { now: number };
  /** ids of the unblock requests, by their name in the story */
  requests: Record<string, string>;
  close(): Promise<void>;
}

/** Every store on one fresh database, and a school year's records made through their methods. */
async function buildWorld(store: StoreDatabase, dir: string): Promise<World> {
  const migrated = await migrate(store.db);
  assert.equal(migrated.failed, undefined, migrated.failed?.error.message);
  const clock = { now: at('2026-08-20T09:00:00Z') };
  const now = () => clock.now;
  const audit = new AuditLog(store, { now });
  const notifier = new RecordingNotifier();
  const overrides = await OverrideStore.open({ store, audit, now, timers: stillTimers });
  const requests = new RequestsWorkflow({
    store,
    audit,
    overrides,
    notifier,
    policy: () => policy,
    people,
    now,
    onError: (error) => {
      throw error;
    },
  });
  const incidents = new IncidentStore({ store, audit, notifier, policy: () => policy, now });
  const sanctions = await SanctionStore.open({ store, audit, notifier, people, policy: () => policy, now, timers: stillTimers });
  const alerts = new AlertStore(store, { now });
  const checkLog = new CheckLog(store);
  const compliance = new ComplianceService({
    records: new ComplianceRecords({ store, audit, now }),
    checkLog,
    audit,
    policy: () => policy,
    population: () => STAFF,
    notifier,
    now,
  });
  const compiledAlerts = compileAlerts(policy.workflows.alerts!);
  const events: DecisionEvent[] = [];
  let eventCount = 0;
  const attempt = async (username: string, url: string, searchTerm: string | null = null) => {
    const found = people.get(username)!;
    const person: Person = { id: username, role: found.role, groups: [...found.groups] };
    eventCount += 1;
    const event = decisionEvent({ point: 'proxy', id: `ev-${eventCount}`, at: clock.now, person, clientIp: '192.0.2.10', decision: engine.decide({ person, url, at: clock.now }), url, searchTerm });
    events.push(event);
    for (const hit of alertTriggers(compiledAlerts, event)) await alerts.recordHit(hit, compiledAlerts.windowMs);
  };
  const ask = async (who: string, host: string, categories: string[]) =>
    (await requests.unblock.submit({ asker: asker(who), source: 'block-page', url: `http://${host}/`, host, categories, clauses: ['8.1'], reason: `please, for ${who}` }, who)).request.id;
  const report = async (type: NewIncident['type']) =>
    (await incidents.create({ type, description: 'What happened, in the reporter’s words.', occurredAt: clock.now - HOUR }, 'desmond.nightingale')).case.id;
  const ids: Record<string, string> = {};

  // --- before the autumn term ---
  clock.now = at('2026-08-20T10:00:00Z');
  await attempt('stanley.burdock', 'http://harm.example/');
  clock.now = at('2026-08-25T06:00:00Z');
  await checkLog.record({ startedAt: clock.now, finishedAt: clock.now + 1000, trigger: 'schedule', requestedBy: null, policyRevision: policy.revision, results: [result('pupil-social', { role: 'pupil' }, 'proxy', 'blocked', 'allowed')] });
  clock.now = at('2026-08-28T10:00:00Z');
  ids.r0 = await ask('harold.pebblecombe', 'news.blocked.example', ['news']);
  clock.now = at('2026-08-30T10:00:00Z');
  await report('other');

  // --- the autumn term ---
  clock.now = at('2026-09-03T09:00:00Z');
  await requests.unblock.decline(ids.r0, { reason: 'not needed for work' }, actor('marjorie.wychwood'));
  clock.now = at('2026-09-07T10:00:00Z');
  ids.r1 = await ask('arlo.puddingstone', 'games.blocked.example', ['games']);
  clock.now = at('2026-09-08T10:00:00Z');
  await requests.unblock.recommend(ids.r1, { recommendation: 'approve', note: 'times tables practice' }, actor('jonah.birchwood'));
  clock.now = at('2026-09-09T10:00:00Z');
  await requests.unblock.approve(ids.r1, { scope: { type: 'group', group: 'class-4n' }, duration: '30d' }, actor('marjorie.wychwood'));
  clock.now = at('2026-09-10T06:00:00Z');
  await checkLog.record({
    startedAt: clock.now,
    finishedAt: clock.now + 2000,
    trigger: 'schedule',
    requestedBy: null,
    policyRevision: policy.revision,
    results: [
      result('pupil-social', { role: 'pupil' }, 'proxy', 'blocked', 'blocked'),
      result('pupil-social', { role: 'pupil' }, 'dns', 'blocked', 'not-applicable', 'no check source address is taken for `pupil` by the DNS filter'),
      result('pupil-education', { role: 'pupil' }, 'proxy', 'allowed', 'allowed'),
      result('legal-block', { role: 'teacher' }, 'proxy', 'blocked', 'blocked'),
    ],
  });
  clock.now = at('2026-09-10T12:00:00Z');
  await compliance.recordTraining({ person: 'ada.tinderbox', course: 'induction', completedOn: '2026-09-10' }, self('ada.tinderbox'));
  await compliance.recordTraining({ person: 'ada.tinderbox', course: 'at-risk-identification', completedOn: '2026-09-10' }, self('ada.tinderbox'));
  const versionKey = (await compliance.acknowledgementFor(self('ada.tinderbox'))).policy.key;
  await compliance.acknowledge(self('ada.tinderbox'), versionKey);
  clock.now = at('2026-09-14T10:00:00Z');
  ids.r2 = await ask('nancy.tumbledown', 'social.blocked.example', ['social-networking', 'social-media']);
  clock.now = at('2026-09-15T10:00:00Z');
  await requests.unblock.decline(ids.r2, { reason: 'Social networking stays blocked for pupils (8.1)' }, actor('marjorie.wychwood'));
  clock.now = at('2026-09-15T12:00:00Z');
  await compliance.recordTraining({ person: 'gwendolyn.ash', course: 'induction', completedOn: '2026-09-15' }, self('gwendolyn.ash'));
  clock.now = at('2026-09-16T10:00:00Z');
  ids.r3 = await ask('harold.pebblecombe', 'video.blocked.example', ['video-audio']);
  clock.now = at('2026-09-16T22:00:00Z');
  await requests.unblock.approve(ids.r3, { scope: { type: 'role-set', roleSet: 'staff' }, duration: '90d', note: 'training videos for staff' }, actor('marjorie.wychwood'));
  clock.now = at('2026-09-21T10:00:00Z');
  ids.r5 = await ask('arlo.puddingstone', 'chat.blocked.example', ['chat']);
  clock.now = at('2026-09-22T10:00:00Z');
  await requests.unblock.withdraw(ids.r5, actor('arlo.puddingstone'));
  clock.now = at('2026-09-23T10:00:00Z');
  const siteReport = await requests.reports.create(
    { kind: 'site-report', asker: asker('desmond.nightingale'), source: 'dashboard', url: 'http://bad.blocked.example/', host: 'bad.blocked.example', categories: [], message: 'this site shows violent videos' },
    'desmond.nightingale',
  );
  clock.now = at('2026-09-24T10:00:00Z');
  await requests.reports.close(siteReport.report.id, { outcome: 'no-action', note: 'already blocked for pupils' }, actor('marjorie.wychwood'));
  clock.now = at('2026-10-01T12:00:00Z');
  await compliance.recordTraining({ person: 'ada.tinderbox', course: 'ongoing', completedOn: '2026-10-01' }, self('ada.tinderbox'));
  clock.now = at('2026-10-05T10:00:00Z');
  await report('cyber-bullying');
  clock.now = at('2026-10-06T10:00:00Z');
  const resolved = await report('cyber-bullying');
  await attempt('mabel.foxglove', 'http://harm.example/');
  clock.now = at('2026-10-06T10:05:00Z');
  // the same pupil and category within the window: counted on the same alert
  await attempt('mabel.foxglove', 'http://harm.example/');
  clock.now = at('2026-10-07T10:00:00Z');
  await attempt('stanley.burdock', 'http://adult.example/');
  clock.now = at('2026-10-08T10:00:00Z');
  await attempt('mabel.foxglove', 'http://legal.example/page');
  clock.now = at('2026-10-09T10:00:00Z');
  await attempt('mabel.foxglove', 'http://search.example/search?q=x', 'how to self harm');
  clock.now = at('2026-10-12T10:00:00Z');
  await sanctions.impose({ person: 'arlo.puddingstone', durationMs: 14 * DAY, reason: 'repeated VPN attempts' }, 'marjorie.wychwood');
  clock.now = at('2026-10-20T10:00:00Z');
  await incidents.closeCase(resolved, { outcome: 'resolved', rationale: 'resolved with both families' }, 'nigel.applegarth');
  clock.now = at('2026-11-02T10:00:00Z');
  const staffCase = await report('staff-conduct');
  clock.now = at('2026-11-10T10:00:00Z');
  await attempt('stanley.burdock', 'http://search.example/search?q=y', 'everyone hates you');
  clock.now = at('2026-11-11T06:00:00Z');
  await checkLog.record({
    startedAt: clock.now,
    finishedAt: clock.now + 2000,
    trigger: 'manual',
    requestedBy: 'marjorie.wychwood',
    policyRevision: policy.revision,
    results: [
      result('pupil-social', { role: 'pupil' }, 'proxy', 'blocked', 'blocked'),
      result('pupil-education', { role: 'pupil' }, 'proxy', 'allowed', 'allowed'),
      result('legal-block', { role: 'teacher' }, 'proxy', 'blocked', 'allowed', 'expected blocked, the filter allowed'),
      result('year-4-games', { role: 'pupil', groups: ['year-4'] }, 'dns', 'blocked', 'error', 'expected blocked, the filter gave an error: no answer'),
    ],
  });
  clock.now = at('2026-12-10T10:00:00Z');
  await sanctions.impose({ person: 'nancy.tumbledown', durationMs: 14 * DAY, reason: 'repeated proxy attempts' }, 'marjorie.wychwood');
  clock.now = at('2026-12-15T10:00:00Z');
  ids.r4 = await ask('nancy.tumbledown', 'maps.blocked.example', ['chat']);

  // --- the spring term ---
  clock.now = at('2027-01-05T10:00:00Z');
  await requests.unblock.approve(ids.r4, { scope: { type: 'requester' }, duration: '7d', note: 'for a class project' }, actor('marjorie.wychwood'));
  // records the autumn approval that ended as expired
  await requests.sweep();
  clock.now = at('2027-01-10T12:00:00Z');
  await compliance.recordTraining({ person: 'rupert.thornbury', course: 'induction', completedOn: '2027-01-10' }, self('rupert.thornbury'));
  await compliance.acknowledge(self('gwendolyn.ash'), versionKey);
  clock.now = at('2027-01-11T10:00:00Z');
  ids.r6 = await ask('arlo.puddingstone', 'unlisted.blocked.example', []);
  clock.now = at('2027-01-12T10:00:00Z');
  const open = (await incidents.view(staffCase, { username: 'nigel.applegarth', manage: true })) as IncidentCase;
  for (const step of open.steps.filter((s) => s.required && s.status === 'open')) {
    await incidents.skipStep(staffCase, step.id, 'the messages were not from a member of staff', 'nigel.applegarth');
  }
  await incidents.closeCase(staffCase, { outcome: 'not-upheld', rationale: 'the messages were not from a member of staff' }, 'nigel.applegarth');
  clock.now = at('2027-01-14T10:00:00Z');
  await attempt('stanley.burdock', 'http://harm.example/');
  clock.now = at('2027-01-15T10:00:00Z');
  await attempt('mabel.foxglove', 'http://search.example/search?q=z', 'join isis');
  clock.now = at('2027-01-20T06:00:00Z');
  await checkLog.record({ startedAt: clock.now, finishedAt: clock.now + 1000, trigger: 'schedule', requestedBy: null, policyRevision: policy.revision, results: [result('pupil-social', { role: 'pupil' }, 'proxy', 'blocked', 'blocked')] });
  clock.now = at('2027-01-20T10:00:00Z');
  const mabelSanction = await sanctions.impose({ person: 'mabel.foxglove', durationMs: 14 * DAY, reason: 'repeated VPN attempts' }, 'marjorie.wychwood');
  clock.now = at('2027-01-22T10:00:00Z');
  await sanctions.lift(mabelSanction.id, 'marjorie.wychwood', 'better behaviour');
  clock.now = at('2027-02-01T10:00:00Z');
  await report('pupil-breach');

  clock.now = LATER;
  // the decision log behind the report's blocks: the same attempts, as the proxy logged them
  const writer = SqliteEventStore.open(databasePath(dir));
  writer.writeBatch(events);
  const activity = await SqliteActivityStore.open({ dataDir: dir, foldIntervalMs: 0 });
  return {
    data: workflowReportSources({ requests, incidents, sanctions, alerts, compliance, checkLog }),
    overrides,
    audit,
    activity,
    clock,
    requests: ids,
    async close() {
      await activity.close();
      writer.close();
      await requests.close();
      incidents.close();
      sanctions.close();
      overrides.close();
    },
  };
}

const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);
const days = (from: string, to: string) => (at(to) - at(from)) / DAY;

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly DialectName[]) {
  describe(`the governors' report over the workflow stores on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let store: StoreDatabase;
    let world: World;

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-report-sources-'));
      let url = `sqlite:${join(tmp, 'hedgerow.db')}`;
      if (dialect === 'postgres') {
        server = await startPostgres();
        url = await server.createDatabase('report_sources');
      }
      store = await openDatabase(url);
      world = await buildWorld(store, tmp);
    });
    after(async () => {
      await world?.close();
      await store?.close();
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('counts the unblock requests made and the decisions taken in a term, with the days each took, by category and by group (8.4, 8.5)', async () => {
      const autumn = await world.data.sources.requests(AUTUMN);
      // made in autumn: games, social, video, the withdrawn chat and the December one decided in spring;
      // decided in autumn: the August request (declined), games and video (approved), social (declined)
      assert.deepEqual({ ...autumn.total, decisionDays: sorted(autumn.total.decisionDays) }, {
        requested: 5,
        approved: 2,
        declined: 2,
        decisionDays: sorted([days('2026-08-28T10:00:00Z', '2026-09-03T09:00:00Z'), 2, 1, 0.5]),
      });
      assert.deepEqual(autumn.byCategory, {
        news: { requested: 0, approved: 0, declined: 1, decisionDays: [days('2026-08-28T10:00:00Z', '2026-09-03T09:00:00Z')] },
        games: { requested: 1, approved: 1, declined: 0, decisionDays: [2] },
        'social-networking': { requested: 1, approved: 0, declined: 1, decisionDays: [1] },
        'social-media': { requested: 1, approved: 0, declined: 1, decisionDays: [1] },
        'video-audio': { requested: 1, approved: 1, declined: 0, decisionDays: [0.5] },
        chat: { requested: 2, approved: 0, declined: 0, decisionDays: [] },
      });
      assert.deepEqual(autumn.byGroup, {
        '': { requested: 1, approved: 1, declined: 1 },
        'year-4': { requested: 2, approved: 1, declined: 0 },
        'class-4n': { requested: 2, approved: 1, declined: 0 },
        'year-5': { requested: 2, approved: 0, declined: 1 },
        'class-5m': { requested: 2, approved: 0, declined: 1 },
      });
      const spring = await world.data.sources.requests(SPRING);
      assert.deepEqual(spring.total, { requested: 1, approved: 1, declined: 0, decisionDays: [days('2026-12-15T10:00:00Z', '2027-01-05T10:00:00Z')] });
      assert.deepEqual(Object.keys(spring.byCategory).sort(), ['', 'chat']);
    });

    it('counts the incidents reported in a term by type, and by outcome as at its end (9.1–9.9)', async () => {
      assert.deepEqual(await world.data.sources.incidents(AUTUMN), {
        byType: { 'cyber-bullying': 2, 'staff-conduct': 1 },
        // the staff case closed in January was still open when the autumn term ended
        byOutcome: { resolved: 1, open: 2 },
      });
      assert.deepEqual(await world.data.sources.incidents(SPRING), { byType: { 'pupil-breach': 1 }, byOutcome: { open: 1 } });
    });

    it('counts supervised-only sanctions imposed, ended and in force at the end of a term (8.2)', async () => {
      assert.deepEqual(await world.data.sources.sanctions(AUTUMN), { imposed: 2, lifted: 1, inForce: 1 });
      assert.deepEqual(await world.data.sources.sanctions(SPRING), { imposed: 1, lifted: 1, inForce: 0 });
    });

    it("counts the alerts opened in a term by high-risk category and keyword list, a legal list rule's under its category", async () => {
      assert.deepEqual(await world.data.sources.alerts(AUTUMN), {
        byCategory: { 'self-harm': 1, adult: 1, 'legal-block': 1 },
        byList: { 'self-harm': 1, bullying: 1 },
      });
      assert.deepEqual(await world.data.sources.alerts(SPRING), { byCategory: { 'self-harm': 1 }, byList: { extremism: 1 } });
    });

    it('counts training and acknowledgement as they stood at the end of a term, not as they stand now (4.1–4.3)', async () => {
      const autumn = await world.data.sources.compliance(AUTUMN);
      const course = (figures: typeof autumn, id: string) => figures.courses.find((c) => c.id === id);
      assert.deepEqual(autumn.courses.map((c) => c.id).sort(), ['at-risk-identification', 'induction', 'ongoing']);
      assert.deepEqual(course(autumn, 'at-risk-identification'), { id: 'at-risk-identification', title: 'Identifying pupils at risk', required: 2, done: 1, overdue: 1 });
      // the governor's induction was done in January: overdue at the end of autumn
      assert.deepEqual(course(autumn, 'induction'), { id: 'induction', title: 'Induction on the e-safety policy', required: 3, done: 2, overdue: 1 });
      assert.deepEqual(course(autumn, 'ongoing'), { id: 'ongoing', title: 'Ongoing e-safety training', required: 2, done: 1, overdue: 1 });
      assert.ok(autumn.acknowledgement);
      assert.deepEqual({ required: autumn.acknowledgement.required, done: autumn.acknowledgement.done }, { required: 3, done: 1 });
      assert.equal(autumn.acknowledgement.version, policyVersionOf(policy).version);

      const spring = await world.data.sources.compliance(SPRING);
      // the network manager joined in January and has not done the induction fourteen days on
      assert.deepEqual(course(spring, 'induction'), { id: 'induction', title: 'Induction on the e-safety policy', required: 4, done: 3, overdue: 1 });
      assert.deepEqual({ required: spring.acknowledgement!.required, done: spring.acknowledgement!.done }, { required: 4, done: 2 });
    });

    it('counts filter check runs, passes and failures per test in a term, leaving out a path not tested here', async () => {
      assert.deepEqual(await world.data.sources.checks(AUTUMN), {
        runs: 7,
        passes: 5,
        failures: 2,
        byTest: [
          { id: 'pupil-social', runs: 2, passes: 2, failures: 0 },
          { id: 'pupil-education', runs: 2, passes: 2, failures: 0 },
          { id: 'legal-block', runs: 2, passes: 1, failures: 1 },
          { id: 'year-4-games', runs: 1, passes: 0, failures: 1 },
        ],
      });
      assert.deepEqual(await world.data.sources.checks(SPRING), { runs: 1, passes: 1, failures: 0, byTest: [{ id: 'pupil-social', runs: 1, passes: 1, failures: 0 }] });
    });

    it("lists a term's decided unblock requests as register rows in the pack's words, and no site report", async () => {
      const rows = await world.data.pack.register(AUTUMN);
      const ids = world.requests;
      assert.deepEqual(rows.map((r) => r.id), [ids.r0, ids.r1, ids.r2, ids.r3]);
      assert.deepEqual(rows[0], {
        id: ids.r0,
        requestedAt: at('2026-08-28T10:00:00Z'),
        decidedAt: at('2026-09-03T09:00:00Z'),
        site: 'news.blocked.example',
        categories: ['news'],
        decision: 'declined',
        scope: null,
        until: null,
        recommendation: null,
        decidedBy: 'marjorie.wychwood',
        reason: 'not needed for work',
        clauses: ['8.1'],
      });
      // approved with no note of the decider's: the reviewer's recommendation says why
      assert.deepEqual(
        { scope: rows[1]!.scope, until: rows[1]!.until, recommendation: rows[1]!.recommendation, reason: rows[1]!.reason, decision: rows[1]!.decision },
        { scope: { kind: 'group', id: 'class-4n' }, until: at('2026-09-09T10:00:00Z') + 30 * DAY, recommendation: 'approve', reason: 'times tables practice', decision: 'approved' },
      );
      assert.deepEqual([rows[2]!.decision, rows[2]!.reason], ['declined', 'Social networking stays blocked for pupils (8.1)']);
      assert.deepEqual([rows[3]!.scope, rows[3]!.until], [{ kind: 'role', id: 'staff' }, at('2026-09-16T22:00:00Z') + 90 * DAY]);
      assert.ok(!JSON.stringify(rows).includes('please, for'), "the requester's own words stay out of the register");
      const spring = await world.data.pack.register(SPRING);
      assert.deepEqual(spring.map((r) => [r.id, r.scope]), [[ids.r4, { kind: 'requester' }]]);
    });

    it("lists a term's filter check results as check-log rows in the policy's words", async () => {
      const rows = await world.data.pack.checkLog(AUTUMN);
      assert.equal(rows.length, 7);
      assert.deepEqual(rows[0], { at: at('2026-09-10T06:00:00Z'), test: 'pupil-social', url: 'http://pupil-social.hedgerow-check.invalid/', as: 'pupil', path: 'proxy', expected: 'block', got: 'block', passed: true, detail: null });
      assert.deepEqual(
        rows.filter((r) => !r.passed).map((r) => [r.test, r.as, r.path, r.expected, r.got, r.detail]),
        [
          ['legal-block', 'teacher', 'proxy', 'block', 'allow', 'expected blocked, the filter allowed'],
          ['year-4-games', 'pupil in year-4', 'dns', 'block', 'error', 'expected blocked, the filter gave an error: no answer'],
        ],
      );
      assert.deepEqual(rows.filter((r) => r.test === 'pupil-education').map((r) => [r.expected, r.got]), [['allow', 'allow'], ['allow', 'allow']]);
      assert.equal((await world.data.pack.checkLog(SPRING)).length, 1);
    });

    it("renders the autumn governors' report and its PDF from these sources", async () => {
      const report = await buildGovernorsReport({ policy, term: autumnTerm, sources: { ...world.data.sources, blocks: decisionLogBlocks(world.activity) }, now: LATER });
      governorsReportSchema.parse(report);
      // the figures arrive under the policy's titles; small counts are the report's to hide
      assert.deepEqual(report.requests.byGroup.map((g) => g.title).sort(), ['Class 4N', 'Class 5M', 'In no group', 'Year 4', 'Year 5']);
      assert.deepEqual(report.requests.byCategory.map((c) => c.id).sort(), ['chat', 'games', 'news', 'social-media', 'social-networking', 'video-audio']);
      assert.deepEqual(report.incidents.byOutcome.map((o) => o.title).sort(), ['Open', 'Resolved']);
      assert.deepEqual(report.training.courses.find((c) => c.id === 'induction'), { id: 'induction', title: 'Induction on the e-safety policy', required: 3, done: 2, overdue: 1 });
      assert.deepEqual([report.checks.runs, report.checks.failures], [7, 2]);
      assert.deepEqual(report.alerts.byCategory.map((a) => a.title).sort(), ['Legal must-block lists', 'Self-harm and suicide', 'Sexually explicit']);
      const pdf = await renderGovernorsPdf(report);
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      const { extractText, getDocumentProxy } = await import('unpdf');
      const doc = await getDocumentProxy(new Uint8Array(pdf));
      const { text } = await extractText(doc, { mergePages: true });
      await doc.destroy();
      for (const expected of ['Induction on the e-safety policy', 'Legal must-block lists', 'Autumn 2026']) assert.ok(text.includes(expected), `the PDF says \`${expected}\``);
      for (const person of PEOPLE) assert.ok(!text.includes(person.username) && !text.includes(person.displayName), `the PDF names ${person.displayName}`);
    });

    it('serves the report and the review pack through the reporting routes, with the register and check log as CSV', async () => {
      const own: ReportingDeps = { sources: world.data.sources, pack: world.data.pack };
      const governor: TestAccount = { username: 'rupert.thornbury', role: 'governor', can: ['reports.governors'] };
      const harness = await routeHarness(reportingRoutes({ engine: () => engine, activity: world.activity, overrides: world.overrides, audit: world.audit, now: () => LATER }, own));
      try {
        const governors = await harness.json({ method: 'GET', url: '/api/reports/governors?term=Autumn%202026', as: governor });
        assert.equal(governors.status, 200, JSON.stringify(governors.body));
        const served = governorsReportSchema.parse(governors.body.report);
        assert.deepEqual(served.incidents.byType.map((t) => t.id).sort(), ['cyber-bullying', 'staff-conduct']);
        assert.deepEqual(served.checks.byTest.map((t) => [t.id, t.runs]), [['pupil-social', 2], ['pupil-education', 2], ['legal-block', 2], ['year-4-games', 1]]);
        assert.ok(!JSON.stringify(governors.body).includes('arlo'), 'the figures name no pupil');
        const pack = await harness.json({ method: 'GET', url: '/api/reports/review-pack?from=2026-09-02&to=2026-12-18', as: governor });
        assert.equal(pack.status, 200, JSON.stringify(pack.body));
        assert.deepEqual(pack.body.register, { decided: 4, approved: 2, declined: 2 });
        assert.deepEqual(pack.body.checks, { runs: 7, passes: 5, failures: 2 });
        const csv = await harness.request({ method: 'GET', url: '/api/reports/review-pack/register.csv?from=2026-09-02&to=2026-12-18', as: governor });
        const rows = parse(csv.body) as string[][];
        assert.deepEqual(rows.slice(1).map((r) => r[5]), ['', 'Class 4N', '', 'all staff']);
      } finally {
        await harness.close();
      }
      // the same pack built directly: the CSV files read the store's rows
      const period = reviewPeriod(policy, { from: '2026-09-02', to: '2026-12-18' }, LATER);
      const built = await buildReviewPack({ policy, period, sources: world.data.pack, incidents: world.data.sources.incidents, overrides: world.overrides, now: LATER });
      assert.equal(parse(registerCsv(built, policy)).length, 1 + 4);
      assert.equal(parse(checkLogCsv(built)).length, 1 + 7);
      assert.deepEqual(built.overrides.map((o) => o.what.sites), [['games.blocked.example'], ['video.blocked.example']]);
    });
  });
}
