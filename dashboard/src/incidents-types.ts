// The incidents API's JSON (src/cases/incidents), as the dashboard reads it. Times are epoch ms.
export type IncidentType = 'cyber-bullying' | 'staff-conduct' | 'staff-breach' | 'pupil-breach' | 'other';
export type IncidentStatus = 'open' | 'in-progress' | 'closed';
export type PartyKind = 'pupil' | 'colleague' | 'parent-carer' | 'other-adult' | 'unknown';
export type PartyRole = 'target' | 'alleged-perpetrator' | 'witness' | 'reporter';
export type PoliceCriterion = 'threatening' | 'abusive' | 'sexist' | 'sexual' | 'hate-crime';
export type StepKind = 'pupil-behaviour' | 'staff-disciplinary' | 'victim-meeting' | 'removal-request' | 'provider-report' | 'police-referral' | 'other';
export type RemovalResult = 'removed' | 'refused' | 'no-response';
export type ClosureOutcome = 'resolved' | 'disciplinary-action' | 'behaviour-sanction' | 'referred' | 'no-further-action' | 'not-upheld';

export const CLOSURE_OUTCOMES: ReadonlyArray<{ id: ClosureOutcome; title: string }> = [
  { id: 'resolved', title: 'Resolved' },
  { id: 'disciplinary-action', title: 'Disciplinary action (staff)' },
  { id: 'behaviour-sanction', title: 'Behaviour sanction (pupil)' },
  { id: 'referred', title: 'Referred outside the school' },
  { id: 'no-further-action', title: 'No further action' },
  { id: 'not-upheld', title: 'Not upheld' },
];

export const REMOVAL_RESULTS: ReadonlyArray<{ id: RemovalResult; title: string }> = [
  { id: 'removed', title: 'The content was removed' },
  { id: 'refused', title: 'They refused to remove it' },
  { id: 'no-response', title: 'No answer' },
];

export const PARTY_KIND_TITLES: Record<PartyKind, string> = {
  pupil: 'Pupil',
  colleague: 'Colleague (staff)',
  'parent-carer': 'Parent or carer',
  'other-adult': 'Other adult',
  unknown: 'Not known',
};

export const PARTY_ROLE_TITLES: Record<PartyRole, string> = {
  target: 'Target',
  'alleged-perpetrator': 'Alleged perpetrator',
  witness: 'Witness',
  reporter: 'Reported it',
};

export const STATUS_TITLES: Record<IncidentStatus, string> = { open: 'Open', 'in-progress': 'In progress', closed: 'Closed' };

export interface ReportForm {
  guidance: string;
  guidanceClauses: string[];
  types: Array<{ id: IncidentType; title: string; clauses: string[] }>;
  partyKinds: PartyKind[];
  partyRoles: PartyRole[];
  platforms: Array<{ id: string; title: string; reportUrl: string }>;
  criteria: Array<{ id: PoliceCriterion; title: string }>;
  evidence: { maxBytes: number; types: string[] };
  clauses: string[];
}

export interface IncidentParty {
  id: string;
  kind: PartyKind;
  name: string | null;
  username: string | null;
  role: PartyRole;
  note: string | null;
  addedAt: number;
  addedBy: string;
}

export interface ChronologyEntry {
  seq: number;
  at: number;
  actor: string;
  kind: string;
  text: string;
}

export interface IncidentStep {
  id: string;
  kind: StepKind;
  title: string;
  clauses: string[];
  required: boolean;
  basis: string;
  owner: string;
  dueAt: number;
  status: 'open' | 'done' | 'skipped';
  link: string | null;
  result: RemovalResult | null;
  outcome: string | null;
  decidedAt: number | null;
  decidedBy: string | null;
  createdAt: number;
  overdue: boolean;
}

export interface EvidenceItem {
  id: string;
  kind: 'file' | 'url';
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  uploadedBy: string;
  uploadedAt: number;
  shows: number | null;
  note: string | null;
}

export interface IncidentCase {
  id: string;
  type: IncidentType;
  status: IncidentStatus;
  platform: string | null;
  description: string;
  occurredAt: number;
  reportedAt: number;
  reportedBy: string;
  owner: { role: string; person: string | null; chainIndex: number };
  criteria: PoliceCriterion[];
  parties: IncidentParty[];
  steps: IncidentStep[];
  evidence: EvidenceItem[];
  chronology: ChronologyEntry[];
  closure: { outcome: ClosureOutcome; rationale: string; referrals: string[]; at: number; by: string } | null;
  limited?: undefined;
}

export interface ReporterView {
  id: string;
  type: IncidentType;
  status: IncidentStatus;
  platform: string | null;
  description: string;
  occurredAt: number;
  reportedAt: number;
  closedAt: number | null;
  evidence: EvidenceItem[];
  limited: true;
}

export interface IncidentSummary {
  id: string;
  type: IncidentType;
  status: IncidentStatus;
  platform: string | null;
  occurredAt: number;
  reportedAt: number;
  reportedBy: string | null;
  ownerRole: string | null;
  ownerPerson: string | null;
  openRequiredSteps: number | null;
  overdueSteps: number | null;
  evidenceCount: number;
  closedAt: number | null;
  limited: boolean;
}

export interface IncidentList {
  items: IncidentSummary[];
  nextCursor: string | null;
}

export interface EvidenceCheck {
  id: string;
  name: string;
  sha256: string;
  ok: boolean;
}
