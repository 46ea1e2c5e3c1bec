// `hedgerow start` on PostgreSQL: the decision log writes there (spooling first), and the
// dashboard's activity search reads back what the proxy decided.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../src/config/index.ts';
import { startHedgerow, type RunningHedgerow } from '../../src/server/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';

const pgMissing = postgresUnavailable();

function viaProxy(proxyPort: number, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: proxyPort, path: url, headers: { host: new URL(url).host } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('hedgerow start with a PostgreSQL store', { skip: pgMissing ?? false }, () => {
  let server: TestPostgres;
  let running: RunningHedgerow;
  let dir = '';

  before(async () => {
    server = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'hedgerow-start-pg-'));
    const database = await server.createDatabase('hedgerow_start');
    running = await startHedgerow(
      configSchema.parse({ dataDir: dir, database, proxy: { port: 0 }, dns: { enabled: false }, http: { port: 0 }, networks: [{ cidr: '127.0.0.0/8', role: 'pupil', groups: ['class-4n'] }], watchPolicy: false }),
      { log: () => undefined },
    );
  });

  after(async () => {
    await running?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs its migrations on PostgreSQL and keeps accounts there', () => {
    assert.equal(running.store.dialect, 'postgres');
    assert.equal(running.activity.kind, 'postgres');
  });

  it("writes the proxy's decisions to PostgreSQL, where the activity search finds them (8.1)", async () => {
    assert.equal(await viaProxy(running.proxy!.address.port, 'http://www.reddit.com/r/pics'), 403);
    await running.log.flush();
    const stored = await running.log.search({ host: 'www.reddit.com' });
    assert.equal(stored.length, 1);
    const page = await running.activity.search({ from: 0, to: Date.now() + 1, host: 'reddit.com' });
    assert.equal(page.items.length, 1);
    assert.equal(page.items[0]!.action, 'block');
    assert.deepEqual(page.items[0]!.groups, ['class-4n']);
  });
});
