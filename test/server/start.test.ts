// Hedgerow started for real: proxy, DNS filter and HTTP service on one engine, with the
// reference policy, on free ports of 127.0.0.1.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { configSchema } from '../../src/config/index.ts';
import { startHedgerow } from '../../src/server/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { ask } from '../dns/helpers.ts';
import { startFakeUpstream } from '../dns/fake-upstream.ts';

// A copy of the reference policy that the test may break and mend.
const policyDir = mkdtempSync(join(tmpdir(), 'hedgerow-start-policy-'));
copyFileSync(join(dirname(referencePolicyPath()), 'council.yaml'), join(policyDir, 'council.yaml'));
copyFileSync(referencePolicyPath(), join(policyDir, 'school.yaml'));
const schoolFile = join(policyDir, 'school.yaml');
const goodSchool = readFileSync(schoolFile, 'utf8');

const origin = http.createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end(`origin saw ${request.url}`);
});
await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
const originPort = (origin.address() as { port: number }).port;
const upstream = await startFakeUpstream();
const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-start-data-'));
const lessonTime = Date.parse('2026-11-24T10:15:00Z');
const running = await startHedgerow(
  configSchema.parse({
    policy: schoolFile,
    dataDir,
    proxy: { port: 0 },
    dns: { port: 0, upstreams: [{ host: '127.0.0.1', port: upstream.port }] },
    http: { port: 0 },
    networks: [{ cidr: '127.0.0.0/8', role: 'pupil', groups: ['class-4n'] }],
    watchPolicy: false,
  }),
  { now: () => lessonTime, log: () => undefined },
);
after(async () => {
  await running.close();
  await upstream.close();
  origin.close();
});

function viaProxy(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: running.proxy!.address.port, method: 'GET', path: url, headers: { host: target.host, accept: 'text/html', ...headers } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

test('the proxy blocks social networking for a pupil on the pupil network with the 8.1 block page', async () => {
  const response = await viaProxy('http://www.facebook.com/');
  assert.equal(response.status, 403);
  assert.match(response.body, /This page is blocked/);
  assert.match(response.body, /8\.1/);
  assert.match(response.body, /Be SMART online/);
});

test('the proxy lets an allowed request through to the origin', async () => {
  const response = await viaProxy(`http://127.0.0.1:${originPort}/hello`);
  // A pupil asking for an IP-literal host is circumvention (8.2) in the reference policy.
  assert.equal(response.status, 403);
  const local = await viaProxy(`http://localhost:${originPort}/hello`);
  assert.equal(local.status, 200, local.body);
  assert.equal(local.body, 'origin saw /hello');
});

test('the DNS filter answers a blocked name with the block page address and forwards allowed names', async () => {
  const blocked = await ask(running.dns!.address.port, 'www.facebook.com');
  assert.equal((blocked.answers?.[0] as { data?: unknown } | undefined)?.data, '127.0.0.1');
  const allowed = await ask(running.dns!.address.port, 'www.example.org');
  assert.equal((allowed.answers?.[0] as { data?: unknown } | undefined)?.data, '192.0.2.1');
  assert.equal(upstream.count('www.facebook.com'), 0, 'a blocked name is never forwarded');
});

test('a browser sent to the block address by DNS gets the block page for the name it asked for', async () => {
  const body = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: running.http.port, path: '/', headers: { host: 'www.tiktok.com' } }, (response) => {
        let text = '';
        response.on('data', (c) => (text += c));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      })
      .on('error', reject);
  });
  assert.equal(body.status, 403);
  assert.match(body.body, /www\.tiktok\.com/);
  assert.match(body.body, /action="http:\/\/127\.0\.0\.1:\d+\/block\/request-access"/);
});

test('a request for access from the block page is recorded with what was blocked, and hostile text is kept as text', async () => {
  const form = new URLSearchParams({ url: 'http://www.facebook.com/<script>', host: 'www.facebook.com', clauses: '8.1', categories: 'social-networking', message: '<img src=x onerror=alert(1)>' }).toString();
  const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: running.http.port, method: 'POST', path: '/block/request-access', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(form);
  });
  assert.equal(response.status, 200);
  assert.doesNotMatch(response.body, /<img/);
  const [request] = (await running.requests.unblock.list({ limit: 1 })).items;
  assert.equal(request!.host, 'www.facebook.com');
  assert.ok(request!.clauses.includes('8.1'));
  assert.equal(request!.reason, '<img src=x onerror=alert(1)>');
  assert.equal(request!.requesterRole, 'pupil');
});

test('a request sent with the block page ticket is recorded for whom the proxy saw, and an approval for the class opens the site at once (8.4, 8.5)', async () => {
  const page = await viaProxy('http://www.facebook.com/groups/class-4n');
  const ticket = /name="ticket" value="([^"]+)"/.exec(page.body)?.[1];
  assert.ok(ticket, 'the block page carries a ticket');
  const sent = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: running.http.port, method: 'POST', path: '/block/request-access', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(new URLSearchParams({ ticket, message: 'our class page' }).toString());
  });
  assert.equal(sent.status, 200);
  const request = (await running.requests.unblock.list({ host: 'www.facebook.com' })).items.find((r) => r.reason === 'our class page');
  assert.deepEqual([request?.requesterRole, request?.requesterGroups, request?.url], ['pupil', ['class-4n'], 'http://www.facebook.com/groups/class-4n']);
  const pupil = { role: 'pupil', groups: ['class-4n'] };
  const decide = () => running.engine.decide({ person: pupil, url: 'http://www.facebook.com/groups/class-4n', at: lessonTime, grants: running.overrides.current() });
  assert.equal(decide().action, 'block');
  const approved = await running.requests.unblock.approve(request!.id, { scope: { type: 'group', group: 'class-4n' }, duration: '1d' }, { username: 'marjorie.wychwood', role: 'headteacher', groups: [] });
  try {
    assert.equal(decide().action, 'allow');
  } finally {
    // the tests after this one expect the site blocked (and the proxy never to fetch it)
    await running.overrides.revoke(approved.approval!.grantId!, 'marjorie.wychwood', 'end of the test');
  }
  assert.equal(decide().action, 'block');
  await running.requests.sweep();
  assert.equal((await running.requests.unblock.get(request!.id))?.state, 'expired');
});

test('every decision reaches the decision log with who, where and why', async () => {
  await viaProxy('http://www.reddit.com/r/all');
  await running.log.flush();
  const events = await running.log.search({ host: 'www.reddit.com' });
  assert.equal(events.length, 1);
  assert.equal(events[0]!.action, 'block');
  assert.equal(events[0]!.point, 'proxy');
  assert.equal(events[0]!.role, 'pupil');
  assert.ok(events[0]!.clauses.includes('8.1'));
  assert.equal(events[0]!.url, 'http://www.reddit.com/r/all');
});

test('a broken policy on reload is refused with its lint messages and the last good policy stays in force', async () => {
  const before = running.engine.revision;
  writeFileSync(schoolFile, goodSchool.replace('categories: [social-media] }\n    action: block', 'categories: [socail-media] }\n    action: block'));
  const result = running.reload();
  assert.equal(result.ok, false);
  assert.match(result.problems.join('\n'), /unknown category `socail-media`/);
  assert.equal(running.engine.revision, before);
  assert.equal((await viaProxy('http://www.facebook.com/')).status, 403);
  const health = await fetch(`http://127.0.0.1:${running.http.port}/health`);
  assert.equal(health.status, 503);
  assert.equal(((await health.json()) as { status: string }).status, 'degraded');
  writeFileSync(schoolFile, goodSchool);
});

test('a good policy change takes effect on the running proxy without a restart', async () => {
  writeFileSync(schoolFile, goodSchool.replace("what: { sites: [wikispaces.com] }", "what: { sites: [wikispaces.com, www.facebook.com] }"));
  const result = running.reload();
  assert.equal(result.ok, true, result.problems.join('\n'));
  const response = await viaProxy('http://www.facebook.com/');
  assert.notEqual(response.status, 403, 'the school now allows this host for pupils');
  writeFileSync(schoolFile, goodSchool);
  assert.equal(running.reload().ok, true);
  assert.equal((await viaProxy('http://www.facebook.com/')).status, 403);
});

test('the PAC file sends browsers to the proxy and keeps local networks direct', async () => {
  const pac = await (await fetch(`http://127.0.0.1:${running.http.port}/proxy.pac`)).text();
  assert.match(pac, new RegExp(`PROXY 127\\.0\\.0\\.1:${running.proxy!.address.port}`));
  assert.match(pac, /isInNet\(ip, "10\.0\.0\.0", "255\.0\.0\.0"\)/);
  assert.equal(await (await fetch(`http://127.0.0.1:${running.http.port}/wpad.dat`)).text(), pac);
});
