// ClamAV through a real clamd with a local EICAR signature: the client over a unix socket and over
// TCP, and the filter's handling of infected mail in both modes and of a scanner that is down.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClamdClient } from '../../src/mail/clamd.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { startMailFilter, type QuarantineSink } from '../../src/mail/smtp/index.ts';
import { freePort } from '../support/free-port.ts';
import { EICAR, EICAR_SIGNATURE, startClamd, type TestClamd } from './support/clamd.ts';
import { markerInspector } from './support/marker-inspector.ts';
import { startSink, type Sink } from './support/sink.ts';
import { SmtpTalk } from './support/smtp-talk.ts';

const clean = 'From: ada@school.example\r\nTo: bo@blocked.example\r\nSubject: Homework\r\n\r\nPlease read chapter 3.\r\n';
const inline = `From: stranger@blocked.example\r\nTo: ada@school.example\r\nSubject: Invoice\r\n\r\n${EICAR}\r\n`;
const attached = [
  'From: stranger@blocked.example',
  'To: ada@school.example',
  'Subject: Invoice attached',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain',
  '',
  'See the attachment.',
  '--b1',
  'Content-Type: application/octet-stream; name="invoice.com"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="invoice.com"',
  '',
  Buffer.from(EICAR, 'latin1').toString('base64'),
  '--b1--',
  '',
].join('\r\n');

async function send(port: number, from: string, to: string, text: string) {
  const { talk } = await SmtpTalk.open(port);
  await talk.send('EHLO client.school.example');
  await talk.send(`MAIL FROM:<${from}>`);
  await talk.send(`RCPT TO:<${to}>`);
  const reply = await talk.data(text);
  await talk.quit();
  return reply;
}

describe('clamd with a local EICAR signature', () => {
  let clamd: TestClamd;
  let sink: Sink;

  before(async () => {
    clamd = await startClamd();
    sink = await startSink();
  });
  after(async () => {
    await sink?.close();
    await clamd?.stop();
  });

  it('finds EICAR in a message body over the unix socket and passes a clean message', async () => {
    const client = createClamdClient({ socket: clamd.socket });
    const found = await client.scan(Buffer.from(inline, 'latin1'));
    assert.equal(found.infected, true);
    assert.match(found.signature!, new RegExp(`^${EICAR_SIGNATURE.replace(/\./g, '\\.')}`));
    const ok = await client.scan(Buffer.from(clean));
    assert.deepEqual(ok, { infected: false, signature: null, reply: 'stream: OK' });
  });

  it('finds EICAR inside a base64 attachment over TCP, in chunks', async () => {
    const client = createClamdClient({ host: '127.0.0.1', port: clamd.port, chunkBytes: 64 });
    const found = await client.scan(Buffer.from(attached, 'latin1'));
    assert.equal(found.infected, true);
  });

  it('reports a clamd that cannot be reached as HR_MAIL_CLAMD', async () => {
    const client = createClamdClient({ host: '127.0.0.1', port: await freePort(), timeoutMs: 2000 });
    await assert.rejects(client.scan(Buffer.from(clean)), (e: unknown) => e instanceof HedgerowError && e.code === 'HR_MAIL_CLAMD' && /clamd at `127\.0\.0\.1:\d+`/.test(e.message));
  });

  it('rejects infected outbound mail at send time with 554 5.7.1 naming the signature', async () => {
    const filter = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: sink.port }, inspector: markerInspector(), clamd: createClamdClient({ socket: clamd.socket }) });
    try {
      const before = sink.messages.length;
      const reply = await send(filter.address.port, 'ada@school.example', 'bo@blocked.example', attached);
      assert.equal(reply.code, 554);
      assert.match(reply.text, /^554 5\.7\.1 rejected: malware `Hedgerow\.Test\.EICAR[^`]*` found by ClamAV/);
      assert.equal((await send(filter.address.port, 'ada@school.example', 'bo@blocked.example', clean)).code, 250);
      await sink.waitFor(before + 1);
      assert.ok(sink.messages.slice(before).every((m) => !m.raw.toString('latin1').includes('EICAR')));
    } finally {
      await filter.close();
    }
  });

  it('quarantines infected inbound mail after the queue instead of bouncing it', async () => {
    const held: Array<Parameters<QuarantineSink['hold']>[0]> = [];
    const filter = await startMailFilter({
      mode: 'after-queue',
      listen: { host: '127.0.0.1', port: 0 },
      relay: { host: '127.0.0.1', port: sink.port },
      inspector: markerInspector(),
      clamd: createClamdClient({ host: '127.0.0.1', port: clamd.port }),
      quarantine: { hold: async (input) => (held.push(input), { id: `q-${held.length}` }) },
    });
    try {
      const reply = await send(filter.address.port, 'stranger@blocked.example', 'ada@school.example', inline);
      assert.equal(reply.code, 250);
      assert.match(reply.text, /held in quarantine as q-1: malware `Hedgerow\.Test\.EICAR/);
      assert.equal(held[0]!.verdict.reasons[0]!.rule, 'malware.clamav');
    } finally {
      await filter.close();
    }
  });

  it('answers 451 while clamd is down, or passes the mail unscanned when told to', async () => {
    const downPort = await freePort();
    const strict = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: sink.port }, inspector: markerInspector(), clamd: createClamdClient({ host: '127.0.0.1', port: downPort, timeoutMs: 1000 }) });
    const lenient = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: sink.port }, inspector: markerInspector(), clamd: createClamdClient({ host: '127.0.0.1', port: downPort, timeoutMs: 1000 }), clamdOnError: 'accept' });
    try {
      const deferred = await send(strict.address.port, 'ada@school.example', 'bo@blocked.example', clean);
      assert.equal(deferred.code, 451);
      assert.match(deferred.text, /^451 4\.3\.0 the virus scanner is unavailable; try again later/);
      assert.equal((await send(lenient.address.port, 'ada@school.example', 'bo@blocked.example', clean)).code, 250);
    } finally {
      await strict.close();
      await lenient.close();
    }
  });
});
