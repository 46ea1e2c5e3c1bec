// What unblock requests (8.4, 8.5) and reports (6.14, 8.3, 7.8, 6.4–7.4, council internet rules)
// look like to the API, the block page and the dashboard, and how long their fields may be.
import type { OverrideScope } from '../../overrides/index.ts';

/**
 * submitted → recommended (by a reviewer) → approved | declined (by a decider); a decider may
 * decide straight from submitted. withdrawn: by the requester before a decision. expired: the
 * approval's grant ended (or was revoked).
 */
export type UnblockState = 'submitted' | 'recommended' | 'approved' | 'declined' | 'withdrawn' | 'expired';
export const UNBLOCK_STATES: readonly UnblockState[] = ['submitted', 'recommended', 'approved', 'declined', 'withdrawn', 'expired'];
/** not yet decided, withdrawn or expired */
export const UNDECIDED: readonly UnblockState[] = ['submitted', 'recommended'];

export type Recommendation = 'approve' | 'decline';

export type ReportKind = 'site-report' | 'accident' | 'tell-teacher' | 'contact-attempt';
export const REPORT_KINDS: readonly ReportKind[] = ['site-report', 'accident', 'tell-teacher', 'contact-attempt'];

export type ReportState = 'open' | 'acknowledged' | 'closed';
export const REPORT_STATES: readonly ReportState[] = ['open', 'acknowledged', 'closed'];

/** `site-blocked` only for a site report: the site was added to the school's block list (8.3). */
export type ReportOutcome = 'resolved' | 'no-action' | 'referred' | 'site-blocked';
export const REPORT_OUTCOMES: readonly ReportOutcome[] = ['resolved', 'no-action', 'referred', 'site-blocked'];

/** Which way a contact or friend request went (6.4, 6.5, 7.3, 7.4). */
export type ContactDirection = 'staff-to-pupil-or-parent' | 'pupil-or-parent-to-staff';
export const CONTACT_DIRECTIONS: readonly ContactDirection[] = ['staff-to-pupil-or-parent', 'pupil-or-parent-to-staff'];

export type RequestSource = 'block-page' | 'dashboard';

/** Who an approval covers: the requester, a class or group, a role (all pupils), a role set (all staff). */
export type ApprovalScope = { type: 'requester' } | { type: 'group'; group: string } | { type: 'role'; role: string } | { type: 'role-set'; roleSet: string };

/** Who asked or reported, as far as it is known. */
export interface Asker {
  /** username; null when only the network's role was known */
  person: string | null;
  role: string;
  groups: readonly string[];
  clientIp: string | null;
}

/** The signed-in account doing a step. */
export interface Actor {
  username: string;
  role: string;
  groups: readonly string[];
}

export interface UnblockRequest {
  id: string;
  createdAt: number;
  updatedAt: number;
  source: RequestSource;
  /** the decision event the block page showed (its reference) */
  eventId: string | null;
  requester: string | null;
  requesterRole: string;
  requesterGroups: string[];
  clientIp: string | null;
  url: string;
  host: string;
  categories: string[];
  /** the clauses of the rule that blocked it */
  clauses: string[];
  /** the requester's reason (may be empty from the block page) */
  reason: string;
  state: UnblockState;
  /** a decision is expected by then (policy `respondWithin`) */
  dueAt: number | null;
  overdue: boolean;
  recommendation: { value: Recommendation; by: string; at: number; note: string } | null;
  decision: { value: 'approved' | 'declined'; by: string; at: number; note: string } | null;
  approval: { scope: ApprovalScope; grantScope: OverrideScope; site: string; grantId: string | null; from: number; until: number } | null;
  /** when it was withdrawn or its approval ended */
  closedAt: number | null;
}

export interface ReportRouting {
  /** roles (role sets expanded) */
  roles: string[];
  /** usernames (a line manager) */
  people: string[];
  /** the reporter's class groups, for their class teachers (7.8) */
  groups: string[];
}

export interface CaseReport {
  id: string;
  kind: ReportKind;
  createdAt: number;
  updatedAt: number;
  source: RequestSource;
  eventId: string | null;
  reporter: string | null;
  reporterRole: string;
  reporterGroups: string[];
  clientIp: string | null;
  url: string | null;
  host: string | null;
  categories: string[];
  /** the clauses of the workflow (7.8 for tell-a-teacher, …) */
  clauses: string[];
  message: string;
  contact: { platform: string; otherParty: string; direction: ContactDirection } | null;
  routedTo: ReportRouting;
  state: ReportState;
  /** acknowledgement expected by then (policy `respondWithin`) */
  dueAt: number | null;
  overdue: boolean;
  acknowledged: { by: string; at: number } | null;
  closed: { by: string; at: number; outcome: ReportOutcome; note: string; blockedSite: string | null } | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Longest kept text of each field; longer input is cut, never refused, where it comes from a form. */
export const FIELD_LIMITS = {
  url: 2048,
  host: 253,
  text: 1000,
  name: 200,
  platform: 100,
  eventId: 100,
  listItems: 20,
  listItem: 100,
} as const;

/** The text trimmed and cut to `max` characters, never in the middle of a surrogate pair. */
export function cut(text: string, max: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  let end = max;
  const code = trimmed.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return trimmed.slice(0, end);
}

/** At most `FIELD_LIMITS.listItems` names, each cut, empty ones dropped, no repeats. */
export function cutList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    const name = cut(value, FIELD_LIMITS.listItem);
    if (name !== '' && !out.includes(name)) out.push(name);
    if (out.length === FIELD_LIMITS.listItems) break;
  }
  return out;
}
