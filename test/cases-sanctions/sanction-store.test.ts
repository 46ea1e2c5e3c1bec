// The sanctions workflow on SQLite and on a real PostgreSQL (8.2): proposals from repeated
// circumvention attempts, impose / decline / lift, automatic expiry, supervised sessions, the
// in-memory set kept current after every change and at every end, a restart rebuilding it from
// the store, and every change in the audit chain.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SanctionStore, SYSTEM_ACTOR } from '../../src/cases/sanctions/index.ts';
import type { AuditLog, DialectName } from '../../src/db/index.ts';
import type { Person } from '../../src/engine/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { CircumventionWindow } from '../../src/store/index.ts';
import { postgresUnavailable } from '../support/postgres.ts';
import { ARLO, DAY, DESMOND, ELEANOR, GWENDOLYN, HOUR, LESSON, MINUTE, NANCY, attempts, referencePolicy, settle, storeWorlds, type StoreWorld } from './fixtures.ts';

const pgMissing = postgresUnavailable();

const arlo: Person = { id: ARLO, role: 'pupil', groups: ['year-4', 'class-4n'] };
const gwendolyn: Person = { id: GWENDOLYN, role: 'support-staff', groups: [] };
const FIVE_ATTEMPTS = ['vpn.example', 'https://proxy.example/go', 'http://192.0.2.10/', 'vpn.example', 'http://198.51.100.7/'];

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<HedgerowError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HedgerowError, `expected a HedgerowError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly DialectName[]) {
  describe(`sanctions on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    const worlds = storeWorlds(dialect);
    const open: StoreWorld[] = [];
    before(() => worlds.start());
    after(() => worlds.stop());
    afterEach(async () => {
      for (const w of open.splice(0)) await w.close();
    });
    const fresh = async (options: Parameters<typeof worlds.world>[0] = {}) => {
      const w = await worlds.world(options);
      open.push(w);
      return w;
    };
    const proposeFor = (w: StoreWorld, person: Person, sanctions: SanctionStore = w.sanctions) => {
      const events = attempts(w.engine, person, FIVE_ATTEMPTS, w.clock.now - 10 * MINUTE);
      return sanctions.propose(person.id!, events.length, events);
    };
    const actions = async (w: StoreWorld) => (await w.audit.entries({ limit: 1000 })).map((e) => `${e.actor} ${e.action} ${e.subject.split(':')[0]}`);

    it('records a proposal with each attempt and tells the deciders when the threshold is crossed (8.2)', async () => {
      const w = await fresh();
      const events = attempts(w.engine, arlo, FIVE_ATTEMPTS, LESSON - 10 * MINUTE);
      const proposal = await w.sanctions.propose(ARLO, 5, events);
      assert.ok(proposal);
      assert.equal(proposal.recommendation, 'supervised-only');
      assert.equal(proposal.status, 'open');
      assert.equal(proposal.count, 5);
      assert.equal(proposal.threshold, 5);
      assert.equal(proposal.windowMs, HOUR);
      assert.deepEqual(
        proposal.attempts.map((a) => [a.eventId, a.at, a.host, a.kind]),
        events.map((e, i) => [e.id, e.at, e.host, ['vpn', 'proxy', 'ip-literal', 'vpn', 'ip-literal'][i]]),
      );
      const stored = await w.sanctions.getProposal(proposal.id);
      assert.deepEqual(stored, proposal);
      await settle();
      const told = w.notifier.of('sanction.proposed');
      assert.equal(told.length, 1);
      assert.deepEqual(told[0]!.to, [{ role: 'headteacher' }]);
      assert.match(told[0]!.subject, /Arlo Puddingstone/);
      assert.match(told[0]!.text, /5 attempts .* within 1 hour \(2 × vpn, 1 × proxy, 2 × ip-literal\)/);
      assert.deepEqual(await actions(w), ['system sanction.propose sanction-proposal']);
      // nothing is enforced by a proposal alone
      assert.equal(w.sanctions.current().state(ARLO, LESSON), 'none');
    });

    it('raises a proposal from the decision log circumvention window at the threshold, once while it is open (8.2)', async () => {
      const w = await fresh();
      const window = new CircumventionWindow({ windowMs: HOUR, threshold: 5, onThreshold: w.sanctions.onCircumventionThreshold });
      const events = attempts(w.engine, arlo, [...FIVE_ATTEMPTS, 'vpn.example', 'vpn.example'], LESSON - 10 * MINUTE);
      for (const event of events) window.note(event, event.at);
      await settle();
      const page = await w.sanctions.listProposals();
      assert.equal(page.items.length, 1);
      assert.equal(page.items[0]!.count, 5);
      assert.equal(page.items[0]!.attempts.length, 5);
      assert.deepEqual(w.errors, []);
    });

    it('keeps one open proposal per person and records a new one once the first is decided (8.2)', async () => {
      const w = await fresh();
      const first = await proposeFor(w, arlo);
      assert.ok(first);
      assert.equal(await proposeFor(w, arlo), null);
      const declined = await w.sanctions.decline(first.id, 'marjorie.wychwood', 'first time; spoken to by the class teacher');
      assert.equal(declined.status, 'declined');
      assert.equal(declined.decisionReason, 'first time; spoken to by the class teacher');
      assert.equal(declined.decidedBy, 'marjorie.wychwood');
      await rejectsWith(w.sanctions.decline(first.id, 'marjorie.wychwood', 'again'), 'HR_SANCTIONS_STATE');
      await rejectsWith(w.sanctions.decline('prop-missing', 'marjorie.wychwood', 'why'), 'HR_SANCTIONS_NOT_FOUND');
      await rejectsWith(w.sanctions.decline(first.id, 'marjorie.wychwood', '  '), 'HR_SANCTIONS_INPUT');
      const second = await proposeFor(w, arlo);
      assert.ok(second);
      assert.notEqual(second.id, first.id);
      assert.equal((await w.sanctions.listProposals({ status: 'all' })).items.length, 2);
      assert.deepEqual((await w.sanctions.listProposals()).items.map((p) => p.id), [second.id]);
      assert.deepEqual(await actions(w), ['system sanction.propose sanction-proposal', 'marjorie.wychwood sanction.decline sanction-proposal', 'system sanction.propose sanction-proposal']);
    });

    it('proposes referral to the headteacher for a member of staff and never enforces it (8.2)', async () => {
      const w = await fresh();
      const proposal = await proposeFor(w, gwendolyn);
      assert.ok(proposal);
      assert.equal(proposal.recommendation, 'refer');
      assert.equal(proposal.role, 'support-staff');
      await settle();
      const told = w.notifier.of('sanction.proposed')[0]!;
      assert.match(told.subject, /refer to the Headteacher/);
      assert.match(told.text, /Nothing is enforced/);
      await rejectsWith(w.sanctions.impose({ proposalId: proposal.id, reason: 'repeated VPN use' }, 'marjorie.wychwood'), 'HR_SANCTIONS_NOT_PUPIL');
      await rejectsWith(w.sanctions.impose({ person: GWENDOLYN, reason: 'repeated VPN use' }, 'marjorie.wychwood'), 'HR_SANCTIONS_NOT_PUPIL');
      assert.equal(w.sanctions.current().size, 0);
      // the headteacher closes the referral with what was done
      const closed = await w.sanctions.decline(proposal.id, 'marjorie.wychwood', 'discussed under the staff code of conduct');
      assert.equal(closed.status, 'declined');
    });

    it('imposes a sanction on a proposal for the default duration, enforced at once, and tells only the pupil’s class teachers (8.2)', async () => {
      const w = await fresh();
      const proposal = await proposeFor(w, arlo);
      const sanction = await w.sanctions.impose({ proposalId: proposal!.id, reason: 'five circumvention attempts in one lesson' }, 'marjorie.wychwood');
      assert.equal(sanction.person, ARLO);
      assert.equal(sanction.status, 'active');
      assert.equal(sanction.endsAt, LESSON + 14 * DAY);
      assert.equal(sanction.proposalId, proposal!.id);
      assert.equal(w.sanctions.current().state(ARLO, LESSON), 'supervised-only');
      assert.deepEqual(w.sanctions.current().apply(arlo, LESSON), { ...arlo, supervisedOnly: true, supervised: false });
      const decided = await w.sanctions.getProposal(proposal!.id);
      assert.equal(decided!.status, 'imposed');
      assert.equal(decided!.sanctionId, sanction.id);
      await settle();
      const told = w.notifier.of('sanction.imposed');
      assert.equal(told.length, 1);
      assert.deepEqual(told[0]!.to, [{ person: DESMOND }]);
      assert.ok(!JSON.stringify(told).includes(ELEANOR));
      const entries = await w.audit.entries({ limit: 100 });
      const imposed = entries.find((e) => e.action === 'sanction.impose')!;
      assert.equal(imposed.actor, 'marjorie.wychwood');
      assert.equal(imposed.reason, 'five circumvention attempts in one lesson');
      assert.deepEqual((imposed.after as { proposal: unknown }).proposal, { id: proposal!.id, status: 'imposed' });
      assert.equal(await w.audit.verify(), null);
      // the same proposal cannot be decided twice
      await rejectsWith(w.sanctions.impose({ proposalId: proposal!.id, reason: 'again' }, 'marjorie.wychwood'), 'HR_SANCTIONS_STATE');
    });

    it('imposes without a proposal within the policy’s maximum and refuses longer, unnamed or second sanctions (8.2)', async () => {
      const w = await fresh();
      await rejectsWith(w.sanctions.impose({ person: NANCY, durationMs: 91 * DAY, reason: 'too long' }, 'marjorie.wychwood'), 'HR_SANCTIONS_INPUT');
      await rejectsWith(w.sanctions.impose({ person: NANCY, durationMs: 0, reason: 'no time' }, 'marjorie.wychwood'), 'HR_SANCTIONS_INPUT');
      await rejectsWith(w.sanctions.impose({ person: NANCY, reason: '' }, 'marjorie.wychwood'), 'HR_SANCTIONS_INPUT');
      await rejectsWith(w.sanctions.impose({ person: 'nobody.known', reason: 'who' }, 'marjorie.wychwood'), 'HR_SANCTIONS_INPUT');
      await rejectsWith(w.sanctions.impose({ reason: 'whom' }, 'marjorie.wychwood'), 'HR_SANCTIONS_INPUT');
      const sanction = await w.sanctions.impose({ person: NANCY, durationMs: 90 * DAY, reason: 'used a web proxy on the library computers' }, 'marjorie.wychwood');
      assert.equal(sanction.endsAt, LESSON + 90 * DAY);
      assert.equal(sanction.proposalId, null);
      await rejectsWith(w.sanctions.impose({ person: NANCY, reason: 'again' }, 'marjorie.wychwood'), 'HR_SANCTIONS_CONFLICT');
      assert.deepEqual(w.sanctions.current().people(), [NANCY]);
      assert.equal((await w.sanctions.listSanctions()).items.length, 1);
    });

    it('lifts a sanction early with a reason, ends its open session and stops enforcing it at once (8.2)', async () => {
      const w = await fresh();
      const sanction = await w.sanctions.impose({ person: ARLO, reason: 'VPN attempts' }, 'marjorie.wychwood');
      const session = await w.sanctions.openSession(sanction.id, DESMOND);
      w.clock.now += 10 * MINUTE;
      await rejectsWith(w.sanctions.lift(sanction.id, 'marjorie.wychwood', ''), 'HR_SANCTIONS_INPUT');
      const lifted = await w.sanctions.lift(sanction.id, 'marjorie.wychwood', 'apologised and understood the rules');
      assert.equal(lifted.status, 'lifted');
      assert.equal(lifted.liftReason, 'apologised and understood the rules');
      assert.equal(lifted.liftedAt, w.clock.now);
      assert.equal(w.sanctions.current().state(ARLO, w.clock.now), 'none');
      assert.equal(w.sanctions.current().apply(arlo, w.clock.now), arlo);
      const ended = await w.sanctions.getSession(session.id);
      assert.equal(ended!.open, false);
      assert.equal(ended!.closeKind, 'sanction-ended');
      await rejectsWith(w.sanctions.lift(sanction.id, 'marjorie.wychwood', 'again'), 'HR_SANCTIONS_STATE');
      await settle();
      assert.deepEqual(w.notifier.of('sanction.lifted').map((n) => n.to), [[{ person: DESMOND }]]);
      assert.deepEqual(await actions(w), [
        'marjorie.wychwood sanction.impose sanction',
        'desmond.nightingale supervision.open sanction',
        'marjorie.wychwood sanction.lift sanction',
        'marjorie.wychwood supervision.end sanction',
      ]);
      // a lifted sanction frees the person for a new one
      const again = await w.sanctions.impose({ person: ARLO, reason: 'more VPN attempts' }, 'marjorie.wychwood');
      assert.equal(again.status, 'active');
    });

    it('records the expiry of a sanction by itself at its end, once, and tells the class teachers (8.2)', async () => {
      const w = await fresh();
      const sanction = await w.sanctions.impose({ person: ARLO, durationMs: 3 * DAY, reason: 'proxy use' }, 'marjorie.wychwood');
      assert.equal(w.timers.pending?.ms, 3 * DAY);
      w.clock.now = sanction.endsAt;
      w.timers.fire();
      assert.equal(w.sanctions.current().size, 0);
      await settle();
      const expired = await w.sanctions.getSanction(sanction.id);
      assert.equal(expired!.status, 'expired');
      assert.equal(expired!.expiredAt, sanction.endsAt);
      await w.sanctions.recordExpiries();
      const expiries = (await w.audit.entries({ limit: 100 })).filter((e) => e.action === 'sanction.expire');
      assert.equal(expiries.length, 1);
      assert.equal(expiries[0]!.actor, SYSTEM_ACTOR);
      assert.deepEqual(w.notifier.of('sanction.expired').map((n) => n.to), [[{ person: DESMOND }]]);
      assert.deepEqual((await w.sanctions.listSanctions()).items, []);
      assert.deepEqual((await w.sanctions.listSanctions({ state: 'all' })).items.map((s) => s.status), ['expired']);
      await rejectsWith(w.sanctions.lift(sanction.id, 'marjorie.wychwood', 'late'), 'HR_SANCTIONS_STATE');
      assert.deepEqual(w.errors, []);
    });

    it('lets a supervisor open one supervised session at a time, which ends when closed or after the session length (8.2)', async () => {
      const w = await fresh();
      const sanction = await w.sanctions.impose({ person: ARLO, reason: 'VPN attempts' }, 'marjorie.wychwood');
      const session = await w.sanctions.openSession(sanction.id, DESMOND);
      assert.equal(session.endsAt, LESSON + HOUR);
      assert.equal(session.open, true);
      assert.equal(w.sanctions.current().state(ARLO, LESSON), 'supervised');
      assert.deepEqual(w.sanctions.current().apply(arlo, LESSON), { ...arlo, supervisedOnly: true, supervised: true });
      assert.equal((await w.sanctions.getSanction(sanction.id))!.session?.id, session.id);
      await rejectsWith(w.sanctions.openSession(sanction.id, 'katherine.rookwood'), 'HR_SANCTIONS_CONFLICT');

      w.clock.now += 20 * MINUTE;
      const closed = await w.sanctions.closeSession(session.id, DESMOND);
      assert.equal(closed.closeKind, 'closed');
      assert.equal(closed.closedAt, w.clock.now);
      assert.equal(w.sanctions.current().state(ARLO, w.clock.now), 'supervised-only');
      await rejectsWith(w.sanctions.closeSession(session.id, DESMOND), 'HR_SANCTIONS_STATE');

      const second = await w.sanctions.openSession(sanction.id, DESMOND);
      assert.equal(w.timers.pending?.ms, HOUR);
      w.clock.now = second.endsAt;
      w.timers.fire();
      assert.equal(w.sanctions.current().state(ARLO, w.clock.now), 'supervised-only');
      await settle();
      await w.sanctions.recordExpiries();
      const timedOut = await w.sanctions.getSession(second.id);
      assert.equal(timedOut!.closeKind, 'timed-out');
      assert.equal(timedOut!.closedAt, second.endsAt);
      assert.deepEqual((await w.sanctions.sessionsOf(sanction.id)).map((s) => s.closeKind), ['timed-out', 'closed']);
      assert.deepEqual((await actions(w)).slice(1), [
        'desmond.nightingale supervision.open sanction',
        'desmond.nightingale supervision.close sanction',
        'desmond.nightingale supervision.open sanction',
        'system supervision.end sanction',
      ]);
      assert.equal(await w.audit.verify(), null);
    });

    it('ends a supervised session no later than the sanction it belongs to (8.2)', async () => {
      const w = await fresh();
      const sanction = await w.sanctions.impose({ person: ARLO, durationMs: 30 * MINUTE, reason: 'short sanction' }, 'marjorie.wychwood');
      const session = await w.sanctions.openSession(sanction.id, DESMOND);
      assert.equal(session.endsAt, sanction.endsAt);
      w.clock.now = sanction.endsAt;
      await rejectsWith(w.sanctions.openSession(sanction.id, DESMOND), 'HR_SANCTIONS_STATE');
    });

    it('rebuilds the set from the store after a restart, and records what ended while it was down (8.2)', async () => {
      const w = await fresh();
      const arloSanction = await w.sanctions.impose({ person: ARLO, durationMs: 7 * DAY, reason: 'VPN attempts' }, 'marjorie.wychwood');
      const session = await w.sanctions.openSession(arloSanction.id, DESMOND);
      const nancySanction = await w.sanctions.impose({ person: NANCY, durationMs: 2 * HOUR, reason: 'proxy attempts' }, 'marjorie.wychwood');
      w.sanctions.close();

      const restarted = await w.reopen();
      assert.deepEqual(restarted.current().people().sort(), [ARLO, NANCY]);
      assert.equal(restarted.current().state(ARLO, w.clock.now), 'supervised');
      assert.equal(restarted.current().entry(ARLO)!.sessionId, session.id);
      restarted.close();

      // three hours later: the session and Nancy's sanction ended while nothing was running
      w.clock.now += 3 * HOUR;
      const later = await w.reopen();
      assert.deepEqual(later.current().people(), [ARLO]);
      assert.equal(later.current().state(ARLO, w.clock.now), 'supervised-only');
      assert.equal((await later.getSanction(nancySanction.id))!.status, 'expired');
      assert.equal((await later.getSession(session.id))!.closeKind, 'timed-out');
      const system = (await w.audit.entries({ limit: 100 })).filter((e) => e.actor === SYSTEM_ACTOR).map((e) => e.action);
      assert.deepEqual(system.sort(), ['sanction.expire', 'supervision.end']);
    });

    it('brings a sanction imposed on another node into force on this one at its next refresh (8.2)', async () => {
      const w = await fresh();
      const other = await w.reopen();
      const sanction = await other.impose({ person: ARLO, reason: 'VPN attempts' }, 'marjorie.wychwood');
      assert.equal(w.sanctions.current().state(ARLO, w.clock.now), 'none');
      await w.sanctions.refresh();
      assert.equal(w.sanctions.current().state(ARLO, w.clock.now), 'supervised-only');
      await other.lift(sanction.id, 'marjorie.wychwood', 'apologised');
      await w.sanctions.refresh();
      assert.equal(w.sanctions.current().size, 0);
    });

    it('leaves no sanction in force that the audit log could not record (8.2)', async () => {
      const w = await fresh();
      const failing = { append: async () => Promise.reject(new Error('audit log unavailable')) } as unknown as AuditLog;
      const unaudited = new SanctionStore({ store: w.db, audit: failing, notifier: w.notifier, people: w.people, policy: () => w.policy, now: () => w.clock.now, timers: w.timers });
      try {
        await assert.rejects(unaudited.impose({ person: ARLO, reason: 'VPN attempts' }, 'marjorie.wychwood'), /audit log unavailable/);
        assert.equal(unaudited.current().size, 0);
        assert.deepEqual((await w.sanctions.listSanctions({ state: 'all' })).items, []);
        const sanction = await w.sanctions.impose({ person: ARLO, reason: 'VPN attempts' }, 'marjorie.wychwood');
        await assert.rejects(unaudited.lift(sanction.id, 'marjorie.wychwood', 'apologised'), /audit log unavailable/);
        assert.equal((await w.sanctions.getSanction(sanction.id))!.status, 'active');
        await settle();
        assert.equal(w.notifier.of('sanction.lifted').length, 0);
      } finally {
        unaudited.close();
      }
    });

    it('counts sanctions imposed, ended and in force for a reporting period (8.2)', async () => {
      const w = await fresh();
      const termStart = LESSON;
      const arloSanction = await w.sanctions.impose({ person: ARLO, durationMs: 2 * DAY, reason: 'VPN attempts' }, 'marjorie.wychwood');
      w.clock.now += HOUR;
      const nancySanction = await w.sanctions.impose({ person: NANCY, durationMs: 10 * DAY, reason: 'proxy attempts' }, 'marjorie.wychwood');
      w.clock.now += HOUR;
      await w.sanctions.lift(nancySanction.id, 'marjorie.wychwood', 'apologised');
      await w.sanctions.impose({ person: NANCY, durationMs: 30 * DAY, reason: 'proxy attempts again' }, 'marjorie.wychwood');
      // five days on: Arlo's ran to its end, Nancy's first was lifted, her second is in force
      w.clock.now = termStart + 5 * DAY;
      assert.deepEqual(await w.sanctions.figures({ from: termStart, to: termStart + 7 * DAY }), { imposed: 3, lifted: 2, inForce: 1 });
      // a day into the period only the lift had happened
      assert.deepEqual(await w.sanctions.figures({ from: termStart, to: termStart + DAY }), { imposed: 3, lifted: 1, inForce: 2 });
      assert.deepEqual(await w.sanctions.figures({ from: termStart + 6 * DAY, to: termStart + 7 * DAY }), { imposed: 0, lifted: 0, inForce: 1 });
      assert.ok(arloSanction.endsAt < w.clock.now);
    });

    it('pages sanctions newest first and narrows lists to the people named (8.2)', async () => {
      const w = await fresh();
      await w.sanctions.impose({ person: ARLO, reason: 'one' }, 'marjorie.wychwood');
      w.clock.now += MINUTE;
      await w.sanctions.impose({ person: NANCY, reason: 'two' }, 'marjorie.wychwood');
      const first = await w.sanctions.listSanctions({ limit: 1 });
      assert.deepEqual(first.items.map((s) => s.person), [NANCY]);
      assert.ok(first.nextCursor);
      const second = await w.sanctions.listSanctions({ limit: 1, cursor: first.nextCursor });
      assert.deepEqual(second.items.map((s) => s.person), [ARLO]);
      assert.equal(second.nextCursor, null);
      assert.deepEqual((await w.sanctions.listSanctions({ people: [ARLO] })).items.map((s) => s.person), [ARLO]);
      assert.deepEqual((await w.sanctions.listSanctions({ people: [] })).items, []);
    });

    it('proposes nothing and refuses to impose when the policy has no sanctions section', async () => {
      const base = referencePolicy();
      const w = await fresh({ policy: { ...base, workflows: { ...base.workflows, sanctions: null } } });
      assert.equal(await proposeFor(w, arlo), null);
      await rejectsWith(w.sanctions.impose({ person: ARLO, reason: 'x' }, 'marjorie.wychwood'), 'HR_SANCTIONS_NOT_CONFIGURED');
    });
  });
}
