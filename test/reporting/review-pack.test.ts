// The annual review evidence pack: its period, the overrides read from a real override store,
// the four CSV files parsed back (header rows, RFC 4180 quoting, formula cells made inert, no
// pupil named, small incident counts hidden) and the PDF summary read back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { AuditLog, migrate, openDatabase, storeMigrations, type StoreDatabase } from '../../src/db/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { OverrideStore } from '../../src/overrides/index.ts';
import {
  buildReviewPack,
  checkLogCsv,
  incidentsCsv,
  isoInZone,
  overridesCsv,
  registerCsv,
  renderReviewPackPdf,
  reviewPeriod,
  type CheckLogEntry,
  type RegisterEntry,
  type ReviewPack,
} from '../../src/reporting/index.ts';
import { madeSources, pdfPages, pdfTextPages, pdfTitle, referencePolicy, rosterPupils } from './fixtures.ts';

const policy = referencePolicy();
const DAY = 86_400_000;
const NOW = Date.parse('2027-07-25T12:00:00Z');
const pupil = rosterPupils()[0]!;
const FORMULAS = ['=HYPERLINK("http://blocked.example")', '+1', '-2+3', '@SUM(A1)'];

function made(period: { from: number; to: number }) {
  const at = (days: number) => period.from + days * DAY + 10 * 3_600_000;
  const register: RegisterEntry[] = [
    {
      id: 'req-1',
      requestedAt: at(3),
      decidedAt: at(5),
      site: 'games.blocked.example',
      categories: ['games'],
      decision: 'approved',
      scope: { kind: 'group', id: 'class-4n' },
      until: at(40),
      recommendation: 'approve',
      decidedBy: 'Marjorie Wychwood',
      reason: 'Maths games for the times tables, "approved" for one half term, then review',
      clauses: ['8.4', '8.5'],
    },
    {
      id: 'req-2',
      requestedAt: at(10),
      decidedAt: at(12),
      site: FORMULAS[0]!,
      categories: ['social-networking'],
      decision: 'declined',
      scope: null,
      until: null,
      recommendation: 'decline',
      decidedBy: 'Marjorie Wychwood',
      reason: 'Social networking stays blocked for pupils (8.1),\r\nas the policy says',
      clauses: ['8.5'],
    },
    ...FORMULAS.slice(1).map(
      (text, i): RegisterEntry => ({
        id: `req-f${i}`,
        requestedAt: at(20 + i),
        decidedAt: at(21 + i),
        site: 'video.blocked.example',
        categories: ['video-audio'],
        decision: 'approved',
        scope: { kind: 'requester' },
        until: at(22 + i),
        recommendation: null,
        decidedBy: 'Marjorie Wychwood',
        reason: text,
        clauses: ['8.5'],
      }),
    ),
  ];
  const checkLog: CheckLogEntry[] = [];
  for (let d = 0; d < 30; d++) {
    for (const test of policy.workflows.compliance!.filterChecks!.tests) {
      const passed = !(test.id === 'legal-block' && d === 7);
      checkLog.push({ at: at(d), test: test.id, url: test.url, as: test.as.role, path: 'proxy', expected: test.expect, got: passed ? test.expect : 'allow', passed, detail: passed ? null : 'the legal list was not loaded' });
    }
  }
  return { register, checkLog };
}

describe('the review period', () => {
  it("defaults to the school year the calendar describes, in the school's time zone", () => {
    const period = reviewPeriod(policy, {}, NOW);
    assert.deepEqual([period.start, period.end, period.timeZone], ['2026-09-02', '2027-07-21', 'Europe/London']);
    assert.equal(period.from, Date.parse('2026-09-01T23:00:00Z'));
    assert.equal(period.to, Date.parse('2027-07-21T23:00:00Z'));
  });

  it('takes the dates given, the last one inclusive, and a year from either when only one is given', () => {
    assert.deepEqual(
      [reviewPeriod(policy, { from: '2026-10-01', to: '2026-10-31' }, NOW)].map((p) => [p.start, p.end]),
      [['2026-10-01', '2026-10-31']],
    );
    const fromOnly = reviewPeriod(policy, { from: '2026-10-01' }, NOW);
    assert.deepEqual([fromOnly.start, fromOnly.end], ['2026-10-01', '2027-09-30']);
    const toOnly = reviewPeriod(policy, { to: '2027-03-31' }, NOW);
    assert.deepEqual([toOnly.start, toOnly.end], ['2026-04-01', '2027-03-31']);
  });

  it('is the 365 days to today when the policy has no calendar', () => {
    const period = reviewPeriod({ calendar: null }, {}, NOW);
    assert.deepEqual([period.start, period.end, period.timeZone], ['2026-07-26', '2027-07-25', 'UTC']);
  });

  it('refuses dates that are not dates, a period that ends before it starts and one longer than two years', () => {
    const code = (run: () => unknown, field: string) =>
      assert.throws(run, (e: unknown) => e instanceof HedgerowError && e.code === 'HR_REPORTING_PERIOD' && e.httpStatus === 400 && e.where?.field === field);
    code(() => reviewPeriod(policy, { from: '2026-02-30' }, NOW), 'from');
    code(() => reviewPeriod(policy, { to: 'yesterday' }, NOW), 'to');
    code(() => reviewPeriod(policy, { from: '2027-01-02', to: '2027-01-01' }, NOW), 'from');
    code(() => reviewPeriod(policy, { from: '2020-01-01', to: '2027-01-01' }, NOW), 'to');
  });
});

describe('the evidence pack', () => {
  let tmp = '';
  let store: StoreDatabase;
  let overrides: OverrideStore;
  let pack: ReviewPack;
  const period = reviewPeriod(policy, {}, NOW);
  let clock = period.from - 30 * DAY;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-review-'));
    store = await openDatabase(`sqlite:${join(tmp, 'hedgerow.db')}`);
    const migrated = await migrate(store.db, storeMigrations.filter((m) => m.name.startsWith('001')));
    if (migrated.failed) throw migrated.failed.error;
    const audit = new AuditLog(store, { now: () => clock });
    overrides = new OverrideStore({ store, audit, now: () => clock });
    // before the period, ended before it: left out
    await overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['old.blocked.example'] }, from: clock, until: clock + 2 * DAY, reason: 'summer club' }, 'desmond.nightingale');
    // granted before the period, running into it: in
    await overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['maths.blocked.example'] }, from: clock, until: period.from + 10 * DAY, reason: 'times tables' }, 'desmond.nightingale');
    clock = period.from + 40 * DAY;
    // one pupil by name: the pack counts the person, never names them
    await overrides.create({ kind: 'unblock', scope: { people: [pupil.username] }, what: { categories: ['games'] }, minutes: 60 * 24 * 7, reason: '@once: a named pupil' }, 'marjorie.wychwood');
    clock += 60_000;
    const revoked = await overrides.create({ scope: { roles: ['pupil'] }, what: { sites: ['video.blocked.example'] }, minutes: 600, reason: 'assembly video' }, 'marjorie.wychwood');
    clock += 3_600_000;
    await overrides.revoke(revoked.id, 'marjorie.wychwood', 'shown already');
    clock = period.to + DAY;
    // after the period: left out
    await overrides.create({ scope: { groups: ['year-5'] }, what: { sites: ['later.blocked.example'] }, minutes: 60, reason: 'next year' }, 'eleanor.mossbank');
    const rows = made(period);
    pack = await buildReviewPack({
      policy,
      period,
      now: NOW,
      overrides,
      incidents: madeSources().incidents,
      sources: { register: async () => [...rows.register].reverse(), checkLog: async () => rows.checkLog },
    });
  });
  after(async () => {
    overrides?.close();
    await store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('holds the overrides in force at some time in the period, revoked ones included, oldest first', () => {
    assert.deepEqual(pack.overrides.map((o) => o.reason), ['times tables', '@once: a named pupil', 'assembly video']);
    assert.equal(pack.overrides[2]!.state, 'revoked');
  });

  it('writes the decision register as CSV with a header row, every decision in order, quoting and formulas made safe', () => {
    const text = registerCsv(pack, policy);
    assert.ok(text.endsWith('\r\n'));
    const rows = parse(text) as string[][];
    assert.deepEqual(rows[0], ['decided_at', 'requested_at', 'site', 'categories', 'decision', 'scope', 'until', 'recommendation', 'decided_by', 'reason', 'clauses', 'request_id']);
    const entries = made(period).register;
    assert.deepEqual(rows.slice(1).map((r) => r[11]), entries.map((e) => e.id), 'oldest decision first');
    const first = rows[1]!;
    assert.equal(first[0], isoInZone(entries[0]!.decidedAt, 'Europe/London'));
    assert.match(first[0]!, /^2026-09-07T10:00:00\+01:00$/);
    assert.equal(first[5], policy.groups['class-4n']!.title);
    assert.equal(first[9], entries[0]!.reason, 'commas and quotes come back whole');
    assert.equal(rows[2]![2], `'${FORMULAS[0]}`, 'a formula in a site is made inert');
    assert.equal(rows[2]![9], entries[1]!.reason, 'a line break inside a reason comes back whole');
    assert.equal(rows[2]![5], '', 'a decline has no scope');
    for (const [i, formula] of FORMULAS.slice(1).entries()) {
      assert.equal(rows[3 + i]![9], `'${formula}`);
      assert.equal(rows[3 + i]![5], 'the requester only');
    }
  });

  it('writes the check log as CSV, one row per check, failures with their detail', () => {
    const rows = parse(checkLogCsv(pack), { columns: true }) as Array<Record<string, string>>;
    const expected = made(period).checkLog;
    assert.equal(rows.length, expected.length);
    const failed = rows.filter((r) => r.passed === 'no');
    assert.deepEqual(
      failed.map((r) => [r.test, r.result, r.detail]),
      expected.filter((c) => !c.passed).map((c) => [c.test, c.got, c.detail]),
    );
    assert.ok(rows.every((r) => r.url!.startsWith('http://')));
  });

  it('writes the overrides as CSV counting named people instead of naming them', () => {
    const text = overridesCsv(pack, policy);
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((r) => r.scope), [policy.groups['class-4n']!.title, 'one named person', 'all pupils']);
    assert.equal(rows[1]!.reason, "'@once: a named pupil");
    assert.equal(rows[1]!.categories, 'games');
    assert.ok(rows[2]!.revoked_at !== '');
    assert.ok(!text.includes(pupil.username) && !text.includes(pupil.name));
  });

  it('writes the incidents summary as CSV with the small counts hidden', () => {
    const rows = parse(incidentsCsv(pack), { columns: true }) as Array<Record<string, string>>;
    const byId = new Map(rows.map((r) => [`${r.view}:${r.id}`, r.count]));
    assert.equal(byId.get('type:conduct'), '14');
    assert.equal(byId.get('type:contact-attempt'), `fewer than ${pack.suppressBelow}`);
    for (const r of rows) assert.ok(!/^[1-4]$/.test(r.count!), `a count of ${r.count}`);
  });

  it('renders a PDF summary with the register, the checks, the overrides and the incidents, naming no pupil', async () => {
    const pdf = await renderReviewPackPdf(pack, policy, [{ name: 'register.csv', rows: pack.register.length }]);
    const images = pdfPages(pdf);
    const pages = await pdfTextPages(pdf);
    assert.equal(images.length, pages.length);
    for (const image of images) assert.ok(image.inked > 0.005);
    const text = pages.join('\n');
    for (const heading of ['Annual review evidence pack', 'Files in this pack', 'Decision register', 'Filter check log', 'Overrides', 'Incidents summary']) {
      assert.ok(text.includes(heading), `the summary has \`${heading}\``);
    }
    assert.ok(text.includes('2 September 2026 to 21 July 2027'));
    assert.ok(text.includes('games.blocked.example'));
    assert.match(text, new RegExp(`Unblock requests decided in the period: ${pack.register.length}\\b`));
    assert.ok(text.includes('legal-block'));
    assert.ok(text.includes('one named person'));
    assert.ok(!text.includes(pupil.username) && !text.includes(pupil.name));
    assert.match((await pdfTitle(pdf)) ?? '', /^Annual review evidence pack: /);
  });
});
