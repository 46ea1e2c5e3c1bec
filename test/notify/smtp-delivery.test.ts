// Notification mail through real SMTP: nodemailer's transport to an SMTP server on 127.0.0.1
// (the smtp-server library, speaking real SMTP), and to a real Debian Postfix that delivers into
// a local mailbox the test then reads. Each delivered message is parsed and its headers and text
// checked; a relay that is down leaves the mail queued and visible, and it goes out once the relay
// is back, from the next process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import PostalMime from 'postal-mime';
import type { StoreDatabase } from '../../src/db/index.ts';
import type { PeopleStore } from '../../src/identity/index.ts';
import { openNotifications, type Notifications } from '../../src/notify/index.ts';
import { startSink, type Sink } from '../mail-smtp/support/sink.ts';
import { freePort } from '../support/free-port.ts';
import { ManualTimers, referencePeople, referencePolicy, useDialect } from './fixture.ts';
import { mailboxPostfixProblem, startMailboxPostfix, type MailboxPostfix } from './postfix-mailbox.ts';

const T0 = Date.parse('2026-11-24T10:15:00Z');
const FROM = 'Hedgerow <hedgerow@school.invalid>';

function smtpConfig(port: number) {
  return { smtp: { host: '127.0.0.1', port, secure: false, requireTls: false, from: FROM, timeoutMs: 5_000 }, retry: { maxAttempts: 5, firstDelaySeconds: 30, maxDelaySeconds: 600 } };
}

async function until<T>(read: () => T | null | undefined | false | Promise<T | null | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('notification mail through a real SMTP relay', () => {
  const stores = useDialect('sqlite');
  let people: PeopleStore;
  const opened: Notifications[] = [];
  const sinks: Sink[] = [];

  before(() => {
    people = referencePeople(stores.tmp());
  });
  after(async () => {
    for (const n of opened.splice(0)) await n.close();
    for (const s of sinks.splice(0)) await s.close();
    people.close();
  });

  function notifications(store: StoreDatabase, port: number, clock: { now: number }, timers?: ManualTimers): Notifications {
    const n = openNotifications({
      store,
      people,
      config: smtpConfig(port),
      roleSets: () => referencePolicy().roleSets,
      now: () => clock.now,
      dashboardUrl: () => 'http://127.0.0.1:8080/dashboard/',
      ...(timers ? { timers } : {}),
    });
    opened.push(n);
    return n;
  }

  it('delivers each recipient their own message with the sender, subject, link and headers', async () => {
    const sink = await startSink();
    sinks.push(sink);
    const store = await stores.fresh();
    const clock = { now: T0 };
    const n = notifications(store, sink.port, clock);
    n.start();
    const result = await n.center.notify({
      kind: 'alert.keyword',
      to: [{ role: 'safeguarding-lead' }, { role: 'esafety-team' }],
      subject: 'Safeguarding alert: search matching "Self-harm and suicide"',
      text: 'A pupil in Year 6 searched for words on the keyword list "Self-harm and suicide".',
      link: '#/alerts?alert=al-1',
    });
    assert.equal(result.recipients, 2);
    const messages = await sink.waitFor(2);
    assert.deepEqual(messages.map((m) => m.to.join(',')).sort(), ['jonah.birchwood@school.invalid', 'nigel.applegarth@school.invalid']);
    const toNigel = messages.find((m) => m.to[0] === 'nigel.applegarth@school.invalid')!;
    assert.equal(toNigel.from, 'hedgerow@school.invalid', 'the envelope sender is the configured From');
    const email = await PostalMime.parse(toNigel.raw);
    assert.equal(email.from?.address, 'hedgerow@school.invalid');
    assert.equal(email.from?.name, 'Hedgerow');
    assert.deepEqual(email.to?.map((t) => t.address), ['nigel.applegarth@school.invalid']);
    assert.equal(email.subject, 'Safeguarding alert: search matching "Self-harm and suicide"');
    assert.match(email.messageId ?? '', /^<d-[A-Za-z0-9_-]+@school\.invalid>$/);
    assert.equal(new Date(email.date!).getTime(), T0, 'dated by the injected clock');
    const header = (name: string) => email.headers.find((h) => h.key === name)?.value;
    assert.equal(header('auto-submitted'), 'auto-generated');
    assert.equal(header('x-hedgerow-kind'), 'alert.keyword');
    assert.equal(header('x-hedgerow-notification'), result.id);
    assert.match(email.text!, /searched for words on the keyword list "Self-harm and suicide"\./);
    assert.match(email.text!, /Open it in Hedgerow: http:\/\/127\.0\.0\.1:8080\/dashboard\/#\/alerts\?alert=al-1/);
    // the row is marked once the relay has taken the message
    await until(async () => (await n.center.deliveries(result.id)).every((d) => d.mailStatus === 'sent'), 'both deliveries marked sent');
  });

  it('with the relay down the mail stays queued with its error, and the next process sends it once the relay is back', async () => {
    const port = await freePort();
    const store = await stores.fresh();
    const clock = { now: T0 };
    const first = notifications(store, port, clock, new ManualTimers());
    const result = await first.center.notify({ kind: 'request.decided', to: [{ person: 'desmond.nightingale' }], subject: 'Decision on your request', text: 'Approved for class 4N.' });
    assert.deepEqual(await first.outbox!.runOnce(), { sent: 0, deferred: 1, failed: 0 });
    const waiting = await first.center.outbox({ status: 'pending' });
    assert.equal(waiting.counts.pending, 1);
    assert.match(waiting.items[0]!.lastError!, /ECONNREFUSED|ECONNECTION|ESOCKET/);
    assert.equal(waiting.items[0]!.attempts, 1);
    assert.equal(waiting.items[0]!.nextAttemptAt, T0 + 30_000);
    await first.close();

    // the relay comes back on the same port; a new process (new connection) takes over the queue
    const sink = await startSink(port);
    sinks.push(sink);
    clock.now = T0 + 30_000;
    const second = notifications(await stores.reopen(), port, clock, new ManualTimers());
    assert.deepEqual(await second.outbox!.runOnce(), { sent: 1, deferred: 0, failed: 0 });
    const [message] = await sink.waitFor(1);
    assert.deepEqual(message!.to, ['desmond.nightingale@school.invalid']);
    const email = await PostalMime.parse(message!.raw);
    assert.equal(email.subject, 'Decision on your request');
    const [delivery] = await second.center.deliveries(result.id);
    assert.deepEqual([delivery!.mailStatus, delivery!.attempts, delivery!.lastError], ['sent', 2, null]);
    assert.deepEqual(await second.outbox!.runOnce(), { sent: 0, deferred: 0, failed: 0 });
    assert.equal(sink.messages.length, 1, 'sent once');
  });

  it('a relay that refuses the recipient counts as a failure with its SMTP reply', async () => {
    const sink = await startSink();
    sinks.push(sink);
    sink.refuse.set('olive.stonechat@school.invalid', { code: 550, message: 'mailbox unavailable' });
    const store = await stores.fresh();
    const clock = { now: T0 };
    const n = notifications(store, sink.port, clock, new ManualTimers());
    await n.center.notify({ kind: 'compliance.check', to: [{ person: 'olive.stonechat' }], subject: 'Filter check failed', text: 'T' });
    assert.deepEqual(await n.outbox!.runOnce(), { sent: 0, deferred: 1, failed: 0 });
    const shown = await n.center.outbox({ status: 'pending' });
    assert.match(shown.items[0]!.lastError!, /^550: .*mailbox unavailable/);
  });
});

const postfixProblem = mailboxPostfixProblem();

describe('notification mail delivered by Postfix into a local mailbox', { skip: postfixProblem && !process.env.CI ? postfixProblem : false }, () => {
  const stores = useDialect('sqlite');
  let postfix: MailboxPostfix;
  let people: PeopleStore;
  let n: Notifications | null = null;

  before(async () => {
    if (postfixProblem) throw new Error(postfixProblem);
    postfix = await startMailboxPostfix(['nigel.applegarth']);
    people = referencePeople(stores.tmp());
  });
  after(async () => {
    await n?.close();
    people?.close();
    postfix?.stop();
  });

  it('the safeguarding lead finds the alert in their mailbox, with Postfix’s delivery headers', async () => {
    const store = await stores.fresh();
    const clock = { now: T0 };
    n = openNotifications({ store, people, config: smtpConfig(postfix.port), roleSets: () => referencePolicy().roleSets, now: () => clock.now });
    n.start();
    const result = await n.center.notify({
      kind: 'alert.category',
      to: [{ role: 'safeguarding-lead' }],
      subject: 'Safeguarding alert: blocked attempt, Self-harm and suicide',
      text: 'A pupil in Year 6 tried to reach a site in the category "Self-harm and suicide" (blocked).',
      link: '#/alerts?alert=al-2',
    });
    const mbox = await until(() => postfix.mailbox('nigel.applegarth'), 'delivery to the mailbox').catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await n!.center.deliveries(result.id))} ${JSON.stringify(n!.outbox!.stats())}\n${postfix.log()}`);
    });
    assert.match(mbox, /^From hedgerow@school\.invalid /, 'an mbox entry from the envelope sender');
    const email = await PostalMime.parse(mbox.slice(mbox.indexOf('\n') + 1));
    const header = (name: string) => email.headers.filter((h) => h.key === name).map((h) => h.value);
    assert.deepEqual(header('delivered-to'), ['nigel.applegarth@school.invalid']);
    assert.equal(header('return-path')[0], '<hedgerow@school.invalid>');
    assert.ok(header('received').some((r) => /by mx\.school\.invalid \(Postfix\)/.test(r)), 'received by the test Postfix');
    assert.equal(email.subject, 'Safeguarding alert: blocked attempt, Self-harm and suicide');
    assert.equal(header('x-hedgerow-notification')[0], result.id);
    assert.match(email.text!, /tried to reach a site in the category "Self-harm and suicide" \(blocked\)\./);
    await until(async () => (await n!.center.deliveries(result.id))[0]?.mailStatus === 'sent', 'the delivery marked sent');
  });
});
