// Shared parts of the requests tests: the reference policy's engine over a small catalogue, a
// store on SQLite or a real PostgreSQL, the override store with timers the test fires, the
// workflow, a notifier that records what it is given, and a few fictional people.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogueBuilder } from '../../src/catalog/index.ts';
import { RequestsWorkflow, type RequestActor, type RoutePeople, type RoutePerson } from '../../src/cases/index.ts';
import { AuditLog, migrate, openDatabase, type DialectName, type StoreDatabase } from '../../src/db/index.ts';
import { PolicyEngine, type Person } from '../../src/engine/index.ts';
import type { NotificationInput, Notifier } from '../../src/notify/index.ts';
import { OverrideStore, type OverrideTimers } from '../../src/overrides/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

export const LESSON = Date.parse('2026-11-24T10:15:00Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const referenceSchool = fileURLToPath(new URL('../../examples/reference/school.yaml', import.meta.url));

export function referencePolicy(): ResolvedPolicy {
  const { policy, problems } = loadPolicy(referenceSchool);
  assert.ok(policy, problems.map((p) => p.message).join('; '));
  return policy;
}

/** The reference policy over a catalogue of reserved names: social.example is social networking. */
export function testEngine(policy: ResolvedPolicy = referencePolicy()): PolicyEngine {
  const builder = new CatalogueBuilder();
  builder.add('social.example', ['hedgerow/social-networking'], 'test');
  builder.add('games.example', ['hedgerow/games'], 'test');
  return new PolicyEngine({ policy, catalogue: builder.build() });
}

/** Fictional people: pupils in two classes, their teachers, the e-safety team, the heads. */
export const PEOPLE: RoutePerson[] = [
  { username: 'arlo.puddingstone', role: 'pupil', groups: ['year-4', 'class-4n'] },
  { username: 'nancy.tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'] },
  { username: 'desmond.nightingale', role: 'teacher', groups: ['class-4n'] },
  { username: 'eleanor.mossbank', role: 'teacher', groups: ['class-5m'] },
  { username: 'jonah.birchwood', role: 'esafety-team', groups: [] },
  { username: 'katherine.rookwood', role: 'head-of-school', groups: [] },
  { username: 'marjorie.wychwood', role: 'headteacher', groups: [] },
  { username: 'gwendolyn.ash', role: 'support-staff', groups: [], lineManager: 'katherine.rookwood' },
  { username: 'harold.pebblecombe', role: 'support-staff', groups: [] },
];

export function peopleOf(list: readonly RoutePerson[] = PEOPLE): RoutePeople {
  return {
    get: (username) => list.find((p) => p.username === username) ?? null,
    list: (filter = {}) => list.filter((p) => filter.role === undefined || p.role === filter.role),
  };
}

export function actor(username: string): RequestActor {
  const person = PEOPLE.find((p) => p.username === username);
  assert.ok(person, `no test person ${username}`);
  return { username, role: person.role, groups: person.groups };
}

export function personOf(username: string): Person {
  const person = PEOPLE.find((p) => p.username === username);
  assert.ok(person, `no test person ${username}`);
  return { id: username, role: person.role, groups: [...person.groups] };
}

/** Stands for the notifier: keeps what it is asked to send. */
export class RecordingNotifier implements Notifier {
  readonly sent: NotificationInput[] = [];
  async notify(input: NotificationInput): Promise<{ id: string; recipients: number }> {
    this.sent.push(input);
    return { id: `n${this.sent.length}`, recipients: input.to.length };
  }
  kinds(): string[] {
    return this.sent.map((n) => n.kind);
  }
}

/** Timers the test fires by hand, after moving the clock. */
export class ManualTimers implements OverrideTimers {
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

export interface Harness {
  store: StoreDatabase;
  audit: AuditLog;
  overrides: OverrideStore;
  workflow: RequestsWorkflow;
  notifier: RecordingNotifier;
  engine: PolicyEngine;
  clock: { now: number };
  timers: ManualTimers;
  /** what the engine decides for this person now, with the grants in force */
  decide(person: Person, url: string): ReturnType<PolicyEngine['decide']>;
}

/** Opens fresh databases on one dialect, and closes them all at the end. */
export class Databases {
  private server: TestPostgres | null = null;
  private tmp = '';
  private counter = 0;
  private readonly open: Array<{ close(): Promise<void> | void }> = [];

  constructor(readonly dialect: DialectName) {}

  async start(): Promise<void> {
    this.tmp = mkdtempSync(join(tmpdir(), 'hedgerow-requests-'));
    if (this.dialect === 'postgres') this.server = await startPostgres();
  }

  async fresh(options: { policy?: ResolvedPolicy; engine?: PolicyEngine; people?: RoutePeople; schoolPolicy?: ConstructorParameters<typeof RequestsWorkflow>[0]['schoolPolicy'] } = {}): Promise<Harness> {
    this.counter += 1;
    const url = this.dialect === 'sqlite' ? `sqlite:${join(this.tmp, `requests-${this.counter}.db`)}` : await this.server!.createDatabase(`requests_${this.counter}`);
    const store = await openDatabase(url);
    this.open.push(store);
    const migrated = await migrate(store.db);
    assert.equal(migrated.failed, undefined, migrated.failed?.error.message);
    const clock = { now: LESSON };
    const timers = new ManualTimers();
    const audit = new AuditLog(store, { now: () => clock.now });
    const overrides = await OverrideStore.open({ store, audit, now: () => clock.now, timers });
    this.open.push({ close: () => overrides.close() });
    const engine = options.engine ?? testEngine(options.policy);
    const notifier = new RecordingNotifier();
    const workflow = new RequestsWorkflow({
      store,
      audit,
      overrides,
      notifier,
      policy: () => engine.policy,
      people: options.people ?? peopleOf(),
      now: () => clock.now,
      ...(options.schoolPolicy ? { schoolPolicy: options.schoolPolicy } : {}),
      onError: (error) => {
        throw error;
      },
    });
    this.open.unshift({ close: () => workflow.close() });
    await workflow.start();
    return {
      store,
      audit,
      overrides,
      workflow,
      notifier,
      engine,
      clock,
      timers,
      decide: (person, url) => engine.decide({ person, url, at: clock.now, grants: overrides.current() }),
    };
  }

  async stop(): Promise<void> {
    for (const item of this.open.splice(0)) await item.close();
    await this.server?.stop();
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }
}
