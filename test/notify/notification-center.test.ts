// The notifier and its outbox on SQLite and on a real PostgreSQL: who a notification reaches,
// the inbox, at-most-once keys, and mail that is queued in the store, retried with backoff when
// the relay fails, visible when it finally fails, and sent after a restart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoreDatabase } from '../../src/db/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import type { PeopleStore } from '../../src/identity/index.ts';
import { MailOutbox, NotificationCenter, retryDelay } from '../../src/notify/index.ts';
import { addAccount, ManualTimers, pgMissing, RecordingTransport, referencePeople, referencePolicy, useDialect } from './fixture.ts';

const T0 = Date.parse('2026-11-24T10:15:00Z');
const RETRY = { maxAttempts: 3, firstDelayMs: 30_000, maxDelayMs: 3_600_000 };

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`notifications on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    const stores = useDialect(dialect);
    let people: PeopleStore | null = null;

    async function fresh(options: { mail?: boolean } = {}) {
      const store = await stores.fresh();
      people?.close();
      people = referencePeople(stores.tmp());
      const clock = { now: T0 };
      let wakes = 0;
      const center = new NotificationCenter({
        store,
        people,
        mail: options.mail ?? true,
        roleSets: () => referencePolicy().roleSets,
        now: () => clock.now,
        onPending: () => (wakes += 1),
      });
      return { store, people, clock, center, wakes: () => wakes };
    }

    function outboxFor(store: StoreDatabase, clock: { now: number }, transport = new RecordingTransport()) {
      const outbox = new MailOutbox({
        store,
        transport,
        from: 'Hedgerow <hedgerow@school.invalid>',
        now: () => clock.now,
        retry: RETRY,
        dashboardUrl: () => 'http://127.0.0.1:8080/dashboard/',
        timers: new ManualTimers(),
      });
      return { outbox, transport };
    }

    async function deliveriesOf(store: StoreDatabase, id: string) {
      return (await store.db.selectFrom('notification_deliveries' as never).selectAll().where('notification_id' as never, '=', id as never).execute()) as unknown as Array<{
        username: string | null;
        email: string | null;
        mail_status: string;
        attempts: number;
        last_error: string | null;
        next_attempt_at: number | null;
      }>;
    }

    it('a role reaches every active person and enabled account of that role, once per username', async () => {
      const { store, center, wakes } = await fresh();
      await addAccount(store, { username: 'nigel.applegarth', role: 'safeguarding-lead' });
      await addAccount(store, { username: 'deputy.dsl', role: 'safeguarding-lead' });
      await addAccount(store, { username: 'former.dsl', role: 'safeguarding-lead', disabled: true });
      const result = await center.notify({ kind: 'test.role', to: [{ role: 'safeguarding-lead' }], subject: 'Alert', text: 'Something happened.' });
      assert.equal(result.recipients, 2);
      const rows = (await deliveriesOf(store, result.id)).sort((a, b) => String(a.username).localeCompare(String(b.username)));
      assert.deepEqual(
        rows.map((r) => [r.username, r.email, r.mail_status]),
        [
          ['deputy.dsl', null, 'none'],
          ['nigel.applegarth', 'nigel.applegarth@school.invalid', 'pending'],
        ],
      );
      assert.equal(wakes(), 1, 'the outbox is woken for the pending mail');
    });

    it('role sets expand to their roles, and inactive people are left out', async () => {
      const { center, people } = await fresh({ mail: false });
      people.setActive('ada.tinderbox', false);
      const result = await center.notify({ kind: 'test.set', to: [{ role: 'ict' }, { role: 'teacher' }], subject: 'Filter check', text: 'The nightly check failed.' });
      // ict = network manager + ICT officer; six teachers, one of them inactive
      assert.equal(result.recipients, 2 + 5);
      const inbox = await center.inbox('ada.tinderbox');
      assert.equal(inbox.items.length, 0);
    });

    it('people, accounts and bare addresses resolve, and one address is never mailed twice', async () => {
      const { store, center } = await fresh();
      await addAccount(store, { id: 'acc-7', username: 'visiting.auditor', role: 'governor' });
      const result = await center.notify({
        kind: 'test.mixed',
        to: [
          { person: 'Marjorie.Wychwood' },
          { account: 'acc-7' },
          { account: 'visiting.auditor' },
          { email: 'marjorie.wychwood@school.invalid' },
          { email: 'clerk@governors.example' },
          { person: 'nobody.here' },
        ],
        subject: 'Report ready',
        text: 'The termly report is ready.',
      });
      const rows = await deliveriesOf(store, result.id);
      assert.deepEqual(
        rows.map((r) => [r.username, r.email, r.mail_status]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
        [
          [null, 'clerk@governors.example', 'pending'],
          ['marjorie.wychwood', 'marjorie.wychwood@school.invalid', 'pending'],
          ['visiting.auditor', null, 'none'],
        ],
      );
    });

    it('without a relay, or when the caller says so, notifications go to the inbox only', async () => {
      const inboxOnly = await fresh({ mail: false });
      const a = await inboxOnly.center.notify({ kind: 'test', to: [{ person: 'nigel.applegarth' }], subject: 'S', text: 'T' });
      assert.deepEqual((await deliveriesOf(inboxOnly.store, a.id)).map((r) => r.mail_status), ['none']);
      assert.equal(inboxOnly.wakes(), 0);
      const withMail = await fresh();
      const b = await withMail.center.notify({ kind: 'test', to: [{ person: 'nigel.applegarth' }], subject: 'S', text: 'T', mail: false });
      assert.deepEqual((await deliveriesOf(withMail.store, b.id)).map((r) => r.mail_status), ['none']);
    });

    it('the inbox lists newest first in pages, counts the unread and marks only its own entries read', async () => {
      const { center, clock } = await fresh();
      for (let i = 0; i < 5; i++) {
        clock.now = T0 + i * 60_000;
        await center.notify({ kind: 'test.inbox', to: [{ person: 'jonah.birchwood' }], subject: `Number ${i}`, text: 'T', link: `#/requests?id=${i}`, about: { type: 'request', id: String(i) } });
      }
      await center.notify({ kind: 'test.inbox', to: [{ person: 'nigel.applegarth' }], subject: 'Not Jonah’s', text: 'T' });
      const first = await center.inbox('jonah.birchwood', { limit: 2 });
      assert.deepEqual(first.items.map((i) => i.subject), ['Number 4', 'Number 3']);
      assert.deepEqual(first.items[0]!.about, { type: 'request', id: '4' });
      assert.ok(first.nextCursor);
      const second = await center.inbox('jonah.birchwood', { limit: 2, cursor: first.nextCursor });
      assert.deepEqual(second.items.map((i) => i.subject), ['Number 2', 'Number 1']);
      const third = await center.inbox('jonah.birchwood', { limit: 2, cursor: second.nextCursor });
      assert.deepEqual([third.items.map((i) => i.subject), third.nextCursor], [['Number 0'], null]);
      assert.equal(await center.unreadCount('jonah.birchwood'), 5);

      clock.now = T0 + 3_600_000;
      const read = await center.markRead('jonah.birchwood', first.items[0]!.id);
      assert.equal(read.readAt, T0 + 3_600_000);
      assert.equal(await center.unreadCount('jonah.birchwood'), 4);
      assert.deepEqual((await center.inbox('jonah.birchwood', { unread: true })).items.map((i) => i.subject), ['Number 3', 'Number 2', 'Number 1', 'Number 0']);
      const nigels = await center.inbox('nigel.applegarth');
      await assert.rejects(center.markRead('jonah.birchwood', nigels.items[0]!.id), (e: HedgerowError) => e.code === 'HR_NOTIFY_NOT_FOUND');
      assert.equal(await center.markAllRead('jonah.birchwood'), 4);
      assert.equal(await center.unreadCount('jonah.birchwood'), 0);
      assert.equal(await center.unreadCount('nigel.applegarth'), 1);
      await assert.rejects(center.inbox('jonah.birchwood', { cursor: 'not-a-cursor' }), (e: HedgerowError) => e.code === 'HR_NOTIFY_INPUT');
    });

    it('a notification with a `once` key is written once, however often it is asked for', async () => {
      const { store, center } = await fresh();
      const first = await center.notify({ kind: 'test.once', to: [{ role: 'esafety-team' }], subject: 'Digest', text: 'T', once: 'digest:1' });
      const again = await center.notify({ kind: 'test.once', to: [{ role: 'esafety-team' }], subject: 'Digest', text: 'T', once: 'digest:1' });
      assert.deepEqual(again, { id: first.id, recipients: first.recipients, repeated: true });
      const both = await Promise.all([
        center.notify({ kind: 'test.once', to: [{ role: 'esafety-team' }], subject: 'Race', text: 'T', once: 'digest:2' }),
        center.notify({ kind: 'test.once', to: [{ role: 'esafety-team' }], subject: 'Race', text: 'T', once: 'digest:2' }),
      ]);
      assert.equal(both[0].id, both[1].id, 'two writers at once still make one notification');
      const count = await store.db.selectFrom('notifications' as never).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number((count as { n: number }).n), 2);
    });

    it('refuses a notification a caller got wrong, naming the field', async () => {
      const { center } = await fresh();
      const cases: Array<[unknown, string]> = [
        [{ kind: 'k', to: [], subject: 'S', text: 'T' }, 'to'],
        [{ kind: 'k', to: [{ email: 'not an address' }], subject: 'S', text: 'T' }, 'to[0].email'],
        [{ kind: 'k', to: [{ group: 'year-6' }], subject: 'S', text: 'T' }, 'to[0]'],
        [{ kind: 'k', to: [{ role: 'teacher' }], subject: ' ', text: 'T' }, 'subject'],
      ];
      for (const [input, field] of cases) {
        await assert.rejects(center.notify(input as never), (e: HedgerowError) => e.code === 'HR_NOTIFY_INPUT' && e.where?.field === field, field);
      }
    });

    it('the outbox sends each pending mail once, with the link, and marks it sent', async () => {
      const { store, center, clock } = await fresh();
      const { outbox, transport } = outboxFor(store, clock);
      const result = await center.notify({ kind: 'request.decided', to: [{ person: 'desmond.nightingale' }], subject: 'Your request was approved', text: 'The headteacher approved it.', link: '#/requests?id=r1' });
      assert.deepEqual(await outbox.runOnce(), { sent: 1, deferred: 0, failed: 0 });
      assert.deepEqual(await outbox.runOnce(), { sent: 0, deferred: 0, failed: 0 }, 'nothing is sent twice');
      const [mail] = transport.sent;
      assert.equal(mail!.to, 'desmond.nightingale@school.invalid');
      assert.equal(mail!.subject, 'Your request was approved');
      assert.match(mail!.text, /The headteacher approved it\.\n\nOpen it in Hedgerow: http:\/\/127\.0\.0\.1:8080\/dashboard\/#\/requests\?id=r1/);
      assert.equal(mail!.headers['X-Hedgerow-Notification'], result.id);
      const [row] = await deliveriesOf(store, result.id);
      assert.deepEqual([row!.mail_status, row!.attempts, row!.last_error], ['sent', 1, null]);
      await outbox.close();
      assert.equal(transport.closed, true);
    });

    it('a relay that fails is tried again after a doubling delay, and the last failure is kept and shown', async () => {
      const { store, center, clock } = await fresh();
      const { outbox, transport } = outboxFor(store, clock);
      transport.failNext = 10;
      const result = await center.notify({ kind: 'alert.keyword', to: [{ person: 'nigel.applegarth' }], subject: 'Safeguarding alert', text: 'T' });
      assert.deepEqual(await outbox.runOnce(), { sent: 0, deferred: 1, failed: 0 });
      let [row] = await deliveriesOf(store, result.id);
      assert.deepEqual([row!.mail_status, row!.attempts, row!.next_attempt_at], ['pending', 1, T0 + 30_000]);
      assert.match(row!.last_error!, /^ESOCKET: connect ECONNREFUSED/);
      assert.deepEqual(await outbox.runOnce(), { sent: 0, deferred: 0, failed: 0 }, 'not before its time');
      clock.now = T0 + 30_000;
      assert.deepEqual(await outbox.runOnce(), { sent: 0, deferred: 1, failed: 0 });
      [row] = await deliveriesOf(store, result.id);
      assert.equal(row!.next_attempt_at, T0 + 30_000 + 60_000, 'the delay doubles');
      clock.now = T0 + 90_000;
      assert.deepEqual(await outbox.runOnce(), { sent: 0, deferred: 0, failed: 1 }, 'the third attempt is the last');
      const shown = await center.outbox();
      assert.equal(shown.counts.failed, 1);
      assert.deepEqual(shown.items.map((i) => [i.email, i.attempts, i.subject]), [['nigel.applegarth@school.invalid', 3, 'Safeguarding alert']]);

      // someone fixes the relay and sends it again
      transport.failNext = 0;
      await center.retry(shown.items[0]!.id);
      await assert.rejects(center.retry(shown.items[0]!.id), (e: HedgerowError) => e.code === 'HR_NOTIFY_STATE');
      assert.deepEqual(await outbox.runOnce(), { sent: 1, deferred: 0, failed: 0 });
      assert.equal(transport.sent.length, 1);
      assert.equal(retryDelay(1, RETRY), 30_000);
      assert.equal(retryDelay(20, RETRY), 3_600_000, 'the delay is bounded');
    });

    it('mail queued before a restart is sent by the next process, and two senders never send one mail twice', async () => {
      const { store, center, clock } = await fresh();
      for (const person of ['ada.tinderbox', 'benedict.quayle', 'cordelia.marsh', 'desmond.nightingale']) {
        await center.notify({ kind: 'test.restart', to: [{ person }], subject: 'Queued', text: 'T' });
      }
      // the first process stops before sending anything; two nodes then share the queue
      const nodeA = outboxFor(await stores.reopen(), clock);
      const nodeB = outboxFor(await stores.reopen(), clock);
      const passes = await Promise.all([nodeA.outbox.runOnce(), nodeB.outbox.runOnce()]);
      assert.equal(passes[0].sent + passes[1].sent, 4);
      const sentTo = [...nodeA.transport.sent, ...nodeB.transport.sent].map((m) => m.to).sort();
      assert.deepEqual(sentTo, ['ada.tinderbox@school.invalid', 'benedict.quayle@school.invalid', 'cordelia.marsh@school.invalid', 'desmond.nightingale@school.invalid']);
      await Promise.all([nodeA.outbox.close(), nodeB.outbox.close()]);
    });

    it('a sender that died mid-send leaves the mail to be sent again once its claim runs out', async () => {
      const { store, center, clock } = await fresh();
      const result = await center.notify({ kind: 'test.lease', to: [{ person: 'ada.tinderbox' }], subject: 'Claimed', text: 'T' });
      // a claim taken by a process that then stopped
      await store.db.updateTable('notification_deliveries' as never).set({ next_attempt_at: T0 + 5 * 60_000 } as never).where('notification_id' as never, '=', result.id as never).execute();
      const { outbox, transport } = outboxFor(store, clock);
      assert.equal((await outbox.runOnce()).sent, 0);
      clock.now = T0 + 5 * 60_000;
      assert.equal((await outbox.runOnce()).sent, 1);
      assert.equal(transport.sent[0]!.to, 'ada.tinderbox@school.invalid');
    });

    it('started, the outbox sends on its own and sleeps until the next mail is due', async () => {
      const { store, clock } = await fresh();
      const timers = new ManualTimers();
      const pendingMs = () => timers.pending?.ms;
      const transport = new RecordingTransport();
      transport.failNext = 1;
      const outbox = new MailOutbox({ store, transport, from: 'hedgerow@school.invalid', now: () => clock.now, retry: RETRY, timers, pollMs: 60_000 });
      const local = new NotificationCenter({ store, people: people!, mail: true, now: () => clock.now, onPending: () => outbox.wake() });
      outbox.start();
      await local.notify({ kind: 'test.timer', to: [{ person: 'ada.tinderbox' }], subject: 'S', text: 'T' });
      for (let i = 0; i < 200 && pendingMs() !== 30_000; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(pendingMs(), 30_000, 'the failed mail sets the next wake-up to its retry time');
      clock.now = T0 + 30_000;
      timers.pending!.callback();
      for (let i = 0; i < 200 && transport.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(transport.sent.length, 1);
      for (let i = 0; i < 200 && pendingMs() !== 60_000; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(pendingMs(), 60_000, 'with nothing pending it looks again at the poll interval');
      await outbox.close();
      assert.equal(timers.pending, null, 'closing clears its timer');
    });
  });
}
