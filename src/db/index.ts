// The typed store shared by SQLite and PostgreSQL: open from a URL, migrate, and the audit chain.
export {
  openDatabase,
  redactDatabaseUrl,
  sqlitePathFromUrl,
  type DialectName,
  type OpenDatabaseOptions,
  type StoreDatabase,
} from './open-database.ts';
export { migrate, storeMigrations, MIGRATION_TABLE, MIGRATION_LOCK_TABLE, type MigrateResult, type StoreMigration } from './migrations.ts';
export { AuditLog, auditHash, GENESIS_HASH, type AuditEntry, type AuditLogOptions, type AuditRecordInput } from './audit-log.ts';
export { canonicalJson } from './canonical-json.ts';
export type {
  Account,
  AccountUpdate,
  AccountsTable,
  AuditLogRow,
  AuditLogTable,
  Database,
  Grant,
  GrantsTable,
  NewAccount,
  NewGrant,
  NewSession,
  Session,
  SessionsTable,
} from './schema.ts';
