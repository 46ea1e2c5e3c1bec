// The activity store over the embedded decision log. By default every query runs in a reader
// thread of its own (`sqlite-activity-worker.ts`): better-sqlite3 is synchronous, and a day's
// overview or an export reads for tens of milliseconds that the proxy and DNS filter, which
// share this thread, must not wait through. `thread: 'main'` runs them here (tests, one-off tools).
import { Worker } from 'node:worker_threads';
import { HedgerowError, errorCodes, type ErrorCode } from '../errors/index.ts';
import type { ActivityFilter, ActivityPage, ActivityStore, AggregateRow, OverviewFigures, OverviewOptions } from './activity-store.ts';
import { normaliseFilter } from './activity-filter.ts';
import { SqliteActivityQueries, countsPath } from './sqlite-activity-queries.ts';

export interface SqliteActivityStoreOptions {
  dataDir: string;
  /** `worker` (default): queries run in a reader thread; `main`: on this thread */
  thread?: 'worker' | 'main';
  /** the hourly counts file for the aggregate; default `<dataDir>/activity-counts.db`; null: in memory */
  countsPath?: string | null;
  /**
   * how often the reader thread folds new events into the counts (default 60 s, and at start;
   * 0: only when a read or `refreshCounts` asks)
   */
  foldIntervalMs?: number;
}

export interface ReaderStart {
  dataDir: string;
  countsPath: string | null;
  foldIntervalMs: number;
}

export type ReaderOp =
  | { op: 'search'; filter: ActivityFilter }
  | { op: 'csv'; filter: Omit<ActivityFilter, 'cursor' | 'limit'>; cursor: string | null; first: boolean }
  | { op: 'overview'; from: number; to: number; options: OverviewOptions | undefined }
  | { op: 'aggregate'; from: number; to: number }
  | { op: 'open' }
  | { op: 'fold' }
  | { op: 'close' };

export type ReaderRequest = ReaderOp & { id: number };

export type ReaderReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; code: string | null; message: string; field: string | null };

const WORKER_URL = new URL('./sqlite-activity-worker.ts', import.meta.url);

/**
 * The worker file is TypeScript. A thread inherits `--import tsx` from the command line but not
 * a loader registered in code (`bin/hedgerow.js`), so the thread registers tsx itself first.
 */
function startThread(start: ReaderStart): Worker {
  let tsx: string | null = null;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    tsx = null;
  }
  if (tsx === null) return new Worker(WORKER_URL, { workerData: start });
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true, workerData: start });
}

function toError(reply: Extract<ReaderReply, { ok: false }>): Error {
  if (reply.code !== null && reply.code in errorCodes) {
    const code = reply.code as ErrorCode;
    const status = (errorCodes[code] as { status?: number }).status;
    return new HedgerowError(code, reply.message, { where: reply.field ? { field: reply.field } : undefined, httpStatus: status });
  }
  return new Error(reply.message);
}

/** The reader thread's side on this thread: one request at a time per id, restarted if it dies. */
class ReaderThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly start: ReaderStart) {}

  request(message: ReaderOp): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the activity store is closed'));
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held open only while it has work, so a store nobody closed does not keep the process alive.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ ...message, id });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const worker = this.worker;
    if (worker) await this.request({ op: 'close' }).catch(() => undefined);
    this.closed = true;
    if (worker) await worker.terminate();
    this.worker = null;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startThread(this.start);
    let failure = '';
    worker.on('message', (reply: ReaderReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(toError(reply));
    });
    worker.on('error', (error) => {
      failure = error.message;
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const pending of lost) pending.reject(new Error(`the activity reader thread stopped (${failure || `exit code ${code}`})`));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

export class SqliteActivityStore implements ActivityStore {
  readonly kind = 'sqlite' as const;
  private readonly local: SqliteActivityQueries | null;
  private readonly reader: ReaderThread | null;

  private constructor(local: SqliteActivityQueries | null, reader: ReaderThread | null) {
    this.local = local;
    this.reader = reader;
  }

  /**
   * Opens the decision log of `dataDir` for reading. In the reader thread the log is opened by
   * the first query, so an open error (no log yet) surfaces there; `open` checks it exists first.
   */
  static async open(options: SqliteActivityStoreOptions): Promise<SqliteActivityStore> {
    const counts = options.countsPath === undefined ? countsPath(options.dataDir) : options.countsPath;
    if (options.thread === 'main') return new SqliteActivityStore(SqliteActivityQueries.open(options.dataDir, { countsPath: counts }), null);
    const reader = new ReaderThread({ dataDir: options.dataDir, countsPath: counts, foldIntervalMs: options.foldIntervalMs ?? 60_000 });
    const store = new SqliteActivityStore(null, reader);
    try {
      // Opens the connection now, so a missing log is reported by open rather than the first search.
      await reader.request({ op: 'open' });
    } catch (error) {
      await reader.close();
      throw error;
    }
    return store;
  }

  async search(filter: ActivityFilter): Promise<ActivityPage> {
    if (this.local) return this.local.search(filter);
    return (await this.reader!.request({ op: 'search', filter: plain(filter) })) as ActivityPage;
  }

  async *exportCsv(filter: Omit<ActivityFilter, 'cursor' | 'limit'>): AsyncIterable<string> {
    // Checked before the header goes out, so a bad filter is an error rather than a short file.
    normaliseFilter(filter);
    const clean = plain(filter);
    let cursor: string | null = null;
    let first = true;
    for (;;) {
      const chunk = (
        this.local
          ? this.local.csvChunk(clean, cursor, first)
          : await this.reader!.request({ op: 'csv', filter: clean, cursor, first })
      ) as { text: string; nextCursor: string | null };
      first = false;
      if (chunk.text !== '') yield chunk.text;
      if (chunk.nextCursor === null) return;
      cursor = chunk.nextCursor;
    }
  }

  async overview(from: number, to: number, options?: OverviewOptions): Promise<OverviewFigures> {
    if (this.local) return this.local.overview(from, to, options);
    const clean = options ? { logRules: options.logRules ? [...options.logRules] : undefined } : undefined;
    return (await this.reader!.request({ op: 'overview', from, to, options: clean })) as OverviewFigures;
  }

  async aggregate(from: number, to: number): Promise<AggregateRow[]> {
    if (this.local) return this.local.aggregate(from, to);
    return (await this.reader!.request({ op: 'aggregate', from, to })) as AggregateRow[];
  }

  /** Folds events stored since the last fold into the counts; returns how many. */
  async refreshCounts(): Promise<number> {
    if (this.local) return this.local.fold();
    return (await this.reader!.request({ op: 'fold' })) as number;
  }

  async close(): Promise<void> {
    this.local?.close();
    await this.reader?.close();
  }
}

/** A filter as plain data (readonly arrays from callers may be frozen or proxies; cloning wants plain). */
function plain<T extends Partial<ActivityFilter>>(filter: T): T {
  const copy = { ...filter } as T & Record<string, unknown>;
  for (const key of ['people', 'groups', 'roles'] as const) {
    const value = filter[key];
    if (value) (copy as Record<string, unknown>)[key] = [...value];
  }
  return copy;
}
