// The annual review's evidence pack: the decision register ("what is allowed or blocked and
// why", DfE filtering standards), the filter check log, the overrides in force during the period
// and an incidents summary. Register and check-log rows come from the workflow stores through
// `ReviewPackSources`; overrides are read from the override store; the incidents summary is the
// same counts as the governors' report, small ones hidden. No row names a child: a decision's
// scope reads "the requester only", an override's named people are counted, not named.
import { HedgerowError } from '../errors/index.ts';
import type { Override, OverrideStore } from '../overrides/index.ts';
import type { ResolvedPolicy } from '../policy/index.ts';
import { humanise, localDate, policyFacts, type NamedCount, type PolicyFacts } from './governors-report.ts';
import type { ReportPeriod, ReportSources } from './report-sources.ts';
import { DEFAULT_SUPPRESS_BELOW, protectTable, type ShownCount } from './small-numbers.ts';
import { addDays, dayStartAt, policyTerms } from './term-weeks.ts';

/** Who an approved unblock applies to: the requester alone, a group (a class), or a whole role. */
export type RegisterScope = { kind: 'requester' } | { kind: 'group'; id: string } | { kind: 'role'; id: string };

/** One decided unblock request. */
export interface RegisterEntry {
  /** the request's id in its store */
  id: string;
  requestedAt: number;
  decidedAt: number;
  /** the site asked for: a host or an address */
  site: string;
  categories: string[];
  decision: 'approved' | 'declined';
  /** for an approval; null for a decline */
  scope: RegisterScope | null;
  /** epoch ms the approval ends; null for a decline */
  until: number | null;
  /** the e-safety team's recommendation (8.4), when one was made */
  recommendation: 'approve' | 'decline' | null;
  /** the headteacher (or other decider) who decided (8.5) */
  decidedBy: string;
  reason: string;
  clauses: string[];
}

/** One filter self-test result. */
export interface CheckLogEntry {
  at: number;
  /** the policy's test id */
  test: string;
  url: string;
  /** who the test browsed as: `pupil`, `pupil in year-4` */
  as: string;
  /** the path tested: `proxy`, `dns` */
  path: string;
  expected: string;
  got: string;
  passed: boolean;
  detail: string | null;
}

export interface ReviewPackSources {
  /** unblock requests decided in the period, oldest first */
  register(period: ReportPeriod): Promise<RegisterEntry[]>;
  /** filter check results in the period, oldest first */
  checkLog(period: ReportPeriod): Promise<CheckLogEntry[]>;
}

export type OverridesReader = Pick<OverrideStore, 'list'>;

export interface ReviewPeriod extends ReportPeriod {
  /** YYYY-MM-DD, first day */
  start: string;
  /** YYYY-MM-DD, last day (inclusive) */
  end: string;
  timeZone: string;
}

export interface ReviewPack {
  school: string;
  period: ReviewPeriod;
  producedAt: number;
  policy: PolicyFacts;
  suppressBelow: number;
  register: RegisterEntry[];
  checkLog: CheckLogEntry[];
  /** overrides in force at any time in the period (revoked and expired ones included), oldest first */
  overrides: Override[];
  incidents: { total: ShownCount; byType: NamedCount[]; byOutcome: NamedCount[] };
}

export interface ReviewPackInput {
  policy: ResolvedPolicy;
  period: ReviewPeriod;
  sources: ReviewPackSources;
  incidents: ReportSources['incidents'];
  overrides: OverridesReader;
  now: number;
}

/** the longest period one pack covers */
export const MAX_REVIEW_DAYS = 731;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The period of a review: the dates given (the last one inclusive), else the school year the
 * policy's calendar describes (first term's start to last term's end), else the 365 days to today.
 * Days are the school's (the calendar's time zone; UTC without a calendar).
 */
export function reviewPeriod(policy: Pick<ResolvedPolicy, 'calendar'>, dates: { from?: string | undefined; to?: string | undefined }, now: number): ReviewPeriod {
  const timeZone = policy.calendar?.timeZone ?? 'UTC';
  const terms = policyTerms(policy);
  const today = localDate(now, timeZone);
  const check = (value: string | undefined, field: 'from' | 'to'): string | undefined => {
    if (value === undefined || value === '') return undefined;
    if (!DATE.test(value) || addDays(value, 0) !== value) {
      throw new HedgerowError('HR_REPORTING_PERIOD', `\`${value}\` is not a date like 2026-09-01`, { where: { field }, httpStatus: 400 });
    }
    return value;
  };
  let start = check(dates.from, 'from');
  let end = check(dates.to, 'to');
  if (start === undefined && end === undefined && terms.length > 0) {
    start = terms[0]!.start;
    end = terms[terms.length - 1]!.end;
  }
  end ??= start === undefined ? today : addDays(start, 364);
  start ??= addDays(end, -364);
  if (start > end) throw new HedgerowError('HR_REPORTING_PERIOD', `the period starts (\`${start}\`) after it ends (\`${end}\`)`, { where: { field: 'from' }, httpStatus: 400 });
  if (addDays(start, MAX_REVIEW_DAYS) <= end) {
    throw new HedgerowError('HR_REPORTING_PERIOD', `the period from \`${start}\` to \`${end}\` is longer than ${MAX_REVIEW_DAYS} days`, { where: { field: 'to' }, httpStatus: 400 });
  }
  return { start, end, timeZone, from: dayStartAt(start, timeZone), to: dayStartAt(addDays(end, 1), timeZone) };
}

/** Every override that was in force at some time in the period, oldest grant first. */
export async function overridesDuring(reader: OverridesReader, period: ReportPeriod): Promise<Override[]> {
  const found: Override[] = [];
  let cursor: string | null = null;
  do {
    const page = await reader.list({ state: 'all', cursor, limit: 500 });
    for (const o of page.items) {
      const end = o.revokedAt !== null && (o.until === null || o.revokedAt < o.until) ? o.revokedAt : o.until;
      if (o.from < period.to && (end === null || end > period.from)) found.push(o);
    }
    // the store has no time filter, so the whole table is read (it holds thousands of rows at most)
    cursor = page.nextCursor;
  } while (cursor !== null);
  return found.sort((a, b) => a.grantedAt - b.grantedAt || (a.id < b.id ? -1 : 1));
}

export async function buildReviewPack(input: ReviewPackInput): Promise<ReviewPack> {
  const { policy, period, now } = input;
  const below = policy.workflows.reporting.suppressBelow ?? DEFAULT_SUPPRESS_BELOW;
  const range = { from: period.from, to: period.to };
  const [register, checkLog, overrides, incidents] = await Promise.all([
    input.sources.register(range),
    input.sources.checkLog(range),
    overridesDuring(input.overrides, range),
    input.incidents(range),
  ]);
  const types = Object.entries(incidents.byType).map(([id, n]) => ({ id, title: humanise(id), n })).sort((a, b) => a.title.localeCompare(b.title));
  const outcomes = Object.entries(incidents.byOutcome).map(([id, n]) => ({ id, title: humanise(id), n })).sort((a, b) => a.title.localeCompare(b.title));
  const shown = protectTable(
    [types.reduce((sum, t) => sum + t.n, 0), ...types.map((t) => t.n), ...outcomes.map((o) => o.n)],
    [
      { cells: types.map((_, i) => 1 + i), margin: 0 },
      { cells: outcomes.map((_, i) => 1 + types.length + i), margin: 0 },
    ],
    below,
  );
  const facts = policyFacts(policy, localDate(now, period.timeZone));
  return {
    school: facts.school,
    period,
    producedAt: now,
    policy: facts,
    suppressBelow: below,
    register: [...register].sort((a, b) => a.decidedAt - b.decidedAt || (a.id < b.id ? -1 : 1)),
    checkLog: [...checkLog].sort((a, b) => a.at - b.at || (a.test < b.test ? -1 : 1)),
    overrides,
    incidents: {
      total: shown[0]!,
      byType: types.map((t, i) => ({ id: t.id, title: t.title, count: shown[1 + i]! })),
      byOutcome: outcomes.map((o, i) => ({ id: o.id, title: o.title, count: shown[1 + types.length + i]! })),
    },
  };
}

/** `the requester only`, `Class 4N`, `all pupils` */
export function describeScope(scope: RegisterScope | null, policy: Pick<ResolvedPolicy, 'groups' | 'roles'>): string {
  if (scope === null) return '';
  if (scope.kind === 'requester') return 'the requester only';
  if (scope.kind === 'group') return policy.groups[scope.id]?.title ?? humanise(scope.id);
  const title = policy.roles[scope.id]?.title ?? humanise(scope.id);
  return `all ${title.toLowerCase()}${/(s|staff)$/i.test(title) ? '' : 's'}`;
}

/** An override's scope without the names of the people in it. */
export function describeOverrideScope(o: Pick<Override, 'scope'>, policy: Pick<ResolvedPolicy, 'groups' | 'roles'>): string {
  const parts: string[] = [];
  for (const id of o.scope.groups ?? []) parts.push(policy.groups[id]?.title ?? humanise(id));
  for (const id of o.scope.roles ?? []) parts.push(describeScope({ kind: 'role', id }, policy));
  const people = o.scope.people?.length ?? 0;
  if (people > 0) parts.push(people === 1 ? 'one named person' : 'named people');
  return parts.length === 0 ? 'everyone' : parts.join('; ');
}
