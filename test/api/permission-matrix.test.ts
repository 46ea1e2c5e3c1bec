// Every API route against every role of the reference policy: 403 exactly when the policy's
// access section says no, never when it says yes. The routes come from `allRoutes`, so routes a
// module adds to that list are covered without changing this test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allRoutes, coreRoutes, type ApiDeps } from '../../src/api/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { checkPermissionMatrix } from '../support/permission-matrix.ts';

const { policy } = loadPolicy(referencePolicyPath());

// Route lists are built from their dependencies but only read them when a request comes; the
// probes never make one, so no dependency is touched here.
const untouchable = (name: string) =>
  new Proxy({}, {
    get(_target, property) {
      throw new Error(`building the route list used ${name}.${String(property)}`);
    },
  });
// The quarantine's routes exist only when mail is configured, the workflows' when the server
// made their stores; present here so they are walked too.
const deps = new Proxy({} as ApiDeps, {
  get(_target, property) {
    if (property === 'quarantine') return untouchable('deps.quarantine');
    if (property === 'workflows') return untouchable('deps.workflows');
    throw new Error(`building the route list used deps.${String(property)}`);
  },
});

test('every route × every reference role: refused exactly when the policy does not grant the route’s action', async () => {
  const routes = allRoutes(deps);
  assert.ok(routes.length >= coreRoutes(deps).length);
  assert.ok(routes.some((route) => route.url.startsWith('/api/quarantine')), 'the quarantine routes are in the list');
  for (const prefix of ['/api/requests', '/api/case-reports', '/api/register', '/api/incidents', '/api/sanctions', '/api/alerts', '/api/inbox', '/api/compliance', '/api/reports/governors']) {
    assert.ok(routes.some((route) => route.url.startsWith(prefix)), `the ${prefix} routes are in the list`);
  }
  const report = await checkPermissionMatrix(routes, policy!);
  assert.deepEqual(report.mismatches, []);
  assert.equal(report.checked, routes.length * (Object.keys(policy!.roles).length + 1));
});

test('the check reports a gate that lets a role in, or keeps one out, against the policy', async () => {
  const routes = coreRoutes(deps).filter((r) => r.url === '/api/audit' || r.url === '/api/accounts');
  const gate = {
    roles: policy!.roles,
    access: {
      ...policy!.access,
      teacher: [...policy!.access.teacher!, 'audit.read' as const],
      headteacher: policy!.access.headteacher!.filter((a) => a !== 'accounts.manage'),
    },
  };
  const report = await checkPermissionMatrix(routes, policy!, gate);
  assert.deepEqual(
    report.mismatches.map((m) => `${m.route} ${m.role}: expected ${m.expected}, got ${m.got}`).sort(),
    [
      'GET /api/accounts headteacher: expected 200 probe, got 403 HR_API_FORBIDDEN',
      'GET /api/audit teacher: expected 403 HR_API_FORBIDDEN, got 200 probe',
      'POST /api/accounts headteacher: expected 200 probe, got 403 HR_API_FORBIDDEN',
    ],
  );
});
