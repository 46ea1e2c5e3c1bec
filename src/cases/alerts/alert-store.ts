// Safeguarding alerts in the store (migration 010). An alert is opened by the first decision event
// that triggers it; later events with the same de-duplication key (person or, for someone
// unidentified, the client address; kind; category, rule or keyword list) inside the window only
// raise its count. Every event counted is kept in `alert_events` under (event id, trigger), so the
// same event offered twice (a replay after a restart) changes nothing. Handling goes
// new → acknowledged → closed, closing always with a note.
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, StoreDatabase } from '../../db/index.ts';
import type { DecisionEvent } from '../../engine/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import type { KeywordMatch } from './keyword-matcher.ts';

export type AlertTriggerKind = 'category' | 'rule' | 'keyword';
export const ALERT_TRIGGER_KINDS: readonly AlertTriggerKind[] = ['category', 'rule', 'keyword'];
export type AlertState = 'new' | 'acknowledged' | 'closed';
export const ALERT_STATES: readonly AlertState[] = ['new', 'acknowledged', 'closed'];

interface AlertsTable {
  id: string;
  kind: AlertTriggerKind;
  subject: string;
  dedupe_key: string;
  first_at: number;
  last_at: number;
  count: number;
  event_id: string;
  point: string;
  person: string | null;
  role: string;
  groups: string;
  device: string | null;
  client_ip: string | null;
  host: string;
  url: string | null;
  categories: string;
  rule: string;
  action: string;
  clauses: string;
  search_term: string | null;
  matched: string | null;
  term: string | null;
  language: string | null;
  policy_revision: string;
  state: AlertState;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  acknowledge_note: string | null;
  closed_at: number | null;
  closed_by: string | null;
  close_note: string | null;
  notification_id: string | null;
}

interface AlertEventsTable {
  event_id: string;
  trigger_key: string;
  alert_id: string;
  at: number;
  host: string;
  action: string;
  matched: string | null;
}

interface AlertDigestsTable {
  due_at: number;
  period_from: number;
  period_to: number;
  sent_at: number;
  notification_id: string | null;
  summary: string;
}

type AlertDatabase = Database & { alerts: AlertsTable; alert_events: AlertEventsTable; alert_digests: AlertDigestsTable };

export interface AlertRecord {
  id: string;
  kind: AlertTriggerKind;
  /** the category, rule or keyword list */
  subject: string;
  firstAt: number;
  lastAt: number;
  /** decision events counted on this alert, the first included */
  count: number;
  /** the first event's id (the block page's reference) */
  eventId: string;
  point: string;
  person: string | null;
  role: string;
  groups: string[];
  device: string | null;
  clientIp: string | null;
  host: string;
  url: string | null;
  categories: string[];
  rule: string;
  action: string;
  clauses: string[];
  searchTerm: string | null;
  /** the part of the search that matched, normalised */
  matched: string | null;
  /** the list's term that matched, and its language */
  term: string | null;
  language: string | null;
  policyRevision: string;
  state: AlertState;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgeNote: string | null;
  closedAt: number | null;
  closedBy: string | null;
  closeNote: string | null;
  notificationId: string | null;
}

export interface AlertEventRecord {
  eventId: string;
  at: number;
  host: string;
  action: string;
  matched: string | null;
}

export interface AlertHit {
  kind: AlertTriggerKind;
  subject: string;
  event: DecisionEvent;
  match?: KeywordMatch | null;
}

export interface AlertRecordedHit {
  alert: AlertRecord;
  /** a new alert was opened (and is to be announced) */
  created: boolean;
  /** this event was already counted: nothing changed */
  duplicate: boolean;
}

export interface AlertFilter {
  /** `open` = new or acknowledged (the default); `all` = every state */
  state?: AlertState | 'open' | 'all';
  kind?: AlertTriggerKind;
  subject?: string;
  person?: string;
  group?: string;
  /** epoch ms, inclusive, on the alert's first event */
  from?: number;
  /** epoch ms, exclusive */
  to?: number;
  cursor?: string | null;
  limit?: number;
}

export interface AlertDigestFigures {
  from: number;
  to: number;
  /** alerts opened in the period */
  alerts: number;
  /** events counted in the period, repeats included */
  attempts: number;
  bySubject: Array<{ kind: AlertTriggerKind; subject: string; alerts: number; attempts: number }>;
  /** groups of the people alerted on, most alerts first */
  groups: Array<{ group: string; alerts: number }>;
  open: { new: number; acknowledged: number; oldestFirstAt: number | null };
}

/** How many alerts one trigger opened in a period. */
export interface AlertOpenedCount {
  kind: AlertTriggerKind;
  /** the category, rule or keyword list */
  subject: string;
  /** for a rule: the categories of the site (as the event carried them); otherwise empty */
  categories: string[];
  alerts: number;
}

export interface AlertDigestRecord {
  dueAt: number;
  periodFrom: number;
  periodTo: number;
  sentAt: number;
  notificationId: string | null;
  summary: AlertDigestFigures;
}

const MAX_NOTE = 2000;
// NOTE: a fixed key class for PostgreSQL advisory locks on alert de-duplication; every node uses it.
const DEDUPE_LOCK_CLASS = 0x48520a10;

function newId(): string {
  return `al-${randomBytes(10).toString('base64url')}`;
}

function parseList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}

function toRecord(row: AlertsTable): AlertRecord {
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    firstAt: row.first_at,
    lastAt: row.last_at,
    count: row.count,
    eventId: row.event_id,
    point: row.point,
    person: row.person,
    role: row.role,
    groups: parseList(row.groups),
    device: row.device,
    clientIp: row.client_ip,
    host: row.host,
    url: row.url,
    categories: parseList(row.categories),
    rule: row.rule,
    action: row.action,
    clauses: parseList(row.clauses),
    searchTerm: row.search_term,
    matched: row.matched,
    term: row.term,
    language: row.language,
    policyRevision: row.policy_revision,
    state: row.state,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    acknowledgeNote: row.acknowledge_note,
    closedAt: row.closed_at,
    closedBy: row.closed_by,
    closeNote: row.close_note,
    notificationId: row.notification_id,
  };
}

/** Who an alert is about, for de-duplication: the person, else the client address. */
export function alertDedupeKey(hit: Pick<AlertHit, 'kind' | 'subject'> & { event: Pick<DecisionEvent, 'person' | 'clientIp'> }): string {
  const who = hit.event.person !== null ? `person:${hit.event.person}` : `ip:${hit.event.clientIp ?? 'unknown'}`;
  return `${who}|${hit.kind}|${hit.subject}`;
}

function lockNumber(key: string): number {
  return createHash('sha256').update(key).digest().readInt32BE(0);
}

function encodeCursor(at: number, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return { at: value[0], id: value[1] };
  } catch {
    // fall through to the error below
  }
  throw new HedgerowError('HR_ALERTS_INPUT', `\`${cursor}\` is not a cursor this list gave out`, { where: { field: 'cursor' } });
}

function cleanNote(note: string | null | undefined): string | null {
  const text = (note ?? '').trim().slice(0, MAX_NOTE);
  return text === '' ? null : text;
}

export class AlertStore {
  private readonly db: Kysely<AlertDatabase>;
  private readonly dialect: StoreDatabase['dialect'];
  private readonly now: () => number;

  constructor(store: StoreDatabase, options: { now?: () => number } = {}) {
    // NOTE: the store's Database type lists the shared tables; these three belong to this module.
    this.db = store.db as unknown as Kysely<AlertDatabase>;
    this.dialect = store.dialect;
    this.now = options.now ?? Date.now;
  }

  /** Opens an alert, or counts the event on the open one with the same key inside the window. */
  async recordHit(hit: AlertHit, windowMs: number): Promise<AlertRecordedHit> {
    const key = alertDedupeKey(hit);
    const trigger = `${hit.kind}:${hit.subject}`;
    const e = hit.event;
    return this.db.transaction().execute(async (trx) => {
      // SQLite serialises writers already (`begin immediate`); PostgreSQL nodes take a lock per key
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(DEDUPE_LOCK_CLASS)}, ${sql.lit(lockNumber(key))})`.execute(trx);
      const seen = await trx.selectFrom('alert_events').select('alert_id').where('event_id', '=', e.id).where('trigger_key', '=', trigger).executeTakeFirst();
      if (seen) {
        const row = await trx.selectFrom('alerts').selectAll().where('id', '=', seen.alert_id).executeTakeFirstOrThrow();
        return { alert: toRecord(row), created: false, duplicate: true };
      }
      const eventRow = { event_id: e.id, trigger_key: trigger, at: e.at, host: e.host, action: e.action, matched: hit.match?.matched ?? null };
      const open = await trx
        .selectFrom('alerts')
        .selectAll()
        .where('dedupe_key', '=', key)
        .where('state', '!=', 'closed')
        .where('first_at', '>', e.at - windowMs)
        .orderBy('first_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (open) {
        const lastAt = Math.max(open.last_at, e.at);
        await trx.updateTable('alerts').set({ count: open.count + 1, last_at: lastAt }).where('id', '=', open.id).execute();
        await trx.insertInto('alert_events').values({ ...eventRow, alert_id: open.id }).execute();
        return { alert: toRecord({ ...open, count: open.count + 1, last_at: lastAt }), created: false, duplicate: false };
      }
      const row: AlertsTable = {
        id: newId(),
        kind: hit.kind,
        subject: hit.subject,
        dedupe_key: key,
        first_at: e.at,
        last_at: e.at,
        count: 1,
        event_id: e.id,
        point: e.point,
        person: e.person,
        role: e.role,
        groups: JSON.stringify(e.groups),
        device: e.device,
        client_ip: e.clientIp,
        host: e.host,
        url: e.url,
        categories: JSON.stringify(e.categories),
        rule: e.rule,
        action: e.action,
        clauses: JSON.stringify(e.clauses),
        search_term: e.searchTerm,
        matched: hit.match?.matched ?? null,
        term: hit.match?.term ?? null,
        language: hit.match?.language ?? null,
        policy_revision: e.policyRevision,
        state: 'new',
        acknowledged_at: null,
        acknowledged_by: null,
        acknowledge_note: null,
        closed_at: null,
        closed_by: null,
        close_note: null,
        notification_id: null,
      };
      await trx.insertInto('alerts').values(row).execute();
      await trx.insertInto('alert_events').values({ ...eventRow, alert_id: row.id }).execute();
      return { alert: toRecord(row), created: true, duplicate: false };
    });
  }

  async setNotification(id: string, notificationId: string): Promise<void> {
    await this.db.updateTable('alerts').set({ notification_id: notificationId }).where('id', '=', id).execute();
  }

  /** Alerts opened since `since` that were never announced (the process stopped in between). */
  async unannounced(since: number): Promise<AlertRecord[]> {
    const rows = await this.db.selectFrom('alerts').selectAll().where('notification_id', 'is', null).where('first_at', '>=', since).orderBy('first_at').limit(1000).execute();
    return rows.map(toRecord);
  }

  async get(id: string): Promise<AlertRecord> {
    const row = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_ALERTS_NOT_FOUND', `no alert \`${id}\``);
    return toRecord(row);
  }

  /** The events counted on an alert, oldest first. */
  async events(id: string, limit = 200): Promise<AlertEventRecord[]> {
    const rows = await this.db.selectFrom('alert_events').selectAll().where('alert_id', '=', id).orderBy('at').orderBy('event_id').limit(Math.max(1, Math.min(limit, 1000))).execute();
    return rows.map((r) => ({ eventId: r.event_id, at: r.at, host: r.host, action: r.action, matched: r.matched }));
  }

  /** Newest first by first event. */
  async list(filter: AlertFilter = {}): Promise<{ items: AlertRecord[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(filter.limit ?? 50, 500));
    const state = filter.state ?? 'open';
    let query = this.db.selectFrom('alerts').selectAll();
    if (state === 'open') query = query.where('state', '!=', 'closed');
    else if (state !== 'all') query = query.where('state', '=', state);
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.subject) query = query.where('subject', '=', filter.subject);
    if (filter.person) query = query.where('person', '=', filter.person);
    // groups are JSON text; LIKE narrows, the exact test follows below
    if (filter.group) query = query.where('groups', 'like', `%${JSON.stringify(filter.group)}%`);
    if (filter.from !== undefined) query = query.where('first_at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('first_at', '<', filter.to);
    if (filter.cursor) {
      const after = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('first_at', '<', after.at), eb.and([eb('first_at', '=', after.at), eb('id', '<', after.id)])]));
    }
    const items: AlertRecord[] = [];
    let nextCursor: string | null = null;
    // the group test may drop rows, so read on until the page is full or the rows run out
    for (let offset = 0; ; offset += limit + 1) {
      const rows = await query.orderBy('first_at', 'desc').orderBy('id', 'desc').offset(offset).limit(limit + 1).execute();
      for (const row of rows) {
        const record = toRecord(row);
        if (filter.group && !record.groups.includes(filter.group)) continue;
        if (items.length === limit) {
          const last = items[items.length - 1]!;
          nextCursor = encodeCursor(last.firstAt, last.id);
          break;
        }
        items.push(record);
      }
      if (nextCursor !== null || rows.length < limit + 1) break;
    }
    return { items, nextCursor };
  }

  /** Open alerts by state, for the navigation and the overview. */
  async openCounts(): Promise<{ new: number; acknowledged: number }> {
    const rows = await this.db.selectFrom('alerts').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('state', '!=', 'closed').groupBy('state').execute();
    const out = { new: 0, acknowledged: 0 };
    for (const r of rows) if (r.state === 'new' || r.state === 'acknowledged') out[r.state] = Number(r.n);
    return out;
  }

  /** new → acknowledged; returns the alert before and after. */
  async acknowledge(id: string, actor: string, note?: string | null): Promise<{ before: AlertRecord; after: AlertRecord }> {
    const before = await this.get(id);
    if (before.state !== 'new') throw new HedgerowError('HR_ALERTS_STATE', `alert \`${id}\` is already ${before.state}`);
    const at = this.now();
    const result = await this.db
      .updateTable('alerts')
      .set({ state: 'acknowledged', acknowledged_at: at, acknowledged_by: actor, acknowledge_note: cleanNote(note) })
      .where('id', '=', id)
      .where('state', '=', 'new')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new HedgerowError('HR_ALERTS_STATE', `alert \`${id}\` changed while it was being acknowledged`);
    return { before, after: await this.get(id) };
  }

  /** new or acknowledged → closed, with the note that says what was done. */
  async close(id: string, actor: string, note: string): Promise<{ before: AlertRecord; after: AlertRecord }> {
    const text = cleanNote(note);
    if (text === null) throw new HedgerowError('HR_ALERTS_INPUT', 'closing an alert needs a note saying what was done', { where: { field: 'note' } });
    const before = await this.get(id);
    if (before.state === 'closed') throw new HedgerowError('HR_ALERTS_STATE', `alert \`${id}\` is already closed`);
    const at = this.now();
    const result = await this.db
      .updateTable('alerts')
      .set({ state: 'closed', closed_at: at, closed_by: actor, close_note: text })
      .where('id', '=', id)
      .where('state', '!=', 'closed')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new HedgerowError('HR_ALERTS_STATE', `alert \`${id}\` changed while it was being closed`);
    return { before, after: await this.get(id) };
  }

  /** Counts for the weekly digest: alerts opened and events counted in [from, to), and what is open now. */
  async digestFigures(from: number, to: number): Promise<AlertDigestFigures> {
    const opened = await this.db.selectFrom('alerts').select(['kind', 'subject', 'groups']).where('first_at', '>=', from).where('first_at', '<', to).execute();
    const counted = await this.db
      .selectFrom('alert_events as e')
      .innerJoin('alerts as a', 'a.id', 'e.alert_id')
      .select(['a.kind', 'a.subject', (eb) => eb.fn.countAll<number>().as('n')])
      .where('e.at', '>=', from)
      .where('e.at', '<', to)
      .groupBy(['a.kind', 'a.subject'])
      .execute();
    const bySubject = new Map<string, { kind: AlertTriggerKind; subject: string; alerts: number; attempts: number }>();
    const entry = (kind: AlertTriggerKind, subject: string) => {
      const k = `${kind}:${subject}`;
      let found = bySubject.get(k);
      if (!found) bySubject.set(k, (found = { kind, subject, alerts: 0, attempts: 0 }));
      return found;
    };
    const groups = new Map<string, number>();
    for (const row of opened) {
      entry(row.kind, row.subject).alerts += 1;
      for (const group of new Set(parseList(row.groups))) groups.set(group, (groups.get(group) ?? 0) + 1);
    }
    let attempts = 0;
    for (const row of counted) {
      entry(row.kind, row.subject).attempts += Number(row.n);
      attempts += Number(row.n);
    }
    const open = await this.openCounts();
    const oldest = await this.db.selectFrom('alerts').select((eb) => eb.fn.min('first_at').as('at')).where('state', '!=', 'closed').executeTakeFirst();
    return {
      from,
      to,
      alerts: opened.length,
      attempts,
      bySubject: [...bySubject.values()].sort((a, b) => b.alerts - a.alerts || b.attempts - a.attempts || a.subject.localeCompare(b.subject)),
      groups: [...groups.entries()].map(([group, alerts]) => ({ group, alerts })).sort((a, b) => b.alerts - a.alerts || a.group.localeCompare(b.group)),
      open: { ...open, oldestFirstAt: oldest?.at === null || oldest?.at === undefined ? null : Number(oldest.at) },
    };
  }

  /**
   * Alerts opened in [from, to) (by their first event), counted by what raised them: a category,
   * a rule or a keyword list. A rule's alerts are split by the categories of the sites that
   * raised them, so a report can place them among the categories. Counts only, never a person.
   */
  async openedCounts(period: { from: number; to: number }): Promise<AlertOpenedCount[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .select(['kind', 'subject', 'categories', (eb) => eb.fn.countAll<number>().as('n')])
      .where('first_at', '>=', period.from)
      .where('first_at', '<', period.to)
      .groupBy(['kind', 'subject', 'categories'])
      .execute();
    const counts = new Map<string, AlertOpenedCount>();
    for (const row of rows) {
      const categories = row.kind === 'rule' ? parseList(row.categories) : [];
      const key = JSON.stringify([row.kind, row.subject, categories]);
      const found = counts.get(key);
      if (found) found.alerts += Number(row.n);
      else counts.set(key, { kind: row.kind, subject: row.subject, categories, alerts: Number(row.n) });
    }
    return [...counts.values()].sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.subject.localeCompare(b.subject)) || b.alerts - a.alerts);
  }

  async digest(dueAt: number): Promise<AlertDigestRecord | null> {
    const row = await this.db.selectFrom('alert_digests').selectAll().where('due_at', '=', dueAt).executeTakeFirst();
    return row ? { dueAt: row.due_at, periodFrom: row.period_from, periodTo: row.period_to, sentAt: row.sent_at, notificationId: row.notification_id, summary: JSON.parse(row.summary) as AlertDigestFigures } : null;
  }

  async lastDigest(): Promise<AlertDigestRecord | null> {
    const row = await this.db.selectFrom('alert_digests').select('due_at').orderBy('due_at', 'desc').limit(1).executeTakeFirst();
    return row ? this.digest(row.due_at) : null;
  }

  /** Records a digest as sent; false when one for that due time was recorded already. */
  async recordDigest(record: AlertDigestRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('alert_digests')
      .values({
        due_at: record.dueAt,
        period_from: record.periodFrom,
        period_to: record.periodTo,
        sent_at: record.sentAt,
        notification_id: record.notificationId,
        summary: JSON.stringify(record.summary),
      })
      .onConflict((oc) => oc.column('due_at').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }
}
