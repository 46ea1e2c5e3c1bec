// The watcher the server hands every decision event: cheap and silent on the data path, alerts
// stored and announced off it, repeats counted rather than announced, nothing announced twice
// across restarts, and — end to end — a blocked attempt reaching the safeguarding lead's inbox and
// mailbox through a real SMTP server.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import PostalMime from 'postal-mime';
import { AlertStore, AlertWatcher } from '../../src/cases/index.ts';
import type { PeopleStore } from '../../src/identity/index.ts';
import { NotificationCenter, openNotifications } from '../../src/notify/index.ts';
import type { ResolvedPolicy } from '../../src/policy/index.ts';
import { startSink } from '../mail-smtp/support/sink.ts';
import { referencePeople, referencePolicy, rosterNames, useDialect } from '../notify/fixture.ts';
import { desmond, eventFor, mabel, RecordingNotifier } from './alert-fixture.ts';

const T0 = Date.parse('2026-11-24T10:15:00Z');
const MINUTE = 60_000;

describe('the alert watcher', () => {
  const stores = useDialect('sqlite');
  const policy = referencePolicy();
  let people: PeopleStore | null = null;
  after(() => people?.close());

  async function fresh(options: { notifier?: RecordingNotifier; policy?: () => ResolvedPolicy; maxQueue?: number } = {}) {
    const store = await stores.fresh();
    const clock = { now: T0 };
    const alerts = new AlertStore(store, { now: () => clock.now });
    const notifier = options.notifier ?? new RecordingNotifier();
    const errors: unknown[] = [];
    const watcher = new AlertWatcher({
      store: alerts,
      notifier,
      policy: options.policy ?? (() => policy),
      now: () => clock.now,
      onError: (e) => errors.push(e),
      ...(options.maxQueue ? { maxQueue: options.maxQueue } : {}),
    });
    return { store, alerts, notifier, watcher, clock, errors };
  }

  it('returns at once and stores and announces the alert afterwards, off the path', async () => {
    const { alerts, notifier, watcher } = await fresh();
    watcher.note(eventFor(mabel, 'http://harm.example/', T0));
    assert.equal(watcher.stats().queued, 1, 'queued, not yet written');
    assert.equal(notifier.sent.length, 0);
    await watcher.idle();
    const { items } = await alerts.list();
    assert.equal(items.length, 1);
    const [sent] = notifier.sent;
    assert.deepEqual(sent!.to, [{ role: 'safeguarding-lead' }]);
    assert.equal(sent!.kind, 'alert.category');
    assert.equal(sent!.once, `alert:${items[0]!.id}`);
    assert.deepEqual(sent!.about, { type: 'alert', id: items[0]!.id });
    assert.equal(sent!.link, `#/alerts?alert=${items[0]!.id}`);
    assert.equal((await alerts.get(items[0]!.id)).notificationId, 'n-1', 'the alert records its notification');
  });

  it('counts repeats inside the window on the open alert without announcing them again', async () => {
    const { alerts, notifier, watcher } = await fresh();
    for (let i = 0; i < 4; i++) watcher.note(eventFor(mabel, `http://harm.example/${i}`, T0 + i * MINUTE));
    await watcher.idle();
    assert.equal(notifier.sent.length, 1);
    assert.deepEqual((await alerts.list()).items.map((a) => a.count), [4]);
    assert.deepEqual(watcher.stats(), { matched: 4, opened: 1, repeats: 3, dropped: 0, failures: 0, queued: 0 });
    watcher.note(eventFor(mabel, 'http://harm.example/', T0 + 61 * MINUTE));
    await watcher.idle();
    assert.equal(notifier.sent.length, 2, 'after the window the next attempt is a new alert');
  });

  it('the announcement says what, when, where and the role and groups, and names no one', async () => {
    const { notifier, watcher } = await fresh();
    watcher.note(eventFor(mabel, 'https://search.example/?q=x', T0, { searchTerm: 'how do i k1ll myself', device: 'laptop-17' }));
    watcher.note(eventFor(desmond, 'http://legal.example/', T0));
    await watcher.idle();
    const [search, legal] = notifier.sent;
    assert.equal(search!.subject, 'Safeguarding alert: search matching "Self-harm and suicide"');
    assert.match(search!.text, /^A pupil in Year 6, Class 6S searched for words on the keyword list "Self-harm and suicide" \("k1ll myself" matched\)\./);
    assert.match(search!.text, /When: Tue, 24 Nov 2026, 10:15 \(Europe\/London\)/);
    assert.match(search!.text, /Site: search\.example \(device laptop-17, address 10\.20\.6\.3\)/);
    assert.equal(legal!.subject, 'Safeguarding alert: blocked attempt, rule council-legal-lists');
    assert.match(legal!.text, /Policy clauses: legal-must-block/);
    for (const message of notifier.sent) {
      for (const name of rosterNames()) assert.ok(!message.text.includes(name) && !message.subject.includes(name), `\`${name}\` is not in the announcement`);
    }
  });

  it('never throws into the data path: a failing store, notifier or policy is reported and counted', async () => {
    const { alerts, watcher, errors, notifier } = await fresh();
    const broken = new AlertWatcher({
      store: { recordHit: async () => Promise.reject(new Error('disk full')) } as unknown as AlertStore,
      notifier,
      policy: () => policy,
      onError: (e) => errors.push(e),
    });
    assert.doesNotThrow(() => broken.note(eventFor(mabel, 'http://harm.example/', T0)));
    await broken.idle();
    const noPolicy = new AlertWatcher({ store: alerts, notifier, policy: () => { throw new Error('no engine yet'); }, onError: (e) => errors.push(e) });
    assert.doesNotThrow(() => noPolicy.note(eventFor(mabel, 'http://harm.example/', T0)));
    assert.deepEqual(errors.map((e) => (e as Error).message), ['disk full', 'no engine yet']);
    assert.equal(broken.stats().failures, 1);

    notifier.failNext = 1;
    watcher.note(eventFor(mabel, 'http://harm.example/', T0));
    await watcher.idle();
    assert.equal(errors.length, 3, 'a failed announcement is reported too');
    const [alert] = (await alerts.list()).items;
    assert.equal(alert!.notificationId, 'n-1', 'and tried again once the queue is drained');
    assert.equal(notifier.sent.length, 1);
  });

  it('a full queue drops new hits and counts them rather than growing without bound', async () => {
    const { watcher } = await fresh({ maxQueue: 2 });
    for (let i = 0; i < 5; i++) watcher.note(eventFor(mabel, 'http://harm.example/', T0 + i));
    assert.deepEqual([watcher.stats().queued, watcher.stats().dropped], [2, 3]);
    await watcher.idle();
  });

  it('follows the policy in force: without an alerts section nothing is watched', async () => {
    let current: ResolvedPolicy = policy;
    const { watcher, notifier } = await fresh({ policy: () => current });
    current = { ...policy, workflows: { ...policy.workflows, alerts: null } };
    watcher.note(eventFor(mabel, 'http://harm.example/', T0));
    await watcher.idle();
    assert.equal(notifier.sent.length, 0);
    current = policy;
    watcher.note(eventFor(mabel, 'http://harm.example/', T0));
    await watcher.idle();
    assert.equal(notifier.sent.length, 1);
  });

  it('after a restart it announces what was stored but not announced, and never what already was', async () => {
    const { store, alerts } = await fresh();
    people?.close();
    people = referencePeople(stores.tmp());
    const center = new NotificationCenter({ store, people, mail: false, now: () => T0 });
    const failing = new RecordingNotifier();
    failing.failNext = 2;
    const first = new AlertWatcher({ store: alerts, notifier: failing, policy: () => policy, now: () => T0 });
    const blocked = eventFor(mabel, 'http://harm.example/', T0);
    first.note(blocked);
    await first.close();
    assert.equal((await alerts.list()).items[0]!.notificationId, null, 'the process stopped before it could announce');

    const second = new AlertWatcher({ store: new AlertStore(await stores.reopen()), notifier: center, policy: () => policy, now: () => T0 + MINUTE });
    await second.start();
    assert.equal(await center.unreadCount('nigel.applegarth'), 1, 'announced at start');
    second.note(blocked);
    await second.idle();

    const third = new AlertWatcher({ store: new AlertStore(await stores.reopen()), notifier: center, policy: () => policy, now: () => T0 + 2 * MINUTE });
    await third.start();
    third.note(blocked);
    await third.idle();
    assert.equal(await center.unreadCount('nigel.applegarth'), 1, 'neither a restart nor a replayed event announces it again');
    assert.equal((await alerts.list()).items[0]!.count, 1);
  });

  it('extra recipients can be added per alert (the settings page’s addresses for legal-block alerts)', async () => {
    const { alerts } = await fresh();
    const notifier = new RecordingNotifier();
    const watcher = new AlertWatcher({
      store: alerts,
      notifier,
      policy: () => policy,
      extraRecipients: (alert) => (alert.kind === 'rule' ? [{ email: 'dsl-team@school.invalid' }] : []),
    });
    watcher.note(eventFor(desmond, 'http://legal.example/', T0));
    watcher.note(eventFor(mabel, 'http://harm.example/', T0));
    await watcher.idle();
    assert.deepEqual(notifier.sent.map((n) => n.to), [[{ role: 'safeguarding-lead' }, { email: 'dsl-team@school.invalid' }], [{ role: 'safeguarding-lead' }]]);
  });

  it('end to end: a blocked attempt reaches the safeguarding lead’s inbox and, through SMTP, their mailbox', async () => {
    const sink = await startSink();
    const store = await stores.fresh();
    people?.close();
    people = referencePeople(stores.tmp());
    const notifications = openNotifications({
      store,
      people,
      config: { smtp: { host: '127.0.0.1', port: sink.port, secure: false, requireTls: false, from: 'Hedgerow <hedgerow@school.invalid>', timeoutMs: 5_000 }, retry: { maxAttempts: 3, firstDelaySeconds: 30, maxDelaySeconds: 600 } },
      roleSets: () => policy.roleSets,
      now: () => T0,
      dashboardUrl: () => 'https://hedgerow.school.invalid/dashboard/',
    });
    notifications.start();
    const watcher = new AlertWatcher({ store: new AlertStore(store), notifier: notifications.center, policy: () => policy, now: () => T0 });
    try {
      watcher.note(eventFor(mabel, 'http://adult.example/', T0));
      await watcher.idle();
      const inbox = await notifications.center.inbox('nigel.applegarth');
      assert.equal(inbox.items[0]!.subject, 'Safeguarding alert: blocked attempt, Sexually explicit');
      const [message] = await sink.waitFor(1);
      assert.deepEqual(message!.to, ['nigel.applegarth@school.invalid']);
      const email = await PostalMime.parse(message!.raw);
      assert.equal(email.subject, 'Safeguarding alert: blocked attempt, Sexually explicit');
      assert.match(email.text!, /tried to reach a site in the category "Sexually explicit" \(blocked\)/);
      assert.match(email.text!, /Open it in Hedgerow: https:\/\/hedgerow\.school\.invalid\/dashboard\/#\/alerts\?alert=al-/);
      assert.ok(!email.text!.includes('Mabel') && !email.text!.includes('mabel.foxglove'));
    } finally {
      await watcher.close();
      await notifications.close();
      await sink.close();
    }
  });
});
