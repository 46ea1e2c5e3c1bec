// The access matrix comes from the policy: the reference grants are what docs/access.md says,
// layers add grants, role sets and `*` expand, and a wrong action or role is a lint problem with
// its line and field.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AccessMatrix, ACTION_NAMES } from '../../src/access/index.ts';
import { formatLocation } from '../../src/errors/index.ts';
import { lintPolicy, loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { renderAccessDoc } from '../../scripts/access-doc.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const reference = AccessMatrix.fromPolicy(loadPolicy(referencePolicyPath()).policy!);

test('docs/access.md is what scripts/access-doc.ts prints from the reference policy', () => {
  assert.equal(readFileSync(join(root, 'docs/access.md'), 'utf8'), renderAccessDoc());
});

test('a governor sees the policy, aggregate reports and the governors\' report only, never a named child (1.1)', () => {
  assert.deepEqual(reference.actionsOf('governor'), ['session.self', 'policy.read', 'reports.aggregate', 'compliance.self', 'reports.governors']);
});

test('a pupil sees only their own decisions and may only make requests and reports (7.8, 8.4)', () => {
  assert.deepEqual(reference.actionsOf('pupil'), ['session.self', 'activity.read.own', 'requests.create']);
});

test('a teacher grants to their own classes but cannot read staff browsing, edit the policy or read the audit log', () => {
  for (const action of ['overview.read', 'activity.read.pupils', 'overrides.grant.own-classes', 'policy.read', 'policy.simulate'] as const) assert.ok(reference.can('teacher', action), action);
  for (const action of ['activity.read.staff', 'policy.edit', 'overrides.grant.any', 'audit.read', 'accounts.manage'] as const) assert.ok(!reference.can('teacher', action), action);
});

test("only the headteacher and the safeguarding lead may read a named member of staff's browsing", () => {
  assert.deepEqual(reference.roles().filter((role) => reference.can(role, 'activity.read.staff')), ['headteacher', 'safeguarding-lead']);
});

test('only an ICT officer reads or releases challenged mail; only the Information Asset Owner approves calendar exceptions', () => {
  assert.deepEqual(reference.roles().filter((role) => reference.can(role, 'quarantine.read-content')), ['ict-officer']);
  assert.deepEqual(reference.roles().filter((role) => reference.can(role, 'quarantine.release')), ['ict-officer']);
  assert.deepEqual(reference.roles().filter((role) => reference.can(role, 'mail.exception.approve')), ['information-asset-owner']);
});

test('every holder of overrides.grant.any also holds overrides.grant.own-classes', () => {
  for (const role of reference.roles()) if (reference.can(role, 'overrides.grant.any')) assert.ok(reference.can(role, 'overrides.grant.own-classes'), role);
});

test('every signed-in role holds session.self, and an unknown role holds nothing else', () => {
  for (const role of reference.roles()) assert.ok(reference.can(role, 'session.self'));
  assert.deepEqual(reference.actionsOf('no-such-role'), ['session.self']);
});

test("the council's four lawful monitoring purposes are in the reference policy", () => {
  const { policy } = loadPolicy(referencePolicyPath());
  assert.deepEqual(
    Object.values(policy!.monitoringPurposes).map((p) => p.title),
    ['Gaining routine access to business communications', 'Monitoring standards of service and training', 'Prevention or detection of crime', 'Detecting unauthorised use of the internet'],
  );
});

function layers(council: string, school: string): { dir: string; school: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-access-'));
  writeFileSync(
    join(dir, 'council.yaml'),
    `hedgerow: 1\nlayer: council\nid: test-council\nname: Test Council\nroles:\n  teacher: { staff: true }\n  governor: {}\n  pupil: { child: true }\nroleSets:\n  adults: [teacher, governor]\n${council}`,
  );
  writeFileSync(join(dir, 'school.yaml'), `hedgerow: 1\nlayer: school\nid: test-school\nname: Test School\nextends: council.yaml\n${school}`);
  return { dir, school: join(dir, 'school.yaml') };
}

test('a school layer adds grants to the council’s; role sets and `*` expand', () => {
  const { dir, school } = layers('access:\n  adults: [policy.read]\n  teacher: [overview.read]\n', 'access:\n  teacher: [policy.simulate]\n  governor: ["*"]\n');
  try {
    const { policy, problems } = loadPolicy(school);
    assert.deepEqual(problems, []);
    assert.deepEqual(policy!.access.teacher, ['overview.read', 'policy.read', 'policy.simulate']);
    assert.deepEqual(policy!.access.governor, ACTION_NAMES);
    assert.deepEqual(policy!.access.pupil, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown action and an unknown role are lint problems with line, column and field', () => {
  const { dir, school } = layers('', 'access:\n  teacher: [policy.read, policy.raed]\n');
  const { school: school2 } = layers('', 'access:\n  wizard: [policy.read]\nmonitoringPurposes:\n  crime: { title: Crime }\n');
  try {
    const lines = lintPolicy(school).map((p) => `${formatLocation({ ...p.where, file: 'school.yaml' })}${p.message} [${p.code}]`);
    assert.deepEqual(lines, ['school.yaml:7:26: access.teacher[1]: unknown action `policy.raed` (docs/access.md lists the actions) [HR_POLICY_SCHEMA]']);
    const lines2 = lintPolicy(school2).map((p) => `${formatLocation({ ...p.where, file: 'school.yaml' })}${p.message} [${p.code}]`);
    assert.deepEqual(lines2, ['school.yaml:7:11: access.wizard: access is granted to unknown role `wizard` [HR_POLICY_REFERENCE]']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(school2, '..'), { recursive: true, force: true });
  }
});
