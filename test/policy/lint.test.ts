import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, copyFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatLocation } from '../../src/errors/index.ts';
import { lintPolicy, loadPolicy, policyCoverage } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => join(root, 'test/fixtures/policy', name);

function lintLines(file: string): string[] {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    return lintPolicy(relative(root, file)).map((p) => `${formatLocation(p.where)}${p.message} [${p.code}]`);
  } finally {
    process.chdir(cwd);
  }
}

for (const name of ['bad-schema', 'bad-references', 'bad-yaml']) {
  test(`reports every problem of \`${name}.yaml\` with file, line, column and field`, () => {
    const expected = readFileSync(fixture(`${name}.expected.txt`), 'utf8').trim().split('\n');
    assert.deepEqual(lintLines(fixture(`${name}.yaml`)), expected);
  });
}

test('the reference policy lints clean', () => {
  assert.deepEqual(lintPolicy(referencePolicyPath()), []);
});

test('reports calendar problems with the field path: unknown zone, reversed term, reversed times, unknown window', () => {
  const lines = lintLines(fixture('bad-calendar.yaml'));
  const joined = lines.join('\n');
  assert.match(joined, /bad-calendar\.yaml:\d+:\d+: calendar\.timeZone: .*Europe\/Londres/);
  assert.match(joined, /calendar\.terms\[0\].*\[HR_POLICY_CALENDAR\]/);
  assert.match(joined, /calendar\.windows\.lessons\.times\[0\].*\[HR_POLICY_CALENDAR\]/);
  assert.match(joined, /calendar\.windows\.outside.*break.*\[HR_POLICY_CALENDAR\]/);
  assert.ok(lines.every((l) => /^test\/fixtures\/policy\/bad-calendar\.yaml:\d+:\d+: /.test(l)), joined);
});

test('refuses a council layer that extends a missing parent, naming the extends field', () => {
  const lines = lintLines(fixture('bad-layers.yaml'));
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /bad-layers\.yaml:5:10: extends: parent layer `missing-parent\.yaml` cannot be read \[HR_POLICY_LAYERS\]/);
  assert.match(lines[1]!, /missing-parent\.yaml: cannot read the policy: no such file \[HR_POLICY_READ\]/);
});

test('refuses a school layer that a council layer extends (layers in the wrong order)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-layers-'));
  writeFileSync(join(dir, 'school.yaml'), 'hedgerow: 1\nlayer: school\nid: s\nname: S\n');
  writeFileSync(join(dir, 'council.yaml'), 'hedgerow: 1\nlayer: council\nid: c\nname: C\nextends: school.yaml\n');
  const problems = lintPolicy(join(dir, 'council.yaml'));
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.code, 'HR_POLICY_LAYERS');
  assert.match(problems[0]!.message, /a council layer cannot extend a school layer/);
});

test('a school layer may replace an unlocked council rule by id, and the school version is the one in force', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-replace-'));
  copyFileSync(fixture('base-council.yaml'), join(dir, 'base-council.yaml'));
  writeFileSync(
    join(dir, 'council2.yaml'),
    readFileSync(fixture('base-council.yaml'), 'utf8') + '  - id: council-social\n    what: { categories: [social-networking] }\n    action: block\n    reason: Council blocks it.\n',
  );
  writeFileSync(
    join(dir, 'school.yaml'),
    'hedgerow: 1\nlayer: school\nid: s\nname: S\nextends: council2.yaml\nrules:\n  - id: council-social\n    what: { categories: [social-networking] }\n    action: warn\n    reason: School warns instead.\n',
  );
  const { policy, problems } = loadPolicy(join(dir, 'school.yaml'));
  assert.deepEqual(problems, []);
  const rules = policy!.rules.filter((r) => r.id === 'council-social');
  assert.equal(rules.length, 1);
  assert.equal(rules[0]!.action, 'warn');
  assert.equal(rules[0]!.layerKind, 'school');
});

test('a duplicated YAML key is reported at its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-dup-'));
  writeFileSync(join(dir, 'p.yaml'), 'hedgerow: 1\nlayer: school\nid: s\nname: S\nname: T\n');
  const problems = lintPolicy(join(dir, 'p.yaml'));
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.code, 'HR_POLICY_YAML');
  assert.equal(problems[0]!.where.line, 5);
});

test('coverage lists every clause of the written policy with what carries it, and no clause is left unhandled', () => {
  const { policy } = loadPolicy(referencePolicyPath());
  const rows = policyCoverage(policy!);
  const clauses = rows.map((r) => r.clause);
  for (const clause of ['1.1', '3.1', '6.1', '6.2', '6.14', '7.7', '8.1', '8.2', '8.4', '8.5', '9.4', '9.8', '10', 'council-internet-unacceptable-use', 'council-out-of-office']) {
    assert.ok(clauses.includes(clause), `coverage lacks clause ${clause}`);
  }
  const byClause = Object.fromEntries(rows.map((r) => [r.clause, r]));
  assert.ok(byClause['8.1']!.rules.includes('pupil-social-media'));
  assert.ok(byClause['8.1']!.rules.includes('pupil-wikispaces'));
  assert.ok(byClause['7.7']!.rules.includes('pupil-minimum-age'));
  assert.deepEqual(rows.filter((r) => r.gap !== null).map((r) => r.clause), []);
});

test('a field of the wrong type is reported as the wrong type, not as missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-lint-'));
  const file = join(dir, 'council.yaml');
  writeFileSync(file, 'hedgerow: 1\nlayer: council\nid: wrong-types\nname: 5\n');
  const lines = lintPolicy(file).map((p) => `${formatLocation(p.where)}${p.message}`);
  assert.ok(lines.some((line) => /:4:\d+: name: must be string$/.test(line)), lines.join('\n'));
  assert.ok(!lines.some((line) => /name: is required/.test(line)), lines.join('\n'));
});
