// The decision log's tables on PostgreSQL, as an ordered list like SQLite's (`migrations.ts`),
// recorded in `schema_migrations`. Several filter nodes may start at once against one server, so
// each migration runs in its own transaction under one advisory lock.
import type pg from 'pg';
import type { MigrationReport } from './event-store-backend.ts';
import type { Migration } from './migrations.ts';

// NOTE: a fixed application-wide key; every node migrating the same database must use it.
const MIGRATION_LOCK = 0x48520a02;

export const postgresMigrations: readonly Migration[] = [
  {
    id: 'pg-001_decision_events',
    // The key is (at, id), not id alone: a table partitioned by time later (retention dropping
    // whole partitions) needs `at` in every unique key. A replayed event has its id and its time,
    // so (at, id) still makes a replay a no-op. Arrays are text[] rather than JSON text, so
    // `&&` and `= ANY` can test membership. `id` sorts bytewise, as SQLite does, so paging
    // cursors mean the same on both engines.
    //
    // decision_counts: events per hour and per day (span) in three kinds (see
    // src/activity/activity-counts.ts), kept by the writer in the insert's own statement (only
    // rows really inserted count), read by the overview and the aggregate report.
    sql: `
      CREATE TABLE decision_events (
        at bigint NOT NULL,
        id text COLLATE "C" NOT NULL,
        v smallint NOT NULL,
        point text NOT NULL,
        person text,
        role text NOT NULL,
        groups text[] NOT NULL,
        device text,
        client_ip text,
        host text NOT NULL,
        url text,
        categories text[] NOT NULL,
        action text NOT NULL,
        rule text NOT NULL,
        clauses text[] NOT NULL,
        circumvention boolean NOT NULL,
        policy_revision text NOT NULL,
        warn_reason text,
        search_term text,
        PRIMARY KEY (at, id)
      );
      CREATE INDEX decision_events_person_at ON decision_events (person, at, id);
      CREATE INDEX decision_events_host_at ON decision_events (host, at);
      CREATE INDEX decision_events_circumvention_at ON decision_events (at) WHERE circumvention;
      CREATE TABLE decision_counts (
        span text NOT NULL,
        start bigint NOT NULL,
        kind text NOT NULL,
        a text NOT NULL,
        b text NOT NULL,
        c text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (kind, span, start, a, b, c)
      );
    `,
  },
];

export async function runPostgresMigrations(pool: pg.Pool, migrations: readonly Migration[] = postgresMigrations): Promise<MigrationReport> {
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  const client = await pool.connect();
  try {
    for (const migration of migrations) {
      await client.query('BEGIN');
      try {
        await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at bigint NOT NULL)');
        const done = await client.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
        if (done.rowCount !== 0) {
          await client.query('COMMIT');
          report.alreadyApplied.push(migration.id);
          continue;
        }
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [migration.id, Date.now()]);
        await client.query('COMMIT');
        report.applied.push(migration.id);
      } catch (error) {
        // NOTE: as on SQLite, a failing migration rolls back alone and none after it runs.
        await client.query('ROLLBACK').catch(() => undefined);
        report.failed = { id: migration.id, message: (error as Error).message };
        return report;
      }
    }
    return report;
  } finally {
    client.release();
  }
}
