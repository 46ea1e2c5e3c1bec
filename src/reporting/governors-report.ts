// The governors' termly report as data (1.1–1.4: the Governing Board oversees the policy, the
// Heads of School run it). Figures come from the sources as raw counts; here they become what
// governors may see: small counts hidden, no person anywhere, every name a title from the policy.
// The PDF, the JSON route and the dashboard page all show this one value.
import type { ResolvedPolicy } from '../policy/index.ts';
import type { CheckFigures, ComplianceFigures, ReportSources, RequestCounts } from './report-sources.ts';
import { DEFAULT_SUPPRESS_BELOW, protectCount, protectTable, type ProtectedLine, type ShownCount } from './small-numbers.ts';
import { termWeeks, type ReportTerm } from './term-weeks.ts';

/** the charts name this many categories unless the policy says otherwise; the rest are summed */
export const DEFAULT_CATEGORIES_SHOWN = 8;
/** the id of the summed remaining categories */
export const OTHER_CATEGORIES = '*other';

export interface NamedCount {
  id: string;
  title: string;
  count: ShownCount;
}

export interface RequestRow {
  id: string;
  title: string;
  requested: ShownCount;
  approved: ShownCount;
  declined: ShownCount;
}

export interface PolicyFacts {
  /** the school layer's name */
  school: string;
  version: string | null;
  /** YYYY-MM-DD */
  reviewDate: string | null;
  owner: string | null;
  /** the review date has come (on the day the report was produced) */
  reviewDue: boolean;
  revision: string;
}

export interface GovernorsReportData {
  school: string;
  term: { name: string; start: string; end: string; from: number; to: number; timeZone: string };
  producedAt: number;
  policy: PolicyFacts;
  /** counts below this read "fewer than N" */
  suppressBelow: number;
  blocks: {
    total: ShownCount;
    /** the columns of `weeks[].byCategory`: the most blocked categories, then the rest summed */
    categories: Array<{ id: string; title: string }>;
    weeks: Array<{ start: string; end: string; halfTerm: boolean; total: ShownCount; byCategory: ShownCount[] }>;
    /** over the term, in the order of `categories` */
    byCategory: NamedCount[];
    byGroup: NamedCount[];
  };
  requests: {
    requested: ShownCount;
    approved: ShownCount;
    declined: ShownCount;
    /** median days from request to decision; null when fewer than `suppressBelow` were decided */
    medianDaysToDecision: number | null;
    byCategory: Array<RequestRow & { medianDays: number | null }>;
    byGroup: RequestRow[];
  };
  incidents: { total: ShownCount; byType: NamedCount[]; byOutcome: NamedCount[] };
  /** about staff and governors, not children: shown as counted */
  training: ComplianceFigures;
  /** about the filter, not people: shown as counted */
  checks: CheckFigures;
  sanctions: { imposed: ShownCount; lifted: ShownCount; inForce: ShownCount };
  alerts: { total: ShownCount; byCategory: NamedCount[]; byList: NamedCount[] };
}

export interface GovernorsReportInput {
  policy: ResolvedPolicy;
  term: ReportTerm;
  sources: ReportSources;
  now: number;
}

/** `safeguarding-lead` → `Safeguarding lead` */
export function humanise(id: string): string {
  const words = id.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function median(values: readonly number[]): number | null {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  const value = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(value * 10) / 10;
}

/** The newest layer's name, version, review date and owner (the school's, over the council's). */
export function policyFacts(policy: Pick<ResolvedPolicy, 'layers' | 'revision'>, today: string): PolicyFacts {
  const last = <K extends 'version' | 'reviewDate' | 'owner'>(key: K): string | null => {
    for (let i = policy.layers.length - 1; i >= 0; i--) {
      const value = policy.layers[i]![key];
      if (value) return value;
    }
    return null;
  };
  const reviewDate = last('reviewDate');
  return {
    school: policy.layers[policy.layers.length - 1]?.name ?? '',
    version: last('version'),
    reviewDate,
    owner: last('owner'),
    reviewDue: reviewDate !== null && reviewDate <= today,
    revision: policy.revision,
  };
}

/** The local date of an instant in a zone, YYYY-MM-DD. */
export function localDate(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(epochMs));
}

function byTitle<T extends { title: string }>(a: T, b: T): number {
  return a.title.localeCompare(b.title, 'en-GB');
}

/** A list of named counts that may add up to a total (printed or not). */
function namedBreakdown(entries: Record<string, number>, title: (id: string) => string, below: number): NamedCount[] {
  const rows = Object.entries(entries)
    .map(([id, n]) => ({ id, title: title(id), n }))
    .sort(byTitle);
  const values = [rows.reduce((sum, r) => sum + r.n, 0), ...rows.map((r) => r.n)];
  const shown = protectTable(values, [{ cells: rows.map((_, i) => i + 1), margin: 0 }], below);
  return rows.map((r, i) => ({ id: r.id, title: r.title, count: shown[i + 1]! }));
}

export async function buildGovernorsReport(input: GovernorsReportInput): Promise<GovernorsReportData> {
  const { policy, term, sources, now } = input;
  const below = policy.workflows.reporting.suppressBelow ?? DEFAULT_SUPPRESS_BELOW;
  const shownCategories = policy.workflows.reporting.categoriesShown ?? DEFAULT_CATEGORIES_SHOWN;
  const period = { from: term.from, to: term.to };
  const weeks = termWeeks(term);
  const [blocks, requests, incidents, training, checks, sanctions, alerts] = await Promise.all([
    sources.blocks(period, weeks.map((w) => ({ from: w.from, to: w.to }))),
    sources.requests(period),
    sources.incidents(period),
    sources.compliance(period),
    sources.checks(period),
    sources.sanctions(period),
    sources.alerts(period),
  ]);

  const categoryTitle = (id: string): string => {
    if (id === '') return 'Uncategorised sites';
    if (id === OTHER_CATEGORIES) return 'Other categories';
    return policy.categories[id]?.title ?? humanise(id);
  };
  const groupTitle = (id: string): string => (id === '' ? 'In no group' : (policy.groups[id]?.title ?? humanise(id)));

  // Blocks: one linked table of weeks × categories with its margins, so no hidden cell can be
  // worked out from a week's total, a category's total or the term's.
  const termByCategory = new Map<string, number>();
  for (const week of blocks.weeks) for (const [id, n] of Object.entries(week.byCategory)) termByCategory.set(id, (termByCategory.get(id) ?? 0) + n);
  const ranked = [...termByCategory].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const named = ranked.length > shownCategories ? ranked.slice(0, shownCategories - 1) : ranked;
  const rest = new Set(ranked.slice(named.length).map(([id]) => id));
  const columns = [...named.map(([id]) => id), ...(rest.size > 0 ? [OTHER_CATEGORIES] : [])];
  const cell = (week: { byCategory: Record<string, number> }, column: string): number =>
    column === OTHER_CATEGORIES
      ? Object.entries(week.byCategory).reduce((sum, [id, n]) => sum + (rest.has(id) ? n : 0), 0)
      : (week.byCategory[column] ?? 0);
  const W = weeks.length;
  const C = columns.length;
  const weekTotals = weeks.map((_, w) => blocks.weeks[w]?.total ?? 0);
  const columnTotals = columns.map((column) => blocks.weeks.reduce((sum, week) => sum + cell(week, column), 0));
  const values = [weekTotals.reduce((a, b) => a + b, 0), ...weekTotals, ...columnTotals];
  for (let w = 0; w < W; w++) for (const column of columns) values.push(cell(blocks.weeks[w] ?? { byCategory: {} }, column));
  const weekAt = (w: number) => 1 + w;
  const columnAt = (c: number) => 1 + W + c;
  const cellAt = (w: number, c: number) => 1 + W + C + w * C + c;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const lines: ProtectedLine[] = [
    { cells: range(W).map(weekAt), margin: 0 },
    { cells: range(C).map(columnAt), margin: 0 },
    ...range(W).map((w) => ({ cells: range(C).map((c) => cellAt(w, c)), margin: weekAt(w) })),
    ...range(C).map((c) => ({ cells: range(W).map((w) => cellAt(w, c)), margin: columnAt(c) })),
  ];
  const blockShown = protectTable(values, lines, below);
  const groups = namedBreakdown(blocks.byGroup, groupTitle, below);

  // Requests: three columns (requested, approved, declined), each adding up to its total.
  const requestTable = (rows: Array<{ id: string; title: string; counts: Omit<RequestCounts, 'decisionDays'> }>, total: Omit<RequestCounts, 'decisionDays'>) => {
    const keys = ['requested', 'approved', 'declined'] as const;
    const vals: number[] = keys.map((k) => total[k]);
    for (const row of rows) for (const k of keys) vals.push(row.counts[k]);
    const at = (r: number, k: number) => 3 + r * 3 + k;
    const shown = protectTable(
      vals,
      keys.map((_, k) => ({ cells: rows.map((__, r) => at(r, k)), margin: k })),
      below,
    );
    return {
      totals: { requested: shown[0]!, approved: shown[1]!, declined: shown[2]! },
      rows: rows.map((row, r) => ({ id: row.id, title: row.title, requested: shown[at(r, 0)]!, approved: shown[at(r, 1)]!, declined: shown[at(r, 2)]! })),
    };
  };
  const requestCategories = Object.entries(requests.byCategory)
    .map(([id, counts]) => ({ id, title: categoryTitle(id), counts }))
    .sort(byTitle);
  const byCategoryRequests = requestTable(requestCategories, requests.total);
  const requestGroups = Object.entries(requests.byGroup)
    .map(([id, counts]) => ({ id, title: groupTitle(id), counts }))
    .sort(byTitle);
  const byGroupRequests = requestTable(requestGroups, requests.total);

  // Incidents: by type and by outcome are two views of the same cases, sharing one total.
  const types = Object.entries(incidents.byType).map(([id, n]) => ({ id, title: humanise(id), n })).sort(byTitle);
  const outcomes = Object.entries(incidents.byOutcome).map(([id, n]) => ({ id, title: humanise(id), n })).sort(byTitle);
  const incidentTotal = types.reduce((sum, t) => sum + t.n, 0);
  const incidentShown = protectTable(
    [incidentTotal, ...types.map((t) => t.n), ...outcomes.map((o) => o.n)],
    [
      { cells: types.map((_, i) => 1 + i), margin: 0 },
      { cells: outcomes.map((_, i) => 1 + types.length + i), margin: 0 },
    ],
    below,
  );

  // Alerts: by category and by keyword list, all adding up to one total.
  const keywordTitle = (id: string) => policy.workflows.alerts?.keywords[id]?.title ?? humanise(id);
  const alertCategories = Object.entries(alerts.byCategory).map(([id, n]) => ({ id, title: categoryTitle(id), n })).sort(byTitle);
  const alertLists = Object.entries(alerts.byList).map(([id, n]) => ({ id, title: keywordTitle(id), n })).sort(byTitle);
  const alertShown = protectTable(
    [[...alertCategories, ...alertLists].reduce((sum, a) => sum + a.n, 0), ...alertCategories.map((a) => a.n), ...alertLists.map((a) => a.n)],
    [{ cells: [...alertCategories, ...alertLists].map((_, i) => 1 + i), margin: 0 }],
    below,
  );

  const courseTitle = (id: string) => policy.workflows.compliance?.training[id]?.title ?? humanise(id);
  const facts = policyFacts(policy, localDate(now, term.timeZone));
  // a median of one or two decisions is as good as naming them
  const medianOf = (days: readonly number[]) => (days.length >= below ? median(days) : null);
  return {
    school: facts.school,
    term: { name: term.name, start: term.start, end: term.end, from: term.from, to: term.to, timeZone: term.timeZone },
    producedAt: now,
    policy: facts,
    suppressBelow: below,
    blocks: {
      total: blockShown[0]!,
      categories: columns.map((id) => ({ id, title: categoryTitle(id) })),
      weeks: weeks.map((week, w) => ({
        start: week.start,
        end: week.end,
        halfTerm: week.halfTerm,
        total: blockShown[weekAt(w)]!,
        byCategory: range(C).map((c) => blockShown[cellAt(w, c)]!),
      })),
      byCategory: columns.map((id, c) => ({ id, title: categoryTitle(id), count: blockShown[columnAt(c)]! })),
      byGroup: groups,
    },
    requests: {
      ...byCategoryRequests.totals,
      medianDaysToDecision: medianOf(requests.total.decisionDays),
      byCategory: byCategoryRequests.rows.map((row, i) => ({ ...row, medianDays: medianOf(requestCategories[i]!.counts.decisionDays) })),
      byGroup: byGroupRequests.rows,
    },
    incidents: {
      total: incidentShown[0]!,
      byType: types.map((t, i) => ({ id: t.id, title: t.title, count: incidentShown[1 + i]! })),
      byOutcome: outcomes.map((o, i) => ({ id: o.id, title: o.title, count: incidentShown[1 + types.length + i]! })),
    },
    training: {
      courses: training.courses.map((course) => ({ ...course, title: course.title ?? courseTitle(course.id) })),
      acknowledgement: training.acknowledgement,
    },
    checks,
    sanctions: {
      imposed: protectCount(sanctions.imposed, below),
      lifted: protectCount(sanctions.lifted, below),
      inForce: protectCount(sanctions.inForce, below),
    },
    alerts: {
      total: alertShown[0]!,
      byCategory: alertCategories.map((a, i) => ({ id: a.id, title: a.title, count: alertShown[1 + i]! })),
      byList: alertLists.map((a, i) => ({ id: a.id, title: a.title, count: alertShown[1 + alertCategories.length + i]! })),
    },
  };
}
