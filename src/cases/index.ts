// Workflows the policy names. So far: what people report from the block page.
export { BlockPageReports, blockPageReportKinds, blockPageReportMigrations, type BlockPageReport, type BlockPageReportKind } from './block-page-reports.ts';
