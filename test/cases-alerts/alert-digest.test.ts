// The weekly digest: due on the policy's day and time in its own zone (summer time included),
// sent once a week however often the scheduler wakes or the server restarts, caught up when the
// server was down at the time, and naming no one.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AlertDigest, AlertStore, AlertWatcher, latestDigestAt, nextDigestAt } from '../../src/cases/index.ts';
import type { PeopleStore } from '../../src/identity/index.ts';
import { NotificationCenter } from '../../src/notify/index.ts';
import type { ResolvedPolicy } from '../../src/policy/index.ts';
import { ManualTimers, referencePeople, referencePolicy, rosterNames, useDialect } from '../notify/fixture.ts';
import { desmond, eventFor, mabel, RecordingNotifier, stanley } from './alert-fixture.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

describe('when the digest is due', () => {
  it('is the policy day and time in its zone: Monday 07:30 in London is 07:30 UTC in winter', () => {
    const now = at('2026-11-24T10:15:00Z'); // a Tuesday
    assert.equal(latestDigestAt(now, 'mon', '07:30', 'Europe/London'), at('2026-11-23T07:30:00Z'));
    assert.equal(nextDigestAt(now, 'mon', '07:30', 'Europe/London'), at('2026-11-30T07:30:00Z'));
  });

  it('follows the clocks across summer time, both ways', () => {
    // clocks go forward on Sunday 28 March 2027: Monday 07:30 BST is 06:30 UTC
    assert.equal(nextDigestAt(at('2027-03-23T12:00:00Z'), 'mon', '07:30', 'Europe/London'), at('2027-03-29T06:30:00Z'));
    assert.equal(latestDigestAt(at('2027-03-29T06:29:00Z'), 'mon', '07:30', 'Europe/London'), at('2027-03-22T07:30:00Z'));
    // clocks go back on Sunday 25 October 2026
    assert.equal(latestDigestAt(at('2026-10-25T12:00:00Z'), 'mon', '07:30', 'Europe/London'), at('2026-10-19T06:30:00Z'));
    assert.equal(nextDigestAt(at('2026-10-25T12:00:00Z'), 'mon', '07:30', 'Europe/London'), at('2026-10-26T07:30:00Z'));
  });

  it('at the due instant itself, that instant is the latest and the next is a week on', () => {
    const due = at('2026-11-23T07:30:00Z');
    assert.equal(latestDigestAt(due, 'mon', '07:30', 'Europe/London'), due);
    assert.equal(nextDigestAt(due, 'mon', '07:30', 'Europe/London'), due + 7 * DAY);
    assert.equal(nextDigestAt(at('2026-11-23T12:00:00Z'), 'sun', '18:00', 'Europe/London'), at('2026-11-29T18:00:00Z'));
  });
});

describe('the weekly digest', () => {
  const stores = useDialect('sqlite');
  const policy = referencePolicy();
  let people: PeopleStore | null = null;
  after(() => people?.close());
  const DUE = at('2026-11-23T07:30:00Z');

  async function fresh(clock: { now: number }, notifier = new RecordingNotifier()) {
    const store = await stores.fresh();
    const alerts = new AlertStore(store, { now: () => clock.now });
    const digest = new AlertDigest({ store: alerts, notifier, policy: () => policy, now: () => clock.now, timers: new ManualTimers() });
    return { store, alerts, digest, notifier };
  }

  async function raise(alerts: AlertStore, events: ReturnType<typeof eventFor>[]) {
    const watcher = new AlertWatcher({ store: alerts, notifier: new RecordingNotifier(), policy: () => policy });
    for (const event of events) watcher.note(event);
    await watcher.close();
  }

  it('goes out once at the due time to the digest roles, however often it is asked for', async () => {
    const clock = { now: DUE - 60_000 };
    const { digest, notifier } = await fresh(clock);
    assert.equal((await digest.runDue()).reason, 'too-late', 'the week before is long past and is not sent late');
    clock.now = DUE;
    const run = await digest.runDue();
    assert.deepEqual([run.sent, run.dueAt, run.reason], [true, DUE, 'sent']);
    assert.deepEqual(notifier.sent.map((n) => [n.kind, n.to, n.once]), [['alert.digest', [{ role: 'esafety-team' }], `alerts.digest:${DUE}`]]);
    for (const later of [DUE + 60_000, DUE + 5 * HOUR, DUE + 6 * DAY]) {
      clock.now = later;
      assert.equal((await digest.runDue()).reason, 'already-sent');
    }
    clock.now = DUE + 7 * DAY;
    assert.equal((await digest.runDue()).sent, true, 'and again the next week');
    assert.equal(notifier.sent.length, 2);
  });

  it('a restart never sends it twice, and two schedulers at once send it once', async () => {
    const clock = { now: DUE + 60_000 };
    const { store, alerts } = await fresh(clock);
    people?.close();
    people = referencePeople(stores.tmp());
    const center = new NotificationCenter({ store, people, mail: false, now: () => clock.now });
    const a = new AlertDigest({ store: alerts, notifier: center, policy: () => policy, now: () => clock.now });
    const b = new AlertDigest({ store: new AlertStore(await stores.reopen()), notifier: center, policy: () => policy, now: () => clock.now });
    const runs = await Promise.all([a.runDue(), b.runDue()]);
    assert.equal(runs.filter((r) => r.sent).length, 1);
    clock.now = DUE + 2 * HOUR;
    const restarted = new AlertDigest({ store: new AlertStore(await stores.reopen()), notifier: center, policy: () => policy, now: () => clock.now });
    assert.equal((await restarted.runDue()).reason, 'already-sent');
    assert.equal((await center.inbox('jonah.birchwood')).items.length, 1);
  });

  it('counts by category and list, names the top groups and the open alerts, and names no child', async () => {
    const clock = { now: DUE };
    const { store, alerts } = await fresh(clock);
    await raise(alerts, [
      eventFor(mabel, 'http://harm.example/', DUE - 2 * DAY),
      eventFor(mabel, 'http://harm.example/', DUE - 2 * DAY + 60_000),
      eventFor(stanley, 'https://search.example/', DUE - DAY, { searchTerm: 'nobody likes you' }),
      eventFor(desmond, 'http://legal.example/', DUE - HOUR),
      eventFor(stanley, 'http://adult.example/', DUE - 8 * DAY), // before this week
    ]);
    people?.close();
    people = referencePeople(stores.tmp());
    const center = new NotificationCenter({ store, people, mail: false, now: () => clock.now });
    const digest = new AlertDigest({ store: alerts, notifier: center, policy: () => policy, now: () => clock.now });
    const run = await digest.runDue();
    assert.equal(run.figures!.alerts, 3);
    const [item] = (await center.inbox('jonah.birchwood')).items;
    assert.equal(item!.subject, 'Weekly safeguarding alerts digest: 16 Nov 2026 to 23 Nov 2026');
    assert.match(item!.text, /New alerts: 3 \(4 attempts counted, repeats included\)\./);
    assert.match(item!.text, /  Self-harm and suicide \(category\): 1 alert, 2 attempts/);
    assert.match(item!.text, /  Bullying \(keyword list\): 1 alert, 1 attempt/);
    assert.match(item!.text, /  rule council-legal-lists \(rule\): 1 alert, 1 attempt/);
    assert.match(item!.text, /Groups with the most alerts:\n {2}Class 6S: 2 alerts\n {2}Year 6: 2 alerts\n {2}Class 4N: 1 alert/);
    assert.match(item!.text, /Open alerts now: 4 \(4 new, 0 acknowledged\); the oldest opened Sun, 15 Nov 2026, 07:30\./);
    for (const name of rosterNames()) assert.ok(!item!.text.includes(name) && !item!.subject.includes(name), `\`${name}\` is not in the digest`);
    assert.ok(!item!.text.includes('nobody likes you'), 'nor what anyone typed');
    const recorded = await alerts.digest(DUE);
    assert.deepEqual([recorded!.periodFrom, recorded!.periodTo, recorded!.notificationId], [DUE - 7 * DAY, DUE, run.notificationId]);
  });

  it('a digest missed while the server was down goes out late on the same day, not days later', async () => {
    const late = await fresh({ now: DUE + 3 * HOUR });
    assert.equal((await late.digest.runDue()).sent, true);
    const tooLate = await fresh({ now: DUE + 2 * DAY });
    assert.deepEqual([(await tooLate.digest.runDue()).reason, tooLate.notifier.sent.length], ['too-late', 0]);
  });

  it('the scheduler sleeps until the due time (looking again at least hourly) and sends when it wakes', async () => {
    const clock = { now: DUE - 30 * 60_000 };
    const store = await stores.fresh();
    const notifier = new RecordingNotifier();
    const timers = new ManualTimers();
    const digest = new AlertDigest({ store: new AlertStore(store), notifier, policy: () => policy, now: () => clock.now, timers });
    digest.start();
    for (let i = 0; i < 200 && timers.pending === null; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(timers.pending?.ms, 30 * 60_000);
    clock.now = DUE;
    timers.pending!.callback();
    for (let i = 0; i < 200 && notifier.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(notifier.sent.length, 1);
    for (let i = 0; i < 200 && timers.pending === null; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(timers.pending?.ms, HOUR, 'a week away, it looks again in an hour');
    await digest.close();
    assert.equal(timers.pending, null);
  });

  it('sends nothing when the policy sets no digest', async () => {
    const none: ResolvedPolicy = { ...policy, workflows: { ...policy.workflows, alerts: { ...policy.workflows.alerts!, digest: undefined } } };
    const store = await stores.fresh();
    const digest = new AlertDigest({ store: new AlertStore(store), notifier: new RecordingNotifier(), policy: () => none, now: () => DUE });
    assert.deepEqual(await digest.runDue(), { sent: false, dueAt: null, reason: 'no-digest' });
    assert.equal(digest.nextRun(), null);
  });
});
