// The append-only audit log as a hash chain: each row's hash covers the previous row's hash and
// the row's own fields, so editing, reordering or deleting a row breaks the chain at that point.
// Appends are serialised so two writers never chain onto the same row: SQLite by its single
// writer (`begin immediate`), PostgreSQL by a transaction-scoped advisory lock.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { canonicalJson } from './canonical-json.ts';
import type { DialectName } from './open-database.ts';
import type { AuditLogRow, Database } from './schema.ts';

/** prev_hash of the first row */
export const GENESIS_HASH = '0'.repeat(64);

// NOTE: a fixed application-wide key; every node appending to the same database must use it.
const AUDIT_APPEND_LOCK = 0x48520a01;
const VERIFY_PAGE = 1000;

export interface AuditRecordInput {
  actor: string;
  action: string;
  subject: string;
  /** any JSON value; stored as canonical JSON text */
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  prevHash: string;
  hash: string;
}

export interface AuditLogOptions {
  now?: () => number;
}

/** sha256(prev_hash + canonical JSON of the row's own fields), hex. */
export function auditHash(row: Omit<AuditLogRow, 'hash'>): string {
  const body = canonicalJson({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    before: row.before,
    after: row.after,
    reason: row.reason,
  });
  return createHash('sha256').update(row.prev_hash).update(body).digest('hex');
}

function toEntry(row: AuditLogRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    before: row.before === null ? null : (JSON.parse(row.before) as unknown),
    after: row.after === null ? null : (JSON.parse(row.after) as unknown),
    reason: row.reason,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export class AuditLog {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectName;
  private readonly now: () => number;

  constructor(store: { db: Kysely<Database>; dialect: DialectName }, options: AuditLogOptions = {}) {
    this.db = store.db;
    this.dialect = store.dialect;
    this.now = options.now ?? Date.now;
  }

  async append(input: AuditRecordInput): Promise<AuditEntry> {
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(AUDIT_APPEND_LOCK)})`.execute(trx);
      const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      const unhashed: Omit<AuditLogRow, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        at: this.now(),
        actor: input.actor,
        action: input.action,
        subject: input.subject,
        before: input.before === undefined || input.before === null ? null : canonicalJson(input.before),
        after: input.after === undefined || input.after === null ? null : canonicalJson(input.after),
        reason: input.reason ?? null,
        prev_hash: last?.hash ?? GENESIS_HASH,
      };
      const row: AuditLogRow = { ...unhashed, hash: auditHash(unhashed) };
      await trx.insertInto('audit_log').values(row).execute();
      return toEntry(row);
    });
  }

  /**
   * The first seq where the chain breaks, or null when it is whole. A changed row reports its
   * own seq; a deleted row reports the missing seq. Removing rows from the end leaves a shorter
   * chain that is still whole; catching that needs the head hash kept somewhere else.
   */
  async verify(): Promise<number | null> {
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq')
        .limit(VERIFY_PAGE)
        .execute();
      for (const row of rows) {
        if (row.seq !== expectedSeq) return expectedSeq;
        if (row.prev_hash !== prevHash || auditHash(row) !== row.hash) return row.seq;
        prevHash = row.hash;
        expectedSeq += 1;
      }
      if (rows.length < VERIFY_PAGE) return null;
    }
  }

  /** Entries in chain order, from `fromSeq` (default 1), at most `limit` (default 100). */
  async entries(options: { fromSeq?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', options.fromSeq ?? 1)
      .orderBy('seq')
      .limit(Math.max(1, Math.min(options.limit ?? 100, 10_000)))
      .execute();
    return rows.map(toEntry);
  }
}
