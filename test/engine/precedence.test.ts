// The engine's precedence, tier by tier, on a small policy written for the purpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CatalogueBuilder } from '../../src/catalog/index.ts';
import { PolicyEngine, compileGrants, type DecisionQuery, type Person } from '../../src/engine/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'hedgerow-precedence-'));
writeFileSync(
  join(dir, 'council.yaml'),
  `hedgerow: 1
layer: council
id: c
name: Council
roles:
  pupil: {}
  guest: { sameAs: pupil }
  teacher: { staff: true }
  technician: { staff: true }
roleSets:
  staff: [teacher, technician]
categories:
  video: {}
  social: {}
  chat: {}
  social-media: { includes: [social, chat] }
  malware: {}
  legal: { from: [custom/iwf] }
  games: {}
rules:
  - id: c-legal
    legal: true
    clauses: [law]
    what: { categories: [legal] }
    action: block
    reason: Legal list.
  - id: c-malware
    lock: true
    what: { categories: [malware] }
    action: block
    reason: Malware.
  - id: c-video
    clauses: [council-video]
    what: { categories: [video] }
    action: block
    reason: Council blocks video.
  - id: c-games-log
    what: { categories: [games] }
    action: log
    reason: Games are logged.
`,
);
writeFileSync(
  join(dir, 'school.yaml'),
  `hedgerow: 1
layer: school
id: s
name: School
extends: council.yaml
groups:
  year-6: { role: pupil }
  class-6s: { within: year-6 }
calendar:
  timeZone: Europe/London
  terms: [{ name: Autumn, start: 2026-09-02, end: 2026-12-18 }]
  windows:
    lessons: { times: ["09:00-12:00"] }
    outside-lessons: { complementOf: lessons }
rules:
  - id: s-video-site-staff
    clauses: ["8.1"]
    who: { roles: [staff] }
    what: { sites: [video.example] }
    action: allow
    reason: Staff may use this video site.
  - id: s-legal-site-allow
    what: { sites: [legal.example] }
    action: allow
    reason: Trying to allow a legal-list site.
  - id: s-social-pupils
    clauses: ["8.1"]
    who: { roles: [pupil] }
    what: { categories: [social-media] }
    action: block
    reason: Social media is blocked for pupils.
  - id: s-social-staff-lessons
    clauses: ["6.1"]
    who: { roles: [staff] }
    when: [lessons]
    what: { categories: [social-media] }
    action: warn
    reason: Not in lessons.
  - id: s-social-staff-outside
    clauses: ["6.2"]
    who: { roles: [staff] }
    when: [outside-lessons]
    what: { categories: [social-media] }
    action: allow
    reason: Outside lessons.
  - id: s-year6-games
    who: { groups: [year-6] }
    what: { categories: [games] }
    action: block
    reason: Year 6 may not play games.
  - id: s-age
    who: { roles: [pupil] }
    what: { belowMinimumAge: true }
    action: block
    reason: Too young.
safeSearch:
  - { who: { roles: [pupil] }, engines: strict, youtube: strict }
`,
);

const { policy, problems } = loadPolicy(join(dir, 'school.yaml'));
assert.deepEqual(problems, []);
const builder = new CatalogueBuilder();
builder.add('video.example', ['hedgerow/video'], 'test');
builder.add('social.example', ['hedgerow/social'], 'test');
builder.add('chat.example', ['hedgerow/chat'], 'test');
builder.add('clip.example', ['hedgerow/video', 'hedgerow/social'], 'test');
builder.add('legal.example', ['custom/iwf'], 'iwf');
builder.add('bad.video.example', ['hedgerow/malware'], 'test');
builder.add('games.example', ['hedgerow/games'], 'test');
builder.addSiteFact('grown-up.example', { minimumAge: 13, categories: [] });
builder.add('grown-up.example', ['hedgerow/games'], 'test');
const engine = new PolicyEngine({ policy: policy!, catalogue: builder.build() });

const lesson = Date.parse('2026-11-24T10:00:00Z'); // Tuesday 10:00 GMT
const evening = Date.parse('2026-11-24T19:00:00Z');
const pupil: Person = { role: 'pupil', age: 10, groups: ['class-6s'] };
const teacher: Person = { role: 'teacher' };
const ask = (person: Person, url: string, at = lesson, extra: Partial<DecisionQuery> = {}) => engine.decide({ person, url, at, ...extra });

test('a legal-list rule beats a school site rule that tries to allow the site', () => {
  const d = ask(teacher, 'https://legal.example/');
  assert.equal(d.action, 'block');
  assert.equal(d.kind, 'block.legal');
  assert.deepEqual(d.clauses, ['law']);
});

test('a locked council rule beats a school site rule for the parent domain', () => {
  const d = ask(teacher, 'https://bad.video.example/');
  assert.equal(d.action, 'block');
  assert.equal(d.rule, 'c-malware');
});

test('a school site rule beats a council category rule, and the decision says which rule it beat', () => {
  const d = ask(teacher, 'https://www.video.example/watch');
  assert.equal(d.action, 'allow');
  assert.equal(d.kind, 'allow.site');
  assert.equal(d.rule, 's-video-site-staff');
  assert.deepEqual(d.supersedes, [{ rule: 'c-video', layer: 'council', action: 'block' }]);
  assert.match(d.reason, /takes precedence over the council rule `c-video` \(block\)/);
});

test('site rules only apply to the people they name: pupils still meet the council block', () => {
  const d = ask(pupil, 'https://video.example/');
  assert.equal(d.action, 'block');
  assert.equal(d.rule, 'c-video');
});

test('among category rules the most restrictive action wins, so a school allow cannot open a council block', () => {
  const d = ask(teacher, 'https://clip.example/', evening);
  assert.equal(d.action, 'block');
  assert.equal(d.rule, 'c-video');
  assert.deepEqual(d.supersedes.map((s) => s.rule), ['s-social-staff-outside']);
});

test('when rules agree, the nearest layer reports and every agreeing clause is listed', () => {
  const d = ask(pupil, 'https://clip.example/');
  assert.equal(d.rule, 's-social-pupils');
  assert.deepEqual(d.clauses, ['8.1', 'council-video']);
});

test('calendar windows switch staff from warn in lessons to allow outside them', () => {
  assert.equal(ask(teacher, 'https://social.example/').action, 'warn');
  assert.equal(ask(teacher, 'https://social.example/').kind, 'warn.category');
  const outside = ask(teacher, 'https://social.example/', evening);
  assert.equal(outside.action, 'allow');
  assert.deepEqual(outside.clauses, ['6.2']);
});

test('a composite category matches through any of its parts', () => {
  const d = ask(pupil, 'https://chat.example/');
  assert.equal(d.action, 'block');
  assert.deepEqual([...d.categories].sort(), ['chat', 'social-media']);
});

test('a guest is treated exactly like the role it is the same as', () => {
  assert.equal(ask({ role: 'guest' }, 'https://social.example/').rule, 's-social-pupils');
});

test('group rules reach members of child groups', () => {
  assert.equal(ask(pupil, 'https://games.example/').action, 'block');
  assert.equal(ask({ role: 'pupil', age: 10, groups: ['year-6'] }, 'https://games.example/').action, 'block');
  const other = ask({ role: 'pupil', age: 10, groups: ['year-5'] }, 'https://games.example/');
  assert.equal(other.action, 'allow');
  assert.equal(other.logged, true);
  assert.equal(other.kind, 'log.category');
});

test('the minimum-age rule blocks a younger pupil, allows an old enough one, and fails closed on unknown age', () => {
  assert.equal(ask({ role: 'pupil', age: 10 }, 'https://grown-up.example/').rule, 's-age');
  assert.equal(ask({ role: 'pupil', age: 10 }, 'https://grown-up.example/').kind, 'block.minimum-age');
  assert.equal(ask({ role: 'pupil', age: 13 }, 'https://grown-up.example/').kind, 'log.category');
  assert.equal(ask({ role: 'pupil' }, 'https://grown-up.example/').action, 'block');
});

test('a grant in force beats a category block for the people it names, and only within its times', () => {
  const grants = compileGrants([
    { id: 'g1', kind: 'curriculum', scope: { groups: ['class-6s'] }, what: { sites: ['social.example'] }, from: lesson - 60_000, until: lesson + 3_600_000, reason: 'Online safety lesson' },
  ]);
  const inside = ask(pupil, 'https://m.social.example/', lesson, { grants });
  assert.equal(inside.action, 'allow');
  assert.equal(inside.kind, 'allow.grant');
  assert.equal(inside.grant, 'g1');
  assert.deepEqual(inside.supersedes.map((s) => s.rule), ['s-social-pupils']);
  assert.equal(ask(pupil, 'https://social.example/', lesson + 3_600_000, { grants }).action, 'block');
  assert.equal(ask({ role: 'pupil', age: 10, groups: ['year-5'] }, 'https://social.example/', lesson, { grants }).action, 'block');
});

test('a grant by category opens every site of that category', () => {
  const grants = compileGrants([{ id: 'g2', kind: 'unblock', scope: { roles: ['pupil'] }, what: { categories: ['games'] }, from: 0, until: Number.MAX_SAFE_INTEGER, reason: 'Approved' }]);
  const d = ask(pupil, 'https://games.example/', lesson, { grants });
  assert.equal(d.action, 'allow');
  assert.equal(d.kind, 'allow.grant');
});

test('a grant never beats a locked rule', () => {
  const grants = compileGrants([{ id: 'g3', kind: 'unblock', scope: { roles: ['teacher'] }, what: { sites: ['bad.video.example'] }, from: 0, until: Number.MAX_SAFE_INTEGER, reason: 'Please' }]);
  assert.equal(ask(teacher, 'https://bad.video.example/', lesson, { grants }).rule, 'c-malware');
});

test('a supervised-only sanction blocks everything except inside a supervised session', () => {
  const sanctioned = { ...pupil, supervisedOnly: true };
  const d = ask(sanctioned, 'https://www.bbc.co.uk/');
  assert.equal(d.action, 'block');
  assert.equal(d.kind, 'block.sanction');
  assert.equal(ask({ ...sanctioned, supervised: true }, 'https://www.bbc.co.uk/').action, 'allow');
});

test('unknown roles, unreadable URLs and bad times are blocked as invalid, never thrown', () => {
  assert.equal(ask({ role: 'wizard' }, 'https://example.com/').kind, 'block.invalid');
  assert.equal(ask(pupil, 'javascript:alert(1)').kind, 'block.invalid');
  assert.equal(ask(pupil, '').kind, 'block.invalid');
  assert.equal(engine.decide({ person: pupil, url: 'https://example.com/', at: Number.NaN }).kind, 'block.invalid');
});

test('the default applies when no rule matches and says so', () => {
  const d = ask(pupil, 'https://unlisted.example/');
  assert.equal(d.action, 'allow');
  assert.equal(d.kind, 'allow.default');
  assert.equal(d.rule, 'default');
  assert.equal(d.match, null);
});

test('the decision cites the matched catalogue entry and its list', () => {
  const d = ask(pupil, 'https://a.b.video.example/');
  assert.deepEqual(d.match, { entry: 'video.example', lists: ['test'], sourceCategories: ['hedgerow/video'] });
});

test('safe search levels come from the first matching policy entry; others get none', () => {
  assert.deepEqual(engine.safeSearchFor(pupil), { engines: 'strict', youtube: 'strict' });
  assert.deepEqual(engine.safeSearchFor(teacher), { engines: 'off', youtube: 'off' });
});
