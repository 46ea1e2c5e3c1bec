// The activity reader thread: owns the read-only connection to the decision log (and the counts
// file), so an overview or an export that reads for a while never holds up the thread that
// carries traffic. Answers each request once, with the value or the error's code and message.
import { parentPort, workerData } from 'node:worker_threads';
import { isHedgerowError } from '../errors/index.ts';
import { SqliteActivityQueries } from './sqlite-activity-queries.ts';
import type { ReaderReply, ReaderRequest, ReaderStart } from './sqlite-activity-store.ts';

const start = workerData as ReaderStart;
const port = parentPort!;
let queries: SqliteActivityQueries | null = null;
let openError: unknown = null;
try {
  queries = SqliteActivityQueries.open(start.dataDir, { countsPath: start.countsPath });
} catch (error) {
  openError = error;
}

function handle(request: ReaderRequest): unknown {
  if (!queries) throw openError;
  switch (request.op) {
    case 'search':
      return queries.search(request.filter);
    case 'csv':
      return queries.csvChunk(request.filter, request.cursor, request.first);
    case 'overview':
      return queries.overview(request.from, request.to, request.options);
    case 'aggregate':
      return queries.aggregate(request.from, request.to);
    case 'open':
      return queries.unfolded();
    case 'fold':
      return queries.fold();
    case 'close':
      queries.close();
      return null;
  }
}

port.on('message', (request: ReaderRequest) => {
  let reply: ReaderReply;
  try {
    reply = { id: request.id, ok: true, value: handle(request) };
  } catch (error) {
    const e = error as Error;
    reply = { id: request.id, ok: false, code: isHedgerowError(e) ? e.code : null, message: e?.message ?? String(error), field: isHedgerowError(e) ? (e.where?.field ?? null) : null };
  }
  port.postMessage(reply);
  if (request.op === 'close') port.close();
});

/**
 * Folds in the background a step at a time, so requests are answered between steps; what is left
 * when a request comes is folded by the request itself.
 */
function foldInSteps(): void {
  try {
    if (queries && queries.fold(FOLD_STEP_EVENTS) > 0) setImmediate(foldInSteps).unref();
  } catch {
    // reported by the next read, which folds too
  }
}

const FOLD_STEP_EVENTS = 250_000;
if (start.foldIntervalMs > 0) {
  // At start (a log that grew while no reader ran) and then now and then, so a read folds little.
  setImmediate(foldInSteps).unref();
  setInterval(foldInSteps, start.foldIntervalMs).unref();
}
