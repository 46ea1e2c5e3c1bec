// The `workflows.compliance` section of the policy file: the reference school's reads cleanly, a
// filter check must browse an http:// address, and the JSON Schema export still carries it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { complianceSchema, policyJsonSchema } from '../../src/policy/index.ts';
import { policyVersionOf } from '../../src/compliance/index.ts';
import { PolicyFiles, referencePolicy } from './fixture.ts';

describe('compliance section of the policy', () => {
  it('reads the reference school\'s training, acknowledgement, review, self-check and filter checks', () => {
    const policy = referencePolicy();
    const section = policy.workflows.compliance!;
    assert.deepEqual(Object.keys(section.training), ['at-risk-identification', 'induction', 'ongoing']);
    assert.deepEqual(section.training.induction!.roles, ['staff', 'governor']);
    assert.equal(section.selfCheck?.every, '90d');
    assert.deepEqual(section.filterChecks?.tests.map((t) => [t.id, t.expect]), [['pupil-social', 'block'], ['pupil-education', 'allow'], ['legal-block', 'block']]);
    // the check hosts are the reference school's site facts
    assert.deepEqual(policy.sites['legal.hedgerow-check.invalid']?.categories, ['legal-block']);
  });

  it('refuses a filter check that is not an http:// address and accepts a warning as the expected answer', () => {
    const base = { id: 'x', as: { role: 'teacher' }, clauses: [] };
    const https = complianceSchema.safeParse({ filterChecks: { tests: [{ ...base, url: 'https://blocked.example/', expect: 'block' }] } });
    assert.equal(https.success, false);
    assert.match(https.error!.issues[0]!.message, /http:\/\//);
    const warn = complianceSchema.safeParse({ filterChecks: { tests: [{ ...base, url: 'http://blocked.example/', expect: 'warn' }] } });
    assert.equal(warn.success, true);
  });

  it('names the school layer\'s version in the version staff accept, with a digest of what they are shown', () => {
    const files = new PolicyFiles();
    const first = policyVersionOf(files.load());
    assert.match(first.key, /^2020-autumn#[0-9a-f]{12}$/);
    assert.equal(first.policyName, 'Tibberton & St Lawrence CE Primary School Federation');
    files.edit('"6.16": { title: Do not leave devices logged in or save passwords', '"6.16": { title: Lock devices when away from them and never save passwords');
    const second = policyVersionOf(files.load());
    assert.equal(second.version, first.version);
    assert.notEqual(second.key, first.key);
  });

  it('keeps the section in the JSON Schema export for editors', () => {
    const text = JSON.stringify(policyJsonSchema());
    assert.ok(text.includes('filterChecks'));
    assert.ok(text.includes('selfCheck'));
  });
});
