// Where the figures of a governors' report come from. Each source answers for a period with plain
// counts (never a person): the decision log's part is read here over the ActivityStore; the
// workflow stores' parts (requests, incidents, sanctions, alerts, compliance, filter checks) are
// supplied by whoever holds those stores. Counts are raw; the report hides the small ones.

/** epoch ms, `from` inclusive, `to` exclusive */
export interface ReportPeriod {
  from: number;
  to: number;
}

export interface BlockFigures {
  /** one entry per week asked for, in the same order */
  weeks: Array<{
    /** blocked attempts in the week */
    total: number;
    /** blocked attempts by category; `''` for uncategorised sites; a site in two categories counts in each */
    byCategory: Record<string, number>;
  }>;
  /**
   * blocked attempts over the period by group; `''` for people in no group; a person in two groups
   * counts in each (and, read from the decision log's counts, an attempt at a site in two categories counts twice)
   */
  byGroup: Record<string, number>;
}

export interface RequestCounts {
  /** requests made in the period */
  requested: number;
  /** decided in the period: approved */
  approved: number;
  /** decided in the period: declined */
  declined: number;
  /** days from request to decision, one entry per request decided in the period */
  decisionDays: number[];
}

export interface RequestFigures {
  /** every unblock request of the period once */
  total: RequestCounts;
  /** by the category of the site asked for (`''`: uncategorised) */
  byCategory: Record<string, RequestCounts>;
  /** by the requester's group (a request counts in each of the requester's groups) */
  byGroup: Record<string, Omit<RequestCounts, 'decisionDays'>>;
}

export interface IncidentFigures {
  /** incidents opened in the period by type (`cyber-bullying`, `contact-attempt`, …) */
  byType: Record<string, number>;
  /** the same incidents by outcome (`open` for those not yet closed) */
  byOutcome: Record<string, number>;
}

export interface ComplianceFigures {
  /** per course of the policy's `compliance.training`, as at the end of the period */
  courses: Array<{ id: string; title?: string; required: number; done: number; overdue: number }>;
  /** acknowledgement of the policy version in force; null when the policy asks for none */
  acknowledgement: { version: string; required: number; done: number } | null;
}

export interface CheckFigures {
  /** filter self-tests run in the period (one run = one test URL through one path) */
  runs: number;
  passes: number;
  failures: number;
  byTest: Array<{ id: string; runs: number; passes: number; failures: number }>;
}

export interface SanctionFigures {
  /** supervised-only sanctions decided in the period */
  imposed: number;
  /** lifted early or expired in the period */
  lifted: number;
  /** in force at the end of the period */
  inForce: number;
}

export interface AlertFigures {
  /** alerts raised by attempts in a high-risk category */
  byCategory: Record<string, number>;
  /** alerts raised by a search term on a safeguarding keyword list */
  byList: Record<string, number>;
}

/** Everything a governors' report needs, for one period; `src/server/report-sources.ts` implements it over the stores. */
export interface ReportSources {
  /** `weeks` split the period; the answer has one entry per week */
  blocks(period: ReportPeriod, weeks: readonly ReportPeriod[]): Promise<BlockFigures>;
  requests(period: ReportPeriod): Promise<RequestFigures>;
  incidents(period: ReportPeriod): Promise<IncidentFigures>;
  compliance(period: ReportPeriod): Promise<ComplianceFigures>;
  checks(period: ReportPeriod): Promise<CheckFigures>;
  sanctions(period: ReportPeriod): Promise<SanctionFigures>;
  alerts(period: ReportPeriod): Promise<AlertFigures>;
}
