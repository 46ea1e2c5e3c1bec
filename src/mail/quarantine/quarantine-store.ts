// The sealed quarantine. What the ICT officer may see without a challenge: the envelope, the
// signals (already redacted by the detectors), the reasons and the size. The message itself is
// sealed (sealed-box.ts) and opens only for an account with `quarantine.read-content`, only once
// the sender or a recipient has challenged the decision, and every opening is audited with the
// challenge it rests on. Release reinjects through the relay; delete wipes the ciphertext;
// retention purges whole records.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AuditLog, canonicalJson, type StoreDatabase } from '../../db/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import type { MailEnvelope, MailSignal, MailVerdict } from '../types.ts';
import type { KeyRing } from './sealed-box.ts';

export type QuarantineStatus = 'held' | 'released' | 'deleted';
export type ChallengeParty = 'sender' | 'recipient';

interface QuarantineTable {
  id: string;
  received_at: number;
  mode: string;
  direction: string;
  mail_from: string;
  rcpt_to: string;
  client_address: string | null;
  helo_name: string | null;
  size: number;
  action: string;
  reasons: string;
  signals: string;
  status: string;
  key_id: string | null;
  nonce: string | null;
  tag: string | null;
  content: string | null;
  closed_at: number | null;
  closed_by: string | null;
}

interface ChallengeTable {
  id: string;
  quarantine_id: string;
  at: number;
  actor: string;
  address: string;
  party: string;
  reason: string;
}

/** The tables of migration 006_quarantine, as this module reads them. */
interface QuarantineDatabase {
  quarantine: QuarantineTable;
  quarantine_challenges: ChallengeTable;
}

export interface QuarantineChallenge {
  id: string;
  at: number;
  /** the account that challenged */
  by: string;
  /** the mail address it challenged as */
  address: string;
  party: ChallengeParty;
  reason: string;
}

/** A quarantined message as the officer sees it before any challenge: never its content. */
export interface QuarantineSummary {
  id: string;
  receivedAt: number;
  mode: string;
  direction: 'outbound' | 'inbound';
  mailFrom: string;
  rcptTo: string[];
  clientAddress: string | null;
  heloName: string | null;
  size: number;
  action: string;
  reasons: MailVerdict['reasons'];
  signals: MailSignal[];
  status: QuarantineStatus;
  closedAt: number | null;
  closedBy: string | null;
  challenges: QuarantineChallenge[];
}

export interface QuarantineOptions {
  store: StoreDatabase;
  audit: AuditLog;
  keys: KeyRing;
  now?: () => number;
}

const MAX_REASON = 2000;

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(10).toString('base64url')}`;
}

function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export class Quarantine {
  private readonly db: Kysely<QuarantineDatabase>;
  private readonly audit: AuditLog;
  private readonly keys: KeyRing;
  private readonly now: () => number;

  constructor(options: QuarantineOptions) {
    // NOTE: the store's Database type lists the shared tables; these two belong to this module.
    this.db = options.store.db as unknown as Kysely<QuarantineDatabase>;
    this.audit = options.audit;
    this.keys = options.keys;
    this.now = options.now ?? Date.now;
  }

  /** What is bound to the ciphertext: changing any of it in the database breaks the seal. */
  private static associated(row: Pick<QuarantineTable, 'id' | 'received_at' | 'mail_from' | 'rcpt_to' | 'direction' | 'key_id'>): Buffer {
    return Buffer.from(
      canonicalJson({ v: 1, id: row.id, receivedAt: row.received_at, mailFrom: row.mail_from, rcptTo: JSON.parse(row.rcpt_to) as unknown, direction: row.direction, keyId: row.key_id }),
    );
  }

  /** Seal and store a stopped message (called by the filter before it answers 250). */
  async hold(input: { mode: string; envelope: MailEnvelope; verdict: Pick<MailVerdict, 'action' | 'reasons' | 'signals'>; raw: Uint8Array }): Promise<{ id: string }> {
    const id = newId('q');
    const base = {
      id,
      received_at: this.now(),
      mail_from: input.envelope.mailFrom,
      rcpt_to: JSON.stringify(input.envelope.rcptTo),
      direction: input.envelope.direction,
      key_id: this.keys.current.id,
    };
    const sealed = this.keys.seal(input.raw, Quarantine.associated(base));
    await this.db
      .insertInto('quarantine')
      .values({
        ...base,
        mode: input.mode,
        client_address: input.envelope.clientAddress ?? null,
        helo_name: input.envelope.heloName ?? null,
        size: input.raw.length,
        action: input.verdict.action,
        reasons: JSON.stringify(input.verdict.reasons),
        signals: JSON.stringify(input.verdict.signals),
        status: 'held',
        nonce: sealed.nonce.toString('base64'),
        tag: sealed.tag.toString('base64'),
        content: sealed.ciphertext.toString('base64'),
        closed_at: null,
        closed_by: null,
      })
      .execute();
    return { id };
  }

  private async row(id: string): Promise<QuarantineTable> {
    const row = await this.db.selectFrom('quarantine').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_MAIL_QUARANTINE_NOT_FOUND', `no quarantined message \`${id}\``, { httpStatus: 404 });
    return row;
  }

  private async challengesOf(ids: readonly string[]): Promise<Map<string, QuarantineChallenge[]>> {
    const out = new Map<string, QuarantineChallenge[]>();
    if (ids.length === 0) return out;
    const rows = await this.db.selectFrom('quarantine_challenges').selectAll().where('quarantine_id', 'in', [...ids]).orderBy('at').orderBy('id').execute();
    for (const row of rows) {
      const list = out.get(row.quarantine_id) ?? [];
      list.push({ id: row.id, at: row.at, by: row.actor, address: row.address, party: row.party as ChallengeParty, reason: row.reason });
      out.set(row.quarantine_id, list);
    }
    return out;
  }

  private static summary(row: QuarantineTable, challenges: QuarantineChallenge[]): QuarantineSummary {
    return {
      id: row.id,
      receivedAt: row.received_at,
      mode: row.mode,
      direction: row.direction as 'outbound' | 'inbound',
      mailFrom: row.mail_from,
      rcptTo: JSON.parse(row.rcpt_to) as string[],
      clientAddress: row.client_address,
      heloName: row.helo_name,
      size: row.size,
      action: row.action,
      reasons: JSON.parse(row.reasons) as MailVerdict['reasons'],
      signals: JSON.parse(row.signals) as MailSignal[],
      status: row.status as QuarantineStatus,
      closedAt: row.closed_at,
      closedBy: row.closed_by,
      challenges,
    };
  }

  async get(id: string): Promise<QuarantineSummary> {
    const row = await this.row(id);
    return Quarantine.summary(row, (await this.challengesOf([id])).get(id) ?? []);
  }

  /** Newest first; `cursor` is the last id of the previous page. */
  async list(options: { status?: QuarantineStatus; limit?: number; cursor?: string | null } = {}): Promise<{ items: QuarantineSummary[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
    let query = this.db.selectFrom('quarantine').selectAll();
    if (options.status) query = query.where('status', '=', options.status);
    if (options.cursor) {
      const after = await this.db.selectFrom('quarantine').select(['id', 'received_at']).where('id', '=', options.cursor).executeTakeFirst();
      if (after) {
        query = query.where((eb) => eb.or([eb('received_at', '<', after.received_at), eb.and([eb('received_at', '=', after.received_at), eb('id', '<', after.id)])]));
      }
    }
    const rows = await query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const challenges = await this.challengesOf(page.map((r) => r.id));
    return { items: page.map((r) => Quarantine.summary(r, challenges.get(r.id) ?? [])), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
  }

  /**
   * The sender or a recipient disputes the stop. `address` is the mail address the challenger
   * acts as; it must be the message's sender or one of its recipients.
   */
  async challenge(id: string, input: { actor: string; address: string; reason: string }): Promise<QuarantineChallenge> {
    const row = await this.row(id);
    if (row.status !== 'held') throw new HedgerowError('HR_MAIL_QUARANTINE_STATE', `quarantined message \`${id}\` was already ${row.status}`, { httpStatus: 409 });
    const recipients = JSON.parse(row.rcpt_to) as string[];
    const party: ChallengeParty | null = sameAddress(row.mail_from, input.address) && row.mail_from !== '' ? 'sender' : recipients.some((r) => sameAddress(r, input.address)) ? 'recipient' : null;
    if (!party) {
      throw new HedgerowError('HR_MAIL_QUARANTINE_NOT_PARTY', `\`${input.address}\` neither sent nor received quarantined message \`${id}\``, { httpStatus: 403 });
    }
    const reason = input.reason.trim().slice(0, MAX_REASON);
    if (reason === '') throw new HedgerowError('HR_MAIL_QUARANTINE_INPUT', 'a challenge needs a reason', { httpStatus: 400 });
    const challenge: QuarantineChallenge = { id: newId('c'), at: this.now(), by: input.actor, address: input.address.trim().toLowerCase(), party, reason };
    await this.db
      .insertInto('quarantine_challenges')
      .values({ id: challenge.id, quarantine_id: id, at: challenge.at, actor: challenge.by, address: challenge.address, party, reason })
      .execute();
    await this.audit.append({ actor: input.actor, action: 'quarantine.challenge', subject: `quarantine:${id}`, after: { challenge: challenge.id, party, address: challenge.address }, reason });
    return challenge;
  }

  /**
   * The sealed message, for an officer acting on a challenge (the given one, or the latest).
   * Refused while nobody has challenged; every opening is audited before the content is returned.
   */
  async readContent(id: string, input: { actor: string; challengeId?: string | null }): Promise<{ raw: Buffer; challenge: QuarantineChallenge }> {
    const row = await this.row(id);
    const challenges = (await this.challengesOf([id])).get(id) ?? [];
    if (challenges.length === 0) {
      throw new HedgerowError('HR_MAIL_QUARANTINE_SEALED', `quarantined message \`${id}\` stays sealed: neither its sender nor a recipient has challenged the decision`, { httpStatus: 409 });
    }
    const challenge = input.challengeId ? challenges.find((c) => c.id === input.challengeId) : challenges[challenges.length - 1];
    if (!challenge) throw new HedgerowError('HR_MAIL_QUARANTINE_NOT_FOUND', `quarantined message \`${id}\` has no challenge \`${input.challengeId}\``, { httpStatus: 404 });
    const raw = this.open(row);
    await this.audit.append({
      actor: input.actor,
      action: 'quarantine.read-content',
      subject: `quarantine:${id}`,
      after: { challenge: challenge.id, challengedBy: challenge.by, party: challenge.party, size: raw.length },
      reason: `challenge ${challenge.id}: ${challenge.reason}`.slice(0, MAX_REASON),
    });
    return { raw, challenge };
  }

  private open(row: QuarantineTable): Buffer {
    if (row.content === null || row.key_id === null || row.nonce === null || row.tag === null) {
      throw new HedgerowError('HR_MAIL_QUARANTINE_NOT_FOUND', `the content of quarantined message \`${row.id}\` was deleted`, { httpStatus: 404 });
    }
    return this.keys.open(
      { keyId: row.key_id, nonce: Buffer.from(row.nonce, 'base64'), tag: Buffer.from(row.tag, 'base64'), ciphertext: Buffer.from(row.content, 'base64') },
      Quarantine.associated(row),
      `quarantined message \`${row.id}\``,
    );
  }

  /** Reinject a held message to its original recipients through `deliver` (the relay), then mark it released. */
  async release(id: string, input: { actor: string; reason: string }, deliver: (envelope: { from: string; to: string[] }, raw: Buffer) => Promise<unknown>): Promise<QuarantineSummary> {
    const row = await this.row(id);
    if (row.status !== 'held') throw new HedgerowError('HR_MAIL_QUARANTINE_STATE', `quarantined message \`${id}\` was already ${row.status}`, { httpStatus: 409 });
    const raw = this.open(row);
    await deliver({ from: row.mail_from, to: JSON.parse(row.rcpt_to) as string[] }, raw);
    const at = this.now();
    await this.db.updateTable('quarantine').set({ status: 'released', closed_at: at, closed_by: input.actor, content: null, nonce: null, tag: null }).where('id', '=', id).execute();
    await this.audit.append({ actor: input.actor, action: 'quarantine.release', subject: `quarantine:${id}`, before: { status: 'held' }, after: { status: 'released' }, reason: input.reason });
    return this.get(id);
  }

  /** Wipe the sealed content; the clear record stays until retention purges it. */
  async delete(id: string, input: { actor: string; reason: string }): Promise<QuarantineSummary> {
    const row = await this.row(id);
    if (row.status !== 'held') throw new HedgerowError('HR_MAIL_QUARANTINE_STATE', `quarantined message \`${id}\` was already ${row.status}`, { httpStatus: 409 });
    await this.db.updateTable('quarantine').set({ status: 'deleted', closed_at: this.now(), closed_by: input.actor, content: null, nonce: null, tag: null }).where('id', '=', id).execute();
    await this.audit.append({ actor: input.actor, action: 'quarantine.delete', subject: `quarantine:${id}`, before: { status: 'held' }, after: { status: 'deleted' }, reason: input.reason });
    return this.get(id);
  }

  /** Remove every record received longer ago than the retention period (the policy's `retention.quarantine`). */
  async purgeExpired(retentionMs: number): Promise<number> {
    const cutoff = this.now() - retentionMs;
    const expired = await this.db.selectFrom('quarantine').select('id').where('received_at', '<', cutoff).execute();
    if (expired.length === 0) return 0;
    const ids = expired.map((r) => r.id);
    await this.db.transaction().execute(async (trx) => {
      // in slices, under every engine's limit on bound parameters
      for (let at = 0; at < ids.length; at += 500) {
        const slice = ids.slice(at, at + 500);
        await trx.deleteFrom('quarantine_challenges').where('quarantine_id', 'in', slice).execute();
        await trx.deleteFrom('quarantine').where('id', 'in', slice).execute();
      }
    });
    await this.audit.append({ actor: 'system', action: 'quarantine.purge', subject: 'quarantine', after: { removed: ids.length, before: cutoff }, reason: `retention ${retentionMs} ms` });
    return ids.length;
  }
}
