// Sessions in the store, on SQLite and on a real PostgreSQL: only a digest of the token is kept,
// idle and absolute ends are enforced on an injected clock (6.16), sign-out and sign-out
// everywhere delete rows, and a disabled account's sessions stop at once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_IDLE_TIMEOUT_MS, SessionStore, sessionIdOf } from '../../src/auth/index.ts';
import { migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';

const pgMissing = postgresUnavailable();
const MINUTE = 60_000;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`sessions on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let store: StoreDatabase;
    const clock = { now: Date.parse('2026-11-24T08:30:00Z') };
    let sessions: SessionStore;
    let accountNumber = 0;

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-sessions-'));
      if (dialect === 'postgres') server = await startPostgres();
      store = await openDatabase(dialect === 'sqlite' ? `sqlite:${join(tmp, 'store.db')}` : server!.url);
      const result = await migrate(store.db);
      assert.equal(result.failed, undefined);
      sessions = new SessionStore(store.db, () => clock.now);
    });
    after(async () => {
      await store?.close();
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });

    async function account(disabled = 0): Promise<string> {
      accountNumber += 1;
      const id = `account-${accountNumber}`;
      await store.db
        .insertInto('accounts')
        .values({ id, username: `person${accountNumber}`, display_name: `Person ${accountNumber}`, role: 'teacher', password_hash: '!directory', created_at: clock.now, disabled })
        .execute();
      return id;
    }

    it('the idle timeout is 15 minutes unless configured', () => {
      assert.equal(DEFAULT_IDLE_TIMEOUT_MS, 15 * MINUTE);
      assert.equal(sessions.idleTimeoutMs, 15 * MINUTE);
    });

    it('stores only the SHA-256 of a 256-bit token, and the token finds its session', async () => {
      const id = await account();
      const created = await sessions.create(id);
      assert.equal(Buffer.from(created.token, 'base64url').length, 32);
      assert.equal(created.id, createHash('sha256').update(created.token).digest('hex'));
      const rows = await store.db.selectFrom('sessions').selectAll().where('account_id', '=', id).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.id, created.id);
      assert.ok(!JSON.stringify(rows).includes(created.token));
      const live = await sessions.resolve(created.token);
      assert.equal(live?.account.id, id);
      assert.equal(live?.session.csrf_token, created.csrfToken);
      assert.notEqual(created.csrfToken, created.token);
    });

    it('a stored id used as a token, a malformed token and an unknown token find nothing', async () => {
      const created = await sessions.create(await account());
      assert.equal(await sessions.resolve(created.id), null);
      assert.equal(await sessions.resolve('not a token'), null);
      assert.equal(sessionIdOf('x'.repeat(44)), null);
      assert.equal(await sessions.resolve('A'.repeat(43)), null);
    });

    it('a session left idle for the timeout ends; one used within it lives on (6.16)', async () => {
      const created = await sessions.create(await account());
      const start = clock.now;
      clock.now = start + 10 * MINUTE;
      assert.ok(await sessions.resolve(created.token), 'used after 10 minutes');
      clock.now = start + 24 * MINUTE;
      assert.ok(await sessions.resolve(created.token), '14 minutes after the last use');
      clock.now = start + 39 * MINUTE;
      assert.equal(await sessions.resolve(created.token), null, '15 minutes idle');
      clock.now = start + 40 * MINUTE;
      assert.equal(await sessions.resolve(created.token), null, 'and it stays ended');
      assert.equal((await store.db.selectFrom('sessions').select('id').where('id', '=', created.id).execute()).length, 0);
    });

    it('a busy session still ends at its absolute lifetime', async () => {
      const short = new SessionStore(store.db, () => clock.now, { idleTimeoutMs: 15 * MINUTE, absoluteLifetimeMs: 60 * MINUTE });
      const created = await short.create(await account());
      const start = clock.now;
      for (let minutes = 10; minutes < 60; minutes += 10) {
        clock.now = start + minutes * MINUTE;
        assert.ok(await short.resolve(created.token), `in use at ${minutes} minutes`);
      }
      clock.now = start + 60 * MINUTE;
      assert.equal(await short.resolve(created.token), null);
    });

    it('sign-out ends one session; sign-out everywhere ends all of the account and no other account', async () => {
      const ada = await account();
      const ben = await account();
      const [a1, a2, a3] = [await sessions.create(ada), await sessions.create(ada), await sessions.create(ada)];
      const b1 = await sessions.create(ben);
      await sessions.end(a1.token);
      assert.equal(await sessions.resolve(a1.token), null);
      assert.ok(await sessions.resolve(a2.token));
      assert.equal(await sessions.endAll(ada, a3.id), 1, 'all but the one kept');
      assert.equal(await sessions.resolve(a2.token), null);
      assert.ok(await sessions.resolve(a3.token));
      assert.equal(await sessions.endAll(ada), 1);
      assert.equal(await sessions.resolve(a3.token), null);
      assert.ok(await sessions.resolve(b1.token));
    });

    it("a disabled account's sessions no longer resolve", async () => {
      const id = await account();
      const created = await sessions.create(id);
      await store.db.updateTable('accounts').set({ disabled: 1 }).where('id', '=', id).execute();
      assert.equal(await sessions.resolve(created.token), null);
    });

    it('purging deletes idle and expired sessions and keeps live ones', async () => {
      await store.db.deleteFrom('sessions').execute();
      const idle = await sessions.create(await account());
      clock.now += 16 * MINUTE;
      const live = await sessions.create(await account());
      assert.equal(await sessions.purgeExpired(), 1);
      const left = await store.db.selectFrom('sessions').select('id').execute();
      assert.deepEqual(left.map((r) => r.id), [live.id]);
      assert.notEqual(idle.id, live.id);
    });
  });
}
