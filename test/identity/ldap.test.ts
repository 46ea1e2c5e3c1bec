// Proxy authentication against a real OpenLDAP server (Debian's slapd, started for these tests on
// 127.0.0.1 and a free port). Skipped only when slapd is not installed and CI is not set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeDnValue, escapeFilterValue, Identifier, LdapAuthenticator, PeopleStore, type LdapOptions } from '../../src/identity/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';
import { slapdUnavailable, startSlapd, SUFFIX, type Slapd, type TestGroup, type TestPerson } from './slapd.ts';

const PEOPLE: TestPerson[] = [
  { uid: 'amelia.tern', cn: 'Amelia Tern', password: 'Sparrow-Hawk-1' },
  { uid: 'jonah.birchwood', cn: 'Jonah Birchwood', password: 'Curlew-Moss-2' },
  { uid: 'ben.wheatear', cn: 'Ben Wheatear', password: 'Otter-Pebble-3', yearGroup: 'Year 4', employeeType: 'Pupil' },
  { uid: 'nell.dunnock', cn: 'Nell Dunnock', password: 'Vole-Bramble-4' },
];
const GROUPS: TestGroup[] = [
  { cn: 'teachers', members: ['amelia.tern', 'jonah.birchwood'] },
  { cn: 'esafety', members: ['jonah.birchwood'] },
];
const POLICY = { roles: ['pupil', 'guest', 'teacher', 'esafety-team'], groups: ['year-4', 'year-5'] };
const dn = (uid: string): string => `uid=${uid},ou=people,${SUFFIX}`;

const skip = slapdUnavailable();

test('LDAP escaping follows RFC 4514 for DNs and RFC 4515 for filters', () => {
  assert.equal(escapeDnValue('ben,ou=admins'), 'ben\\,ou\\=admins');
  assert.equal(escapeDnValue('#lead space '), '\\#lead space\\ ');
  assert.equal(escapeDnValue(' x+y"<>;\\'), '\\ x\\+y\\"\\<\\>\\;\\\\');
  assert.equal(escapeDnValue('nul\u0000'), 'nul\\00');
  assert.equal(escapeFilterValue('ben*)(uid=*'), 'ben\\2a\\29\\28uid=\\2a');
  assert.equal(escapeFilterValue('a\\b\u0000'), 'a\\5cb\\00');
  assert.equal(escapeFilterValue('Zoë'), 'Zoë');
});

describe('LDAP authentication against a real slapd', { skip: skip ?? false }, () => {
  let slapd: Slapd;
  const base: LdapOptions = {
    url: '',
    bindDnTemplate: `uid={username},ou=people,${SUFFIX}`,
    timeoutMs: 5000,
    attributes: { yearGroup: 'departmentNumber', role: 'employeeType' },
    roleValues: { Pupil: 'pupil' },
    groupRoles: [
      { group: `cn=esafety,ou=groups,${SUFFIX}`, role: 'esafety-team' },
      { group: `CN=Teachers, OU=Groups, ${SUFFIX.toUpperCase()}`, role: 'teacher' },
    ],
  };
  const searchMode = (): LdapOptions => ({
    ...base,
    url: slapd.url,
    bindDnTemplate: undefined,
    searchBase: `ou=people,${SUFFIX}`,
    searchFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
    serviceDn: `cn=hedgerow,${SUFFIX}`,
    servicePassword: 'service-test-secret',
  });

  before(async () => {
    slapd = await startSlapd(PEOPLE, GROUPS);
    base.url = slapd.url;
  });
  after(async () => {
    await slapd?.stop();
  });

  test('a right password binds and the group mapping gives the role (first listed group wins)', async () => {
    const ldap = new LdapAuthenticator(base);
    const amelia = await ldap.authenticate('amelia.tern', 'Sparrow-Hawk-1');
    assert.equal(amelia?.username, 'amelia.tern');
    assert.equal(amelia?.displayName, 'Amelia Tern');
    assert.equal(amelia?.role, 'teacher');
    const jonah = await ldap.authenticate('jonah.birchwood', 'Curlew-Moss-2');
    assert.equal(jonah?.role, 'esafety-team', 'in both groups: the esafety group is listed first');
  });

  test('the role attribute and the year group attribute are read when no group maps', async () => {
    const ben = await new LdapAuthenticator(base).authenticate('Ben.Wheatear', 'Otter-Pebble-3');
    assert.deepEqual({ ...ben, memberOf: undefined }, {
      username: 'ben.wheatear',
      displayName: 'Ben Wheatear',
      role: 'pupil',
      yearGroup: 'Year 4',
      dateOfBirth: null,
      memberOf: undefined,
    });
    const nell = await new LdapAuthenticator(base).authenticate('nell.dunnock', 'Vole-Bramble-4');
    assert.equal(nell?.role, null);
  });

  test('a wrong password, an unknown user and an empty password all fail', async () => {
    const ldap = new LdapAuthenticator(base);
    assert.equal(await ldap.authenticate('amelia.tern', 'sparrow-hawk-1'), null);
    assert.equal(await ldap.authenticate('nobody.here', 'Sparrow-Hawk-1'), null);
    assert.equal(await ldap.authenticate('amelia.tern', ''), null);
  });

  test('an empty password never reaches the directory (it would be an anonymous bind)', async () => {
    const before = await slapd.bindCount(dn('nell.dunnock'));
    assert.equal(await new LdapAuthenticator(base).authenticate('nell.dunnock', ''), null);
    assert.equal(await slapd.bindCount(dn('nell.dunnock')), before);
  });

  test('a service account finds the person by search and the person\'s own bind proves the password', async () => {
    const ldap = new LdapAuthenticator(searchMode());
    const ben = await ldap.authenticate('ben.wheatear', 'Otter-Pebble-3');
    assert.equal(ben?.role, 'pupil');
    assert.equal(await ldap.authenticate('ben.wheatear', 'Otter-Pebble-4'), null);
  });

  test('filter injection fails: `ben*` and `*)(uid=*` with a real password do not log anyone in', async () => {
    const ldap = new LdapAuthenticator(searchMode());
    // unescaped, `(uid=ben*)` matches exactly ben.wheatear and his password would bind
    assert.equal(await ldap.authenticate('ben*', 'Otter-Pebble-3'), null);
    assert.equal(await ldap.authenticate('*', 'Otter-Pebble-3'), null);
    assert.equal(await ldap.authenticate('nobody)(uid=ben.wheatear', 'Otter-Pebble-3'), null);
    assert.equal(await ldap.authenticate('*)(|(uid=ben.wheatear)', 'Otter-Pebble-3'), null);
    assert.equal((await ldap.authenticate('ben.wheatear', 'Otter-Pebble-3'))?.username, 'ben.wheatear', 'the real username still works');
  });

  test('DN injection fails: a username carrying `,ou=people` does not bind as that person', async () => {
    const ldap = new LdapAuthenticator({ ...base, bindDnTemplate: `uid={username},${SUFFIX}` });
    // unescaped this DN would be uid=ben.wheatear,ou=people,dc=example,dc=org: Ben's own entry
    assert.equal(await ldap.authenticate('ben.wheatear,ou=people', 'Otter-Pebble-3'), null);
  });

  test('a wrong service account password is a directory error, not a wrong user password', async () => {
    const ldap = new LdapAuthenticator({ ...searchMode(), servicePassword: 'wrong' });
    await assert.rejects(ldap.authenticate('ben.wheatear', 'Otter-Pebble-3'), (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_DIRECTORY');
  });

  test('the Identifier stores a directory person with source ldap, maps the year group, and caches the bind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-ldap-'));
    const store = PeopleStore.open(dir);
    try {
      const clock = { now: Date.parse('2026-11-24T10:00:00Z') };
      const identifier = new Identifier({
        people: store,
        unidentifiedRole: 'guest',
        timeZone: 'Europe/London',
        policy: POLICY,
        directory: new LdapAuthenticator(base),
        cacheTtlMs: 60_000,
        clock: () => clock.now,
      });
      const creds = { username: 'ben.wheatear', password: 'Otter-Pebble-3' };
      const binds = await slapd.bindCount(dn('ben.wheatear'));
      assert.deepEqual(await identifier.identify('192.0.2.10', creds), { id: 'ben.wheatear', role: 'pupil', groups: ['year-4'] });
      assert.equal(store.get('ben.wheatear')?.source, 'ldap');
      assert.equal(await slapd.bindCount(dn('ben.wheatear')), binds + 1);
      clock.now += 30_000;
      assert.equal((await identifier.identify('192.0.2.10', creds))?.id, 'ben.wheatear');
      assert.equal(await slapd.bindCount(dn('ben.wheatear')), binds + 1, 'answered from the cache: slapd saw no second bind');
      clock.now += 31_000;
      assert.equal((await identifier.identify('192.0.2.10', creds))?.id, 'ben.wheatear');
      assert.equal(await slapd.bindCount(dn('ben.wheatear')), binds + 2, 'after the TTL the directory is asked again');
      assert.equal(await identifier.identify('192.0.2.10', { ...creds, password: 'Otter-Pebble-0' }), null, 'wrong password: 407');
      const nell = await identifier.identify('192.0.2.10', { username: 'nell.dunnock', password: 'Vole-Bramble-4' });
      assert.deepEqual(nell, { id: 'nell.dunnock', role: 'guest', groups: [] }, 'no role in the directory: the unidentified role');
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with slapd stopped, a cached login still answers within the TTL; after it the client falls back to its network', async () => {
    const own = await startSlapd(PEOPLE, GROUPS);
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-ldap-'));
    const store = PeopleStore.open(dir);
    try {
      const clock = { now: Date.parse('2026-11-24T10:00:00Z') };
      const errors: unknown[] = [];
      const identifier = new Identifier({
        people: store,
        networks: [{ cidr: '192.0.2.0/24', role: 'guest' }],
        unidentifiedRole: 'guest',
        timeZone: 'Europe/London',
        policy: POLICY,
        directory: new LdapAuthenticator({ ...base, url: own.url, timeoutMs: 2000 }),
        cacheTtlMs: 60_000,
        clock: () => clock.now,
        onDirectoryError: (e) => errors.push(e),
      });
      const creds = { username: 'amelia.tern', password: 'Sparrow-Hawk-1' };
      assert.equal((await identifier.identify('192.0.2.10', creds))?.role, 'teacher');
      await own.stop();
      clock.now += 59_000;
      assert.equal((await identifier.identify('192.0.2.10', creds))?.role, 'teacher', 'cached');
      assert.equal(errors.length, 0);
      clock.now += 2_000;
      const fallback = await identifier.explain('192.0.2.10', creds);
      assert.deepEqual(fallback, { person: { role: 'guest', groups: [] }, by: 'network' });
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof HedgerowError && errors[0].code === 'HR_IDENTITY_DIRECTORY');
    } finally {
      await own.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
