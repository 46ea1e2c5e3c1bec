// What the notification and alert tests share: the reference policy and roster (fictional
// people), a store on SQLite or on a real PostgreSQL per suite, a mail transport that records
// what it is handed (the real relay is exercised in smtp-delivery.test.ts), and timers fired by
// hand.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { migrate, openDatabase, type DialectName, type StoreDatabase } from '../../src/db/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import type { MailTransport, OutgoingMail } from '../../src/notify/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';

export const pgMissing = postgresUnavailable();

let cachedPolicy: ResolvedPolicy | null = null;
export function referencePolicy(): ResolvedPolicy {
  if (!cachedPolicy) {
    const loaded = loadPolicy(referencePolicyPath());
    if (!loaded.policy) throw new Error(`the reference policy does not load: ${JSON.stringify(loaded.problems)}`);
    cachedPolicy = loaded.policy;
  }
  return cachedPolicy;
}

export const rosterFile = join(dirname(referencePolicyPath()), 'roster.csv');

/** A people store in `dir` holding the reference roster. */
export function referencePeople(dir: string, now = Date.parse('2026-11-24T10:00:00Z')): PeopleStore {
  const policy = referencePolicy();
  const people = PeopleStore.open(dir, { clock: () => now });
  const roles = Object.keys(policy.roles);
  const result = people.importRoster(readFileSync(rosterFile, 'utf8'), {
    file: rosterFile,
    policy: { roles, groups: Object.keys(policy.groups), childRoles: roles.filter((r) => policy.roles[r]!.child) },
    timeZone: policy.calendar?.timeZone ?? 'UTC',
    now,
  });
  if (result.problems.length > 0) throw new Error(`the reference roster does not import: ${JSON.stringify(result.problems)}`);
  return people;
}

/** Every display name and username of the reference roster. */
export function rosterNames(): string[] {
  return readFileSync(rosterFile, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .flatMap((line) => line.split(',').slice(0, 2).map((cell) => cell.trim()));
}

export interface DialectStores {
  tmp(): string;
  /** a new, migrated database */
  fresh(): Promise<StoreDatabase>;
  /** another connection to the database `fresh` made last: a restarted process, or a second node */
  reopen(): Promise<StoreDatabase>;
}

/** Registers the suite's hooks: a PostgreSQL server for the suite (when asked), databases closed after each test. */
export function useDialect(dialect: DialectName): DialectStores {
  let server: TestPostgres | undefined;
  let dir = '';
  let counter = 0;
  let lastUrl = '';
  const open: StoreDatabase[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-notify-'));
    if (dialect === 'postgres') server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
  });
  return {
    tmp: () => dir,
    async fresh() {
      counter += 1;
      lastUrl = dialect === 'sqlite' ? `sqlite:${join(dir, `store-${counter}.db`)}` : await server!.createDatabase(`notify_${counter}`);
      const db = await openDatabase(lastUrl);
      open.push(db);
      const result = await migrate(db.db);
      if (result.failed) throw result.failed.error;
      return db;
    },
    async reopen() {
      const db = await openDatabase(lastUrl);
      open.push(db);
      return db;
    },
  };
}

/** Keeps what it is asked to send; `failNext` makes the next sends fail as a relay that is down would. */
export class RecordingTransport implements MailTransport {
  readonly sent: OutgoingMail[] = [];
  failNext = 0;
  closed = false;
  async send(mail: OutgoingMail): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' });
    }
    this.sent.push(mail);
  }
  close(): void {
    this.closed = true;
  }
}

/** Timers the test fires by hand, after moving the clock. */
export class ManualTimers {
  pending: { callback: () => void; ms: number } | null = null;
  set(callback: () => void, ms: number): unknown {
    this.pending = { callback, ms };
    return this.pending;
  }
  clear(handle: unknown): void {
    if (this.pending === handle) this.pending = null;
  }
}

/** Adds a dashboard account straight to the store (the auth module has its own tests). */
export async function addAccount(store: StoreDatabase, account: { id?: string; username: string; role: string; disabled?: boolean }): Promise<void> {
  await store.db
    .insertInto('accounts')
    .values({
      id: account.id ?? `acc-${account.username}`,
      username: account.username,
      display_name: account.username,
      role: account.role,
      password_hash: 'x',
      created_at: 0,
      disabled: account.disabled ? 1 : 0,
    })
    .execute();
}
