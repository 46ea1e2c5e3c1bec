// The mail filter started from hedgerow.yaml's `mail` section, as `hedgerow start` would.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { AuditLog, migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import { KeyRing, Quarantine, startMailService } from '../../src/mail/index.ts';
import { freePort } from '../support/free-port.ts';
import { markerInspector } from './support/marker-inspector.ts';
import { startSink, type Sink } from './support/sink.ts';
import { SmtpTalk } from './support/smtp-talk.ts';
import { makeTestCertificate } from './support/test-certificate.ts';

describe('the mail section of hedgerow.yaml', () => {
  let tmp = '';
  let sink: Sink;
  let store: StoreDatabase;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-mail-config-'));
    sink = await startSink();
    store = await openDatabase(`sqlite:${join(tmp, 'store.db')}`);
    assert.equal((await migrate(store.db)).failed, undefined);
  });
  after(async () => {
    await sink.close();
    await store.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reports a mail section without a relay, with the field and line', () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'mail:\n  beforeQueue: { port: 10025 }\n');
    const { config, problems } = loadConfig({ file, env: {} });
    assert.equal(config, null);
    assert.ok(problems.some((p) => p.where.field === 'mail.relay' && p.where.line === 2), JSON.stringify(problems));
  });

  it('starts both filters with STARTTLS, limits and the sealed quarantine from the file', async () => {
    const cert = makeTestCertificate();
    writeFileSync(join(tmp, 'key.pem'), cert.key);
    writeFileSync(join(tmp, 'cert.pem'), cert.cert);
    writeFileSync(join(tmp, 'quarantine.key'), randomBytes(32).toString('base64'));
    const [bq, aq] = [await freePort(), await freePort()];
    const file = join(tmp, 'hedgerow.yaml');
    writeFileSync(
      file,
      [
        'mail:',
        '  name: filter.school.example',
        `  beforeQueue: { port: ${bq} }`,
        `  afterQueue: { port: ${aq} }`,
        `  relay: { port: ${sink.port} }`,
        `  tls: { key: ${join(tmp, 'key.pem')}, cert: ${join(tmp, 'cert.pem')} }`,
        '  limits: { maxRecipients: 2, maxMessageBytes: 100000 }',
        `  quarantine: { keyFile: ${join(tmp, 'quarantine.key')} }`,
        '',
      ].join('\n'),
    );
    const { config, problems } = loadConfig({ file, env: {} });
    assert.deepEqual(problems, []);
    const mail = config!.mail!;
    assert.equal(mail.afterQueueReject, 'quarantine');
    assert.equal(mail.limits.maxHeaderBytes, 100 * 1024);
    const quarantine = new Quarantine({ store, audit: new AuditLog(store), keys: KeyRing.fromConfig(mail.quarantine!) });
    const inspector = markerInspector();
    const service = await startMailService(mail, { inspector: () => inspector, quarantine, retentionMs: () => 30 * 24 * 3600_000 });
    try {
      assert.deepEqual(service.filters.map((f) => [f.mode, f.address.port]), [['before-queue', bq], ['after-queue', aq]]);
      const { talk } = await SmtpTalk.open(bq);
      const ehlo = await talk.send('EHLO client.school.example');
      assert.match(ehlo.text, /filter\.school\.example/);
      assert.match(ehlo.text, /STARTTLS/);
      assert.match(ehlo.text, /SIZE 100000/);
      await talk.quit();
      const inbound = await SmtpTalk.open(aq);
      await inbound.talk.send('EHLO mx.blocked.example');
      await inbound.talk.send('MAIL FROM:<stranger@blocked.example>');
      await inbound.talk.send('RCPT TO:<ada@school.example>');
      const reply = await inbound.talk.data('From: stranger@blocked.example\r\nSubject: hi\r\n\r\nREJECT-MARKER\r\n');
      assert.match(reply.text, /^250 2\.0\.0 held in quarantine as (q-\S+):/);
      await inbound.talk.quit();
      const id = /held in quarantine as (q-\S+):/.exec(reply.text)![1]!;
      assert.equal((await quarantine.get(id)).direction, 'inbound');
    } finally {
      await service.close();
    }
  });
});
