// One suite, run on SQLite and on a real PostgreSQL: the same migrations, queries and audit
// chain must behave the same on both engines.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { HedgerowError } from '../../src/errors/index.ts';
import {
  AuditLog,
  GENESIS_HASH,
  auditHash,
  migrate,
  openDatabase,
  storeMigrations,
  type DialectName,
  type StoreDatabase,
  type StoreMigration,
} from '../../src/db/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';

const pgMissing = postgresUnavailable();

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly DialectName[]) {
  describe(`store on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let counter = 0;
    const open: StoreDatabase[] = [];

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-db-'));
      if (dialect === 'postgres') server = await startPostgres();
    });
    after(async () => {
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((store) => store.close()));
    });

    /** a URL naming a new, empty database */
    async function freshUrl(): Promise<string> {
      counter += 1;
      return dialect === 'sqlite' ? `sqlite:${join(tmp, `store-${counter}.db`)}` : server!.createDatabase(`store_${counter}`);
    }
    async function connect(url: string): Promise<StoreDatabase> {
      const store = await openDatabase(url);
      open.push(store);
      return store;
    }
    async function fresh(): Promise<StoreDatabase> {
      const store = await connect(await freshUrl());
      const result = await migrate(store.db);
      assert.equal(result.failed, undefined);
      return store;
    }

    it('opens the url as the expected dialect', async () => {
      const store = await connect(await freshUrl());
      assert.equal(store.dialect, dialect);
    });

    it('runs every migration in order and reports them, and a second run applies nothing', async () => {
      const store = await connect(await freshUrl());
      const all = storeMigrations.map((migration) => migration.name);
      assert.deepEqual([...all].sort(), all, 'migration names sort in the order they are listed');
      const first = await migrate(store.db);
      assert.deepEqual(first, { applied: all, alreadyApplied: [] });
      const second = await migrate(store.db);
      assert.deepEqual(second, { applied: [], alreadyApplied: all });
      const tables = await store.db.introspection.getTables();
      const names = tables.map((table) => table.name);
      for (const table of ['accounts', 'audit_log', 'grants', 'sessions']) assert.ok(names.includes(table), `missing table ${table}`);
    });

    it('reports a failing migration as HR_STORE_MIGRATION and rolls the whole run back', async () => {
      const store = await connect(await freshUrl());
      const broken: StoreMigration = {
        name: '999_broken',
        async up(db) {
          await db.schema.createTable('widgets').addColumn('id', 'text', (c) => c.primaryKey()).execute();
          await db.schema.createIndex('widgets_missing').on('widgets').column('no_such_column').execute();
        },
      };
      const result = await migrate(store.db, [...storeMigrations, broken]);
      assert.deepEqual(result.applied, []);
      assert.deepEqual(result.alreadyApplied, []);
      assert.equal(result.failed?.migration, '999_broken');
      assert.ok(result.failed.error instanceof HedgerowError);
      assert.equal(result.failed.error.code, 'HR_STORE_MIGRATION');
      assert.match(result.failed.error.message, /^migration `999_broken` failed/);
      // the earlier migrations ran in the same transaction, so they are gone too
      const tables = (await store.db.introspection.getTables()).map((table) => table.name);
      assert.ok(!tables.includes('accounts') && !tables.includes('widgets'), `tables left behind: ${tables.join(', ')}`);

      const retry = await migrate(store.db);
      const all = storeMigrations.map((migration) => migration.name);
      assert.deepEqual(retry, { applied: all, alreadyApplied: [] });
      const again = await migrate(store.db, [...storeMigrations, broken]);
      assert.deepEqual(again.alreadyApplied, all);
      assert.equal(again.failed?.migration, '999_broken');
    });

    it('stores accounts and reads them back with numbers for times and a default of not disabled', async () => {
      const { db } = await fresh();
      // NOTE: one row per insert here; a multi-row insert whose rows name different columns fills
      // the gaps with NULL on SQLite (no DEFAULT in VALUES), which the NOT NULL default then rejects
      await db.insertInto('accounts').values({ id: 'a1', username: 'ada.lovelace', display_name: 'Ada Lovelace', role: 'esafety-lead', password_hash: 'scrypt$x', created_at: 1_760_000_000_000 }).execute();
      await db.insertInto('accounts').values({ id: 'a2', username: 'alan.turing', display_name: 'Alan Turing', role: 'teacher', password_hash: 'scrypt$y', created_at: 1_760_000_000_001, disabled: 1 }).execute();
      const rows = await db.selectFrom('accounts').selectAll().orderBy('username').execute();
      assert.deepEqual(rows, [
        { id: 'a1', username: 'ada.lovelace', display_name: 'Ada Lovelace', role: 'esafety-lead', password_hash: 'scrypt$x', created_at: 1_760_000_000_000, disabled: 0 },
        { id: 'a2', username: 'alan.turing', display_name: 'Alan Turing', role: 'teacher', password_hash: 'scrypt$y', created_at: 1_760_000_000_001, disabled: 1 },
      ]);
      const teacher = await db.selectFrom('accounts').select(['display_name']).where('role', '=', 'teacher').executeTakeFirstOrThrow();
      assert.equal(teacher.display_name, 'Alan Turing');
    });

    it('rejects a second account with the same username', async () => {
      const { db } = await fresh();
      const account = { id: 'a1', username: 'ada.lovelace', display_name: 'Ada Lovelace', role: 'teacher', password_hash: 'h', created_at: 1 };
      await db.insertInto('accounts').values(account).execute();
      await assert.rejects(db.insertInto('accounts').values({ ...account, id: 'a2' }).execute());
      const count = await db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
    });

    it('rejects a session for an unknown account and removes sessions with their account', async () => {
      const { db } = await fresh();
      const session = { id: 's1', account_id: 'a1', created_at: 1, last_seen_at: 1, expires_at: 2, csrf_token: 't' };
      await assert.rejects(db.insertInto('sessions').values(session).execute());
      await db.insertInto('accounts').values({ id: 'a1', username: 'grace.hopper', display_name: 'Grace Hopper', role: 'teacher', password_hash: 'h', created_at: 1 }).execute();
      await db.insertInto('sessions').values(session).execute();
      await db.deleteFrom('accounts').where('id', '=', 'a1').execute();
      assert.deepEqual(await db.selectFrom('sessions').selectAll().execute(), []);
    });

    it('appends audit entries as an unbroken hash chain that verify() accepts', async () => {
      const store = await fresh();
      let clock = 1_760_000_000_000;
      const log = new AuditLog(store, { now: () => (clock += 1000) });
      for (let i = 1; i <= 6; i += 1) {
        await log.append({
          actor: 'ada.lovelace',
          action: 'grant.create',
          subject: `grant-${i}`,
          before: i === 1 ? null : { until: i - 1 },
          after: { until: i, scope: { group: '7A' } },
          reason: `lesson ${i}`,
        });
      }
      assert.equal(await log.verify(), null);
      const entries = await log.entries();
      assert.deepEqual(entries.map((entry) => entry.seq), [1, 2, 3, 4, 5, 6]);
      assert.equal(entries[0]!.prevHash, GENESIS_HASH);
      for (let i = 1; i < entries.length; i += 1) assert.equal(entries[i]!.prevHash, entries[i - 1]!.hash);
      assert.equal(entries[0]!.at, 1_760_000_001_000);
      assert.equal(entries[0]!.before, null);
      assert.deepEqual(entries[5]!.after, { scope: { group: '7A' }, until: 6 });
      // the JSON text is canonical: keys sorted, so the hash does not depend on how the value was built
      const raw = await store.db.selectFrom('audit_log').select(['after']).where('seq', '=', 6).executeTakeFirstOrThrow();
      assert.equal(raw.after, '{"scope":{"group":"7A"},"until":6}');
    });

    it('finds an edited audit row: verify() returns its seq', async () => {
      const store = await fresh();
      const log = new AuditLog(store);
      for (let i = 1; i <= 5; i += 1) await log.append({ actor: 'ada.lovelace', action: 'account.update', subject: `acct-${i}`, after: { role: 'teacher' } });
      assert.equal(await log.verify(), null);
      await store.db.updateTable('audit_log').set({ after: '{"role":"esafety-lead"}' }).where('seq', '=', 3).execute();
      assert.equal(await log.verify(), 3);
    });

    it('finds an edited audit row whose own hash was recomputed: the next row no longer links', async () => {
      const store = await fresh();
      const log = new AuditLog(store);
      for (let i = 1; i <= 5; i += 1) await log.append({ actor: 'ada.lovelace', action: 'session.create', subject: `acct-${i}` });
      const row = await store.db.selectFrom('audit_log').selectAll().where('seq', '=', 2).executeTakeFirstOrThrow();
      const forged = { ...row, actor: 'someone.else' };
      await store.db.updateTable('audit_log').set({ actor: forged.actor, hash: auditHash(forged) }).where('seq', '=', 2).execute();
      assert.equal(await log.verify(), 3);
    });

    it('finds a deleted audit row: verify() returns the missing seq', async () => {
      const store = await fresh();
      const log = new AuditLog(store);
      for (let i = 1; i <= 5; i += 1) await log.append({ actor: 'ada.lovelace', action: 'grant.revoke', subject: `grant-${i}`, reason: 'ended early' });
      await store.db.deleteFrom('audit_log').where('seq', '=', 3).execute();
      assert.equal(await log.verify(), 3);
    });

    it('keeps one chain when another process appends at the same time', async () => {
      const url = await freshUrl();
      const store = await connect(url);
      assert.equal((await migrate(store.db)).failed, undefined);
      const log = new AuditLog(store);
      const childCount = 30;
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'append-audit.ts'), url, String(childCount)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let running = true;
      void exited.then(() => (running = false));
      // keep appending for as long as the other process does, so the two really overlap
      let mine = 0;
      while (running) {
        await log.append({ actor: 'this-process', action: 'policy.publish', subject: `parent-${mine}` });
        mine += 1;
        // SQLite answers synchronously, so without yielding the child's exit event would never run
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(await exited, 0, output);
      assert.equal(await log.verify(), null);
      const entries = await log.entries({ limit: 10_000 });
      assert.deepEqual(entries.map((entry) => entry.seq), Array.from({ length: mine + childCount }, (_, i) => i + 1));
      const actors = new Set(entries.map((entry) => entry.actor));
      assert.deepEqual([...actors].sort(), ['other-process', 'this-process']);
    });

    it('keeps one chain when one handle appends many entries at once', async () => {
      const store = await fresh();
      const log = new AuditLog(store);
      await Promise.all(Array.from({ length: 40 }, (_, i) => log.append({ actor: 'ada.lovelace', action: 'policy.publish', subject: `revision-${i}` })));
      assert.equal(await log.verify(), null);
      const subjects = await store.db.selectFrom('audit_log').select(sql<number>`count(distinct subject)`.as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(subjects.n), 40);
    });
  });
}

describe('opening a store from a url', () => {
  it('refuses a scheme it does not know with HR_STORE_OPEN', async () => {
    await assert.rejects(openDatabase('mysql://user:secret@127.0.0.1/hedgerow'), (error: unknown) => {
      assert.ok(error instanceof HedgerowError);
      assert.equal(error.code, 'HR_STORE_OPEN');
      assert.ok(!error.message.includes('secret'), 'the password must not appear in the message');
      return true;
    });
  });

  it('reports a sqlite file it cannot create as HR_STORE_OPEN', async () => {
    await assert.rejects(openDatabase('sqlite:/nonexistent-folder-for-hedgerow/store.db'), { code: 'HR_STORE_OPEN' });
  });

  it('opens a bare path as sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-db-'));
    try {
      const store = await openDatabase(join(dir, 'bare.db'));
      assert.equal(store.dialect, 'sqlite');
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      assert.equal(mode.rows[0]?.journal_mode, 'wal');
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a postgres server that does not answer as HR_STORE_OPEN without the password', async () => {
    // port 1 on 127.0.0.1: nothing listens there, so the connection is refused at once
    await assert.rejects(openDatabase('postgres://hedgerow:secret@127.0.0.1:1/hedgerow'), (error: unknown) => {
      assert.ok(error instanceof HedgerowError);
      assert.equal(error.code, 'HR_STORE_OPEN');
      assert.ok(!error.message.includes('secret'));
      return true;
    });
  });
});
