// One migration set for both engines, written with Kysely's schema builder so the same code makes
// the same tables on SQLite and PostgreSQL. Migrations come from this list, not a folder scan, so
// they travel inside the bundle. A run is one transaction: it applies every pending migration or
// none, and the result says which ran; a failure comes back as a value, not a throw.
import { Migrator, type Kysely, type Migration as KyselyMigration, type MigrationProvider } from 'kysely';
import { HedgerowError } from '../errors/index.ts';
import { migration007 } from './migrations/007-requests.ts';
import { migration008 } from './migrations/008-incidents.ts';
import { migration009 } from './migrations/009-sanctions.ts';
import { migration010 } from './migrations/010-notifications-alerts.ts';
import { migration011 } from './migrations/011-compliance.ts';

export interface StoreMigration {
  /** stable, sortable name; never renamed once shipped */
  name: string;
  // The schema is built before the typed tables exist, so migrations see an untyped handle.
  up(db: Kysely<any>): Promise<void>;
}

export interface MigrateResult {
  /** ran in this call, in order */
  applied: string[];
  /** had run before this call */
  alreadyApplied: string[];
  /** set when the run failed; then nothing of this run stays applied */
  failed?: { migration: string | null; error: HedgerowError };
}

/** Kysely's bookkeeping tables, named apart from the decision log's `schema_migrations`. */
export const MIGRATION_TABLE = 'hedgerow_migration';
export const MIGRATION_LOCK_TABLE = 'hedgerow_migration_lock';

export const storeMigrations: readonly StoreMigration[] = [
  {
    name: '001_accounts_sessions_audit_grants',
    async up(db) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_account').on('sessions').column('account_id').execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

      // `seq` is set by the writer (last + 1 under a lock) rather than generated, so the same
      // column works on both engines and a missing number shows a deleted row.
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .addColumn('reason', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      await db.schema.createIndex('audit_log_actor_at').on('audit_log').columns(['actor', 'at']).execute();
      await db.schema.createIndex('audit_log_subject_at').on('audit_log').columns(['subject', 'at']).execute();

      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('what', 'text', (c) => c.notNull())
        .addColumn('valid_from', 'bigint', (c) => c.notNull())
        .addColumn('valid_until', 'bigint')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('grants_kind_until').on('grants').columns(['kind', 'valid_until']).execute();
      await db.schema.createIndex('grants_revoked').on('grants').column('revoked_at').execute();
    },
  },
  {
    // The one-time token that lets the first administrator be created from the browser; only its
    // SHA-256 is kept, and it is deleted once used.
    name: '002_setup_tokens',
    async up(db) {
      await db.schema
        .createTable('setup_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    // Approved exceptions to the calendar-subject rule (src/mail): the subject is kept as a hash
    // and a redacted copy, never in full; who approved it, why, and until when.
    name: '004_mail_exceptions',
    async up(db) {
      await db.schema
        .createTable('mail_subject_exceptions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('subject_hash', 'text', (c) => c.notNull())
        .addColumn('subject_redacted', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('approved_by', 'text', (c) => c.notNull())
        .addColumn('approved_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
      await db.schema.createIndex('mail_subject_exceptions_hash').on('mail_subject_exceptions').column('subject_hash').execute();
    },
  },
  {
    // small named settings the dashboard edits (alert recipients); each value is JSON text
    name: '005_settings',
    async up(db) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    // Sealed quarantine (src/mail/quarantine): envelope, signals and reasons in the clear for the
    // ICT officer; the message itself only as AES-256-GCM ciphertext (base64 text, so one column
    // type serves both engines). Challenges are their own rows: who, as which party, and when.
    name: '006_quarantine',
    async up(db) {
      await db.schema
        .createTable('quarantine')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('mail_from', 'text', (c) => c.notNull())
        .addColumn('rcpt_to', 'text', (c) => c.notNull())
        .addColumn('client_address', 'text')
        .addColumn('helo_name', 'text')
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('signals', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('nonce', 'text')
        .addColumn('tag', 'text')
        .addColumn('content', 'text')
        .addColumn('closed_at', 'bigint')
        .addColumn('closed_by', 'text')
        .execute();
      await db.schema.createIndex('quarantine_received').on('quarantine').column('received_at').execute();
      await db.schema.createIndex('quarantine_status_received').on('quarantine').columns(['status', 'received_at']).execute();
      await db.schema
        .createTable('quarantine_challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('quarantine_id', 'text', (c) => c.notNull().references('quarantine.id').onDelete('cascade'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('party', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('quarantine_challenges_message').on('quarantine_challenges').column('quarantine_id').execute();
    },
  },
  migration007,
  migration008,
  migration009,
  migration010,
  migration011,
];

export async function migrate(db: Kysely<any>, migrations: readonly StoreMigration[] = storeMigrations): Promise<MigrateResult> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const record: Record<string, KyselyMigration> = {};
      for (const migration of migrations) record[migration.name] = { up: (trx) => migration.up(trx) };
      return record;
    },
  };
  const migrator = new Migrator({ db, provider, migrationTableName: MIGRATION_TABLE, migrationLockTableName: MIGRATION_LOCK_TABLE });
  const names = migrations.map((migration) => migration.name);
  const { error, results } = await migrator.migrateToLatest();
  // `results` lists only what was pending, so everything else had run before
  const pending = new Set((results ?? []).map((result) => result.migrationName));
  const alreadyApplied = results ? names.filter((name) => !pending.has(name)) : [];
  if (error === undefined) {
    return { applied: (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName), alreadyApplied };
  }
  const failedName = results?.find((result) => result.status === 'Error')?.migrationName ?? null;
  const cause = error instanceof Error ? error.message : String(error);
  const message = failedName
    ? `migration \`${failedName}\` failed and this run was rolled back: ${cause}`
    : `migrations could not start: ${cause}`;
  return { applied: [], alreadyApplied, failed: { migration: failedName, error: new HedgerowError('HR_STORE_MIGRATION', message, { cause: error }) } };
}
