// An API on a real store for the tests: a fresh SQLite file (or a database on a test PostgreSQL),
// migrated, with the reference policy's engine, a people store, and a clock the test moves. The
// app is a bare Fastify instance driven with inject(); nothing listens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { authOf, mountApi, type ApiDeps, type MountOptions, type RouteSpec } from '../../src/api/index.ts';
import { AuthService, type AuthOptions, type AuthParts } from '../../src/auth/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { AuditLog, migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import type { PolicyEngine } from '../../src/engine/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import { loadEngine, referencePolicyPath } from '../../src/runtime/index.ts';

let sharedEngine: PolicyEngine | null = null;

/** The reference policy's engine, built once per test file. */
export function referenceEngine(): PolicyEngine {
  if (!sharedEngine) {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-api-engine-'));
    const loaded = loadEngine({ dataDir: dir });
    rmSync(dir, { recursive: true, force: true });
    if (!loaded.engine) throw new Error(`the reference policy does not load: ${loaded.problems.map((p) => p.message).join('; ')}`);
    sharedEngine = loaded.engine;
  }
  return sharedEngine;
}

/** Stands in for a dependency the routes under test never touch; any use fails the test loudly. */
function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === 'then') return undefined;
      throw new Error(`the test used deps.${name}.${String(property)}, which this fixture does not provide`);
    },
  });
}

export interface ApiFixtureOptions {
  /** a database URL; default a new SQLite file */
  url?: string;
  routes?: (deps: ApiDeps) => RouteSpec[];
  auth?: AuthOptions;
  directory?: AuthParts['directory'];
  mount?: MountOptions;
  start?: number;
}

export interface ApiFixture {
  app: FastifyInstance;
  deps: ApiDeps;
  store: StoreDatabase;
  people: PeopleStore;
  clock: { now: number };
  dataDir: string;
  close(): Promise<void>;
}

export async function apiFixture(routes: (deps: ApiDeps) => RouteSpec[], options: Omit<ApiFixtureOptions, 'routes'> = {}): Promise<ApiFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-api-'));
  const store = await openDatabase(options.url ?? `sqlite:${join(dataDir, 'store.db')}`);
  const migrated = await migrate(store.db);
  if (migrated.failed) throw migrated.failed.error;
  const clock = { now: options.start ?? Date.parse('2026-11-24T10:15:00Z') };
  const audit = new AuditLog(store, { now: () => clock.now });
  const people = PeopleStore.open(dataDir);
  const engine = referenceEngine();
  const deps: ApiDeps = {
    db: store,
    audit,
    engine: () => engine,
    policyFiles: () => ({ school: referencePolicyPath(), layers: [] }),
    reload: () => ({ ok: true, problems: [], revision: engine.revision }),
    people,
    activity: unused('activity'),
    overrides: unused('overrides'),
    requests: unused('requests'),
    health: () => ({ status: 'ok', policyRevision: engine.revision, policyLoadedAt: null, lastReloadProblems: [], points: {}, decisionLog: null, catalogueDomains: 0 }),
    config: configSchema.parse({}),
    now: () => clock.now,
  };
  deps.auth = new AuthService(
    {
      store,
      audit,
      policy: () => deps.engine().policy,
      now: () => clock.now,
      groupsOf: (username) => people.get(username)?.groups ?? [],
      directory: options.directory ?? null,
    },
    options.auth,
  );
  const app = Fastify({ logger: false });
  try {
    await mountApi(app, deps, routes(deps), options.mount);
    await app.ready();
  } catch (error) {
    await app.close();
    await store.close();
    people.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    app,
    deps,
    store,
    people,
    clock,
    dataDir,
    async close() {
      await app.close();
      await store.close();
      people.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A browser's cookie jar and CSRF token against one fixture. */
export class Browser {
  cookie: string | null = null;
  csrf: string | null = null;

  constructor(
    private readonly fixture: ApiFixture,
    readonly address = '127.0.0.1',
  ) {}

  private remember(response: LightMyRequestResponse): void {
    for (const c of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      if (c.name !== 'hedgerow_session') continue;
      const cleared = c.value === '' || c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() <= Date.now());
      this.cookie = cleared ? null : c.value;
    }
  }

  async request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const all: Record<string, string> = { ...headers };
    if (this.cookie) all.cookie = `hedgerow_session=${this.cookie}`;
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in headers)) all['x-csrf-token'] = this.csrf;
    const response = await this.fixture.app.inject({
      method: method as 'GET',
      url,
      headers: all,
      remoteAddress: this.address,
      ...(body === undefined ? {} : typeof body === 'string' ? { payload: body } : { payload: body as object }),
    });
    this.remember(response);
    return response;
  }

  async signIn(username: string, password: string): Promise<LightMyRequestResponse> {
    const response = await this.request('POST', '/api/session', { username, password });
    if (response.statusCode === 200) this.csrf = (response.json() as { csrfToken: string }).csrfToken;
    return response;
  }
}

/** Adds an account straight through the store (the CLI's path), as `cli`. */
export async function addAccount(fixture: ApiFixture, username: string, role: string, password = 'correct horse battery'): Promise<string> {
  const view = await authOf(fixture.deps).accounts.add({ username, displayName: username, role, password }, { actor: 'cli', reason: 'test account' });
  return view.id;
}
