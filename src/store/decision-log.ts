// The decision log: the sink every enforcement point hands its decision events to, and the writer
// that gets them into the store without ever making traffic wait.
//
// Every event is first appended to the spool (a JSON line, buffered for one event-loop turn and
// written with one writeSync), then queued in memory for the database. In the normal ("live")
// mode the writer drains the queue in batches and deletes spool segments the database holds.
// With the default SQLite store the batches go, as JSON text, to a writer thread that owns its
// own connection, so inserts and WAL checkpoints never run on the traffic thread; reads use a
// connection of their own on this thread (WAL lets them run beside the writer).
// When the queue is full or a batch fails, the writer drops the queue and switches to
// "catch-up": new events go to the spool only, and the spool segments are replayed in order
// (INSERT OR IGNORE on the event id, so a segment replayed twice stores nothing twice) until the
// database has everything; then it goes live again. See docs/decision-log.md.
//
// An event the spool could not take (disk full) still reaches the database through the queue
// while the log is live; if the queue is then dropped, its line is offered to the spool again,
// and only an event neither spooled nor stored counts as dropped.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionEvent, DecisionSink } from '../engine/index.ts';
import { CircumventionWindow } from './circumvention-window.ts';
import type { EventQuery, EventStoreBackend, MigrationReport } from './event-store-backend.ts';
import { acquireLock, releaseLock } from './lock-file.ts';
import { Spool, type SpoolFiles, type SpoolSegment } from './spool.ts';
import { databasePath, SqliteEventStore } from './sqlite-event-store.ts';
import { WorkerEventWriter } from './worker-event-writer.ts';

export interface DecisionLogOptions<B extends EventStoreBackend = EventStoreBackend> {
  dataDir: string;
  /**
   * default: SQLite in `<dataDir>/hedgerow.db`, written from a worker thread; or another store
   * (PostgreSQL), written on this thread, which the caller opened and the log closes
   */
  backend?: B;
  /**
   * With the default store: `worker` (default) writes from a worker thread; `main-thread` writes
   * on this thread, as a supplied backend always is.
   */
  writer?: 'worker' | 'main-thread';
  /** bounded in-memory queue; beyond it events reach the database through the spool */
  queueCapacity?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  /** default `<dataDir>/spool` */
  spoolDir?: string;
  /** events per spool segment file */
  spoolSegmentEvents?: number;
  /** the spool's file calls (default node:fs); tests put a disk that fills up here */
  spoolFiles?: SpoolFiles;
  /** the policy's `retention.decisions`, in ms; absent keeps events for ever */
  retentionMs?: number;
  circumventionWindowMs?: number;
  circumventionThreshold?: number;
  onCircumventionThreshold?: (person: string, count: number, events: DecisionEvent[]) => void;
  /** warnings (torn spool line, failing database); default: process.emitWarning */
  onWarning?: (message: string) => void;
  now?: () => number;
}

export interface DecisionLogStats {
  /** in the in-memory queue */
  queued: number;
  /** written to the spool file (durable across a crash of the process) */
  spooled: number;
  /** stored by the database from the in-memory queue */
  written: number;
  failedBatches: number;
  /** stored by the database from spool files (catch-up and replay at open) */
  replayed: number;
  /** lost: neither spooled nor stored (the spool could not be written and the queue could not carry it) */
  dropped: number;
  /** events whose spool line could not be written (disk full, …); those the queue carried were stored all the same */
  spoolFailed: number;
  mode: 'live' | 'catch-up';
  /** writer threads started to replace one that died */
  writerRestarts: number;
  /** why the database is failing, and since when (epoch ms); null once it takes a write again */
  storeError: string | null;
  storeErrorSince: number | null;
  /** why the spool cannot be written, and since when; null once a write succeeds */
  spoolError: string | null;
  spoolErrorSince: number | null;
}

interface Entry {
  /** kept only for a backend on this thread; the writer thread needs the line alone */
  event: DecisionEvent | null;
  /** the event's spool line, reused for the writer thread so it is serialised once */
  line: string;
  segment: number;
  /** the line reached the spool file; if not, the queue is the event's only copy */
  spooled: boolean;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/** A fixed-capacity FIFO: O(1) push and bulk take. */
class Ring {
  private readonly items: (Entry | undefined)[];
  private head = 0;
  length = 0;
  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }
  push(entry: Entry): boolean {
    if (this.length === this.capacity) return false;
    this.items[(this.head + this.length) % this.capacity] = entry;
    this.length++;
    return true;
  }
  take(n: number): Entry[] {
    const out: Entry[] = [];
    const count = Math.min(n, this.length);
    for (let i = 0; i < count; i++) {
      out.push(this.items[this.head]!);
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.length -= count;
    return out;
  }
  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.length = 0;
  }
}

function isPromise<T = void>(value: unknown): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as Promise<T>).then === 'function';
}

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * `B` is the backend's type: with the default SQLite store, `search`, `tail` and `applyRetention`
 * answer synchronously; with an asynchronous store (PostgreSQL) they return promises.
 */
export class DecisionLog<B extends EventStoreBackend = SqliteEventStore> {
  /** Synchronous, constant time, never throws, never waits on the database. */
  readonly sink: DecisionSink;
  /** what the default SQLite store's migrations did at open (null with a supplied backend) */
  readonly migrations: MigrationReport | null;
  /** the store; with the writer thread, this thread's connection (reads, open, on-demand retention) */
  readonly backend: B;
  /** the writer thread, when the default store is written from one */
  readonly writer: WorkerEventWriter | null;

  private readonly spool: Spool;
  private readonly queue: Ring;
  private readonly batchSize: number;
  private readonly retentionMs: number | undefined;
  private readonly circumvention: CircumventionWindow | null;
  private readonly warn: (message: string) => void;
  private readonly now: () => number;
  private readonly lockPath: string;
  private mode: 'live' | 'catch-up' = 'catch-up';
  private running: Promise<void> | null = null;
  private retryDelay = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private immediateDrain: NodeJS.Immediate | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private counts = { written: 0, failedBatches: 0, replayed: 0, dropped: 0 };
  private lastFailure = '';
  private storeError: { message: string; since: number } | null = null;

  private constructor(
    options: DecisionLogOptions<B>,
    backend: B,
    migrations: MigrationReport | null,
    spool: Spool,
    lockPath: string,
    writerPath: string | null,
  ) {
    this.backend = backend;
    this.migrations = migrations;
    this.spool = spool;
    this.lockPath = lockPath;
    this.queue = new Ring(Math.max(1, options.queueCapacity ?? 50_000));
    this.batchSize = Math.max(1, options.batchSize ?? 1_000);
    this.retentionMs = options.retentionMs;
    this.now = options.now ?? Date.now;
    this.warn = options.onWarning ?? ((message) => process.emitWarning(message, { code: 'HEDGEROW_DECISION_LOG' }));
    this.circumvention =
      options.circumventionWindowMs !== undefined
        ? new CircumventionWindow({
            windowMs: options.circumventionWindowMs,
            threshold: options.circumventionThreshold,
            onThreshold: options.onCircumventionThreshold,
          })
        : null;
    this.sink = (event) => this.accept(event);
    this.writer =
      writerPath === null
        ? null
        : new WorkerEventWriter({ path: writerPath }, (why) => {
            // The drain that had batches in hand fails and replays them from the spool; a thread
            // that died while idle is simply started again by the next batch.
            this.warnOnce(`decision log: ${why}`);
          });
  }

  /**
   * Opens the store (running its migrations), replays any spool left by an earlier process in
   * order before new events, rebuilds the circumvention window and starts the writer.
   */
  static open<B extends EventStoreBackend = SqliteEventStore>(options: DecisionLogOptions<B>): DecisionLog<B> {
    const spoolDir = options.spoolDir ?? join(options.dataDir, 'spool');
    const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, { code: 'HEDGEROW_DECISION_LOG' }));
    const lockPath = acquireLock(spoolDir);
    let backend: B | undefined;
    try {
      const sqlite = options.backend ? null : SqliteEventStore.open(databasePath(options.dataDir), { onReopen: warn });
      backend = options.backend ?? (sqlite as unknown as B);
      // Each event reaches the spool file (the page cache, which outlives a killed process) before
      // the sink returns: a response sent in the same turn could otherwise beat a buffered write.
      const spool = new Spool({
        dir: spoolDir,
        segmentEvents: options.spoolSegmentEvents ?? 10_000,
        maxBuffered: 1,
        warn,
        ...(options.spoolFiles ? { files: options.spoolFiles } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      const writerPath = sqlite && options.writer !== 'main-thread' ? sqlite.path : null;
      const log = new DecisionLog<B>(options, backend, sqlite?.migrations ?? null, spool, lockPath, writerPath);
      log.replayAtOpen();
      log.rebuildCircumvention(options.circumventionWindowMs);
      if (log.retentionMs !== undefined) {
        const deleted: unknown = log.applyRetention();
        if (isPromise<number>(deleted)) deleted.catch((error: Error) => log.warnOnce(`decision log: retention failed: ${error.message}`));
      }
      log.writer?.warm();
      log.startTimers(options.flushIntervalMs ?? 200);
      return log;
    } catch (error) {
      if (!options.backend) void backend?.close();
      releaseLock(lockPath);
      throw error;
    }
  }

  private accept(event: DecisionEvent): void {
    try {
      if (this.closed) {
        this.counts.dropped++;
        return;
      }
      const line = JSON.stringify(event);
      const segment = this.spool.append(line);
      // maxBuffered is 1: the append above was a write, and this says whether it reached the file
      const spooled = this.spool.lastWriteOk;
      this.circumvention?.note(event, this.now());
      if (this.mode !== 'live') {
        if (!spooled) this.counts.dropped++;
        return;
      }
      // Not holding the event object lets it die young instead of being promoted while queued.
      if (!this.queue.push({ event: this.writer ? null : event, line, segment, spooled })) {
        this.enterCatchUp(`the in-memory queue is full (${this.queue.capacity} events)`);
        this.respool([{ event: null, line, segment, spooled }]);
        return;
      }
      if (this.queue.length >= this.batchSize) this.scheduleDrain();
    } catch (error) {
      this.counts.dropped++;
      this.warnOnce(`decision event not recorded: ${(error as Error).message}`);
    }
  }

  /** Drops the queue and replays from the spool from now on; queued events the spool missed are offered to it again. */
  private enterCatchUp(why: string): void {
    if (this.mode === 'catch-up') return;
    this.mode = 'catch-up';
    const queued = this.queue.take(this.queue.length);
    this.queue.clear();
    this.spool.forgetCommits();
    this.respool(queued);
    this.warnOnce(`decision log: writing to the spool only: ${why}`);
  }

  /** Writes to the spool the entries whose line never reached it; what still fails is lost. */
  private respool(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.spooled) continue;
      this.spool.append(entry.line);
      if (this.spool.lastWriteOk) entry.spooled = true;
      else this.counts.dropped++;
    }
  }

  private noteStoreFailure(error: unknown): void {
    this.counts.failedBatches++;
    const message = (error as Error).message;
    this.storeError = { message, since: this.storeError?.since ?? this.now() };
  }

  private warnOnce(message: string): void {
    if (message === this.lastFailure) return;
    this.lastFailure = message;
    this.warn(message);
  }

  private scheduleDrain(): void {
    if (this.immediateDrain !== null || this.retryTimer !== null || this.closed) return;
    this.immediateDrain = setImmediate(() => {
      this.immediateDrain = null;
      this.drainInBackground();
    });
  }

  private drainInBackground(): void {
    if (this.retryTimer !== null) return;
    this.exclusive().then(
      () => {
        this.retryDelay = 0;
        if (this.lastFailure !== '' && this.mode === 'live') this.lastFailure = '';
      },
      () => {
        // Back off while the database is failing; events keep going to the spool meanwhile.
        this.retryDelay = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryDelay * 2));
        if (this.closed) return;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.drainInBackground();
        }, this.retryDelay);
        this.retryTimer.unref();
      },
    );
  }

  /** Runs one drain after any drain already running; drains never overlap. */
  private exclusive(): Promise<void> {
    const previous = this.running ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.drain());
    this.running = next;
    const clear = (): void => {
      if (this.running === next) this.running = null;
    };
    next.then(clear, clear);
    return next;
  }

  private async drain(): Promise<void> {
    this.spool.writeBuffer();
    if (this.mode === 'catch-up') await this.catchUp();
    let first = true;
    while (this.mode === 'live' && this.queue.length > 0) {
      // Sync backends run on this thread: give traffic a turn between batches.
      if (!first) await yieldTurn();
      first = false;
      this.spool.writeBuffer();
      const batch = this.queue.take(this.batchSize);
      if (batch.length === 0) break;
      try {
        if (this.writer) {
          const lines = new Array<string>(batch.length);
          for (let index = 0; index < batch.length; index++) lines[index] = batch[index]!.line;
          const { warnings } = await this.writer.writeLines(lines);
          for (const warning of warnings) this.warn(warning);
        } else {
          const result = this.backend.writeBatch(batch.map((entry) => entry.event!));
          if (isPromise(result)) await result;
        }
      } catch (error) {
        this.noteStoreFailure(error);
        this.enterCatchUp(`the database failed: ${(error as Error).message}`);
        // the batch left the queue before it failed: its events the spool missed go there now
        this.respool(batch);
        throw error;
      }
      this.counts.written += batch.length;
      // only a write the database took says it is back; an empty catch-up proves nothing
      this.storeError = null;
      this.commit(batch);
    }
  }

  private commit(batch: Entry[]): void {
    // Entries of one segment are contiguous, so count runs rather than calling per event.
    let seq = batch[0]!.segment;
    let run = 0;
    for (const entry of batch) {
      if (entry.segment !== seq) {
        this.spool.commit(seq, run);
        seq = entry.segment;
        run = 0;
      }
      run++;
    }
    this.spool.commit(seq, run);
  }

  /** Replays closed segments oldest first until the database has every spooled event. */
  private async catchUp(): Promise<void> {
    for (;;) {
      this.spool.writeBuffer();
      const segment = this.spool.oldestClosed();
      if (!segment) {
        if (this.spool.activeEvents === 0) {
          this.mode = 'live';
          return;
        }
        this.spool.rotate();
        continue;
      }
      await this.replaySegment(segment);
    }
  }

  /** Writes one segment's events in batches, then deletes it. Throws when the database fails. */
  private async replaySegment(segment: SpoolSegment): Promise<void> {
    if (!this.spool.exists(segment)) {
      // removed from under the log (the data folder deleted): what the database lacked is lost
      const lost = Math.max(0, segment.events - segment.stored);
      if (lost > 0) {
        this.counts.dropped += lost;
        this.warn(`decision log: spool \`${segment.path}\` was removed before its replay; ${lost} events lost`);
      }
      this.spool.remove(segment);
      return;
    }
    if (this.writer) {
      // The thread reads and parses the file itself: nothing of it crosses this thread.
      this.spool.writeBuffer();
      try {
        const { count, warnings } = await this.writer.replaySegment(segment.path);
        for (const warning of warnings) this.warn(warning);
        this.counts.replayed += count;
        if (count > 0) this.storeError = null;
      } catch (error) {
        this.noteStoreFailure(error);
        this.warnOnce(`decision log: the database failed: ${(error as Error).message}`);
        throw error;
      }
      this.spool.remove(segment);
      return;
    }
    const events = this.spool.read(segment);
    for (let index = 0; index < events.length; index += this.batchSize) {
      if (index > 0) await yieldTurn();
      const chunk = events.slice(index, index + this.batchSize);
      try {
        const result = this.backend.writeBatch(chunk);
        if (isPromise(result)) await result;
      } catch (error) {
        this.noteStoreFailure(error);
        this.warnOnce(`decision log: the database failed: ${(error as Error).message}`);
        throw error;
      }
      this.counts.replayed += chunk.length;
      this.storeError = null;
    }
    this.spool.remove(segment);
  }

  /**
   * Segments left by an earlier process go in before anything new. With a synchronous backend
   * this finishes inside `open`; with an asynchronous one, or when the database is down, the
   * writer finishes it in catch-up mode before any new event is stored.
   */
  private replayAtOpen(): void {
    for (let segment = this.spool.oldestClosed(); segment; segment = this.spool.oldestClosed()) {
      const events = this.spool.read(segment);
      for (let index = 0; index < events.length; index += this.batchSize) {
        const chunk = events.slice(index, index + this.batchSize);
        try {
          const result = this.backend.writeBatch(chunk);
          if (isPromise(result)) {
            // Replayed again by the writer; the event ids make the second pass a no-op.
            result.catch(() => undefined);
            this.scheduleDrain();
            return;
          }
        } catch (error) {
          this.noteStoreFailure(error);
          this.warnOnce(`decision log: the database failed: ${(error as Error).message}`);
          this.drainInBackground();
          return;
        }
        this.counts.replayed += chunk.length;
      }
      this.spool.remove(segment);
    }
    this.mode = 'live';
  }

  private rebuildCircumvention(windowMs: number | undefined): void {
    if (!this.circumvention || windowMs === undefined) return;
    const now = this.now();
    try {
      const events = this.backend.search({ from: now - windowMs, circumvention: true, limit: 10_000 });
      if (isPromise<DecisionEvent[]>(events)) {
        // Events noted meanwhile are newer; the window merges the older ones in before them.
        events.then(
          (found) => this.circumvention?.restore(found, this.now()),
          (error: Error) => this.warnOnce(`decision log: circumvention counts not rebuilt: ${error.message}`),
        );
        return;
      }
      for (const event of events.reverse()) this.circumvention.note(event, now, false);
    } catch (error) {
      this.warnOnce(`decision log: circumvention counts not rebuilt: ${(error as Error).message}`);
    }
  }

  private startTimers(flushIntervalMs: number): void {
    const flush = setInterval(() => {
      // a spool folder removed from under the log is made again, with the lock that guards it
      if (this.spool.check()) this.restoreLock();
      if (this.queue.length > 0 || this.mode === 'catch-up') this.drainInBackground();
    }, Math.max(1, flushIntervalMs));
    flush.unref();
    this.timers.push(flush);
    if (this.retentionMs !== undefined) {
      const every = Math.min(3_600_000, Math.max(60_000, Math.floor(this.retentionMs / 10)));
      const retention = setInterval(() => {
        try {
          this.circumvention?.sweep(this.now());
          if (this.writer) {
            // Deleting in the writer thread keeps the slices off traffic and out of its way.
            this.writer.deleteBefore(this.now() - this.retentionMs!).catch((error: Error) => {
              this.warnOnce(`decision log: retention failed: ${error.message}`);
            });
          } else {
            const deleted: unknown = this.applyRetention();
            if (isPromise<number>(deleted)) deleted.catch((error: Error) => this.warnOnce(`decision log: retention failed: ${error.message}`));
          }
        } catch (error) {
          this.warnOnce(`decision log: retention failed: ${(error as Error).message}`);
        }
      }, every);
      retention.unref();
      this.timers.push(retention);
    }
  }

  private restoreLock(): void {
    try {
      writeFileSync(this.lockPath, String(process.pid), { flag: 'wx' });
    } catch {
      // still there, or the folder cannot be written: the spool's own warning says which
    }
  }

  /** Drains the queue and the spool into the database; rejects when the database fails. */
  async flush(): Promise<void> {
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    try {
      await this.exclusive();
      this.retryDelay = 0;
    } catch (error) {
      if (!this.closed) this.drainInBackground();
      throw error;
    }
  }

  /**
   * Flushes, then closes the store. Events the database did not take stay in the spool and are
   * replayed at the next open.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    let flushed = true;
    try {
      await this.flush();
    } catch {
      flushed = false;
    }
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.immediateDrain !== null) clearImmediate(this.immediateDrain);
    this.spool.close(flushed && this.mode === 'live' && this.queue.length === 0 && this.spool.allCommitted());
    try {
      await this.writer?.close();
      await this.backend.close();
    } finally {
      releaseLock(this.lockPath);
    }
  }

  search(query: EventQuery): ReturnType<B['search']> {
    return this.backend.search(query) as ReturnType<B['search']>;
  }

  tail(n: number): ReturnType<B['tail']> {
    return this.backend.tail(n) as ReturnType<B['tail']>;
  }

  circumventionCount(person: string, now: number = this.now()): number {
    return this.circumvention?.count(person, now) ?? 0;
  }

  /** Deletes events older than the retention period; returns how many (0 when no retention is set). */
  applyRetention(now: number = this.now()): ReturnType<B['deleteBefore']> | 0 {
    if (this.retentionMs === undefined) return 0;
    return this.backend.deleteBefore(now - this.retentionMs) as ReturnType<B['deleteBefore']>;
  }

  stats(): DecisionLogStats {
    return {
      queued: this.queue.length,
      spooled: this.spool.written,
      written: this.counts.written,
      failedBatches: this.counts.failedBatches,
      replayed: this.counts.replayed,
      dropped: this.counts.dropped,
      spoolFailed: this.spool.failed,
      mode: this.mode,
      writerRestarts: this.writer?.restarts ?? 0,
      storeError: this.storeError?.message ?? null,
      storeErrorSince: this.storeError?.since ?? null,
      spoolError: this.spool.error,
      spoolErrorSince: this.spool.failingSince,
    };
  }
}
