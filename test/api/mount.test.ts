// The mount's fixed order and its one error shape: 401 before 403 before CSRF before input
// problems; unknown API paths 404 as JSON; unexpected failures 500 without their details; bodies
// over the limit 413.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { ApiError, coreRoutes, defineRoute, type ApiDeps, type RouteSpec } from '../../src/api/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { addAccount, apiFixture, Browser, type ApiFixture } from './fixture.ts';

const PASSWORD = 'correct horse battery';
const logged: unknown[] = [];

function testRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    ...coreRoutes(deps),
    defineRoute({
      method: 'GET',
      url: '/api/test/crash',
      action: 'policy.read',
      summary: 'fails unexpectedly',
      handler() {
        throw new Error('secret connection string postgres://admin:hunter2@db.example/prod');
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/test/lint',
      action: 'policy.read',
      summary: 'refuses with several problems',
      body: z.object({ text: z.string() }),
      handler() {
        throw new ApiError('HR_POLICY_EDIT_LINT', 'the edit would break the policy', [
          { field: 'rules[2].what.categories[0]', message: 'unknown category `socail`' },
          { field: 'rules[3].when[0]', message: 'unknown calendar window `lunchtime`' },
        ]);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/test/echo',
      action: 'policy.read',
      summary: 'echoes',
      body: z.object({ text: z.string() }),
      handler({ body, account }) {
        return { text: body.text, who: account?.username };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/test/csv',
      action: 'policy.read',
      summary: 'takes a CSV',
      consumes: 'text/csv',
      bodyLimit: 200_000,
      body: z.string(),
      produces: 'text/csv',
      handler({ body }) {
        return `lines\n${body.split('\n').length}\n`;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/test/things/:id',
      action: 'policy.read',
      summary: 'nothing to say',
      params: z.object({ id: z.string().regex(/^\d+$/, 'must be a number') }),
      handler({ params }) {
        if (params.id === '404') throw new HedgerowError('HR_API_NOT_FOUND', 'no thing `404`');
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/test/public',
      action: 'public',
      summary: 'anyone',
      handler({ account }) {
        return { signedIn: account?.username ?? null };
      },
    }),
  ];
}

describe('mounting routes', () => {
  let f: ApiFixture;
  let head: Browser;
  let governor: Browser;
  before(async () => {
    f = await apiFixture(testRoutes, { mount: { logError: (error) => logged.push(error) } });
    await addAccount(f, 'marjorie.wychwood', 'headteacher');
    await addAccount(f, 'rupert.thornbury', 'governor');
    head = new Browser(f);
    await head.signIn('marjorie.wychwood', PASSWORD);
    governor = new Browser(f);
    await governor.signIn('rupert.thornbury', PASSWORD);
  });
  after(() => f.close());

  it('an unknown API path answers 404 in the error shape', async () => {
    const response = await head.request('GET', '/api/no/such/thing?x=1');
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: { code: 'HR_API_NOT_FOUND', message: 'there is no API route `GET /api/no/such/thing`' } });
  });

  it('an unexpected failure answers 500 without its message or stack, and is logged', async () => {
    const response = await head.request('GET', '/api/test/crash');
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().error.code, 'HR_API_INTERNAL');
    assert.ok(!response.body.includes('hunter2'));
    assert.ok(!response.body.includes('at '), 'no stack frames');
    assert.equal(logged.length, 1);
    assert.match((logged[0] as Error).message, /hunter2/);
  });

  it('a refusal carrying several problems returns them all with the code’s status', async () => {
    const response = await head.request('POST', '/api/test/lint', { text: 'x' });
    assert.equal(response.statusCode, 422);
    assert.equal(response.json().error.problems.length, 2);
    assert.equal(response.json().error.problems[1].field, 'rules[3].when[0]');
  });

  it('signed out is 401 before anything else; a role without the action is 403 before its input is looked at', async () => {
    const anonymous = await new Browser(f).request('POST', '/api/accounts', {}, { 'x-csrf-token': 'x' });
    assert.equal(anonymous.statusCode, 401);
    const refused = await governor.request('POST', '/api/accounts', {});
    assert.equal(refused.statusCode, 403);
    assert.deepEqual(refused.json(), { error: { code: 'HR_API_FORBIDDEN', message: 'the role `governor` may not `accounts.manage`' } });
    const noCsrf = await head.request('POST', '/api/accounts', {}, { 'x-csrf-token': '' });
    assert.equal(noCsrf.json().error.code, 'HR_API_CSRF', 'the CSRF check comes before the input');
  });

  it('a public route sees the account when someone is signed in', async () => {
    assert.deepEqual((await new Browser(f).request('GET', '/api/test/public')).json(), { signedIn: null });
    assert.deepEqual((await head.request('GET', '/api/test/public')).json(), { signedIn: 'marjorie.wychwood' });
  });

  it('a handler that returns nothing answers 204; a coded error keeps its status; a bad parameter names itself', async () => {
    assert.equal((await head.request('DELETE', '/api/test/things/7')).statusCode, 204);
    assert.equal((await head.request('DELETE', '/api/test/things/404')).statusCode, 404);
    const bad = await head.request('DELETE', '/api/test/things/seven');
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json().error.problems, [{ field: 'id', message: 'must be a number' }]);
  });

  it('a JSON body over 64 KiB is refused with 413; a route may accept a larger CSV', async () => {
    const big = await head.request('POST', '/api/test/echo', { text: 'x'.repeat(70 * 1024) });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, 'HR_API_TOO_LARGE');
    const csv = await head.request('POST', '/api/test/csv', `name,username\n${'a,b\n'.repeat(20_000)}`, { 'content-type': 'text/csv' });
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.equal(csv.body, 'lines\n20002\n');
  });

  it('a body that is not valid JSON is a 400 in the error shape', async () => {
    const response = await head.request('POST', '/api/test/echo', '{"text": ', { 'content-type': 'application/json' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.code, 'HR_API_INPUT');
  });

  it('API answers are never cached', async () => {
    assert.equal((await head.request('GET', '/api/session')).headers['cache-control'], 'no-store');
    assert.equal((await head.request('GET', '/api/nothing')).headers['cache-control'], 'no-store');
  });
});

describe('route lists', () => {
  it('a route declared twice or outside /api/ is refused when mounting', async () => {
    const twice = (deps: ApiDeps) => [...coreRoutes(deps), coreRoutes(deps)[0]!];
    await assert.rejects(apiFixture(twice), /declared twice/);
    const outside = (deps: ApiDeps) => [{ ...coreRoutes(deps)[0]!, url: '/session' }];
    await assert.rejects(apiFixture(outside), /not under \/api\//);
  });
});
