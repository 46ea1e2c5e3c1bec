// The incident routes as a list: built before any store exists, each gated by the one action it
// names exactly as the reference policy's access section grants it, and each in the OpenAPI
// document (the upload with its octet-stream body).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTION_NAMES } from '../../src/access/index.ts';
import { openApiDocument, type ApiDeps } from '../../src/api/index.ts';
import { incidentRoutes, type IncidentRouteDeps } from '../../src/cases/incidents/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { checkPermissionMatrix } from '../support/permission-matrix.ts';

function untouched<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      throw new Error(`building the route list used ${name}.${String(property)}`);
    },
  });
}

const build = () => incidentRoutes(untouched<ApiDeps>('deps'), untouched<IncidentRouteDeps>('own'));

test('the incident route list is built without touching a dependency, and names each route once', () => {
  const routes = build();
  const keys = routes.map((r) => `${r.method} ${r.url}`);
  assert.equal(new Set(keys).size, keys.length);
  for (const route of routes) assert.ok(ACTION_NAMES.includes(route.action as never), `${route.url}: ${route.action}`);
  assert.deepEqual([...new Set(routes.map((r) => r.action))].sort(), ['incidents.manage', 'incidents.report']);
});

test('every incident route × every reference role is refused exactly when the policy does not grant its action', async () => {
  const { policy } = loadPolicy(referencePolicyPath());
  const routes = build();
  const report = await checkPermissionMatrix(routes, policy!);
  assert.deepEqual(report.mismatches, []);
  assert.equal(report.checked, routes.length * (Object.keys(policy!.roles).length + 1));
});

test('the OpenAPI document describes every incident route, the evidence upload as an octet-stream body', () => {
  const routes = build();
  const doc = openApiDocument(routes) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  for (const route of routes) {
    const operation = doc.paths[route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[route.method.toLowerCase()];
    assert.ok(operation, `${route.method} ${route.url} is missing`);
    assert.equal(operation['x-hedgerow-action'], route.action);
    if (route.body) assert.ok(operation.requestBody, `${route.method} ${route.url} has no request body`);
  }
  const upload = doc.paths['/api/incidents/{id}/evidence']!.post!.requestBody as { content: Record<string, unknown> };
  assert.deepEqual(Object.keys(upload.content), ['application/octet-stream']);
});
