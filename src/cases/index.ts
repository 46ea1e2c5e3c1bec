// Workflows the policy names: unblock requests and reports (and the block page's forms that feed them).
export { BlockPageForms, BLOCK_FORM_KINDS, type BlockFormKind, type BlockFormResult, type BlockFormSubmission, type BlockPageFormsOptions } from './block-page-reports.ts';
export * from './requests/index.ts';
export * from './sanctions/index.ts';
export * from './incidents/index.ts';
export * from './alerts/index.ts';
