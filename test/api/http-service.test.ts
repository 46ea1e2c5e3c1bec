// The API and the dashboard on the real HTTP service (listening on 127.0.0.1, port 0): the API
// answers under /api with its own error shape, the dashboard's files are served under
// /dashboard/ with a policy that lets its own scripts run, and the block-page side is unchanged.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { allRoutes, startHttpService } from '../../src/api/index.ts';
import { apiFixture, referenceEngine, type ApiFixture } from './fixture.ts';

/** A GET with the path sent exactly as written (fetch would tidy `..` away). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ host: hostname, port: Number(port), path }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('the HTTP service with the API and the dashboard', () => {
  let f: ApiFixture;
  let app: FastifyInstance;
  let base = '';
  let dashboardDir = '';
  let root = '';

  before(async () => {
    f = await apiFixture(() => []);
    root = mkdtempSync(join(tmpdir(), 'hedgerow-dashboard-'));
    writeFileSync(join(root, 'secret.txt'), 'not for browsers');
    dashboardDir = join(root, 'dist');
    mkdirSync(join(dashboardDir, 'assets'), { recursive: true });
    writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>Hedgerow</title><script type="module" src="./assets/app.js"></script>');
    writeFileSync(join(dashboardDir, 'assets', 'app.js'), 'console.log("dashboard");');
    const engine = referenceEngine();
    const started = await startHttpService({
      host: '127.0.0.1',
      port: 0,
      publicUrl: () => base,
      pac: () => ({ proxyHost: '127.0.0.1', proxyPort: 3128, bypass: [] }),
      identify: () => ({ role: 'pupil' }),
      decide: (person, url, at) => engine.decide({ person, url, at }),
      isPupil: () => true,
      timeZone: () => 'Europe/London',
      // these tests send no block-page form
      blockForms: {
        ticket: () => {
          throw new Error('no block-page ticket expected');
        },
        receive: () => Promise.reject(new Error('no block-page form expected')),
      },
      health: f.deps.health,
      api: { deps: f.deps, routes: allRoutes(f.deps) },
      dashboardDir,
    });
    app = started.app;
    base = `http://127.0.0.1:${started.address.port}`;
  });
  after(async () => {
    await app?.close();
    await f?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the OpenAPI document and answers unknown API paths with a JSON 404', async () => {
    const doc = await fetch(`${base}/api/openapi.json`);
    assert.equal(doc.status, 200);
    assert.ok(((await doc.json()) as { paths: Record<string, unknown> }).paths['/api/session']);
    const missing = await fetch(`${base}/api/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'HR_API_NOT_FOUND');
  });

  it('signs in over a real socket and the cookie is not Secure on plain HTTP', async () => {
    const response = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password: 'wrong-password' }) });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('serves the dashboard under /dashboard/ with a policy that allows its own scripts and nothing else', async () => {
    const page = await fetch(`${base}/dashboard/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Hedgerow<\/title>/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const script = await fetch(`${base}/dashboard/assets/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    const bare = await fetch(`${base}/dashboard`, { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), '/dashboard/');
    for (const path of ['/dashboard/../secret.txt', '/dashboard/%2e%2e/secret.txt', '/dashboard/..%2fsecret.txt']) {
      const outside = await rawGet(base, path);
      assert.ok(!outside.body.includes('not for browsers'), `${path} answered ${outside.status}`);
    }
  });

  it('keeps the strict policy and HTML answers everywhere else', async () => {
    const health = await fetch(`${base}/health`);
    assert.match(health.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const other = await fetch(`${base}/no-such-page`);
    assert.equal(other.status, 404);
    assert.match(other.headers.get('content-type') ?? '', /text\/html/);
  });
});
