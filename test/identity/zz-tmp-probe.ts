import { startSlapd, SUFFIX } from '/work/main/test/identity/slapd.ts';
import { PeopleStore, syncDirectory } from '/work/main/src/identity/index.ts';
import { mkdtempSync } from 'node:fs';
const N = 2000;
const people = Array.from({ length: N }, (_, i) => ({ uid: `pupil${i}.x`, cn: `Pupil ${i}`, password: 'pw-123456', yearGroup: `Year ${4 + (i % 2)}`, employeeType: 'Pupil' }));
const s = await startSlapd(people, [{ cn: 'teachers', members: people.slice(0, 100).map((p) => p.uid) }]);
const base = { url: s.url, searchBase: `ou=people,${SUFFIX}`, syncFilter: '(objectClass=inetOrgPerson)', serviceDn: `cn=hedgerow,${SUFFIX}`, servicePassword: 'service-test-secret', attributes: { yearGroup: 'departmentNumber', role: 'employeeType' }, roleValues: { Pupil: 'pupil' } };
const policy = { roles: ['pupil', 'teacher', 'guest'], groups: ['year-4', 'year-5'] };
for (const [name, ldap] of [['no group roles', base], ['group roles', { ...base, groupSearchBase: `ou=groups,${SUFFIX}`, groupRoles: [{ group: `cn=teachers,ou=groups,${SUFFIX}`, role: 'teacher' }] }]] as const) {
  const store = PeopleStore.open(mkdtempSync('/tmp/pg-'));
  let t = performance.now();
  const r1 = await syncDirectory(store, ldap, { fallbackRole: 'guest', policy });
  const first = performance.now() - t;
  t = performance.now();
  const r2 = await syncDirectory(store, ldap, { fallbackRole: 'guest', policy });
  const second = performance.now() - t;
  console.log(name, r1.added, Math.round(first), 'ms first;', r2.unchanged, Math.round(second), 'ms second', store.list({ role: 'teacher' }).length);
}
await s.stop();
