// The override store on SQLite and on a real PostgreSQL: grants stored in the `grants` table and
// kept compiled in memory for the engine, current after every change and at each expiry, every
// change in the audit chain (7.1 curriculum grants; 8.5 approved requests).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { CatalogueBuilder } from '../../src/catalog/index.ts';
import { AuditLog, migrate, openDatabase, type DialectName, type StoreDatabase } from '../../src/db/index.ts';
import { PolicyEngine, type GrantSet, type Person } from '../../src/engine/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { OverrideStore, type OverrideTimers } from '../../src/overrides/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';

const pgMissing = postgresUnavailable();
const LESSON = Date.parse('2026-11-24T10:15:00Z');
const MINUTE = 60_000;

const { policy } = loadPolicy(fileURLToPath(new URL('../../examples/reference/school.yaml', import.meta.url)));
const builder = new CatalogueBuilder();
builder.add('social.example', ['hedgerow/social-networking'], 'test');
builder.add('games.example', ['hedgerow/games'], 'test');
const engine = new PolicyEngine({ policy: policy!, catalogue: builder.build() });
const pupil4n: Person = { id: 'arlo.puddingstone', role: 'pupil', groups: ['year-4', 'class-4n'] };
const pupil5m: Person = { id: 'nancy.tumbledown', role: 'pupil', groups: ['year-5', 'class-5m'] };

/** Timers the test fires by hand, after moving the clock. */
class ManualTimers implements OverrideTimers {
  pending: { callback: () => void; ms: number } | null = null;
  set(callback: () => void, ms: number): unknown {
    this.pending = { callback, ms };
    return this.pending;
  }
  clear(handle: unknown): void {
    if (this.pending === handle) this.pending = null;
  }
  fire(): void {
    const pending = this.pending;
    this.pending = null;
    pending?.callback();
  }
}

for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly DialectName[]) {
  describe(`override store on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let counter = 0;
    const open: StoreDatabase[] = [];
    const stores: OverrideStore[] = [];

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-overrides-'));
      if (dialect === 'postgres') server = await startPostgres();
    });
    after(async () => {
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });
    afterEach(async () => {
      for (const store of stores.splice(0)) store.close();
      await Promise.all(open.splice(0).map((db) => db.close()));
    });

    async function freshDatabase(): Promise<StoreDatabase> {
      counter += 1;
      const url = dialect === 'sqlite' ? `sqlite:${join(tmp, `overrides-${counter}.db`)}` : await server!.createDatabase(`overrides_${counter}`);
      const db = await openDatabase(url);
      open.push(db);
      const result = await migrate(db.db);
      assert.equal(result.failed, undefined);
      return db;
    }

    async function fresh(clock = { now: LESSON }, timers = new ManualTimers(), db?: StoreDatabase) {
      const store = db ?? (await freshDatabase());
      const audit = new AuditLog(store, { now: () => clock.now });
      const overrides = await OverrideStore.open({ store, audit, now: () => clock.now, timers });
      stores.push(overrides);
      return { store, audit, overrides, clock, timers };
    }

    const decide = (grants: GrantSet, person: Person, url: string, at: number) => engine.decide({ person, url, at, grants });

    it('a grant is in the compiled set the moment it is created, and the engine allows with it', async () => {
      const { overrides } = await fresh();
      assert.equal(decide(overrides.current(), pupil4n, 'https://social.example/', LESSON).action, 'block');
      const grant = await overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 50, reason: 'class blog' }, 'desmond.nightingale');
      const decision = decide(overrides.current(), pupil4n, 'https://social.example/', LESSON);
      assert.deepEqual([decision.action, decision.kind, decision.grant], ['allow', 'allow.grant', grant.id]);
      assert.match(decision.reason, /class blog/);
      assert.equal(decide(overrides.current(), pupil5m, 'https://social.example/', LESSON).action, 'block');
    });

    it('tells its listeners about every change with the new set', async () => {
      const { overrides } = await fresh();
      const heard: number[] = [];
      const stop = overrides.onChange((set) => heard.push(set.grants.length));
      const grant = await overrides.create({ scope: { roles: ['pupil'] }, what: { categories: ['games'] }, minutes: 10, reason: 'games club' }, 'marjorie.wychwood');
      await overrides.revoke(grant.id, 'marjorie.wychwood', 'club cancelled');
      stop();
      await overrides.create({ scope: { roles: ['pupil'] }, what: { categories: ['games'] }, minutes: 10, reason: 'after stop' }, 'marjorie.wychwood');
      assert.deepEqual(heard, [1, 0]);
    });

    it('drops a grant from the set at its expiry without anyone asking', async () => {
      const { overrides, clock, timers } = await fresh();
      await overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 30, reason: 'short' }, 'desmond.nightingale');
      await overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['games.example'] }, minutes: 90, reason: 'long' }, 'desmond.nightingale');
      assert.equal(timers.pending?.ms, 30 * MINUTE, 'the timer is set for the first expiry');
      clock.now = LESSON + 30 * MINUTE;
      timers.fire();
      assert.deepEqual(overrides.current().grants.map((g) => g.reason), ['long']);
      assert.equal(timers.pending?.ms, 60 * MINUTE, 'and then for the next one');
      clock.now = LESSON + 90 * MINUTE;
      timers.fire();
      assert.equal(overrides.current().grants.length, 0);
      assert.equal(timers.pending, null);
      const listed = await overrides.list({ state: 'all' });
      assert.deepEqual(listed.items.map((o) => o.state), ['expired', 'expired']);
    });

    it('a revoked grant leaves the set at once, and cannot be revoked twice', async () => {
      const { overrides } = await fresh();
      const grant = await overrides.create({ scope: { people: ['arlo.puddingstone'] }, what: { sites: ['social.example'] }, minutes: 30, reason: 'one pupil' }, 'marjorie.wychwood');
      const revoked = await overrides.revoke(grant.id, 'marjorie.wychwood', 'done');
      assert.equal(revoked.state, 'revoked');
      assert.equal(decide(overrides.current(), pupil4n, 'https://social.example/', LESSON).action, 'block');
      await assert.rejects(overrides.revoke(grant.id, 'marjorie.wychwood', 'again'), (e: HedgerowError) => e.code === 'HR_OVERRIDES_REVOKED');
      await assert.rejects(overrides.revoke('ovr-missing', 'marjorie.wychwood', 'x'), (e: HedgerowError) => e.code === 'HR_OVERRIDES_NOT_FOUND');
      await assert.rejects(overrides.revoke(grant.id, 'marjorie.wychwood', '  '), (e: HedgerowError) => e.code === 'HR_OVERRIDES_INPUT');
    });

    it('puts every grant and revocation in the audit chain, with before, after and the reason', async () => {
      const { overrides, audit } = await fresh();
      const grant = await overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 30, reason: 'project' }, 'desmond.nightingale');
      await overrides.revoke(grant.id, 'marjorie.wychwood', 'not needed');
      const entries = await audit.entries();
      assert.deepEqual(
        entries.map((e) => [e.actor, e.action, e.subject, e.reason]),
        [
          ['desmond.nightingale', 'override.grant', `override:${grant.id}`, 'project'],
          ['marjorie.wychwood', 'override.revoke', `override:${grant.id}`, 'not needed'],
        ],
      );
      assert.equal(entries[0]!.before, null);
      assert.equal((entries[1]!.before as { revokedAt: unknown }).revokedAt, null);
      assert.equal((entries[1]!.after as { revokedAt: unknown }).revokedAt, LESSON);
      assert.equal(await audit.verify(), null);
    });

    it('a grant that cannot be audited is not kept', async () => {
      const store = await freshDatabase();
      const failing = { append: async () => { throw new Error('audit unavailable'); } } as unknown as AuditLog;
      const overrides = await OverrideStore.open({ store, audit: failing, now: () => LESSON, timers: new ManualTimers() });
      stores.push(overrides);
      await assert.rejects(overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 30, reason: 'x' }, 'desmond.nightingale'), /audit unavailable/);
      assert.equal(await overrides.count(), 0);
      assert.equal(overrides.current().grants.length, 0);
    });

    it("another node's grants reach this node's set on refresh", async () => {
      const first = await fresh();
      const second = await fresh(first.clock, new ManualTimers(), first.store);
      await first.overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, minutes: 30, reason: 'made on node one' }, 'desmond.nightingale');
      assert.equal(second.overrides.current().grants.length, 0);
      await second.overrides.refresh();
      assert.deepEqual(second.overrides.current().grants.map((g) => g.reason), ['made on node one']);
      assert.equal(decide(second.overrides.current(), pupil4n, 'https://social.example/', LESSON).action, 'allow');
    });

    it('a grant starting later is listed as scheduled and allows only from its start', async () => {
      const { overrides } = await fresh();
      const later = await overrides.create({ scope: { groups: ['class-4n'] }, what: { sites: ['social.example'] }, from: LESSON + 60 * MINUTE, minutes: 60, reason: 'afternoon lesson' }, 'desmond.nightingale');
      assert.equal(later.state, 'scheduled');
      assert.equal(decide(overrides.current(), pupil4n, 'https://social.example/', LESSON).action, 'block');
      assert.equal(decide(overrides.current(), pupil4n, 'https://social.example/', LESSON + 61 * MINUTE).action, 'allow');
      assert.deepEqual((await overrides.list({ state: 'active' })).items.map((o) => o.id), [later.id]);
    });

    it('refuses a grant with no one, nothing, no end and no reason, naming each field', async () => {
      const { overrides } = await fresh();
      await assert.rejects(
        overrides.create({ scope: {}, what: {}, reason: '' }, 'desmond.nightingale'),
        (e: HedgerowError) => e.code === 'HR_OVERRIDES_INPUT' && /scope: .*what: .*reason: .*until: /.test(e.message),
      );
      await assert.rejects(
        overrides.create({ scope: { roles: ['pupil'] }, what: { sites: ['social.example'] }, until: LESSON - MINUTE, reason: 'past' }, 'desmond.nightingale'),
        (e: HedgerowError) => e.code === 'HR_OVERRIDES_INPUT' && e.where?.field === 'until',
      );
    });

    it('pages through all overrides newest first with the cursor, each once', async () => {
      const { overrides, clock } = await fresh();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        clock.now = LESSON + i * MINUTE;
        ids.push((await overrides.create({ scope: { roles: ['pupil'] }, what: { sites: [`site${i}.example`] }, minutes: 60, reason: `grant ${i}` }, 'marjorie.wychwood')).id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await overrides.list({ state: 'all', limit: 2, cursor });
        seen.push(...page.items.map((o) => o.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...ids].reverse());
      await assert.rejects(overrides.list({ cursor: 'bm90IGEgY3Vyc29y' }), (e: HedgerowError) => e.code === 'HR_OVERRIDES_INPUT');
    });
  });
}
