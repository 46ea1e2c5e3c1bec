// The traffic thread's side of the database writer thread (`sqlite-writer-worker.ts`): posts
// batches of JSON lines as one string, and resolves each request when the thread reports the
// transaction committed. A thread that dies (crash, out of memory, `kill`) fails what it had in
// hand; the next request starts a new thread, and the decision log replays the lost batches
// from the spool (INSERT OR IGNORE makes a batch that did commit a no-op the second time).
import { Worker } from 'node:worker_threads';

export interface WriterStart {
  path: string;
  walAutocheckpointPages?: number;
  /** set to 1 (and notified) by the thread once it has tried to open its connection */
  ready?: SharedArrayBuffer;
}

/** how long `warm` waits for a new thread's connection */
const WARM_WAIT_MS = 10_000;

export type WriterRequest =
  | { kind: 'write'; id: number; text: string }
  | { kind: 'replay'; id: number; path: string }
  | { kind: 'delete-before'; id: number; ms: number }
  | { kind: 'close'; id: number };

export type WriterReply =
  | { kind: 'done'; id: number; count: number; warnings: string[] }
  | { kind: 'failed'; id: number; message: string };

interface Pending {
  resolve: (reply: { count: number; warnings: string[] }) => void;
  reject: (error: Error) => void;
}

const WORKER_URL = new URL('./sqlite-writer-worker.ts', import.meta.url);

/**
 * The worker file is TypeScript. A thread inherits `--import tsx` from the command line but not
 * a loader registered in code (`bin/hedgerow.js`), so the thread registers tsx itself first.
 */
function startThread(start: WriterStart): Worker {
  let tsx: string | null = null;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    tsx = null;
  }
  if (tsx === null) return new Worker(WORKER_URL, { workerData: start });
  // A thread that fails before opening its connection still releases a caller waiting in `warm`.
  const boot = [
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`,
    `.catch((error) => { const { workerData } = require('node:worker_threads');`,
    `if (workerData.ready) { const r = new Int32Array(workerData.ready); Atomics.store(r, 0, 1); Atomics.notify(r, 0); }`,
    `throw error; })`,
  ].join(' ');
  return new Worker(boot, { eval: true, workerData: start });
}

export class WorkerEventWriter {
  private readonly start: WriterStart;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** threads started after the first (each one replaced a thread that died) */
  restarts = 0;
  private started = 0;
  private readonly onExit: (message: string) => void;

  constructor(start: WriterStart, onExit: (message: string) => void) {
    this.start = start;
    this.onExit = onExit;
  }

  /**
   * Starts the thread and waits (blocking, at most 10 s) until its connection is open. Called
   * at open, before any traffic: a thread starting up (loading and compiling its modules) takes
   * CPU from this thread, which measured as a 50–100 ms stall when it happened under load.
   */
  warm(): void {
    if (this.closed || this.worker) return;
    const ready = new Int32Array(new SharedArrayBuffer(4));
    this.thread(ready.buffer as SharedArrayBuffer);
    Atomics.wait(ready, 0, 0, WARM_WAIT_MS);
  }

  /**
   * Stores the events of `lines` (JSON lines) in one transaction; resolves once committed, with
   * what the thread noticed on the way (a database file removed and opened again).
   */
  writeLines(lines: readonly string[]): Promise<{ count: number; warnings: string[] }> {
    return this.request({ kind: 'write', id: 0, text: lines.join('\n') });
  }

  /** Stores a spool segment's events; resolves with how many and the torn-line warnings. */
  replaySegment(path: string): Promise<{ count: number; warnings: string[] }> {
    return this.request({ kind: 'replay', id: 0, path });
  }

  async deleteBefore(ms: number): Promise<number> {
    return (await this.request({ kind: 'delete-before', id: 0, ms })).count;
  }

  /** Ends the thread at once, as a crash would: what it had in hand fails. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Waits for the requests in hand, closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    const worker = this.worker;
    if (worker) {
      try {
        await this.request({ kind: 'close', id: 0 });
      } catch {
        // the thread is gone already
      }
    }
    this.closed = true;
    if (worker) await worker.terminate();
    this.worker = null;
  }

  private request(message: WriterRequest): Promise<{ count: number; warnings: string[] }> {
    if (this.closed) return Promise.reject(new Error('the database writer is closed'));
    const worker = this.thread();
    const id = this.nextId++;
    message.id = id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held open only while it has work, so a log nobody closed does not keep the process alive.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage(message);
    });
  }

  private thread(ready?: SharedArrayBuffer): Worker {
    if (this.worker) return this.worker;
    if (this.started > 0) this.restarts++;
    this.started++;
    const worker = startThread({ ...this.start, ready });
    let failure = '';
    worker.on('message', (reply: WriterReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.kind === 'done') pending.resolve({ count: reply.count, warnings: reply.warnings });
      else pending.reject(new Error(reply.message));
    });
    worker.on('error', (error) => {
      failure = error.message;
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      const why = `the database writer thread stopped (${failure || `exit code ${code}`})`;
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const pending of lost) pending.reject(new Error(why));
      if (!this.closed) this.onExit(why);
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
