// The governors' report and the annual review's evidence pack, read from the workflow stores the
// server holds: each store's own period query, its vocabulary mapped onto the reporting types.
// The decision log's part (`blocks`) is not here: the reporting routes read it from the activity
// store themselves. Nothing here names a person; the register's scope and reason are the
// decider's, never the requester's words.
import type { AlertStore, ApprovalScope, IncidentStore, RequestsWorkflow, SanctionStore, UnblockRequest, UnblockRequests } from '../cases/index.ts';
import type { CheckLog, CheckResultInRun, CheckSeen, ComplianceService } from '../compliance/index.ts';
import type {
  AlertFigures,
  CheckFigures,
  CheckLogEntry,
  ComplianceFigures,
  IncidentFigures,
  RegisterEntry as ReviewRegisterEntry,
  RegisterScope,
  ReportPeriod,
  ReportSources,
  RequestFigures,
  ReviewPackSources,
  SanctionFigures,
} from '../reporting/index.ts';

/** What the report reads of each store; the stores the server opens fit as they are. */
export interface ReportStores {
  requests: Pick<RequestsWorkflow, 'periodFigures'> & { readonly unblock: Pick<UnblockRequests, 'decidedIn'> };
  incidents: Pick<IncidentStore, 'figures'>;
  sanctions: Pick<SanctionStore, 'figures'>;
  alerts: Pick<AlertStore, 'openedCounts'>;
  /** its figures, and the policy in force (for the categories a rule's alerts belong to) */
  compliance: Pick<ComplianceService, 'figuresAt' | 'policy'>;
  checkLog: Pick<CheckLog, 'resultsIn'>;
}

export interface WorkflowReportData {
  /** every part of `ReportSources` but `blocks` */
  sources: Omit<ReportSources, 'blocks'>;
  pack: ReviewPackSources;
}

/** The check log says what the filter did (`blocked`); the policy's tests say what it should do (`block`). */
const POLICY_WORD: Record<Exclude<CheckSeen, 'not-applicable'>, string> = { allowed: 'allow', blocked: 'block', warned: 'warn', error: 'error' };

function scopeOf(scope: ApprovalScope): RegisterScope {
  switch (scope.type) {
    case 'requester':
      return { kind: 'requester' };
    case 'group':
      return { kind: 'group', id: scope.group };
    case 'role':
      return { kind: 'role', id: scope.role };
    case 'role-set':
      // the register names whole roles; a role set (`staff`) reads the same way ("all staff")
      return { kind: 'role', id: scope.roleSet };
  }
}

/** A decided unblock request as a register row; null for one without a decision. */
function registerEntryOf(request: UnblockRequest): ReviewRegisterEntry | null {
  const decision = request.decision;
  if (decision === null) return null;
  const approved = decision.value === 'approved';
  return {
    id: request.id,
    requestedAt: request.createdAt,
    decidedAt: decision.at,
    site: request.host,
    categories: [...request.categories],
    decision: decision.value,
    scope: approved && request.approval ? scopeOf(request.approval.scope) : null,
    until: approved && request.approval ? request.approval.until : null,
    recommendation: request.recommendation?.value ?? null,
    decidedBy: decision.by,
    // why it was decided as it was: the decider's note (a decline always has one), else the
    // reviewer's; the requester's own words stay out (they may be a child's)
    reason: decision.note !== '' ? decision.note : (request.recommendation?.note ?? ''),
    clauses: [...request.clauses],
  };
}

/** A check result as a check-log row; null for a path that could not be tested here. */
function checkLogEntryOf(result: CheckResultInRun): CheckLogEntry | null {
  if (result.outcome === 'not-applicable' || result.seen === 'not-applicable') return null;
  return {
    at: result.at,
    test: result.testId,
    url: result.url,
    as: result.groups.length > 0 ? `${result.role} in ${result.groups.join(', ')}` : result.role,
    path: result.path,
    expected: POLICY_WORD[result.expected],
    got: POLICY_WORD[result.seen],
    passed: result.outcome === 'pass',
    detail: result.detail,
  };
}

function checkFigures(entries: readonly CheckLogEntry[]): CheckFigures {
  const byTest = new Map<string, { id: string; runs: number; passes: number; failures: number }>();
  let passes = 0;
  for (const entry of entries) {
    let test = byTest.get(entry.test);
    if (!test) byTest.set(entry.test, (test = { id: entry.test, runs: 0, passes: 0, failures: 0 }));
    test.runs += 1;
    if (entry.passed) {
      test.passes += 1;
      passes += 1;
    } else test.failures += 1;
  }
  return { runs: entries.length, passes, failures: entries.length - passes, byTest: [...byTest.values()] };
}

/**
 * The workflow stores' parts of the governors' report and the review pack's register and check
 * log, for `reportingRoutes(deps, { sources, pack })`.
 */
export function workflowReportSources(stores: ReportStores): WorkflowReportData {
  const checkEntries = async (period: ReportPeriod): Promise<CheckLogEntry[]> =>
    (await stores.checkLog.resultsIn(period)).map(checkLogEntryOf).filter((entry): entry is CheckLogEntry => entry !== null);

  const sources: Omit<ReportSources, 'blocks'> = {
    async requests(period): Promise<RequestFigures> {
      const figures = await stores.requests.periodFigures(period);
      const counts = (c: typeof figures.total) => ({ requested: c.requested, approved: c.approved, declined: c.declined, decisionDays: [...c.decisionDays] });
      return {
        total: counts(figures.total),
        byCategory: Object.fromEntries(Object.entries(figures.byCategory).map(([id, c]) => [id, counts(c)])),
        byGroup: Object.fromEntries(Object.entries(figures.byGroup).map(([id, c]) => [id, { requested: c.requested, approved: c.approved, declined: c.declined }])),
      };
    },

    async incidents(period): Promise<IncidentFigures> {
      // the incident store counts by the same names the report shows: its types, and its
      // closure outcomes with `open` for a case not closed by the period's end
      const figures = await stores.incidents.figures(period);
      return { byType: { ...figures.byType }, byOutcome: { ...figures.byOutcome } };
    },

    async compliance(period): Promise<ComplianceFigures> {
      // as the period's last instant stood (`to` is exclusive), or now for a period under way
      const figures = await stores.compliance.figuresAt(period.to - 1);
      return {
        courses: figures.courses.map((c) => ({ id: c.id, title: c.title, required: c.required, done: c.done, overdue: c.overdue })),
        acknowledgement: figures.acknowledgement ? { ...figures.acknowledgement } : null,
      };
    },

    async checks(period): Promise<CheckFigures> {
      return checkFigures(await checkEntries(period));
    },

    async sanctions(period): Promise<SanctionFigures> {
      const figures = await stores.sanctions.figures(period);
      return { imposed: figures.imposed, lifted: figures.lifted, inForce: figures.inForce };
    },

    async alerts(period): Promise<AlertFigures> {
      const alertCategories = new Set(stores.compliance.policy().workflows.alerts?.categories ?? []);
      const byCategory: Record<string, number> = {};
      const byList: Record<string, number> = {};
      for (const count of await stores.alerts.openedCounts(period)) {
        if (count.kind === 'keyword') {
          byList[count.subject] = (byList[count.subject] ?? 0) + count.alerts;
          continue;
        }
        // a rule's alert (a legal must-block list) is shown under the high-risk category its
        // site is in, as a category alert would have been; else its site's first category, else the rule
        const category = count.kind === 'category' ? count.subject : (count.categories.find((c) => alertCategories.has(c)) ?? count.categories[0] ?? count.subject);
        byCategory[category] = (byCategory[category] ?? 0) + count.alerts;
      }
      return { byCategory, byList };
    },
  };

  const pack: ReviewPackSources = {
    async register(period): Promise<ReviewRegisterEntry[]> {
      // unblock requests only: a site report's outcome is not an approval or a decline
      const decided = await stores.requests.unblock.decidedIn(period);
      return decided.map(registerEntryOf).filter((entry): entry is ReviewRegisterEntry => entry !== null);
    },
    checkLog: checkEntries,
  };

  return { sources, pack };
}
