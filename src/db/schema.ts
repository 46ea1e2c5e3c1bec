// Row types of the tables the migrations create, as Kysely sees them. Times are epoch
// milliseconds (bigint columns, read back as numbers); JSON lives in text columns; booleans are
// integers 0/1 so both engines agree.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface AccountsTable {
  id: string;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  created_at: number;
  /** 0 or 1 */
  disabled: Generated<number>;
}

export interface SessionsTable {
  id: string;
  account_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  csrf_token: string;
}

export interface AuditLogTable {
  /** 1, 2, 3…: assigned by the writer under a lock, so a gap means a deleted row */
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  /** canonical JSON text, or null */
  before: string | null;
  /** canonical JSON text, or null */
  after: string | null;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

export interface GrantsTable {
  id: string;
  kind: string;
  /** JSON text: who the grant covers */
  scope: string;
  /** JSON text: what it allows */
  what: string;
  valid_from: number;
  valid_until: number | null;
  reason: string;
  granted_by: string;
  granted_at: number;
  revoked_at: number | null;
}

export interface Database {
  accounts: AccountsTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  grants: GrantsTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type Session = Selectable<SessionsTable>;
export type NewSession = Insertable<SessionsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type Grant = Selectable<GrantsTable>;
export type NewGrant = Insertable<GrantsTable>;
