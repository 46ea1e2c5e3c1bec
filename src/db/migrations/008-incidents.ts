// Tables of migration 008_incidents (src/cases/incidents): cases, their parties, next steps,
// evidence and the append-only chronology.
//
// Evidence bytes live in the database (`blob` on SQLite, `bytea` on PostgreSQL) rather than in a
// folder: every node sharing a PostgreSQL store sees the same evidence without a shared disk, a
// backup of the database is a backup of the evidence, and the retention purge removes the case
// and its bytes in one transaction. Evidence is never changed after upload: a trigger refuses any
// UPDATE of an evidence row or a chronology entry on both engines, and the SHA-256 digest taken at
// upload is checked on every read for changes made around the trigger.
import { sql, type Kysely } from 'kysely';
import type { StoreMigration } from '../migrations.ts';

/** PostgreSQL numbers its parameters ($1); SQLite uses `?`. Compiling needs no round trip. */
function isPostgres(db: Kysely<any>): boolean {
  return sql`select ${1}`.compile(db).sql.includes('$1');
}

export const migration008: StoreMigration = {
  name: '008_incidents',
  async up(db) {
    const postgres = isPostgres(db);

    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('platform', 'text')
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'bigint', (c) => c.notNull())
      .addColumn('reported_at', 'bigint', (c) => c.notNull())
      .addColumn('reported_by', 'text', (c) => c.notNull())
      .addColumn('chain_index', 'integer', (c) => c.notNull())
      .addColumn('owner_role', 'text', (c) => c.notNull())
      .addColumn('owner_person', 'text')
      .addColumn('criteria', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'bigint')
      .addColumn('closed_by', 'text')
      .addColumn('closure_outcome', 'text')
      .addColumn('closure_rationale', 'text')
      .addColumn('closure_referrals', 'text')
      .execute();
    await db.schema.createIndex('incidents_status_reported').on('incidents').columns(['status', 'reported_at']).execute();
    await db.schema.createIndex('incidents_reporter_reported').on('incidents').columns(['reported_by', 'reported_at']).execute();
    await db.schema.createIndex('incidents_closed').on('incidents').column('closed_at').execute();

    await db.schema
      .createTable('incident_parties')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
      // the order people were named in, which is how the case reads
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('added_at', 'bigint', (c) => c.notNull())
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('username', 'text')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .execute();
    await db.schema.createIndex('incident_parties_incident').on('incident_parties').column('incident_id').execute();

    await db.schema
      .createTable('incident_steps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('clauses', 'text', (c) => c.notNull())
      .addColumn('required', 'integer', (c) => c.notNull())
      .addColumn('basis', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('due_at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('link', 'text')
      .addColumn('result', 'text')
      .addColumn('outcome', 'text')
      .addColumn('decided_at', 'bigint')
      .addColumn('decided_by', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('incident_steps_incident').on('incident_steps').column('incident_id').execute();
    await db.schema.createIndex('incident_steps_status_due').on('incident_steps').columns(['status', 'due_at']).execute();

    await db.schema
      .createTable('incident_evidence')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('content', postgres ? 'bytea' : 'blob', (c) => c.notNull())
      .addColumn('uploaded_by', 'text', (c) => c.notNull())
      .addColumn('uploaded_at', 'bigint', (c) => c.notNull())
      .addColumn('shows_at', 'bigint')
      .addColumn('note', 'text')
      .execute();
    await db.schema.createIndex('incident_evidence_incident').on('incident_evidence').columns(['incident_id', 'uploaded_at']).execute();

    await db.schema
      .createTable('incident_chronology')
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('incident_chronology_pk', ['incident_id', 'seq'])
      .execute();

    // Rows that are written once: refuse UPDATE at the database, whoever asks. DELETE stays
    // possible for the retention purge (and the cascade from a purged case).
    for (const table of ['incident_evidence', 'incident_chronology']) {
      if (postgres) {
        await sql
          .raw(
            `CREATE FUNCTION ${table}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${table} rows are never changed'; END $$`,
          )
          .execute(db);
        await sql.raw(`CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_immutable()`).execute(db);
      } else {
        await sql.raw(`CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} rows are never changed'); END`).execute(db);
      }
    }
  },
};
