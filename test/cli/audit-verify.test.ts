// `hedgerow audit verify` against a real store (SQLite, and PostgreSQL when its binaries are here):
// a whole chain passes and prints its head; an edited, deleted, re-hashed or reordered entry is
// found at its seq with the reason; a truncated tail passes on its own (the chain that is left is
// whole) and is caught only against a remembered head with --expect-head.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
// the command itself, so these tests do not depend on every other command's module loading
import { auditCommand } from '../../src/cli/audit-command.ts';
import { AuditLog, auditHash, migrate, openDatabase, storeMigrations, type AuditEntry, type StoreDatabase } from '../../src/db/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';

const pgMissing = postgresUnavailable();
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function hedgerow(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  assert.equal(args[0], 'audit');
  let code: number;
  try {
    code = await auditCommand(args.slice(1), { stdout, stderr, env });
  } catch (error) {
    // what the CLI's main does with a coded error: print it, exit 1
    const coded = error as { code?: string; message: string };
    stderr.write(`hedgerow: ${coded.code}: ${coded.message}\n`);
    code = 1;
  }
  return { code, stdout: out, stderr: err };
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`audit verify on ${kind}`, { skip: kind === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let tmp = '';
    let server: TestPostgres | undefined;
    let counter = 0;
    const open: StoreDatabase[] = [];

    /** A fresh store with `count` audit entries; returns its URL, arguments for the command and the entries. */
    async function storeWith(count: number): Promise<{ store: StoreDatabase; args: string[]; entries: AuditEntry[] }> {
      counter += 1;
      let url: string;
      let args: string[];
      if (kind === 'sqlite') {
        const dir = join(tmp, `data-${counter}`);
        url = `sqlite:${join(dir, 'hedgerow.db')}`;
        args = ['--data', dir];
        const { mkdirSync } = await import('node:fs');
        mkdirSync(dir, { recursive: true });
      } else {
        url = await server!.createDatabase(`audit_${counter}`);
        args = ['--database', url];
      }
      const store = await openDatabase(url);
      open.push(store);
      const migrated = await migrate(store.db, storeMigrations.filter((m) => m.name.startsWith('001')));
      if (migrated.failed) throw migrated.failed.error;
      let clock = Date.parse('2026-11-02T08:00:00Z');
      const log = new AuditLog(store, { now: () => (clock += 60_000) });
      const entries: AuditEntry[] = [];
      for (let i = 0; i < count; i++) {
        entries.push(
          await log.append({
            actor: i % 2 === 0 ? 'marjorie.wychwood' : 'desmond.nightingale',
            action: 'override.grant',
            subject: `override:ovr-${i}`,
            before: null,
            after: { sites: ['blocked.example'], minutes: 30 + i },
            reason: i === 3 ? 'times tables, "fast" round' : null,
          }),
        );
      }
      return { store, args, entries };
    }

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-audit-verify-'));
      if (kind === 'postgres') server = await startPostgres();
    });
    after(async () => {
      for (const store of open.splice(0)) await store.close();
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('says OK with the number of entries and the head hash when the chain is whole', async () => {
      const { args, entries } = await storeWith(12);
      const run = await hedgerow(['audit', 'verify', ...args]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /^OK .*: 12 entries, whole from seq 1 to 12$/m);
      assert.match(run.stdout, new RegExp(`^head hash: ${entries.at(-1)!.hash}$`, 'm'));
      const json = JSON.parse((await hedgerow(['audit', 'verify', ...args, '--json'])).stdout);
      assert.deepEqual([json.ok, json.entries, json.lastSeq, json.headHash, json.broken], [true, 12, 12, entries.at(-1)!.hash, null]);
    });

    it("finds a row whose `after` was edited with SQL, at that row's seq", async () => {
      const { store, args } = await storeWith(12);
      await sql`update audit_log set "after" = ${'{"minutes":600,"sites":["blocked.example"]}'} where seq = 7`.execute(store.db);
      const run = await hedgerow(['audit', 'verify', ...args]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /^BROKEN .*: entry 7 does not match its own hash: it was changed after it was written$/m);
      assert.match(run.stdout, /entries 1 to 6 are whole/);
      const json = JSON.parse((await hedgerow(['audit', 'verify', ...args, '--json'])).stdout);
      assert.deepEqual([json.ok, json.broken.seq, json.broken.kind], [false, 7, 'changed']);
    });

    it('finds a deleted row as a gap in seq', async () => {
      const { store, args } = await storeWith(12);
      await sql`delete from audit_log where seq = 5`.execute(store.db);
      const run = await hedgerow(['audit', 'verify', ...args]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /entry 5 is missing: the chain goes from seq 4 to seq 6 \(deleted\)/);
    });

    it('finds a row that was edited and given a fresh hash, at the next row, which no longer follows it', async () => {
      const { store, args } = await storeWith(12);
      const row = await store.db.selectFrom('audit_log').selectAll().where('seq', '=', 4).executeTakeFirstOrThrow();
      const forged = { ...row, actor: 'someone.else' };
      await store.db.updateTable('audit_log').set({ actor: forged.actor, hash: auditHash(forged) }).where('seq', '=', 4).execute();
      const json = JSON.parse((await hedgerow(['audit', 'verify', ...args, '--json'])).stdout);
      assert.deepEqual([json.ok, json.broken.seq, json.broken.kind], [false, 5, 'unlinked']);
      assert.match(json.broken.message, /entry 5 does not follow entry 4/);
    });

    it('finds two rows swapped, at the first of them', async () => {
      const { store, args } = await storeWith(12);
      // the two rows change places in the chain; each keeps its own fields and hash
      await sql`update audit_log set seq = -8 where seq = 8`.execute(store.db);
      await sql`update audit_log set seq = 8 where seq = 9`.execute(store.db);
      await sql`update audit_log set seq = 9 where seq = -8`.execute(store.db);
      const json = JSON.parse((await hedgerow(['audit', 'verify', ...args, '--json'])).stdout);
      assert.deepEqual([json.ok, json.broken.seq], [false, 8]);
    });

    it('passes a chain cut short at the end on its own, and catches it against the head remembered with --expect-head', async () => {
      const { store, args, entries } = await storeWith(12);
      const head = entries.at(-1)!.hash;
      const earlier = entries[5]!.hash;
      await sql`delete from audit_log where seq > 9`.execute(store.db);
      const plain = await hedgerow(['audit', 'verify', ...args]);
      assert.equal(plain.code, 0, 'what is left is a whole chain');
      assert.match(plain.stdout, /9 entries/);
      const caught = await hedgerow(['audit', 'verify', ...args, '--expect-head', head]);
      assert.equal(caught.code, 1);
      assert.match(caught.stdout, new RegExp(`the expected head ${head} is not in the chain: entries were removed from the end`));
      const grown = await hedgerow(['audit', 'verify', ...args, '--expect-head', earlier.toUpperCase()]);
      assert.equal(grown.code, 0, grown.stdout);
      assert.match(grown.stdout, /the expected head is entry 6; 3 entries were added since/);
    });
  });
}

describe('audit verify on the command line', () => {
  let tmp = '';
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-audit-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('reports a store that is not there without creating one, with exit code 1', async () => {
    const dir = join(tmp, 'nothing-here');
    const run = await hedgerow(['audit', 'verify', '--data', dir]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /HR_AUDIT_NO_LOG/);
    assert.ok(!existsSync(join(dir, 'hedgerow.db')));
  });

  it('answers a command line it does not understand with its usage and exit code 2', async () => {
    for (const args of [
      ['audit'],
      ['audit', 'check'],
      ['audit', 'verify', '--data', tmp, '--database', 'sqlite:/x.db'],
      ['audit', 'verify', '--expect-head', 'abc'],
      ['audit', 'verify', '--loud'],
    ]) {
      const run = await hedgerow(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /hedgerow audit verify \[--data DIR \| --database URL\]/);
    }
  });

  it('runs from the installed command, reading the store in HEDGEROW_DATA by default', async () => {
    const store = await openDatabase(`sqlite:${join(tmp, 'hedgerow.db')}`);
    try {
      const migrated = await migrate(store.db, storeMigrations.filter((m) => m.name.startsWith('001')));
      if (migrated.failed) throw migrated.failed.error;
      await new AuditLog(store).append({ actor: 'marjorie.wychwood', action: 'settings.change', subject: 'settings', after: { a: 1 } });
    } finally {
      await store.close();
    }
    const env: NodeJS.ProcessEnv = { ...process.env, HEDGEROW_DATA: tmp };
    delete env.HEDGEROW_DATABASE_URL;
    const result = spawnSync(process.execPath, [join(root, 'bin/hedgerow.js'), 'audit', 'verify'], { cwd: root, encoding: 'utf8', env, timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^OK .*: 1 entry, whole from seq 1 to 1$/m);
  });
});
