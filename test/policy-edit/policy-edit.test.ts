// Editing the school layer as the dashboard does: comments and order kept, only the edited text
// changes, locked/legal and other layers' rules refused with the reason, and a broken edit refused
// with the linter's lines while the file stays exactly as it was (8.3: reported sites are added
// to the school's block list).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { applyPolicyEdit, editPolicyFile, PolicyEditError } from '../../src/policy-edit/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('policy edits', () => {
  let dir = '';
  let file = '';
  let original = '';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-policy-edit-'));
    cpSync(fixtures, dir, { recursive: true });
    file = join(dir, 'school.yaml');
    original = readFileSync(file, 'utf8');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const text = () => readFileSync(file, 'utf8');
  const changedLines = (after: string) => {
    const before = original.split('\n');
    return after.split('\n').filter((line, i) => line !== before[i]);
  };
  const refused = (code: string, pattern?: RegExp) => (e: unknown) => e instanceof PolicyEditError && e.code === code && (!pattern || pattern.test(e.message));

  it('adding a reported site to a block list keeps every comment, including the one on the list item (8.3)', async () => {
    const result = await editPolicyFile(file, { kind: 'change', rule: 'reported-sites', sites: { add: ['https://Reported-Three.example/path'] } });
    assert.equal(result.changed, true);
    assert.deepEqual(result.before?.what, { sites: ['reported-one.example', 'reported-two.example'] });
    assert.deepEqual(result.after?.what, { sites: ['reported-one.example', 'reported-two.example', 'reported-three.example'] });
    const now = text();
    assert.match(now, /        - reported-one\.example   # reported in assembly\n        - reported-two\.example\n        - reported-three\.example\n/);
    for (const comment of original.split('\n').filter((l) => l.includes('#'))) assert.ok(now.includes(comment), `comment lost: ${comment}`);
    assert.deepEqual(loadPolicy(file).problems, []);
  });

  it('changes a flow list and an action in place, touching only their own line', async () => {
    await editPolicyFile(file, { kind: 'change', rule: 'pupil-social', action: 'warn' });
    assert.deepEqual(changedLines(text()), ['    action: warn']);
  });

  it('a removed site leaves the rest of the list in order', async () => {
    await editPolicyFile(file, { kind: 'change', rule: 'reported-sites', sites: { remove: ['reported-one.example'] } });
    assert.equal(loadPolicy(file).policy!.rules.find((r) => r.id === 'reported-sites')!.what.sites!.join(), 'reported-two.example');
    assert.ok(text().includes('# the end of the rules'));
  });

  it('refuses a locked school rule, explaining why, and leaves the file alone', async () => {
    await assert.rejects(editPolicyFile(file, { kind: 'change', rule: 'school-locked-allow', sites: { add: ['more.example'] } }), refused('HR_POLICY_EDIT_LOCKED', /is locked/));
    assert.equal(text(), original);
  });

  it("refuses the council's rules, naming the layer, and says when a rule is a legal list", async () => {
    await assert.rejects(editPolicyFile(file, { kind: 'change', rule: 'council-games', action: 'allow' }), refused('HR_POLICY_EDIT_LAYER', /belongs to the council layer `test-council` \(Test Council\)/));
    await assert.rejects(editPolicyFile(file, { kind: 'delete', rule: 'council-legal' }), refused('HR_POLICY_EDIT_LAYER', /legal list, which no school may change/));
    assert.equal(text(), original);
  });

  it('refuses to replace a locked council rule with a school rule of the same id', async () => {
    const rule = { id: 'council-malware', what: { categories: ['malware'] }, action: 'allow' as const, reason: 'Let it through.' };
    await assert.rejects(editPolicyFile(file, { kind: 'add', rule }), refused('HR_POLICY_EDIT_LOCKED', /cannot replace it/));
    assert.equal(text(), original);
  });

  it("refuses a broken edit with the linter's lines and leaves the file exactly as it was", async () => {
    const rule = { id: 'pupil-games', clauses: ['9.9'], who: { roles: ['pupil'], groups: ['year-9'] }, what: { categories: ['games'] }, action: 'allow' as const, reason: 'Games for pupils.' };
    let error: PolicyEditError | null = null;
    try {
      await editPolicyFile(file, { kind: 'add', rule });
    } catch (e) {
      error = e as PolicyEditError;
    }
    assert.ok(error instanceof PolicyEditError);
    assert.equal(error.code, 'HR_POLICY_EDIT_LINT');
    const lines = error.problems.map((p) => p.message);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /school\.yaml:\d+:\d+: rules\[3\]\.clauses\[0\]: unknown clause `9\.9` \(add it under `clauses`\) \[HR_POLICY_REFERENCE\]$/);
    assert.match(lines[1]!, /school\.yaml:\d+:\d+: rules\[3\]\.who\.groups\[0\]: unknown group `year-9` \[HR_POLICY_REFERENCE\]$/);
    assert.ok(!lines.some((l) => l.includes('.edit-')), 'lint lines name the real file, not the temporary one');
    assert.equal(text(), original);
    assert.deepEqual(readdirSync(dir).sort(), ['council.yaml', 'school.yaml'], 'no temporary file is left behind');
  });

  it('emptying a rule of its only sites is refused by the linter: the rule would match nothing', async () => {
    await assert.rejects(editPolicyFile(file, { kind: 'change', rule: 'reported-sites', sites: { remove: ['reported-one.example', 'reported-two.example'] } }), refused('HR_POLICY_EDIT_LINT'));
    assert.equal(text(), original);
  });

  it('refuses to give sites to a rule that matches by category, since that would narrow the block to those sites (8.1)', async () => {
    await assert.rejects(
      editPolicyFile(file, { kind: 'change', rule: 'pupil-social', sites: { add: ['chat.example'] } }),
      (e: unknown) => e instanceof PolicyEditError && e.code === 'HR_POLICY_EDIT_INPUT' && /narrow/.test(e.problems.map((p) => p.message).join()),
    );
    assert.equal(text(), original);
  });

  it('refuses to remove a site the rule does not have, and an entry that is not a host', async () => {
    await assert.rejects(
      editPolicyFile(file, { kind: 'change', rule: 'reported-sites', sites: { remove: ['reported-nine.example'], add: ['not a host'] } }),
      (e: unknown) => e instanceof PolicyEditError && e.code === 'HR_POLICY_EDIT_INPUT' && e.problems.map((p) => p.field).join() === 'sites.add[0],sites.remove[0]',
    );
    assert.equal(text(), original);
  });

  it("deleting a rule takes its own comment with it and keeps the next rule's", async () => {
    await editPolicyFile(file, { kind: 'delete', rule: 'pupil-social' });
    const now = text();
    assert.ok(now.includes('rules:\n  # sites reported by staff and blocked by the headteacher (8.3)\n  - id: reported-sites'));
    assert.ok(!now.includes('pupil-social') && !now.includes('the blanket social block'));
    assert.ok(now.includes('# the end of the rules'));
    assert.deepEqual(loadPolicy(file).problems, []);
  });

  it('an unknown rule is reported as unknown', async () => {
    await assert.rejects(editPolicyFile(file, { kind: 'delete', rule: 'no-such-rule' }), refused('HR_POLICY_EDIT_UNKNOWN_RULE'));
  });

  it('adds a school rule after the last one in the house style, and deletes it again back to the original text', async () => {
    const rule = { id: 'pupil-games-lessons', clauses: ['8.1'], who: { roles: ['pupil'] }, what: { categories: ['games'] }, action: 'block' as const, reason: 'Not in lessons: ask your teacher.' };
    const added = await editPolicyFile(file, { kind: 'add', rule });
    assert.equal(added.replaces, null);
    assert.match(text(), /reason: Always allowed for lessons\.\n\n  - id: pupil-games-lessons\n    clauses: \["8\.1"\]\n    who: \{ roles: \[pupil\] \}\n    what: \{ categories: \[games\] \}\n    action: block\n    reason: "Not in lessons: ask your teacher\."\n\n# the end of the rules/);
    const deleted = await editPolicyFile(file, { kind: 'delete', rule: 'pupil-games-lessons' });
    assert.deepEqual(deleted.before, { id: 'pupil-games-lessons', clauses: ['8.1'], who: { roles: ['pupil'] }, what: { categories: ['games'] }, action: 'block', reason: 'Not in lessons: ask your teacher.' });
    assert.equal(text(), original);
  });

  it("a school rule may replace an unlocked council rule of the same id, and says which", async () => {
    const rule = { id: 'council-games', what: { categories: ['games'] }, action: 'warn' as const, reason: 'Games only at break.' };
    const result = await editPolicyFile(file, { kind: 'add', rule });
    assert.equal(result.replaces?.layerId, 'test-council');
    assert.equal(loadPolicy(file).policy!.rules.find((r) => r.id === 'council-games')!.action, 'warn');
  });

  it('an edit that asks for what the file already says writes nothing', async () => {
    const result = await editPolicyFile(file, { kind: 'change', rule: 'pupil-social', action: 'block' });
    assert.equal(result.changed, false);
    assert.equal(text(), original);
  });

  it('edits made at the same time are applied one after the other, none lost', async () => {
    const sites = ['a.example', 'b.example', 'c.example', 'd.example'];
    await Promise.all(sites.map((site) => editPolicyFile(file, { kind: 'change', rule: 'reported-sites', sites: { add: [site] } })));
    assert.deepEqual(loadPolicy(file).policy!.rules.find((r) => r.id === 'reported-sites')!.what.sites, ['reported-one.example', 'reported-two.example', ...sites]);
  });

  it('falls back to writing the whole document, comments kept, when the text cannot be changed in place', () => {
    // a block-style `what` losing its `sites` key is not rewritten by hand; the yaml library
    // writes the document instead
    const source = 'hedgerow: 1\nlayer: school\nid: s\nname: S\n# keep me\nrules:\n  - id: r\n    what:\n      categories: [games]\n      sites: [one.example]\n    action: block\n    reason: R.\n';
    const result = applyPolicyEdit(source, { kind: 'change', rule: 'r', sites: { remove: ['one.example'] } }, [], 'the school layer');
    assert.equal(result.surgical, false);
    assert.ok(result.text.includes('# keep me'));
    assert.deepEqual(result.after?.what, { categories: ['games'] });
  });

  it('refuses to edit sites written through a YAML alias rather than guess', () => {
    const source = 'hedgerow: 1\nlayer: school\nid: s\nname: S\nx-list: &list [one.example]\nrules:\n  - id: r\n    what: { sites: *list }\n    action: block\n    reason: R.\n';
    assert.throws(() => applyPolicyEdit(source, { kind: 'change', rule: 'r', sites: { add: ['two.example'] } }, [], 'the school layer'), refused('HR_POLICY_EDIT_INPUT'));
  });
});
