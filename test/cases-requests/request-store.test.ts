// Unblock requests and reports on SQLite and on a real PostgreSQL: the states of 8.4 and 8.5,
// approvals that the engine applies at once for the scope chosen and no one else, their expiry,
// the routing of reports (6.14, 8.3, 7.8, 6.4–7.4, the council's accidental-access rule), the
// register and the overblocking figures; every step in the audit chain.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Asker } from '../../src/cases/index.ts';
import type { DialectName } from '../../src/db/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { postgresUnavailable } from '../support/postgres.ts';
import { actor, Databases, DAY, HOUR, LESSON, MINUTE, peopleOf, PEOPLE, personOf, type Harness } from './fixture.ts';

const pgMissing = postgresUnavailable();

const arlo: Asker = { person: 'arlo.puddingstone', role: 'pupil', groups: ['year-4', 'class-4n'], clientIp: '192.0.2.10' };
const nancy: Asker = { person: 'nancy.tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'], clientIp: '192.0.2.11' };

function code(expected: string) {
  return (error: unknown) => {
    assert.ok(error instanceof HedgerowError, String(error));
    assert.equal(error.code, expected, error.message);
    return true;
  };
}

async function askForSocial(h: Harness, asker: Asker = arlo, extra: { ticketKey?: string } = {}) {
  const { request } = await h.workflow.unblock.submit(
    {
      asker,
      source: 'block-page',
      eventId: 'ev-1',
      ...(extra.ticketKey ? { ticketKey: extra.ticketKey } : {}),
      url: 'http://www.social.example/class-blog',
      host: 'www.social.example',
      categories: ['social-networking', 'social-media'],
      clauses: ['8.1'],
      reason: 'our class blog is on it',
    },
    asker.person ?? 'network:192.0.2.10',
  );
  return request;
}

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly DialectName[]) {
  describe(`requests and reports on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    const dbs = new Databases(dialect);
    before(() => dbs.start());
    after(() => dbs.stop());

    it('records a request from the block page as submitted, tells the reviewers and audits it (8.4)', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      assert.equal(request.state, 'submitted');
      assert.equal(request.requester, 'arlo.puddingstone');
      assert.deepEqual(request.requesterGroups, ['year-4', 'class-4n']);
      assert.equal(request.dueAt, LESSON + 5 * DAY, 'respondWithin 5d of the reference policy');
      assert.deepEqual(h.notifier.sent.map((n) => [n.kind, n.to]), [['unblock.submitted', [{ role: 'esafety-team' }]]]);
      const [entry] = await h.audit.entries();
      assert.deepEqual([entry!.actor, entry!.action, entry!.subject], ['arlo.puddingstone', 'unblock.submit', `unblock-request:${request.id}`]);
      assert.equal(await h.audit.verify(), null);
    });

    it('finds the first request again when the same block-page form is sent twice', async () => {
      const h = await dbs.fresh();
      const first = await askForSocial(h, arlo, { ticketKey: 'ev-1:request-access' });
      const again = await h.workflow.unblock.submit(
        { asker: arlo, source: 'block-page', ticketKey: 'ev-1:request-access', url: 'x', host: 'www.social.example', categories: [], clauses: [], reason: 'again' },
        'arlo.puddingstone',
      );
      assert.equal(again.duplicate, true);
      assert.equal(again.request.id, first.id);
      assert.equal((await h.workflow.unblock.list()).items.length, 1);
    });

    it('lets a reviewer recommend and tells the deciders, but not a decider recommend (8.4, 8.5)', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      await assert.rejects(h.workflow.unblock.recommend(request.id, { recommendation: 'approve', note: 'fine' }, actor('marjorie.wychwood')), code('HR_REQUESTS_NOT_ROUTED'));
      await assert.rejects(h.workflow.unblock.recommend(request.id, { recommendation: 'approve', note: '  ' }, actor('jonah.birchwood')), code('HR_REQUESTS_INPUT'));
      const recommended = await h.workflow.unblock.recommend(request.id, { recommendation: 'approve', note: 'the class blog is educational' }, actor('jonah.birchwood'));
      assert.equal(recommended.state, 'recommended');
      assert.deepEqual(recommended.recommendation, { value: 'approve', by: 'jonah.birchwood', at: LESSON, note: 'the class blog is educational' });
      assert.deepEqual(h.notifier.sent.at(-1)!.to, [{ role: 'headteacher' }]);
      assert.equal(h.notifier.sent.at(-1)!.kind, 'unblock.recommended');
    });

    it('only a decider approves, and the approval allows the site for the requester and no one else at once (8.5)', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      const url = 'http://www.social.example/class-blog';
      assert.equal(h.decide(personOf('arlo.puddingstone'), url).action, 'block');
      await assert.rejects(h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '7d' }, actor('jonah.birchwood')), code('HR_REQUESTS_NOT_ROUTED'));
      const approved = await h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '7d', note: 'for the blog project' }, actor('marjorie.wychwood'));
      assert.equal(approved.state, 'approved');
      assert.deepEqual(approved.approval?.grantScope, { people: ['arlo.puddingstone'] });
      assert.equal(approved.approval?.until, LESSON + 7 * DAY);
      const decision = h.decide(personOf('arlo.puddingstone'), url);
      assert.deepEqual([decision.action, decision.kind, decision.grant], ['allow', 'allow.grant', approved.approval?.grantId]);
      assert.equal(h.decide(personOf('nancy.tumbledown'), url).action, 'block', 'a pupil of another class is still blocked');
      const grant = await h.overrides.get(approved.approval!.grantId!);
      assert.deepEqual([grant?.kind, grant?.what.sites, grant?.grantedBy], ['unblock', ['www.social.example'], 'marjorie.wychwood']);
      const told = h.notifier.sent.at(-1)!;
      assert.deepEqual([told.kind, told.to], ['unblock.decided', [{ person: 'arlo.puddingstone' }]]);
      assert.match(told.text, /approved/);
      const actions = (await h.audit.entries()).map((e) => e.action);
      assert.deepEqual(actions, ['unblock.submit', 'override.grant', 'unblock.approve']);
    });

    it('approves for a class: its pupils are allowed, pupils of other classes are not (8.5)', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      await h.workflow.unblock.approve(request.id, { scope: { type: 'group', group: 'class-4n' }, duration: '1d' }, actor('marjorie.wychwood'));
      assert.equal(h.decide(personOf('arlo.puddingstone'), 'https://www.social.example/').action, 'allow');
      assert.equal(h.decide(personOf('nancy.tumbledown'), 'https://www.social.example/').action, 'block');
    });

    it('approves for all pupils (a role) or all staff (a role set), and names unknown groups and roles', async () => {
      const h = await dbs.fresh();
      const first = await askForSocial(h);
      await assert.rejects(h.workflow.unblock.approve(first.id, { scope: { type: 'group', group: 'class-9z' }, duration: '1d' }, actor('marjorie.wychwood')), code('HR_REQUESTS_INPUT'));
      await assert.rejects(h.workflow.unblock.approve(first.id, { scope: { type: 'role-set', roleSet: 'everyone' }, duration: '1d' }, actor('marjorie.wychwood')), code('HR_REQUESTS_INPUT'));
      const pupils = await h.workflow.unblock.approve(first.id, { scope: { type: 'role', role: 'pupil' }, duration: '1d' }, actor('marjorie.wychwood'));
      assert.deepEqual(pupils.approval?.grantScope, { roles: ['pupil'] });
      assert.equal(h.decide(personOf('nancy.tumbledown'), 'https://www.social.example/').action, 'allow');
      const second = await askForSocial(h, nancy);
      const staff = await h.workflow.unblock.approve(second.id, { scope: { type: 'role-set', roleSet: 'staff' }, duration: '1d' }, actor('marjorie.wychwood'));
      assert.ok(staff.approval?.grantScope.roles?.includes('teacher'));
      assert.ok(staff.approval?.grantScope.roles?.includes('support-staff'));
      assert.ok(!staff.approval?.grantScope.roles?.includes('pupil'));
    });

    it('refuses an approval longer than the policy maximum, in the past, or for a public suffix', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      const headteacher = actor('marjorie.wychwood');
      await assert.rejects(h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '400d' }, headteacher), code('HR_REQUESTS_INPUT'));
      await assert.rejects(h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, until: LESSON - 1 }, headteacher), code('HR_REQUESTS_INPUT'));
      await assert.rejects(h.workflow.unblock.approve(request.id, { scope: { type: 'requester' } }, headteacher), code('HR_REQUESTS_INPUT'));
      await assert.rejects(h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '1d', site: 'example' }, headteacher), code('HR_REQUESTS_INPUT'));
      await assert.rejects(h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '1d', site: 'other.example' }, headteacher), code('HR_REQUESTS_INPUT'));
      assert.equal((await h.workflow.unblock.get(request.id))?.state, 'submitted', 'nothing changed');
      assert.equal(await h.overrides.count(), 0);
      const wider = await h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '365d', site: 'social.example' }, headteacher);
      assert.equal(wider.approval?.site, 'social.example');
      assert.equal(h.decide(personOf('arlo.puddingstone'), 'https://cdn.social.example/').action, 'allow', 'the domain includes its subdomains');
    });

    it('a decider may decide without a recommendation; a decline needs a reason and tells the requester (8.5)', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      await assert.rejects(h.workflow.unblock.decline(request.id, { reason: ' ' }, actor('marjorie.wychwood')), code('HR_REQUESTS_INPUT'));
      const declined = await h.workflow.unblock.decline(request.id, { reason: 'use the school blog instead' }, actor('marjorie.wychwood'));
      assert.equal(declined.state, 'declined');
      assert.equal(declined.recommendation, null);
      assert.deepEqual(declined.decision, { value: 'declined', by: 'marjorie.wychwood', at: LESSON, note: 'use the school blog instead' });
      assert.match(h.notifier.sent.at(-1)!.text, /use the school blog instead/);
      await assert.rejects(h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '1d' }, actor('marjorie.wychwood')), code('HR_REQUESTS_STATE'));
      assert.equal(h.decide(personOf('arlo.puddingstone'), 'https://www.social.example/').action, 'block');
    });

    it('lets only the requester withdraw, and only before the decision', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      await assert.rejects(h.workflow.unblock.withdraw(request.id, actor('nancy.tumbledown')), code('HR_REQUESTS_NOT_FOUND'));
      const withdrawn = await h.workflow.unblock.withdraw(request.id, actor('arlo.puddingstone'));
      assert.equal(withdrawn.state, 'withdrawn');
      assert.equal(withdrawn.closedAt, LESSON);
      await assert.rejects(h.workflow.unblock.decline(request.id, { reason: 'late' }, actor('marjorie.wychwood')), code('HR_REQUESTS_STATE'));
    });

    it('turns an approval expired when its grant ends, records it and blocks again (8.5)', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      const approved = await h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '2h' }, actor('marjorie.wychwood'));
      assert.equal(h.timers.pending?.ms, 2 * HOUR, 'the override store waits for the end of the grant');
      h.clock.now = LESSON + 2 * HOUR;
      assert.equal((await h.workflow.unblock.get(request.id))?.state, 'expired', 'reads expired the moment the grant ends');
      h.timers.fire();
      await h.workflow.sweep();
      assert.equal(h.decide(personOf('arlo.puddingstone'), 'https://www.social.example/').action, 'block');
      const expired = await h.workflow.unblock.get(request.id);
      assert.equal(expired?.state, 'expired');
      assert.equal(expired?.closedAt, LESSON + 2 * HOUR);
      const last = (await h.audit.entries({ limit: 100 })).at(-1)!;
      assert.deepEqual([last.actor, last.action, last.subject, last.reason], ['system', 'unblock.expire', `unblock-request:${request.id}`, `grant ${approved.approval!.grantId} ended`]);
      assert.equal((await h.workflow.unblock.list({ state: 'expired' })).items.length, 1);
      assert.equal((await h.workflow.unblock.list({ state: 'approved' })).items.length, 0);
    });

    it('turns an approval expired when its grant is revoked on the overrides page', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      const approved = await h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '7d' }, actor('marjorie.wychwood'));
      h.clock.now = LESSON + HOUR;
      await h.overrides.revoke(approved.approval!.grantId!, 'marjorie.wychwood', 'the project ended early');
      await h.workflow.sweep();
      const after = await h.workflow.unblock.get(request.id);
      assert.equal(after?.state, 'expired');
      assert.equal(after?.closedAt, LESSON + HOUR);
      assert.match((await h.audit.entries({ limit: 100 })).at(-1)!.reason ?? '', /revoked/);
    });

    it('marks undecided requests overdue after respondWithin and lists them', async () => {
      const h = await dbs.fresh();
      const request = await askForSocial(h);
      assert.equal((await h.workflow.unblock.get(request.id))?.overdue, false);
      h.clock.now = LESSON + 5 * DAY;
      assert.equal((await h.workflow.unblock.get(request.id))?.overdue, true);
      assert.deepEqual((await h.workflow.unblock.list({ overdue: true })).items.map((r) => r.id), [request.id]);
      await h.workflow.unblock.decline(request.id, { reason: 'no' }, actor('marjorie.wychwood'));
      assert.equal((await h.workflow.unblock.get(request.id))?.overdue, false, 'a decided request is never overdue');
      assert.equal(await h.workflow.unblock.countOpen(), 0);
    });

    it('pages through requests newest first with a cursor', async () => {
      const h = await dbs.fresh();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        h.clock.now = LESSON + i * MINUTE;
        ids.push((await askForSocial(h)).id);
      }
      const first = await h.workflow.unblock.list({ limit: 2 });
      const second = await h.workflow.unblock.list({ limit: 2, cursor: first.nextCursor });
      const third = await h.workflow.unblock.list({ limit: 2, cursor: second.nextCursor });
      assert.deepEqual([...first.items, ...second.items, ...third.items].map((r) => r.id), ids.reverse());
      assert.equal(third.nextCursor, null);
      await assert.rejects(h.workflow.unblock.list({ cursor: 'not-a-cursor' }), code('HR_REQUESTS_INPUT'));
    });

    it('routes "tell a teacher" to the pupil\'s class teacher only, who acknowledges and closes it (7.8)', async () => {
      const h = await dbs.fresh();
      const { report } = await h.workflow.reports.create({ kind: 'tell-teacher', asker: arlo, source: 'block-page', url: 'http://www.social.example/', host: 'www.social.example', message: 'someone sent me a nasty picture' }, 'arlo.puddingstone');
      assert.deepEqual(report.routedTo, { roles: [], people: [], groups: ['year-4', 'class-4n'] });
      assert.deepEqual(report.clauses, ['7.8']);
      assert.deepEqual(h.notifier.sent.at(-1)!.to, [{ person: 'desmond.nightingale' }]);
      const own = { actor: actor('desmond.nightingale'), handles: true };
      const other = { actor: actor('eleanor.mossbank'), handles: true };
      const classmate = { actor: actor('arlo.puddingstone'), handles: false };
      assert.deepEqual((await h.workflow.reports.list({}, own)).items.map((r) => r.id), [report.id]);
      assert.deepEqual((await h.workflow.reports.list({}, other)).items, [], 'a teacher of another class does not see it');
      await assert.rejects(h.workflow.reports.getFor(report.id, other), code('HR_REQUESTS_NOT_FOUND'));
      await assert.rejects(h.workflow.reports.acknowledge(report.id, actor('eleanor.mossbank')), code('HR_REQUESTS_NOT_FOUND'));
      assert.equal((await h.workflow.reports.getFor(report.id, classmate)).id, report.id, 'the pupil follows their own report');
      await assert.rejects(h.workflow.reports.acknowledge(report.id, actor('arlo.puddingstone')), code('HR_REQUESTS_NOT_ROUTED'));
      const acknowledged = await h.workflow.reports.acknowledge(report.id, actor('desmond.nightingale'));
      assert.equal(acknowledged.state, 'acknowledged');
      await assert.rejects(h.workflow.reports.close(report.id, { outcome: 'resolved', note: '' }, actor('desmond.nightingale')), code('HR_REQUESTS_INPUT'));
      const closed = await h.workflow.reports.close(report.id, { outcome: 'referred', note: 'passed to the safeguarding lead' }, actor('desmond.nightingale'));
      assert.deepEqual(closed.report.closed, { by: 'desmond.nightingale', at: LESSON, outcome: 'referred', note: 'passed to the safeguarding lead', blockedSite: null });
      await assert.rejects(h.workflow.reports.close(report.id, { outcome: 'resolved', note: 'again' }, actor('desmond.nightingale')), code('HR_REQUESTS_STATE'));
      assert.deepEqual((await h.audit.entries()).map((e) => e.action), ['report.create', 'report.acknowledge', 'report.close']);
    });

    it('a pupil does not see a classmate\'s report through the class they share', async () => {
      const h = await dbs.fresh();
      await h.workflow.reports.create({ kind: 'tell-teacher', asker: arlo, source: 'block-page', message: 'private' }, 'arlo.puddingstone');
      const classmate = { actor: { username: 'otto.quill', role: 'pupil', groups: ['year-4', 'class-4n'] }, handles: true };
      assert.deepEqual((await h.workflow.reports.list({}, classmate)).items, []);
    });

    it('routes accidental access to the line manager, or to the deciders when there is none (council internet rules)', async () => {
      const h = await dbs.fresh();
      const gwen: Asker = { person: 'gwendolyn.ash', role: 'support-staff', groups: [], clientIp: null };
      const harold: Asker = { person: 'harold.pebblecombe', role: 'support-staff', groups: [], clientIp: null };
      const { report: managed } = await h.workflow.reports.create({ kind: 'accident', asker: gwen, source: 'block-page', host: 'games.example', message: '' }, 'gwendolyn.ash');
      assert.deepEqual(managed.routedTo, { roles: [], people: ['katherine.rookwood'], groups: [] });
      assert.deepEqual(h.notifier.sent.at(-1)!.to, [{ person: 'katherine.rookwood' }]);
      const { report: unmanaged } = await h.workflow.reports.create({ kind: 'accident', asker: harold, source: 'block-page', host: 'games.example', message: '' }, 'harold.pebblecombe');
      assert.deepEqual(unmanaged.routedTo, { roles: ['headteacher'], people: [], groups: [] });
      const manager = { actor: actor('katherine.rookwood'), handles: true };
      assert.deepEqual((await h.workflow.reports.list({ mine: 'routed' }, manager)).items.map((r) => r.id), [managed.id]);
      const { report: pupil } = await h.workflow.reports.create({ kind: 'accident', asker: nancy, source: 'block-page', host: 'games.example', message: '' }, 'nancy.tumbledown');
      assert.deepEqual(pupil.routedTo.groups, ['year-5', 'class-5m'], "a pupil's accident reaches the class teacher");
    });

    it('falls back to the deciders when a pupil has no class teacher on the roster (7.8)', async () => {
      const h = await dbs.fresh({ people: peopleOf(PEOPLE.filter((p) => p.role !== 'teacher')) });
      const { report } = await h.workflow.reports.create({ kind: 'tell-teacher', asker: arlo, source: 'block-page', message: '' }, 'arlo.puddingstone');
      assert.deepEqual(report.routedTo, { roles: ['headteacher'], people: [], groups: [] });
    });

    it('routes a contact attempt to the headteacher with the platform, the other party and the direction (6.4, 6.5, 7.3, 7.4)', async () => {
      const h = await dbs.fresh();
      const teacher: Asker = { person: 'eleanor.mossbank', role: 'teacher', groups: ['class-5m'], clientIp: null };
      await assert.rejects(
        h.workflow.reports.create({ kind: 'contact-attempt', asker: teacher, source: 'dashboard', message: 'a friend request', contact: { platform: '', otherParty: 'a parent', direction: 'pupil-or-parent-to-staff' } }, 'eleanor.mossbank'),
        code('HR_REQUESTS_INPUT'),
      );
      const { report } = await h.workflow.reports.create(
        { kind: 'contact-attempt', asker: teacher, source: 'dashboard', message: 'a friend request from a parent of my class', contact: { platform: 'Facebook', otherParty: 'a parent of a pupil in 5M', direction: 'pupil-or-parent-to-staff' } },
        'eleanor.mossbank',
      );
      assert.deepEqual(report.routedTo.roles, ['headteacher']);
      assert.deepEqual(report.contact, { platform: 'Facebook', otherParty: 'a parent of a pupil in 5M', direction: 'pupil-or-parent-to-staff' });
      assert.deepEqual(report.clauses, ['6.4', '6.5', '7.3', '7.4']);
      assert.equal(report.dueAt, LESSON + 2 * DAY);
      h.clock.now = LESSON + 2 * DAY;
      const head = { actor: actor('marjorie.wychwood'), handles: true };
      assert.deepEqual((await h.workflow.reports.list({ overdue: true }, head)).items.map((r) => r.id), [report.id]);
      await h.workflow.reports.acknowledge(report.id, actor('marjorie.wychwood'));
      assert.deepEqual((await h.workflow.reports.list({ overdue: true }, head)).items, [], 'acknowledging answers it');
    });

    it('refuses to close a report other than a site report by blocking a site', async () => {
      const h = await dbs.fresh();
      const { report } = await h.workflow.reports.create({ kind: 'accident', asker: { person: 'harold.pebblecombe', role: 'support-staff', groups: [], clientIp: null }, source: 'block-page', host: 'games.example', message: '' }, 'harold.pebblecombe');
      await assert.rejects(h.workflow.reports.close(report.id, { outcome: 'site-blocked', note: 'block it' }, actor('marjorie.wychwood')), code('HR_REQUESTS_INPUT'));
    });

    it('keeps a register of decisions with who asked, recommended and decided, as JSON and CSV (8.4, 8.5)', async () => {
      const h = await dbs.fresh();
      const one = await askForSocial(h);
      const two = await askForSocial(h, nancy);
      await askForSocial(h);
      h.clock.now = LESSON + HOUR;
      await h.workflow.unblock.recommend(one.id, { recommendation: 'approve', note: '=educational, says the team' }, actor('jonah.birchwood'));
      h.clock.now = LESSON + 3 * HOUR;
      await h.workflow.unblock.approve(one.id, { scope: { type: 'group', group: 'class-4n' }, duration: '30d', note: 'for the blog project' }, actor('marjorie.wychwood'));
      h.clock.now = LESSON + 5 * HOUR;
      await h.workflow.unblock.decline(two.id, { reason: 'not needed' }, actor('marjorie.wychwood'));
      const register = await h.workflow.register();
      assert.deepEqual(
        register.map((e) => [e.id, e.askedBy, e.recommendedBy, e.decidedBy, e.decision, e.scope]),
        [
          [one.id, 'arlo.puddingstone', 'jonah.birchwood', 'marjorie.wychwood', 'approved', 'group class-4n'],
          [two.id, 'nancy.tumbledown', null, 'marjorie.wychwood', 'declined', null],
        ],
      );
      assert.equal(register[0]!.until, LESSON + 3 * HOUR + 30 * DAY);
      assert.deepEqual((await h.workflow.register({ from: LESSON + 4 * HOUR })).map((e) => e.id), [two.id]);
      const csv = await h.workflow.registerCsv();
      const lines = csv.trimEnd().split('\r\n');
      assert.equal(lines.length, 3);
      assert.match(lines[0]!, /^type,id,host,url,categories,asked_by/);
      assert.match(lines[1]!, /'=educational, says the team/, 'a cell a spreadsheet would run is prefixed');
      assert.match(lines[1]!, /2026-11-24T13:15:00.000Z/);
    });

    it('counts requests and approvals per category and per group, with median and p90 time to decision', async () => {
      const h = await dbs.fresh();
      const waits = [1, 2, 3, 4, 10];
      for (const [i, hours] of waits.entries()) {
        h.clock.now = LESSON;
        const request = await askForSocial(h, i % 2 === 0 ? arlo : nancy);
        h.clock.now = LESSON + hours * HOUR;
        if (i < 3) await h.workflow.unblock.approve(request.id, { scope: { type: 'requester' }, duration: '1d' }, actor('marjorie.wychwood'));
        else await h.workflow.unblock.decline(request.id, { reason: 'no' }, actor('marjorie.wychwood'));
      }
      h.clock.now = LESSON;
      await askForSocial(h);
      const figures = await h.workflow.figures({ from: LESSON, to: LESSON + DAY });
      assert.deepEqual([figures.requests, figures.approved, figures.declined, figures.pending], [6, 3, 2, 1]);
      assert.deepEqual(figures.byCategory.find((c) => c.category === 'social-networking'), { category: 'social-networking', requests: 6, approved: 3, declined: 2 });
      assert.deepEqual(figures.byGroup.find((g) => g.group === 'class-4n'), { group: 'class-4n', requests: 4, approved: 2, declined: 1 });
      assert.deepEqual(figures.byGroup.find((g) => g.group === 'class-5m'), { group: 'class-5m', requests: 2, approved: 1, declined: 1 });
      assert.deepEqual(figures.timeToDecision, { decided: 5, medianMs: 3 * HOUR, p90Ms: 10 * HOUR });
      assert.equal((await h.workflow.figures({ from: LESSON + DAY })).requests, 0);
    });
  });
}
