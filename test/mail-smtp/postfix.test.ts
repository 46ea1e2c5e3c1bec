// End to end with real Postfix on 127.0.0.1, driven by swaks, with the real inspector and the
// reference council policy: outbound mail through the before-queue proxy (the sender sees the
// refusal at send time), inbound mail through the after-queue content filter into the sealed
// quarantine. Every delivery ends at a sink in this test; nothing leaves the machine.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AuditLog, migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { createMailInspector } from '../../src/mail/index.ts';
import { KeyRing, Quarantine } from '../../src/mail/quarantine/index.ts';
import { relayMessage, startMailFilter, type MailFilter, type MailFilterEvent } from '../../src/mail/smtp/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { freePort } from '../support/free-port.ts';
import { startPostfix, swaks, type TestPostfix } from './support/postfix.ts';
import { startSink, type Sink } from './support/sink.ts';

const reference = fileURLToPath(new URL('../../examples/reference/school.yaml', import.meta.url));
const roster = fileURLToPath(new URL('../../examples/reference/roster.csv', import.meta.url));

function rosterNames(): string[] {
  return readFileSync(roster, 'utf8').split('\n').slice(1).map((line) => line.split(',')[0]!.trim()).filter(Boolean);
}

function mail(headers: Record<string, string>, body: string): string {
  return `${Object.entries({ 'Message-ID': `<${randomBytes(6).toString('hex')}@taw.org.uk>`, Date: 'Mon, 11 Jan 2027 09:30:00 +0000', ...headers }).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${body}\n`;
}

/** Resolves with the next event of the filter that matches. */
function nextEvent(events: MailFilterEvent[], waiters: Array<() => void>, match: (e: MailFilterEvent) => boolean, timeoutMs = 20_000): Promise<MailFilterEvent> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('the filter saw no such message')), timeoutMs);
    const check = () => {
      const found = events.find(match);
      if (found) {
        clearTimeout(deadline);
        resolve(found);
      } else waiters.push(check);
    };
    check();
  });
}

describe('Postfix with the Hedgerow filter in both modes', () => {
  let sink: Sink;
  let postfix: TestPostfix;
  let beforeQueue: MailFilter;
  let afterQueue: MailFilter;
  let store: StoreDatabase;
  let audit: AuditLog;
  let quarantine: Quarantine;
  let tmp = '';
  const events: MailFilterEvent[] = [];
  let waiters: Array<() => void> = [];
  const onEvent = (event: MailFilterEvent) => {
    events.push(event);
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-mail-e2e-'));
    const loaded = loadPolicy(reference);
    assert.deepEqual(loaded.problems, []);
    const mailPolicy = loaded.policy!.mail;
    assert.ok(mailPolicy, 'the reference policy has a mail section');
    const inspector = createMailInspector({ policy: mailPolicy, names: rosterNames() });
    store = await openDatabase(`sqlite:${join(tmp, 'store.db')}`);
    assert.equal((await migrate(store.db)).failed, undefined);
    audit = new AuditLog(store);
    quarantine = new Quarantine({ store, audit, keys: new KeyRing(randomBytes(32)) });
    sink = await startSink();
    // Postfix needs the filters' ports and the filters need Postfix's reinjection port: take
    // free ports for the filters first
    const ports = { before: await freePort(), after: await freePort() };
    postfix = await startPostfix({ beforeQueueFilter: ports.before, afterQueueFilter: ports.after, sink: sink.port });
    const reinject = { host: '127.0.0.1', port: postfix.ports.reinject };
    beforeQueue = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: ports.before }, relay: reinject, inspector, quarantine, name: 'filter.taw.example', onEvent });
    afterQueue = await startMailFilter({ mode: 'after-queue', listen: { host: '127.0.0.1', port: ports.after }, relay: reinject, inspector, quarantine, name: 'filter.taw.example', onEvent });
  });

  after(async () => {
    await postfix?.stop();
    await beforeQueue?.close();
    await afterQueue?.close();
    await sink?.close();
    await store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses an NHS number to an external domain at send time, citing the clause and the secure route (council email security)', async () => {
    const result = await swaks(postfix, postfix.ports.submission, { from: 'ada.tinderbox@taw.org.uk', to: ['caseworker@external.example'] }, mail(
      { From: 'Ada Tinderbox <ada.tinderbox@taw.org.uk>', To: 'caseworker@external.example', Subject: 'Referral' },
      'Please see the referral. NHS number 943 476 5919.',
    ));
    assert.notEqual(result.status, 0, result.output);
    assert.match(result.dataReply ?? '', /^550 5\.7\.1 personal data cannot be sent to `external\.example` \(clause council-email-security\)/, `${result.output}\n${postfix.log()}`);
    assert.match(result.dataReply!, /NHS number \.\.\.919/);
    assert.match(result.dataReply!, /Secure Communication System \(SCS\)/);
    assert.ok(!sink.messages.some((m) => m.to.includes('caseworker@external.example')));
  });

  it('delivers the same message to an internal domain, through Postfix to the final destination', async () => {
    const count = sink.messages.length;
    const result = await swaks(postfix, postfix.ports.submission, { from: 'ada.tinderbox@taw.org.uk', to: ['senco@telford.gov.uk'], helo: 'ada-laptop.taw.example' }, mail(
      { From: 'Ada Tinderbox <ada.tinderbox@taw.org.uk>', To: 'senco@telford.gov.uk', Subject: 'Referral' },
      'Please see the referral. NHS number 943 476 5919.',
    ));
    assert.equal(result.status, 0, result.output);
    assert.match(result.dataReply ?? '', /^250 /);
    const arrived = (await sink.waitFor(count + 1)).slice(count);
    const delivered = arrived.find((m) => m.to.includes('senco@telford.gov.uk'));
    assert.ok(delivered, 'delivered to the sink');
    assert.equal(delivered.from, 'ada.tinderbox@taw.org.uk');
    assert.match(delivered.raw.toString(), /NHS number 943 476 5919/);
    // Postfix told the filter who the client was (XFORWARD), and the filter recorded it
    const event = events.find((e) => e.mode === 'before-queue' && e.envelope.rcptTo.includes('senco@telford.gov.uk'))!;
    assert.equal(event.outcome, 'delivered');
    assert.equal(event.xforward.HELO, 'ada-laptop.taw.example');
    assert.equal(event.envelope.heloName, 'ada-laptop.taw.example');
    assert.equal(event.envelope.clientAddress, '127.0.0.1');
  });

  it('refuses council mail forwarded to a personal webmail address (council email unacceptable use)', async () => {
    const result = await swaks(postfix, postfix.ports.submission, { from: 'ada.tinderbox@taw.org.uk', to: ['ada.private@gmail.com'] }, mail(
      { From: 'Ada Tinderbox <ada.tinderbox@taw.org.uk>', To: 'ada.private@gmail.com', Subject: 'Fwd: Staff meeting', 'Auto-Submitted': 'auto-forwarded', 'X-Forwarded-To': 'ada.private@gmail.com' },
      'Forwarded message: the staff meeting moves to Thursday.',
    ));
    assert.notEqual(result.status, 0, result.output);
    assert.match(result.dataReply ?? '', /^550 5\.7\.1 council mail cannot be forwarded to the personal mailbox `ada\.private@gmail\.com` \(clause council-email-unacceptable-use\)/, result.output);
  });

  it('quarantines an inbound phishing message after the queue, and keeps it sealed until a recipient challenges', async () => {
    const count = sink.messages.length;
    const html = '<p>Your mailbox is full.</p><p><a href="http://login.blocked.example/reset">https://www.taw.org.uk/mailbox</a></p>';
    const result = await swaks(postfix, postfix.ports.inbound, { from: 'head@taw-org.uk', to: ['benedict.quayle@taw.org.uk'], helo: 'mail.blocked.example' }, mail(
      { From: '"Ada Tinderbox" <head@taw-org.uk>', To: 'benedict.quayle@taw.org.uk', Subject: 'Mailbox full: act now', 'MIME-Version': '1.0', 'Content-Type': 'text/html; charset=utf-8' },
      html,
    ));
    // Postfix queued it (its 250); the after-queue filter then judged it
    assert.equal(result.status, 0, result.output);
    const event = await nextEvent(events, waiters, (e) => e.mode === 'after-queue' && e.envelope.rcptTo.includes('benedict.quayle@taw.org.uk'));
    assert.equal(event.outcome, 'quarantined', JSON.stringify(event.verdict));
    assert.equal(event.envelope.direction, 'inbound');
    assert.ok(event.verdict!.signals.some((s) => s.name.startsWith('phish.')));
    const held = await quarantine.get(event.quarantineId!);
    assert.equal(held.mailFrom, 'head@taw-org.uk');
    assert.deepEqual(held.rcptTo, ['benedict.quayle@taw.org.uk']);
    assert.equal(held.status, 'held');
    assert.ok(held.reasons.length > 0);

    // sealed: the ICT officer cannot read it yet
    await assert.rejects(quarantine.readContent(held.id, { actor: 'ict.officer' }), (e: unknown) => e instanceof HedgerowError && e.code === 'HR_MAIL_QUARANTINE_SEALED');
    // the recipient challenges; now the officer can read it, and the read is audited
    const challenge = await quarantine.challenge(held.id, { actor: 'benedict.quayle', address: 'benedict.quayle@taw.org.uk', reason: 'I was expecting a message from IT' });
    const opened = await quarantine.readContent(held.id, { actor: 'ict.officer', challengeId: challenge.id });
    assert.match(opened.raw.toString(), /Subject: Mailbox full: act now/);
    const reads = (await audit.entries({ limit: 1000 })).filter((e) => e.action === 'quarantine.read-content' && e.subject === `quarantine:${held.id}`);
    assert.equal(reads.length, 1);
    assert.equal(reads[0]!.actor, 'ict.officer');
    assert.equal((reads[0]!.after as { challenge: string }).challenge, challenge.id);

    // never delivered; released by the officer, it goes back through Postfix to the recipient
    assert.ok(!sink.messages.slice(count).some((m) => m.to.includes('benedict.quayle@taw.org.uk')));
    await quarantine.release(held.id, { actor: 'ict.officer', reason: 'checked with the sender' }, (envelope, raw) => relayMessage({ host: '127.0.0.1', port: postfix.ports.reinject }, envelope, raw));
    const arrived = await sink.waitFor(count + 1);
    assert.ok(arrived.slice(count).some((m) => m.to.includes('benedict.quayle@taw.org.uk') && m.raw.toString().includes('Mailbox full')));
  });

  it('passes clean inbound mail through the content filter to the recipient', async () => {
    const count = sink.messages.length;
    const result = await swaks(postfix, postfix.ports.inbound, { from: 'parent@blocked.example', to: ['cordelia.marsh@taw.org.uk'] }, mail(
      { From: 'A Parent <parent@blocked.example>', To: 'cordelia.marsh@taw.org.uk', Subject: 'Sports day' },
      'Will sports day go ahead if it rains?',
    ));
    assert.equal(result.status, 0, result.output);
    const arrived = await sink.waitFor(count + 1);
    assert.ok(arrived.slice(count).some((m) => m.to.includes('cordelia.marsh@taw.org.uk')));
  });
});
