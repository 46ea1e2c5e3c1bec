// The tables of migration 007_requests_reports as this module reads them (times are epoch ms,
// lists are JSON text), plus the `grants` table the approvals point into.
import type { Kysely } from 'kysely';
import type { GrantsTable, StoreDatabase } from '../../db/index.ts';

export interface UnblockRequestsTable {
  id: string;
  created_at: number;
  updated_at: number;
  source: string;
  event_id: string | null;
  ticket_key: string | null;
  requester: string | null;
  requester_role: string;
  requester_groups: string;
  client_ip: string | null;
  url: string;
  host: string;
  categories: string;
  clauses: string;
  reason: string;
  state: string;
  due_at: number | null;
  recommendation: string | null;
  recommended_by: string | null;
  recommended_at: number | null;
  recommendation_note: string | null;
  decided_by: string | null;
  decided_at: number | null;
  decision_note: string | null;
  scope: string | null;
  site: string | null;
  grant_id: string | null;
  valid_from: number | null;
  valid_until: number | null;
  closed_at: number | null;
}

export interface CaseReportsTable {
  id: string;
  kind: string;
  created_at: number;
  updated_at: number;
  source: string;
  event_id: string | null;
  ticket_key: string | null;
  reporter: string | null;
  reporter_role: string;
  reporter_groups: string;
  client_ip: string | null;
  url: string | null;
  host: string | null;
  categories: string;
  clauses: string;
  message: string;
  platform: string | null;
  other_party: string | null;
  direction: string | null;
  state: string;
  due_at: number | null;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  closed_by: string | null;
  closed_at: number | null;
  outcome: string | null;
  note: string | null;
  blocked_site: string | null;
}

export interface CaseReportRoutesTable {
  report_id: string;
  kind: string;
  value: string;
}

export interface RequestsDatabase {
  unblock_requests: UnblockRequestsTable;
  case_reports: CaseReportsTable;
  case_report_routes: CaseReportRoutesTable;
  grants: GrantsTable;
}

export type UnblockRow = UnblockRequestsTable;
export type ReportRow = CaseReportsTable;

/** The store's handle, typed for these tables. */
export function requestsDb(store: StoreDatabase): Kysely<RequestsDatabase> {
  return store.db as unknown as Kysely<RequestsDatabase>;
}

export function parseList(text: string | null): string[] {
  if (text === null) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}
