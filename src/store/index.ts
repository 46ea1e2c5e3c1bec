// The store's public face: the decision log (sink, queue, spool, writer), the backend seam, the
// SQLite and PostgreSQL backends, and the `hedgerow logs` command.
export { DecisionLog, type DecisionLogOptions, type DecisionLogStats } from './decision-log.ts';
export {
  DEFAULT_SEARCH_LIMIT,
  MAX_SEARCH_LIMIT,
  type EventQuery,
  type EventStoreBackend,
  type MigrationReport,
} from './event-store-backend.ts';
export { SqliteEventStore, databasePath, rowToEvent, type SqliteEventStoreOptions } from './sqlite-event-store.ts';
export {
  PostgresEventStore,
  postgresRowToEvent,
  countsSelect,
  openPostgresPool,
  inPostgresTransaction,
  type PostgresEventStoreOptions,
  type PostgresRow,
} from './postgres-event-store.ts';
export { postgresMigrations, runPostgresMigrations } from './postgres-migrations.ts';
export { WorkerEventWriter } from './worker-event-writer.ts';
export { sqliteMigrations, runSqliteMigrations, type Migration } from './migrations.ts';
export { CircumventionWindow, type CircumventionWindowOptions } from './circumvention-window.ts';
export { parseSegment, segmentName } from './spool.ts';
export { formatEvent } from './format-event.ts';
export { logsCommand, LOGS_USAGE, type LogsIo } from './logs-command.ts';
