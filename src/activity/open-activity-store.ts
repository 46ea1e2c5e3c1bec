// One way in for the server: the embedded log of a data folder, or PostgreSQL.
import type pg from 'pg';
import type { ActivityStore } from './activity-store.ts';
import { PostgresActivityStore, type PostgresActivityStoreOptions } from './postgres-activity-store.ts';
import { SqliteActivityStore, type SqliteActivityStoreOptions } from './sqlite-activity-store.ts';

export type ActivityStoreSource =
  | ({ dataDir: string } & Omit<SqliteActivityStoreOptions, 'dataDir'>)
  | ({ postgres: string | pg.Pool } & PostgresActivityStoreOptions);

export function openActivityStore(source: ActivityStoreSource): Promise<ActivityStore> {
  if ('postgres' in source) {
    const { postgres, ...options } = source;
    return PostgresActivityStore.open(postgres, options);
  }
  return SqliteActivityStore.open(source);
}
