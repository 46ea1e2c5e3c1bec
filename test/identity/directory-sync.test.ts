// The directory sync against a real OpenLDAP server (Debian's slapd on 127.0.0.1 and a free
// port): every person is listed page by page as the service account, read as a sign-in reads
// them, and applied to a real people store. Skipped only when slapd is not installed and CI is
// not set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HedgerowError } from '../../src/errors/index.ts';
import {
  directorySyncFilter,
  directorySyncProblem,
  Identifier,
  LdapAuthenticator,
  PeopleStore,
  syncDirectory,
  type LdapOptions,
  type PersonRecord,
} from '../../src/identity/index.ts';
import { personDn, slapdUnavailable, startSlapd, SUFFIX, type Slapd, type TestGroup, type TestPerson } from './slapd.ts';

const NOW = Date.parse('2026-11-24T10:00:00Z');
const POLICY = { roles: ['pupil', 'guest', 'teacher', 'esafety-team'], groups: ['year-4', 'year-5'] };
const ROSTER_POLICY = { roles: POLICY.roles, groups: POLICY.groups, childRoles: ['pupil'] };

const AMELIA: TestPerson = { uid: 'amelia.tern', cn: 'Amelia Tern', password: 'Sparrow-Hawk-1' };
const JONAH: TestPerson = { uid: 'jonah.birchwood', cn: 'Jonah Birchwood', password: 'Curlew-Moss-2' };
const BEN: TestPerson = { uid: 'ben.wheatear', cn: 'Ben Wheatear', password: 'Otter-Pebble-3', yearGroup: 'Year 4', employeeType: 'Pupil' };
const TILLY: TestPerson = { uid: 'tilly.marram', cn: 'Tilly Marram', password: 'Heron-Reed-5', yearGroup: '5', employeeType: 'Pupil' };
const NELL: TestPerson = { uid: 'nell.dunnock', cn: 'Nell Dunnock', password: 'Vole-Bramble-4' };
// parentheses in the DN: unescaped in the group filter they would end the assertion early
const ROWAN: TestPerson = { uid: 'rowan.ash', rdn: 'cn=Rowan Ash (Y5)', cn: 'Rowan Ash', password: 'Wren-Thicket-6' };
const SPEAKER: TestPerson = { uid: '', rdn: 'cn=Visiting Speaker', omitUid: true, cn: 'Visiting Speaker', password: 'Not-A-Login-7' };
const KIOSK: TestPerson = { uid: 'kiosk$', cn: 'Library Kiosk', password: 'Not-A-Login-8' };

const PEOPLE = [AMELIA, JONAH, BEN, TILLY, NELL, ROWAN, SPEAKER, KIOSK];
const GROUPS: TestGroup[] = [
  { cn: 'teachers', members: ['amelia.tern', 'jonah.birchwood', 'rowan.ash'] },
  { cn: 'esafety', members: ['jonah.birchwood'] },
];
const SYNC_FILTER = '(objectClass=inetOrgPerson)';

const skip = slapdUnavailable();

function options(url: string): LdapOptions {
  return {
    url,
    searchBase: `ou=people,${SUFFIX}`,
    searchFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
    syncFilter: SYNC_FILTER,
    serviceDn: `cn=hedgerow,${SUFFIX}`,
    servicePassword: 'service-test-secret',
    groupSearchBase: `ou=groups,${SUFFIX}`,
    timeoutMs: 5000,
    attributes: { yearGroup: 'departmentNumber', role: 'employeeType' },
    roleValues: { Pupil: 'pupil' },
    groupRoles: [
      { group: `cn=esafety,ou=groups,${SUFFIX}`, role: 'esafety-team' },
      { group: `cn=teachers,ou=groups,${SUFFIX}`, role: 'teacher' },
    ],
  };
}

/** A fresh people store with one roster pupil and one person added by hand. */
function storeWithOthers(dir: string): PeopleStore {
  const store = PeopleStore.open(dir, { clock: () => NOW });
  const roster = store.importRoster('name,username,role,year group,date of birth\nPip Quayside,pip.quayside,pupil,Year 5,2016-04-02\n', {
    policy: ROSTER_POLICY,
    timeZone: 'Europe/London',
    now: NOW,
  });
  assert.deepEqual(roster.problems, []);
  store.add({ username: 'olive.stonechat', displayName: 'Olive Stonechat', role: 'teacher' });
  return store;
}

const sync = (store: PeopleStore, ldap: LdapOptions, extra: Partial<Parameters<typeof syncDirectory>[2]> = {}) =>
  syncDirectory(store, ldap, { fallbackRole: 'guest', policy: POLICY, ...extra });

function summary(p: PersonRecord | null): unknown {
  return p && { role: p.role, groups: p.groups, displayName: p.displayName, source: p.source, active: p.active };
}

function inTemp(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-sync-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('the sync filter is `syncFilter`, else the sign-in filter with `{username}` as the wildcard', () => {
  const base = { url: 'ldap://127.0.0.1:1', searchBase: `ou=people,${SUFFIX}` };
  assert.equal(directorySyncFilter({ ...base, searchFilter: '(&(objectClass=person)(sAMAccountName={username}))' }), '(&(objectClass=person)(sAMAccountName=*))');
  assert.equal(directorySyncFilter({ ...base, searchFilter: '(uid={username})', syncFilter: '(objectClass=inetOrgPerson)' }), '(objectClass=inetOrgPerson)');
  assert.match(directorySyncProblem({ url: base.url, searchFilter: '(uid={username})' }) ?? '', /needs `searchBase`/);
  assert.match(directorySyncProblem({ ...base, bindDnTemplate: 'uid={username},ou=people' }) ?? '', /needs `syncFilter` or `searchFilter`/);
  assert.match(directorySyncProblem({ ...base, syncFilter: '(uid=' }) ?? '', /is not an LDAP filter/);
  assert.equal(directorySyncProblem({ ...base, searchFilter: '(uid={username})' }), null);
});

test('options a sync cannot use are refused before the directory is asked', inTemp(async (dir) => {
  const store = PeopleStore.open(dir);
  try {
    await assert.rejects(
      syncDirectory(store, { url: 'ldap://127.0.0.1:1', bindDnTemplate: 'uid={username},ou=people' }, { fallbackRole: 'guest' }),
      (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_INPUT' && e.where?.field === 'ldap.searchBase',
    );
  } finally {
    store.close();
  }
}));

describe('directory sync against a real slapd', { skip: skip ?? false }, () => {
  let slapd: Slapd;

  before(async () => {
    slapd = await startSlapd(PEOPLE, GROUPS);
  });
  after(async () => {
    await slapd?.stop();
  });

  test('the first sync adds everyone with roles and year groups mapped, and skips entries without a usable username with their DN', inTemp(async (dir) => {
    const store = storeWithOthers(dir);
    try {
      const report = await sync(store, options(slapd.url));
      assert.deepEqual(report, {
        added: 6,
        updated: 0,
        deactivated: 0,
        unchanged: 0,
        skipped: [
          { dn: `cn=Visiting Speaker,ou=people,${SUFFIX}`, reason: 'no `uid` attribute' },
          { dn: `uid=kiosk$,ou=people,${SUFFIX}`, reason: 'username `kiosk$` must be 1–128 of a-z, 0-9, `.`, `_`, `-`, `@`, starting with a letter or digit' },
        ],
      });
      const ldap = (role: string, groups: string[], displayName: string) => ({ role, groups, displayName, source: 'ldap', active: true });
      assert.deepEqual(summary(store.get('amelia.tern')), ldap('teacher', [], 'Amelia Tern'));
      assert.deepEqual(summary(store.get('jonah.birchwood')), ldap('esafety-team', [], 'Jonah Birchwood'), 'the first listed group wins');
      assert.deepEqual(summary(store.get('ben.wheatear')), ldap('pupil', ['year-4'], 'Ben Wheatear'));
      assert.deepEqual(summary(store.get('tilly.marram')), ldap('pupil', ['year-5'], 'Tilly Marram'), 'a bare year number is a year group');
      assert.deepEqual(summary(store.get('nell.dunnock')), ldap('guest', [], 'Nell Dunnock'), 'no role in the directory: the fallback role');
      assert.deepEqual(summary(store.get('rowan.ash')), ldap('teacher', [], 'Rowan Ash'), 'a DN with parentheses still finds its groups');
      assert.deepEqual(summary(store.get('pip.quayside')), { role: 'pupil', groups: ['year-5'], displayName: 'Pip Quayside', source: 'roster', active: true });
      assert.equal(store.get('pip.quayside')?.dateOfBirth, '2016-04-02');
      assert.deepEqual(summary(store.get('olive.stonechat')), { role: 'teacher', groups: [], displayName: 'Olive Stonechat', source: 'local', active: true });

      const again = await sync(store, options(slapd.url));
      assert.deepEqual({ ...again, skipped: again.skipped.length }, { added: 0, updated: 0, deactivated: 0, unchanged: 6, skipped: 2 });
    } finally {
      store.close();
    }
  }));

  test('a synced person has the same role, groups and name a sign-in through the directory gives them', inTemp(async (dir) => {
    const synced = PeopleStore.open(join(dir, 'synced'));
    const signedIn = PeopleStore.open(join(dir, 'signed-in'));
    try {
      await sync(synced, options(slapd.url));
      const identifier = new Identifier({
        people: signedIn,
        unidentifiedRole: 'guest',
        timeZone: 'Europe/London',
        policy: POLICY,
        directory: new LdapAuthenticator(options(slapd.url)),
      });
      for (const person of [AMELIA, JONAH, BEN, TILLY, NELL, ROWAN]) {
        assert.ok(await identifier.identify('192.0.2.10', { username: person.uid, password: person.password }), person.uid);
        const fromSync = synced.get(person.uid);
        const fromSignIn = signedIn.get(person.uid);
        assert.deepEqual(summary(fromSync), summary(fromSignIn), person.uid);
        assert.equal(fromSync?.dateOfBirth, fromSignIn?.dateOfBirth);
      }
    } finally {
      synced.close();
      signedIn.close();
    }
  }));

  test('the listing is read page by page: with two entries a page, slapd sees one search per page', inTemp(async (dir) => {
    const store = PeopleStore.open(dir);
    try {
      const before = await slapd.searchCount(SYNC_FILTER);
      const report = await sync(store, options(slapd.url), { pageSize: 2 });
      assert.equal(report.added, 6);
      // eight entries at two a page
      assert.equal((await slapd.searchCount(SYNC_FILTER)) - before, 4, 'four paged searches');
    } finally {
      store.close();
    }
  }));

  test('more entries than the size limit stops the sync and changes nothing, not even the people who left', inTemp(async (dir) => {
    const store = storeWithOthers(dir);
    try {
      store.upsertFromDirectory({ username: 'old.leaver', displayName: 'Old Leaver', role: 'teacher' }, 'guest');
      const before = store.list({ includeInactive: true });
      await assert.rejects(
        sync(store, options(slapd.url), { maxEntries: 3, pageSize: 2 }),
        (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_DIRECTORY' && /more than 3 entries/.test(e.message) && /nothing was changed/.test(e.message),
      );
      assert.deepEqual(store.list({ includeInactive: true }), before);
      const enough = await sync(store, options(slapd.url), { maxEntries: PEOPLE.length, pageSize: 2 });
      assert.equal(enough.added, 6, 'exactly at the limit is allowed');
      assert.equal(enough.deactivated, 1);
    } finally {
      store.close();
    }
  }));

  test('running past the time limit stops the sync and changes nothing', inTemp(async (dir) => {
    const store = storeWithOthers(dir);
    try {
      store.upsertFromDirectory({ username: 'old.leaver', displayName: 'Old Leaver', role: 'teacher' }, 'guest');
      const before = store.list({ includeInactive: true });
      // a clock that moves a minute every time it is read: the limit of two minutes is passed
      // while the entries are being read, whatever the real speed
      let t = NOW;
      await assert.rejects(
        sync(store, options(slapd.url), { now: () => (t += 60_000), timeLimitMs: 120_000 }),
        (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_DIRECTORY' && /longer than its limit of 120 s; nothing was changed/.test(e.message),
      );
      assert.deepEqual(store.list({ includeInactive: true }), before);
    } finally {
      store.close();
    }
  }));

  test('a listing with nobody in it deactivates nobody: it is refused while directory people are stored', inTemp(async (dir) => {
    const store = storeWithOthers(dir);
    try {
      const nobody = { ...options(slapd.url), syncFilter: '(&(objectClass=inetOrgPerson)(uid=nobody.at.all))' };
      assert.deepEqual(await sync(store, nobody), { added: 0, updated: 0, deactivated: 0, unchanged: 0, skipped: [] }, 'nothing to lose yet: an empty listing is fine');
      store.upsertFromDirectory({ username: 'old.leaver', displayName: 'Old Leaver', role: 'teacher' }, 'guest');
      await assert.rejects(sync(store, nobody), (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_DIRECTORY' && /nobody under/.test(e.message));
      assert.equal(store.get('old.leaver')?.active, true);
    } finally {
      store.close();
    }
  }));

  test('a wrong service account password is a directory error and changes nothing', inTemp(async (dir) => {
    const store = storeWithOthers(dir);
    try {
      await assert.rejects(
        sync(store, { ...options(slapd.url), servicePassword: 'wrong' }),
        (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_DIRECTORY' && /service account bind failed/.test(e.message),
      );
      assert.equal(store.list().length, 2);
    } finally {
      store.close();
    }
  }));
});

describe('directory sync as the directory changes', { skip: skip ?? false }, () => {
  test('a second sync deactivates only the person who left, updates a changed name, leaves roster and hand-added people alone, and a returner is active again', inTemp(async (dir) => {
    const slapd = await startSlapd(PEOPLE, GROUPS);
    const store = storeWithOthers(dir);
    try {
      const ldap = options(slapd.url);
      assert.equal((await sync(store, ldap)).added, 6);

      await slapd.remove(personDn(NELL));
      await slapd.replace(personDn(AMELIA), 'cn', ['Amelia Tern-Oakes']);
      const second = await sync(store, ldap);
      assert.deepEqual({ ...second, skipped: second.skipped.length }, { added: 0, updated: 1, deactivated: 1, unchanged: 4, skipped: 2 });
      assert.equal(store.get('nell.dunnock')?.active, false);
      assert.equal(store.get('amelia.tern')?.displayName, 'Amelia Tern-Oakes');
      assert.deepEqual(
        store.list().map((p) => `${p.username}:${p.source}`).sort(),
        ['amelia.tern:ldap', 'ben.wheatear:ldap', 'jonah.birchwood:ldap', 'olive.stonechat:local', 'pip.quayside:roster', 'rowan.ash:ldap', 'tilly.marram:ldap'],
        'the roster pupil and the hand-added teacher are not in the directory and stay active',
      );

      await slapd.addPerson(NELL);
      const third = await sync(store, ldap);
      assert.deepEqual({ ...third, skipped: third.skipped.length }, { added: 0, updated: 1, deactivated: 0, unchanged: 5, skipped: 2 });
      assert.equal(store.get('nell.dunnock')?.active, true);
    } finally {
      store.close();
      await slapd.stop();
    }
  }));

  test('the directory\'s own size limit stops the sync with nothing changed, rather than a short listing making people inactive', inTemp(async (dir) => {
    // slapd allows five entries per search to anyone but its root: the service account's paged
    // listing of eight entries is cut short by the server
    const limited = await startSlapd(PEOPLE, GROUPS, { sizeLimit: 5 });
    const unlimited = await startSlapd(PEOPLE, GROUPS, { sizeLimit: 5, serviceUnlimited: true });
    const store = storeWithOthers(dir);
    try {
      store.upsertFromDirectory({ username: 'amelia.tern', displayName: 'Amelia Tern', role: 'teacher' }, 'guest');
      store.upsertFromDirectory({ username: 'old.leaver', displayName: 'Old Leaver', role: 'teacher' }, 'guest');
      const before = store.list({ includeInactive: true });
      await assert.rejects(
        sync(store, options(limited.url), { pageSize: 2 }),
        (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_DIRECTORY' && /own size limit stopped the listing; nothing was changed/.test(e.message),
      );
      assert.deepEqual(store.list({ includeInactive: true }), before);
      const report = await sync(store, options(unlimited.url), { pageSize: 2 });
      assert.deepEqual([report.added, report.unchanged, report.deactivated], [5, 1, 1], 'with the limit lifted for the service account, all eight entries are read');
    } finally {
      store.close();
      await limited.stop();
      await unlimited.stop();
    }
  }));

  test('a username on two entries is left out with both DNs, and the stored person is neither changed nor deactivated', inTemp(async (dir) => {
    const slapd = await startSlapd(PEOPLE, GROUPS);
    const store = PeopleStore.open(dir);
    try {
      const ldap = options(slapd.url);
      await sync(store, ldap);
      const twin: TestPerson = { uid: 'Jonah.Birchwood', rdn: 'cn=Jonah Birchwood (pupil account)', cn: 'Jonah B', password: 'Twin-Entry-9', employeeType: 'Pupil' };
      await slapd.addPerson(twin);
      const report = await sync(store, ldap);
      assert.equal(report.deactivated, 0);
      assert.deepEqual(
        report.skipped.filter((s) => s.reason.includes('jonah')),
        [
          { dn: `cn=Jonah Birchwood (pupil account),ou=people,${SUFFIX}`, reason: 'username `jonah.birchwood` is on 2 entries' },
          { dn: `uid=jonah.birchwood,ou=people,${SUFFIX}`, reason: 'username `jonah.birchwood` is on 2 entries' },
        ],
      );
      assert.deepEqual(summary(store.get('jonah.birchwood')), { role: 'esafety-team', groups: [], displayName: 'Jonah Birchwood', source: 'ldap', active: true });
    } finally {
      store.close();
      await slapd.stop();
    }
  }));
});
