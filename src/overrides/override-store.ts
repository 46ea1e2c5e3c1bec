// Overrides (time-boxed grants) kept in the `grants` table and, at the same time, as one compiled
// GrantSet in memory. The proxy, the DNS filter and the simulator read `current()` on every
// decision, so the data path never waits for the database: the set is rebuilt after every change
// made here, after `refresh()` (changes made by another node), and by a timer at the next expiry
// so expired grants leave the set without anyone asking. Every grant and revocation is written
// to the audit log.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { compileGrants, type Grant, type GrantSet } from '../engine/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { canonicalJson, type AuditLog, type Grant as GrantRow, type StoreDatabase } from '../db/index.ts';
import { checkOverrideInput, type OverrideInput, type OverrideKind, type OverrideScope, type OverrideWhat } from './override-input.ts';

export type OverrideState = 'scheduled' | 'active' | 'expired' | 'revoked';

/** An override as the API shows it. */
export interface Override {
  id: string;
  kind: OverrideKind;
  scope: OverrideScope;
  what: OverrideWhat;
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, exclusive; null only for rows written without an end by other tools */
  until: number | null;
  reason: string;
  grantedBy: string;
  grantedAt: number;
  revokedAt: number | null;
  state: OverrideState;
}

export interface OverridePage {
  items: Override[];
  nextCursor: string | null;
}

export interface OverrideTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface OverrideStoreOptions {
  store: StoreDatabase;
  audit: AuditLog;
  now?: () => number;
  /** default: unref'd setTimeout, so a pending expiry never keeps the process alive */
  timers?: OverrideTimers;
}

export type GrantSetListener = (grants: GrantSet) => void;

const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;
// setTimeout takes at most a signed 32-bit delay; a later expiry re-arms when this one fires
const MAX_DELAY = 2 ** 31 - 1;

const defaultTimers: OverrideTimers = {
  set(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function stateOf(row: GrantRow, now: number): OverrideState {
  if (row.revoked_at !== null) return 'revoked';
  if (row.valid_until !== null && row.valid_until <= now) return 'expired';
  return row.valid_from > now ? 'scheduled' : 'active';
}

function toOverride(row: GrantRow, now: number): Override {
  return {
    id: row.id,
    kind: row.kind === 'unblock' ? 'unblock' : 'curriculum',
    scope: parseJson<OverrideScope>(row.scope, {}),
    what: parseJson<OverrideWhat>(row.what, {}),
    from: row.valid_from,
    until: row.valid_until,
    reason: row.reason,
    grantedBy: row.granted_by,
    grantedAt: row.granted_at,
    revokedAt: row.revoked_at,
    state: stateOf(row, now),
  };
}

function toGrant(o: Override): Grant {
  return {
    id: o.id,
    kind: o.kind,
    scope: o.scope,
    what: o.what,
    from: o.from,
    until: o.until ?? Number.POSITIVE_INFINITY,
    reason: o.reason,
    grantedBy: o.grantedBy,
  };
}

/** What the audit log keeps of an override (its state is a matter of time, so it is left out). */
function auditView(o: Override): Record<string, unknown> {
  const { state: _state, ...rest } = o;
  return rest;
}

function encodeCursor(grantedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([grantedAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  const value = parseJson<unknown>(Buffer.from(cursor, 'base64url').toString('utf8'), null);
  if (!Array.isArray(value) || value.length !== 2 || !Number.isSafeInteger(value[0]) || typeof value[1] !== 'string') {
    throw new HedgerowError('HR_OVERRIDES_INPUT', 'the cursor is not one this list gave out', { where: { field: 'cursor' } });
  }
  return [value[0] as number, value[1] as string];
}

export class OverrideStore {
  private readonly store: StoreDatabase;
  private readonly audit: AuditLog;
  private readonly now: () => number;
  private readonly timers: OverrideTimers;
  private readonly listeners = new Set<GrantSetListener>();
  /** unrevoked overrides that have not yet expired, in grant order */
  private live: Override[] = [];
  private set: GrantSet = compileGrants([], 0);
  private revision = 0;
  private timer: unknown = null;
  private closed = false;

  constructor(options: OverrideStoreOptions) {
    this.store = options.store;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? defaultTimers;
  }

  /** A store with the grants in force already loaded. */
  static async open(options: OverrideStoreOptions): Promise<OverrideStore> {
    const store = new OverrideStore(options);
    await store.refresh();
    return store;
  }

  /** The compiled grants for `decide`; never waits, never throws. */
  current(): GrantSet {
    return this.set;
  }

  /** Called with the new set after every rebuild; returns a function that stops the calls. */
  onChange(listener: GrantSetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-read the grants in force from the database (another node may have changed them). */
  async refresh(): Promise<void> {
    const now = this.now();
    const rows = await this.store.db
      .selectFrom('grants')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', now)]))
      .orderBy('granted_at')
      .orderBy('id')
      .execute();
    this.live = rows.map((row) => toOverride(row, now));
    this.rebuild();
  }

  async create(input: OverrideInput, actor: string): Promise<Override> {
    const now = this.now();
    const { value, problems } = checkOverrideInput(input, now);
    if (!value) {
      const first = problems[0]!;
      throw new HedgerowError('HR_OVERRIDES_INPUT', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { where: { field: first.field } });
    }
    const id = `ovr-${randomBytes(9).toString('base64url')}`;
    const row: GrantRow = {
      id,
      kind: value.kind,
      scope: canonicalJson(value.scope),
      what: canonicalJson(value.what),
      valid_from: value.from,
      valid_until: value.until,
      reason: value.reason,
      granted_by: actor,
      granted_at: now,
      revoked_at: null,
    };
    await this.store.db.insertInto('grants').values(row).execute();
    const override = toOverride(row, now);
    try {
      await this.audit.append({ actor, action: 'override.grant', subject: `override:${id}`, before: null, after: auditView(override), reason: value.reason });
    } catch (error) {
      // an override nobody can account for must not stay in force
      await this.store.db.deleteFrom('grants').where('id', '=', id).execute();
      throw error;
    }
    this.live.push(override);
    this.rebuild();
    return override;
  }

  async revoke(id: string, actor: string, reason: string): Promise<Override> {
    const why = reason.trim();
    if (why === '') throw new HedgerowError('HR_OVERRIDES_INPUT', 'say why the override is revoked', { where: { field: 'reason' } });
    const row = await this.store.db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new HedgerowError('HR_OVERRIDES_NOT_FOUND', `no override \`${id}\``);
    if (row.revoked_at !== null) throw new HedgerowError('HR_OVERRIDES_REVOKED', `override \`${id}\` was already revoked`);
    const now = this.now();
    const result = await this.store.db.updateTable('grants').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    // another request revoked it between our read and our write
    if (Number(result.numUpdatedRows) === 0) throw new HedgerowError('HR_OVERRIDES_REVOKED', `override \`${id}\` was already revoked`);
    const before = toOverride(row, now);
    const after = toOverride({ ...row, revoked_at: now }, now);
    try {
      await this.audit.append({ actor, action: 'override.revoke', subject: `override:${id}`, before: auditView(before), after: auditView(after), reason: why });
    } catch (error) {
      await this.store.db.updateTable('grants').set({ revoked_at: null }).where('id', '=', id).execute();
      throw error;
    }
    this.live = this.live.filter((o) => o.id !== id);
    this.rebuild();
    return after;
  }

  async get(id: string): Promise<Override | null> {
    const row = await this.store.db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOverride(row, this.now()) : null;
  }

  /** Newest grant first. `active` = not revoked and not yet expired (scheduled ones included). */
  async list(options: { state?: 'active' | 'all'; cursor?: string | null; limit?: number } = {}): Promise<OverridePage> {
    const now = this.now();
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_PAGE, MAX_PAGE));
    let query = this.store.db.selectFrom('grants').selectAll();
    if (options.state === 'active') {
      query = query.where('revoked_at', 'is', null).where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', now)]));
    }
    if (options.cursor) {
      const [at, id] = decodeCursor(options.cursor);
      query = query.where((eb) => eb.or([eb('granted_at', '<', at), eb.and([eb('granted_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('granted_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map((row) => toOverride(row, now)), nextCursor: rows.length > limit && last ? encodeCursor(last.granted_at, last.id) : null };
  }

  /** How many overrides the table holds (all states); for reports and tests. */
  async count(): Promise<number> {
    const row = await this.store.db.selectFrom('grants').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Stops the expiry timer; the set stays readable. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private rebuild(): void {
    const now = this.now();
    this.live = this.live.filter((o) => o.until === null || o.until > now);
    this.revision += 1;
    this.set = compileGrants(this.live.map(toGrant), this.revision);
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
    let next = Number.POSITIVE_INFINITY;
    for (const o of this.live) if (o.until !== null && o.until < next) next = o.until;
    if (!Number.isFinite(next)) return;
    this.timer = this.timers.set(() => {
      this.timer = null;
      this.rebuild();
    }, Math.min(Math.max(next - now, 0), MAX_DELAY));
  }
}
