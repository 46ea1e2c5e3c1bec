import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Identifier, NetworkMap, PeopleStore, type DirectoryAnswer, type DirectoryAuthenticator, type IdentifierOptions } from '../../src/identity/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { databasePath, SqliteEventStore } from '../../src/store/index.ts';

const POLICY = { roles: ['pupil', 'guest', 'teacher', 'support-staff'], groups: ['year-4', 'year-6'], childRoles: ['pupil'] };
const NOW = Date.parse('2026-11-24T10:00:00Z');
const NETWORKS = [
  { name: 'school-wide', cidr: '10.20.0.0/16', role: 'pupil' },
  { name: 'staff room', cidr: '10.20.8.0/24', role: 'teacher' },
  { name: 'year 6 suite', cidr: '10.20.6.0/24', role: 'pupil', groups: ['year-6'] },
  { name: 'guest wi-fi', cidr: '192.0.2.0/24', role: 'guest' },
  { name: 'pupil v6', cidr: '2001:db8:20::/48', role: 'pupil' },
  { name: 'staff v6', cidr: '2001:db8:20:8::/64', role: 'teacher' },
];

interface Fixture {
  store: PeopleStore;
  identifier: Identifier;
  dir: string;
  clock: { now: number };
}

async function fixture(extra: Partial<IdentifierOptions> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-identity-'));
  const clock = { now: NOW };
  const store = PeopleStore.open(dir, { clock: () => clock.now });
  store.importRoster(
    'name,username,role,year group,date of birth\nArlo Puddingstone,arlo.puddingstone,pupil,Year 4,2017-09-12\nDesmond Nightingale,desmond.nightingale,teacher,,\n',
    { policy: POLICY, timeZone: 'Europe/London', now: NOW },
  );
  await store.setPassword('desmond.nightingale', 'Kingfisher-7');
  const identifier = new Identifier({
    people: store,
    networks: NETWORKS,
    unidentifiedRole: 'guest',
    timeZone: 'Europe/London',
    policy: POLICY,
    clock: () => clock.now,
    ...extra,
  });
  return { store, identifier, dir, clock };
}

function run(body: (f: Fixture) => Promise<void>, extra: Partial<IdentifierOptions> = {}): () => Promise<void> {
  return async () => {
    const f = await fixture(extra);
    try {
      await body(f);
    } finally {
      f.store.close();
      rmSync(f.dir, { recursive: true, force: true });
    }
  };
}

test('the most specific network wins: the staff room inside the school-wide pupil network is staff', () => {
  const map = new NetworkMap(NETWORKS);
  assert.equal(map.lookup('10.20.8.15')?.name, 'staff room');
  assert.equal(map.lookup('10.20.9.15')?.name, 'school-wide');
  assert.equal(map.lookup('10.20.6.200')?.name, 'year 6 suite');
  assert.equal(map.lookup('::ffff:10.20.8.15')?.name, 'staff room', 'IPv4-mapped IPv6 is the IPv4 address');
  assert.equal(map.lookup('10.21.0.1'), null);
  assert.equal(map.lookup('not an address'), null);
});

test('IPv6 networks map too, most specific first', () => {
  const map = new NetworkMap(NETWORKS);
  assert.equal(map.lookup('2001:db8:20:8::42')?.name, 'staff v6');
  assert.equal(map.lookup('2001:DB8:20:9::42')?.name, 'pupil v6');
  assert.equal(map.lookup('2001:db8:21::1'), null);
});

test('a network that cannot be read is refused with every bad entry named', () => {
  assert.throws(
    () => new NetworkMap([{ cidr: '10.0.0.0/33', role: 'pupil' }, { cidr: '10.0.0.0/8', role: 'pupil' }, { name: 'typo', cidr: '10.0.0/8', role: 'guest' }]),
    (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_INPUT' && /networks\[0\]: `10\.0\.0\.0\/33`, networks\[2\] \(typo\): `10\.0\.0\/8`/.test(e.message),
  );
});

test('an unidentified client on no known network gets the policy\'s unidentified role', run(async ({ identifier }) => {
  assert.deepEqual(await identifier.explain('198.51.100.7', null), { person: { role: 'guest' }, by: 'unidentified' });
  assert.deepEqual(await identifier.identify('10.20.6.9', null), { role: 'pupil', groups: ['year-6'] });
}));

test('a registered device beats the network it is on', run(async ({ identifier, store }) => {
  store.registerDevice('AA-BB-CC-00-11-22', 'arlo.puddingstone');
  const found = await identifier.explain('10.20.8.15', null, { device: 'aa:bb:cc:00:11:22' });
  assert.equal(found.by, 'device');
  assert.deepEqual(found.person, { id: 'arlo.puddingstone', role: 'pupil', groups: ['year-4'], age: 9 });
  const unknown = await identifier.explain('10.20.8.15', null, { device: 'aa:bb:cc:00:11:23' });
  assert.equal(unknown.by, 'network');
  assert.equal(unknown.person?.role, 'teacher');
}));

test('a device of a person who is no longer active identifies nobody', run(async ({ identifier, store }) => {
  store.registerDevice('pupil-laptop-17', 'arlo.puddingstone');
  store.setActive('arlo.puddingstone', false);
  assert.equal((await identifier.explain('192.0.2.10', null, { device: 'PUPIL-LAPTOP-17.' })).by, 'network');
}));

test('the right password gives the person, with the age on the day of the query', run(async ({ identifier, store }) => {
  const person = await identifier.identify('10.20.9.1', { username: 'Desmond.Nightingale', password: 'Kingfisher-7' });
  assert.deepEqual(person, { id: 'desmond.nightingale', role: 'teacher', groups: [] });
  await store.setPassword('arlo.puddingstone', 'Otter-Pebble-3');
  const before = await identifier.identify('10.20.9.1', { username: 'arlo.puddingstone', password: 'Otter-Pebble-3' }, { now: Date.parse('2027-09-11T12:00:00Z') });
  const after = await identifier.identify('10.20.9.1', { username: 'arlo.puddingstone', password: 'Otter-Pebble-3' }, { now: Date.parse('2027-09-12T00:00:00+01:00') });
  assert.equal(before?.age, 9);
  assert.equal(after?.age, 10);
}));

test('a wrong password or unknown user answers null (the proxy replies 407), never a network identity', run(async ({ identifier }) => {
  assert.equal(await identifier.identify('10.20.8.15', { username: 'desmond.nightingale', password: 'kingfisher-7' }), null);
  assert.equal(await identifier.identify('10.20.8.15', { username: 'nobody.here', password: 'Kingfisher-7' }), null);
  assert.equal(await identifier.identify('10.20.8.15', { username: 'desmond.nightingale', password: '' }), null);
  assert.equal(await identifier.identify('10.20.8.15', { username: 'arlo.puddingstone', password: 'anything' }), null, 'a person without a password cannot log in');
}));

test('repeated failures lock the username at that client address, then the lock expires', run(async ({ identifier, clock }) => {
  const right = { username: 'desmond.nightingale', password: 'Kingfisher-7' };
  for (let i = 0; i < 5; i++) assert.equal(await identifier.identify('10.20.8.15', { ...right, password: `guess-${i}` }), null);
  assert.equal(await identifier.identify('10.20.8.15', right), null, 'locked: even the right password is refused');
  assert.equal((await identifier.identify('10.20.8.16', right))?.id, 'desmond.nightingale', 'another client address is not locked');
  clock.now += 5 * 60_000;
  assert.equal((await identifier.identify('10.20.8.15', right))?.id, 'desmond.nightingale', 'the lock has expired');
}, { throttle: { maxFailures: 5, windowMs: 60_000, lockoutMs: 5 * 60_000 } }));

test('failures spread wider than the window do not lock', run(async ({ identifier, clock }) => {
  const right = { username: 'desmond.nightingale', password: 'Kingfisher-7' };
  for (let i = 0; i < 6; i++) {
    assert.equal(await identifier.identify('10.20.8.15', { ...right, password: `guess-${i}` }), null);
    clock.now += 30_000;
  }
  assert.equal((await identifier.identify('10.20.8.15', right))?.id, 'desmond.nightingale');
}, { throttle: { maxFailures: 3, windowMs: 60_000, lockoutMs: 60_000 } }));

let directoryCalls = 0;
const fakeDirectory: DirectoryAuthenticator = {
  async authenticate(username: string, password: string): Promise<DirectoryAnswer | null> {
    directoryCalls++;
    return username === 'mabel.foxglove' && password === 'Heron-Lake-9'
      ? { username: 'Mabel.Foxglove', displayName: 'Mabel Foxglove', role: 'pupil', yearGroup: 'Year 6', dateOfBirth: null, memberOf: [] }
      : null;
  },
};

test('confirmed credentials are cached for the TTL and asked again after it', run(async ({ identifier, clock }) => {
  directoryCalls = 0;
  const creds = { username: 'mabel.foxglove', password: 'Heron-Lake-9' };
  assert.deepEqual(await identifier.identify('10.20.6.3', creds), { id: 'mabel.foxglove', role: 'pupil', groups: ['year-6'] });
  clock.now += 59_000;
  assert.equal((await identifier.identify('10.20.6.3', creds))?.id, 'mabel.foxglove');
  assert.equal(directoryCalls, 1, 'the second answer came from the cache');
  assert.equal(await identifier.identify('10.20.6.3', { ...creds, password: 'Heron-Lake-8' }), null, 'another password is not a cache hit');
  assert.equal(directoryCalls, 2);
  clock.now += 2_000;
  assert.equal((await identifier.identify('10.20.6.3', creds))?.id, 'mabel.foxglove');
  assert.equal(directoryCalls, 3, 'after the TTL the directory is asked again');
}, { cacheTtlMs: 60_000, directory: fakeDirectory }));

const directoryErrors: unknown[] = [];
test('when the directory cannot be asked the client falls back to its device or network and the error is reported', run(async ({ identifier }) => {
  assert.deepEqual(await identifier.explain('10.20.8.15', { username: 'someone.else', password: 'x' }), { person: { role: 'teacher', groups: [] }, by: 'network' });
  assert.equal(directoryErrors.length, 1);
}, {
  directory: { authenticate: () => Promise.reject(new HedgerowError('HR_IDENTITY_DIRECTORY', 'ldap `ldap://127.0.0.1:1`: connect ECONNREFUSED')) },
  onDirectoryError: (e) => directoryErrors.push(e),
}));

test('the password is stored as a salted scrypt hash, never in clear', run(async ({ dir, store }) => {
  await store.setPassword('arlo.puddingstone', 'Kingfisher-7');
  const db = new Database(databasePath(dir), { readonly: true });
  const rows = db.prepare('SELECT password_hash FROM people WHERE password_hash IS NOT NULL ORDER BY username').all() as { password_hash: string }[];
  db.close();
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.match(row.password_hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.ok(!row.password_hash.includes('Kingfisher'));
  }
  assert.notEqual(rows[0]!.password_hash, rows[1]!.password_hash, 'one password, two salts, two hashes');
}));

test('the people tables live beside the decision log in one database, migrated under identity ids', run(async ({ dir }) => {
  const events = SqliteEventStore.open(databasePath(dir));
  events.close();
  const db = new Database(databasePath(dir), { readonly: true });
  const ids = (db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as { id: string }[]).map((r) => r.id);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  db.close();
  assert.ok(ids.includes('identity-001_people_devices'));
  assert.ok(ids.includes('001_decision_events'));
  for (const t of ['people', 'devices', 'decision_events']) assert.ok(tables.includes(t), t);
  const again = PeopleStore.open(dir);
  assert.equal(again.get('arlo.puddingstone')?.role, 'pupil');
  again.close();
}));

test('device names normalise: MAC spellings and hostnames with a trailing dot are one device', run(async ({ store }) => {
  assert.equal(store.registerDevice('AABB.CC00.1122', 'arlo.puddingstone'), 'aa:bb:cc:00:11:22');
  assert.equal(store.personForDevice('aa-bb-cc-00-11-22')?.username, 'arlo.puddingstone');
  assert.equal(store.registerDevice('Library-PC-3.school.example.', 'desmond.nightingale'), 'library-pc-3.school.example');
  assert.throws(() => store.registerDevice('bad device!', 'arlo.puddingstone'), /HR_IDENTITY_INPUT|device/);
  assert.throws(() => store.registerDevice('library-pc-4', 'nobody.here'), (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_UNKNOWN_PERSON');
}));
