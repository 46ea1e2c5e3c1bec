// The seam between the decision log and a database. The writer only needs these five operations,
// so SQLite (embedded) and PostgreSQL (many filter nodes) can sit behind the same queue and spool.
import type { DecisionEvent, EnforcementPoint } from '../engine/index.ts';

/** What `search` filters on; every field is optional and they combine with AND. */
export interface EventQuery {
  /** exact person id */
  person?: string;
  /** exact host (`www.example.com` does not match `example.com`) */
  host?: string;
  /** epoch ms, inclusive */
  from?: number;
  /** epoch ms, exclusive */
  to?: number;
  action?: string;
  point?: EnforcementPoint | string;
  circumvention?: boolean;
  /** at most this many events (default 100, capped at 10,000) */
  limit?: number;
  /** keyset paging: only events strictly older than this one in (at, id) order */
  before?: { at: number; id: string };
}

export interface MigrationReport {
  /** migrations that ran now, in order */
  applied: string[];
  /** migrations found already recorded in `schema_migrations` */
  alreadyApplied: string[];
  /** the migration that failed (rolled back); later ones did not run */
  failed?: { id: string; message: string };
}

/**
 * The store behind the decision log. SQLite answers synchronously; PostgreSQL answers with
 * promises, so every operation may return either and the decision log awaits what it gets.
 */
export interface EventStoreBackend {
  /**
   * Stores a batch atomically (all or nothing). Storing an event whose id is already stored is a
   * no-op, so a spool segment can be replayed twice after a crash. Throws (or rejects) on failure.
   */
  writeBatch(events: readonly DecisionEvent[]): Promise<void> | void;
  /** newest first, (at, id) descending */
  search(query: EventQuery): DecisionEvent[] | Promise<DecisionEvent[]>;
  /** the newest `n` events, newest first */
  tail(n: number): DecisionEvent[] | Promise<DecisionEvent[]>;
  /** deletes events with `at` < `ms`; returns how many */
  deleteBefore(ms: number): number | Promise<number>;
  close(): void | Promise<void>;
}

export const DEFAULT_SEARCH_LIMIT = 100;
export const MAX_SEARCH_LIMIT = 10_000;

export function searchLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) return DEFAULT_SEARCH_LIMIT;
  return Math.min(Math.floor(limit), MAX_SEARCH_LIMIT);
}
