// The sealed quarantine on SQLite and on a real PostgreSQL: what the ICT officer sees before a
// challenge (never the content), the seal itself (wrong key, altered ciphertext or envelope),
// challenges by the parties only, audited reads, release, delete and retention.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { AuditLog, migrate, openDatabase, type StoreDatabase } from '../../src/db/index.ts';
import { HedgerowError, type ErrorCode } from '../../src/errors/index.ts';
import { KeyRing, parseQuarantineKey, Quarantine, quarantineKeyId, quarantineRoutes, addressesAtDomains } from '../../src/mail/quarantine/index.ts';
import type { MailEnvelope, MailVerdict } from '../../src/mail/index.ts';
import type { RouteContext, RouteSpec, SignedIn } from '../../src/api/index.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';

const pgMissing = postgresUnavailable();

const RAW = Buffer.from(
  'From: Ada Fernleigh <ada@school.example>\r\nTo: bo@blocked.example\r\nSubject: Class list\r\n\r\nNHS number 943 476 5919 for Poppy.\r\n',
);
const ENVELOPE: MailEnvelope = { mailFrom: 'ada@school.example', rcptTo: ['bo@blocked.example', 'cy@blocked.example'], direction: 'outbound', clientAddress: '192.0.2.10', heloName: 'laptop.school.example' };
const VERDICT: Pick<MailVerdict, 'action' | 'reasons' | 'signals'> = {
  action: 'reject',
  reasons: [{ text: 'an NHS number may not go to `blocked.example`: use the secure route', clause: 'email.security', rule: 'outbound.personal-data' }],
  signals: [{ name: 'nhs-number', weight: 10, description: 'an NHS number (mod 11 check)', clause: 'email.security', where: 'body', match: '…919' }],
};

async function rejects(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HedgerowError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('quarantine keys', () => {
  it('reads a 32-byte base64 key and refuses anything else with a clear message', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseQuarantineKey(key.toString('base64'), 'test'), key);
    assert.throws(() => parseQuarantineKey(randomBytes(16).toString('base64'), 'the test key'), /must be 32 bytes in base64.*it is 16 bytes/);
    assert.throws(() => parseQuarantineKey('not base64 at all!', 'the test key'), (e: unknown) => e instanceof HedgerowError && e.code === 'HR_MAIL_QUARANTINE_KEY');
  });

  it('reads the key from a key file and names keys by a digest, not the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-qkey-'));
    try {
      const key = randomBytes(32);
      writeFileSync(join(dir, 'quarantine.key'), `${key.toString('base64')}\n`);
      const ring = KeyRing.fromConfig({ keyFile: join(dir, 'quarantine.key') });
      assert.equal(ring.current.id, quarantineKeyId(key));
      assert.ok(!ring.current.id.includes(key.toString('hex').slice(0, 8)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seals with a fresh nonce each time, so the same message never gives the same ciphertext', () => {
    const ring = new KeyRing(randomBytes(32));
    const a = ring.seal(RAW, Buffer.from('aad'));
    const b = ring.seal(RAW, Buffer.from('aad'));
    assert.notDeepEqual(a.nonce, b.nonce);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
    assert.ok(!a.ciphertext.includes(Buffer.from('NHS number')));
    assert.deepEqual(ring.open(a, Buffer.from('aad'), 'test'), RAW);
  });
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`sealed quarantine on ${dialect}`, { skip: dialect === 'postgres' && pgMissing ? pgMissing : false }, () => {
    let server: TestPostgres | undefined;
    let tmp = '';
    let store: StoreDatabase;
    let audit: AuditLog;
    let clock = Date.UTC(2027, 0, 11, 9, 0, 0);
    const now = () => clock;
    const key = randomBytes(32);
    let quarantine: Quarantine;

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hedgerow-quarantine-'));
      if (dialect === 'postgres') server = await startPostgres();
      store = await openDatabase(dialect === 'sqlite' ? `sqlite:${join(tmp, 'store.db')}` : server!.url);
      const result = await migrate(store.db);
      assert.equal(result.failed, undefined, result.failed?.error.message);
      audit = new AuditLog(store, { now });
      quarantine = new Quarantine({ store, audit, keys: new KeyRing(key), now });
    });
    after(async () => {
      await store?.close();
      await server?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('shows the envelope, signals and reasons to the officer but never the content', async () => {
      const { id } = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      const summary = await quarantine.get(id);
      assert.equal(summary.mailFrom, 'ada@school.example');
      assert.deepEqual(summary.rcptTo, ['bo@blocked.example', 'cy@blocked.example']);
      assert.equal(summary.clientAddress, '192.0.2.10');
      assert.equal(summary.signals[0]!.match, '…919');
      assert.equal(summary.reasons[0]!.clause, 'email.security');
      assert.equal(summary.status, 'held');
      assert.equal(summary.size, RAW.length);
      assert.ok(!JSON.stringify(summary).includes('Poppy'));
      const listed = await quarantine.list();
      assert.ok(listed.items.some((item) => item.id === id));
      assert.ok(!JSON.stringify(listed).includes('Class list'));
      // nor is it anywhere in the database in the clear
      const row = await sql<{ content: string }>`select content from quarantine where id = ${id}`.execute(store.db);
      assert.ok(!Buffer.from(row.rows[0]!.content, 'base64').includes(Buffer.from('Poppy')));
    });

    it('refuses to open the content before the sender or a recipient challenges', async () => {
      const { id } = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      await rejects(quarantine.readContent(id, { actor: 'ict.officer' }), 'HR_MAIL_QUARANTINE_SEALED', /stays sealed: neither its sender nor a recipient has challenged/);
    });

    it('accepts a challenge only from the sender or a recipient', async () => {
      const { id } = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      await rejects(quarantine.challenge(id, { actor: 'eve', address: 'eve@school.example', reason: 'curious' }), 'HR_MAIL_QUARANTINE_NOT_PARTY');
      const bySender = await quarantine.challenge(id, { actor: 'ada', address: 'ADA@school.example', reason: 'the number is a made-up example' });
      assert.equal(bySender.party, 'sender');
      const byRecipient = await quarantine.challenge(id, { actor: 'cy', address: 'cy@blocked.example', reason: 'I am the school nurse' });
      assert.equal(byRecipient.party, 'recipient');
      assert.equal((await quarantine.get(id)).challenges.length, 2);
    });

    it('opens the content after a challenge, the same bytes, and audits who read it, when and on which challenge', async () => {
      const { id } = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      clock += 60_000;
      const challenge = await quarantine.challenge(id, { actor: 'ada', address: 'ada@school.example', reason: 'the data is needed by the hospital school' });
      clock += 60_000;
      const opened = await quarantine.readContent(id, { actor: 'ict.officer', challengeId: challenge.id });
      assert.deepEqual(opened.raw, RAW);
      assert.equal(opened.challenge.id, challenge.id);
      const entries = (await audit.entries({ limit: 10_000 })).filter((e) => e.subject === `quarantine:${id}`);
      assert.deepEqual(entries.map((e) => [e.action, e.actor]), [
        ['quarantine.challenge', 'ada'],
        ['quarantine.read-content', 'ict.officer'],
      ]);
      const read = entries[1]!;
      assert.equal(read.at, clock);
      assert.deepEqual(read.after, { challenge: challenge.id, challengedBy: 'ada', party: 'sender', size: RAW.length });
      assert.equal(await audit.verify(), null);
    });

    it('refuses to open with a key that is not the one it was sealed with', async () => {
      const { id } = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      await quarantine.challenge(id, { actor: 'ada', address: 'ada@school.example', reason: 'check it' });
      const otherKey = new Quarantine({ store, audit, keys: new KeyRing(randomBytes(32)), now });
      await rejects(otherKey.readContent(id, { actor: 'ict.officer' }), 'HR_MAIL_QUARANTINE_KEY', /was sealed with key `k-[0-9a-f]{16}`, which is not configured/);
      // a wrong key filed under the right id fails the integrity check instead of giving garbage
      const mislabelled = new Quarantine({ store, audit, keys: new KeyRing(randomBytes(32), [{ id: quarantineKeyId(key), key: randomBytes(32) }]), now });
      await rejects(mislabelled.readContent(id, { actor: 'ict.officer' }), 'HR_MAIL_QUARANTINE_TAMPERED');
      // after a rotation the earlier key still opens what it sealed
      const rotated = new Quarantine({ store, audit, keys: new KeyRing(randomBytes(32), [{ key }]), now });
      assert.deepEqual((await rotated.readContent(id, { actor: 'ict.officer' })).raw, RAW);
    });

    it('detects an altered ciphertext and an altered envelope', async () => {
      const first = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      await quarantine.challenge(first.id, { actor: 'ada', address: 'ada@school.example', reason: 'check it' });
      const row = await sql<{ content: string }>`select content from quarantine where id = ${first.id}`.execute(store.db);
      const bytes = Buffer.from(row.rows[0]!.content, 'base64');
      bytes[5] = bytes[5]! ^ 0x01;
      await sql`update quarantine set content = ${bytes.toString('base64')} where id = ${first.id}`.execute(store.db);
      await rejects(quarantine.readContent(first.id, { actor: 'ict.officer' }), 'HR_MAIL_QUARANTINE_TAMPERED', /failed its integrity check/);

      const second = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      await quarantine.challenge(second.id, { actor: 'ada', address: 'ada@school.example', reason: 'check it' });
      // redirecting the release to another address must not go unnoticed
      await sql`update quarantine set rcpt_to = ${JSON.stringify(['mallory@blocked.example'])} where id = ${second.id}`.execute(store.db);
      await rejects(quarantine.readContent(second.id, { actor: 'ict.officer' }), 'HR_MAIL_QUARANTINE_TAMPERED');
      await rejects(quarantine.release(second.id, { actor: 'ict.officer', reason: 'looks fine' }, async () => assert.fail('must not deliver')), 'HR_MAIL_QUARANTINE_TAMPERED');
    });

    it('releases a held message to its original envelope, wipes the content and audits it', async () => {
      const { id } = await quarantine.hold({ mode: 'after-queue', envelope: { ...ENVELOPE, direction: 'inbound' }, verdict: VERDICT, raw: RAW });
      const delivered: Array<{ envelope: { from: string; to: string[] }; raw: Buffer }> = [];
      const released = await quarantine.release(id, { actor: 'ict.officer', reason: 'false positive' }, async (envelope, raw) => {
        delivered.push({ envelope, raw });
      });
      assert.equal(released.status, 'released');
      assert.equal(released.closedBy, 'ict.officer');
      assert.deepEqual(delivered, [{ envelope: { from: 'ada@school.example', to: ['bo@blocked.example', 'cy@blocked.example'] }, raw: RAW }]);
      await rejects(quarantine.release(id, { actor: 'ict.officer', reason: 'again' }, async () => undefined), 'HR_MAIL_QUARANTINE_STATE');
      const last = (await audit.entries({ limit: 10_000 })).filter((e) => e.subject === `quarantine:${id}`).at(-1)!;
      assert.equal(last.action, 'quarantine.release');
      assert.equal(last.reason, 'false positive');
    });

    it('keeps a message held when its release cannot be delivered', async () => {
      const { id } = await quarantine.hold({ mode: 'after-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      await assert.rejects(quarantine.release(id, { actor: 'ict.officer', reason: 'false positive' }, () => Promise.reject(new Error('relay down'))), /relay down/);
      assert.equal((await quarantine.get(id)).status, 'held');
    });

    it('deletes the content of a held message so nobody can read it afterwards', async () => {
      const { id } = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      await quarantine.challenge(id, { actor: 'bo', address: 'bo@blocked.example', reason: 'please check' });
      const deleted = await quarantine.delete(id, { actor: 'ict.officer', reason: 'sender agreed it should not go' });
      assert.equal(deleted.status, 'deleted');
      await rejects(quarantine.readContent(id, { actor: 'ict.officer' }), 'HR_MAIL_QUARANTINE_NOT_FOUND', /was deleted/);
    });

    it('purges records older than the retention period and keeps newer ones', async () => {
      const old = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      await quarantine.challenge(old.id, { actor: 'ada', address: 'ada@school.example', reason: 'old one' });
      clock += 31 * 24 * 3600_000;
      const recent = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
      const removed = await quarantine.purgeExpired(30 * 24 * 3600_000);
      assert.ok(removed >= 1);
      await rejects(quarantine.get(old.id), 'HR_MAIL_QUARANTINE_NOT_FOUND');
      assert.equal((await quarantine.get(recent.id)).status, 'held');
      assert.equal(await audit.verify(), null);
    });

    it('pages the list newest first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        clock += 1000;
        ids.push((await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW })).id);
      }
      const first = await quarantine.list({ limit: 2 });
      assert.deepEqual(first.items.map((i) => i.id), [ids[2], ids[1]]);
      const second = await quarantine.list({ limit: 2, cursor: first.nextCursor });
      assert.equal(second.items[0]!.id, ids[0]);
    });

    describe('quarantine routes', () => {
      const account = (username: string, role = 'staff'): SignedIn => ({ accountId: username, username, displayName: username, role, groups: [], sessionId: 's' });
      const delivered: Array<{ from: string; to: string[] }> = [];
      let routes: RouteSpec[];
      const route = (method: string, url: string) => routes.find((r) => r.method === method && r.url === url)!;
      const call = (spec: RouteSpec, who: SignedIn, parts: { params?: unknown; query?: unknown; body?: unknown }) =>
        Promise.resolve(spec.handler({ account: who, params: parts.params ?? {}, query: parts.query ?? {}, body: parts.body ?? {}, can: () => true } as unknown as RouteContext));

      before(() => {
        routes = quarantineRoutes({
          quarantine,
          addressesOf: addressesAtDomains(() => ['school.example']),
          reinject: async (envelope) => {
            delivered.push(envelope);
          },
        });
      });

      it('names one action per route: read, challenge, read-content and release', () => {
        assert.deepEqual(
          routes.map((r) => `${r.method} ${r.url} ${r.action}`),
          [
            'GET /api/quarantine quarantine.read',
            'GET /api/quarantine/:id quarantine.read',
            'POST /api/quarantine/:id/challenge quarantine.challenge',
            'GET /api/quarantine/:id/content quarantine.read-content',
            'POST /api/quarantine/:id/release quarantine.release',
            'DELETE /api/quarantine/:id quarantine.release',
          ],
        );
      });

      it('lets the sender challenge through the API as their own address, and nobody else', async () => {
        const { id } = await quarantine.hold({ mode: 'before-queue', envelope: ENVELOPE, verdict: VERDICT, raw: RAW });
        await rejects(call(route('POST', '/api/quarantine/:id/challenge'), account('eve'), { params: { id }, body: { reason: 'let me see' } }), 'HR_MAIL_QUARANTINE_NOT_PARTY');
        // naming someone else's address does not help
        await rejects(call(route('POST', '/api/quarantine/:id/challenge'), account('eve'), { params: { id }, body: { reason: 'let me see', address: 'ada@school.example' } }), 'HR_MAIL_QUARANTINE_NOT_PARTY');
        await rejects(call(route('GET', '/api/quarantine/:id/content'), account('ict.officer', 'ict'), { params: { id } }), 'HR_MAIL_QUARANTINE_SEALED');
        const challenge = (await call(route('POST', '/api/quarantine/:id/challenge'), account('ada'), { params: { id }, body: { reason: 'it is a test number' } })) as { party: string; address: string };
        assert.equal(challenge.party, 'sender');
        assert.equal(challenge.address, 'ada@school.example');
        const content = (await call(route('GET', '/api/quarantine/:id/content'), account('ict.officer', 'ict'), { params: { id } })) as { content: string };
        assert.equal(content.content, RAW.toString('utf8'));
        await call(route('POST', '/api/quarantine/:id/release'), account('ict.officer', 'ict'), { params: { id }, body: { reason: 'test number' } });
        assert.deepEqual(delivered.at(-1), { from: 'ada@school.example', to: ['bo@blocked.example', 'cy@blocked.example'] });
      });
    });
  });
}
