// Reading the audit log for the API: newest first, filtered by time, actor and subject, paged by
// an opaque cursor (the last entry's sequence number).
import type { AuditEntry, StoreDatabase } from '../db/index.ts';
import { HedgerowError } from '../errors/index.ts';

export interface AuditFilter {
  from?: number;
  to?: number;
  actor?: string;
  subject?: string;
  cursor?: string | null;
  limit?: number;
}

export const AUDIT_PAGE_MAX = 500;

function parseJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

export async function searchAudit(store: StoreDatabase, filter: AuditFilter): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(filter.limit ?? 50, AUDIT_PAGE_MAX));
  let query = store.db.selectFrom('audit_log').selectAll();
  if (filter.cursor) {
    if (!/^\d{1,15}$/.test(filter.cursor)) throw new HedgerowError('HR_API_INPUT', 'the cursor is not one this API gave', { where: { field: 'cursor' } });
    query = query.where('seq', '<', Number(filter.cursor));
  }
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.subject) query = query.where('subject', '=', filter.subject);
  const rows = await query.orderBy('seq', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => ({
      seq: row.seq,
      at: row.at,
      actor: row.actor,
      action: row.action,
      subject: row.subject,
      before: parseJson(row.before),
      after: parseJson(row.after),
      reason: row.reason,
      prevHash: row.prev_hash,
      hash: row.hash,
    })),
    nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
  };
}
