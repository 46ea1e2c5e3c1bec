// The `workflows` section: merged from the council down, role and category names checked with
// their file, line and field, alert watch-lists that a school can widen but not narrow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { formatLocation } from '../../src/errors/index.ts';
import { expandRoles, loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';

const council = `hedgerow: 1
layer: council
id: c
name: Council
roles:
  pupil: { child: true }
  teacher: { staff: true }
  headteacher: { staff: true }
  safeguarding-lead: { staff: true }
roleSets:
  staff: [teacher, headteacher, safeguarding-lead]
categories:
  adult: {}
  self-harm: {}
  gambling: {}
workflows:
  requests:
    accident: { to: [line-manager] }
  alerts:
    categories: [adult, self-harm]
    notify: [safeguarding-lead]
    keywords:
      self-harm:
        title: Self-harm
        terms: { en: [want to die] }
`;

function layers(school: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-workflows-'));
  writeFileSync(join(dir, 'council.yaml'), council);
  writeFileSync(join(dir, 'school.yaml'), `hedgerow: 1\nlayer: school\nid: s\nname: School\nextends: council.yaml\n${school}`);
  return join(dir, 'school.yaml');
}

test('a school widens the council alert categories and keyword terms but cannot narrow them', () => {
  const file = layers(`workflows:
  alerts:
    categories: [gambling]
    notify: [headteacher]
    keywords:
      self-harm:
        title: Self-harm and suicide
        terms: { en: [kill myself], cy: [eisiau marw] }
`);
  const { policy, problems } = loadPolicy(file);
  assert.deepEqual(problems, []);
  const alerts = policy!.workflows.alerts!;
  assert.deepEqual(alerts.categories, ['adult', 'self-harm', 'gambling']);
  assert.deepEqual(alerts.keywords['self-harm']!.terms, { en: ['want to die', 'kill myself'], cy: ['eisiau marw'] });
  assert.equal(alerts.keywords['self-harm']!.title, 'Self-harm and suicide');
  // who is alerted is the school's to name
  assert.deepEqual(alerts.notify, ['headteacher']);
  // sections the school does not set come from the council
  assert.deepEqual(policy!.workflows.requests!.accident!.to, ['line-manager']);
  assert.equal(policy!.workflows.incidents, null);
});

test('an unknown role or alert category in a workflow is reported with file, line and field', () => {
  const file = layers(`workflows:
  requests:
    unblock: { reviewers: [esafety-team], deciders: [headteacher] }
  alerts:
    categories: [extremism]
    notify: [safeguarding-lead]
`);
  const { policy, problems } = loadPolicy(file);
  assert.equal(policy, null);
  const lines = problems.map((p) => `${formatLocation(p.where)}${p.message} [${p.code}]`);
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /school\.yaml:8:\d+: workflows\.requests\.unblock\.reviewers\[0\]: workflow names unknown role `esafety-team` \[HR_POLICY_REFERENCE\]/);
  assert.match(lines[1]!, /school\.yaml:10:\d+: workflows\.alerts\.categories\[0\]: alerts name unknown category `extremism` \[HR_POLICY_REFERENCE\]/);
});

test('a misspelt workflow field is a schema problem naming the field', () => {
  const file = layers(`workflows:
  sanctions:
    deciders: [headteacher]
    supervisors: [teacher]
    defaultDurration: 14d
`);
  const { problems } = loadPolicy(file);
  const lines = problems.map((p) => `${formatLocation(p.where)}${p.message}`);
  assert.ok(lines.some((l) => /school\.yaml:10:\d+: .*defaultDurration/.test(l)), lines.join('\n'));
});

test('role sets in a workflow expand to their roles', () => {
  const { policy } = loadPolicy(referencePolicyPath());
  const roles = expandRoles(['staff', 'governor'], policy!.roleSets);
  assert.ok(roles.includes('teacher') && roles.includes('headteacher') && roles.includes('governor'));
  assert.ok(!roles.includes('pupil'));
});

test('the reference policy routes unblock requests to the e-safety team and the headteacher decides (8.4, 8.5)', () => {
  const { policy } = loadPolicy(referencePolicyPath());
  assert.deepEqual(policy!.workflows.requests!.unblock!.reviewers, ['esafety-team']);
  assert.deepEqual(policy!.workflows.requests!.unblock!.deciders, ['headteacher']);
  assert.deepEqual(policy!.workflows.alerts!.notify, ['safeguarding-lead']);
});
