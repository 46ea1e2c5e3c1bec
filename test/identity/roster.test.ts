import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeopleStore, parseDateOfBirth, resolveGroupName, type RosterOptions } from '../../src/identity/index.ts';
import { HedgerowError } from '../../src/errors/index.ts';

const POLICY = {
  roles: ['pupil', 'guest', 'teacher', 'support-staff', 'governor'],
  groups: ['reception', 'year-1', 'year-2', 'year-3', 'year-4', 'year-5', 'year-6', 'class-4n'],
  childRoles: ['pupil'],
};
const NOW = Date.parse('2026-11-24T10:00:00Z');
const options = (extra: Partial<RosterOptions> = {}): RosterOptions => ({ file: 'roster.csv', policy: POLICY, timeZone: 'Europe/London', now: NOW, ...extra });

function withStore(run: (store: PeopleStore) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-people-'));
    const store = PeopleStore.open(dir);
    try {
      await run(store);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const GOOD = `name,username,role,year group,date of birth
Arlo Puddingstone,arlo.puddingstone,pupil,Year 4,2017-09-12
Florence Oakhollow,Florence.Oakhollow,pupil,year-4,06/02/2018
Eli Gorsewood,eli.gorsewood,pupil,4,2017-11-30
Desmond Nightingale,desmond.nightingale,teacher,,
Rupert Thornbury,rupert.thornbury,Governor,,
`;

test('imports a good roster: usernames lower-cased, year groups and UK dates normalised', withStore((store) => {
  const result = store.importRoster(GOOD, options());
  assert.deepEqual(result, { imported: 5, updated: 0, problems: [] });
  assert.deepEqual(store.get('florence.oakhollow'), {
    username: 'florence.oakhollow',
    displayName: 'Florence Oakhollow',
    role: 'pupil',
    groups: ['year-4'],
    dateOfBirth: '2018-02-06',
    source: 'roster',
    active: true,
    hasPassword: false,
  });
  assert.deepEqual(store.list({ group: 'year-4' }).map((p) => p.username), ['arlo.puddingstone', 'eli.gorsewood', 'florence.oakhollow']);
  assert.deepEqual(store.list({ role: 'governor' }).map((p) => p.username), ['rupert.thornbury']);
}));

test('importing again updates the people already known and keeps their passwords', withStore(async (store) => {
  store.importRoster(GOOD, options());
  await store.setPassword('desmond.nightingale', 'correct horse battery staple');
  const moved = GOOD.replace('Desmond Nightingale,desmond.nightingale,teacher', 'Desmond Nightingale,desmond.nightingale,support-staff') + 'Ivy Copperfold,ivy.copperfold,pupil,Year 3,2019-03-19\n';
  const result = store.importRoster(moved, options());
  assert.deepEqual(result, { imported: 1, updated: 5, problems: [] });
  assert.equal(store.get('desmond.nightingale')!.role, 'support-staff');
  assert.equal(await store.verifyPassword('desmond.nightingale', 'correct horse battery staple'), true);
}));

test('reports every kind of bad row with its line and imports nothing', withStore((store) => {
  const csv = [
    'name,username,role,year group,date of birth',
    'Arlo Puddingstone,arlo.puddingstone,pupil,Year 4,2017-09-12', // 2: good
    ',no.name,teacher,,', // 3: name required
    'Bad Username,bad user!,teacher,,', // 4: username pattern
    'No Role,no.role,,,', // 5: role required
    'Wrong Role,wrong.role,wizard,,', // 6: unknown role
    'Wrong Year,wrong.year,pupil,Year 9,2017-01-01', // 7: unknown year group
    'Bad Date,bad.date,pupil,Year 4,31/02/2018', // 8: not a calendar date
    'Future Date,future.date,pupil,Year 4,2027-01-01', // 9: in the future
    'Arlo Again,ARLO.PUDDINGSTONE,pupil,Year 4,2017-09-12', // 10: duplicate of line 2
    'Missing Year,missing.year,pupil,,2017-01-01', // 11: pupils need a year group
    'Missing Dob,missing.dob,pupil,Year 4,', // 12: pupils need a date of birth
    'Short Row,short.row,teacher', // 13: column count
    'Odd Date,odd.date,teacher,,12-03-1980', // 14: neither ISO nor UK
  ].join('\n');
  const result = store.importRoster(csv, options());
  assert.equal(result.imported, 0);
  assert.deepEqual(
    result.problems.map((p) => [p.line, p.field]),
    [
      [3, 'name'],
      [4, 'username'],
      [5, 'role'],
      [6, 'role'],
      [7, 'year group'],
      [8, 'date of birth'],
      [9, 'date of birth'],
      [10, 'username'],
      [11, 'year group'],
      [12, 'date of birth'],
      [13, 'csv'],
      [14, 'date of birth'],
    ],
  );
  assert.match(result.problems[7]!.message, /`arlo\.puddingstone` is also on line 2/);
  assert.match(result.problems[3]!.message, /unknown role `wizard`/);
  assert.match(result.problems[6]!.message, /in the future/);
  assert.deepEqual(store.list({ includeInactive: true }), [], 'the good row on line 2 was not imported either');
}));

test('reports a missing or unknown header column on line 1', withStore((store) => {
  const result = store.importRoster('name,login,favourite colour\nAda,ada,blue\n', options());
  assert.deepEqual(
    result.problems.map((p) => `${p.line}:${p.field}:${p.message}`),
    ['1:header:unknown column `favourite colour` (expected name, username, role, year group, date of birth, groups)', '1:header:missing column `role`'],
  );
}));

test('reads a roster with a byte-order mark, CRLF line ends and quoted fields', withStore((store) => {
  const csv = '\ufeffName,Username,Role,Year Group,Date of Birth\r\n"Oakhollow, Florence",florence.oakhollow,pupil,"Year 4",2018-02-06\r\n\r\n"Quayle ""Ben"" Benedict",benedict.quayle,teacher,,\r\n';
  const result = store.importRoster(csv, options());
  assert.deepEqual(result, { imported: 2, updated: 0, problems: [] });
  assert.equal(store.get('florence.oakhollow')!.displayName, 'Oakhollow, Florence');
  assert.equal(store.get('benedict.quayle')!.displayName, 'Quayle "Ben" Benedict');
}));

test('reports a row at the line it starts on, counting blank lines and quoted line breaks', withStore((store) => {
  const csv = 'name,username,role,year group,date of birth\n\n"Two\nLines",two.lines,teacher,,\nBad,bad,wizard,,\n';
  const result = store.importRoster(csv, options());
  // a line break inside a name is refused too: names are one line in logs and reports
  assert.deepEqual(result.problems.map((p) => [p.line, p.field]), [[3, 'name'], [5, 'role']]);
}));

test('reports an unclosed quote as a csv problem with its line', withStore((store) => {
  const result = store.importRoster('name,username,role\nAda,ada,teacher\n"Ben,ben,teacher\n', options());
  assert.equal(result.problems.length, 1);
  assert.equal(result.problems[0]!.field, 'csv');
  assert.equal(result.problems[0]!.line, 3);
}));

test('refuses a roster over the size or row limit with a clear error', withStore((store) => {
  const big = `name,username,role\n${'Ada,ada,teacher\n'.repeat(10)}`;
  assert.throws(() => store.importRoster(big, options({ maxBytes: 100 })), (e: unknown) => e instanceof HedgerowError && e.code === 'HR_IDENTITY_ROSTER' && /more than the limit of 100/.test(e.message));
  const rows = `name,username,role\n${Array.from({ length: 6 }, (_, i) => `P${i},p${i},teacher`).join('\n')}\n`;
  assert.throws(() => store.importRoster(rows, options({ maxRows: 5 })), /more than 5 rows/);
  assert.deepEqual(store.importRoster(rows, options({ maxRows: 6 })).problems, []);
}));

test('year groups are accepted as `Year 4`, `year-4`, `4`, `Y4` and `R` only when the policy defines them', () => {
  for (const form of ['Year 4', 'year-4', 'YEAR_4', '4', 'Y4', ' 04 ']) assert.equal(resolveGroupName(form, POLICY.groups), 'year-4', form);
  assert.equal(resolveGroupName('R', POLICY.groups), 'reception');
  assert.equal(resolveGroupName('Class 4N', POLICY.groups), 'class-4n');
  assert.equal(resolveGroupName('Year 9', POLICY.groups), null);
  assert.equal(resolveGroupName('', POLICY.groups), null);
});

test('dates of birth are ISO or UK day/month/year and real calendar dates', () => {
  assert.equal(parseDateOfBirth('2016-02-29'), '2016-02-29');
  assert.equal(parseDateOfBirth('29/02/2016'), '2016-02-29');
  assert.equal(parseDateOfBirth('5/3/2017'), '2017-03-05');
  assert.equal(parseDateOfBirth('29/02/2017'), null);
  assert.equal(parseDateOfBirth('2017-13-01'), null);
  assert.equal(parseDateOfBirth('03/05/17'), null);
});

test('the reference roster imports cleanly against the reference policy and covers every role', withStore(async (store) => {
  const { loadPolicy } = await import('../../src/policy/index.ts');
  const { referencePolicyPath } = await import('../../src/runtime/index.ts');
  const { policy } = loadPolicy(referencePolicyPath());
  assert.ok(policy);
  const file = fileURLToPath(new URL('../../examples/reference/roster.csv', import.meta.url));
  const roles = Object.keys(policy.roles);
  const result = store.importRoster(readFileSync(file, 'utf8'), {
    file,
    policy: { roles, groups: Object.keys(policy.groups), childRoles: roles.filter((r) => policy.roles[r]!.child) },
    timeZone: policy.calendar!.timeZone,
    now: Date.parse('2026-09-02T08:00:00Z'),
  });
  assert.deepEqual(result.problems, []);
  assert.ok(result.imported >= 30 && result.imported <= 60);
  assert.deepEqual(new Set(store.list().map((p) => p.role)), new Set(roles));
  for (let year = 1; year <= 6; year++) assert.ok(store.list({ group: `year-${year}` }).length > 0, `year ${year}`);
}));
