// `hedgerow audit verify`: walks the audit log's hash chain from the first entry and says either
// that it is whole (how many entries, the last seq and the head hash) or where it first breaks and
// why. Exit code 0 when whole, 1 when broken, 2 for a command line it does not understand.
//
// What the chain can and cannot show:
//   - an edited entry no longer matches its own hash ("changed");
//   - a deleted entry leaves a gap in seq ("missing");
//   - an entry edited and re-hashed, or entries reordered or inserted, break the link to the
//     entry before ("unlinked");
//   - removing entries from the end leaves a shorter chain that is still whole. Only a head hash
//     remembered elsewhere catches that: this command prints the head, and `--expect-head HASH`
//     fails when that hash is no longer in the chain (the same catches a chain rewritten whole).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { auditHash, GENESIS_HASH, openDatabase, redactDatabaseUrl, sqlitePathFromUrl, type Database } from '../db/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { defaultStoreUrl } from './users-command.ts';

export interface AuditCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export const AUDIT_USAGE = `Usage:
  hedgerow audit verify [--data DIR | --database URL] [--expect-head HASH] [--json]
      walks the audit log's hash chain; prints OK with the number of entries and the head hash,
      or the first broken seq and why; exit 0 when whole, 1 when broken
      --data DIR        the SQLite store in DIR/hedgerow.db
      --database URL    sqlite:/path/file.db or postgres://… (default HEDGEROW_DATABASE_URL, or
                        sqlite:HEDGEROW_DATA/hedgerow.db)
      --expect-head H   a head hash recorded earlier; fails when it is no longer in the chain
                        (entries removed from the end, or the chain rewritten)`;

export type ChainBreakKind = 'missing' | 'changed' | 'unlinked';

export interface AuditChainReport {
  /** whole, and the expected head (when given) is in it */
  ok: boolean;
  /** entries checked and found whole before the break (all of them when whole) */
  entries: number;
  /** the last whole entry's seq (0 when none) */
  lastSeq: number;
  /** the last whole entry's hash (the genesis hash when none) */
  headHash: string;
  broken: { seq: number; kind: ChainBreakKind; message: string } | null;
  expectedHead: { hash: string; foundAt: number | null } | null;
}

const PAGE = 1000;
const HASH = /^[0-9a-f]{64}$/;

/** Walks the chain in seq order, stopping at the first break. */
export async function walkAuditChain(db: Kysely<Database>, options: { expectHead?: string } = {}): Promise<AuditChainReport> {
  const expect = options.expectHead?.toLowerCase();
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let foundAt: number | null = expect === GENESIS_HASH ? 0 : null;
  let broken: AuditChainReport['broken'] = null;
  let after = 0;
  walk: for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(PAGE).execute();
    for (const row of rows) {
      after = row.seq;
      if (row.seq !== expectedSeq) {
        const gap = row.seq - 1 === expectedSeq ? `entry ${expectedSeq} is missing` : `entries ${expectedSeq} to ${row.seq - 1} are missing`;
        broken = {
          seq: expectedSeq,
          kind: 'missing',
          message: `${gap}: the chain goes from seq ${expectedSeq - 1} to seq ${row.seq} (deleted)`,
        };
        break walk;
      }
      if (auditHash(row) !== row.hash) {
        broken = { seq: row.seq, kind: 'changed', message: `entry ${row.seq} does not match its own hash: it was changed after it was written` };
        break walk;
      }
      if (row.prev_hash !== prevHash) {
        broken = {
          seq: row.seq,
          kind: 'unlinked',
          message:
            row.seq === 1
              ? 'entry 1 does not start the chain: its prev_hash is not the genesis hash (rewritten or inserted)'
              : `entry ${row.seq} does not follow entry ${row.seq - 1}: its prev_hash is not entry ${row.seq - 1}'s hash (entry ${row.seq - 1} was rewritten with a new hash, or entries were reordered or inserted)`,
        };
        break walk;
      }
      if (expect !== undefined && row.hash === expect) foundAt = row.seq;
      prevHash = row.hash;
      expectedSeq += 1;
    }
    if (rows.length < PAGE) break;
  }
  const whole = broken === null;
  const expectedHead = expect === undefined ? null : { hash: expect, foundAt };
  return {
    ok: whole && (expectedHead === null || expectedHead.foundAt !== null),
    entries: expectedSeq - 1,
    lastSeq: expectedSeq - 1,
    headHash: prevHash,
    broken,
    expectedHead,
  };
}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

function usage(io: AuditCommandIo, message: string): number {
  write(io.stderr, `hedgerow audit: ${message}\n\n${AUDIT_USAGE}`);
  return 2;
}

export async function auditCommand(args: string[], io: AuditCommandIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help') {
    write(sub === undefined ? io.stderr : io.stdout, AUDIT_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'verify') return usage(io, `unknown audit command \`${sub}\``);
  let values: { data?: string; database?: string; 'expect-head'?: string; json?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { data: { type: 'string' }, database: { type: 'string' }, 'expect-head': { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  if (values.data !== undefined && values.database !== undefined) return usage(io, 'give --data or --database, not both');
  const expectHead = values['expect-head'];
  if (expectHead !== undefined && !HASH.test(expectHead.toLowerCase())) return usage(io, `--expect-head \`${expectHead}\` is not a SHA-256 hash (64 hex digits)`);

  const url = values.database ?? (values.data !== undefined ? `sqlite:${join(values.data, 'hedgerow.db')}` : defaultStoreUrl(io.env));
  const isPostgres = /^postgres(ql)?:\/\//i.test(url);
  // opening a SQLite file that is not there would create an empty store and call it whole
  if (!isPostgres && !existsSync(sqlitePathFromUrl(url))) {
    throw new HedgerowError('HR_AUDIT_NO_LOG', `no store at \`${sqlitePathFromUrl(url)}\`: nothing to verify`);
  }
  const store = await openDatabase(url, { poolSize: 2 });
  let report: AuditChainReport;
  try {
    try {
      await store.db.selectFrom('audit_log').select('seq').limit(1).execute();
    } catch (error) {
      throw new HedgerowError('HR_AUDIT_NO_LOG', `\`${redactDatabaseUrl(url)}\` has no audit log: ${(error as Error).message}`, { cause: error });
    }
    report = await walkAuditChain(store.db, expectHead === undefined ? {} : { expectHead });
  } finally {
    await store.close();
  }

  if (values.json) {
    write(io.stdout, JSON.stringify({ store: redactDatabaseUrl(url), ...report }));
    return report.ok ? 0 : 1;
  }
  const where = redactDatabaseUrl(url);
  if (report.broken) {
    write(io.stdout, `BROKEN ${where}: ${report.broken.message}`);
    write(
      io.stdout,
      report.entries === 0
        ? 'no entry before it is whole'
        : `entries 1 to ${report.lastSeq} are whole; the last whole entry's hash is ${report.headHash}`,
    );
    return 1;
  }
  if (report.expectedHead && report.expectedHead.foundAt === null) {
    write(
      io.stdout,
      `BROKEN ${where}: the expected head ${report.expectedHead.hash} is not in the chain: entries were removed from the end, or the chain was rewritten ` +
        `(the chain is whole up to seq ${report.lastSeq}, head ${report.headHash})`,
    );
    return 1;
  }
  write(io.stdout, `OK ${where}: ${report.entries} ${report.entries === 1 ? 'entry' : 'entries'}, whole from seq 1 to ${report.lastSeq}`);
  write(io.stdout, `head hash: ${report.headHash}`);
  if (report.expectedHead) {
    const since = report.lastSeq - report.expectedHead.foundAt!;
    write(io.stdout, `the expected head is entry ${report.expectedHead.foundAt}; ${since} ${since === 1 ? 'entry was' : 'entries were'} added since`);
  } else {
    write(io.stdout, 'keep the head hash somewhere else: `--expect-head HASH` later shows whether entries were removed from the end');
  }
  return 0;
}
