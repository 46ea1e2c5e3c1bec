// The CLI contract that external checks depend on, exercised through the real `bin/hedgerow.js`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/hedgerow.js');

function hedgerow(args: string[], options: { input?: string; data?: string } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, HEDGEROW_DATA: options.data ?? mkdtempSync(join(tmpdir(), 'hedgerow-cli-')) },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('check --json blocks social networking for a pupil in lesson time and cites 8.1', () => {
  const r = hedgerow(['check', 'https://www.facebook.com/', '--role', 'pupil', '--age', '9', '--at', '2026-11-24T10:15', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const decision = JSON.parse(r.stdout);
  assert.equal(decision.action, 'block');
  assert.ok(decision.clauses.includes('8.1'));
  assert.equal(decision.rule, 'pupil-social-media');
  assert.ok(decision.categories.includes('social-networking'));
  assert.equal(decision.circumvention, false);
  assert.equal(typeof decision.reason, 'string');
});

test('check prints a readable explanation naming the rule, clause, match and school time', () => {
  const r = hedgerow(['check', 'https://www.youtube.com/watch?v=x', '--role', 'teacher', '--at', '2026-11-24T10:15']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^WARN\s+www\.youtube\.com/);
  assert.match(r.stdout, /rule:\s+staff-youtube-pinterest-work-time/);
  assert.match(r.stdout, /clauses:\s+8\.1, 6\.1/);
  assert.match(r.stdout, /matched:\s+youtube\.com in starter/);
  assert.match(r.stdout, /overrides:\s+council rule council-unacceptable-categories \(block\)/);
  assert.match(r.stdout, /Tuesday 2026-11-24 10:15/);
});

test('check --batch answers each JSON line in order, and a bad line gets an error object while the batch carries on', () => {
  const lines = [
    { url: 'https://www.reddit.com/r/all', role: 'guest', at: '2026-11-24T10:15' },
    'not json',
    { url: 'https://www.bbc.co.uk/bitesize', role: 'pupil', at: '2026-11-24T10:15' },
    { url: 'https://www.facebook.com/', role: 'wizard' },
    { url: 'http://3221225994/', role: 'pupil', age: 10, at: '2026-11-24T10:15Z' },
    { url: 'https://www.facebook.com/', role: 'teacher', at: '2026-11-24T12:30', groups: ['class-4n'] },
    { url: 'https://example.com/', role: 'pupil', at: 'yesterday' },
  ];
  const input = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
  const r = hedgerow(['check', '--batch'], { input });
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.length, 7);
  assert.equal(out[0].action, 'block');
  assert.ok(out[0].clauses.includes('8.1'));
  assert.equal(out[1].error.code, 'HR_CLI_USAGE');
  assert.equal(out[2].action, 'allow');
  assert.equal(out[3].error.code, 'HR_ENGINE_QUERY');
  assert.match(out[3].error.message, /unknown role `wizard`/);
  assert.equal(out[4].action, 'block');
  assert.equal(out[4].circumvention, true);
  assert.ok(out[4].clauses.includes('8.2'));
  assert.equal(out[5].action, 'allow');
  assert.ok(out[5].clauses.includes('6.2'));
  assert.equal(out[6].error.code, 'HR_ENGINE_QUERY');
});

test('check with an unknown role exits 1 and names the roles the policy has', () => {
  const r = hedgerow(['check', 'https://example.com/', '--role', 'wizard']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown role `wizard`.*`pupil`/);
});

test('check without --role is a usage error (exit 2)', () => {
  const r = hedgerow(['check', 'https://example.com/']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--role is required/);
});

test('policy lint exits 1 with one line per problem, and 0 for the reference policy', () => {
  const bad = hedgerow(['policy', 'lint', 'test/fixtures/policy/bad-references.yaml']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout.trim().split('\n').length, 6);
  assert.match(bad.stdout, /bad-references\.yaml:13:45: rules\[0\]\.what\.categories\[1\]: unknown category `socail-networking`/);
  const good = hedgerow(['policy', 'lint', 'examples/reference/school.yaml']);
  assert.equal(good.code, 0, good.stdout + good.stderr);
});

test('policy schema prints a JSON Schema that describes rules and layers', () => {
  const r = hedgerow(['policy', 'schema']);
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout);
  assert.equal(schema.type, 'object');
  assert.ok(schema.properties.rules);
  assert.ok(schema.properties.layer);
});

test('policy coverage prints every clause with what carries it', () => {
  const r = hedgerow(['policy', 'coverage']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^8\.1 .*\n.*rules: pupil-social-media, pupil-wikispaces/m);
  assert.match(r.stdout, /council-out-of-office/);
  assert.match(r.stdout, /clauses; \d+ handled$/m);
});

test('lists import reports junk lines by number, applies the rest, and the engine uses the new list at once', () => {
  const data = mkdtempSync(join(tmpdir(), 'hedgerow-lists-'));
  const list = join(data, '..', `gambling-${process.pid}.txt`);
  writeFileSync(list, '# a comment\nbets.example\nnot a domain!\n\ncasino.example.\n');
  const imported = hedgerow(['lists', 'import', list, '--format', 'domains', '--category', 'gambling'], { data });
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stderr, /:3: .*`not a domain!`/);
  assert.match(imported.stdout, /2 domains/);
  const which = hedgerow(['lists', 'which', 'www.casino.example'], { data });
  assert.match(which.stdout, /casino\.example: custom\/gambling/);
  const check = hedgerow(['check', 'https://www.bets.example/', '--role', 'teacher', '--json'], { data });
  const decision = JSON.parse(check.stdout);
  assert.equal(decision.action, 'block');
  assert.ok(decision.categories.includes('gambling'));
  const stats = hedgerow(['lists', 'stats', '--json'], { data });
  assert.equal(stats.code, 0, stats.stderr);
});

test('lists import of a missing file changes nothing and exits 1', () => {
  const data = mkdtempSync(join(tmpdir(), 'hedgerow-lists-'));
  const r = hedgerow(['lists', 'import', join(data, 'absent.txt'), '--format', 'domains'], { data });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /HR_CATALOG_READ/);
});
