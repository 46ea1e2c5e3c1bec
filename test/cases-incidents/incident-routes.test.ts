// The incidents API as a teacher and the safeguarding lead use it: the report form with its 9.3
// guidance, reporting with roster names checked, a reporter kept to their own cases, every view
// audited, evidence uploaded as the file itself (type checked, size limited before it is read)
// and downloaded as an attachment, and closing held back by open required steps.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AccessMatrix } from '../../src/access/index.ts';
import type { ApiDeps } from '../../src/api/index.ts';
import { IncidentStore, incidentRoutes } from '../../src/cases/incidents/index.ts';
import { AuditLog, migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import type { NotificationInput, Notifier } from '../../src/notify/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import { routeHarness, type RouteHarness, type TestAccount } from '../support/route-harness.ts';
import { samples } from './samples.ts';
import { uploadHarness, type UploadHarness } from './upload-harness.ts';

const LESSON = Date.parse('2026-11-24T10:15:00Z');
const DAY = 86_400_000;
const referenceDir = fileURLToPath(new URL('../../examples/reference/', import.meta.url));
const loaded = loadPolicy(join(referenceDir, 'school.yaml'));
if (!loaded.policy) throw new Error('the reference policy does not load');
const reference: ResolvedPolicy = loaded.policy;
/** the reference policy with a small evidence limit, so oversize bodies stay small in the test */
const LIMIT = 64 * 1024;
const policy: ResolvedPolicy = structuredClone(reference);
policy.workflows.incidents!.evidence.maxBytes = LIMIT;

class RecordingNotifier implements Notifier {
  sent: NotificationInput[] = [];
  async notify(input: NotificationInput): Promise<{ id: string; recipients: number }> {
    this.sent.push(input);
    return { id: `n${this.sent.length}`, recipients: 1 };
  }
}

const matrix = AccessMatrix.fromPolicy(policy);
const as = (username: string, role: string): TestAccount => ({ username, role, can: matrix.actionsOf(role) });
const teacher = as('desmond.nightingale', 'teacher');
const otherTeacher = as('eleanor.mossbank', 'teacher');
const lead = as('nigel.applegarth', 'safeguarding-lead');
const pupil = as('arlo.puddingstone', 'pupil');

const report = {
  type: 'cyber-bullying',
  platform: 'instagram',
  description: 'Florence showed me messages calling her names, sent on Sunday evening.',
  occurredAt: LESSON - 2 * DAY,
  parties: [
    { kind: 'pupil', username: 'arlo.puddingstone', role: 'alleged-perpetrator' },
    { kind: 'pupil', username: 'florence.oakhollow', role: 'target' },
  ],
};

describe('incidents API', () => {
  let dir = '';
  let store: StoreDatabase;
  let people: PeopleStore;
  let incidents: IncidentStore;
  let audit: AuditLog;
  let harness: RouteHarness;
  let uploads: UploadHarness;
  const notifier = new RecordingNotifier();
  const clock = { now: LESSON };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-incident-routes-'));
    store = await openDatabase(`sqlite:${join(dir, 'store.db')}`);
    const migrated = await migrate(store.db);
    if (migrated.failed) throw migrated.failed.error;
    audit = new AuditLog(store, { now: () => clock.now });
    people = PeopleStore.open(join(dir, 'people'), { clock: () => clock.now });
    const roles = Object.keys(policy.roles);
    const imported = people.importRoster(readFileSync(join(referenceDir, 'roster.csv'), 'utf8'), {
      policy: { roles, groups: Object.keys(policy.groups), childRoles: roles.filter((r) => policy.roles[r]!.child) },
      timeZone: 'Europe/London',
      now: clock.now,
    });
    assert.deepEqual(imported.problems, []);
    incidents = new IncidentStore({ store, audit, notifier, policy: () => policy, now: () => clock.now });
    // the routes read the engine's policy and the roster, nothing else of the server's
    const deps = { engine: () => ({ policy }), people, now: () => clock.now } as unknown as ApiDeps;
    const routes = incidentRoutes(deps, { incidents });
    harness = await routeHarness(routes);
    uploads = await uploadHarness(routes);
  });

  after(async () => {
    await harness.close();
    await uploads.close();
    incidents.close();
    people.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function opened(by: TestAccount = teacher): Promise<string> {
    const answer = await harness.json({ method: 'POST', url: '/api/incidents', as: by, body: report });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body.case.id as string;
  }

  const auditOf = async (action: string) => (await audit.entries({ limit: 10_000 })).filter((e) => e.action === action);

  it("shows the policy's \"do not respond or retaliate\" guidance with the report form (9.3)", async () => {
    const { status, body } = await harness.json({ method: 'GET', url: '/api/incidents/form', as: teacher });
    assert.equal(status, 200);
    assert.equal(body.guidance, policy.workflows.incidents!.guidance);
    assert.match(body.guidance, /Do not respond or retaliate/);
    assert.deepEqual(body.guidanceClauses, ['9.3']);
    assert.ok(body.platforms.some((p: { id: string; reportUrl: string }) => p.id === 'instagram' && p.reportUrl.startsWith('https://')));
    assert.deepEqual(body.evidence, { maxBytes: LIMIT, types: policy.workflows.incidents!.evidence.types });
    // and again with the answer to a report
    const created = await harness.json({ method: 'POST', url: '/api/incidents', as: teacher, body: report });
    assert.match(created.body.guidance, /Do not respond or retaliate/);
  });

  it('lets a teacher report a case and gives back their limited view, with the chain told', async () => {
    const before = notifier.sent.length;
    const { status, body } = await harness.json({ method: 'POST', url: '/api/incidents', as: teacher, body: report });
    assert.equal(status, 201);
    assert.equal(body.case.limited, true);
    assert.equal(body.case.parties, undefined);
    assert.equal(body.case.steps, undefined);
    assert.equal(body.notified, true);
    assert.ok(notifier.sent.slice(before).some((n) => n.kind === 'incident.opened' && JSON.stringify(n.to) === '[{"role":"safeguarding-lead"}]'));
  });

  it('refuses a party whose username is not on the roster, or whose role does not fit the kind given', async () => {
    const unknown = await harness.json({ method: 'POST', url: '/api/incidents', as: teacher, body: { ...report, parties: [{ kind: 'pupil', username: 'nobody.here', role: 'target' }] } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'HR_INCIDENTS_INPUT');
    assert.deepEqual(unknown.body.error.problems, [{ field: 'parties[0].username', message: '`nobody.here` is not on the roster' }]);
    const misfit = await harness.json({ method: 'POST', url: '/api/incidents', as: teacher, body: { ...report, parties: [{ kind: 'colleague', username: 'arlo.puddingstone', role: 'alleged-perpetrator' }] } });
    assert.equal(misfit.status, 400);
    assert.match(misfit.body.error.message, /not a member of staff/);
  });

  it('fills in the roster name of a party given by username', async () => {
    const id = await opened();
    const { body } = await harness.json({ method: 'GET', url: `/api/incidents/${id}`, as: lead });
    assert.deepEqual(body.parties.map((p: { name: string }) => p.name), ['Arlo Puddingstone', 'Florence Oakhollow']);
  });

  it("does not let a reporter read another reporter's case, and says no more than that it is not there", async () => {
    const theirs = await opened(otherTeacher);
    const refused = await harness.json({ method: 'GET', url: `/api/incidents/${theirs}`, as: teacher });
    assert.equal(refused.status, 404);
    assert.equal(refused.body.error.code, 'HR_INCIDENTS_NOT_FOUND');
    const missing = await harness.json({ method: 'GET', url: '/api/incidents/inc-missing', as: teacher });
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'HR_INCIDENTS_NOT_FOUND']);
    const list = await harness.json({ method: 'GET', url: '/api/incidents', as: teacher });
    assert.equal(list.body.items.some((i: { id: string }) => i.id === theirs), false);
    assert.ok(list.body.items.every((i: { limited: boolean; reportedBy: string | null }) => i.limited && i.reportedBy === null));
  });

  it('gives the safeguarding lead the whole case, and writes each view to the audit log', async () => {
    const id = await opened();
    const whole = await harness.json({ method: 'GET', url: `/api/incidents/${id}`, as: lead });
    assert.equal(whole.status, 200);
    assert.equal(whole.body.parties.length, 2);
    assert.ok(whole.body.steps.some((s: { kind: string }) => s.kind === 'pupil-behaviour'));
    const limited = await harness.json({ method: 'GET', url: `/api/incidents/${id}`, as: teacher });
    assert.equal(limited.body.limited, true);
    const views = (await auditOf('incident.view')).filter((e) => e.subject === `incident:${id}`);
    assert.deepEqual(views.map((e) => [e.actor, (e.after as { view: string }).view]), [
      [lead.username, 'full'],
      [teacher.username, 'limited'],
    ]);
  });

  it('keeps the managing routes from anyone without incidents.manage, and reporting from pupils', async () => {
    const id = await opened();
    const close = await harness.json({ method: 'POST', url: `/api/incidents/${id}/close`, as: teacher, body: { outcome: 'resolved', rationale: 'x' } });
    assert.equal(close.status, 403);
    const escalate = await harness.json({ method: 'POST', url: `/api/incidents/${id}/escalate`, as: teacher, body: { reason: 'x' } });
    assert.equal(escalate.status, 403);
    const byPupil = await harness.json({ method: 'POST', url: '/api/incidents', as: pupil, body: report });
    assert.equal(byPupil.status, 403);
  });

  it('makes the police step required when a criterion is ticked, and will not close until it has an outcome or a reason (9.8)', async () => {
    const id = await opened();
    const ticked = await harness.json({ method: 'PUT', url: `/api/incidents/${id}/criteria`, as: lead, body: { criteria: ['sexual'] } });
    assert.equal(ticked.status, 200);
    const police = ticked.body.steps.find((s: { kind: string }) => s.kind === 'police-referral');
    assert.equal(police.required, true);
    const behaviour = ticked.body.steps.find((s: { kind: string }) => s.kind === 'pupil-behaviour');
    const refused = await harness.json({ method: 'POST', url: `/api/incidents/${id}/close`, as: lead, body: { outcome: 'resolved', rationale: 'dealt with' } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'HR_INCIDENTS_STEPS_OPEN');
    assert.deepEqual(refused.body.error.problems.map((p: { field: string }) => p.field).sort(), [`steps.${behaviour.id}`, `steps.${police.id}`].sort());
    await harness.json({ method: 'POST', url: `/api/incidents/${id}/steps/${behaviour.id}/outcome`, as: lead, body: { outcome: 'behaviour procedure followed; parents met' } });
    const referred = await harness.json({ method: 'POST', url: `/api/incidents/${id}/steps/${police.id}/outcome`, as: lead, body: { outcome: 'reported to the police; reference given' } });
    assert.equal(referred.status, 200);
    const closed = await harness.json({ method: 'POST', url: `/api/incidents/${id}/close`, as: lead, body: { outcome: 'referred', rationale: 'police have the case; school support in place' } });
    assert.equal(closed.status, 200);
    assert.deepEqual(closed.body.closure.referrals, ['police-referral']);
  });

  it('takes a screenshot as the raw body, keeps its digest, and gives it back as an attachment that is never sniffed', async () => {
    const id = await opened();
    const shows = LESSON - 2 * DAY + 3_600_000;
    const answer = await uploads.upload({ url: `/api/incidents/${id}/evidence?name=${encodeURIComponent('message 1.png')}&type=image/png&shows=${shows}`, as: teacher, payload: samples.png });
    assert.equal(answer.statusCode, 201, answer.body);
    const item = answer.json();
    const expected = (await import('node:crypto')).createHash('sha256').update(samples.png).digest('hex');
    assert.deepEqual([item.sha256, item.size, item.contentType, item.shows, item.uploadedBy], [expected, samples.png.length, 'image/png', shows, teacher.username]);
    const download = await harness.request({ method: 'GET', url: `/api/incidents/${id}/evidence/${item.id}/content`, as: lead });
    assert.equal(download.statusCode, 200);
    assert.ok(download.rawPayload.equals(samples.png));
    assert.equal(download.headers['content-type'], 'image/png');
    assert.equal(download.headers['x-content-type-options'], 'nosniff');
    assert.match(String(download.headers['content-disposition']), /^attachment; filename="message_1.png"; filename\*=UTF-8''message%201.png$/);
    assert.equal(download.headers['x-evidence-sha256'], expected);
    const viewed = (await auditOf('incident.evidence.view')).filter((e) => (e.after as { evidence: string }).evidence === item.id);
    assert.deepEqual(viewed.map((e) => e.actor), [lead.username]);
    // another reporter cannot fetch it, the reporter who added it can
    const other = await harness.json({ method: 'GET', url: `/api/incidents/${id}/evidence/${item.id}/content`, as: otherTeacher });
    assert.equal(other.status, 404);
    const own = await harness.request({ method: 'GET', url: `/api/incidents/${id}/evidence/${item.id}/content`, as: teacher });
    assert.equal(own.statusCode, 200);
  });

  it('refuses a file whose bytes are not the declared type, and a type the policy does not accept', async () => {
    const id = await opened();
    const mismatch = await uploads.upload({ url: `/api/incidents/${id}/evidence?name=shot.png&type=image/png`, as: teacher, payload: samples.pdf });
    assert.equal(mismatch.statusCode, 415);
    assert.equal(mismatch.json().error.code, 'HR_INCIDENTS_EVIDENCE_MISMATCH');
    const html = await uploads.upload({ url: `/api/incidents/${id}/evidence?name=page.html&type=text/html`, as: teacher, payload: Buffer.from('<p>hi</p>') });
    assert.equal(html.statusCode, 415);
    assert.equal(html.json().error.code, 'HR_INCIDENTS_EVIDENCE_TYPE');
    const { body } = await harness.json({ method: 'GET', url: `/api/incidents/${id}`, as: lead });
    assert.equal(body.evidence.length, 0);
  });

  /** A body of `total` bytes made on demand, counting how much was ever asked for. */
  function countingBody(total: number): { stream: Readable; produced: () => number } {
    let produced = 0;
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const stream = new Readable({
      read() {
        if (produced >= total) return this.push(null);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    return { stream, produced: () => produced };
  }

  it("refuses evidence over the policy's limit from its declared length, before reading the body", async () => {
    const id = await opened();
    const total = 4 * 1024 * 1024;
    const body = countingBody(total);
    const answer = await uploads.upload({ url: `/api/incidents/${id}/evidence?name=big.txt&type=text/plain`, as: teacher, payload: body.stream, headers: { 'content-length': String(total) } });
    assert.equal(answer.statusCode, 413);
    assert.equal(answer.json().error.code, 'HR_INCIDENTS_EVIDENCE_TOO_LARGE');
    // not even as much as the limit was read: the answer came from the header alone
    assert.ok(body.produced() < LIMIT, `read ${body.produced()} of ${total} bytes`);
  });

  it('refuses a body with no declared length as soon as it passes the limit', async () => {
    const id = await opened();
    const total = 4 * 1024 * 1024;
    const body = countingBody(total);
    const answer = await uploads.upload({ url: `/api/incidents/${id}/evidence?name=big.txt&type=text/plain`, as: teacher, payload: body.stream });
    assert.equal(answer.statusCode, 413);
    assert.equal(answer.json().error.code, 'HR_INCIDENTS_EVIDENCE_TOO_LARGE');
    // reading stopped just past the limit (a few chunks in flight), far short of the whole body
    assert.ok(body.produced() < 4 * LIMIT, `read ${body.produced()} of ${total} bytes`);
  });

  it('takes a web address as evidence', async () => {
    const id = await opened();
    const answer = await harness.json({ method: 'POST', url: `/api/incidents/${id}/evidence/url`, as: teacher, body: { url: 'https://blocked.example/u/someone/post/7', note: 'the post' } });
    assert.equal(answer.status, 201);
    assert.equal(answer.body.kind, 'url');
    const bad = await harness.json({ method: 'POST', url: `/api/incidents/${id}/evidence/url`, as: teacher, body: { url: 'javascript:alert(1)' } });
    assert.equal(bad.status, 400);
  });

  it('escalates along the chain and tells the next role', async () => {
    const id = await opened();
    const before = notifier.sent.length;
    const answer = await harness.json({ method: 'POST', url: `/api/incidents/${id}/escalate`, as: lead, body: { reason: 'needs the head of school' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.owner.role, 'head-of-school');
    assert.deepEqual(notifier.sent.slice(before).map((n) => [n.kind, n.to]), [['incident.escalated', [{ role: 'head-of-school' }]]]);
  });
});
