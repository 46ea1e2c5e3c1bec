// The governors' termly report as data: the term and its weeks from the policy calendar, the
// policy's version and review date, every figure from the sources, small counts hidden and the
// names titled from the policy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HedgerowError } from '../../src/errors/index.ts';
import {
  buildGovernorsReport,
  chooseTerm,
  OTHER_CATEGORIES,
  policyTerms,
  termWeeks,
  type GovernorsReportData,
  type ReportSources,
  type ShownCount,
} from '../../src/reporting/index.ts';
import { madeSources, referencePolicy } from './fixtures.ts';

const policy = referencePolicy();
const DAY = 86_400_000;
const AFTER_AUTUMN = Date.parse('2026-12-20T12:00:00Z');

/** Blocks per week: large counts in most categories, a small one in self-harm every week. */
const madeBlocks: ReportSources['blocks'] = async (_period, weeks) => ({
  weeks: weeks.map((_, i) => ({
    total: 300 + 10 * i,
    byCategory: {
      'social-networking': 120 + i,
      games: 80 + 2 * i,
      chat: 40,
      'video-audio': 30,
      proxies: 12,
      gambling: 9,
      dating: 6,
      'self-harm': (i % 3) + 1,
      '': 3 + i,
    },
  })),
  byGroup: { 'year-4': 140, 'year-5': 3, 'class-4n': 70, staff: 200, '': 11 },
});

function sources(overrides: Partial<ReportSources> = {}): ReportSources {
  return { blocks: madeBlocks, ...madeSources(), ...overrides };
}

/** Every shown count in the report's child-related parts. */
function childCounts(report: GovernorsReportData): ShownCount[] {
  const { blocks, requests, incidents, sanctions, alerts } = report;
  return [
    blocks.total,
    ...blocks.weeks.flatMap((w) => [w.total, ...w.byCategory]),
    ...blocks.byCategory.map((c) => c.count),
    ...blocks.byGroup.map((c) => c.count),
    requests.requested,
    requests.approved,
    requests.declined,
    ...[...requests.byCategory, ...requests.byGroup].flatMap((r) => [r.requested, r.approved, r.declined]),
    incidents.total,
    ...incidents.byType.map((c) => c.count),
    ...incidents.byOutcome.map((c) => c.count),
    sanctions.imposed,
    sanctions.lifted,
    sanctions.inForce,
    alerts.total,
    ...alerts.byCategory.map((c) => c.count),
    ...alerts.byList.map((c) => c.count),
  ];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

describe('terms and weeks', () => {
  it('picks the term named, ignoring case and spacing', () => {
    assert.equal(chooseTerm(policy, '  spring   2027 ', AFTER_AUTUMN).name, 'Spring 2027');
  });

  it('picks the term under way, else the last one that ended, else the first', () => {
    assert.equal(chooseTerm(policy, undefined, Date.parse('2027-02-01T12:00:00Z')).name, 'Spring 2027');
    assert.equal(chooseTerm(policy, undefined, Date.parse('2027-04-01T12:00:00Z')).name, 'Spring 2027', 'the Easter holiday reports on the spring term');
    assert.equal(chooseTerm(policy, undefined, Date.parse('2026-01-01T12:00:00Z')).name, 'Autumn 2026');
  });

  it('refuses a term the calendar does not name, listing the ones it does', () => {
    assert.throws(
      () => chooseTerm(policy, 'Winter 2026', AFTER_AUTUMN),
      (error: unknown) => error instanceof HedgerowError && error.code === 'HR_REPORTING_TERM' && error.httpStatus === 404 && /Autumn 2026, Spring 2027/.test(error.message),
    );
    assert.throws(() => chooseTerm({ calendar: null }, undefined, AFTER_AUTUMN), (error: unknown) => error instanceof HedgerowError && error.code === 'HR_REPORTING_NO_TERMS');
  });

  it('runs a term from local midnight of its first day to local midnight after its last', () => {
    const term = chooseTerm(policy, 'Autumn 2026', AFTER_AUTUMN);
    // 2 September is in British Summer Time (UTC+1), 19 December is not
    assert.equal(term.from, Date.parse('2026-09-01T23:00:00Z'));
    assert.equal(term.to, Date.parse('2026-12-19T00:00:00Z'));
  });

  it('splits a term into Monday-to-Sunday weeks cut at its edges, covering every instant once, half term marked', () => {
    const term = chooseTerm(policy, 'Autumn 2026', AFTER_AUTUMN);
    const weeks = termWeeks(term);
    assert.equal(weeks[0]!.start, '2026-09-02');
    assert.equal(weeks[0]!.end, '2026-09-06');
    assert.equal(weeks[1]!.start, '2026-09-07');
    assert.equal(weeks.at(-1)!.end, '2026-12-18');
    assert.equal(weeks[0]!.from, term.from);
    assert.equal(weeks.at(-1)!.to, term.to);
    for (let i = 1; i < weeks.length; i++) {
      assert.equal(weeks[i]!.from, weeks[i - 1]!.to);
      assert.equal(new Date(`${weeks[i]!.start}T12:00:00Z`).getUTCDay(), 1, 'weeks after the first start on a Monday');
    }
    assert.deepEqual(weeks.filter((w) => w.halfTerm).map((w) => w.start), ['2026-10-26']);
    // the clocks go back on 25 October: that week is an hour longer
    const clocksBack = weeks.find((w) => w.start === '2026-10-19')!;
    assert.equal(clocksBack.to - clocksBack.from, 7 * DAY + 3_600_000);
  });

  it('lists the policy terms in date order', () => {
    assert.deepEqual(policyTerms(policy).map((t) => t.name), ['Autumn 2026', 'Spring 2027', 'Summer 2027']);
  });
});

describe("the governors' report figures", () => {
  const term = chooseTerm(policy, 'Autumn 2026', AFTER_AUTUMN);

  it('names the school, the term and the policy version and review date, and says when the review is due (1.1)', async () => {
    const report = await buildGovernorsReport({ policy, term, sources: sources(), now: AFTER_AUTUMN });
    assert.equal(report.school, policy.layers.at(-1)!.name);
    assert.deepEqual([report.term.name, report.term.start, report.term.end], ['Autumn 2026', '2026-09-02', '2026-12-18']);
    assert.equal(report.policy.version, '2020-autumn');
    assert.equal(report.policy.reviewDate, '2021-10-01');
    assert.equal(report.policy.owner, 'Governing Board');
    assert.equal(report.policy.reviewDue, true);
    assert.equal(report.policy.revision, policy.revision);
    assert.equal(report.producedAt, AFTER_AUTUMN);
    assert.equal(report.suppressBelow, policy.workflows.reporting.suppressBelow);
  });

  it('shows no child-related count from 1 to N-1 anywhere, and shows large counts as counted', async () => {
    const report = await buildGovernorsReport({ policy, term, sources: sources(), now: AFTER_AUTUMN });
    const below = report.suppressBelow;
    const counts = childCounts(report);
    for (const c of counts) if (c.kind === 'count') assert.ok(c.value === 0 || c.value >= below, `a shown count of ${c.value}`);
    assert.ok(counts.some((c) => c.kind === 'fewer-than'), 'the made figures have small counts to hide');
    const incidents = await madeSources().incidents({ from: term.from, to: term.to });
    const conduct = report.incidents.byType.find((t) => t.id === 'conduct')!;
    assert.deepEqual(conduct.count, { kind: 'count', value: incidents.byType.conduct });
    assert.deepEqual(report.incidents.byType.find((t) => t.id === 'contact-attempt')!.count, { kind: 'fewer-than', below });
    assert.deepEqual(report.sanctions.imposed, { kind: 'fewer-than', below });
    assert.deepEqual(report.sanctions.inForce, { kind: 'count', value: 6 });
    assert.deepEqual(report.blocks.byGroup.find((g) => g.id === 'year-5')!.count, { kind: 'fewer-than', below });
  });

  it('sums the weeks into the term total and keeps the most blocked categories, the rest as other categories', async () => {
    const report = await buildGovernorsReport({ policy, term, sources: sources(), now: AFTER_AUTUMN });
    const weeks = termWeeks(term);
    assert.equal(report.blocks.weeks.length, weeks.length);
    const raw = await madeBlocks({ from: term.from, to: term.to }, weeks);
    assert.deepEqual(report.blocks.total, { kind: 'count', value: raw.weeks.reduce((sum, w) => sum + w.total, 0) });
    const ids = report.blocks.categories.map((c) => c.id);
    assert.equal(ids.length, 8);
    assert.deepEqual(ids.slice(0, 3), ['social-networking', 'games', 'chat']);
    assert.equal(ids.at(-1), OTHER_CATEGORIES);
    assert.equal(report.blocks.categories[0]!.title, policy.categories['social-networking']!.title);
    const games = report.blocks.byCategory.find((c) => c.id === 'games')!;
    assert.deepEqual(games.count, { kind: 'count', value: raw.weeks.reduce((sum, w) => sum + w.byCategory.games!, 0) });
    // week by week, a shown cell is the week's own count
    const gamesColumn = ids.indexOf('games');
    report.blocks.weeks.forEach((week, i) => {
      const cell = week.byCategory[gamesColumn]!;
      if (cell.kind === 'count') assert.equal(cell.value, raw.weeks[i]!.byCategory.games);
    });
  });

  it('gives requests, grants and refusals by category and the median days to a decision, only where enough were decided', async () => {
    const report = await buildGovernorsReport({ policy, term, sources: sources(), now: AFTER_AUTUMN });
    const raw = await madeSources().requests({ from: term.from, to: term.to });
    assert.deepEqual(report.requests.requested, { kind: 'count', value: raw.total.requested });
    assert.equal(report.requests.medianDaysToDecision, median(raw.total.decisionDays));
    const games = report.requests.byCategory.find((r) => r.id === 'games')!;
    assert.equal(games.medianDays, median(raw.byCategory.games!.decisionDays));
    const chat = report.requests.byCategory.find((r) => r.id === 'chat')!;
    assert.equal(chat.medianDays, null, 'two decisions are too few for a median');
    assert.deepEqual(chat.requested, { kind: 'fewer-than', below: report.suppressBelow });
  });

  it('passes training, acknowledgement and filter checks through as counted, titling courses from the policy', async () => {
    const report = await buildGovernorsReport({ policy, term, sources: sources(), now: AFTER_AUTUMN });
    const raw = madeSources();
    const training = await raw.compliance({ from: term.from, to: term.to });
    assert.deepEqual(
      report.training.courses.map((c) => [c.id, c.required, c.done, c.overdue]),
      training.courses.map((c) => [c.id, c.required, c.done, c.overdue]),
    );
    assert.equal(report.training.courses[0]!.title, policy.workflows.compliance!.training.induction!.title);
    assert.deepEqual(report.training.acknowledgement, training.acknowledgement);
    assert.deepEqual(report.checks, await raw.checks({ from: term.from, to: term.to }));
  });

  it('titles alert lists from the policy keyword lists', async () => {
    const report = await buildGovernorsReport({ policy, term, sources: sources(), now: AFTER_AUTUMN });
    assert.equal(report.alerts.byList.find((a) => a.id === 'bullying')!.title, policy.workflows.alerts!.keywords.bullying!.title);
  });

  it("hides more when the policy's threshold is higher", async () => {
    const strict = { ...policy, workflows: { ...policy.workflows, reporting: { ...policy.workflows.reporting, suppressBelow: 10 } } };
    const report = await buildGovernorsReport({ policy: strict, term, sources: sources(), now: AFTER_AUTUMN });
    assert.equal(report.suppressBelow, 10);
    for (const c of childCounts(report)) if (c.kind === 'count') assert.ok(c.value === 0 || c.value >= 10, `a shown count of ${c.value}`);
    assert.deepEqual(report.sanctions.inForce, { kind: 'fewer-than', below: 10 });
  });

  it('asks every source for the term and the blocks for its weeks', async () => {
    const asked: Array<{ from: number; to: number }> = [];
    let weeksAsked = 0;
    const made = madeSources();
    await buildGovernorsReport({
      policy,
      term,
      now: AFTER_AUTUMN,
      sources: {
        blocks: async (period, weeks) => {
          asked.push(period);
          weeksAsked = weeks.length;
          return madeBlocks(period, weeks);
        },
        requests: async (p) => (asked.push(p), made.requests(p)),
        incidents: async (p) => (asked.push(p), made.incidents(p)),
        compliance: async (p) => (asked.push(p), made.compliance(p)),
        checks: async (p) => (asked.push(p), made.checks(p)),
        sanctions: async (p) => (asked.push(p), made.sanctions(p)),
        alerts: async (p) => (asked.push(p), made.alerts(p)),
      },
    });
    assert.equal(asked.length, 7);
    for (const p of asked) assert.deepEqual(p, { from: term.from, to: term.to });
    assert.equal(weeksAsked, termWeeks(term).length);
  });
});
