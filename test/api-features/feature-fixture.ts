// The dependencies the feature routes run on, made for a test: the reference policy copied into a
// temporary folder (so edits never touch examples/), a small catalogue of reserved names, a real
// SQLite store with the audit log and overrides, the reference roster in a real people store,
// and decision events made by the engine itself for fictional people.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessMatrix } from '../../src/access/index.ts';
import type { ApiDeps, HealthReport } from '../../src/api/index.ts';
import { RequestsWorkflow } from '../../src/cases/index.ts';
import { CatalogueBuilder, type Catalogue } from '../../src/catalog/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { AuditLog, migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import { PolicyEngine, decisionEvent, type DecisionEvent, type Person } from '../../src/engine/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import { OverrideStore } from '../../src/overrides/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import type { TestAccount } from '../support/route-harness.ts';
import { MemoryActivityStore } from './memory-activity-store.ts';

const reference = fileURLToPath(new URL('../../examples/reference/', import.meta.url));

/** Tuesday 24 November 2026, 10:15 in London (GMT): a lesson on a school day. */
export const LESSON = Date.parse('2026-11-24T10:15:00Z');
export const HOUR = 3_600_000;

export function testCatalogue(): Catalogue {
  const builder = new CatalogueBuilder();
  builder.add('social.example', ['hedgerow/social-networking'], 'test');
  builder.add('chat.example', ['hedgerow/chat'], 'test');
  builder.add('games.example', ['hedgerow/games'], 'test');
  builder.add('news.example', ['hedgerow/news'], 'test');
  builder.add('proxy.example', ['hedgerow/proxy'], 'test');
  builder.addSiteFact('grown-up.example', { minimumAge: 13, categories: [] });
  return builder.build();
}

export interface FeatureFixture {
  dir: string;
  schoolFile: string;
  deps: ApiDeps;
  store: StoreDatabase;
  activity: MemoryActivityStore;
  clock: { now: number };
  reloads: number;
  /** a test account with the actions the reference policy grants its role */
  account(username: string, role: string, groups?: string[]): TestAccount;
  /** what the engine decides for a person now, with the overrides in force */
  decide(person: Person, url: string, at?: number): ReturnType<PolicyEngine['decide']>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  events?: (engine: PolicyEngine) => DecisionEvent[];
  health?: HealthReport['points'];
}

/** One decision event as the proxy would record it. */
export function eventFor(engine: PolicyEngine, person: Person, url: string, at: number): DecisionEvent {
  const decision = engine.decide({ person, url, at });
  return decisionEvent({ point: 'proxy', at, person, clientIp: '192.0.2.10', decision, url });
}

export async function featureFixture(options: FixtureOptions = {}): Promise<FeatureFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-features-'));
  const policyDir = join(dir, 'policy');
  cpSync(reference, policyDir, { recursive: true });
  const schoolFile = join(policyDir, 'school.yaml');
  const catalogue = testCatalogue();
  const load = (): PolicyEngine => {
    const { policy, problems } = loadPolicy(schoolFile);
    if (!policy) throw new Error(`the reference policy does not load: ${problems.map((p) => p.message).join('; ')}`);
    return new PolicyEngine({ policy, catalogue });
  };
  let engine = load();
  const clock = { now: LESSON };

  const store = await openDatabase(`sqlite:${join(dir, 'store.db')}`);
  const migrated = await migrate(store.db);
  if (migrated.failed) throw migrated.failed.error;
  const audit = new AuditLog(store, { now: () => clock.now });
  const overrides = await OverrideStore.open({ store, audit, now: () => clock.now });
  const people = PeopleStore.open(join(dir, 'data'), { clock: () => clock.now });
  const roles = Object.keys(engine.policy.roles);
  const roster = people.importRoster(readFileSync(join(policyDir, 'roster.csv'), 'utf8'), {
    policy: { roles, groups: Object.keys(engine.policy.groups), childRoles: roles.filter((r) => engine.policy.roles[r]!.child) },
    timeZone: 'Europe/London',
    now: clock.now,
  });
  if (roster.problems.length > 0) throw new Error(`the reference roster does not import: ${JSON.stringify(roster.problems)}`);
  const requests = new RequestsWorkflow({
    store,
    audit,
    overrides,
    notifier: { notify: async (input) => ({ id: 'test', recipients: input.to.length }) },
    policy: () => engine.policy,
    people,
    now: () => clock.now,
  });
  const activity = new MemoryActivityStore(options.events?.(engine) ?? []);
  const config = configSchema.parse({ networks: [{ name: 'pupil wifi', cidr: '10.20.0.0/16', role: 'pupil' }] });
  const points = options.health ?? {
    proxy: { enabled: true, listening: '127.0.0.1:3128' },
    dns: { enabled: true, listening: null },
  };

  const fixture: FeatureFixture = {
    dir,
    schoolFile,
    store,
    activity,
    clock,
    reloads: 0,
    deps: {
      db: store,
      audit,
      engine: () => engine,
      policyFiles: () => ({ school: schoolFile, layers: engine.policy.layers.map((l) => l.file) }),
      reload: () => {
        fixture.reloads++;
        try {
          engine = load();
          return { ok: true, problems: [], revision: engine.revision };
        } catch (error) {
          return { ok: false, problems: [(error as Error).message], revision: engine.revision };
        }
      },
      people,
      activity,
      overrides,
      requests,
      health: () => ({ status: 'ok', policyRevision: engine.revision, policyLoadedAt: clock.now, lastReloadProblems: [], points, decisionLog: null, catalogueDomains: engine.catalogue.domainCount }),
      config,
      now: () => clock.now,
    },
    account(username, role, groups = []) {
      return { username, role, groups, can: AccessMatrix.fromPolicy(engine.policy).actionsOf(role) };
    },
    decide(person, url, at = clock.now) {
      return engine.decide({ person, url, at, grants: overrides.current() });
    },
    async close() {
      overrides.close();
      people.close();
      await requests.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}
