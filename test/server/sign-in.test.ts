// Who is browsing, end to end: roster people sign in to the proxy with Basic authentication, and
// the decision uses their role, groups and age; wrong passwords get 407.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { configSchema } from '../../src/config/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { startHedgerow } from '../../src/server/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-signin-'));
const { policy } = loadPolicy(referencePolicyPath());
const store = PeopleStore.open(dataDir);
const rosterFile = join(dirname(referencePolicyPath()), 'roster.csv');
const imported = store.importRoster(readFileSync(rosterFile, 'utf8'), {
  file: rosterFile,
  policy: { roles: Object.keys(policy!.roles), groups: Object.keys(policy!.groups), childRoles: ['pupil'] },
  timeZone: 'Europe/London',
});
assert.deepEqual(imported.problems, []);
await store.setPassword('mabel.foxglove', 'correct horse battery');
store.close();

const lessonTime = Date.parse('2026-11-24T10:15:00Z');
const running = await startHedgerow(
  configSchema.parse({ dataDir, proxy: { port: 0, requireAuth: true }, dns: { enabled: false }, http: { port: 0 }, watchPolicy: false }),
  { now: () => lessonTime, log: () => undefined },
);
after(() => running.close());

function get(url: string, credentials?: string): Promise<number> {
  const target = new URL(url);
  const headers: Record<string, string> = { host: target.host };
  if (credentials) headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port: running.proxy!.address.port, path: url, headers, agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject)
      .end();
  });
}

test('without credentials the proxy asks for them (407)', async () => {
  assert.equal(await get('http://www.facebook.com/'), 407);
});

test('a wrong password is refused with 407 and never reaches the engine', async () => {
  assert.equal(await get('http://www.facebook.com/', 'mabel.foxglove:wrong'), 407);
});

test("a signed-in pupil's decision carries her username, role and class", async () => {
  assert.equal(await get('http://www.facebook.com/', 'mabel.foxglove:correct horse battery'), 403);
  await running.log.flush();
  const [event] = await running.log.search({ person: 'mabel.foxglove' });
  assert.equal(event!.role, 'pupil');
  assert.ok(event!.groups.includes('class-6s'));
  assert.ok(event!.clauses.includes('8.1'));
});
