// The policy's workflow sections: requests and reports, incidents, sanctions, alerts, compliance
// records and reporting.
export { workflowsSchema, type WorkflowsSection } from './workflows-schema.ts';
export { resolveWorkflows, expandRoles, type ResolvedWorkflows } from './workflows-resolve.ts';
export { requestsSchema, type RequestsSection } from './requests-schema.ts';
export { incidentsSchema, type IncidentsSection } from './incidents-schema.ts';
export { sanctionsSchema, type SanctionsSection } from './sanctions-schema.ts';
export { alertsSchema, type AlertsSection } from './alerts-schema.ts';
export { complianceSchema, type ComplianceSection } from './compliance-schema.ts';
export { reportingSchema, type ReportingSection } from './reporting-schema.ts';
