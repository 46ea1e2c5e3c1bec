// Reading the decision log for people: search with paging, CSV export, the overview's charts and
// the governors' aggregate report. One interface, two stores (the embedded SQLite file and
// PostgreSQL), so the API never knows which it is talking to.
import type { DecisionEvent } from '../engine/index.ts';

export interface ActivityFilter {
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, exclusive */
  to: number;
  /** exact person ids (usernames); when given, only these people */
  people?: readonly string[];
  /** events whose person belongs to any of these groups */
  groups?: readonly string[];
  /** events whose role is one of these */
  roles?: readonly string[];
  /** exact host, or a parent domain: `example.org` matches `www.example.org` */
  host?: string;
  category?: string;
  action?: DecisionEvent['action'];
  /** opaque, from a previous page's `nextCursor` */
  cursor?: string | null;
  /** page size; the store caps it */
  limit?: number;
}

export interface ActivityPage {
  /** newest first */
  items: DecisionEvent[];
  nextCursor: string | null;
}

export interface OverviewFigures {
  totals: { total: number; allowed: number; blocked: number; warned: number; logged: number };
  /** one entry per hour bucket that has events, `hour` = epoch ms of the bucket's start */
  byHour: Array<{ hour: number; allowed: number; blocked: number }>;
  /** an event with several categories counts under each; `''` for blocks of uncategorised hosts */
  blocksByCategory: Array<{ category: string; count: number }>;
  /** circumvention attempts in the range, newest first, at most 50 */
  alerts: Array<{ at: number; person: string | null; host: string; rule: string }>;
}

/** What the store cannot know from the events alone, told by the caller that holds the policy. */
export interface OverviewOptions {
  /**
   * ids of the rules whose action is `log` (allowed, marked for review), plus `default` when the
   * policy's default is `log`: events store the resulting `allow`, so `totals.logged` counts
   * events of these rules (0 when not given)
   */
  logRules?: readonly string[];
}

export interface AggregateRow {
  /** `''` for events of people in no group (and of unidentified clients) */
  group: string;
  /** `''` for uncategorised hosts */
  category: string;
  action: DecisionEvent['action'];
  count: number;
}

export interface ActivityStore {
  readonly kind: 'sqlite' | 'postgres';
  search(filter: ActivityFilter): Promise<ActivityPage>;
  /** CSV text in chunks (header first), every matching row, newest first */
  exportCsv(filter: Omit<ActivityFilter, 'cursor' | 'limit'>): AsyncIterable<string>;
  overview(from: number, to: number, options?: OverviewOptions): Promise<OverviewFigures>;
  /** counts by group × category × action; never a person */
  aggregate(from: number, to: number): Promise<AggregateRow[]>;
  close(): Promise<void>;
}
