// The out-of-office and calendar-subject checks (council-out-of-office, council-outlook-calendars),
// as functions, as `hedgerow mail …` commands and as API routes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { AuditLog, migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import { checkOutOfOffice, mailCheckRoutes, SubjectChecker } from '../../src/mail/index.ts';
import { checkPermissionMatrix } from '../support/permission-matrix.ts';
import { routeHarness, type TestAccount } from '../support/route-harness.ts';
import { referenceMail, referencePolicy, rosterNames } from './helpers.ts';

const STATEMENT = 'If this is a request under the Freedom of Information Act or similar legislation, please send your request to foi@telford.gov.uk';
const mail = referenceMail();

describe('out-of-office messages carry the FOI statement (council-out-of-office)', () => {
  it('accepts a message with the statement, whatever its spacing, quotes and final full stop', () => {
    const text = `I am away until Monday 30 November.\n\n“If this is a request under the Freedom of Information Act or similar\nlegislation, please send your request to foi@telford.gov.uk.”\n\nAda`;
    const result = checkOutOfOffice(text, mail);
    assert.deepEqual([result.compliant, result.findings], [true, []]);
    assert.deepEqual(result.clauses, ['council-out-of-office']);
  });

  it('reads an HTML message as its text', () => {
    const html = `<html><body><p>Away today.</p><p>If this is a request under the <b>Freedom of Information Act</b> or similar legislation, please send your request to <a href="mailto:foi@telford.gov.uk">foi@telford.gov.uk</a></p></body></html>`;
    assert.equal(checkOutOfOffice(html, mail).compliant, true);
  });

  it('refuses a message without the statement, quoting what to add', () => {
    const result = checkOutOfOffice('I am away until Monday.', mail);
    assert.equal(result.compliant, false);
    assert.deepEqual(result.findings.map((f) => [f.code, f.clause]), [['ooo.statement-missing', 'council-out-of-office']]);
    assert.ok(result.findings[0]!.text.includes(STATEMENT));
  });

  it('refuses the address on its own, or the statement with a word missing', () => {
    assert.equal(checkOutOfOffice('FOI requests to foi@telford.gov.uk please.', mail).findings[0]!.code, 'ooo.statement-incomplete');
    const missingWord = STATEMENT.replace(' or similar legislation', '');
    assert.equal(checkOutOfOffice(missingWord, mail).compliant, false);
  });

  it('refuses another FOI address given instead of or beside the policy’s', () => {
    const result = checkOutOfOffice(`${STATEMENT}. Or write to foi@taw.org.uk.`, mail);
    assert.equal(result.compliant, false);
    assert.deepEqual(result.findings.map((f) => f.code), ['ooo.other-address']);
  });
});

describe('calendar subjects carry no personal data (council-outlook-calendars)', () => {
  const checker = new SubjectChecker(mail, rosterNames());

  it('accepts a subject without personal data', () => {
    const result = checker.check('Year 1 phonics planning');
    assert.deepEqual([result.compliant, result.findings, result.redacted], [true, [], 'Year 1 phonics planning']);
  });

  it('refuses a full name from the roster, an identifier or a postcode, and shows the subject redacted', () => {
    const result = checker.check('Review: Poppy Hazelwood, NHS 943 476 5919, home visit TF1 2AB');
    assert.equal(result.compliant, false);
    assert.deepEqual(result.findings.map((f) => [f.code, f.match]), [['pii.nhs-number', '…919'], ['pii.postcode', 'TF1 …'], ['pii.full-name', 'P. H.']]);
    assert.equal(result.redacted, 'Review: [P. H.], NHS […919], home visit [TF1 …]');
    assert.ok(result.findings.every((f) => f.clause === 'council-outlook-calendars'));
  });

  it('counts any one detector, however light its weight', () => {
    assert.equal(checker.check('Visit TF1 2AB').compliant, false);
  });

  it('is not concerned with protective markings or word lists', () => {
    assert.equal(checker.check('OFFICIAL-SENSITIVE briefing').compliant, true);
  });
});

function io(stdinText = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  return {
    io: { stdout, stderr, stdin: Readable.from([stdinText]), env: { HEDGEROW_DATA: join(tmpdir(), 'hedgerow-mail-cli-none') }, now: () => Date.parse('2026-11-24T10:15:00Z') },
    out: () => out,
    err: () => err,
  };
}

describe('hedgerow mail check-ooo and check-subject', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-mail-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for a compliant out-of-office file and 1 for one without the statement', async () => {
    writeFileSync(join(dir, 'good.txt'), `Away. ${STATEMENT}.`);
    writeFileSync(join(dir, 'bad.txt'), 'Away until Monday.');
    const good = io();
    assert.equal(await runCli(['mail', 'check-ooo', join(dir, 'good.txt')], good.io), 0);
    assert.match(good.out(), /^compliant: the Freedom of Information statement is there \(clause council-out-of-office\)/);
    const bad = io();
    assert.equal(await runCli(['mail', 'check-ooo', join(dir, 'bad.txt')], bad.io), 1);
    assert.match(bad.out(), /not compliant \(clause council-out-of-office\):\n {2}- the Freedom of Information statement is missing/);
  });

  it('reads standard input for `-` and prints JSON with --json', async () => {
    const run = io(`Back soon. ${STATEMENT}`);
    assert.equal(await runCli(['mail', 'check-ooo', '-', '--json'], run.io), 0);
    const result = JSON.parse(run.out());
    assert.equal(result.compliant, true);
    assert.equal(result.required.address, 'foi@telford.gov.uk');
  });

  it('checks a calendar subject, with names from --names', async () => {
    writeFileSync(join(dir, 'names.txt'), '# fictional people\nPoppy Hazelwood\n');
    const run = io();
    assert.equal(await runCli(['mail', 'check-subject', 'Meeting about Poppy Hazelwood', '--names', join(dir, 'names.txt')], run.io), 1);
    assert.match(run.out(), /full name P\. H\.: calendar subjects must not carry personal data/);
    assert.match(run.out(), /subject as it would be recorded: Meeting about \[P\. H\.\]/);
    const clean = io();
    assert.equal(await runCli(['mail', 'check-subject', 'Meeting about Poppy Hazelwood', '--json'], clean.io), 0, 'without the roster the name is not known');
    assert.equal(JSON.parse(clean.out()).compliant, true);
  });

  it('exits 2 on a usage error or an unreadable file', async () => {
    const none = io();
    assert.equal(await runCli(['mail', 'check-subject'], none.io), 2);
    assert.match(none.err(), /check-subject takes the subject as one argument/);
    const unknown = io();
    assert.equal(await runCli(['mail', 'check-ooo', 'x.txt', '--colour'], unknown.io), 2);
    const missing = io();
    assert.equal(await runCli(['mail', 'check-ooo', join(dir, 'missing.txt')], missing.io), 2);
    assert.match(missing.err(), /cannot read `.*missing\.txt`: no such file/);
    const sub = io();
    assert.equal(await runCli(['mail', 'check-everything'], sub.io), 2);
  });
});

describe('API: /api/mail/check-ooo, /api/mail/check-subject, /api/mail/subject-exceptions', () => {
  let store: StoreDatabase;
  let dir = '';
  let clock = Date.parse('2026-11-24T10:15:00Z');
  const policy = referencePolicy();
  const people = rosterNames().map((displayName) => ({ displayName, active: true }));
  const teacher: TestAccount = { username: 'ada.tinderbox', role: 'teacher', can: ['mail.check'] };
  const owner: TestAccount = { username: 'querida.hawthorne', role: 'information-asset-owner', can: ['mail.check', 'mail.exception.approve'] };
  let audit: AuditLog;
  let harness: Awaited<ReturnType<typeof routeHarness>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-mail-api-'));
    store = await openDatabase(`sqlite:${join(dir, 'store.db')}`);
    const migrated = await migrate(store.db);
    assert.equal(migrated.failed, undefined);
    audit = new AuditLog(store, { now: () => clock });
    harness = await routeHarness(mailCheckRoutes({ db: store, audit, engine: () => ({ policy }), people: { list: () => people }, now: () => clock }));
  });
  after(async () => {
    await harness.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks an out-of-office text', async () => {
    const answer = await harness.json({ method: 'POST', url: '/api/mail/check-ooo', as: teacher, body: { text: 'Away.' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.compliant, false);
    assert.equal(answer.body.findings[0].code, 'ooo.statement-missing');
  });

  it('checks a calendar subject against the roster in the people store', async () => {
    const answer = await harness.json({ method: 'POST', url: '/api/mail/check-subject', as: teacher, body: { subject: 'Parents of Alfie Brambleton' } });
    assert.equal(answer.status, 200);
    assert.deepEqual([answer.body.compliant, answer.body.redacted, answer.body.exception], [false, 'Parents of [A. B.]', null]);
  });

  it('lets the Information Asset Owner approve an exception, recorded and audited, after which the subject passes', async () => {
    const subject = 'Annual review: Alfie Brambleton';
    const approved = await harness.json({
      method: 'POST',
      url: '/api/mail/subject-exceptions',
      as: owner,
      body: { subject, reason: 'the family asked for the name in the invitation', owner: 'ada.tinderbox', until: clock + 30 * 86_400_000 },
    });
    assert.equal(approved.status, 201);
    assert.deepEqual(
      { by: approved.body.exception.approvedBy, shown: approved.body.exception.subjectRedacted, owner: approved.body.exception.owner, clauses: approved.body.clauses },
      { by: 'querida.hawthorne', shown: 'Annual review: [A. B.]', owner: 'ada.tinderbox', clauses: ['council-outlook-calendars'] },
    );
    const rows = await store.db.selectFrom('mail_subject_exceptions' as never).selectAll().execute();
    assert.equal(rows.length, 1);
    assert.doesNotMatch(JSON.stringify(rows), /Brambleton/, 'the subject is stored hashed and redacted only');
    const entries = await audit.entries();
    assert.deepEqual(entries.map((e) => [e.actor, e.action, e.reason]), [['querida.hawthorne', 'mail.exception.approve', 'the family asked for the name in the invitation']]);

    const mine = await harness.json({ method: 'POST', url: '/api/mail/check-subject', as: teacher, body: { subject: '  annual review:  Alfie   Brambleton ' } });
    assert.equal(mine.body.compliant, true);
    assert.equal(mine.body.exception.approvedBy, 'querida.hawthorne');
    assert.equal(mine.body.findings.length, 1, 'the findings are still shown');
    const someoneElse = await harness.json({ method: 'POST', url: '/api/mail/check-subject', as: teacher, body: { subject, owner: 'benedict.quayle' } });
    assert.equal(someoneElse.body.compliant, false, 'the exception is for one calendar');
    clock += 31 * 86_400_000;
    const later = await harness.json({ method: 'POST', url: '/api/mail/check-subject', as: teacher, body: { subject } });
    assert.equal(later.body.compliant, false, 'the exception has run out');
  });

  it('refuses an exception for a subject that needs none, or one that ends in the past', async () => {
    const none = await harness.json({ method: 'POST', url: '/api/mail/subject-exceptions', as: owner, body: { subject: 'Staff meeting', reason: 'x' } });
    assert.equal(none.status, 409);
    const past = await harness.json({ method: 'POST', url: '/api/mail/subject-exceptions', as: owner, body: { subject: 'Alfie Brambleton', reason: 'x', until: clock - 1 } });
    assert.equal(past.status, 400);
    assert.deepEqual(past.body.error.problems, [{ field: 'until', message: 'must be a time in the future (epoch milliseconds)' }]);
  });

  it('leaves approval to the role with mail.exception.approve', async () => {
    const answer = await harness.json({ method: 'POST', url: '/api/mail/subject-exceptions', as: teacher, body: { subject: 'Alfie Brambleton', reason: 'x' } });
    assert.equal(answer.status, 403);
  });

  it('gates every route by the reference access matrix, for every role', async () => {
    const report = await checkPermissionMatrix(mailCheckRoutes({ db: store, audit, engine: () => ({ policy }), people: { list: () => people }, now: () => clock }), policy);
    assert.deepEqual(report.mismatches, []);
    assert.ok(report.checked >= 3 * Object.keys(policy.roles).length);
  });
});
