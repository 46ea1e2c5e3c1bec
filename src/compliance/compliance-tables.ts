// The tables of migration 011_compliance, as this module reads and writes them. The store's own
// Database type lists only the shared tables; these belong to compliance.
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../db/index.ts';

export interface CompliancePeopleTable {
  person: string;
  first_seen_at: number;
  start_at: number | null;
  start_recorded_by: string | null;
  start_recorded_at: number | null;
}

export interface ComplianceTrainingTable {
  id: string;
  person: string;
  course: string;
  completed_at: number;
  recorded_by: string;
  recorded_at: number;
  evidence: string | null;
}

export interface ComplianceVersionsTable {
  key: string;
  version: string;
  digest: string;
  first_seen_at: number;
}

export interface ComplianceAcknowledgementsTable {
  id: string;
  person: string;
  version_key: string;
  version: string;
  policy_revision: string;
  /** JSON array of clause ids shown */
  clauses: string;
  at: number;
}

export interface ComplianceSelfChecksTable {
  id: string;
  person: string;
  at: number;
  note: string | null;
}

export interface ComplianceReviewsTable {
  id: string;
  reviewed_at: number;
  reviewed_by: string;
  policy_version: string | null;
  policy_revision: string;
  next_review_date: string;
  note: string | null;
}

export interface ComplianceRemindersTable {
  key: string;
  kind: string;
  person: string | null;
  claimed_at: number;
  sent_at: number | null;
  notification: string | null;
}

export interface ComplianceCheckRunsTable {
  id: string;
  started_at: number;
  finished_at: number | null;
  trigger: string;
  requested_by: string | null;
  policy_revision: string;
  passed: number;
  failed: number;
  not_applicable: number;
}

export interface ComplianceCheckResultsTable {
  id: string;
  run_id: string;
  position: number;
  test_id: string;
  url: string;
  role: string;
  /** JSON array */
  groups: string;
  path: string;
  expected: string;
  seen: string;
  outcome: string;
  latency_us: number | null;
  /** HTTP status as digits, or a DNS rcode name */
  status: string | null;
  rule: string | null;
  /** JSON array */
  clauses: string;
  /** JSON array */
  expected_clauses: string;
  detail: string | null;
}

export interface ComplianceTables {
  compliance_people: CompliancePeopleTable;
  compliance_training: ComplianceTrainingTable;
  compliance_versions: ComplianceVersionsTable;
  compliance_acknowledgements: ComplianceAcknowledgementsTable;
  compliance_self_checks: ComplianceSelfChecksTable;
  compliance_reviews: ComplianceReviewsTable;
  compliance_reminders: ComplianceRemindersTable;
  compliance_check_runs: ComplianceCheckRunsTable;
  compliance_check_results: ComplianceCheckResultsTable;
}

export function complianceDb(store: StoreDatabase): Kysely<ComplianceTables> {
  return store.db as unknown as Kysely<ComplianceTables>;
}

export function jsonList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}
