// The filter's SMTP behaviour with a real client on 127.0.0.1: limits, STARTTLS, XFORWARD, the
// replies for each verdict, and that a message is never acknowledged and then lost. The verdicts
// here come from a marker-driven stand-in; the real detectors run in the Postfix tests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMailFilter, type MailFilter, type MailFilterEvent, type MailFilterOptions, type QuarantineSink } from '../../src/mail/smtp/index.ts';
import { freePort } from '../support/free-port.ts';
import { markerInspector, type MarkerInspector } from './support/marker-inspector.ts';
import { startSink, type Sink } from './support/sink.ts';
import { SmtpTalk } from './support/smtp-talk.ts';
import { makeTestCertificate } from './support/test-certificate.ts';

function message(body: string, headers: Record<string, string> = {}): string {
  const head = { From: 'Ada Fernleigh <ada@school.example>', To: 'someone@blocked.example', Subject: 'Test message', 'Message-ID': '<t1@school.example>', ...headers };
  return `${Object.entries(head).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}\r\n`;
}

async function envelope(talk: SmtpTalk, from: string, to: string[]): Promise<void> {
  assert.equal((await talk.send(`MAIL FROM:<${from}>`)).code, 250);
  for (const rcpt of to) assert.equal((await talk.send(`RCPT TO:<${rcpt}>`)).code, 250);
}

async function session(port: number): Promise<SmtpTalk> {
  const { talk, greeting } = await SmtpTalk.open(port);
  assert.equal(greeting.code, 220);
  assert.equal((await talk.send('EHLO client.school.example')).code, 250);
  return talk;
}

describe('before-queue filter over SMTP', () => {
  let sink: Sink;
  let filter: MailFilter;
  let inspector: MarkerInspector;
  const events: MailFilterEvent[] = [];
  const held: Array<Parameters<QuarantineSink['hold']>[0]> = [];
  const tls = makeTestCertificate();

  before(async () => {
    sink = await startSink();
    inspector = markerInspector();
    filter = await startMailFilter({
      mode: 'before-queue',
      listen: { host: '127.0.0.1', port: 0 },
      relay: { host: '127.0.0.1', port: sink.port },
      inspector,
      name: 'filter.test',
      tls,
      quarantine: {
        async hold(input) {
          held.push(input);
          return { id: `q-test-${held.length}` };
        },
      },
      limits: { maxMessageBytes: 64 * 1024, maxRecipients: 3, maxHeaderBytes: 4 * 1024, maxLineBytes: 2000, inspectTimeoutMs: 500 },
      onEvent: (event) => events.push(event),
    });
  });
  after(async () => {
    await filter.close();
    await sink.close();
  });

  it('answers EHLO with SIZE, STARTTLS, XFORWARD and enhanced status codes', async () => {
    const { talk } = await SmtpTalk.open(filter.address.port);
    const ehlo = await talk.send('EHLO client.school.example');
    assert.equal(ehlo.code, 250);
    assert.match(ehlo.text, /SIZE 65536/);
    assert.match(ehlo.text, /STARTTLS/);
    assert.match(ehlo.text, /XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE/);
    assert.match(ehlo.text, /ENHANCEDSTATUSCODES/);
    await talk.quit();
  });

  it('relays a clean message to the next hop with the same envelope and the same bytes', async () => {
    const before = sink.messages.length;
    const talk = await session(filter.address.port);
    const text = message('Minutes of the governors meeting are attached as a link.');
    await envelope(talk, 'ada@school.example', ['bo@blocked.example', 'cy@blocked.example']);
    const reply = await talk.data(text);
    assert.equal(reply.code, 250, reply.text);
    assert.match(reply.text, /^250 2\.0\.0 delivered/);
    await talk.quit();
    const [sunk] = (await sink.waitFor(before + 1)).slice(before);
    assert.equal(sunk!.from, 'ada@school.example');
    assert.deepEqual(sunk!.to, ['bo@blocked.example', 'cy@blocked.example']);
    assert.equal(sunk!.raw.toString('latin1'), text);
  });

  it('upgrades to TLS with STARTTLS and then takes mail as before', async () => {
    const before = sink.messages.length;
    const talk = await session(filter.address.port);
    await talk.startTls();
    assert.equal(talk.encrypted, true);
    assert.equal((await talk.send('EHLO client.school.example')).code, 250);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    assert.equal((await talk.data(message('sent over TLS'))).code, 250);
    await talk.quit();
    await sink.waitFor(before + 1);
  });

  it('refuses a declared SIZE over the limit at MAIL FROM with 552', async () => {
    const talk = await session(filter.address.port);
    const reply = await talk.send('MAIL FROM:<ada@school.example> SIZE=999999');
    assert.equal(reply.code, 552);
    assert.match(reply.text, /5\.3\.4/);
    await talk.quit();
  });

  it('refuses a message over the size limit with 552 5.3.4 after reading it to the end, and keeps serving', async () => {
    const before = sink.messages.length;
    const talk = await session(filter.address.port);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const big = message(`${'x'.repeat(900)}\r\n`.repeat(100));
    const reply = await talk.data(big);
    assert.equal(reply.code, 552);
    assert.match(reply.text, /^552 5\.3\.4 message exceeds the maximum size of 65536 bytes/);
    // the same session takes the next message
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    assert.equal((await talk.data(message('small'))).code, 250);
    await talk.quit();
    await sink.waitFor(before + 1);
    assert.ok(sink.messages.slice(before).every((m) => m.raw.length < 65536));
  });

  it('answers 452 4.5.3 to the recipient over the limit and keeps the ones before it', async () => {
    const talk = await session(filter.address.port);
    await envelope(talk, 'ada@school.example', ['a@blocked.example', 'b@blocked.example', 'c@blocked.example']);
    const fourth = await talk.send('RCPT TO:<d@blocked.example>');
    assert.equal(fourth.code, 452);
    assert.match(fourth.text, /^452 4\.5\.3 too many recipients: at most 3 per message/);
    const before = sink.messages.length;
    assert.equal((await talk.data(message('to three'))).code, 250);
    await talk.quit();
    const [sunk] = (await sink.waitFor(before + 1)).slice(before);
    assert.deepEqual(sunk!.to, ['a@blocked.example', 'b@blocked.example', 'c@blocked.example']);
  });

  it('refuses a malformed header with 554 5.6.0 naming the line, and serves the next message and the next client', async () => {
    const talk = await session(filter.address.port);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const broken = 'From: ada@school.example\r\nthis line is not a header\r\nSubject: x\r\n\r\nbody\r\n';
    const reply = await talk.data(broken);
    assert.equal(reply.code, 554);
    assert.match(reply.text, /^554 5\.6\.0 malformed message header at line 2: `this line is not a header` is not a header field/);
    const before = sink.messages.length;
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    assert.equal((await talk.data(message('well formed'))).code, 250);
    await talk.quit();
    const other = await session(filter.address.port);
    await envelope(other, 'ada@school.example', ['bo@blocked.example']);
    assert.equal((await other.data(message('another client'))).code, 250);
    await other.quit();
    await sink.waitFor(before + 2);
  });

  it('refuses a header over the header limit and a line over the line limit with 552', async () => {
    const talk = await session(filter.address.port);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const longHeader = await talk.data(message('body', { 'X-Padding': 'p'.repeat(5000) }));
    assert.equal(longHeader.code, 552);
    assert.match(longHeader.text, /5\.3\.4 (message header exceeds 4096 bytes|a line of the message exceeds 2000 bytes)/);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const longLine = await talk.data(message(`${'y'.repeat(3000)}`));
    assert.equal(longLine.code, 552);
    assert.match(longLine.text, /^552 5\.3\.4 a line of the message exceeds 2000 bytes/);
    await talk.quit();
  });

  it("rejects at end of DATA with the verdict's code, enhanced code and clause", async () => {
    const before = sink.messages.length;
    const talk = await session(filter.address.port);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const reply = await talk.data(message('REJECT-MARKER'));
    assert.equal(reply.code, 550);
    assert.equal(reply.text, '550 5.7.1 rejected: the message carries a reject marker (clause 9.9)');
    await talk.quit();
    assert.equal(sink.messages.length, before);
    assert.equal(events.at(-1)!.outcome, 'rejected');
  });

  it('delivers a warned message and sends the sender a notification from the null sender', async () => {
    const before = sink.messages.length;
    const talk = await session(filter.address.port);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const reply = await talk.data(message('WARN-MARKER', { Subject: 'Trip list' }));
    assert.equal(reply.code, 250);
    assert.match(reply.text, /delivered with a warning/);
    await talk.quit();
    const arrived = (await sink.waitFor(before + 2)).slice(before);
    const original = arrived.find((m) => m.to.includes('bo@blocked.example'))!;
    const notice = arrived.find((m) => m.to.includes('ada@school.example'))!;
    assert.ok(original.raw.toString().includes('WARN-MARKER'));
    assert.equal(notice.from, '');
    const text = notice.raw.toString();
    assert.match(text, /Auto-Submitted: auto-generated/);
    assert.match(text, /Subject: Your message was delivered with a warning: Trip list/);
    assert.match(text, /check the recipients \(clause 9\.9\)/);
  });

  it('holds a message the verdict quarantines, answers 250 with the reference and does not deliver it', async () => {
    const talk = await session(filter.address.port);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const before = sink.messages.length;
    const reply = await talk.data(message('HOLD-MARKER'));
    assert.equal(reply.code, 250);
    assert.match(reply.text, /^250 2\.0\.0 held in quarantine as q-test-\d+/);
    await talk.quit();
    assert.equal(held.at(-1)!.envelope.mailFrom, 'ada@school.example');
    assert.ok(Buffer.from(held.at(-1)!.raw).toString().includes('HOLD-MARKER'));
    // only the sender's notice arrives, never the held message
    const arrived = (await sink.waitFor(before + 1)).slice(before);
    assert.ok(arrived.every((m) => !m.to.includes('bo@blocked.example')));
  });

  it('answers 451 4.3.0 when the inspector fails or takes too long, so the client keeps the message', async () => {
    const before = sink.messages.length;
    const talk = await session(filter.address.port);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const failed = await talk.data(message('THROW-MARKER'));
    assert.equal(failed.code, 451);
    assert.match(failed.text, /^451 4\.3\.0 the content check failed; try again later/);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    const slow = await talk.data(message('SLOW-MARKER'));
    assert.equal(slow.code, 451);
    await talk.quit();
    assert.equal(sink.messages.length, before);
  });

  it('records the client that Postfix names with XFORWARD and hands it to the inspector', async () => {
    const talk = await session(filter.address.port);
    const xf = await talk.send('XFORWARD NAME=laptop.school.example ADDR=192.0.2.10 PROTO=ESMTP HELO=laptop.school.example');
    assert.equal(xf.code, 250);
    await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
    assert.equal((await talk.data(message('HOLD-MARKER from a laptop'))).code, 250);
    await talk.quit();
    const call = inspector.calls.at(-1)!;
    assert.equal(call.envelope.clientAddress, '192.0.2.10');
    assert.equal(call.envelope.heloName, 'laptop.school.example');
    assert.equal(call.envelope.direction, 'outbound');
    const event = events.at(-1)!;
    assert.equal(event.xforward.ADDR, '192.0.2.10');
    assert.equal(event.xforward.NAME, 'laptop.school.example');
    assert.equal(held.at(-1)!.envelope.clientAddress, '192.0.2.10');
  });

  it('disconnects a client that stays silent past the idle timeout', async () => {
    const idle = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: sink.port }, inspector, limits: { idleTimeoutMs: 200 } });
    try {
      const talk = await session(idle.address.port);
      const reply = await talk.reply();
      assert.equal(reply.code, 421);
      talk.destroy();
    } finally {
      await idle.close();
    }
  });
});

describe('before-queue filter when the next hop fails', () => {
  it('answers 451 4.4.1 while the next hop is down, and delivers once it is back', async () => {
    const relayPort = await freePort();
    const filter = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: relayPort, timeoutMs: 2000 }, inspector: markerInspector() });
    try {
      const talk = await session(filter.address.port);
      await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
      const down = await talk.data(message('while the relay is down'));
      assert.equal(down.code, 451);
      assert.match(down.text, /^451 4\.4\.1 the next hop \(127\.0\.0\.1:\d+\) did not take the message .*try again later/);
      // the client still has the message; its retry goes through once the next hop is back
      const sink = await startSink(relayPort);
      try {
        await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
        assert.equal((await talk.data(message('while the relay is down'))).code, 250);
        const [sunk] = await sink.waitFor(1);
        assert.ok(sunk!.raw.toString().includes('while the relay is down'));
      } finally {
        await sink.close();
      }
      await talk.quit();
    } finally {
      await filter.close();
    }
  });

  it('reuses its connection to the next hop between messages, and opens a new one when the next hop closed it', async () => {
    const relayPort = await freePort();
    let sink = await startSink(relayPort);
    const filter = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: relayPort }, inspector: markerInspector() });
    try {
      const talk = await session(filter.address.port);
      for (let i = 0; i < 3; i++) {
        await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
        assert.equal((await talk.data(message(`message ${i}`))).code, 250);
      }
      assert.equal(sink.messages.length, 3);
      assert.equal(sink.connections(), 1);
      // the next hop restarts: the idle connection is gone, the next message still goes through
      await sink.close();
      sink = await startSink(relayPort);
      await envelope(talk, 'ada@school.example', ['bo@blocked.example']);
      assert.equal((await talk.data(message('after the restart'))).code, 250);
      assert.equal(sink.messages.length, 1);
      await talk.quit();
    } finally {
      await filter.close();
      await sink.close();
    }
  });

  it("passes on the next hop's permanent refusal instead of accepting the message", async () => {
    const sink = await startSink();
    sink.refuse.set('nobody@blocked.example', { code: 550, message: '5.1.1 no such user' });
    const filter = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: sink.port }, inspector: markerInspector() });
    try {
      const talk = await session(filter.address.port);
      await envelope(talk, 'ada@school.example', ['nobody@blocked.example']);
      const reply = await talk.data(message('to nobody'));
      assert.equal(reply.code, 550);
      assert.match(reply.text, /the next hop refused the message: 550 5\.1\.1 no such user/);
      await talk.quit();
      assert.equal(sink.messages.length, 0);
    } finally {
      await filter.close();
      await sink.close();
    }
  });

  it('tells the sender about recipients the next hop refused while delivering to the others', async () => {
    const sink = await startSink();
    sink.refuse.set('gone@blocked.example', { code: 550, message: '5.1.1 no such user' });
    const filter = await startMailFilter({ mode: 'before-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: sink.port }, inspector: markerInspector() });
    try {
      const talk = await session(filter.address.port);
      await envelope(talk, 'ada@school.example', ['bo@blocked.example', 'gone@blocked.example']);
      assert.equal((await talk.data(message('to two'))).code, 250);
      await talk.quit();
      const arrived = await sink.waitFor(2);
      const notice = arrived.find((m) => m.to.includes('ada@school.example'))!;
      assert.match(notice.raw.toString(), /gone@blocked\.example: 550 5\.1\.1 no such user/);
    } finally {
      await filter.close();
      await sink.close();
    }
  });
});

describe('after-queue filter over SMTP', () => {
  let sink: Sink;
  const held: Array<Parameters<QuarantineSink['hold']>[0]> = [];
  const quarantine: QuarantineSink = {
    async hold(input) {
      held.push(input);
      return { id: `q-after-${held.length}` };
    },
  };
  const start = (extra: Partial<MailFilterOptions> = {}) =>
    startMailFilter({ mode: 'after-queue', listen: { host: '127.0.0.1', port: 0 }, relay: { host: '127.0.0.1', port: sink.port }, inspector: markerInspector(), quarantine, ...extra });

  before(async () => {
    sink = await startSink();
  });
  after(async () => {
    await sink.close();
  });

  it('holds inbound mail the rules reject instead of bouncing it, and treats it as inbound', async () => {
    const filter = await start();
    try {
      const talk = await session(filter.address.port);
      await envelope(talk, 'stranger@blocked.example', ['ada@school.example']);
      const reply = await talk.data(message('REJECT-MARKER'));
      assert.equal(reply.code, 250);
      assert.match(reply.text, /held in quarantine as q-after-\d+: rejected: the message carries a reject marker \(clause 9\.9\)/);
      await talk.quit();
      assert.equal(held.at(-1)!.envelope.direction, 'inbound');
      assert.equal(held.at(-1)!.mode, 'after-queue');
      assert.equal(sink.messages.length, 0);
    } finally {
      await filter.close();
    }
  });

  it('answers 5xx to Postfix (which bounces) when configured to bounce rejected mail', async () => {
    const filter = await start({ afterQueueReject: 'bounce' });
    try {
      const talk = await session(filter.address.port);
      await envelope(talk, 'stranger@blocked.example', ['ada@school.example']);
      const reply = await talk.data(message('REJECT-MARKER'));
      assert.equal(reply.code, 550);
      await talk.quit();
    } finally {
      await filter.close();
    }
  });

  it('reinjects clean inbound mail to the next hop', async () => {
    const filter = await start();
    try {
      const talk = await session(filter.address.port);
      await envelope(talk, 'parent@blocked.example', ['ada@school.example']);
      assert.equal((await talk.data(message('a note about the trip'))).code, 250);
      await talk.quit();
      const [sunk] = await sink.waitFor(1);
      assert.equal(sunk!.from, 'parent@blocked.example');
    } finally {
      await filter.close();
    }
  });

  it('answers 451 when the quarantine cannot store the message, so Postfix keeps it', async () => {
    const filter = await start({
      quarantine: {
        hold: () => Promise.reject(new Error('database down')),
      },
    });
    try {
      const talk = await session(filter.address.port);
      await envelope(talk, 'stranger@blocked.example', ['ada@school.example']);
      const reply = await talk.data(message('HOLD-MARKER'));
      assert.equal(reply.code, 451);
      assert.match(reply.text, /4\.3\.0 the quarantine cannot store the message/);
      await talk.quit();
    } finally {
      await filter.close();
    }
  });
});
