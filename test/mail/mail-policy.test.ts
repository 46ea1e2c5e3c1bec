// The policy's `mail` section: how a school layer refines the council's, what the linter says
// about mistakes, and how overrides reach the inspector.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { HedgerowError } from '../../src/errors/index.ts';
import { buildSignalTable, createMailInspector, mailSignalProblems, signalNames } from '../../src/mail/index.ts';
import { lintPolicy, loadPolicy, MAIL_RULE_DEFAULTS, MAIL_RULE_IDS } from '../../src/policy/index.ts';
import { addressedTo, fixture, outbound, referenceMail, root, rosterNames } from './helpers.ts';

const council = join(root, 'examples/reference/council.yaml');

/** A school layer on top of the reference council layer, written to a temporary folder. */
function schoolLayer(mail: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-mail-policy-'));
  const file = join(dir, 'school.yaml');
  writeFileSync(file, `hedgerow: 1\nlayer: school\nid: test-school\nname: Test School\nextends: ${relative(dir, council)}\nmail:\n${mail}`);
  return file;
}

describe('layering of the mail section', () => {
  it("adds a school's domains and words to the council's lists, keeping the council's", () => {
    const file = schoolLayer(
      [
        '  internalDomains: [school.example]',
        '  webmailDomains: [freemail.example]',
        '  wordLists:',
        '    offensive:',
        '      fr: [connard]',
        '      en: [numpty]',
      ].join('\n'),
    );
    const { policy, problems } = loadPolicy(file);
    assert.deepEqual(problems, []);
    const mail = policy!.mail!;
    assert.deepEqual(mail.internalDomains, ['telford.gov.uk', 'taw.org.uk', 'school.example']);
    assert.ok(mail.webmailDomains.includes('gmail.com') && mail.webmailDomains.includes('freemail.example'));
    assert.deepEqual(mail.wordLists.offensive.fr, ['connard']);
    assert.ok(mail.wordLists.offensive.en!.includes('wanker') && mail.wordLists.offensive.en!.includes('numpty'));
  });

  it('lets a school change an unlocked rule and keeps the council clauses it does not restate', () => {
    const { policy, problems } = loadPolicy(schoolLayer('  rules:\n    bcc: { action: reject }\n'));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      { action: policy!.mail!.rules.bcc.action, clauses: policy!.mail!.rules.bcc.clauses, layer: policy!.mail!.rules.bcc.layer },
      { action: 'reject', clauses: ['council-email-acceptable-use'], layer: 'test-school' },
    );
  });

  it("refuses a school's change to a rule the council locked, pointing at the line", () => {
    const file = schoolLayer('  rules:\n    personal-data-external: { action: deliver }\n');
    const problems = lintPolicy(file);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.code, 'HR_POLICY_LOCKED');
    assert.match(problems[0]!.message, /mail rule `personal-data-external` is locked by the layer `telford-council`/);
    assert.deepEqual([problems[0]!.where.line, problems[0]!.where.field], [8, 'mail.rules.personal-data-external']);
  });

  it('reports an unknown clause, an unknown rule and an unknown field with their fields', () => {
    const clause = lintPolicy(schoolLayer('  rules:\n    bcc: { clauses: [no-such-clause] }\n'));
    assert.deepEqual(clause.map((p) => [p.code, p.where.field, p.message]), [['HR_POLICY_REFERENCE', 'mail.rules.bcc.clauses[0]', 'unknown clause `no-such-clause` (add it under `clauses`)']]);
    const rule = lintPolicy(schoolLayer('  rules:\n    bccc: { action: warn }\n'));
    assert.deepEqual(rule.map((p) => [p.code, p.message]), [['HR_POLICY_SCHEMA', 'unknown field `bccc`']]);
    const domain = lintPolicy(schoolLayer('  internalDomains: ["not a domain"]\n'));
    assert.equal(domain[0]!.where.field, 'mail.internalDomains[0]');
  });

  it('reports thresholds the wrong way round and a statement without its address', () => {
    const thresholds = lintPolicy(schoolLayer('  personalData: { warnAt: 9, rejectAt: 4 }\n'));
    assert.deepEqual(thresholds.map((p) => p.message), ['personalData.warnAt 9 is above rejectAt 4']);
    const ooo = lintPolicy(schoolLayer('  outOfOffice: { statement: "Send requests to the office please", address: foi@school.example }\n'));
    assert.deepEqual(ooo.map((p) => p.message), ['the out-of-office statement does not contain its address `foi@school.example`']);
  });

  it('has no mail section when no layer writes one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-mail-policy-'));
    writeFileSync(join(dir, 'c.yaml'), 'hedgerow: 1\nlayer: council\nid: c\nname: C\n');
    assert.equal(loadPolicy(join(dir, 'c.yaml')).policy!.mail, null);
  });
});

describe('signal overrides', () => {
  it("takes a layer's weight for a signal: one full name then refuses", async () => {
    const { policy, problems } = loadPolicy(schoolLayer('  signals:\n    pii.full-name: { weight: 5 }\n'));
    assert.deepEqual(problems, []);
    const inspector = createMailInspector({ policy: policy!.mail!, names: rosterNames() });
    const to = 'bookings@coaches.example';
    const v = await inspector.inspect(addressedTo(fixture('outbound-one-full-name.eml'), to), outbound('ada.tinderbox@taw.org.uk', to));
    assert.equal(v.action, 'reject');
    assert.equal(v.signals[0]!.weight, 5);
  });

  it('cites the clause a layer gives a signal, else the first clause of the rule it feeds', async () => {
    const inspector = createMailInspector({ policy: referenceMail(), names: rosterNames() });
    const to = 'appointments@clinic.example';
    const v = await inspector.inspect(addressedTo(fixture('outbound-nhs-number.eml'), to), outbound('ada.tinderbox@taw.org.uk', to));
    assert.equal(v.signals[0]!.clause, 'council-email-security');
    const { policy } = loadPolicy(schoolLayer('  signals:\n    pii.nhs-number: { clause: council-email-acceptable-use, description: an NHS number (health record) }\n'));
    const v2 = await createMailInspector({ policy: policy!.mail!, names: [] }).inspect(addressedTo(fixture('outbound-nhs-number.eml'), to), outbound('ada.tinderbox@taw.org.uk', to));
    assert.deepEqual([v2.signals[0]!.clause, v2.signals[0]!.description], ['council-email-acceptable-use', 'an NHS number (health record)']);
  });

  it('reports an override of a signal the catalogue does not have, and the inspector refuses to start with it', () => {
    const { policy } = loadPolicy(schoolLayer('  signals:\n    pii.shoe-size: { weight: 3 }\n'));
    const problems = mailSignalProblems(policy!.mail!);
    assert.deepEqual(problems.map((p) => [p.message, p.where.field]), [['unknown mail signal `pii.shoe-size`', 'mail.signals.pii.shoe-size']]);
    assert.throws(() => createMailInspector({ policy: policy!.mail! }), (error) => error instanceof HedgerowError && error.code === 'HR_POLICY_REFERENCE');
  });
});

describe('docs/mail-policy.md', () => {
  it('lists every signal of the catalogue with its weight and rule, and every mail rule', () => {
    const doc = readFileSync(join(root, 'docs/mail-policy.md'), 'utf8');
    const table = buildSignalTable({ ...referenceMail(), signals: {} });
    for (const name of signalNames()) {
      const info = table.get(name)!;
      const row = new RegExp(`^\\| \`${name.replace(/\./g, '\\.')}\` \\| ${info.weight} \\| ${info.feeds ?? '—'} \\|`, 'm');
      assert.match(doc, row, name);
    }
    for (const id of MAIL_RULE_IDS) assert.match(doc, new RegExp(`^\\| \`${id}\` \\| [a-z]+ \\| .* \\| ${MAIL_RULE_DEFAULTS[id]} \\|`, 'm'), id);
  });
});
