// Tables of migration 007_requests_reports: unblock requests (8.4, 8.5), the reports people make
// (site reports 6.14/8.3, accidental access, tell a teacher 7.8, contact attempts 6.4–7.4) and
// where each report was routed. Row types live with the module that owns them
// (src/cases/requests/request-tables.ts).
//
// `ticket_key` holds `<block-page event id>:<form>` for what came from a block page, under a
// unique index: sending the same form twice (a double click, a reload) finds the first row
// instead of making a second. Rows from the dashboard leave it NULL, which a unique index lets
// through any number of times on both engines.
import type { StoreMigration } from '../migrations.ts';

export const migration007: StoreMigration = {
  name: '007_requests_reports',
  async up(db) {
    await db.schema
      .createTable('unblock_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      // `block-page` or `dashboard`
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text')
      .addColumn('ticket_key', 'text', (c) => c.unique())
      // username, or NULL when the block page knew only the network's role
      .addColumn('requester', 'text')
      .addColumn('requester_role', 'text', (c) => c.notNull())
      // JSON array of the requester's groups when asking
      .addColumn('requester_groups', 'text', (c) => c.notNull())
      .addColumn('client_ip', 'text')
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('categories', 'text', (c) => c.notNull())
      .addColumn('clauses', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      // submitted | recommended | approved | declined | withdrawn | expired
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('due_at', 'bigint')
      .addColumn('recommendation', 'text')
      .addColumn('recommended_by', 'text')
      .addColumn('recommended_at', 'bigint')
      .addColumn('recommendation_note', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'bigint')
      .addColumn('decision_note', 'text')
      // JSON: the scope chosen (requester, group, role, role set) and the grant's scope
      .addColumn('scope', 'text')
      .addColumn('site', 'text')
      .addColumn('grant_id', 'text')
      .addColumn('valid_from', 'bigint')
      .addColumn('valid_until', 'bigint')
      .addColumn('closed_at', 'bigint')
      .execute();
    await db.schema.createIndex('unblock_requests_created').on('unblock_requests').column('created_at').execute();
    await db.schema.createIndex('unblock_requests_state_created').on('unblock_requests').columns(['state', 'created_at']).execute();
    await db.schema.createIndex('unblock_requests_requester').on('unblock_requests').columns(['requester', 'created_at']).execute();
    await db.schema.createIndex('unblock_requests_decided').on('unblock_requests').column('decided_at').execute();
    await db.schema.createIndex('unblock_requests_until').on('unblock_requests').columns(['state', 'valid_until']).execute();

    await db.schema
      .createTable('case_reports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // site-report | accident | tell-teacher | contact-attempt
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text')
      .addColumn('ticket_key', 'text', (c) => c.unique())
      .addColumn('reporter', 'text')
      .addColumn('reporter_role', 'text', (c) => c.notNull())
      .addColumn('reporter_groups', 'text', (c) => c.notNull())
      .addColumn('client_ip', 'text')
      .addColumn('url', 'text')
      .addColumn('host', 'text')
      .addColumn('categories', 'text', (c) => c.notNull())
      .addColumn('clauses', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      // contact attempts: the platform, who was on the other side and which way it went
      .addColumn('platform', 'text')
      .addColumn('other_party', 'text')
      .addColumn('direction', 'text')
      // open | acknowledged | closed
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('due_at', 'bigint')
      .addColumn('acknowledged_by', 'text')
      .addColumn('acknowledged_at', 'bigint')
      .addColumn('closed_by', 'text')
      .addColumn('closed_at', 'bigint')
      .addColumn('outcome', 'text')
      .addColumn('note', 'text')
      .addColumn('blocked_site', 'text')
      .execute();
    await db.schema.createIndex('case_reports_created').on('case_reports').column('created_at').execute();
    await db.schema.createIndex('case_reports_state_created').on('case_reports').columns(['state', 'created_at']).execute();
    await db.schema.createIndex('case_reports_kind_created').on('case_reports').columns(['kind', 'created_at']).execute();
    await db.schema.createIndex('case_reports_reporter').on('case_reports').columns(['reporter', 'created_at']).execute();

    // Who a report went to, one row per role, person or class group, fixed when it was made, so
    // "reports routed to me" is one indexed lookup and later roster changes do not move it.
    await db.schema
      .createTable('case_report_routes')
      .addColumn('report_id', 'text', (c) => c.notNull().references('case_reports.id').onDelete('cascade'))
      // role | person | group
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('case_report_routes_pk', ['report_id', 'kind', 'value'])
      .execute();
    await db.schema.createIndex('case_report_routes_value').on('case_report_routes').columns(['kind', 'value']).execute();
  },
};
