// The compliance records as stored, on SQLite or PostgreSQL: training completions, start dates,
// policy versions and acknowledgements, online-presence self-checks, policy reviews and the
// reminders already sent. Every record a person makes is written to the audit chain (who, what,
// why); a record the audit log cannot take is removed again, so nothing stands unaccounted for.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog, StoreDatabase } from '../db/index.ts';
import type { AcknowledgementView, ReviewView, SelfCheckView, TrainingRecordView } from './compliance-types.ts';
import { complianceDb, jsonList, type ComplianceTables } from './compliance-tables.ts';
import type { PolicyVersion } from './policy-version.ts';

export interface ComplianceRecordsOptions {
  store: StoreDatabase;
  audit: AuditLog;
  now?: () => number;
}

export interface PersonStart {
  firstSeenAt: number;
  /** a recorded start date (epoch ms of the day's start), which wins over the first sighting */
  startAt: number | null;
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('base64url')}`;
}

export class ComplianceRecords {
  private readonly db: Kysely<ComplianceTables>;
  private readonly audit: AuditLog;
  private readonly now: () => number;

  constructor(options: ComplianceRecordsOptions) {
    this.db = complianceDb(options.store);
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
  }

  // --- when each person's clock starts ---

  /** Notes the people not seen before, with the time now as their first sighting. */
  async noteSeen(people: readonly string[]): Promise<void> {
    if (people.length === 0) return;
    const known = new Set((await this.db.selectFrom('compliance_people').select('person').execute()).map((row) => row.person));
    const fresh = [...new Set(people)].filter((person) => !known.has(person));
    const now = this.now();
    // in slices, so a large first roster stays within the engines' bound-parameter limits
    for (let i = 0; i < fresh.length; i += 200) {
      const values = fresh.slice(i, i + 200).map((person) => ({ person, first_seen_at: now, start_at: null, start_recorded_by: null, start_recorded_at: null }));
      await this.db
        .insertInto('compliance_people')
        .values(values)
        .onConflict((oc) => oc.column('person').doNothing())
        .execute();
    }
  }

  async starts(): Promise<Map<string, PersonStart>> {
    const rows = await this.db.selectFrom('compliance_people').selectAll().execute();
    return new Map(rows.map((row) => [row.person, { firstSeenAt: row.first_seen_at, startAt: row.start_at }]));
  }

  async recordStart(person: string, startAt: number, actor: string, reason: string | null): Promise<PersonStart> {
    await this.noteSeen([person]);
    const before = await this.db.selectFrom('compliance_people').selectAll().where('person', '=', person).executeTakeFirstOrThrow();
    const now = this.now();
    await this.db.updateTable('compliance_people').set({ start_at: startAt, start_recorded_by: actor, start_recorded_at: now }).where('person', '=', person).execute();
    try {
      await this.audit.append({
        actor,
        action: 'compliance.start',
        subject: `person:${person}`,
        before: { startAt: before.start_at },
        after: { startAt },
        reason,
      });
    } catch (error) {
      await this.db
        .updateTable('compliance_people')
        .set({ start_at: before.start_at, start_recorded_by: before.start_recorded_by, start_recorded_at: before.start_recorded_at })
        .where('person', '=', person)
        .execute();
      throw error;
    }
    return { firstSeenAt: before.first_seen_at, startAt };
  }

  // --- training ---

  async recordTraining(input: { person: string; course: string; completedAt: number; evidence: string | null }, actor: string): Promise<TrainingRecordView> {
    const row = {
      id: newId('trn'),
      person: input.person,
      course: input.course,
      completed_at: input.completedAt,
      recorded_by: actor,
      recorded_at: this.now(),
      evidence: input.evidence,
    };
    await this.db.insertInto('compliance_training').values(row).execute();
    const view = toTraining(row);
    try {
      await this.audit.append({ actor, action: 'compliance.training', subject: `person:${input.person}`, before: null, after: view, reason: null });
    } catch (error) {
      await this.db.deleteFrom('compliance_training').where('id', '=', row.id).execute();
      throw error;
    }
    return view;
  }

  /** Training records, oldest completion first; one person's, or everyone's. */
  async trainingRecords(person?: string): Promise<TrainingRecordView[]> {
    let query = this.db.selectFrom('compliance_training').selectAll();
    if (person !== undefined) query = query.where('person', '=', person);
    const rows = await query.orderBy('completed_at').orderBy('id').execute();
    return rows.map(toTraining);
  }

  // --- policy versions and acknowledgements ---

  /** Records the version as in force from now, unless it was seen before; returns when it was first seen. */
  async noteVersion(version: PolicyVersion): Promise<number> {
    await this.db
      .insertInto('compliance_versions')
      .values({ key: version.key, version: version.version, digest: version.digest, first_seen_at: this.now() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await this.db.selectFrom('compliance_versions').select('first_seen_at').where('key', '=', version.key).executeTakeFirstOrThrow();
    return row.first_seen_at;
  }

  /** Accepts a version for a person; accepting it again returns the first acceptance. */
  async acknowledge(person: string, version: PolicyVersion): Promise<{ acknowledgement: AcknowledgementView; created: boolean }> {
    const existing = await this.acknowledgementOf(person, version.key);
    if (existing) return { acknowledgement: existing, created: false };
    const row = {
      id: newId('ack'),
      person,
      version_key: version.key,
      version: version.version,
      policy_revision: version.revision,
      clauses: JSON.stringify(version.clauses.map((clause) => clause.id)),
      at: this.now(),
    };
    try {
      await this.db.insertInto('compliance_acknowledgements').values(row).execute();
    } catch (error) {
      // the same person accepting twice at once: the unique key kept one
      const raced = await this.acknowledgementOf(person, version.key);
      if (raced) return { acknowledgement: raced, created: false };
      throw error;
    }
    const view = toAcknowledgement(row);
    try {
      await this.audit.append({ actor: person, action: 'compliance.acknowledge', subject: `person:${person}`, before: null, after: view, reason: null });
    } catch (error) {
      await this.db.deleteFrom('compliance_acknowledgements').where('id', '=', row.id).execute();
      throw error;
    }
    return { acknowledgement: view, created: true };
  }

  async acknowledgementOf(person: string, versionKey: string): Promise<AcknowledgementView | null> {
    const row = await this.db.selectFrom('compliance_acknowledgements').selectAll().where('person', '=', person).where('version_key', '=', versionKey).executeTakeFirst();
    return row ? toAcknowledgement(row) : null;
  }

  /** person → acceptance time, for one version */
  async acknowledgementsOf(versionKey: string): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('compliance_acknowledgements').select(['person', 'at']).where('version_key', '=', versionKey).execute();
    return new Map(rows.map((row) => [row.person, row.at]));
  }

  async acknowledgementHistory(person: string): Promise<AcknowledgementView[]> {
    const rows = await this.db.selectFrom('compliance_acknowledgements').selectAll().where('person', '=', person).orderBy('at', 'desc').execute();
    return rows.map(toAcknowledgement);
  }

  // --- online-presence self-checks (6.13) ---

  async recordSelfCheck(person: string, note: string | null): Promise<SelfCheckView> {
    const row = { id: newId('chk'), person, at: this.now(), note };
    await this.db.insertInto('compliance_self_checks').values(row).execute();
    const view: SelfCheckView = { id: row.id, person, at: row.at, note };
    try {
      // the note stays out of the audit chain: it may say what the person found about themselves
      await this.audit.append({ actor: person, action: 'compliance.self-check', subject: `person:${person}`, before: null, after: { id: row.id, at: row.at, withNote: note !== null }, reason: null });
    } catch (error) {
      await this.db.deleteFrom('compliance_self_checks').where('id', '=', row.id).execute();
      throw error;
    }
    return view;
  }

  /** person → the latest self-check (at or before `atOrBefore`, when given) */
  async lastSelfChecks(atOrBefore?: number): Promise<Map<string, number>> {
    let query = this.db.selectFrom('compliance_self_checks').select(['person', (eb) => eb.fn.max('at').as('at')]);
    if (atOrBefore !== undefined) query = query.where('at', '<=', atOrBefore);
    const rows = await query.groupBy('person').execute();
    return new Map(rows.map((row) => [row.person, Number(row.at)]));
  }

  async selfCheckHistory(person: string): Promise<SelfCheckView[]> {
    const rows = await this.db.selectFrom('compliance_self_checks').selectAll().where('person', '=', person).orderBy('at', 'desc').execute();
    return rows.map((row) => ({ id: row.id, person: row.person, at: row.at, note: row.note }));
  }

  // --- policy reviews ---

  async markReviewed(input: { nextReviewDate: string; note: string | null; policyVersion: string | null; policyRevision: string }, actor: string): Promise<ReviewView> {
    const row = {
      id: newId('rev'),
      reviewed_at: this.now(),
      reviewed_by: actor,
      policy_version: input.policyVersion,
      policy_revision: input.policyRevision,
      next_review_date: input.nextReviewDate,
      note: input.note,
    };
    await this.db.insertInto('compliance_reviews').values(row).execute();
    const view = toReview(row);
    try {
      await this.audit.append({ actor, action: 'compliance.review', subject: 'policy-review', before: null, after: view, reason: input.note });
    } catch (error) {
      await this.db.deleteFrom('compliance_reviews').where('id', '=', row.id).execute();
      throw error;
    }
    return view;
  }

  /** Reviews, newest first. */
  async reviews(limit = 20): Promise<ReviewView[]> {
    const rows = await this.db.selectFrom('compliance_reviews').selectAll().orderBy('reviewed_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toReview);
  }

  // --- reminders: each sent at most once ---

  /**
   * Claims a reminder before it is sent. False when it was claimed before (sent already, by this
   * process before a restart or by another node), so it is not sent again.
   */
  async claimReminder(key: string, kind: string, person: string | null): Promise<boolean> {
    const result = await this.db
      .insertInto('compliance_reminders')
      .values({ key, kind, person, claimed_at: this.now(), sent_at: null, notification: null })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async reminderSent(key: string, notification: string): Promise<void> {
    await this.db.updateTable('compliance_reminders').set({ sent_at: this.now(), notification }).where('key', '=', key).execute();
  }

  /** A send that failed gives its claim back, so the next round tries again. */
  async releaseReminder(key: string): Promise<void> {
    await this.db.deleteFrom('compliance_reminders').where('key', '=', key).where('sent_at', 'is', null).execute();
  }

  async remindersSent(): Promise<Array<{ key: string; kind: string; person: string | null; sentAt: number | null }>> {
    const rows = await this.db.selectFrom('compliance_reminders').selectAll().orderBy('claimed_at').orderBy('key').execute();
    return rows.map((row) => ({ key: row.key, kind: row.kind, person: row.person, sentAt: row.sent_at }));
  }
}

function toTraining(row: ComplianceTables['compliance_training']): TrainingRecordView {
  return {
    id: row.id,
    person: row.person,
    course: row.course,
    completedAt: row.completed_at,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
    evidence: row.evidence,
  };
}

function toAcknowledgement(row: ComplianceTables['compliance_acknowledgements']): AcknowledgementView {
  return {
    id: row.id,
    person: row.person,
    versionKey: row.version_key,
    version: row.version,
    policyRevision: row.policy_revision,
    clauses: jsonList(row.clauses),
    at: row.at,
  };
}

function toReview(row: ComplianceTables['compliance_reviews']): ReviewView {
  return {
    id: row.id,
    reviewedAt: row.reviewed_at,
    reviewedBy: row.reviewed_by,
    policyVersion: row.policy_version,
    policyRevision: row.policy_revision,
    nextReviewDate: row.next_review_date,
    note: row.note,
  };
}
