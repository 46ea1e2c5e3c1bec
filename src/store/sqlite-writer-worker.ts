// The database writer thread: owns its own better-sqlite3 connection (a connection belongs to one
// thread) and does every insert, so a batch or a WAL checkpoint that fsyncs never stalls the
// thread that carries traffic. It receives JSON lines as text (one string copy, no per-object
// cloning) and answers each request once the transaction has committed, or with the error.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { DecisionEvent } from '../engine/index.ts';
import { parseSegment } from './spool.ts';
import { SqliteEventStore } from './sqlite-event-store.ts';
import type { WriterReply, WriterRequest, WriterStart } from './worker-event-writer.ts';

const start = workerData as WriterStart;
const ready = start.ready ? new Int32Array(start.ready) : null;
/** warnings of the request in hand (a database file found removed and opened again) */
let noted: string[] = [];
let store: SqliteEventStore;
try {
  store = SqliteEventStore.open(start.path, { walAutocheckpointPages: start.walAutocheckpointPages, onReopen: (message) => noted.push(message) });
} finally {
  // Releases a caller waiting in `warm`; an open error still ends the thread with that error.
  if (ready) {
    Atomics.store(ready, 0, 1);
    Atomics.notify(ready, 0);
  }
}
const port = parentPort!;

/** Lines from the queue were serialised by the sink from real events, so they parse. */
function parseLines(text: string): DecisionEvent[] {
  return JSON.parse(`[${text.replaceAll('\n', ',')}]`) as DecisionEvent[];
}

function handle(request: WriterRequest): WriterReply {
  switch (request.kind) {
    case 'write': {
      const events = parseLines(request.text);
      store.writeBatch(events);
      return { kind: 'done', id: request.id, count: events.length, warnings: noted };
    }
    case 'replay': {
      // A segment file, read and parsed here; torn or corrupt lines come back as warnings.
      const warnings = noted;
      let text: string;
      try {
        text = readFileSync(request.path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'done', id: request.id, count: 0, warnings };
        throw error;
      }
      const events = parseSegment(text, basename(request.path), (message) => warnings.push(message));
      store.writeBatch(events);
      return { kind: 'done', id: request.id, count: events.length, warnings };
    }
    case 'delete-before':
      return { kind: 'done', id: request.id, count: store.deleteBefore(request.ms), warnings: noted };
    case 'close':
      store.close();
      return { kind: 'done', id: request.id, count: 0, warnings: [] };
  }
}

port.on('message', (request: WriterRequest) => {
  let reply: WriterReply;
  noted = [];
  try {
    reply = handle(request);
  } catch (error) {
    const message = (error as Error).message;
    reply = { kind: 'failed', id: request.id, message: noted.length > 0 ? `${noted.join('; ')}: ${message}` : message };
  }
  port.postMessage(reply);
  if (request.kind === 'close') port.close();
});
