// The API of the governors' termly report and the annual review evidence pack. Every route needs
// `reports.governors`. The JSON routes give the figures the dashboard shows; the PDF and CSV
// routes are downloads, and each download is written to the audit log (who took which report
// away, and when). Figures are read fresh from the sources on every call.
import { z } from 'zod';
import { defineRoute, type ApiDeps, type RouteContext, type RouteSpec } from '../api/index.ts';
import type { ResolvedPolicy } from '../policy/index.ts';
import { decisionLogBlocks } from './decision-log-blocks.ts';
import { renderGovernorsPdf } from './governors-pdf.ts';
import { buildGovernorsReport, type GovernorsReportData } from './governors-report.ts';
import type { ReportSources } from './report-sources.ts';
import { REVIEW_CSV_FILES, reviewCsv, type ReviewCsvFile } from './review-csv.ts';
import { buildReviewPack, reviewPeriod, type OverridesReader, type ReviewPack, type ReviewPackSources } from './review-pack.ts';
import { renderReviewPackPdf } from './review-pdf.ts';
import { chooseTerm, policyTerms } from './term-weeks.ts';

/** What the routes use of the API's dependencies; `ApiDeps` fits as it is. */
export type ReportingApiDeps = Pick<ApiDeps, 'engine' | 'activity' | 'overrides' | 'audit' | 'now'>;

export interface ReportingDeps {
  /** the workflow stores' figures; `blocks` defaults to the decision log's counts (`deps.activity`) */
  sources: Omit<ReportSources, 'blocks'> & { blocks?: ReportSources['blocks'] };
  /** the decision register and the check log */
  pack: ReviewPackSources;
  /** default: `deps.overrides` */
  overrides?: OverridesReader;
}

const shownCount = z.union([
  z.object({ kind: z.literal('count'), value: z.number() }),
  z.object({ kind: z.literal('fewer-than'), below: z.number() }),
  z.object({ kind: z.literal('withheld') }),
]);
const namedCount = z.object({ id: z.string(), title: z.string(), count: shownCount });
const requestRow = z.object({ id: z.string(), title: z.string(), requested: shownCount, approved: shownCount, declined: shownCount });
const policyFacts = z.object({
  school: z.string(),
  version: z.string().nullable(),
  reviewDate: z.string().nullable(),
  owner: z.string().nullable(),
  reviewDue: z.boolean(),
  revision: z.string(),
});
const termInfo = z.object({ name: z.string(), start: z.string(), end: z.string() });

export const governorsReportSchema = z.object({
  school: z.string(),
  term: z.object({ name: z.string(), start: z.string(), end: z.string(), from: z.number(), to: z.number(), timeZone: z.string() }),
  producedAt: z.number(),
  policy: policyFacts,
  suppressBelow: z.number(),
  blocks: z.object({
    total: shownCount,
    categories: z.array(z.object({ id: z.string(), title: z.string() })),
    weeks: z.array(z.object({ start: z.string(), end: z.string(), halfTerm: z.boolean(), total: shownCount, byCategory: z.array(shownCount) })),
    byCategory: z.array(namedCount),
    byGroup: z.array(namedCount),
  }),
  requests: z.object({
    requested: shownCount,
    approved: shownCount,
    declined: shownCount,
    medianDaysToDecision: z.number().nullable(),
    byCategory: z.array(requestRow.extend({ medianDays: z.number().nullable() })),
    byGroup: z.array(requestRow),
  }),
  incidents: z.object({ total: shownCount, byType: z.array(namedCount), byOutcome: z.array(namedCount) }),
  training: z.object({
    courses: z.array(z.object({ id: z.string(), title: z.string().optional(), required: z.number(), done: z.number(), overdue: z.number() })),
    acknowledgement: z.object({ version: z.string(), required: z.number(), done: z.number() }).nullable(),
  }),
  checks: z.object({
    runs: z.number(),
    passes: z.number(),
    failures: z.number(),
    byTest: z.array(z.object({ id: z.string(), runs: z.number(), passes: z.number(), failures: z.number() })),
  }),
  sanctions: z.object({ imposed: shownCount, lifted: shownCount, inForce: shownCount }),
  alerts: z.object({ total: shownCount, byCategory: z.array(namedCount), byList: z.array(namedCount) }),
});

const termQuery = z.strictObject({ term: z.string().max(200).optional() });
const periodQuery = z.strictObject({
  from: z.string().max(10).optional(),
  to: z.string().max(10).optional(),
});

const FILE_TITLES: Record<ReviewCsvFile, string> = {
  register: 'Decision register',
  'check-log': 'Filter check log',
  overrides: 'Overrides',
  incidents: 'Incidents summary',
};

/** `Autumn 2026` → `autumn-2026`, for file names. */
export function fileSlug(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'report'
  );
}

function download(context: RouteContext, type: string, fileName: string): void {
  context.reply.header('content-type', type);
  context.reply.header('content-disposition', `attachment; filename="${fileName}"`);
  context.reply.header('cache-control', 'no-store');
}

function rowsOf(file: ReviewCsvFile, pack: ReviewPack): number {
  switch (file) {
    case 'register':
      return pack.register.length;
    case 'check-log':
      return pack.checkLog.length;
    case 'overrides':
      return pack.overrides.length;
    case 'incidents':
      return 1 + pack.incidents.byType.length + pack.incidents.byOutcome.length;
  }
}

export function reportingRoutes(deps: ReportingApiDeps, own: ReportingDeps): RouteSpec[] {
  // Everything is read when a request comes, not when the list is built: the list is made
  // before (and, in the permission and OpenAPI checks, without) the stores. Called through the
  // value, so a class instance keeps its `this`.
  const given = () => own.sources;
  const sources: ReportSources = {
    blocks: (period, weeks) => {
      const source = given();
      return source.blocks ? source.blocks(period, weeks) : decisionLogBlocks(deps.activity)(period, weeks);
    },
    requests: (period) => given().requests(period),
    incidents: (period) => given().incidents(period),
    compliance: (period) => given().compliance(period),
    checks: (period) => given().checks(period),
    sanctions: (period) => given().sanctions(period),
    alerts: (period) => given().alerts(period),
  };
  const overrides: OverridesReader = { list: (...args) => (own.overrides ?? deps.overrides).list(...args) };

  const governors = async (policy: ResolvedPolicy, term: string | undefined): Promise<GovernorsReportData> => {
    const now = deps.now();
    return buildGovernorsReport({ policy, term: chooseTerm(policy, term, now), sources, now });
  };
  const pack = async (policy: ResolvedPolicy, query: z.infer<typeof periodQuery>): Promise<ReviewPack> => {
    const now = deps.now();
    return buildReviewPack({ policy, period: reviewPeriod(policy, query, now), sources: own.pack, incidents: sources.incidents, overrides, now });
  };
  const audited = async (context: RouteContext, subject: string, after: Record<string, unknown>): Promise<void> => {
    await deps.audit.append({ actor: context.account?.username ?? 'unknown', action: 'report.download', subject, before: null, after, reason: null });
  };
  const packName = (p: ReviewPack) => `review-pack-${p.period.start}-to-${p.period.end}`;

  const csvRoute = (file: ReviewCsvFile): RouteSpec =>
    defineRoute({
      method: 'GET',
      url: `/api/reports/review-pack/${file}.csv`,
      action: 'reports.governors',
      summary: `The annual review evidence pack: ${FILE_TITLES[file].toLowerCase()} as CSV (from/to: YYYY-MM-DD, default the school year of the calendar)`,
      tags: ['reports'],
      query: periodQuery,
      produces: 'text/csv',
      async handler(context) {
        const policy = deps.engine().policy;
        const p = await pack(policy, context.query);
        const text = reviewCsv(file, p, policy);
        await audited(context, `report:review-pack:${file}`, { from: p.period.start, to: p.period.end, rows: rowsOf(file, p) });
        download(context, 'text/csv; charset=utf-8', `${packName(p)}-${file}.csv`);
        return text;
      },
    });

  return [
    defineRoute({
      method: 'GET',
      url: '/api/reports/governors',
      action: 'reports.governors',
      summary: "The governors' termly report as figures (term: a term's name from the policy calendar; default the current or last term); small counts hidden, no person named",
      tags: ['reports'],
      query: termQuery,
      response: z.object({ terms: z.array(termInfo), report: governorsReportSchema }),
      async handler(context) {
        const policy = deps.engine().policy;
        const report = await governors(policy, context.query.term);
        return { terms: policyTerms(policy).map((t) => ({ name: t.name, start: t.start, end: t.end })), report };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/reports/governors.pdf',
      action: 'reports.governors',
      summary: "The governors' termly report as a PDF with charts (A4)",
      tags: ['reports'],
      query: termQuery,
      produces: 'application/pdf',
      async handler(context) {
        const report = await governors(deps.engine().policy, context.query.term);
        const pdf = await renderGovernorsPdf(report);
        await audited(context, `report:governors:${report.term.name}`, { term: report.term.name, bytes: pdf.length });
        download(context, 'application/pdf', `governors-report-${fileSlug(report.term.name)}.pdf`);
        return pdf;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/reports/review-pack',
      action: 'reports.governors',
      summary: 'The annual review evidence pack: its period, headline figures and the files to download',
      tags: ['reports'],
      query: periodQuery,
      response: z.object({
        period: z.object({ start: z.string(), end: z.string(), timeZone: z.string() }),
        policy: policyFacts,
        register: z.object({ decided: z.number(), approved: z.number(), declined: z.number() }),
        checks: z.object({ runs: z.number(), passes: z.number(), failures: z.number() }),
        overrides: z.number(),
        incidents: z.object({ total: shownCount, byType: z.array(namedCount), byOutcome: z.array(namedCount) }),
        files: z.array(z.object({ id: z.string(), title: z.string(), url: z.string(), type: z.string(), rows: z.number().nullable() })),
      }),
      async handler(context) {
        const policy = deps.engine().policy;
        const p = await pack(policy, context.query);
        const query = `?from=${p.period.start}&to=${p.period.end}`;
        const approved = p.register.filter((r) => r.decision === 'approved').length;
        const passes = p.checkLog.filter((c) => c.passed).length;
        return {
          period: { start: p.period.start, end: p.period.end, timeZone: p.period.timeZone },
          policy: p.policy,
          register: { decided: p.register.length, approved, declined: p.register.length - approved },
          checks: { runs: p.checkLog.length, passes, failures: p.checkLog.length - passes },
          overrides: p.overrides.length,
          incidents: p.incidents,
          files: [
            { id: 'summary', title: 'Summary (PDF)', url: `/api/reports/review-pack.pdf${query}`, type: 'application/pdf', rows: null },
            ...REVIEW_CSV_FILES.map((file) => ({ id: file, title: `${FILE_TITLES[file]} (CSV)`, url: `/api/reports/review-pack/${file}.csv${query}`, type: 'text/csv', rows: rowsOf(file, p) })),
          ],
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/reports/review-pack.pdf',
      action: 'reports.governors',
      summary: 'The annual review evidence pack: its PDF summary (decision register, check log, overrides, incidents summary)',
      tags: ['reports'],
      query: periodQuery,
      produces: 'application/pdf',
      async handler(context) {
        const policy = deps.engine().policy;
        const p = await pack(policy, context.query);
        const pdf = await renderReviewPackPdf(
          p,
          policy,
          REVIEW_CSV_FILES.map((file) => ({ name: `${packName(p)}-${file}.csv`, rows: rowsOf(file, p) })),
        );
        await audited(context, 'report:review-pack:summary', { from: p.period.start, to: p.period.end, bytes: pdf.length });
        download(context, 'application/pdf', `${packName(p)}-summary.pdf`);
        return pdf;
      },
    }),
    ...REVIEW_CSV_FILES.map(csvRoute),
  ];
}
