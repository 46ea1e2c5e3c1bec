// `hedgerow start` with the store, the API and the mail filter wired together: an override granted
// through the API changes what the proxy does at once, and the mail filter started from the
// configuration refuses personal data leaving the council with the clause.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importList } from '../../src/catalog/index.ts';
import { authOf } from '../../src/api/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { startHedgerow, type RunningHedgerow } from '../../src/server/index.ts';
import { freePort } from '../support/free-port.ts';
import { startSink, type Sink } from '../mail-smtp/support/sink.ts';
import { SmtpTalk } from '../mail-smtp/support/smtp-talk.ts';

const reference = new URL('../../examples/reference/', import.meta.url).pathname;

/** GET through the proxy; resolves to the status code. */
function viaProxy(proxyPort: number, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: proxyPort, method: 'GET', path: url, headers: { host: new URL(url).host } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('hedgerow start with the API and the mail filter', () => {
  let dir = '';
  let running: RunningHedgerow;
  let sink: Sink;
  let origin: http.Server;
  let originPort = 0;
  let mailPort = 0;
  let base = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-start-api-'));
    cpSync(reference, join(dir, 'policy'), { recursive: true });
    // A reserved name listed as social networking (blocked for pupils by the council, 8.1), served
    // by a test origin on this machine.
    writeFileSync(join(dir, 'social.txt'), 'social.example\n');
    importList(join(dir, 'data'), join(dir, 'social.txt'), { format: 'domains', category: 'social-networking' });
    origin = http.createServer((_request, response) => response.end('lesson material'));
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originPort = (origin.address() as { port: number }).port;
    sink = await startSink();
    mailPort = await freePort();
    const config = configSchema.parse({
      policy: join(dir, 'policy', 'school.yaml'),
      dataDir: join(dir, 'data'),
      proxy: { port: 0 },
      dns: { enabled: false },
      http: { port: 0 },
      networks: [{ cidr: '127.0.0.0/8', role: 'pupil', groups: ['class-4n'] }],
      watchPolicy: false,
      mail: { beforeQueue: { port: mailPort }, relay: { port: sink.port }, quarantine: { key: randomBytes(32).toString('base64') } },
    });
    const lines: string[] = [];
    running = await startHedgerow(config, {
      log: (line) => lines.push(line),
      resolveHost: async (host) => (host.endsWith('social.example') ? ['127.0.0.1'] : []),
    });
    base = `http://127.0.0.1:${running.http.port}`;
    assert.ok(lines.some((line) => line.includes('/dashboard/#/setup?token=')), lines.join('\n'));
  });

  after(async () => {
    await running?.close();
    await sink?.close();
    origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the one-time setup link while no account exists, and the link creates the first administrator', async () => {
    const token = new URL(running.setupUrl!.replace('#/setup', 'setup')).searchParams.get('token');
    const response = await fetch(`${base}/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, username: 'ada.head', displayName: 'Ada Head', password: 'a long enough passphrase' }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    assert.equal((await (await fetch(`${base}/api/setup`)).json()).needed, false);
  });

  it('an override granted through the API lifts the block at the proxy at once, and revoking it restores the block (8.1, 8.4)', async () => {
    const target = `http://www.social.example:${originPort}/lesson`;
    assert.equal(await viaProxy(running.proxy!.address.port, target), 403);

    const signIn = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada.head', password: 'a long enough passphrase' }),
    });
    assert.ok(signIn.ok, String(signIn.status));
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };

    const granted = await fetch(`${base}/api/overrides`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 30, reason: 'class 4N studies how a social network works today' }),
    });
    assert.equal(granted.status, 201, await granted.clone().text());
    const { id } = (await granted.json()) as { id: string };
    assert.equal(await viaProxy(running.proxy!.address.port, target), 200);

    const revoked = await fetch(`${base}/api/overrides/${id}`, { method: 'DELETE', headers, body: JSON.stringify({ reason: 'lesson over' }) });
    assert.equal(revoked.status, 200, await revoked.clone().text());
    assert.equal(await viaProxy(running.proxy!.address.port, target), 403);
  });

  it('the mail filter from the configuration refuses an NHS number to an outside domain, citing the clause, and delivers it internally', async () => {
    const body = 'Subject: referral\r\nFrom: ada.head@telford.gov.uk\r\n\r\nHer NHS number is 943 476 5919.\r\n';
    const outside = await SmtpTalk.open(mailPort);
    await outside.talk.send('EHLO desk.telford.gov.uk');
    await outside.talk.send('MAIL FROM:<ada.head@telford.gov.uk>');
    await outside.talk.send('RCPT TO:<someone@external.example>');
    const refused = await outside.talk.data(`To: someone@external.example\r\n${body}`);
    assert.match(refused.text, /^550 5\.7\.1 /);
    assert.match(refused.text, /clause/i);
    await outside.talk.quit();

    const inside = await SmtpTalk.open(mailPort);
    await inside.talk.send('EHLO desk.telford.gov.uk');
    await inside.talk.send('MAIL FROM:<ada.head@telford.gov.uk>');
    await inside.talk.send('RCPT TO:<records@taw.org.uk>');
    const accepted = await inside.talk.data(`To: records@taw.org.uk\r\n${body}`);
    assert.match(accepted.text, /^250 /);
    await inside.talk.quit();
    const [delivered] = await sink.waitFor(1);
    assert.deepEqual(delivered!.to, ['records@taw.org.uk']);
  });

  it('reports the mail filter in health and mounts the quarantine routes behind sign-in', async () => {
    const health = (await (await fetch(`${base}/health`)).json()) as { points: Record<string, { listening: string }> };
    assert.equal(health.points['mail-before-queue']?.listening, `127.0.0.1:${mailPort}`);
    const quarantine = await fetch(`${base}/api/quarantine`);
    assert.equal(quarantine.status, 401);
  });
});
