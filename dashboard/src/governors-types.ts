// What the reporting API answers (GET /api/reports/governors and /api/reports/review-pack): the
// governors' termly figures with small counts already hidden, and the evidence pack's files.

/** A count as the report shows it: counted, "fewer than N", or withheld. */
export type ShownCount = { kind: 'count'; value: number } | { kind: 'fewer-than'; below: number } | { kind: 'withheld' };

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
  school: string;
  version: string | null;
  reviewDate: string | null;
  owner: string | null;
  reviewDue: boolean;
  revision: string;
}

export interface GovernorsReport {
  school: string;
  term: { name: string; start: string; end: string; from: number; to: number; timeZone: string };
  producedAt: number;
  policy: PolicyFacts;
  suppressBelow: number;
  blocks: {
    total: ShownCount;
    categories: Array<{ id: string; title: string }>;
    weeks: Array<{ start: string; end: string; halfTerm: boolean; total: ShownCount; byCategory: ShownCount[] }>;
    byCategory: NamedCount[];
    byGroup: NamedCount[];
  };
  requests: {
    requested: ShownCount;
    approved: ShownCount;
    declined: ShownCount;
    medianDaysToDecision: number | null;
    byCategory: Array<RequestRow & { medianDays: number | null }>;
    byGroup: RequestRow[];
  };
  incidents: { total: ShownCount; byType: NamedCount[]; byOutcome: NamedCount[] };
  training: {
    courses: Array<{ id: string; title?: string; required: number; done: number; overdue: number }>;
    acknowledgement: { version: string; required: number; done: number } | null;
  };
  checks: { runs: number; passes: number; failures: number; byTest: Array<{ id: string; runs: number; passes: number; failures: number }> };
  sanctions: { imposed: ShownCount; lifted: ShownCount; inForce: ShownCount };
  alerts: { total: ShownCount; byCategory: NamedCount[]; byList: NamedCount[] };
}

export interface GovernorsAnswer {
  terms: Array<{ name: string; start: string; end: string }>;
  report: GovernorsReport;
}

export interface ReviewPackAnswer {
  period: { start: string; end: string; timeZone: string };
  policy: PolicyFacts;
  register: { decided: number; approved: number; declined: number };
  checks: { runs: number; passes: number; failures: number };
  overrides: number;
  incidents: { total: ShownCount; byType: NamedCount[]; byOutcome: NamedCount[] };
  files: Array<{ id: string; title: string; url: string; type: string; rows: number | null }>;
}
