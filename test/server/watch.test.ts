// Changes reach the running filters without a restart: an edited policy file and a newly
// imported list are picked up by watching the files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { importList } from '../../src/catalog/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { startHedgerow } from '../../src/server/index.ts';

const policyDir = mkdtempSync(join(tmpdir(), 'hedgerow-watch-policy-'));
copyFileSync(join(dirname(referencePolicyPath()), 'council.yaml'), join(policyDir, 'council.yaml'));
copyFileSync(referencePolicyPath(), join(policyDir, 'school.yaml'));
const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-watch-data-'));
const running = await startHedgerow(
  configSchema.parse({ policy: join(policyDir, 'school.yaml'), dataDir, proxy: { enabled: false }, dns: { enabled: false }, http: { port: 0 }, watchPolicy: true }),
  { log: () => undefined },
);
after(() => running.close());

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`not within 5 s: ${what}`);
}

const teacherAt = (url: string) => running.engine.decide({ person: { role: 'teacher' }, url, at: Date.parse('2026-11-28T12:00:00Z') });

test('a list imported by another process is in force within seconds', async () => {
  assert.equal(teacherAt('https://bets.example/').action, 'allow');
  const list = join(dataDir, 'gambling.txt');
  writeFileSync(list, 'bets.example\n');
  importList(dataDir, list, { format: 'domains', category: 'gambling' });
  await eventually(() => teacherAt('https://bets.example/').action === 'block', 'the imported gambling list blocks bets.example');
});

test('an edited policy file is in force within seconds', async () => {
  const file = join(policyDir, 'school.yaml');
  const text = readFileSync(file, 'utf8');
  assert.equal(running.engine.decide({ person: { role: 'pupil', age: 9 }, url: 'https://www.bbc.co.uk/', at: Date.now() }).action, 'allow');
  writeFileSync(file, text.replace('\ncircumvention:\n', '\n  - id: pupil-no-bbc\n    clauses: ["8.3"]\n    who: { roles: [pupil] }\n    what: { sites: [bbc.co.uk] }\n    action: block\n    reason: Reported and blocked.\n\ncircumvention:\n'));
  await eventually(() => running.engine.decide({ person: { role: 'pupil', age: 9 }, url: 'https://www.bbc.co.uk/', at: Date.now() }).rule === 'pupil-no-bbc', 'the new school rule blocks bbc.co.uk for pupils');
});
