// The tables of migration 009_sanctions as this module reads them (src/db/migrations/009-sanctions.ts).
// Times are epoch ms, JSON lives in text columns.

export interface SanctionProposalsTable {
  id: string;
  person: string;
  role: string;
  created_at: number;
  recommendation: string;
  attempt_count: number;
  threshold: number;
  window_ms: number;
  /** JSON: CircumventionAttempt[] */
  attempts: string;
  status: string;
  /** the person while the proposal is open, else null (unique: one open proposal per person) */
  open_person: string | null;
  decided_at: number | null;
  decided_by: string | null;
  decision_reason: string | null;
  sanction_id: string | null;
}

export interface SanctionsTable {
  id: string;
  person: string;
  role: string;
  proposal_id: string | null;
  reason: string;
  imposed_by: string;
  imposed_at: number;
  ends_at: number;
  status: string;
  /** the person while the sanction is in force, else null (unique: one sanction per person) */
  active_person: string | null;
  lifted_at: number | null;
  lifted_by: string | null;
  lift_reason: string | null;
  expired_at: number | null;
}

export interface SupervisedSessionsTable {
  id: string;
  sanction_id: string;
  person: string;
  opened_by: string;
  opened_at: number;
  ends_at: number;
  /** the sanction while the session is open, else null (unique: one open session per sanction) */
  open_sanction: string | null;
  closed_at: number | null;
  closed_by: string | null;
  close_kind: string | null;
}

export interface SanctionDatabase {
  sanction_proposals: SanctionProposalsTable;
  sanctions: SanctionsTable;
  supervised_sessions: SupervisedSessionsTable;
}
