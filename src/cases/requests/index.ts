// Unblock requests (8.4, 8.5) and reports (6.14, 8.3, 7.8, 6.4–7.4, council internet rules): the
// typed stores, the workflow the server starts, the block page's signed tickets, the register and
// overblocking figures, and the API routes.
export { RequestsWorkflow, type RequestsWorkflowOptions } from './requests-workflow.ts';
export { UnblockRequests, approvalSite, grantScopeOf, type Approval, type NewUnblockRequest, type UnblockFilter } from './unblock-requests.ts';
export { CaseReports, type NewReport, type ReportFilter, type ReportViewer, type SiteBlocker } from './case-reports.ts';
export { schoolSiteBlocker, DEFAULT_BLOCK_RULE, type SiteBlockerOptions } from './site-blocker.ts';
export { BlockTickets, DEFAULT_TICKET_LIFETIME_MS, TICKET_KEY_FILE, type BlockTicket, type BlockTicketFields, type BlockTicketOptions, type TicketCheck } from './block-ticket.ts';
export { requestPeriodFigures, type RequestPeriodCounts, type RequestPeriodFigures } from './period-figures.ts';
export { registerCsv, registerEntries, overblockingFigures, REGISTER_COLUMNS, type OverblockingFigures, type RegisterEntry, type RegisterQuery } from './register.ts';
export { deciderRoles, reviewerRoles, routeReport, routedTo, type RoutePeople, type RoutePerson } from './routing.ts';
export { requestsRoutes } from './requests-routes.ts';
export {
  CONTACT_DIRECTIONS,
  FIELD_LIMITS,
  REPORT_KINDS,
  REPORT_OUTCOMES,
  REPORT_STATES,
  UNBLOCK_STATES,
  cut as cutField,
  type Actor as RequestActor,
  type ApprovalScope,
  type Asker,
  type CaseReport,
  type ContactDirection,
  type Page as RequestPage,
  type Recommendation as UnblockRecommendation,
  type ReportKind,
  type ReportOutcome,
  type ReportRouting,
  type ReportState,
  type RequestSource,
  type UnblockRequest,
  type UnblockState,
} from './request-types.ts';
