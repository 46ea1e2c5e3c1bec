// The activity module's public face: reading the decision log for people (search with paging,
// CSV export, the overview and the aggregate report) over SQLite or PostgreSQL.
export type {
  ActivityFilter,
  ActivityPage,
  ActivityStore,
  AggregateRow,
  OverviewFigures,
  OverviewOptions,
} from './activity-store.ts';
export { openActivityStore, type ActivityStoreSource } from './open-activity-store.ts';
export { SqliteActivityStore, type SqliteActivityStoreOptions } from './sqlite-activity-store.ts';
export { SqliteActivityQueries, countsPath, type SqliteActivityQueriesOptions } from './sqlite-activity-queries.ts';
export { PostgresActivityStore, type PostgresActivityStoreOptions } from './postgres-activity-store.ts';
export { CSV_COLUMNS, csvCell, csvHeader, csvRecord } from './activity-csv.ts';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodeCursor, encodeCursor, type Cursor } from './activity-filter.ts';
