// Tables of migration 010_notifications_alerts: notifications (the dashboard inbox and the mail
// outbox, one delivery row per recipient) and safeguarding alerts (src/cases/alerts) with the
// decision events behind each one and the weekly digests already sent.
import type { StoreMigration } from '../migrations.ts';

export const migration010: StoreMigration = {
  name: '010_notifications_alerts',
  async up(db) {
    // `once_key` makes a notification idempotent: a second write with the same key is refused by
    // the unique index, so an alert or a digest is never announced twice (NULLs do not collide).
    await db.schema
      .createTable('notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('link', 'text')
      .addColumn('about_type', 'text')
      .addColumn('about_id', 'text')
      .addColumn('once_key', 'text', (c) => c.unique())
      .execute();
    await db.schema.createIndex('notifications_at').on('notifications').column('at').execute();
    await db.schema.createIndex('notifications_about').on('notifications').columns(['about_type', 'about_id']).execute();

    // One row per recipient: the inbox entry (username, read_at) and the mail to them (email,
    // mail_status pending|sent|failed|none, attempts, last_error). `next_attempt_at` is both the
    // backoff and the claim: a sender moves it forward before sending, so two nodes never send the
    // same row at once and a sender that died mid-send leaves the row to be sent again.
    await db.schema
      .createTable('notification_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id').onDelete('cascade'))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('username', 'text')
      .addColumn('email', 'text')
      .addColumn('read_at', 'bigint')
      .addColumn('mail_status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('sent_at', 'bigint')
      .execute();
    await db.schema.createIndex('notification_deliveries_inbox').on('notification_deliveries').columns(['username', 'at']).execute();
    await db.schema.createIndex('notification_deliveries_unread').on('notification_deliveries').columns(['username', 'read_at']).execute();
    await db.schema.createIndex('notification_deliveries_outbox').on('notification_deliveries').columns(['mail_status', 'next_attempt_at']).execute();
    await db.schema.createIndex('notification_deliveries_notification').on('notification_deliveries').column('notification_id').execute();

    // An alert: who (person or, unidentified, the client address), what triggered it (a category,
    // a rule, a keyword list), the first event in full and how many repeats followed inside the
    // de-duplication window, and its handling (new → acknowledged → closed with a note).
    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('dedupe_key', 'text', (c) => c.notNull())
      .addColumn('first_at', 'bigint', (c) => c.notNull())
      .addColumn('last_at', 'bigint', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('point', 'text', (c) => c.notNull())
      .addColumn('person', 'text')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('device', 'text')
      .addColumn('client_ip', 'text')
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('url', 'text')
      .addColumn('categories', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('clauses', 'text', (c) => c.notNull())
      .addColumn('search_term', 'text')
      .addColumn('matched', 'text')
      .addColumn('term', 'text')
      .addColumn('language', 'text')
      .addColumn('policy_revision', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('acknowledged_at', 'bigint')
      .addColumn('acknowledged_by', 'text')
      .addColumn('acknowledge_note', 'text')
      .addColumn('closed_at', 'bigint')
      .addColumn('closed_by', 'text')
      .addColumn('close_note', 'text')
      .addColumn('notification_id', 'text')
      .execute();
    await db.schema.createIndex('alerts_dedupe').on('alerts').columns(['dedupe_key', 'first_at']).execute();
    await db.schema.createIndex('alerts_state_first').on('alerts').columns(['state', 'first_at']).execute();
    await db.schema.createIndex('alerts_first').on('alerts').column('first_at').execute();
    await db.schema.createIndex('alerts_person_first').on('alerts').columns(['person', 'first_at']).execute();

    // Every decision event counted on an alert, once: the key (event, trigger) makes a replayed
    // event a no-op instead of a second count.
    await db.schema
      .createTable('alert_events')
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('trigger_key', 'text', (c) => c.notNull())
      .addColumn('alert_id', 'text', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('matched', 'text')
      .addPrimaryKeyConstraint('alert_events_pk', ['event_id', 'trigger_key'])
      .execute();
    await db.schema.createIndex('alert_events_alert').on('alert_events').columns(['alert_id', 'at']).execute();

    // The weekly digests sent, by the instant each was due: the scheduler's memory across restarts.
    await db.schema
      .createTable('alert_digests')
      .addColumn('due_at', 'bigint', (c) => c.primaryKey())
      .addColumn('period_from', 'bigint', (c) => c.notNull())
      .addColumn('period_to', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addColumn('notification_id', 'text')
      .addColumn('summary', 'text', (c) => c.notNull())
      .execute();
  },
};
