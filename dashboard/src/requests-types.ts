// The JSON of the requests API (src/cases/requests/requests-routes.ts), as the dashboard reads it.
// Times are epoch milliseconds.

export type UnblockState = 'submitted' | 'recommended' | 'approved' | 'declined' | 'withdrawn' | 'expired';
export type ReportKind = 'site-report' | 'accident' | 'tell-teacher' | 'contact-attempt';
export type ReportState = 'open' | 'acknowledged' | 'closed';
export type ReportOutcome = 'resolved' | 'no-action' | 'referred' | 'site-blocked';
export type ContactDirection = 'staff-to-pupil-or-parent' | 'pupil-or-parent-to-staff';

export type ApprovalScope = { type: 'requester' } | { type: 'group'; group: string } | { type: 'role'; role: string } | { type: 'role-set'; roleSet: string };

export interface UnblockRequest {
  id: string;
  createdAt: number;
  updatedAt: number;
  source: 'block-page' | 'dashboard';
  eventId: string | null;
  requester: string | null;
  requesterRole: string;
  requesterGroups: string[];
  clientIp: string | null;
  url: string;
  host: string;
  categories: string[];
  clauses: string[];
  reason: string;
  state: UnblockState;
  dueAt: number | null;
  overdue: boolean;
  recommendation: { value: 'approve' | 'decline'; by: string; at: number; note: string } | null;
  decision: { value: 'approved' | 'declined'; by: string; at: number; note: string } | null;
  approval: { scope: ApprovalScope; grantScope: { groups?: string[]; roles?: string[]; people?: string[] }; site: string; grantId: string | null; from: number; until: number } | null;
  closedAt: number | null;
  allowed: { recommend: boolean; decide: boolean; withdraw: boolean };
}

export interface CaseReport {
  id: string;
  kind: ReportKind;
  createdAt: number;
  updatedAt: number;
  source: 'block-page' | 'dashboard';
  eventId: string | null;
  reporter: string | null;
  reporterRole: string;
  reporterGroups: string[];
  clientIp: string | null;
  url: string | null;
  host: string | null;
  categories: string[];
  clauses: string[];
  message: string;
  contact: { platform: string; otherParty: string; direction: ContactDirection } | null;
  routedTo: { roles: string[]; people: string[]; groups: string[] };
  state: ReportState;
  dueAt: number | null;
  overdue: boolean;
  acknowledged: { by: string; at: number } | null;
  closed: { by: string; at: number; outcome: ReportOutcome; note: string; blockedSite: string | null } | null;
  allowed: { acknowledge: boolean; close: boolean };
}

export interface RegisterEntry {
  type: 'unblock-request' | 'site-report';
  id: string;
  host: string;
  url: string | null;
  categories: string[];
  askedBy: string | null;
  askedRole: string;
  askedAt: number;
  reason: string;
  recommendedBy: string | null;
  recommendation: 'approve' | 'decline' | null;
  recommendationNote: string | null;
  decidedBy: string;
  decidedAt: number;
  decision: string;
  decisionNote: string;
  scope: string | null;
  from: number | null;
  until: number | null;
  state: string;
}

export interface CountRow {
  requests: number;
  approved: number;
  declined: number;
}

export interface OverblockingFigures {
  from: number | null;
  to: number | null;
  requests: number;
  approved: number;
  declined: number;
  withdrawn: number;
  pending: number;
  byCategory: Array<{ category: string } & CountRow>;
  byGroup: Array<{ group: string } & CountRow>;
  timeToDecision: { decided: number; medianMs: number | null; p90Ms: number | null };
}

export const UNBLOCK_STATE_WORDS: Record<UnblockState, string> = {
  submitted: 'Waiting for review',
  recommended: 'Recommended, waiting for a decision',
  approved: 'Approved',
  declined: 'Declined',
  withdrawn: 'Withdrawn',
  expired: 'Approval ended',
};

export const REPORT_KIND_WORDS: Record<ReportKind, string> = {
  'site-report': 'Site report',
  accident: 'Reached by accident',
  'tell-teacher': 'Tell a teacher',
  'contact-attempt': 'Contact attempt',
};

export const REPORT_STATE_WORDS: Record<ReportState, string> = { open: 'Open', acknowledged: 'Acknowledged', closed: 'Closed' };

export const OUTCOME_WORDS: Record<ReportOutcome, string> = {
  resolved: 'Resolved',
  'no-action': 'No action needed',
  referred: 'Referred on',
  'site-blocked': 'Site blocked for everyone',
};

export const DIRECTION_WORDS: Record<ContactDirection, string> = {
  'staff-to-pupil-or-parent': 'From a member of staff to a pupil or parent',
  'pupil-or-parent-to-staff': 'From a pupil or parent to a member of staff',
};
