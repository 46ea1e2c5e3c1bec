// Where notifications go: a person's mail address and line manager, from the roster's optional
// `email` and `line manager` columns or set by hand, checked like every other roster field.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HedgerowError } from '../../src/errors/index.ts';
import { normaliseEmail, PeopleStore, type RosterOptions } from '../../src/identity/index.ts';
import { routeRecipients } from '../../src/notify/index.ts';
import { referencePeople } from './fixture.ts';

const POLICY = { roles: ['pupil', 'teacher', 'head-of-school', 'headteacher'], groups: ['year-4', 'class-4n'], childRoles: ['pupil'] };
const options: RosterOptions = { file: 'roster.csv', policy: POLICY, timeZone: 'Europe/London', now: Date.parse('2026-11-24T10:00:00Z') };

function withStore(run: (store: PeopleStore) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-contact-'));
    const store = PeopleStore.open(dir);
    try {
      await run(store);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const WITH_CONTACT = `name,username,role,year group,date of birth,email,line manager
Arlo Puddingstone,arlo.puddingstone,pupil,Year 4,2017-09-12,,
Desmond Nightingale,desmond.nightingale,teacher,,,Desmond.Nightingale@SCHOOL.invalid,Leonard.Sedgemoor
Leonard Sedgemoor,leonard.sedgemoor,head-of-school,,,leonard.sedgemoor@school.invalid,marjorie.wychwood
Marjorie Wychwood,marjorie.wychwood,headteacher,,,marjorie.wychwood@school.invalid,
`;

test('imports mail addresses and line managers, leaving them out of records that have none', withStore((store) => {
  assert.deepEqual(store.importRoster(WITH_CONTACT, options).problems, []);
  const desmond = store.get('desmond.nightingale')!;
  assert.equal(desmond.email, 'Desmond.Nightingale@school.invalid', 'the domain is lower-cased, the local part kept');
  assert.equal(desmond.lineManager, 'leonard.sedgemoor');
  assert.equal(store.get('marjorie.wychwood')!.lineManager, undefined);
  assert.deepEqual(Object.keys(store.get('arlo.puddingstone')!).sort(), ['active', 'dateOfBirth', 'displayName', 'groups', 'hasPassword', 'role', 'source', 'username']);
  assert.deepEqual(store.reportsOf('leonard.sedgemoor').map((p) => p.username), ['desmond.nightingale']);
}));

test('reports a bad address, a bad line manager and a person managing themselves, with line and field, and imports nothing', withStore((store) => {
  const csv = [
    'name,username,role,year group,date of birth,e-mail,manager',
    'Desmond Nightingale,desmond.nightingale,teacher,,,desmond at school,leonard.sedgemoor',
    'Leonard Sedgemoor,leonard.sedgemoor,head-of-school,,,leonard.sedgemoor@school.invalid,Leonard Sedgemoor!',
    'Marjorie Wychwood,marjorie.wychwood,headteacher,,,marjorie.wychwood@school.invalid,marjorie.wychwood',
  ].join('\n');
  const result = store.importRoster(csv, options);
  assert.deepEqual(
    result.problems.map((p) => `${p.line}:${p.field}:${p.message}`),
    [
      '2:email:`desmond at school` is not a mail address like name@school.example',
      '3:line manager:`Leonard Sedgemoor!` must be 1–128 of a-z, 0-9, `.`, `_`, `-`, `@`, starting with a letter or digit',
      '4:line manager:a person cannot be their own line manager',
    ],
  );
  assert.deepEqual(store.list(), []);
}));

test('a roster without the columns keeps what is stored; an empty cell clears it', withStore((store) => {
  store.importRoster(WITH_CONTACT, options);
  store.importRoster('name,username,role\nDesmond Nightingale,desmond.nightingale,teacher\n', options);
  assert.equal(store.get('desmond.nightingale')!.email, 'Desmond.Nightingale@school.invalid');
  store.importRoster('name,username,role,email,line manager\nDesmond Nightingale,desmond.nightingale,teacher,,\n', options);
  const desmond = store.get('desmond.nightingale')!;
  assert.deepEqual([desmond.email, desmond.lineManager], [undefined, undefined]);
}));

test('contact details set by hand are checked and can be cleared', withStore((store) => {
  store.add({ username: 'eleanor.mossbank', displayName: 'Eleanor Mossbank', role: 'teacher', email: 'eleanor.mossbank@school.invalid', lineManager: 'leonard.sedgemoor' });
  assert.equal(store.get('eleanor.mossbank')!.lineManager, 'leonard.sedgemoor');
  const cleared = store.setContact('eleanor.mossbank', { email: null });
  assert.deepEqual([cleared.email, cleared.lineManager], [undefined, 'leonard.sedgemoor']);
  assert.throws(() => store.setContact('eleanor.mossbank', { email: 'nope' }), (e: HedgerowError) => e.code === 'HR_IDENTITY_INPUT' && e.where?.field === 'email');
  assert.throws(() => store.setContact('eleanor.mossbank', { lineManager: 'Eleanor.Mossbank' }), (e: HedgerowError) => e.code === 'HR_IDENTITY_INPUT' && e.where?.field === 'lineManager');
  assert.throws(() => store.setContact('no.one', { email: 'x@school.invalid' }), (e: HedgerowError) => e.code === 'HR_IDENTITY_UNKNOWN_PERSON');
}));

test('mail addresses are read strictly: one plain mailbox, no display name', () => {
  assert.equal(normaliseEmail(' Nigel.Applegarth@School.Invalid '), 'Nigel.Applegarth@school.invalid');
  for (const bad of ['Nigel <nigel@school.invalid>', 'nigel@', '@school.invalid', 'nigel@school', 'a,b@school.invalid', 'nigel@school..invalid']) {
    assert.equal(normaliseEmail(bad), null, bad);
  }
});

test('the reference roster gives staff addresses at a reserved domain and line managers who are on it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-contact-'));
  const people = referencePeople(dir);
  try {
    const staff = people.list().filter((p) => p.role !== 'pupil' && p.role !== 'guest');
    assert.ok(staff.length > 10);
    for (const person of staff) assert.match(person.email ?? '', /@school\.invalid$/, person.username);
    for (const person of people.list()) if (person.lineManager) assert.ok(people.get(person.lineManager), `${person.username}'s line manager is on the roster`);
    assert.equal(people.get('desmond.nightingale')!.lineManager, 'leonard.sedgemoor');
    assert.equal(people.list({ role: 'pupil' }).some((p) => p.email !== undefined), false, 'no pupil has an address');
  } finally {
    people.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a workflow route resolves the line manager and the class teachers of the person it is about', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-contact-'));
  const people = referencePeople(dir);
  try {
    assert.deepEqual(routeRecipients(['line-manager'], 'desmond.nightingale', people), { to: [{ person: 'leonard.sedgemoor' }], unresolved: [] });
    assert.deepEqual(routeRecipients(['class-teacher', 'headteacher'], 'arlo.puddingstone', people), { to: [{ person: 'desmond.nightingale' }, { role: 'headteacher' }], unresolved: [] });
    assert.deepEqual(routeRecipients(['line-manager', 'safeguarding-lead'], 'marjorie.wychwood', people), { to: [{ role: 'safeguarding-lead' }], unresolved: ['line-manager'] }, 'the headteacher has no line manager on record');
    assert.deepEqual(routeRecipients(['class-teacher'], null, people), { to: [], unresolved: ['class-teacher'] });
  } finally {
    people.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
