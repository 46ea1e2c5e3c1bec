// Circumvention sanctions (8.2) in the database and, at the same time, as one SanctionSet in
// memory for `decide`. The set is rebuilt after every change made here, after `refresh()`
// (changes made by another node) and by a timer at the next end of a sanction or session, so the
// data path never waits for the database. Every change is written to the audit log; an expiry or
// a session that runs out is recorded by the store itself (actor `system`).
//
// The steps: a threshold crossing records a proposal (one open per person) and tells the
// deciders; a decider imposes a supervised-only sanction (on a proposal or without one) or
// declines; a decider may lift it early; it expires by itself. While it is in force a supervisor
// may open a supervised session, which ends after the policy's session length, when closed, or
// with the sanction. The pupil's class teachers are told when a sanction starts and ends.
import { randomBytes } from 'node:crypto';
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { AuditLog, StoreDatabase } from '../../db/index.ts';
import type { DecisionEvent } from '../../engine/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import type { NotificationInput, Notifier } from '../../notify/index.ts';
import { expandRoles, parseDuration, type ResolvedPolicy, type SanctionsSection } from '../../policy/index.ts';
import { attemptOf } from './attempt-kind.ts';
import { classTeachersOf, isChildRole, type SanctionPeople, type SanctionPerson } from './sanction-access.ts';
import { SanctionSet, type SanctionEntry } from './sanction-set.ts';
import type { SanctionDatabase, SanctionProposalsTable, SanctionsTable, SupervisedSessionsTable } from './sanction-tables.ts';
import type {
  CircumventionAttempt,
  Page,
  ProposalStatus,
  Recommendation,
  Sanction,
  SanctionProposal,
  SanctionStatus,
  SupervisedSession,
} from './sanction-types.ts';

export interface SanctionTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface SanctionStoreOptions {
  store: StoreDatabase;
  audit: AuditLog;
  notifier: Notifier;
  people: SanctionPeople;
  /** the policy in force; a function so a reload is seen at once */
  policy: () => ResolvedPolicy;
  now?: () => number;
  /** default: unref'd setTimeout, so a pending expiry never keeps the process alive */
  timers?: SanctionTimers;
  /** re-read the database this often, for changes made by another node; default never */
  refreshEveryMs?: number;
  /** a background step failed (recording an expiry, a notification, a proposal); default: ignored */
  onError?: (error: unknown, what: string) => void;
}

export type SanctionSetListener = (set: SanctionSet) => void;

/** Who the store records as the actor of what happens by itself. */
export const SYSTEM_ACTOR = 'system';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;
const MAX_REASON = 2000;
// setTimeout takes at most a signed 32-bit delay; a later end re-arms when this one fires
const MAX_DELAY = 2 ** 31 - 1;

const defaultTimers: SanctionTimers = {
  set(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('base64url')}`;
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toProposal(row: SanctionProposalsTable): SanctionProposal {
  return {
    id: row.id,
    person: row.person,
    role: row.role,
    createdAt: row.created_at,
    recommendation: row.recommendation === 'refer' ? 'refer' : 'supervised-only',
    count: row.attempt_count,
    threshold: row.threshold,
    windowMs: row.window_ms,
    attempts: parseJson<CircumventionAttempt[]>(row.attempts, []),
    status: row.status as ProposalStatus,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    decisionReason: row.decision_reason,
    sanctionId: row.sanction_id,
  };
}

function toSession(row: SupervisedSessionsTable, now: number): SupervisedSession {
  const open = row.closed_at === null && row.ends_at > now;
  return {
    id: row.id,
    sanctionId: row.sanction_id,
    person: row.person,
    openedBy: row.opened_by,
    openedAt: row.opened_at,
    endsAt: row.ends_at,
    closedAt: row.closed_at ?? (open ? null : row.ends_at),
    closedBy: row.closed_by,
    closeKind: row.closed_at === null ? (open ? null : 'timed-out') : ((row.close_kind as SupervisedSession['closeKind']) ?? 'closed'),
    open,
  };
}

function statusOf(row: SanctionsTable, now: number): SanctionStatus {
  if (row.status === 'lifted') return 'lifted';
  if (row.status === 'expired' || row.ends_at <= now) return 'expired';
  return 'active';
}

function toSanction(row: SanctionsTable, session: SupervisedSessionsTable | null, now: number): Sanction {
  const status = statusOf(row, now);
  const open = session && status === 'active' ? toSession(session, now) : null;
  return {
    id: row.id,
    person: row.person,
    role: row.role,
    proposalId: row.proposal_id,
    reason: row.reason,
    imposedBy: row.imposed_by,
    imposedAt: row.imposed_at,
    endsAt: row.ends_at,
    status,
    liftedAt: row.lifted_at,
    liftedBy: row.lifted_by,
    liftReason: row.lift_reason,
    expiredAt: row.expired_at ?? (status === 'expired' ? row.ends_at : null),
    session: open && open.open ? open : null,
  };
}

/** What the audit log keeps of a sanction (its session is audited on its own). */
function auditSanction(s: Sanction): Record<string, unknown> {
  const { session: _session, ...rest } = s;
  return rest;
}

function encodeCursor(at: number, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  const value = parseJson<unknown>(Buffer.from(cursor, 'base64url').toString('utf8'), null);
  if (!Array.isArray(value) || value.length !== 2 || !Number.isSafeInteger(value[0]) || typeof value[1] !== 'string') {
    throw new HedgerowError('HR_SANCTIONS_INPUT', 'the cursor is not one this list gave out', { where: { field: 'cursor' } });
  }
  return [value[0] as number, value[1] as string];
}

function cleanReason(reason: string, what: string): string {
  const why = reason.trim();
  if (why === '') throw new HedgerowError('HR_SANCTIONS_INPUT', `say why the ${what}`, { where: { field: 'reason' } });
  return why.slice(0, MAX_REASON);
}

function formatDuration(ms: number): string {
  const day = 86_400_000;
  const hour = 3_600_000;
  if (ms % day === 0) return `${ms / day} day${ms === day ? '' : 's'}`;
  if (ms % hour === 0) return `${ms / hour} hour${ms === hour ? '' : 's'}`;
  return `${Math.round(ms / 60_000)} minutes`;
}

export interface ImposeInput {
  person?: string;
  /** impose on this proposal (its person); without one the decider names the person */
  proposalId?: string;
  /** default: the policy's defaultDuration; at most its maxDuration */
  durationMs?: number;
  reason: string;
}

export interface ListFilter {
  cursor?: string | null;
  limit?: number;
  /** only these people (a class teacher's pupils) */
  people?: readonly string[];
  /** leave out proposals about adults (`refer`); for readers who are not deciders */
  pupilsOnly?: boolean;
}

export class SanctionStore {
  private readonly db: Kysely<SanctionDatabase>;
  private readonly audit: AuditLog;
  private readonly notifier: Notifier;
  private readonly people: SanctionPeople;
  private readonly policy: () => ResolvedPolicy;
  private readonly now: () => number;
  private readonly timers: SanctionTimers;
  private readonly onError: (error: unknown, what: string) => void;
  private readonly listeners = new Set<SanctionSetListener>();
  /** person → their sanction in force and open session, as last read or changed here */
  private live = new Map<string, SanctionEntry>();
  private set = new SanctionSet();
  private revision = 0;
  private timer: unknown = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** the expiry recording in progress, so timer and refresh never record one twice at once */
  private recording: Promise<void> | null = null;

  constructor(options: SanctionStoreOptions) {
    // NOTE: the store's Database type lists the shared tables; these three belong to this module.
    this.db = options.store.db as unknown as Kysely<SanctionDatabase>;
    this.audit = options.audit;
    this.notifier = options.notifier;
    this.people = options.people;
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? defaultTimers;
    this.onError = options.onError ?? (() => undefined);
    if (options.refreshEveryMs !== undefined && options.refreshEveryMs > 0) {
      this.refreshTimer = setInterval(() => {
        this.refresh().catch((error: unknown) => this.onError(error, 'refresh'));
      }, options.refreshEveryMs);
      this.refreshTimer.unref();
    }
  }

  /** A store with the sanctions in force already loaded (and expiries while it was down recorded). */
  static async open(options: SanctionStoreOptions): Promise<SanctionStore> {
    const store = new SanctionStore(options);
    await store.refresh();
    return store;
  }

  /** The sanctions in force for `decide`; never waits, never throws. */
  current(): SanctionSet {
    return this.set;
  }

  /** Called with the new set after every rebuild; returns a function that stops the calls. */
  onChange(listener: SanctionSetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The policy's sanctions section, or HR_SANCTIONS_NOT_CONFIGURED. */
  section(): SanctionsSection {
    const section = this.policy().workflows.sanctions;
    if (!section) throw new HedgerowError('HR_SANCTIONS_NOT_CONFIGURED', 'the policy has no `workflows.sanctions` section');
    return section;
  }

  /** Records what ended while nobody looked, then re-reads the sanctions in force. */
  async refresh(): Promise<void> {
    // NOTE: a change made here while the rows were being read would be overwritten by the older
    // read, so a read that saw the set change under it is done again.
    for (let attempt = 0; ; attempt++) {
      await this.recordExpiries();
      const seen = this.revision;
      const now = this.now();
      const sanctions = await this.db.selectFrom('sanctions').selectAll().where('status', '=', 'active').where('ends_at', '>', now).execute();
      const sessions = await this.db
        .selectFrom('supervised_sessions')
        .selectAll()
        .where('closed_at', 'is', null)
        .where('ends_at', '>', now)
        .execute();
      if (this.revision !== seen && attempt < 5) continue;
      const sessionOf = new Map(sessions.map((s) => [s.sanction_id, s]));
      const live = new Map<string, SanctionEntry>();
      for (const row of sanctions) {
        const session = sessionOf.get(row.id);
        live.set(row.person, { sanctionId: row.id, until: row.ends_at, sessionId: session?.id ?? null, sessionUntil: session?.ends_at ?? 0 });
      }
      this.live = live;
      this.rebuild();
      return;
    }
  }

  // ---- proposals ---------------------------------------------------------------------------

  /**
   * What the decision log calls when a person's circumvention attempts reach the policy's
   * threshold within its window. Never throws: a failure goes to `onError`.
   */
  readonly onCircumventionThreshold = (person: string, count: number, events: DecisionEvent[]): void => {
    this.propose(person, count, events).catch((error: unknown) => this.onError(error, 'proposal'));
  };

  /**
   * Records a proposal and tells the deciders; null when one is already open for the person or
   * the policy has no sanctions section. A pupil's proposal is for a supervised-only sanction;
   * an adult's says to refer it to the deciders, and nothing is enforced.
   */
  async propose(person: string, count: number, events: readonly DecisionEvent[]): Promise<SanctionProposal | null> {
    const policy = this.policy();
    const section = policy.workflows.sanctions;
    if (!section) return null;
    const known = this.people.get(person);
    const role = known?.role ?? [...events].reverse().find((e) => e.person === person)?.role ?? 'unknown';
    const recommendation: Recommendation = isChildRole(policy, role) ? 'supervised-only' : 'refer';
    const now = this.now();
    const row: SanctionProposalsTable = {
      id: newId('prop'),
      person,
      role,
      created_at: now,
      recommendation,
      attempt_count: count,
      threshold: policy.circumvention.threshold,
      window_ms: parseDuration(policy.circumvention.window),
      attempts: JSON.stringify(events.filter((e) => e.person === person).map(attemptOf)),
      status: 'open',
      open_person: person,
      decided_at: null,
      decided_by: null,
      decision_reason: null,
      sanction_id: null,
    };
    const inserted = await this.db
      .insertInto('sanction_proposals')
      .values(row)
      .onConflict((oc) => oc.column('open_person').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return null;
    const proposal = toProposal(row);
    try {
      await this.audit.append({ actor: SYSTEM_ACTOR, action: 'sanction.propose', subject: `sanction-proposal:${proposal.id}`, before: null, after: proposal, reason: null });
    } catch (error) {
      await this.db.deleteFrom('sanction_proposals').where('id', '=', proposal.id).execute();
      throw error;
    }
    const name = this.nameOf(person, known);
    const windowText = formatDuration(proposal.windowMs);
    const deciders = expandRoles(section.deciders, policy.roleSets);
    const deciderTitles = deciders.map((r) => policy.roles[r]?.title ?? r).join(' or ');
    this.tell({
      kind: 'sanction.proposed',
      to: deciders.map((role) => ({ role })),
      subject:
        recommendation === 'supervised-only'
          ? `Supervised-only sanction proposed for ${name} (8.2)`
          : `Repeated circumvention attempts by ${name}: refer to the ${deciderTitles}`,
      text:
        `${name} made ${count} attempts to get round the filter within ${windowText} ` +
        `(${summariseKinds(proposal.attempts)}).\n` +
        (recommendation === 'supervised-only'
          ? 'Impose a supervised-only sanction or decline it, with a reason, on the Sanctions page.'
          : 'Supervised-only sanctions apply to pupils only; this is for the attention of the ' + `${deciderTitles}. Nothing is enforced.`),
      link: `#/sanctions?proposal=${encodeURIComponent(proposal.id)}`,
      about: { type: 'sanction-proposal', id: proposal.id },
    });
    return proposal;
  }

  async getProposal(id: string): Promise<SanctionProposal | null> {
    const row = await this.db.selectFrom('sanction_proposals').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toProposal(row) : null;
  }

  /** Newest first; `open` (the default) or all. */
  async listProposals(options: ListFilter & { status?: 'open' | 'all' } = {}): Promise<Page<SanctionProposal>> {
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_PAGE, MAX_PAGE));
    if (options.people && options.people.length === 0) return { items: [], nextCursor: null };
    let query = this.db.selectFrom('sanction_proposals').selectAll();
    if ((options.status ?? 'open') === 'open') query = query.where('status', '=', 'open');
    if (options.people) query = query.where('person', 'in', [...options.people]);
    if (options.pupilsOnly) query = query.where('recommendation', '=', 'supervised-only');
    if (options.cursor) {
      const [at, id] = decodeCursor(options.cursor);
      query = query.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toProposal), nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  async decline(id: string, actor: string, reason: string): Promise<SanctionProposal> {
    const why = cleanReason(reason, 'proposal is declined');
    const row = await this.db.selectFrom('sanction_proposals').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_SANCTIONS_NOT_FOUND', `no sanction proposal \`${id}\``);
    if (row.status !== 'open') throw new HedgerowError('HR_SANCTIONS_STATE', `proposal \`${id}\` was already ${row.status}`);
    const now = this.now();
    const changed = { status: 'declined', open_person: null, decided_at: now, decided_by: actor, decision_reason: why };
    const result = await this.db.updateTable('sanction_proposals').set(changed).where('id', '=', id).where('status', '=', 'open').executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new HedgerowError('HR_SANCTIONS_STATE', `proposal \`${id}\` was decided meanwhile`);
    const after = toProposal({ ...row, ...changed });
    try {
      await this.audit.append({ actor, action: 'sanction.decline', subject: `sanction-proposal:${id}`, before: toProposal(row), after, reason: why });
    } catch (error) {
      await this.db
        .updateTable('sanction_proposals')
        .set({ status: 'open', open_person: row.person, decided_at: null, decided_by: null, decision_reason: null })
        .where('id', '=', id)
        .execute();
      throw error;
    }
    return after;
  }

  // ---- sanctions ---------------------------------------------------------------------------

  /**
   * Imposes a supervised-only sanction, on a proposal or directly on a named pupil. It is in
   * force on every filter at once.
   */
  async impose(input: ImposeInput, actor: string): Promise<Sanction> {
    const policy = this.policy();
    const section = this.section();
    const why = cleanReason(input.reason, 'sanction is imposed');
    const maxMs = parseDuration(section.maxDuration);
    const durationMs = input.durationMs ?? parseDuration(section.defaultDuration);
    if (!Number.isSafeInteger(durationMs) || durationMs <= 0) {
      throw new HedgerowError('HR_SANCTIONS_INPUT', 'the duration must be a positive length of time', { where: { field: 'duration' } });
    }
    if (durationMs > maxMs) {
      throw new HedgerowError('HR_SANCTIONS_INPUT', `the duration is longer than the policy's maximum of ${section.maxDuration}`, { where: { field: 'duration' } });
    }

    let proposal: SanctionProposalsTable | null = null;
    let person: string;
    let role: string;
    if (input.proposalId !== undefined) {
      proposal = (await this.db.selectFrom('sanction_proposals').selectAll().where('id', '=', input.proposalId).executeTakeFirst()) ?? null;
      if (!proposal) throw new HedgerowError('HR_SANCTIONS_NOT_FOUND', `no sanction proposal \`${input.proposalId}\``);
      if (proposal.status !== 'open') throw new HedgerowError('HR_SANCTIONS_STATE', `proposal \`${proposal.id}\` was already ${proposal.status}`);
      if (input.person !== undefined && input.person !== proposal.person) {
        throw new HedgerowError('HR_SANCTIONS_INPUT', `proposal \`${proposal.id}\` is about \`${proposal.person}\`, not \`${input.person}\``, { where: { field: 'person' } });
      }
      person = proposal.person;
      role = this.people.get(person)?.role ?? proposal.role;
    } else {
      if (input.person === undefined || input.person.trim() === '') {
        throw new HedgerowError('HR_SANCTIONS_INPUT', 'name the pupil or the proposal', { where: { field: 'person' } });
      }
      person = input.person.trim().toLowerCase();
      const known = this.people.get(person);
      if (!known) throw new HedgerowError('HR_SANCTIONS_INPUT', `no person \`${person}\` in the people store`, { where: { field: 'person' } });
      role = known.role;
    }
    if (!isChildRole(policy, role)) {
      throw new HedgerowError('HR_SANCTIONS_NOT_PUPIL', `\`${person}\` is not a pupil (role \`${role}\`); supervised-only sanctions apply to pupils only`, { where: { field: 'person' } });
    }

    // A sanction that ended but whose expiry is not yet recorded still holds the person's slot.
    await this.recordExpiries();
    const now = this.now();
    const row: SanctionsTable = {
      id: newId('sanc'),
      person,
      role,
      proposal_id: proposal?.id ?? null,
      reason: why,
      imposed_by: actor,
      imposed_at: now,
      ends_at: now + durationMs,
      status: 'active',
      active_person: person,
      lifted_at: null,
      lifted_by: null,
      lift_reason: null,
      expired_at: null,
    };
    const inserted = await this.db.insertInto('sanctions').values(row).onConflict((oc) => oc.column('active_person').doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
      throw new HedgerowError('HR_SANCTIONS_CONFLICT', `\`${person}\` is already under a supervised-only sanction; lift it first to change it`);
    }
    const undo = async () => {
      await this.db.deleteFrom('sanctions').where('id', '=', row.id).execute();
    };
    if (proposal) {
      const decided = { status: 'imposed', open_person: null, decided_at: now, decided_by: actor, decision_reason: why, sanction_id: row.id };
      const result = await this.db.updateTable('sanction_proposals').set(decided).where('id', '=', proposal.id).where('status', '=', 'open').executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        await undo();
        throw new HedgerowError('HR_SANCTIONS_STATE', `proposal \`${proposal.id}\` was decided meanwhile`);
      }
    }
    const sanction = toSanction(row, null, now);
    try {
      await this.audit.append({
        actor,
        action: 'sanction.impose',
        subject: `sanction:${row.id}`,
        before: null,
        after: { ...auditSanction(sanction), ...(proposal ? { proposal: { id: proposal.id, status: 'imposed' } } : {}) },
        reason: why,
      });
    } catch (error) {
      if (proposal) {
        await this.db
          .updateTable('sanction_proposals')
          .set({ status: 'open', open_person: proposal.person, decided_at: null, decided_by: null, decision_reason: null, sanction_id: null })
          .where('id', '=', proposal.id)
          .execute();
      }
      await undo();
      throw error;
    }
    this.live.set(person, { sanctionId: row.id, until: row.ends_at, sessionId: null, sessionUntil: 0 });
    this.rebuild();
    this.tellTeachers(sanction, 'sanction.imposed', `${this.nameOf(person)} may use the internet at school only in a supervised session`, [
      `A supervised-only sanction (8.2) was imposed on ${this.nameOf(person)} until ${new Date(row.ends_at).toISOString()}.`,
      'Their web access is blocked except while a supervisor has opened a supervised session for them on the Sanctions page.',
    ]);
    return sanction;
  }

  /** Ends a sanction early, with a reason; any open session ends with it. */
  async lift(id: string, actor: string, reason: string): Promise<Sanction> {
    const why = cleanReason(reason, 'sanction is lifted');
    const row = await this.db.selectFrom('sanctions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_SANCTIONS_NOT_FOUND', `no sanction \`${id}\``);
    const now = this.now();
    const status = statusOf(row, now);
    if (status !== 'active') throw new HedgerowError('HR_SANCTIONS_STATE', `sanction \`${id}\` has already ${status === 'lifted' ? 'been lifted' : 'expired'}`);
    const changed = { status: 'lifted', active_person: null, lifted_at: now, lifted_by: actor, lift_reason: why };
    const result = await this.db.updateTable('sanctions').set(changed).where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new HedgerowError('HR_SANCTIONS_STATE', `sanction \`${id}\` ended meanwhile`);
    const before = toSanction(row, null, now);
    const after = toSanction({ ...row, ...changed }, null, now);
    try {
      await this.audit.append({ actor, action: 'sanction.lift', subject: `sanction:${id}`, before: auditSanction(before), after: auditSanction(after), reason: why });
    } catch (error) {
      await this.db.updateTable('sanctions').set({ status: 'active', active_person: row.person, lifted_at: null, lifted_by: null, lift_reason: null }).where('id', '=', id).execute();
      throw error;
    }
    await this.endSessionsOf(id, now, 'sanction-ended', actor);
    this.dropLive(row.person, id);
    this.rebuild();
    this.tellTeachers(after, 'sanction.lifted', `${this.nameOf(row.person)} may use the internet as usual again`, [
      `The supervised-only sanction (8.2) on ${this.nameOf(row.person)} was lifted early.`,
      'Their web access follows the usual policy again.',
    ]);
    return after;
  }

  async getSanction(id: string): Promise<Sanction | null> {
    const row = await this.db.selectFrom('sanctions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return toSanction(row, await this.openSessionRow(id), this.now());
  }

  /** The sanction in force on a person now, if any. */
  async activeFor(person: string): Promise<Sanction | null> {
    const now = this.now();
    const row = await this.db
      .selectFrom('sanctions')
      .selectAll()
      .where('person', '=', person)
      .where('status', '=', 'active')
      .where('ends_at', '>', now)
      .executeTakeFirst();
    return row ? toSanction(row, await this.openSessionRow(row.id), now) : null;
  }

  /** Newest first; `active` (the default: in force now) or all, past ones included. */
  async listSanctions(options: ListFilter & { state?: 'active' | 'all' } = {}): Promise<Page<Sanction>> {
    const now = this.now();
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_PAGE, MAX_PAGE));
    if (options.people && options.people.length === 0) return { items: [], nextCursor: null };
    let query = this.db.selectFrom('sanctions').selectAll();
    if ((options.state ?? 'active') === 'active') query = query.where('status', '=', 'active').where('ends_at', '>', now);
    if (options.people) query = query.where('person', 'in', [...options.people]);
    if (options.cursor) {
      const [at, id] = decodeCursor(options.cursor);
      query = query.where((eb) => eb.or([eb('imposed_at', '<', at), eb.and([eb('imposed_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('imposed_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const ids = page.map((r) => r.id);
    const sessions =
      ids.length === 0
        ? []
        : await this.db.selectFrom('supervised_sessions').selectAll().where('sanction_id', 'in', ids).where('closed_at', 'is', null).where('ends_at', '>', now).execute();
    const sessionOf = new Map(sessions.map((s) => [s.sanction_id, s]));
    const last = page[page.length - 1];
    return {
      items: page.map((row) => toSanction(row, sessionOf.get(row.id) ?? null, now)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.imposed_at, last.id) : null,
    };
  }

  /**
   * Counts for the governors' report over `[from, to)`: sanctions imposed, ended (lifted early or
   * run to their end) and in force at the end of the period (or now, when that is earlier).
   */
  async figures(period: { from: number; to: number }): Promise<{ imposed: number; lifted: number; inForce: number }> {
    const { from } = period;
    const at = Math.min(period.to, this.now());
    const count = async (where: (eb: ExpressionBuilder<SanctionDatabase, 'sanctions'>) => Expression<SqlBool>): Promise<number> => {
      const row = await this.db
        .selectFrom('sanctions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(where)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    const [imposed, lifted, inForce] = await Promise.all([
      count((eb) => eb.and([eb('imposed_at', '>=', from), eb('imposed_at', '<', period.to)])),
      count((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'lifted'), eb('lifted_at', '>=', from), eb('lifted_at', '<', at)]),
          eb.and([eb('status', '!=', 'lifted'), eb('ends_at', '>=', from), eb('ends_at', '<=', at)]),
        ]),
      ),
      count((eb) =>
        eb.and([eb('imposed_at', '<=', at), eb('ends_at', '>', at), eb.or([eb('lifted_at', 'is', null), eb('lifted_at', '>', at)])]),
      ),
    ]);
    return { imposed, lifted, inForce };
  }

  // ---- supervised sessions -----------------------------------------------------------------

  /**
   * Opens a supervised session for a sanctioned pupil: they browse under the usual policy until
   * the policy's session length has passed, the session is closed, or the sanction ends.
   */
  async openSession(sanctionId: string, actor: string): Promise<SupervisedSession> {
    const section = this.section();
    const row = await this.db.selectFrom('sanctions').selectAll().where('id', '=', sanctionId).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_SANCTIONS_NOT_FOUND', `no sanction \`${sanctionId}\``);
    if (statusOf(row, this.now()) !== 'active') throw new HedgerowError('HR_SANCTIONS_STATE', `sanction \`${sanctionId}\` is no longer in force`);
    // a session that ran out but is not yet recorded still holds the sanction's slot
    await this.recordExpiries();
    const now = this.now();
    const session: SupervisedSessionsTable = {
      id: newId('sess'),
      sanction_id: sanctionId,
      person: row.person,
      opened_by: actor,
      opened_at: now,
      ends_at: Math.min(now + parseDuration(section.sessionLength), row.ends_at),
      open_sanction: sanctionId,
      closed_at: null,
      closed_by: null,
      close_kind: null,
    };
    const inserted = await this.db
      .insertInto('supervised_sessions')
      .values(session)
      .onConflict((oc) => oc.column('open_sanction').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
      throw new HedgerowError('HR_SANCTIONS_CONFLICT', `a supervised session is already open for \`${row.person}\``);
    }
    const opened = toSession(session, now);
    try {
      await this.audit.append({ actor, action: 'supervision.open', subject: `sanction:${sanctionId}`, before: null, after: opened, reason: null });
    } catch (error) {
      await this.db.deleteFrom('supervised_sessions').where('id', '=', session.id).execute();
      throw error;
    }
    const entry = this.live.get(row.person);
    this.live.set(row.person, { sanctionId, until: entry?.until ?? row.ends_at, sessionId: session.id, sessionUntil: session.ends_at });
    this.rebuild();
    return opened;
  }

  /** Closes an open session: from now the pupil is blocked again. */
  async closeSession(sessionId: string, actor: string): Promise<SupervisedSession> {
    const row = await this.db.selectFrom('supervised_sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_SANCTIONS_NOT_FOUND', `no supervised session \`${sessionId}\``);
    const now = this.now();
    if (!toSession(row, now).open) throw new HedgerowError('HR_SANCTIONS_STATE', `supervised session \`${sessionId}\` has already ended`);
    const changed = { closed_at: now, closed_by: actor, close_kind: 'closed', open_sanction: null };
    const result = await this.db.updateTable('supervised_sessions').set(changed).where('id', '=', sessionId).where('closed_at', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new HedgerowError('HR_SANCTIONS_STATE', `supervised session \`${sessionId}\` ended meanwhile`);
    const after = toSession({ ...row, ...changed }, now);
    try {
      await this.audit.append({ actor, action: 'supervision.close', subject: `sanction:${row.sanction_id}`, before: toSession(row, now), after, reason: null });
    } catch (error) {
      await this.db.updateTable('supervised_sessions').set({ closed_at: null, closed_by: null, close_kind: null, open_sanction: row.sanction_id }).where('id', '=', sessionId).execute();
      throw error;
    }
    const entry = this.live.get(row.person);
    if (entry && entry.sessionId === sessionId) this.live.set(row.person, { ...entry, sessionId: null, sessionUntil: 0 });
    this.rebuild();
    return after;
  }

  async getSession(id: string): Promise<SupervisedSession | null> {
    const row = await this.db.selectFrom('supervised_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSession(row, this.now()) : null;
  }

  /** Every session of a sanction, newest first. */
  async sessionsOf(sanctionId: string): Promise<SupervisedSession[]> {
    const now = this.now();
    const rows = await this.db.selectFrom('supervised_sessions').selectAll().where('sanction_id', '=', sanctionId).orderBy('opened_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map((row) => toSession(row, now));
  }

  // ---- expiry ------------------------------------------------------------------------------

  /**
   * Records, once each, the sanctions past their end (status `expired`, audited, class teachers
   * told) and the sessions that ran out (audited). Safe on several nodes: only the node whose
   * update changed the row records it.
   */
  async recordExpiries(): Promise<void> {
    // another caller's failure is reported to that caller; this run starts afresh
    while (this.recording) await this.recording.catch(() => undefined);
    const run = this.recordExpiriesNow();
    this.recording = run;
    try {
      await run;
    } finally {
      if (this.recording === run) this.recording = null;
    }
  }

  private async recordExpiriesNow(): Promise<void> {
    const now = this.now();
    const ended = await this.db.selectFrom('sanctions').selectAll().where('status', '=', 'active').where('ends_at', '<=', now).execute();
    for (const row of ended) {
      const changed = { status: 'expired', active_person: null, expired_at: row.ends_at };
      const result = await this.db.updateTable('sanctions').set(changed).where('id', '=', row.id).where('status', '=', 'active').executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) continue;
      const after = toSanction({ ...row, ...changed }, null, now);
      try {
        await this.audit.append({
          actor: SYSTEM_ACTOR,
          action: 'sanction.expire',
          subject: `sanction:${row.id}`,
          before: { ...auditSanction(after), status: 'active', expiredAt: null },
          after: auditSanction(after),
          reason: null,
        });
      } catch (error) {
        // unrecorded: put it back so the next run records it (enforcement already judges by time)
        await this.db.updateTable('sanctions').set({ status: 'active', active_person: row.person, expired_at: null }).where('id', '=', row.id).execute();
        throw error;
      }
      await this.endSessionsOf(row.id, row.ends_at, 'sanction-ended', SYSTEM_ACTOR);
      this.dropLive(row.person, row.id);
      this.tellTeachers(after, 'sanction.expired', `${this.nameOf(row.person)} may use the internet as usual again`, [
        `The supervised-only sanction (8.2) on ${this.nameOf(row.person)} has come to its end.`,
        'Their web access follows the usual policy again.',
      ]);
    }
    const timedOut = await this.db.selectFrom('supervised_sessions').selectAll().where('closed_at', 'is', null).where('ends_at', '<=', now).execute();
    for (const row of timedOut) {
      const changed = { closed_at: row.ends_at, closed_by: SYSTEM_ACTOR, close_kind: 'timed-out', open_sanction: null };
      const result = await this.db.updateTable('supervised_sessions').set(changed).where('id', '=', row.id).where('closed_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) continue;
      try {
        await this.audit.append({
          actor: SYSTEM_ACTOR,
          action: 'supervision.end',
          subject: `sanction:${row.sanction_id}`,
          before: { ...toSession(row, row.opened_at), open: true },
          after: toSession({ ...row, ...changed }, now),
          reason: null,
        });
      } catch (error) {
        await this.db.updateTable('supervised_sessions').set({ closed_at: null, closed_by: null, close_kind: null, open_sanction: row.sanction_id }).where('id', '=', row.id).execute();
        throw error;
      }
    }
    if (ended.length > 0 || timedOut.length > 0) this.rebuild();
  }

  /** Stops the timers; the set stays readable. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    this.listeners.clear();
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Closes a sanction's open sessions as `kind` at `at` (audited by the caller's action). */
  private async endSessionsOf(sanctionId: string, at: number, kind: 'sanction-ended', actor: string): Promise<void> {
    const open = await this.db.selectFrom('supervised_sessions').selectAll().where('sanction_id', '=', sanctionId).where('closed_at', 'is', null).execute();
    for (const row of open) {
      const changed = { closed_at: Math.min(at, row.ends_at), closed_by: actor, close_kind: row.ends_at <= at ? 'timed-out' : kind, open_sanction: null };
      const result = await this.db.updateTable('supervised_sessions').set(changed).where('id', '=', row.id).where('closed_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) continue;
      await this.audit.append({
        actor,
        action: 'supervision.end',
        subject: `sanction:${sanctionId}`,
        before: { ...toSession(row, row.opened_at), open: true },
        after: toSession({ ...row, ...changed }, at),
        reason: null,
      });
    }
  }

  private async openSessionRow(sanctionId: string): Promise<SupervisedSessionsTable | null> {
    const row = await this.db
      .selectFrom('supervised_sessions')
      .selectAll()
      .where('sanction_id', '=', sanctionId)
      .where('closed_at', 'is', null)
      .where('ends_at', '>', this.now())
      .executeTakeFirst();
    return row ?? null;
  }

  private dropLive(person: string, sanctionId: string): void {
    if (this.live.get(person)?.sanctionId === sanctionId) this.live.delete(person);
  }

  private nameOf(username: string, known?: SanctionPerson | null): string {
    const person = known === undefined ? this.people.get(username) : known;
    return person ? `${person.displayName} (${username})` : username;
  }

  private tell(input: NotificationInput): void {
    if (input.to.length === 0) return;
    this.notifier.notify(input).catch((error: unknown) => this.onError(error, `notification ${input.kind}`));
  }

  private tellTeachers(sanction: Sanction, kind: string, subject: string, lines: string[]): void {
    const pupil = this.people.get(sanction.person);
    if (!pupil) return;
    const teachers = classTeachersOf(pupil, this.people, this.policy());
    this.tell({
      kind,
      to: teachers.map((t) => ({ person: t.username })),
      subject,
      text: lines.join('\n'),
      link: `#/sanctions?sanction=${encodeURIComponent(sanction.id)}`,
      about: { type: 'sanction', id: sanction.id },
    });
  }

  private rebuild(): void {
    const now = this.now();
    const next = new Map<string, SanctionEntry>();
    for (const [person, entry] of this.live) {
      if (entry.until <= now) continue;
      next.set(person, entry.sessionUntil > now ? entry : entry.sessionId === null ? entry : { ...entry, sessionId: null, sessionUntil: 0 });
    }
    this.live = next;
    this.revision += 1;
    this.set = new SanctionSet(new Map(next), this.revision);
    this.schedule(now);
    for (const listener of this.listeners) {
      try {
        listener(this.set);
      } catch {
        // a listener's failure is its own; the set is already in place for every reader
      }
    }
  }

  private schedule(now: number): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    if (this.closed) return;
    const next = this.set.nextChange(now);
    if (next === null) return;
    this.timer = this.timers.set(() => {
      this.timer = null;
      this.rebuild();
      this.recordExpiries().catch((error: unknown) => this.onError(error, 'expiry'));
    }, Math.min(Math.max(next - now, 0), MAX_DELAY));
  }
}

function summariseKinds(attempts: readonly CircumventionAttempt[]): string {
  const counts = new Map<string, number>();
  for (const a of attempts) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  if (counts.size === 0) return 'no details kept';
  return [...counts].map(([kind, n]) => `${n} × ${kind}`).join(', ');
}
