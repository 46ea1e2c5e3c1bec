// The OpenAPI document is built from the routes' own schemas: every route is in it with its
// action, parameters, body and answer, and it is served at /api/openapi.json.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { allRoutes, coreRoutes, openApiDocument, openApiPath, type ApiDeps, type OpenApiDocument } from '../../src/api/index.ts';
import { apiFixture, Browser, type ApiFixture } from './fixture.ts';

// The quarantine's routes exist only when mail is configured; present here so they are described too.
const deps = new Proxy({} as ApiDeps, {
  get(_target, property) {
    if (property === 'quarantine' || property === 'workflows') {
      return new Proxy({}, { get: (_t, inner) => { throw new Error(`building the route list used deps.${String(property)}.${String(inner)}`); } });
    }
    throw new Error(`building the route list used deps.${String(property)}`);
  },
});

type Operation = {
  operationId: string;
  'x-hedgerow-action': string;
  parameters?: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  security: unknown[];
};

function op(document: OpenApiDocument, method: string, url: string): Operation {
  return document.paths[openApiPath(url)]![method.toLowerCase()] as Operation;
}

function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, found);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else refs(v, found);
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  const routes = allRoutes(deps);
  const document = openApiDocument(routes);

  it('has every route once, with its action and a unique operation id', () => {
    const ids = new Set<string>();
    for (const route of routes) {
      const operation = op(document, route.method, route.url);
      assert.ok(operation, `${route.method} ${route.url}`);
      assert.equal(operation['x-hedgerow-action'], route.action);
      assert.ok(!ids.has(operation.operationId), operation.operationId);
      ids.add(operation.operationId);
      assert.ok(operation.responses['200'] && operation.responses.default);
      assert.deepEqual(operation.security, route.action === 'public' ? [] : route.method === 'GET' ? [{ session: [] }] : [{ session: [], csrf: [] }]);
    }
    const count = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    assert.equal(count, routes.length);
    assert.equal(document.openapi, '3.1.0');
  });

  it("carries each route's body, query, path parameters and answer from its schemas", () => {
    const signIn = op(document, 'POST', '/api/session');
    const body = signIn.requestBody!.content['application/json']!.schema;
    assert.equal(signIn.requestBody!.required, true);
    assert.deepEqual(Object.keys(body.properties!).sort(), ['password', 'username']);
    assert.deepEqual([...body.required!].sort(), ['password', 'username']);
    const answer = signIn.responses['200']!.content!['application/json']!.schema as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(answer.properties).sort(), ['account', 'csrfToken', 'permissions']);

    const audit = op(document, 'GET', '/api/audit');
    assert.deepEqual(audit.parameters!.map((p) => `${p.in}:${p.name}:${p.required}`), ['query:from:false', 'query:to:false', 'query:actor:false', 'query:subject:false', 'query:cursor:false', 'query:limit:false']);
    assert.equal(audit.parameters!.find((p) => p.name === 'limit')!.schema.maximum, 500);

    const patch = op(document, 'PATCH', '/api/accounts/:id');
    assert.ok(document.paths['/api/accounts/{id}']);
    assert.deepEqual(patch.parameters!.map((p) => `${p.in}:${p.name}:${p.required}`), ['path:id:true']);
    assert.ok(patch.requestBody!.content['application/json']!.schema.properties!.disabled);
  });

  it('has no dangling references and no JSON Schema dialect headers inside it', () => {
    for (const ref of refs(document)) {
      const [, ...path] = ref.split('/');
      let node: unknown = document;
      for (const key of path) node = (node as Record<string, unknown>)[key];
      assert.ok(node, ref);
    }
    assert.ok(!JSON.stringify(document).includes('"$schema"'));
  });

  describe('served by the API', () => {
    let f: ApiFixture;
    before(async () => {
      f = await apiFixture(coreRoutes);
    });
    after(() => f.close());

    it('is public at /api/openapi.json and lists itself', async () => {
      const response = await new Browser(f).request('GET', '/api/openapi.json');
      assert.equal(response.statusCode, 200);
      const served = response.json() as OpenApiDocument;
      assert.ok(served.paths['/api/openapi.json']?.get);
      assert.ok(served.paths['/api/session']?.post);
    });
  });
});
