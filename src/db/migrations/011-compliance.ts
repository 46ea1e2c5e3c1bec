// Tables of migration 011_compliance (src/compliance): training records, when each person's
// compliance clock starts, policy versions and their acknowledgements, online-presence
// self-checks (6.13), policy reviews, the reminders already sent, and the filter check log.
// Rows are only ever added (a start date may be recorded over a first sighting); the audit log
// holds who did what.
import type { StoreMigration } from '../migrations.ts';

export const migration011: StoreMigration = {
  name: '011_compliance',
  async up(db) {
    // first_seen_at: when compliance first saw the person in the people store; start_at: a start
    // date a manager recorded, which wins when set
    await db.schema
      .createTable('compliance_people')
      .addColumn('person', 'text', (c) => c.primaryKey())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('start_at', 'bigint')
      .addColumn('start_recorded_by', 'text')
      .addColumn('start_recorded_at', 'bigint')
      .execute();

    await db.schema
      .createTable('compliance_training')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('course', 'text', (c) => c.notNull())
      .addColumn('completed_at', 'bigint', (c) => c.notNull())
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'bigint', (c) => c.notNull())
      .addColumn('evidence', 'text')
      .execute();
    await db.schema.createIndex('compliance_training_person_course').on('compliance_training').columns(['person', 'course', 'completed_at']).execute();

    // one row per acknowledgeable version of the policy: its key, and when it was first in force
    await db.schema
      .createTable('compliance_versions')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('compliance_acknowledgements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('version_key', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('policy_revision', 'text', (c) => c.notNull())
      .addColumn('clauses', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('compliance_acknowledgements_once', ['person', 'version_key'])
      .execute();

    await db.schema
      .createTable('compliance_self_checks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('note', 'text')
      .execute();
    await db.schema.createIndex('compliance_self_checks_person_at').on('compliance_self_checks').columns(['person', 'at']).execute();

    await db.schema
      .createTable('compliance_reviews')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('reviewed_at', 'bigint', (c) => c.notNull())
      .addColumn('reviewed_by', 'text', (c) => c.notNull())
      .addColumn('policy_version', 'text')
      .addColumn('policy_revision', 'text', (c) => c.notNull())
      .addColumn('next_review_date', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .execute();
    await db.schema.createIndex('compliance_reviews_at').on('compliance_reviews').column('reviewed_at').execute();

    // a reminder's key names what it is about and which due date, so it is claimed once: a
    // restart, or a second node, finds the row and does not send again
    await db.schema
      .createTable('compliance_reminders')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('person', 'text')
      .addColumn('claimed_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .addColumn('notification', 'text')
      .execute();

    await db.schema
      .createTable('compliance_check_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text')
      .addColumn('policy_revision', 'text', (c) => c.notNull())
      .addColumn('passed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('not_applicable', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('compliance_check_runs_started').on('compliance_check_runs').column('started_at').execute();

    await db.schema
      .createTable('compliance_check_results')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().references('compliance_check_runs.id').onDelete('cascade'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('test_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('expected', 'text', (c) => c.notNull())
      .addColumn('seen', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('latency_us', 'integer')
      .addColumn('status', 'text')
      .addColumn('rule', 'text')
      .addColumn('clauses', 'text', (c) => c.notNull())
      .addColumn('expected_clauses', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('compliance_check_results_run').on('compliance_check_results').columns(['run_id', 'position']).execute();
  },
};
