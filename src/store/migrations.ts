// Schema changes as a short ordered list per database. Each runs in its own transaction and is
// recorded in `schema_migrations`; running the list again applies only what is missing. The
// report says what ran, so `hedgerow start` can log it.
import type Database from 'better-sqlite3';
import type { MigrationReport } from './event-store-backend.ts';

export interface Migration {
  /** stable, sortable id; never renamed once shipped */
  id: string;
  sql: string;
}

export const sqliteMigrations: readonly Migration[] = [
  {
    id: '001_decision_events',
    // `seq` is the insertion order (replay order); `id` is the event's own id, unique so a replayed
    // spool segment inserts nothing twice. Arrays are JSON text. `v` keeps old events readable.
    sql: `
      CREATE TABLE decision_events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        v INTEGER NOT NULL,
        at INTEGER NOT NULL,
        point TEXT NOT NULL,
        person TEXT,
        role TEXT NOT NULL,
        groups TEXT NOT NULL,
        device TEXT,
        client_ip TEXT,
        host TEXT NOT NULL,
        url TEXT,
        categories TEXT NOT NULL,
        action TEXT NOT NULL,
        rule TEXT NOT NULL,
        clauses TEXT NOT NULL,
        circumvention INTEGER NOT NULL,
        policy_revision TEXT NOT NULL,
        warn_reason TEXT,
        search_term TEXT
      );
      CREATE INDEX decision_events_person_at ON decision_events (person, at);
      CREATE INDEX decision_events_host_at ON decision_events (host, at);
      CREATE INDEX decision_events_at ON decision_events (at);
    `,
  },
  {
    id: '002_activity_indexes',
    // For the dashboard's reads (src/activity): the overview's circumvention alerts of a day. A
    // partial index, so it holds only those few events and costs the writer almost nothing. The
    // other searches use the indexes above; totals come from counts kept apart (activity-counts.db).
    sql: `
      CREATE INDEX decision_events_circumvention_at ON decision_events (at) WHERE circumvention = 1;
    `,
  },
];

export function runSqliteMigrations(db: Database.Database, migrations: readonly Migration[] = sqliteMigrations): MigrationReport {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const done = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((row) => row.id));
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  for (const migration of migrations) {
    if (done.has(migration.id)) {
      report.alreadyApplied.push(migration.id);
      continue;
    }
    // NOTE: a failing migration rolls back alone; those before it stay applied and are reported,
    // and none after it runs.
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        record.run(migration.id, Date.now());
      })();
    } catch (error) {
      report.failed = { id: migration.id, message: (error as Error).message };
      return report;
    }
    report.applied.push(migration.id);
  }
  return report;
}
