// The incident store on SQLite and on a real PostgreSQL: cases reported along the chain (9.2),
// evidence kept with its SHA-256 and checked on every read (9.4), next steps by perpetrator and
// police criteria (9.5–9.8), closure only when every required step has an outcome or a reason,
// a reporter kept to their own cases, and every view and change in the audit log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { after, afterEach, before, describe, it } from 'node:test';
import { IncidentStore, type IncidentCase, type NewIncident } from '../../src/cases/incidents/index.ts';
import { AuditLog, migrate, openDatabase, type AuditEntry, type DialectName, type StoreDatabase } from '../../src/db/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import type { NotificationInput, Notifier } from '../../src/notify/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { samples } from './samples.ts';

const pgMissing = postgresUnavailable();
const LESSON = Date.parse('2026-11-24T10:15:00Z');
const DAY = 86_400_000;

const loaded = loadPolicy(fileURLToPath(new URL('../../examples/reference/school.yaml', import.meta.url)));
if (!loaded.policy) throw new Error(`the reference policy does not load: ${loaded.problems.map((p) => p.message).join('; ')}`);
const reference: ResolvedPolicy = loaded.policy;

/** Records what would have been sent; can be told to fail. */
class RecordingNotifier implements Notifier {
  sent: NotificationInput[] = [];
  failWith: string | null = null;
  async notify(input: NotificationInput): Promise<{ id: string; recipients: number }> {
    if (this.failWith) throw new Error(this.failWith);
    this.sent.push(input);
    return { id: `n${this.sent.length}`, recipients: 1 };
  }
}

const SAFEGUARDING = { username: 'nigel.applegarth', manage: true };
const TEACHER = { username: 'desmond.nightingale', manage: false };
const OTHER_TEACHER = { username: 'eleanor.mossbank', manage: false };

const bullying: NewIncident = {
  type: 'cyber-bullying',
  platform: 'instagram',
  description: 'A pupil showed me messages on Instagram calling her names after school.',
  occurredAt: LESSON - DAY,
  parties: [
    { kind: 'pupil', username: 'arlo.puddingstone', name: 'Arlo Puddingstone', role: 'alleged-perpetrator' },
    { kind: 'pupil', username: 'florence.oakhollow', name: 'Florence Oakhollow', role: 'target' },
  ],
};

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<HedgerowError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HedgerowError, `expected a HedgerowError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

function stepOf(found: IncidentCase, kind: string) {
  const step = found.steps.find((s) => s.kind === kind);
  assert.ok(step, `no ${kind} step among ${found.steps.map((s) => s.kind).join(', ')}`);
  return step;
}

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly DialectName[]) {
  describe(`incident store on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let counter = 0;
    const open: StoreDatabase[] = [];
    const stores: IncidentStore[] = [];

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-incidents-'));
      if (dialect === 'postgres') server = await startPostgres();
    });
    after(async () => {
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });
    afterEach(async () => {
      for (const store of stores.splice(0)) store.close();
      await Promise.all(open.splice(0).map((db) => db.close()));
    });

    async function fresh(policy: ResolvedPolicy = reference) {
      counter += 1;
      const url = dialect === 'sqlite' ? `sqlite:${join(tmp, `incidents-${counter}.db`)}` : await server!.createDatabase(`incidents_${counter}`);
      const db = await openDatabase(url);
      open.push(db);
      const migrated = await migrate(db.db);
      assert.equal(migrated.failed, undefined, migrated.failed?.error.message);
      const clock = { now: LESSON };
      const audit = new AuditLog(db, { now: () => clock.now });
      const notifier = new RecordingNotifier();
      const incidents = new IncidentStore({ store: db, audit, notifier, policy: () => policy, now: () => clock.now });
      stores.push(incidents);
      const entries = async (action?: string): Promise<AuditEntry[]> => (await audit.entries({ limit: 10_000 })).filter((e) => action === undefined || e.action === action);
      return { db, audit, notifier, incidents, clock, entries };
    }

    it('records a new case with the first role of the chain and tells that role (9.2)', async () => {
      const { incidents, notifier } = await fresh();
      const { case: created, notified } = await incidents.create(bullying, TEACHER.username);
      assert.equal(notified, true);
      assert.equal(created.status, 'open');
      assert.deepEqual(created.owner, { role: 'safeguarding-lead', person: null, chainIndex: 0 });
      assert.equal(created.reportedBy, TEACHER.username);
      assert.equal(created.occurredAt, LESSON - DAY);
      assert.equal(created.platform, 'instagram');
      assert.deepEqual(created.parties.map((p) => [p.username, p.role]), [
        ['arlo.puddingstone', 'alleged-perpetrator'],
        ['florence.oakhollow', 'target'],
      ]);
      const opened = notifier.sent.filter((n) => n.kind === 'incident.opened');
      assert.equal(opened.length, 1);
      assert.deepEqual(opened[0]!.to, [{ role: 'safeguarding-lead' }]);
      assert.deepEqual(opened[0]!.about, { type: 'incident', id: created.id });
      assert.doesNotMatch(JSON.stringify(notifier.sent), /Arlo|Florence|Instagram|arlo|florence/, 'notifications name nobody');
      assert.equal(created.chronology[0]!.kind, 'reported');
    });

    it('proposes the behaviour procedure for a pupil perpetrator, owned and timed as the policy says (9.5)', async () => {
      const { incidents, notifier } = await fresh();
      const { case: created } = await incidents.create(bullying, TEACHER.username);
      const step = stepOf(created, 'pupil-behaviour');
      assert.equal(step.required, true);
      assert.equal(step.owner, 'head-of-school');
      assert.equal(step.dueAt, LESSON + 10 * DAY);
      assert.equal(step.status, 'open');
      // the step's owner is not the role the case is with, so it is told too
      assert.ok(notifier.sent.some((n) => n.kind === 'incident.step' && JSON.stringify(n.to) === JSON.stringify([{ role: 'head-of-school' }])));
    });

    it('moves a case along the chain on escalation, telling the next role, and stops at its end', async () => {
      const { incidents, notifier } = await fresh();
      const { case: created } = await incidents.create(bullying, TEACHER.username);
      const once = await incidents.escalate(created.id, 'a member of staff is named in the messages', SAFEGUARDING.username);
      assert.equal(once.owner.role, 'head-of-school');
      const twice = await incidents.escalate(created.id, 'the head of school is away', 'katherine.rookwood');
      assert.deepEqual(twice.owner, { role: 'headteacher', person: null, chainIndex: 2 });
      assert.deepEqual(
        notifier.sent.filter((n) => n.kind === 'incident.escalated').map((n) => n.to),
        [[{ role: 'head-of-school' }], [{ role: 'headteacher' }]],
      );
      await rejectsWith(incidents.escalate(created.id, 'again', 'marjorie.wychwood'), 'HR_INCIDENTS_CHAIN_END');
    });

    it('stores evidence with its SHA-256, uploader, upload time and the time it shows, and gives back the same bytes (9.4)', async () => {
      const { incidents, clock } = await fresh();
      const { case: created } = await incidents.create(bullying, TEACHER.username);
      clock.now = LESSON + 60_000;
      const shows = LESSON - DAY + 3_600_000;
      const item = await incidents.addEvidence(created.id, { bytes: samples.png, declaredType: 'image/png', name: 'screenshot 1.png', shows, note: 'the first message' }, TEACHER);
      const expected = (await import('node:crypto')).createHash('sha256').update(samples.png).digest('hex');
      assert.equal(item.sha256, expected);
      assert.deepEqual([item.uploadedBy, item.uploadedAt, item.shows, item.size, item.contentType, item.name], [TEACHER.username, LESSON + 60_000, shows, samples.png.length, 'image/png', 'screenshot 1.png']);
      const read = await incidents.readEvidence(created.id, item.id, SAFEGUARDING);
      assert.ok(read.bytes.equals(samples.png));
      assert.equal(read.item.sha256, expected);
      const url = await incidents.addUrlEvidence(created.id, { url: 'https://blocked.example/post/42', shows }, SAFEGUARDING);
      assert.equal(url.kind, 'url');
      assert.equal((await incidents.readEvidence(created.id, url.id, SAFEGUARDING)).bytes.toString('utf8'), 'https://blocked.example/post/42');
    });

    it('refuses any change to stored evidence at the database, and detects a change made around that by its digest', async () => {
      const { db, incidents, entries } = await fresh();
      const { case: created } = await incidents.create(bullying, TEACHER.username);
      const item = await incidents.addEvidence(created.id, { bytes: samples.text, declaredType: 'text/plain', name: 'messages.txt' }, TEACHER);
      await assert.rejects(sql`update incident_evidence set content = ${Buffer.from('edited')} where id = ${item.id}`.execute(db.db), /never changed/);
      // someone with the database's keys can drop the trigger; the digest still tells
      if (dialect === 'postgres') await sql`drop trigger incident_evidence_no_update on incident_evidence`.execute(db.db);
      else await sql`drop trigger incident_evidence_no_update`.execute(db.db);
      await sql`update incident_evidence set content = ${Buffer.from('Message received 14:02 on Tuesday: "nobody minds you"\n')} where id = ${item.id}`.execute(db.db);
      await rejectsWith(incidents.readEvidence(created.id, item.id, SAFEGUARDING), 'HR_INCIDENTS_EVIDENCE_TAMPERED');
      assert.equal((await entries('incident.evidence.tampered')).length, 1);
      assert.equal((await entries('incident.evidence.view')).length, 0, 'tampered evidence is not served');
      const checks = await incidents.verifyEvidence(created.id, SAFEGUARDING);
      assert.deepEqual(checks.map((c) => [c.id, c.ok]), [[item.id, false]]);
    });

    it('refuses evidence whose bytes are not the declared type, or of a type the policy does not accept', async () => {
      const { incidents } = await fresh();
      const { case: created } = await incidents.create(bullying, TEACHER.username);
      await rejectsWith(incidents.addEvidence(created.id, { bytes: samples.pdf, declaredType: 'image/png', name: 'shot.png' }, TEACHER), 'HR_INCIDENTS_EVIDENCE_MISMATCH');
      await rejectsWith(incidents.addEvidence(created.id, { bytes: Buffer.from('<script>alert(1)</script>'), declaredType: 'image/png', name: 'shot.png' }, TEACHER), 'HR_INCIDENTS_EVIDENCE_MISMATCH');
      await rejectsWith(incidents.addEvidence(created.id, { bytes: Buffer.from('<html></html>'), declaredType: 'text/html', name: 'page.html' }, TEACHER), 'HR_INCIDENTS_EVIDENCE_TYPE');
      await rejectsWith(incidents.addEvidence(created.id, { bytes: new Uint8Array(), declaredType: 'image/png', name: 'empty.png' }, TEACHER), 'HR_INCIDENTS_EVIDENCE_EMPTY');
      const found = (await incidents.view(created.id, SAFEGUARDING)) as IncidentCase;
      assert.equal(found.evidence.length, 0);
    });

    it("refuses evidence over the policy's size limit", async () => {
      const small: ResolvedPolicy = structuredClone(reference);
      small.workflows.incidents!.evidence.maxBytes = 2048;
      const { incidents } = await fresh(small);
      const { case: created } = await incidents.create(bullying, TEACHER.username);
      const big = Buffer.alloc(2049, 0x61);
      await rejectsWith(incidents.addEvidence(created.id, { bytes: big, declaredType: 'text/plain', name: 'long.txt' }, TEACHER), 'HR_INCIDENTS_EVIDENCE_TOO_LARGE');
      const fits = await incidents.addEvidence(created.id, { bytes: big.subarray(0, 2048), declaredType: 'text/plain', name: 'fits.txt' }, TEACHER);
      assert.equal(fits.size, 2048);
    });

    it("keeps a reporter to their own cases, in a limited view without the other parties", async () => {
      const { incidents, entries } = await fresh();
      const { case: mine } = await incidents.create(bullying, TEACHER.username);
      const { case: theirs } = await incidents.create({ ...bullying, description: 'Another case.' }, OTHER_TEACHER.username);
      const limited = await incidents.view(mine.id, TEACHER);
      assert.equal('limited' in limited && limited.limited, true);
      assert.equal('parties' in limited, false);
      assert.equal('steps' in limited, false);
      assert.equal('chronology' in limited, false);
      assert.doesNotMatch(JSON.stringify(limited), /arlo|florence/i);
      await rejectsWith(incidents.view(theirs.id, TEACHER), 'HR_INCIDENTS_NOT_FOUND');
      await rejectsWith(incidents.view('inc-does-not-exist', TEACHER), 'HR_INCIDENTS_NOT_FOUND');
      const refused = await entries('incident.view.refused');
      assert.deepEqual(refused.map((e) => [e.actor, e.subject]), [[TEACHER.username, `incident:${theirs.id}`]]);
      const listed = await incidents.list(TEACHER);
      assert.deepEqual(listed.items.map((i) => i.id), [mine.id]);
      assert.equal(listed.items[0]!.ownerPerson, null);
      assert.equal(listed.items[0]!.reportedBy, null);
      const all = await incidents.list(SAFEGUARDING);
      assert.deepEqual(new Set(all.items.map((i) => i.id)), new Set([mine.id, theirs.id]));
      // their evidence is theirs: another reporter cannot add to or read from the case
      const item = await incidents.addEvidence(theirs.id, { bytes: samples.gif, declaredType: 'image/gif', name: 'a.gif' }, OTHER_TEACHER);
      await rejectsWith(incidents.addEvidence(theirs.id, { bytes: samples.gif, declaredType: 'image/gif', name: 'b.gif' }, TEACHER), 'HR_INCIDENTS_NOT_FOUND');
      await rejectsWith(incidents.readEvidence(theirs.id, item.id, TEACHER), 'HR_INCIDENTS_NOT_FOUND');
    });

    it('writes every view of a case, of the list and of evidence to the audit log, with who and which case', async () => {
      const { incidents, entries, audit } = await fresh();
      const { case: created } = await incidents.create(bullying, TEACHER.username);
      const item = await incidents.addEvidence(created.id, { bytes: samples.jpeg, declaredType: 'image/jpeg', name: 'photo.jpg' }, TEACHER);
      await incidents.view(created.id, SAFEGUARDING);
      await incidents.view(created.id, TEACHER);
      await incidents.list(SAFEGUARDING);
      await incidents.readEvidence(created.id, item.id, SAFEGUARDING);
      const views = await entries('incident.view');
      assert.deepEqual(views.map((e) => [e.actor, e.subject, (e.after as { view: string }).view]), [
        [SAFEGUARDING.username, `incident:${created.id}`, 'full'],
        [TEACHER.username, `incident:${created.id}`, 'limited'],
      ]);
      const list = await entries('incident.list');
      assert.deepEqual((list[0]!.after as { cases: string[] }).cases, [created.id]);
      const evidence = await entries('incident.evidence.view');
      assert.deepEqual(evidence.map((e) => [e.actor, (e.after as { evidence: string }).evidence]), [[SAFEGUARDING.username, item.id]]);
      // names and the reporter's words stay out of the audit log, which outlives the case
      const everything = JSON.stringify(await entries());
      assert.doesNotMatch(everything, /Arlo|Florence|calling her names/);
      assert.equal(await audit.verify(), null);
    });

    it('requires the police step as soon as a criterion is ticked, and will not close until it has an outcome or a reason (9.8)', async () => {
      const { incidents } = await fresh();
      const { case: created } = await incidents.create({ ...bullying, parties: [{ kind: 'unknown', role: 'alleged-perpetrator' }] }, TEACHER.username);
      assert.equal(created.steps.some((s) => s.kind === 'police-referral'), false);
      const ticked = await incidents.setCriteria(created.id, ['threatening', 'hate-crime'], SAFEGUARDING.username);
      const police = stepOf(ticked, 'police-referral');
      assert.equal(police.required, true);
      assert.equal(police.owner, 'safeguarding-lead');
      assert.deepEqual(ticked.criteria, ['threatening', 'hate-crime']);
      const refused = await rejectsWith(incidents.closeCase(created.id, { outcome: 'resolved', rationale: 'sorted' }, SAFEGUARDING.username), 'HR_INCIDENTS_STEPS_OPEN');
      assert.deepEqual((refused as unknown as { problems: Array<{ field: string }> }).problems.map((p) => p.field), [`steps.${police.id}`]);
      // the decision not to refer, with its reason, is what lets the case close
      await incidents.skipStep(created.id, police.id, 'spoke to the police community support officer; no offence disclosed', SAFEGUARDING.username);
      const closed = await incidents.closeCase(created.id, { outcome: 'no-further-action', rationale: 'content removed by the platform; target supported' }, SAFEGUARDING.username);
      assert.equal(closed.status, 'closed');
      assert.deepEqual(closed.closure && [closed.closure.outcome, closed.closure.rationale, closed.closure.referrals], ['no-further-action', 'content removed by the platform; target supported', []]);
      assert.equal(stepOf(closed, 'police-referral').status, 'skipped');
      assert.ok(closed.chronology.some((c) => /Decided not to refer/.test(c.text)));
    });

    it('cannot close while a required step has no outcome, and records referrals made when it does close', async () => {
      const { incidents } = await fresh();
      const { case: created } = await incidents.create(
        { ...bullying, parties: [{ kind: 'parent-carer', name: 'A parent', role: 'alleged-perpetrator' }, { kind: 'pupil', username: 'florence.oakhollow', role: 'target' }] },
        TEACHER.username,
      );
      assert.deepEqual(created.steps.map((s) => s.kind), ['victim-meeting', 'removal-request']);
      const meeting = stepOf(created, 'victim-meeting');
      const removal = stepOf(created, 'removal-request');
      await incidents.recordOutcome(created.id, meeting.id, { outcome: 'met Florence and her carer on Wednesday' }, SAFEGUARDING.username);
      await rejectsWith(incidents.recordOutcome(created.id, removal.id, { outcome: 'asked by phone' }, SAFEGUARDING.username), 'HR_INCIDENTS_INPUT');
      const refused = await incidents.recordOutcome(created.id, removal.id, { outcome: 'asked by phone; they would not', result: 'refused' }, SAFEGUARDING.username);
      const report = stepOf(refused, 'provider-report');
      assert.equal(report.required, true);
      assert.equal(report.link, reference.workflows.incidents!.platforms.instagram!.reportUrl);
      await rejectsWith(incidents.closeCase(created.id, { outcome: 'resolved', rationale: 'done' }, SAFEGUARDING.username), 'HR_INCIDENTS_STEPS_OPEN');
      await incidents.recordOutcome(created.id, report.id, { outcome: 'reported through the link; content removed next day' }, SAFEGUARDING.username);
      await rejectsWith(incidents.recordOutcome(created.id, report.id, { outcome: 'twice' }, SAFEGUARDING.username), 'HR_INCIDENTS_STEP_DONE');
      const closed = await incidents.closeCase(created.id, { outcome: 'referred', rationale: 'provider removed the content' }, SAFEGUARDING.username);
      assert.deepEqual(closed.closure?.referrals, ['provider-report']);
    });

    it('moves an open case to in progress when a safeguarding role acts, and refuses changes once closed', async () => {
      const { incidents } = await fresh();
      const { case: created } = await incidents.create({ ...bullying, parties: [] }, TEACHER.username);
      const noted = await incidents.addNote(created.id, 'spoke to the class teacher', SAFEGUARDING.username);
      assert.equal(noted.status, 'in-progress');
      assert.equal(noted.owner.person, SAFEGUARDING.username);
      const taken = await incidents.take(created.id, 'katherine.rookwood');
      assert.equal(taken.owner.person, 'katherine.rookwood');
      await incidents.closeCase(created.id, { outcome: 'not-upheld', rationale: 'messages were from a game, not about the pupil' }, 'katherine.rookwood');
      await rejectsWith(incidents.addNote(created.id, 'late note', SAFEGUARDING.username), 'HR_INCIDENTS_CLOSED');
      await rejectsWith(incidents.addEvidence(created.id, { bytes: samples.png, declaredType: 'image/png', name: 'late.png' }, TEACHER), 'HR_INCIDENTS_CLOSED');
    });

    it('keeps the chronology in order and refuses to change an entry at the database', async () => {
      const { db, incidents } = await fresh();
      const { case: created } = await incidents.create(bullying, TEACHER.username);
      await incidents.addNote(created.id, 'first', SAFEGUARDING.username);
      const found = await incidents.addNote(created.id, 'second', SAFEGUARDING.username);
      const seqs = found.chronology.map((c) => c.seq);
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
      assert.deepEqual(found.chronology.filter((c) => c.kind === 'note').map((c) => c.text), ['first', 'second']);
      await assert.rejects(sql`update incident_chronology set text = ${'rewritten'} where incident_id = ${created.id}`.execute(db.db), /never changed/);
    });

    it('writes a failed notification into the chronology instead of losing it', async () => {
      const { incidents, notifier } = await fresh();
      notifier.failWith = 'relay down';
      const { case: created, notified } = await incidents.create(bullying, TEACHER.username);
      assert.equal(notified, false);
      const found = (await incidents.view(created.id, SAFEGUARDING)) as IncidentCase;
      assert.ok(found.chronology.some((c) => c.kind === 'notify-failed' && /safeguarding-lead: relay down/.test(c.text)));
    });

    it('purges closed cases past retention with all their evidence, and never an open case', async () => {
      const { db, incidents, clock, entries } = await fresh();
      const { case: old } = await incidents.create({ ...bullying, parties: [] }, TEACHER.username);
      await incidents.addEvidence(old.id, { bytes: samples.png, declaredType: 'image/png', name: 'a.png' }, TEACHER);
      await incidents.closeCase(old.id, { outcome: 'resolved', rationale: 'resolved with both families' }, SAFEGUARDING.username);
      const { case: stillOpen } = await incidents.create({ ...bullying, parties: [] }, TEACHER.username);
      clock.now = LESSON + 6 * 365 * DAY - 1;
      assert.deepEqual((await incidents.purgeExpired()).purged, []);
      clock.now = LESSON + 6 * 365 * DAY + 1;
      assert.deepEqual((await incidents.purgeExpired()).purged, [old.id]);
      await rejectsWith(incidents.view(old.id, SAFEGUARDING), 'HR_INCIDENTS_NOT_FOUND');
      assert.equal(((await incidents.view(stillOpen.id, SAFEGUARDING)) as IncidentCase).status, 'open');
      const left = await sql<{ n: number }>`select count(*) as n from incident_evidence`.execute(db.db);
      assert.equal(Number(left.rows[0]!.n), 0);
      assert.deepEqual((await entries('incident.purge')).map((e) => (e.after as { cases: string[] }).cases), [[old.id]]);
    });

    it("counts a period's cases by type and by outcome at its end, for the governors' report, naming nobody", async () => {
      const { incidents, clock } = await fresh();
      const { case: a } = await incidents.create({ ...bullying, parties: [] }, TEACHER.username);
      await incidents.create({ ...bullying, type: 'staff-conduct', parties: [] }, TEACHER.username);
      clock.now = LESSON + DAY;
      await incidents.closeCase(a.id, { outcome: 'resolved', rationale: 'resolved with both families' }, SAFEGUARDING.username);
      clock.now = LESSON + 40 * DAY;
      await incidents.create({ ...bullying, parties: [] }, TEACHER.username);
      const term = await incidents.figures({ from: LESSON - DAY, to: LESSON + 30 * DAY });
      assert.deepEqual(term, { byType: { 'cyber-bullying': 1, 'staff-conduct': 1 }, byOutcome: { resolved: 1, open: 1 } });
      // a case closed after the period ends was still open at its end
      const firstDay = await incidents.figures({ from: LESSON - DAY, to: LESSON + 1 });
      assert.deepEqual(firstDay.byOutcome, { open: 2 });
    });

    it('lists cases newest first a page at a time, filtered by status', async () => {
      const { incidents, clock } = await fresh();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        clock.now = LESSON + i * 60_000;
        ids.push((await incidents.create({ ...bullying, parties: [] }, TEACHER.username)).case.id);
      }
      await incidents.closeCase(ids[0]!, { outcome: 'resolved', rationale: 'resolved in class' }, SAFEGUARDING.username);
      const first = await incidents.list(SAFEGUARDING, { limit: 2 });
      assert.deepEqual(first.items.map((i) => i.id), [ids[2], ids[1]]);
      assert.ok(first.nextCursor);
      const second = await incidents.list(SAFEGUARDING, { limit: 2, cursor: first.nextCursor });
      assert.deepEqual(second.items.map((i) => i.id), [ids[0]]);
      assert.equal(second.nextCursor, null);
      assert.deepEqual((await incidents.list(SAFEGUARDING, { status: 'active' })).items.map((i) => i.id), [ids[2], ids[1]]);
      assert.deepEqual((await incidents.list(SAFEGUARDING, { status: 'closed' })).items.map((i) => i.id), [ids[0]]);
    });

    it('refuses a report with no words, or a time it happened days in the future', async () => {
      const { incidents } = await fresh();
      const empty = await rejectsWith(incidents.create({ ...bullying, description: '   ' }, TEACHER.username), 'HR_INCIDENTS_INPUT');
      assert.equal(empty.where?.field, 'description');
      const future = await rejectsWith(incidents.create({ ...bullying, occurredAt: LESSON + 3 * DAY }, TEACHER.username), 'HR_INCIDENTS_INPUT');
      assert.equal(future.where?.field, 'occurredAt');
      const nameless = await rejectsWith(incidents.create({ ...bullying, parties: [{ kind: 'other-adult', role: 'alleged-perpetrator' }] }, TEACHER.username), 'HR_INCIDENTS_INPUT');
      assert.equal(nameless.where?.field, 'parties[0].name');
    });

    it('answers HR_INCIDENTS_NOT_CONFIGURED when the policy has no incident workflow', async () => {
      const none: ResolvedPolicy = { ...reference, workflows: { ...reference.workflows, incidents: null } };
      const { incidents } = await fresh(none);
      await rejectsWith(incidents.create(bullying, TEACHER.username), 'HR_INCIDENTS_NOT_CONFIGURED');
    });
  });
}
