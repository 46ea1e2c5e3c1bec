// Issue 8, section 3: a broken policy on reload. The last good policy stays in force, health shows
// degraded with the lint lines, and the roles that may edit the policy (`policy.edit` in the
// access matrix) get one notification per refused revision, whether the reload came from
// SIGHUP (`reload()`) or from the file watcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { policyEditorRoles } from '../../src/server/reload-alert.ts';
import { eventually, startStack, type Stack } from './support/fault-stack.ts';

const EDITORS = [
  { username: 'nia.network', displayName: 'Nia Network', role: 'network-manager' },
  { username: 'hal.head', displayName: 'Hal Head', role: 'headteacher' },
  { username: 'ivo.ict', displayName: 'Ivo Ict', role: 'ict-officer' },
];
const BYSTANDER = { username: 'tess.teacher', displayName: 'Tess Teacher', role: 'teacher' };

/** The school layer with one category misspelt in the named rule's `what`. */
function broken(stack: Stack, misspelling: string): string {
  const text = stack.goodSchool.replace('categories: [social-media] }\n    action: block', `categories: [${misspelling}] }\n    action: block`);
  assert.notEqual(text, stack.goodSchool, 'the fixture still has the rule this test breaks');
  return text;
}

async function refusedAlerts(stack: Stack, username: string): Promise<Array<{ subject: string; text: string }>> {
  const inbox = await stack.running.workflows.notifications.center.inbox(username);
  return inbox.items.filter((item) => item.kind === 'policy.reload-refused');
}

async function addPeople(stack: Stack): Promise<void> {
  for (const person of [...EDITORS, BYSTANDER]) stack.running.people.add(person);
}

test("the roles told of a refused reload are those holding policy.edit in the reference policy's access matrix", () => {
  const { policy } = loadPolicy(referencePolicyPath());
  assert.ok(policy);
  assert.deepEqual(policyEditorRoles(policy), ['headteacher', 'network-manager', 'ict-officer']);
});

test('a broken policy on reload keeps the last good one, shows degraded with the lint lines, and tells the policy editors once per revision', { timeout: 60_000 }, async (t) => {
  const stack = await startStack();
  try {
    await addPeople(stack);
    const before = stack.running.engine.revision;
    let faults = 0;

    writeFileSync(stack.schoolFile, broken(stack, 'socail-media'));
    faults++;
    const result = stack.running.reload();
    assert.equal(result.ok, false);
    const lint = result.problems.find((line) => /unknown category `socail-media`/.test(line));
    assert.ok(lint, result.problems.join('\n'));
    assert.match(lint, /school\.yaml:\d+:\d+: /, 'a lint line names file, line and column');

    // The last good policy is in force.
    assert.equal(stack.running.engine.revision, before);
    const blocked = await Promise.all(Array.from({ length: 10 }, (_, n) => stack.get(`http://www.facebook.com/${n}`)));
    for (const reply of blocked) assert.equal(reply.status, 403);

    const health = await stack.health();
    assert.equal(health.status, 503);
    assert.equal(health.body.status, 'degraded');
    assert.deepEqual(health.body.lastReloadProblems, result.problems);
    assert.ok(health.body.problems.some((line) => /last policy reload was refused/.test(line)));

    // Each editor is told, with the lint line; a teacher is not.
    for (const editor of EDITORS) {
      await eventually(async () => (await refusedAlerts(stack, editor.username)).length === 1, `${editor.username} is told`);
      const [alert] = await refusedAlerts(stack, editor.username);
      assert.match(alert!.subject, new RegExp(`last good policy \\(${before.replace('.', '\\.')}\\) stays in force`));
      assert.ok(alert!.text.includes(lint), alert!.text);
    }
    assert.equal((await refusedAlerts(stack, BYSTANDER.username)).length, 0);

    // The same broken revision reloaded again (SIGHUP twice, an editor saving twice): no new alert.
    for (let n = 0; n < 3; n++) {
      assert.equal(stack.running.reload().ok, false);
      faults++;
    }
    // Another broken revision: one more alert.
    writeFileSync(stack.schoolFile, broken(stack, 'socialmedia'));
    faults++;
    assert.equal(stack.running.reload().ok, false);
    await eventually(async () => (await refusedAlerts(stack, 'nia.network')).length === 2, 'a second refused revision is told');
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const editor of EDITORS) assert.equal((await refusedAlerts(stack, editor.username)).length, 2, editor.username);

    // Mended: in force, healthy again.
    writeFileSync(stack.schoolFile, stack.goodSchool);
    assert.equal(stack.running.reload().ok, true);
    const mended = await stack.health();
    assert.equal(mended.body.status, 'ok', mended.body.problems.join('\n'));
    const stored = await stack.storedFor('www.facebook.com');
    t.diagnostic(`faults injected: ${faults} refused reloads of 2 broken revisions; alerts per editor: 2; events sent 10, stored ${stored}, lost ${10 - stored}`);
    assert.equal(stored, 10);
  } finally {
    await stack.close();
  }
});

test('the file watcher refuses a broken save the same way: last good kept, degraded, editors told once', { timeout: 60_000 }, async (t) => {
  const stack = await startStack({ watchPolicy: true });
  try {
    await addPeople(stack);
    const before = stack.running.engine.revision;
    writeFileSync(stack.schoolFile, broken(stack, 'socail-media'));
    await eventually(async () => (await stack.health()).body.lastReloadProblems.length > 0, 'the watcher reloads and refuses the broken file');
    assert.equal(stack.running.engine.revision, before);
    assert.equal((await stack.get('http://www.facebook.com/watched')).status, 403);
    await eventually(async () => (await refusedAlerts(stack, 'nia.network')).length === 1, 'the network manager is told');
    // Saved again unchanged: the watcher reloads and refuses again, nobody is told twice.
    const refusals = () => stack.lines.filter((line) => line.startsWith('policy reload refused;')).length;
    const refusedBefore = refusals();
    writeFileSync(stack.schoolFile, broken(stack, 'socail-media'));
    await eventually(() => refusals() > refusedBefore, 'the watcher reloads the second save');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await refusedAlerts(stack, 'nia.network')).length, 1);
    // Mended on disk: the watcher puts it in force and health is ok again.
    writeFileSync(stack.schoolFile, stack.goodSchool);
    await eventually(async () => (await stack.health()).body.status === 'ok', 'the mended file is in force');
    const stored = await stack.storedFor('www.facebook.com');
    t.diagnostic(`faults injected: 2 (a broken save, the same save again); refused reloads by the watcher: ${refusals()}; alerts to the network manager: 1; events sent 1, stored ${stored}, lost ${1 - stored}`);
    assert.equal(stored, 1);
  } finally {
    await stack.close();
  }
});

test('regression: a damaged list file at reload is refused with the list named, where the reload used to throw (and take the server down from SIGHUP or the watcher)', { timeout: 60_000 }, async (t) => {
  const stack = await startStack({ dns: false });
  try {
    await addPeople(stack);
    mkdirSync(join(stack.dataDir, 'lists'), { recursive: true });
    writeFileSync(join(stack.dataDir, 'lists', 'damaged.tsv.gz'), 'not gzip');
    let result: ReturnType<typeof stack.running.reload> | undefined;
    assert.doesNotThrow(() => {
      result = stack.running.reload();
    });
    assert.equal(result!.ok, false);
    assert.match(result!.problems.join('\n'), /list `damaged` \(`.*damaged\.tsv\.gz`\) cannot be read: incorrect header check \[HR_CATALOG_READ\]/);
    assert.equal((await stack.get('http://www.facebook.com/')).status, 403, 'the last good catalogue and policy stay in force');
    assert.equal((await stack.health()).body.status, 'degraded');
    await eventually(async () => (await refusedAlerts(stack, 'nia.network')).length === 1, 'the network manager is told');
    const stored = await stack.storedFor('www.facebook.com');
    t.diagnostic(`faults injected: 1 (a damaged list file at reload); events sent 1, stored ${stored}, lost ${1 - stored}`);
    assert.equal(stored, 1);
  } finally {
    await stack.close();
  }
});
