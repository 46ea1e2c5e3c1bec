// Cyber-bullying and conduct incidents with evidence (9.1–9.9, 6.11, 6.12, 6.15, 7.2).
export {
  CLOSURE_OUTCOMES,
  INCIDENT_STATUSES,
  INCIDENT_TYPES,
  INCIDENT_TYPE_INFO,
  PARTY_KINDS,
  PARTY_ROLES,
  POLICE_CRITERIA,
  POLICE_CRITERIA_INFO,
  REMOVAL_RESULTS,
  STEP_INFO,
  STEP_KINDS,
  type ChronologyEntry,
  type ClosureOutcome,
  type EvidenceItem,
  type EvidenceType,
  type IncidentCase,
  type IncidentClosure,
  type IncidentParty,
  type IncidentStatus,
  type IncidentStep,
  type IncidentSummary,
  type IncidentType,
  type NewIncident,
  type PartyInput,
  type PartyKind,
  type PartyRole,
  type PoliceCriterion,
  type RemovalResult,
  type ReporterView,
  type StepKind,
} from './incident-model.ts';
export {
  IncidentStore,
  DEFAULT_GUIDANCE,
  type CaseFilter,
  type EvidenceUpload,
  type IncidentStoreOptions,
  type IncidentTables,
  type ReportForm,
  type Viewer,
} from './incident-store.ts';
export { proposeSteps, platformEntry, type StepProposal, type StepSituation } from './next-steps.ts';
export { sniffContentType, normaliseContentType, imageDimensions, MAX_EVIDENCE_PIXELS, SNIFFABLE_TYPES } from './content-sniff.ts';
export { checkDeclaredLength, readEvidenceBody } from './evidence-body.ts';
export { incidentRoutes, reporterView, type IncidentRouteDeps } from './incident-routes.ts';
