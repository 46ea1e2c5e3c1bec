// The block page's signed ticket: what the page knew comes back unchanged; a changed, forged,
// foreign or old ticket is refused with the reason; the key lives in the data folder.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BlockTickets, TICKET_KEY_FILE, type BlockTicketFields } from '../../src/cases/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { DAY, LESSON } from './fixture.ts';

const KEY = 'a'.repeat(64);
const fields: BlockTicketFields = {
  eventId: '5f0c6d1e-0000-4000-8000-000000000001',
  person: 'arlo.puddingstone',
  role: 'pupil',
  groups: ['year-4', 'class-4n'],
  url: 'http://blocked.example/page?q=1',
  host: 'blocked.example',
  categories: ['social-networking'],
  clauses: ['8.1'],
  at: LESSON,
};

describe('block-page tickets', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('gives back exactly what the page signed, until it expires after 24 hours', () => {
    const clock = { now: LESSON };
    const tickets = new BlockTickets({ secret: KEY, now: () => clock.now });
    const token = tickets.sign(fields);
    assert.match(token, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.deepEqual(tickets.verify(token), { ok: true, ticket: { ...fields, groups: [...fields.groups], categories: [...fields.categories], clauses: [...fields.clauses], expiresAt: LESSON + DAY } });
    clock.now = LESSON + DAY - 1;
    assert.equal(tickets.verify(token).ok, true);
    clock.now = LESSON + DAY;
    assert.deepEqual(tickets.verify(token), { ok: false, reason: 'expired' });
  });

  it('refuses a ticket whose content was changed, even by one character (forged)', () => {
    const tickets = new BlockTickets({ secret: KEY, now: () => LESSON });
    const [version, payload, mac] = tickets.sign(fields).split('.') as [string, string, string];
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const changed = Buffer.from(JSON.stringify({ ...body, p: 'marjorie.wychwood', r: 'headteacher' })).toString('base64url');
    assert.deepEqual(tickets.verify(`${version}.${changed}.${mac}`), { ok: false, reason: 'forged' });
    const flipped = (mac.startsWith('A') ? 'B' : 'A') + mac.slice(1);
    assert.deepEqual(tickets.verify(`${version}.${payload}.${flipped}`), { ok: false, reason: 'forged' });
    // the last character of a 32-byte MAC carries two spare bits: another spelling of the same bytes
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac.at(-1)!) ^ 1];
    assert.deepEqual(Buffer.from(respelled, 'base64url'), Buffer.from(mac, 'base64url'));
    assert.deepEqual(tickets.verify(`${version}.${payload}.${respelled}`), { ok: false, reason: 'forged' });
  });

  it('refuses a ticket signed with another key', () => {
    const other = new BlockTickets({ secret: 'b'.repeat(64), now: () => LESSON });
    const tickets = new BlockTickets({ secret: KEY, now: () => LESSON });
    assert.deepEqual(tickets.verify(other.sign(fields)), { ok: false, reason: 'forged' });
  });

  it('refuses what is not a ticket at all, without throwing', () => {
    const tickets = new BlockTickets({ secret: KEY, now: () => LESSON });
    for (const junk of ['', 'v1', 'v1..', 'v2.abc.def', 'v1.!!!.???', 'x'.repeat(9000), 'v1.abc.def.ghi']) {
      const check = tickets.verify(junk);
      assert.equal(check.ok, false, junk.slice(0, 20));
    }
  });

  it('cuts what it signs to the field limits, so a ticket stays small', () => {
    const tickets = new BlockTickets({ secret: KEY, now: () => LESSON });
    const long = tickets.sign({ ...fields, url: `http://blocked.example/${'a'.repeat(50_000)}`, groups: Array.from({ length: 100 }, (_, i) => `g${i}`) });
    const check = tickets.verify(long);
    assert.ok(check.ok);
    assert.equal(check.ticket.url.length, 2048);
    assert.equal(check.ticket.groups.length, 20);
    assert.ok(long.length < 4000, `${long.length} characters`);
  });

  it('keeps its key in the data folder, readable by its owner only, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-ticket-'));
    dirs.push(dir);
    const first = BlockTickets.open(dir, { now: () => LESSON });
    const token = first.sign(fields);
    const file = join(dir, TICKET_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal(BlockTickets.open(dir, { now: () => LESSON }).verify(token).ok, true, 'a restart keeps the tickets on open pages valid');
  });

  it('refuses a short or damaged key with HR_REQUESTS_TICKET_KEY', () => {
    assert.throws(() => new BlockTickets({ secret: 'short' }), (e: HedgerowError) => e.code === 'HR_REQUESTS_TICKET_KEY');
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-ticket-'));
    dirs.push(dir);
    writeFileSync(join(dir, TICKET_KEY_FILE), 'not hex\n');
    assert.throws(() => BlockTickets.open(dir), (e: HedgerowError) => e.code === 'HR_REQUESTS_TICKET_KEY');
  });
});
