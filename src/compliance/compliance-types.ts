// The JSON shapes of the compliance records, as the API returns them and the dashboard reads
// them. Times are epoch milliseconds; dates (`YYYY-MM-DD`) are the school's calendar days.
// NOTE: this file imports nothing, so the dashboard can take its types as they are.

/** done: nothing owed; due: owed, not yet late; overdue: late; not-required: the role is not asked */
export type DueState = 'done' | 'due' | 'overdue' | 'not-required';

export interface DueCell {
  state: DueState;
  /** when it is (or was) due; null when nothing is owed */
  dueAt: number | null;
  /** due within the next 14 days (or already overdue), so it should be done now */
  soon: boolean;
  /** the last completion, acceptance or self-check; null when there is none */
  lastAt: number | null;
}

export interface Course {
  id: string;
  title: string;
  clauses: string[];
  /** the roles asked, role sets expanded */
  roles: string[];
  dueWithin: string;
  /** absent: once */
  every: string | null;
}

export interface TrainingCell extends DueCell {
  course: string;
  completions: number;
}

export interface MemberSummary {
  username: string;
  displayName: string;
  role: string;
  /** when this person's compliance clock started (recorded start date, else first seen) */
  startAt: number;
  startSource: 'recorded' | 'added' | 'first-seen';
}

export interface TrainingMatrix {
  courses: Course[];
  rows: Array<MemberSummary & { cells: TrainingCell[] }>;
  /** how many cells are in each state */
  totals: Record<DueState, number>;
  at: number;
}

export interface OverdueItem {
  username: string;
  displayName: string;
  role: string;
  what: 'training' | 'acknowledgement' | 'self-check';
  /** the course id for training */
  course: string | null;
  title: string;
  dueAt: number;
}

export interface TrainingRecordView {
  id: string;
  person: string;
  course: string;
  completedAt: number;
  recordedBy: string;
  recordedAt: number;
  evidence: string | null;
}

export interface SelfCheckView {
  id: string;
  person: string;
  at: number;
  note: string | null;
}

export interface AcknowledgementView {
  id: string;
  person: string;
  versionKey: string;
  version: string;
  policyRevision: string;
  clauses: string[];
  at: number;
}

/** What the acknowledgement page shows: the version to accept and the clauses with their titles. */
export interface PolicyVersionView {
  /** the version and a digest of what is shown; a new key means everyone accepts again */
  key: string;
  version: string;
  policyName: string;
  owner: string | null;
  revision: string;
  clauses: Array<{ id: string; title: string }>;
  /** when this version was first in force here */
  since: number;
}

export interface MyAcknowledgement {
  policy: PolicyVersionView;
  required: boolean;
  state: DueCell;
  /** the acceptance of this version, when given */
  accepted: AcknowledgementView | null;
}

export interface PersonCompliance {
  member: MemberSummary;
  training: Array<TrainingCell & { title: string; clauses: string[] }>;
  acknowledgement: (DueCell & { versionKey: string; version: string }) | null;
  selfCheck: (DueCell & { every: string; clauses: string[] }) | null;
  records: {
    training: TrainingRecordView[];
    selfChecks: SelfCheckView[];
    acknowledgements: AcknowledgementView[];
  };
}

export interface AcknowledgementOutstanding {
  policy: PolicyVersionView;
  /** people asked to accept this version who have not */
  outstanding: Array<MemberSummary & { dueAt: number; state: DueState }>;
  accepted: number;
  required: number;
}

export interface ReviewView {
  id: string;
  reviewedAt: number;
  reviewedBy: string;
  policyVersion: string | null;
  policyRevision: string;
  nextReviewDate: string;
  note: string | null;
}

export interface ReviewStatus {
  /** the review date in force: the later of the file's `reviewDate` and the last recorded review's next date */
  reviewDate: string | null;
  source: 'policy' | 'recorded' | null;
  /** the school layer's own `reviewDate` */
  policyReviewDate: string | null;
  state: 'none' | 'ok' | 'soon' | 'overdue';
  /** reminders go this long before the date */
  remindBefore: string | null;
  remindTo: string[];
  lastReview: ReviewView | null;
  history: ReviewView[];
}

export type CheckPath = 'proxy' | 'dns';
export type CheckSeen = 'allowed' | 'blocked' | 'warned' | 'error' | 'not-applicable';
export type CheckOutcome = 'pass' | 'fail' | 'not-applicable';

export interface CheckResultView {
  testId: string;
  url: string;
  role: string;
  groups: string[];
  path: CheckPath;
  expected: Exclude<CheckSeen, 'error' | 'not-applicable'>;
  seen: CheckSeen;
  outcome: CheckOutcome;
  /** time to the answer's first byte (proxy) or the DNS answer; null when none came */
  latencyMs: number | null;
  /** the HTTP status (proxy) or DNS rcode name */
  status: number | string | null;
  /** the rule and clauses the filter reported (the proxy says; DNS does not) */
  rule: string | null;
  clauses: string[];
  expectedClauses: string[];
  detail: string | null;
}

export interface CheckRunView {
  id: string;
  startedAt: number;
  finishedAt: number | null;
  trigger: 'schedule' | 'manual';
  requestedBy: string | null;
  policyRevision: string;
  passed: number;
  failed: number;
  notApplicable: number;
  results: CheckResultView[];
}

export interface CheckLogPage {
  items: CheckRunView[];
  nextCursor: string | null;
  /** when the next scheduled run is due; null when checks are not set up */
  nextDueAt: number | null;
  every: string | null;
}
