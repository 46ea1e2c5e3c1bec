// Tables of migration 009_sanctions: circumvention sanction proposals, supervised-only sanctions
// and supervised sessions (8.2). Row types live with the module that owns them
// (src/cases/sanctions/sanction-tables.ts).
//
// One open proposal per person, one sanction in force per person and one open session per
// sanction are kept by a nullable column that holds the person (or sanction) only while the row
// is open, under a unique index: both engines let any number of NULLs through a unique index, so
// closing a row (setting the column to NULL) frees the slot. This works the same on SQLite and
// PostgreSQL, where a partial index would need two spellings.
import type { StoreMigration } from '../migrations.ts';

export const migration009: StoreMigration = {
  name: '009_sanctions',
  async up(db) {
    await db.schema
      .createTable('sanction_proposals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      // `supervised-only` for a pupil, `refer` (to the deciders, no enforcement) for an adult
      .addColumn('recommendation', 'text', (c) => c.notNull())
      .addColumn('attempt_count', 'integer', (c) => c.notNull())
      .addColumn('threshold', 'integer', (c) => c.notNull())
      .addColumn('window_ms', 'bigint', (c) => c.notNull())
      // JSON: [{ eventId, at, host, kind, rule, point }]
      .addColumn('attempts', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('open_person', 'text', (c) => c.unique())
      .addColumn('decided_at', 'bigint')
      .addColumn('decided_by', 'text')
      .addColumn('decision_reason', 'text')
      .addColumn('sanction_id', 'text')
      .execute();
    await db.schema.createIndex('sanction_proposals_created').on('sanction_proposals').column('created_at').execute();
    await db.schema.createIndex('sanction_proposals_status_created').on('sanction_proposals').columns(['status', 'created_at']).execute();
    await db.schema.createIndex('sanction_proposals_person').on('sanction_proposals').columns(['person', 'created_at']).execute();

    await db.schema
      .createTable('sanctions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('proposal_id', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('imposed_by', 'text', (c) => c.notNull())
      .addColumn('imposed_at', 'bigint', (c) => c.notNull())
      .addColumn('ends_at', 'bigint', (c) => c.notNull())
      // `active`, `lifted` or `expired`
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('active_person', 'text', (c) => c.unique())
      .addColumn('lifted_at', 'bigint')
      .addColumn('lifted_by', 'text')
      .addColumn('lift_reason', 'text')
      .addColumn('expired_at', 'bigint')
      .execute();
    await db.schema.createIndex('sanctions_status_ends').on('sanctions').columns(['status', 'ends_at']).execute();
    await db.schema.createIndex('sanctions_person').on('sanctions').columns(['person', 'imposed_at']).execute();
    await db.schema.createIndex('sanctions_imposed').on('sanctions').column('imposed_at').execute();

    await db.schema
      .createTable('supervised_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('sanction_id', 'text', (c) => c.notNull().references('sanctions.id').onDelete('cascade'))
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('opened_by', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'bigint', (c) => c.notNull())
      .addColumn('ends_at', 'bigint', (c) => c.notNull())
      .addColumn('open_sanction', 'text', (c) => c.unique())
      .addColumn('closed_at', 'bigint')
      .addColumn('closed_by', 'text')
      // `closed` (by a supervisor), `timed-out` (sessionLength passed), `sanction-ended`
      .addColumn('close_kind', 'text')
      .execute();
    await db.schema.createIndex('supervised_sessions_sanction').on('supervised_sessions').columns(['sanction_id', 'opened_at']).execute();
    await db.schema.createIndex('supervised_sessions_open_ends').on('supervised_sessions').columns(['closed_at', 'ends_at']).execute();
  },
};
