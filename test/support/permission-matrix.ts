// The exhaustive permission check: every route of a list × every role of a policy, each signed
// in with a real session, must be refused with 403 exactly when the policy's `access` section
// does not grant the route's action, and must reach the handler whenever it does. The handlers
// are replaced by a probe (and the schemas dropped) so the check is about the gate alone and
// needs no data; signed out, every non-public route must answer 401 and every public one pass.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { mountApi, type ApiDeps, type RouteSpec } from '../../src/api/index.ts';
import { AuthService } from '../../src/auth/index.ts';
import { AuditLog, migrate, openDatabase } from '../../src/db/index.ts';
import type { ResolvedPolicy } from '../../src/policy/index.ts';

export interface MatrixMismatch {
  route: string;
  role: string | null;
  expected: string;
  got: string;
}

export interface MatrixReport {
  /** requests made: routes × (roles + signed out) */
  checked: number;
  mismatches: MatrixMismatch[];
}

/** What the policy grants, read straight from its `access` section (session.self is everyone's). */
function granted(policy: Pick<ResolvedPolicy, 'access'>, role: string, action: string): boolean {
  return action === 'session.self' || (policy.access[role] ?? []).includes(action as never);
}

/**
 * `policy` says what is expected; the gate enforces `gatePolicy` (the same unless given, which
 * only the check's own test does, to show that a gate and a policy that disagree are caught).
 */
export async function checkPermissionMatrix(
  routes: readonly RouteSpec[],
  policy: Pick<ResolvedPolicy, 'roles' | 'access'>,
  gatePolicy: Pick<ResolvedPolicy, 'roles' | 'access'> = policy,
): Promise<MatrixReport> {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-matrix-'));
  const store = await openDatabase(`sqlite:${join(dir, 'store.db')}`);
  const app = Fastify({ logger: false });
  try {
    const migrated = await migrate(store.db);
    if (migrated.failed) throw migrated.failed.error;
    const now = () => Date.parse('2026-11-24T10:15:00Z');
    const audit = new AuditLog(store, { now });
    const auth = new AuthService({ store, audit, policy: () => gatePolicy, now });
    // only the gate's own dependencies are real; the probes touch nothing else
    const deps = { db: store, audit, auth, now } as unknown as ApiDeps;
    const probes: RouteSpec[] = routes.map((route) => ({
      method: route.method,
      url: route.url,
      action: route.action,
      summary: route.summary,
      handler: () => ({ probe: `${route.method} ${route.url}` }),
    }));
    await mountApi(app, deps, probes, { openApi: false });
    await app.ready();

    const sessions = new Map<string, { token: string; csrf: string }>();
    for (const role of Object.keys(policy.roles)) {
      const view = await auth.accounts.add({ username: `probe.${role}`, displayName: `Probe ${role}`, role }, { actor: 'test', reason: 'permission matrix' });
      const created = await auth.sessions.create(view.id);
      sessions.set(role, { token: created.token, csrf: created.csrfToken });
    }

    const mismatches: MatrixMismatch[] = [];
    let checked = 0;
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      const url = route.url.replace(/:([A-Za-z0-9_]+)/g, 'probe-$1');
      for (const role of [null, ...sessions.keys()]) {
        const session = role === null ? null : sessions.get(role)!;
        const headers: Record<string, string> = {};
        if (session) headers.cookie = `hedgerow_session=${session.token}`;
        if (session && route.method !== 'GET') headers['x-csrf-token'] = session.csrf;
        const response = await app.inject({ method: route.method, url, headers, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }) });
        checked += 1;
        const allowed = route.action === 'public' || (role !== null && granted(policy, role, route.action));
        const expected = allowed ? '200 probe' : role === null ? '401 HR_API_SIGNED_OUT' : '403 HR_API_FORBIDDEN';
        let got = String(response.statusCode);
        try {
          const body = response.json() as { probe?: string; error?: { code: string } };
          got += body.probe === key ? ' probe' : body.error ? ` ${body.error.code}` : ' ?';
        } catch {
          got += ' not-json';
        }
        if (got !== expected) mismatches.push({ route: key, role, expected, got });
      }
    }
    return { checked, mismatches };
  } finally {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
