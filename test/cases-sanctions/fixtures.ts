// What the sanctions tests share: the reference policy and roster (fictional people), a store on
// SQLite or a real PostgreSQL, a recording notifier standing in for the notification service,
// timers fired by hand after moving the clock, and circumvention events made by the engine.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SanctionStore, type SanctionTimers } from '../../src/cases/sanctions/index.ts';
import { CatalogueBuilder } from '../../src/catalog/index.ts';
import { AuditLog, migrate, openDatabase, type DialectName, type StoreDatabase } from '../../src/db/index.ts';
import { PolicyEngine, decisionEvent, type DecisionEvent, type Person } from '../../src/engine/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import type { NotificationInput, Notifier } from '../../src/notify/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

const reference = fileURLToPath(new URL('../../examples/reference/', import.meta.url));

/** Tuesday 24 November 2026, 10:15 in London: a lesson on a school day. */
export const LESSON = Date.parse('2026-11-24T10:15:00Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function referencePolicy(): ResolvedPolicy {
  const { policy, problems } = loadPolicy(join(reference, 'school.yaml'));
  if (!policy) throw new Error(`the reference policy does not load: ${problems.map((p) => p.message).join('; ')}`);
  return policy;
}

export function testEngine(policy: ResolvedPolicy = referencePolicy()): PolicyEngine {
  const builder = new CatalogueBuilder();
  builder.add('vpn.example', ['hedgerow/vpn'], 'test');
  builder.add('proxy.example', ['hedgerow/proxy'], 'test');
  builder.add('social.example', ['hedgerow/social-networking'], 'test');
  return new PolicyEngine({ policy, catalogue: builder.build() });
}

/** Stands for the notification service: keeps what it was asked to send. */
export class RecordingNotifier implements Notifier {
  readonly sent: NotificationInput[] = [];
  async notify(input: NotificationInput): Promise<{ id: string; recipients: number }> {
    this.sent.push(input);
    return { id: `n${this.sent.length}`, recipients: input.to.length };
  }
  of(kind: string): NotificationInput[] {
    return this.sent.filter((n) => n.kind === kind);
  }
}

/** Timers the test fires by hand, after moving the clock. */
export class ManualTimers implements SanctionTimers {
  pending: { callback: () => void; ms: number } | null = null;
  set(callback: () => void, ms: number): unknown {
    this.pending = { callback, ms };
    return this.pending;
  }
  clear(handle: unknown): void {
    if (this.pending === handle) this.pending = null;
  }
  fire(): void {
    const pending = this.pending;
    this.pending = null;
    pending?.callback();
  }
}

/** Circumvention events for a person, one minute apart, as the proxy would record them. */
export function attempts(engine: PolicyEngine, person: Person, urls: readonly string[], start: number): DecisionEvent[] {
  return urls.map((url, i) => {
    const at = start + i * MINUTE;
    const decision = engine.decide({ person, url, at });
    return decisionEvent({ point: 'proxy', at, person, clientIp: '192.0.2.10', decision, url });
  });
}

/** The reference roster in a real people store. */
export function referencePeople(dir: string, policy: ResolvedPolicy, now: number): PeopleStore {
  const people = PeopleStore.open(join(dir, 'people'), { clock: () => now });
  const roles = Object.keys(policy.roles);
  const result = people.importRoster(readFileSync(join(reference, 'roster.csv'), 'utf8'), {
    policy: { roles, groups: Object.keys(policy.groups), childRoles: roles.filter((r) => policy.roles[r]!.child) },
    timeZone: 'Europe/London',
    now,
  });
  if (result.problems.length > 0) throw new Error(`the reference roster does not import: ${JSON.stringify(result.problems)}`);
  return people;
}

/** Fictional people of the reference roster. */
export const ARLO = 'arlo.puddingstone'; // pupil, class 4N
export const NANCY = 'nancy.tumbledown'; // pupil, class 5M
export const DESMOND = 'desmond.nightingale'; // teacher of class 4N
export const ELEANOR = 'eleanor.mossbank'; // teacher of class 5M
export const MARJORIE = 'marjorie.wychwood'; // headteacher
export const KATHERINE = 'katherine.rookwood'; // head of school
export const GWENDOLYN = 'gwendolyn.ash'; // support staff

export interface StoreWorld {
  dir: string;
  db: StoreDatabase;
  clock: { now: number };
  timers: ManualTimers;
  notifier: RecordingNotifier;
  audit: AuditLog;
  people: PeopleStore;
  policy: ResolvedPolicy;
  engine: PolicyEngine;
  errors: Array<{ error: unknown; what: string }>;
  sanctions: SanctionStore;
  /** a second store on the same database, as after a restart */
  reopen(): Promise<SanctionStore>;
  close(): Promise<void>;
}

/** Opens stores on one dialect; `world()` gives each test a fresh database. */
export function storeWorlds(dialect: DialectName) {
  let server: TestPostgres | undefined;
  let tmp = '';
  let counter = 0;
  const policy = referencePolicy();
  const engine = testEngine(policy);
  return {
    async start(): Promise<void> {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-sanctions-'));
      if (dialect === 'postgres') server = await startPostgres();
    },
    async stop(): Promise<void> {
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
    async world(options: { policy?: ResolvedPolicy } = {}): Promise<StoreWorld> {
      counter += 1;
      const dir = join(tmp, `w${counter}`);
      const url = dialect === 'sqlite' ? `sqlite:${join(tmp, `sanctions-${counter}.db`)}` : await server!.createDatabase(`sanctions_${counter}`);
      const db = await openDatabase(url);
      const migrated = await migrate(db.db);
      assert.equal(migrated.failed, undefined, migrated.failed?.error.message);
      const clock = { now: LESSON };
      const timers = new ManualTimers();
      const notifier = new RecordingNotifier();
      const audit = new AuditLog(db, { now: () => clock.now });
      const usedPolicy = options.policy ?? policy;
      const people = referencePeople(dir, usedPolicy, clock.now);
      const errors: Array<{ error: unknown; what: string }> = [];
      const open = () =>
        SanctionStore.open({
          store: db,
          audit,
          notifier,
          people,
          policy: () => usedPolicy,
          now: () => clock.now,
          timers,
          onError: (error, what) => errors.push({ error, what }),
        });
      const stores: SanctionStore[] = [];
      const sanctions = await open();
      stores.push(sanctions);
      return {
        dir,
        db,
        clock,
        timers,
        notifier,
        audit,
        people,
        policy: usedPolicy,
        engine: options.policy ? testEngine(usedPolicy) : engine,
        errors,
        sanctions,
        async reopen() {
          const again = await open();
          stores.push(again);
          return again;
        },
        async close() {
          for (const s of stores) s.close();
          people.close();
          await db.close();
        },
      };
    },
  };
}

/** Lets queued microtasks and promise callbacks (the threshold handler, notifications) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}
