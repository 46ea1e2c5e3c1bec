// Compliance records: training with due dates (4.1–4.3), policy acknowledgement per version
// (6.6–6.10, 6.16), online-presence self-checks (6.13), the policy's review date, reminders, and
// the filter check log (DfE filtering standard), with their API.
export type * from './compliance-types.ts';
export { dueCell, DUE_SOON_MS, DAY_MS, type DueInput } from './due.ts';
export { policyVersionOf, policyReviewDate, type PolicyVersion } from './policy-version.ts';
export { ComplianceRecords, type ComplianceRecordsOptions, type PersonStart } from './compliance-records.ts';
export { CheckLog, type CheckResultInRun, type NewCheckRun } from './check-log.ts';
export { ComplianceService, cleanNote, MAX_NOTE, type ComplianceFiguresAt, type ComplianceServiceOptions, type ComplianceState, type MemberStatus, type Self } from './compliance-service.ts';
export { ComplianceScheduler, type ComplianceSchedulerOptions, type RoundReport } from './compliance-scheduler.ts';
export { peoplePopulation, type ComplianceMember, type Population } from './population.ts';
export { CheckIdentities, checkUsername, isCheckIdentity, CHECK_IDENTITY_PREFIX, type CheckAs, type CheckCredentials, type CheckPeople } from './check-identities.ts';
export { FilterCheckRunner, type FilterCheckTargets, type FilterCheckTest } from './filter-check-runner.ts';
export { probeProxy, parseDecisionHeader, type ProbeAnswer } from './proxy-probe.ts';
export { probeDns, type DnsBlockAnswer } from './dns-probe.ts';
export { complianceRoutes, type ComplianceDeps } from './compliance-routes.ts';
