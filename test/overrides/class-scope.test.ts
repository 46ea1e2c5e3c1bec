// A teacher's own classes: the groups on their account and the groups inside them. Teachers who
// may grant only to their own classes are held to exactly these (7.1).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOverrideInput, groupAncestry, ownClassGroups, scopeOutsideOwnClasses, type GroupParents } from '../../src/overrides/index.ts';

const groups: GroupParents = {
  'year-4': {},
  'class-4n': { within: 'year-4' },
  'class-4s': { within: 'year-4' },
  'year-5': {},
  'class-5m': { within: 'year-5' },
  'loop-a': { within: 'loop-b' },
  'loop-b': { within: 'loop-a' },
};
const roster: Record<string, string[]> = { 'arlo.puddingstone': ['year-4', 'class-4n'], 'nancy.tumbledown': ['year-5', 'class-5m'] };
const context = (accountGroups: string[]) => ({ accountGroups, parents: groups, personGroups: (u: string) => roster[u] ?? null });

test('a group is within itself and every group it sits inside, and a cycle does not hang', () => {
  assert.deepEqual(groupAncestry('class-4n', groups), ['class-4n', 'year-4']);
  assert.deepEqual(groupAncestry('loop-a', groups), ['loop-a', 'loop-b']);
});

test("a year group's teacher owns the classes inside it; a class teacher owns only the class", () => {
  assert.deepEqual([...ownClassGroups(['year-4'], groups)].sort(), ['class-4n', 'class-4s', 'year-4']);
  assert.deepEqual([...ownClassGroups(['class-4n'], groups)], ['class-4n']);
});

test('a class teacher may grant to their class and to a pupil in it (7.1)', () => {
  assert.deepEqual(scopeOutsideOwnClasses({ groups: ['class-4n'], people: ['arlo.puddingstone'] }, context(['class-4n'])), []);
});

test('a class teacher may not grant to the year group above their class, another class, a role or a pupil elsewhere', () => {
  const problems = scopeOutsideOwnClasses({ groups: ['year-4', 'class-5m'], roles: ['pupil'], people: ['nancy.tumbledown', 'unknown.person'] }, context(['class-4n']));
  assert.deepEqual(
    problems.map((p) => p.field),
    ['scope.roles[0]', 'scope.groups[0]', 'scope.groups[1]', 'scope.people[0]', 'scope.people[1]'],
  );
});

test('a teacher with no classes may grant to no one', () => {
  assert.equal(scopeOutsideOwnClasses({ groups: ['class-4n'] }, context([])).length, 1);
});

test('override input is normalised: hosts from URLs, usernames lower-cased, duplicates dropped', () => {
  const { value, problems } = checkOverrideInput(
    { scope: { people: ['Arlo.Puddingstone', 'arlo.puddingstone'] }, what: { sites: ['https://WWW.Blocked.Example/page', 'blocked.example.'] }, minutes: 5, reason: ' lesson ' },
    1_000,
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(value, { kind: 'curriculum', scope: { people: ['arlo.puddingstone'] }, what: { sites: ['www.blocked.example', 'blocked.example'] }, from: 1_000, until: 301_000, reason: 'lesson' });
});

test('an override of an IP address or lasting over a year is refused', () => {
  const { problems } = checkOverrideInput({ scope: { roles: ['pupil'] }, what: { sites: ['192.0.2.10'] }, minutes: 60 * 24 * 400, reason: 'x' }, 0);
  assert.deepEqual(problems.map((p) => p.field), ['what.sites[0]', 'until']);
});
