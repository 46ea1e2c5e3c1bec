// Reports for governors and the annual review: the termly report's figures (small counts hidden,
// no person named) as JSON and as a PDF with charts, and the review's evidence pack as a PDF
// summary with CSV files.
export {
  DEFAULT_SUPPRESS_BELOW,
  formatShown,
  protectBreakdown,
  protectCount,
  protectTable,
  shownValue,
  type ProtectedLine,
  type ShownCount,
} from './small-numbers.ts';
export type {
  AlertFigures,
  BlockFigures,
  CheckFigures,
  ComplianceFigures,
  IncidentFigures,
  ReportPeriod,
  ReportSources,
  RequestCounts,
  RequestFigures,
  SanctionFigures,
} from './report-sources.ts';
export { decisionLogBlocks, type BlockCountsReader } from './decision-log-blocks.ts';
export { addDays, chooseTerm, dayStartAt, policyTerms, termWeeks, type ReportTerm, type ReportWeek } from './term-weeks.ts';
export {
  buildGovernorsReport,
  DEFAULT_CATEGORIES_SHOWN,
  OTHER_CATEGORIES,
  median,
  policyFacts,
  type GovernorsReportData,
  type GovernorsReportInput,
  type NamedCount,
  type PolicyFacts,
  type RequestRow,
} from './governors-report.ts';
export { renderGovernorsPdf } from './governors-pdf.ts';
export {
  buildReviewPack,
  describeOverrideScope,
  describeScope,
  MAX_REVIEW_DAYS,
  overridesDuring,
  reviewPeriod,
  type CheckLogEntry,
  type OverridesReader,
  type RegisterEntry,
  type RegisterScope,
  type ReviewPack,
  type ReviewPackInput,
  type ReviewPackSources,
  type ReviewPeriod,
} from './review-pack.ts';
export { checkLogCsv, csvText, incidentsCsv, isoInZone, overridesCsv, registerCsv, reviewCsv, REVIEW_CSV_FILES, type ReviewCsvFile } from './review-csv.ts';
export { renderReviewPackPdf } from './review-pdf.ts';
export { reportingRoutes, governorsReportSchema, type ReportingApiDeps, type ReportingDeps } from './reporting-routes.ts';
