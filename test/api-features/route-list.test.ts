// The feature routes as a list: built without touching their dependencies, each gated by the
// one action it names exactly as the reference policy's access section says (issue 4 §3), and
// each described in the OpenAPI document (issue 4 §2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTION_NAMES } from '../../src/access/index.ts';
import { openApiDocument, type ApiDeps } from '../../src/api/index.ts';
import { featureRoutes } from '../../src/api/routes/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { checkPermissionMatrix } from '../support/permission-matrix.ts';

const untouched = new Proxy({} as ApiDeps, {
  get(_target, property) {
    throw new Error(`building the route list used deps.${String(property)}`);
  },
});

test('the feature route list is built without touching a dependency, and names each route once', () => {
  const routes = featureRoutes(untouched);
  const keys = routes.map((r) => `${r.method} ${r.url}`);
  assert.equal(new Set(keys).size, keys.length);
  for (const route of routes) {
    assert.ok(route.url.startsWith('/api/'), route.url);
    assert.ok(route.action === 'public' || ACTION_NAMES.includes(route.action), `${route.url}: ${route.action}`);
  }
});

test('every feature route × every reference role is refused exactly when the policy does not grant its action', async () => {
  const { policy } = loadPolicy(referencePolicyPath());
  const routes = featureRoutes(untouched);
  const report = await checkPermissionMatrix(routes, policy!);
  assert.deepEqual(report.mismatches, []);
  assert.equal(report.checked, routes.length * (Object.keys(policy!.roles).length + 1));
});

test('the OpenAPI document describes every feature route with its action and input schemas', () => {
  const routes = featureRoutes(untouched);
  const doc = openApiDocument(routes) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const operation = doc.paths[path]?.[route.method.toLowerCase()];
    assert.ok(operation, `${route.method} ${path} is missing`);
    assert.equal(operation['x-hedgerow-action'], route.action);
    if (route.body) assert.ok(operation.requestBody, `${route.method} ${path} has no request body`);
  }
});
