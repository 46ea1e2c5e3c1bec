// `hedgerow logs tail|search`: read the decision log of HEDGEROW_DATA without disturbing the
// running server (read-only SQLite connection; WAL lets it read while the server writes).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HedgerowError } from '../errors/index.ts';
import type { DecisionEvent } from '../engine/index.ts';
import type { EventQuery } from './event-store-backend.ts';
import { formatEvent } from './format-event.ts';
import { databasePath, SqliteEventStore } from './sqlite-event-store.ts';

export interface LogsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** ends `tail --follow` (otherwise it runs until the process is stopped) */
  signal?: AbortSignal;
  /** how often `--follow` looks for new events */
  followIntervalMs?: number;
}

export const LOGS_USAGE = `Usage:
  hedgerow logs tail [-n N] [--follow] [--json]
  hedgerow logs search [--user U] [--host H] [--from ISO] [--to ISO] [--action A] [--point P] [--limit N] [--json]

Times are ISO-8601 (without an offset, local time); --from is inclusive, --to exclusive.
Reads the decision log in HEDGEROW_DATA (default ./data).`;

class UsageError extends Error {}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new UsageError(`${flag} wants a positive whole number, not \`${text}\``);
  return Number(text);
}

function time(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} wants an ISO-8601 time like 2026-11-24T10:15, not \`${text}\``);
  return ms;
}

function openStore(env: NodeJS.ProcessEnv): SqliteEventStore {
  const dataDir = resolve(env.HEDGEROW_DATA && env.HEDGEROW_DATA !== '' ? env.HEDGEROW_DATA : 'data');
  const path = databasePath(dataDir);
  if (!existsSync(path)) throw new HedgerowError('HR_STORE_OPEN', `no decision log at \`${path}\` (set HEDGEROW_DATA or start hedgerow first)`);
  return SqliteEventStore.open(path, { readonly: true });
}

export async function logsCommand(args: string[], io: LogsIo): Promise<number> {
  const out = (event: DecisionEvent, json: boolean): void => {
    io.stdout.write(`${json ? JSON.stringify(event) : formatEvent(event)}\n`);
  };
  const [sub, ...rest] = args;
  try {
    if (sub === 'tail') {
      const { values } = parseArgs({
        args: rest,
        options: { n: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } },
        strict: true,
        allowPositionals: false,
      });
      const n = positiveInt(values.n, '-n', 20);
      const store = openStore(io.env);
      try {
        // Oldest first, newest last, as `tail` prints.
        for (const event of store.tail(n).reverse()) out(event, values.json === true);
        if (values.follow) await follow(store, io, values.json === true, out);
      } finally {
        store.close();
      }
      return 0;
    }
    if (sub === 'search') {
      const { values } = parseArgs({
        args: rest,
        options: {
          user: { type: 'string' },
          host: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          action: { type: 'string' },
          point: { type: 'string' },
          limit: { type: 'string' },
          json: { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      });
      const query: EventQuery = { limit: positiveInt(values.limit, '--limit', 100) };
      if (values.user !== undefined) query.person = values.user;
      if (values.host !== undefined) query.host = values.host.toLowerCase();
      if (values.action !== undefined) query.action = values.action.toLowerCase();
      if (values.point !== undefined) query.point = values.point;
      query.from = time(values.from, '--from');
      query.to = time(values.to, '--to');
      const store = openStore(io.env);
      try {
        for (const event of store.search(query)) out(event, values.json === true);
      } finally {
        store.close();
      }
      return 0;
    }
    throw new UsageError(sub === undefined ? 'logs wants `tail` or `search`' : `unknown logs command \`${sub}\``);
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`hedgerow logs: ${(error as Error).message}\n\n${LOGS_USAGE}\n`);
      return 2;
    }
    if (error instanceof HedgerowError) {
      io.stderr.write(`hedgerow logs: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function follow(store: SqliteEventStore, io: LogsIo, json: boolean, out: (event: DecisionEvent, json: boolean) => void): Promise<void> {
  let last = store.lastSeq();
  const every = io.followIntervalMs ?? 500;
  while (!io.signal?.aborted) {
    await new Promise<void>((done) => {
      const stop = (): void => {
        clearTimeout(timer);
        done();
      };
      const timer = setTimeout(() => {
        io.signal?.removeEventListener('abort', stop);
        done();
      }, every);
      io.signal?.addEventListener('abort', stop, { once: true });
    });
    for (const { seq, event } of store.readAfter(last)) {
      out(event, json);
      last = seq;
    }
  }
}
