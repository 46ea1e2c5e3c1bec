// The register of "what is allowed or blocked and why" (DfE filtering standards): every decided
// unblock request and every closed site report with who asked, who recommended, who decided,
// the scope, the dates and the reasons; as JSON and as CSV for the annual review. And the
// overblocking figures: requests and approvals per category and per group, and how long
// decisions took (median and 90th percentile).
import { csvCell } from '../../activity/index.ts';
import { parseList, type ReportRow, type RequestsDatabase, type UnblockRow } from './request-tables.ts';
import type { ApprovalScope, Recommendation, ReportOutcome } from './request-types.ts';
import type { Kysely } from 'kysely';

export interface RegisterEntry {
  type: 'unblock-request' | 'site-report';
  id: string;
  host: string;
  url: string | null;
  categories: string[];
  /** username; null when only the network was known */
  askedBy: string | null;
  askedRole: string;
  askedAt: number;
  /** the requester's reason, or what the reporter said */
  reason: string;
  recommendedBy: string | null;
  recommendation: Recommendation | null;
  recommendationNote: string | null;
  decidedBy: string;
  decidedAt: number;
  decision: 'approved' | 'declined' | ReportOutcome;
  decisionNote: string;
  /** who an approval covered, in words (`group class-4n`) */
  scope: string | null;
  from: number | null;
  until: number | null;
  /** the state today: an approval may have expired since */
  state: string;
}

export interface RegisterQuery {
  /** decided at or after (epoch ms) */
  from?: number;
  /** decided before (epoch ms) */
  to?: number;
  type?: RegisterEntry['type'];
}

export interface CountRow {
  requests: number;
  approved: number;
  declined: number;
}

export interface OverblockingFigures {
  /** requests made in [from, to) */
  from: number | null;
  to: number | null;
  requests: number;
  /** approved, including approvals that have since expired */
  approved: number;
  declined: number;
  withdrawn: number;
  /** still waiting for a decision */
  pending: number;
  /** per policy category of the host (`''`: uncategorised) */
  byCategory: Array<{ category: string } & CountRow>;
  /** per group of the requester (`''`: no group known) */
  byGroup: Array<{ group: string } & CountRow>;
  timeToDecision: { decided: number; medianMs: number | null; p90Ms: number | null };
}

/** The register holds this many rows at most per call; a school's year is far below it. */
export const REGISTER_LIMIT = 100_000;

function scopeWords(text: string | null): string | null {
  if (text === null) return null;
  try {
    const { scope } = JSON.parse(text) as { scope: ApprovalScope };
    switch (scope.type) {
      case 'requester':
        return 'the requester';
      case 'group':
        return `group ${scope.group}`;
      case 'role':
        return `role ${scope.role}`;
      case 'role-set':
        return `role set ${scope.roleSet}`;
      default:
        return null;
    }
  } catch {
    return null;
  }
}

function fromRequest(row: UnblockRow, now: number): RegisterEntry {
  const expired = row.state === 'expired' || (row.state === 'approved' && row.valid_until !== null && row.valid_until <= now);
  return {
    type: 'unblock-request',
    id: row.id,
    host: row.host,
    url: row.url,
    categories: parseList(row.categories),
    askedBy: row.requester,
    askedRole: row.requester_role,
    askedAt: row.created_at,
    reason: row.reason,
    recommendedBy: row.recommended_by,
    recommendation: row.recommendation as Recommendation | null,
    recommendationNote: row.recommendation_note,
    decidedBy: row.decided_by ?? '',
    decidedAt: row.decided_at ?? 0,
    decision: row.state === 'declined' ? 'declined' : 'approved',
    decisionNote: row.decision_note ?? '',
    scope: scopeWords(row.scope),
    from: row.valid_from,
    until: row.valid_until,
    state: expired ? 'expired' : row.state,
  };
}

function fromReport(row: ReportRow): RegisterEntry {
  return {
    type: 'site-report',
    id: row.id,
    host: row.host ?? '',
    url: row.url,
    categories: parseList(row.categories),
    askedBy: row.reporter,
    askedRole: row.reporter_role,
    askedAt: row.created_at,
    reason: row.message,
    recommendedBy: null,
    recommendation: null,
    recommendationNote: null,
    decidedBy: row.closed_by ?? '',
    decidedAt: row.closed_at ?? 0,
    decision: (row.outcome ?? 'resolved') as ReportOutcome,
    decisionNote: row.note ?? '',
    scope: row.outcome === 'site-blocked' ? 'everyone' : null,
    from: row.outcome === 'site-blocked' ? row.closed_at : null,
    until: null,
    state: row.state,
  };
}

/** Decided requests and closed site reports, oldest decision first. */
export async function registerEntries(db: Kysely<RequestsDatabase>, query: RegisterQuery, now: number): Promise<RegisterEntry[]> {
  const out: RegisterEntry[] = [];
  if (query.type !== 'site-report') {
    let q = db.selectFrom('unblock_requests').selectAll().where('decided_at', 'is not', null).where('state', 'in', ['approved', 'declined', 'expired']);
    if (query.from !== undefined) q = q.where('decided_at', '>=', query.from);
    if (query.to !== undefined) q = q.where('decided_at', '<', query.to);
    const rows = await q.orderBy('decided_at').orderBy('id').limit(REGISTER_LIMIT).execute();
    out.push(...rows.map((row) => fromRequest(row, now)));
  }
  if (query.type !== 'unblock-request') {
    let q = db.selectFrom('case_reports').selectAll().where('kind', '=', 'site-report').where('state', '=', 'closed');
    if (query.from !== undefined) q = q.where('closed_at', '>=', query.from);
    if (query.to !== undefined) q = q.where('closed_at', '<', query.to);
    const rows = await q.orderBy('closed_at').orderBy('id').limit(REGISTER_LIMIT).execute();
    out.push(...rows.map(fromReport));
  }
  return out.sort((a, b) => a.decidedAt - b.decidedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export const REGISTER_COLUMNS = [
  'type',
  'id',
  'host',
  'url',
  'categories',
  'asked_by',
  'asked_role',
  'asked_at',
  'reason',
  'recommended_by',
  'recommendation',
  'recommendation_note',
  'decided_by',
  'decided_at',
  'decision',
  'decision_note',
  'scope',
  'from',
  'until',
  'state',
] as const;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The register as CSV (RFC 4180, formula-safe cells, times in ISO 8601 UTC, lists joined with `;`). */
export function registerCsv(entries: readonly RegisterEntry[]): string {
  const lines = [`${REGISTER_COLUMNS.join(',')}\r\n`];
  for (const e of entries) {
    const cells: Array<string | null> = [
      e.type,
      e.id,
      e.host,
      e.url,
      e.categories.join(';'),
      e.askedBy,
      e.askedRole,
      iso(e.askedAt),
      e.reason,
      e.recommendedBy,
      e.recommendation,
      e.recommendationNote,
      e.decidedBy,
      iso(e.decidedAt),
      e.decision,
      e.decisionNote,
      e.scope,
      iso(e.from),
      iso(e.until),
      e.state,
    ];
    lines.push(`${cells.map(csvCell).join(',')}\r\n`);
  }
  return lines.join('');
}

/** The value at fraction `q` of sorted numbers (nearest rank), or null for none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The middle value (the mean of the two middle ones for an even count), or null for none. */
export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function bump(map: Map<string, CountRow>, key: string, approved: boolean, declined: boolean): void {
  const row = map.get(key) ?? { requests: 0, approved: 0, declined: 0 };
  row.requests += 1;
  if (approved) row.approved += 1;
  if (declined) row.declined += 1;
  map.set(key, row);
}

function sorted<K extends string>(map: Map<string, CountRow>, key: K): Array<Record<K, string> & CountRow> {
  return [...map.entries()]
    .sort((a, b) => b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : 1))
    .map(([name, counts]) => ({ [key]: name, ...counts }) as Record<K, string> & CountRow);
}

/** Overblocking figures for the requests made in [from, to). */
export async function overblockingFigures(db: Kysely<RequestsDatabase>, range: { from?: number; to?: number }): Promise<OverblockingFigures> {
  let q = db.selectFrom('unblock_requests').select(['state', 'created_at', 'decided_at', 'categories', 'requester_groups']);
  if (range.from !== undefined) q = q.where('created_at', '>=', range.from);
  if (range.to !== undefined) q = q.where('created_at', '<', range.to);
  const rows = await q.limit(REGISTER_LIMIT).execute();
  const byCategory = new Map<string, CountRow>();
  const byGroup = new Map<string, CountRow>();
  const waits: number[] = [];
  let approved = 0;
  let declined = 0;
  let withdrawn = 0;
  let pending = 0;
  for (const row of rows) {
    const wasApproved = row.state === 'approved' || row.state === 'expired';
    const wasDeclined = row.state === 'declined';
    if (wasApproved) approved += 1;
    if (wasDeclined) declined += 1;
    if (row.state === 'withdrawn') withdrawn += 1;
    if (row.state === 'submitted' || row.state === 'recommended') pending += 1;
    if ((wasApproved || wasDeclined) && row.decided_at !== null) waits.push(Math.max(0, row.decided_at - row.created_at));
    const categories = parseList(row.categories);
    for (const category of categories.length > 0 ? categories : ['']) bump(byCategory, category, wasApproved, wasDeclined);
    const groups = parseList(row.requester_groups);
    for (const group of groups.length > 0 ? groups : ['']) bump(byGroup, group, wasApproved, wasDeclined);
  }
  waits.sort((a, b) => a - b);
  return {
    from: range.from ?? null,
    to: range.to ?? null,
    requests: rows.length,
    approved,
    declined,
    withdrawn,
    pending,
    byCategory: sorted(byCategory, 'category'),
    byGroup: sorted(byGroup, 'group'),
    timeToDecision: { decided: waits.length, medianMs: median(waits), p90Ms: quantile(waits, 0.9) },
  };
}
