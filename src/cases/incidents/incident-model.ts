// What an incident case is made of (9.1–9.9, 6.11, 6.12, 6.15, 7.2): its type, the people in it,
// the next steps the policy prescribes, the police-referral criteria (9.8) and how it closes.
// Wire names here are stable: the API, the dashboard and the governors' report count by them.
import type { IncidentsSection } from '../../policy/index.ts';

/** a type the policy's `evidence.types` may list (each can be checked against the bytes) */
export type EvidenceType = IncidentsSection['evidence']['types'][number];

export const INCIDENT_TYPES = ['cyber-bullying', 'staff-conduct', 'staff-breach', 'pupil-breach', 'other'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export const INCIDENT_TYPE_INFO: Record<IncidentType, { title: string; clauses: string[] }> = {
  'cyber-bullying': { title: 'Cyber-bullying', clauses: ['3.2', '9.1'] },
  'staff-conduct': { title: 'Bullying, coercion or manipulation by a member of staff', clauses: ['6.15'] },
  'staff-breach': { title: 'Breach of the policy by a member of staff', clauses: ['6.11', '6.12'] },
  'pupil-breach': { title: 'Breach of the policy by a pupil', clauses: ['7.2'] },
  other: { title: 'Other conduct incident', clauses: [] },
};

/** Members of the school community (3.3) and everyone else a case can name. */
export const PARTY_KINDS = ['pupil', 'colleague', 'parent-carer', 'other-adult', 'unknown'] as const;
export type PartyKind = (typeof PARTY_KINDS)[number];

export const PARTY_ROLES = ['target', 'alleged-perpetrator', 'witness', 'reporter'] as const;
export type PartyRole = (typeof PARTY_ROLES)[number];

/** 9.8: material that is threatening, abusive, sexist, of a sexual nature or a hate crime. */
export const POLICE_CRITERIA = ['threatening', 'abusive', 'sexist', 'sexual', 'hate-crime'] as const;
export type PoliceCriterion = (typeof POLICE_CRITERIA)[number];

export const POLICE_CRITERIA_INFO: Record<PoliceCriterion, string> = {
  threatening: 'The material is threatening',
  abusive: 'The material is abusive',
  sexist: 'The material is sexist',
  sexual: 'The material is of a sexual nature',
  'hate-crime': 'The material constitutes a hate crime',
};

export const STEP_KINDS = ['pupil-behaviour', 'staff-disciplinary', 'victim-meeting', 'removal-request', 'provider-report', 'police-referral', 'other'] as const;
export type StepKind = (typeof STEP_KINDS)[number];
/** the kinds proposed from the case; `other` is added by hand */
export type ProposedStepKind = Exclude<StepKind, 'other'>;

export const STEP_INFO: Record<ProposedStepKind, { title: string; clauses: string[]; dueWithin: string }> = {
  'pupil-behaviour': { title: "Deal with it through the school's behaviour procedure", clauses: ['9.5', '7.2'], dueWithin: '10d' },
  'staff-disciplinary': { title: "Deal with it through the school's disciplinary procedure", clauses: ['9.5', '6.11', '6.15'], dueWithin: '10d' },
  'victim-meeting': { title: 'A senior member of staff meets the victim to address their concerns', clauses: ['9.6'], dueWithin: '2d' },
  'removal-request': { title: 'Ask the perpetrator to remove the offensive content', clauses: ['9.6'], dueWithin: '5d' },
  'provider-report': { title: "Report the content to the provider through its reporting mechanism", clauses: ['9.7'], dueWithin: '5d' },
  'police-referral': { title: 'Consider contacting the police', clauses: ['9.8'], dueWithin: '1d' },
};

/** What came of asking for the content to be removed (9.6); refused or unanswered leads to 9.7. */
export const REMOVAL_RESULTS = ['removed', 'refused', 'no-response'] as const;
export type RemovalResult = (typeof REMOVAL_RESULTS)[number];

export const INCIDENT_STATUSES = ['open', 'in-progress', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const STEP_STATUSES = ['open', 'done', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** How a case ends; the governors' report counts cases by these (no child named). */
export const CLOSURE_OUTCOMES = ['resolved', 'disciplinary-action', 'behaviour-sanction', 'referred', 'no-further-action', 'not-upheld'] as const;
export type ClosureOutcome = (typeof CLOSURE_OUTCOMES)[number];

export interface IncidentParty {
  id: string;
  kind: PartyKind;
  /** as the reporter or a manager wrote it, or the roster's name for `username` */
  name: string | null;
  /** roster username, when the person is on the roster */
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
  /** `reported`, `note`, `party`, `evidence`, `criteria`, `step`, `escalated`, `taken`, `closed`, `notify-failed` */
  kind: string;
  text: string;
}

export interface IncidentStep {
  id: string;
  kind: StepKind;
  title: string;
  clauses: string[];
  /** a required step needs an outcome, or a recorded reason to skip it, before the case closes */
  required: boolean;
  /** why it was proposed, in a sentence */
  basis: string;
  /** a role of the policy or a roster username */
  owner: string;
  dueAt: number;
  status: StepStatus;
  /** the platform's reporting page (provider-report, 9.7) */
  link: string | null;
  result: RemovalResult | null;
  outcome: string | null;
  /** when the outcome or the reason to skip was recorded, and by whom */
  decidedAt: number | null;
  decidedBy: string | null;
  createdAt: number;
  overdue: boolean;
}

export interface EvidenceItem {
  id: string;
  kind: 'file' | 'url';
  /** the file's original name, or the URL */
  name: string;
  contentType: EvidenceType | 'text/uri-list';
  size: number;
  /** SHA-256 of the stored bytes, hex, taken at upload */
  sha256: string;
  uploadedBy: string;
  uploadedAt: number;
  /** the time and date of the incident the evidence shows (9.4), when known */
  shows: number | null;
  note: string | null;
}

export interface IncidentClosure {
  outcome: ClosureOutcome;
  rationale: string;
  /** the referrals made outside the school (`police-referral`, `provider-report`) */
  referrals: string[];
  at: number;
  by: string;
}

/** A case as the safeguarding roles (`incidents.manage`) see it. */
export interface IncidentCase {
  id: string;
  type: IncidentType;
  status: IncidentStatus;
  /** a key of the policy's `platforms`, or the reporter's own words */
  platform: string | null;
  description: string;
  /** when it happened (9.4) */
  occurredAt: number;
  reportedAt: number;
  reportedBy: string;
  owner: { role: string; person: string | null; chainIndex: number };
  criteria: PoliceCriterion[];
  parties: IncidentParty[];
  steps: IncidentStep[];
  evidence: EvidenceItem[];
  chronology: ChronologyEntry[];
  closure: IncidentClosure | null;
}

/** A case as its reporter sees it without `incidents.manage`: no parties, steps or notes. */
export interface ReporterView {
  id: string;
  type: IncidentType;
  status: IncidentStatus;
  platform: string | null;
  description: string;
  occurredAt: number;
  reportedAt: number;
  closedAt: number | null;
  /** the evidence this reporter added */
  evidence: EvidenceItem[];
  limited: true;
}

/** One row of the case list: nobody's name, so a list on a shared screen gives nothing away. */
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

export interface PartyInput {
  kind: PartyKind;
  name?: string | null;
  username?: string | null;
  role: PartyRole;
  note?: string | null;
}

export interface NewIncident {
  type: IncidentType;
  platform?: string | null;
  description: string;
  occurredAt: number;
  parties?: PartyInput[];
  criteria?: PoliceCriterion[];
}
