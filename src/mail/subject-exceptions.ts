// Approved exceptions to the calendar-subject rule. The Information Asset Owner (the role with
// `mail.exception.approve`) approves one subject, optionally for one calendar owner and until a
// date; the approval is a row in `mail_subject_exceptions` and an entry in the audit log. The
// subject is stored as a hash (to recognise it) and redacted (to show it), never in full.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog, StoreDatabase } from '../db/index.ts';
import { subjectHash } from './subject-check.ts';

export interface MailSubjectExceptionsTable {
  id: string;
  subject_hash: string;
  subject_redacted: string;
  owner: string | null;
  reason: string;
  approved_by: string;
  approved_at: number;
  expires_at: number | null;
}

export interface SubjectException {
  id: string;
  subjectRedacted: string;
  /** the calendar owner the exception is for; null for anyone */
  owner: string | null;
  reason: string;
  approvedBy: string;
  approvedAt: number;
  until: number | null;
}

export interface ApproveInput {
  subject: string;
  redacted: string;
  owner?: string | null;
  reason: string;
  until?: number | null;
  approvedBy: string;
}

function toException(row: MailSubjectExceptionsTable): SubjectException {
  return {
    id: row.id,
    subjectRedacted: row.subject_redacted,
    owner: row.owner,
    reason: row.reason,
    approvedBy: row.approved_by,
    approvedAt: Number(row.approved_at),
    until: row.expires_at === null ? null : Number(row.expires_at),
  };
}

export class SubjectExceptions {
  // The table is this module's; the shared row types in src/db do not list it.
  private readonly db: Kysely<{ mail_subject_exceptions: MailSubjectExceptionsTable }>;

  constructor(
    store: StoreDatabase,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {
    this.db = store.db.withTables<{ mail_subject_exceptions: MailSubjectExceptionsTable }>() as unknown as Kysely<{ mail_subject_exceptions: MailSubjectExceptionsTable }>;
  }

  async approve(input: ApproveInput): Promise<SubjectException> {
    const row: MailSubjectExceptionsTable = {
      id: randomUUID(),
      subject_hash: subjectHash(input.subject),
      subject_redacted: input.redacted,
      owner: input.owner?.trim().toLowerCase() || null,
      reason: input.reason,
      approved_by: input.approvedBy,
      approved_at: this.now(),
      expires_at: input.until ?? null,
    };
    await this.db.insertInto('mail_subject_exceptions').values(row).execute();
    await this.audit.append({
      actor: input.approvedBy,
      action: 'mail.exception.approve',
      subject: `mail-subject-exception:${row.id}`,
      after: { subject: row.subject_redacted, owner: row.owner, until: row.expires_at },
      reason: input.reason,
    });
    return toException(row);
  }

  /** The exception in force for this subject (and owner) at `at`, newest first; null when none. */
  async find(subject: string, owner: string | null, at: number = this.now()): Promise<SubjectException | null> {
    const rows = await this.db
      .selectFrom('mail_subject_exceptions')
      .selectAll()
      .where('subject_hash', '=', subjectHash(subject))
      .orderBy('approved_at', 'desc')
      .execute();
    const who = owner?.trim().toLowerCase() || null;
    const row = rows.find((r) => (r.owner === null || r.owner === who) && (r.expires_at === null || Number(r.expires_at) > at));
    return row ? toException(row) : null;
  }
}
